// Package sink writes parsed log records and query results as Apache
// Parquet or Arrow IPC files (SPEC §6).
//
// Batch turns parse.Records into Arrow record batches with the SPEC §3
// schema and real types: requestdatetime is timestamp[us, UTC] (Parquet
// INT64 TIMESTAMP(MICROS, isAdjustedToUTC)), httpstatus int32, sizes and
// times int64, everything else utf8 with NULL for "-", then log_object and
// log_line. Parquet strings must be UTF-8, but S3 logs bytes as the client
// sent them: invalid UTF-8 sequences are replaced by U+FFFD in output
// strings (one per run of invalid bytes, as strings.ToValidUTF8 does).
//
// ResultWriter writes typed rows (query results) to one file.
package sink
