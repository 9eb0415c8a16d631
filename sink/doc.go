// Package sink writes parsed log records and query results as Apache
// Parquet or Arrow IPC files (SPEC §6).
//
// # Types
//
// Batch turns parse.Records into Arrow record batches with the SPEC §3
// schema and real types: requestdatetime is timestamp[us, UTC] (Parquet
// INT64 TIMESTAMP(MICROS, isAdjustedToUTC)), httpstatus int32, sizes and
// times int64, everything else utf8 with NULL for "-", then log_object and
// log_line. Parquet strings must be UTF-8, but S3 logs bytes as the client
// sent them: invalid UTF-8 sequences are replaced by U+FFFD in output
// strings (one per run of invalid bytes, as strings.ToValidUTF8 does).
//
// Converted output is written in Parquet without Arrow arrays: rows go
// into plain column buffers (the RowBuffer of NewRowBuffer(Parquet)), and arrow-go's low-level column writers encode them,
// with the same schema and the Arrow schema stored as pqarrow would store it.
// Parquet files are zstd-compressed by default (level 1), with statistics
// (except for requestid and hostid), dictionary encoding for httpstatus
// and every string column but the random IDs (requestid, hostid,
// versionid), and DELTA_BINARY_PACKED for requestdatetime and log_line;
// the pages of requestid and hostid are zstd frames of Huffman-coded
// literals only (no search for matches in random IDs). The string
// dictionaries are built while rows are buffered (one per column and row
// group) and handed to arrow-go as they are; a column chunk whose
// dictionary outgrows 8 MiB is written plain. FileWriter.WriteConcurrent
// encodes a row group's columns on several goroutines, for the last row
// groups of a conversion.
//
// ResultWriter writes typed rows (query results) to one file.
//
// FileWriter writes RowBuffers of parsed records as converted output
// files; package convert drives it. Destinations (a local directory or an
// S3 prefix) publish files atomically.
package sink
