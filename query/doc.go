// Package query runs SQL over S3 server access logs: the subset of Athena's
// (Trino's) dialect that AWS's documented example queries use (SPEC §4),
// so they can be pasted unchanged — table names, mixed-case column names,
// parse_datetime(RequestDateTime, 'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN … and
// all — and answered from local files or S3 through package pipeline.
//
// Compile parses (a hand-written lexer and recursive-descent parser),
// binds names against package schema (case-insensitive, with every alias
// of SPEC §3 and the derived columns log_object, log_line and timestamp),
// type-checks, folds constants and plans. Errors are *Error values that
// name the line, column and token, and suggest the nearest column name for
// a typo. Plan.Run executes the plan on all cores and writes rows to a
// RowWriter (NewWriter gives CSV, JSON lines and aligned tables; Parquet
// and Arrow writers live in package sink).
//
// # Semantics
//
// SQL's: three-valued logic with NULL (WHERE keeps rows whose condition is
// true), count(x) skips NULLs, sum/min/max/avg of no values are NULL,
// integer arithmetic stays integer (7 / 2 = 3) and decimal literals make
// doubles; division by zero gives NULL rather than failing a scan of
// terabytes. LIKE supports % and _ (one character) and ESCAPE. A string
// constant compared with a timestamp or number is read as one
// (requestdatetime >= '2019-07-01'). Absent log values (-, "-") are NULL,
// so requester IS NULL finds anonymous requests.
//
// # Pushdown
//
// WHERE is split into its AND-ed terms. Terms of the shape column op
// constant, BETWEEN constants, IS [NOT] NULL, LIKE and IN on a log field
// compile to checks on the raw field bytes of the parsed record (a string
// equality is a byte compare of the field's slice, a time range an integer
// compare on the request time, timestamp = 'yyyy/MM/dd' a time range); the
// rest are evaluated as expressions, after the cheap checks. Terms that
// imply the line contains a literal (operation = 'REST.DELETE.OBJECT',
// key = '…', operation LIKE '%DELETE%') become line prefilters checked
// with a byte search before the line is parsed at all, so non-matching
// lines cost one scan (pipeline.Config.Prefilter). Lines skipped by a
// prefilter are not validated; with the record stage's --rejects or
// --strict every line is parsed. Only the
// columns the query uses are ever decoded. Time bounds on requestdatetime
// or timestamp give the window (Plan.Window) that prunes log objects by
// key time before they are read.
//
// # Execution
//
// A Plan run is a consumer of the pipeline's record stage: workers scan
// blocks of whole lines with per-worker state and no locks on the hot
// path. Aggregates use one hash table per worker keyed by a byte encoding
// of the group values, merged at the end; results do not depend on the
// number of workers. A log object counts whole or not at all: the records
// of an object read in several blocks go to per-object parts (their own
// groups, rows, or held rows), merged only once the object was read to its
// end and dropped if it fails; an object read in one block writes into the
// worker's state directly. Queries without
// aggregation or ORDER BY stream their rows (memory stays flat; LIMIT stops
// the scan early). ORDER BY with LIMIT keeps a bounded top list per worker;
// ORDER BY without LIMIT collects every row before sorting. Aggregated
// rows without ORDER BY are written in ascending order of their values.
//
// count(DISTINCT x) is exact (it keeps the distinct values).
// approx_distinct is a HyperLogLog with 4096 registers: standard error
// about 1.6%. approx_percentile(x, p) uses a mergeable log-bucket sketch
// (DDSketch-style) with 1% relative accuracy: the result is within 1% of
// the value at rank ceil(p·n) of the non-NULL inputs.
package query
