// Package convert turns log objects into partitioned Parquet or Arrow IPC
// files with a manifest that makes conversion incremental and exactly once,
// also with several runs writing into one destination at once (SPEC §6).
// The files are written by package sink; the records come from package
// pipeline's record stage.
//
// # Files
//
// Convert runs the pipeline; each worker keeps a row buffer and an open file
// per partition (dt=yyyy-MM-dd, or dt=yyyy-MM-dd-HH by hour, by request
// time in UTC), writing a row group whenever a batch is full and rolling
// files at Options.TargetFileSize. Files are written in the run's private
// directory (<out>/.s3logs/tmp/<run>/ locally, under the system temporary
// directory for S3) and are named part-<run>-<worker>-<seq>.parquet.
//
// # Batches and the commit protocol
//
// A worker commits a batch between chunks, every Options.CommitBytes of
// input (or lines of 20,000 objects) and at the end: its closed files and
// the line ranges of the chunks whose records (those passing the filter)
// are in those files, and no other record. Lines the manifest already has
// are left out of a chunk and of its ranges. A batch goes through three
// steps:
//
//  1. Stage: the files are made ready but stay invisible (kept in the run
//     directory; on S3, uploaded as the parts of multipart uploads that
//     are not completed).
//  2. Commit: one entry, _manifest/log/<N>.json, names the batch, its
//     files (with how to publish them) and its ranges. Entries are
//     numbered from 1 without gaps and created with a conditional write
//     (a hard link locally, which fails if the name exists; PutObject with
//     If-None-Match: * on S3, which answers 412 if it exists), so of two
//     processes committing at once exactly one gets N. The other reads
//     entry N and checks its batch again: if entry N (or any earlier one)
//     converted some of the same lines, the batch is dropped (its staged
//     files too) and its objects are converted again in another round,
//     reading only the lines still missing; otherwise it tries N+1. After
//     a few rounds that another run keeps winning, Convert stops with
//     ErrBusy.
//  3. Publish: the files appear under their names (a rename; a completed
//     upload). A later entry says the batch is published.
//
// So a file is visible only once the manifest counts it, and a kill at
// any moment leaves either staged files nobody counts, or a committed
// batch whose files the next run publishes from its staging. Other entries
// mark objects complete (every line in a committed range), record floors
// (below), confirm publications, and fence or revoke the batches of dead
// runs (below).
//
// # Sources and objects
//
// The manifest names objects by identity, whichever way the command line
// spelled them: a local file by its absolute, cleaned path with symbolic
// links resolved; an S3 object by bucket and key, s3://bucket/key on AWS
// and the path-style URL on a custom endpoint (http://host:port/bucket/key).
// Stdin gets an identity of its run only. The log_object column keeps the
// name as listed.
//
// # Incremental runs at scale
//
// A run that listed a source from at most its floor and ends with every
// listed object complete raises the source's floor (per shard, with
// --shard) to the newest key time listed less the lateness
// (pipeline.Config.Lateness, --lateness, default 24h), held below any
// object still incomplete or in a batch not yet published. Every object of
// the source with a key time before its floor is complete: S3 makes an
// object listable within the lateness of its key time, so the run that
// listed saw it. The next run lists only keys after the floor (it raises
// pipeline.Config.Window.From, so S3 listing starts there with
// StartAfter), and takes objects below it as complete. An object that
// arrives later than the lateness into a range already converted is not
// read; a larger --lateness on a later run lists more but does not lower
// the floor.
//
// The log is compacted into checkpoints (like Delta Lake's), checkpoint/
// <N>.json.gz: the state after entry N without the complete objects a
// floor covers. A checkpoint is written when the log after the last one
// has 32 entries or more bytes than the checkpoint, and at the end of a
// run that raised a floor. Starting a run reads the newest checkpoint and
// the entries after it, so it reads about the objects of the last
// lateness window, however many were converted (BenchmarkIncrementalStart:
// the same manifest bytes, memory and LIST requests at 10,000 and
// 1,000,000 objects). The output files are listed, for readers of the
// manifest (ReadManifest), in files/ segments that checkpoints chain;
// log entries a checkpoint covers are removed after seven days, older
// checkpoints at once.
//
// # Runs that die
//
// A run registers at the destination while it lives: locally a lock file
// it holds (flock), which the kernel releases when the process dies, so a
// live run's directory is never removed; on S3 a heartbeat object,
// .s3logs/runs/<run>@<lease>, rewritten every quarter of Options.Lease
// (default 1 minute), so a run killed without warning seems alive until
// its lease passed by the server's clock. On start, a run finishes what
// dead runs left: it publishes their committed batches (revoking one whose
// staging is gone, after removing its visible files), fences them in the
// log (a commit of a fenced run is refused with ErrFenced, so a run taken
// for dead by mistake can commit nothing more), aborts their unfinished
// uploads that no batch names (only s3logs's own, by name, under the
// destination), and removes their run directories and heartbeats. At its
// end a run publishes what it committed, drops what it staged and did not
// commit, and aborts its own unfinished uploads.
//
// # Failed objects and the reject policy
//
// The record stage's reject policy applies (Strict, Rejects); a strict run
// commits only at its end. With pipeline.Config.SkipFailed an object that
// fails contributes nothing: a batch waits to commit until the objects it
// holds records of were read to their end, a batch holding records of an
// object that failed is dropped, and the object is listed in
// Stats.Failed. Without it a failure stops the run as an interruption
// would.
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
// worker with 64 MiB row groups). The manifest's state grows with the
// objects above the floor: in a first run over many small objects, with
// the objects converted since the run started, until its final checkpoint
// drops those below the new floor.
package convert
