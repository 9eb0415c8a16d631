// Package convert turns log objects into partitioned Parquet or Arrow IPC
// files with a manifest that makes conversion incremental and exactly once
// (SPEC §6). The files are written by package sink; the records come from
// package pipeline.
//
// # Files and the manifest
//
// Convert runs the pipeline; each worker keeps a row buffer and an open file
// per partition (dt=yyyy-MM-dd, or dt=yyyy-MM-dd-HH by hour, by request
// time in UTC), writing a row group whenever a batch is full and rolling
// files at Options.TargetFileSize. Files are written under a temporary
// directory (<out>/.s3logs/tmp/<run>/ locally) and are named
// part-<run>-<worker>-<seq>.parquet.
//
// Exactly once rests on one rule: a worker commits only between chunks.
// A commit closes all of the worker's files, publishes them (rename, or a
// completed S3 upload) and then writes one manifest entry,
// _manifest/<run>-<worker>-<seq>.json, naming the files and the line
// ranges of the chunks the worker processed since its last commit. Every
// record of those chunks that passed the filter is in those files, and no
// other record is. The entry is written in one step, so after a crash each
// chunk's records are either wholly in files named by an entry or in no
// such file. Workers commit independently every Options.CommitBytes of
// input, and all of them at the end of the run.
//
// An entry also lists objects now complete: objects the pipeline finished
// whose every chunk is in an entry written before this one started.
//
// On start, Convert reads all entries. Complete objects are skipped
// (pipeline.Config.Skip); in other objects the lines inside recorded ranges
// are dropped, so a re-run after a kill converts exactly the missing
// records. Output files that no entry names (published before a killed
// run could write its entry) are deleted, as are stale temporary
// directories; with --shard only files of the same shard are touched, so
// shards can share a destination. Conversions into one destination must
// not otherwise run concurrently.
//
// # Memory
//
// Memory does not grow with the input. A worker holds its partitions'
// buffered rows, at most about Options.RowGroupBytes in all (64 MiB by
// default; dictionary columns hold one int32 per row and their distinct
// values, so usually much less), the buffers its sole partition kept from
// its last row group (no more than one row group), and, while it writes a
// row group, the encoded pages of the column chunk being written, plus a
// 1 MiB write buffer per open file. So peak memory is about workers x 2 x
// RowGroupBytes plus the pipeline's read-ahead; BenchmarkConvertMemory
// shows it flat from 64 to 256 MB of input (90 to 130 MB of heap on one
// worker with 64 MiB row groups).
package convert
