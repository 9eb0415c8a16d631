// Package lake reads converted output — the Parquet or Arrow IPC files of
// s3logs convert, or files with the same columns written by another
// engine (DuckDB's COPY, Athena's CTAS) — as the table of SPEC §3 and §8,
// local or on S3, and hands its rows to the same consumers as log objects
// (query's scans, the report) as parse.Records, so that every command
// answers the same over the lake as over the text the lake came from.
//
// # Sources
//
// Detect tells a SOURCE that holds converted output from one that holds
// log objects by its layout and content, not its names alone: a
// _manifest/ directory, Hive partition directories (dt=2024-03-01/), or
// files that open with Parquet's or Arrow's magic bytes. Where a manifest
// is present only the files it names are read (a file a killed convert
// left behind is never read); a named file that is missing is a failed
// object. Without a manifest every file under the source is read but those
// in a directory or with a name starting with "." or "_" (as Hive, Spark
// and Athena do). A file in dt=VALUE/ gets VALUE as its partition column
// dt.
//
// # Pruning and reading
//
// Run reads only the columns the consumer uses (Scan.Columns). The
// scan's filters (Scan.Filters, from the conjunctive part of WHERE) and
// time window prune, in this order: partitions by their dt value (before
// a file is opened), row groups by their column statistics (min, max,
// null count: time windows, equality, IN, ranges, LIKE with a literal
// prefix), row groups by their dictionary pages (equality, IN and LIKE on
// a column chunk wholly dictionary encoded: if no value in the dictionary
// matches, no row can), then rows: the filter columns of a batch of rows
// are read first (a filter on a dictionary column is checked once per
// dictionary value, then per row by its index) and the other columns only
// of the batches where some row passes, and only at the rows that pass
// when they are few (late materialization: dictionary indices are skipped
// in their encoded runs, delta-encoded integers converted only there).
// Filters are conservative: the consumer still checks its whole WHERE on
// each record handed to it.
//
// Files and row groups are read in parallel, each row group by one worker.
// S3 objects are read with ranged GETs — the footer first, then the column
// chunks a row group needs, adjacent ones in one request — through
// pipeline.S3Objects, so with the log objects' client, retries, request
// counts and Config.Concurrency bound, and at most Config.MaxBuffered
// bytes of column chunks are held at once.
//
// # Records
//
// A row becomes a parse.Record through a parse.Assembler: strings as their
// text, integers as their digits, the request time as seconds (and its
// text in S3's form, in UTC), so the string view of typed columns (SPEC
// §4) reads the same text. log_object, log_line and dt come through
// schema.Origin (Records.Origin). A file's columns are found by name or
// alias, ignoring case; a column the consumer uses that a file lacks is an
// error that names it and the file. Types are read as they are written: a
// string column holding numbers or the log's time text (Athena's table
// declares most columns STRING), INT96 or any unit of TIMESTAMP.
//
// A file counts whole or not at all: the parts of its row groups are
// committed to the consumer once every row group was read, and dropped if
// one fails (pipeline.Config.SkipFailed), as the record stage does for a
// log object.
package lake
