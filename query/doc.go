// Package query runs SQL over S3 server access logs: the dialect of
// Athena (Trino) that queries published for these logs use (SPEC §4) —
// AWS's documented examples, Knowledge Center articles, guidance
// repositories, runbooks — so they can be pasted unchanged and answered
// from local files or S3 through package pipeline.
//
// Compile parses (a hand-written lexer and recursive-descent parser),
// binds names (log columns through package schema, case-insensitive, with
// every alias of SPEC §3 and the derived columns log_object, log_line and
// timestamp; CTE, subquery and join columns by their relation),
// type-checks, folds constants and plans. Errors are *Error values that
// name the line, column and token, and suggest the nearest column,
// function or keyword for a typo. Plan.Run executes the plan on all cores
// and writes rows to a RowWriter (NewWriter gives CSV, JSON lines and
// aligned tables; Parquet and Arrow writers live in package sink).
//
// # Statements
//
//	[WITH name AS (query), ...] query [UNION|INTERSECT|EXCEPT [ALL] query ...]
//	  [ORDER BY ...] [OFFSET n] [LIMIT n]
//
// where a query is SELECT [DISTINCT] items [FROM from_item] [WHERE]
// [GROUP BY] [HAVING], and from_item is the logs (a table name, 's3://…'
// or a path), a CTE name, (subquery) [AS alias], or joins of these
// ([INNER|LEFT|RIGHT|FULL] [OUTER] JOIN ... ON|USING, CROSS JOIN, commas).
//
// # Semantics
//
// Trino's: three-valued logic with NULL (WHERE keeps rows whose condition
// is true), count(x) skips NULLs, sum/min/max/avg of no values are NULL,
// 1-based string positions. Integer arithmetic stays integer (7 / 2 = 3);
// 1.5 is an exact DECIMAL and arithmetic on decimals follows Trino's
// precision and scale rules (decimal.go), so sum(bytessent)/1073741824.0
// prints with one decimal as Athena does; 1e3 is a DOUBLE. Division by
// zero, a decimal overflow and a CAST that fails give NULL rather than
// failing a scan of terabytes. Absent log values (-, "-") are NULL, so
// requester IS NULL finds anonymous requests.
//
// Athena's table declares most columns STRING, so published queries
// compare typed columns with strings. Where a typed column meets a string
// — a comparison, LIKE, IN, a string function, CAST to varchar — it is
// read as the text Athena would see, the field as logged: httpstatus LIKE
// '5%', substr(requestdatetime, 1, 11) = '06/Feb/2019'. A comparison of a
// column with the literal '-' tests the NULL marker (requester = '-' is
// requester IS NULL). A string constant that reads as a timestamp still
// compares as one (requestdatetime >= '2019-07-01'), and keeps pruning
// objects by key time.
//
// Regular expressions are Java's in Trino and RE2 (Go's regexp) here: a
// pattern that uses lookaround, backreferences or possessive quantifiers
// is an error that says so. Timestamps have second precision and the
// session time zone is UTC; Options.Now fixes current_timestamp.
//
// # Plan
//
// Every SELECT whose FROM is the logs is a scan: its WHERE is pushed into
// the scan and its aggregation is done per worker. A subquery or a CTE
// read once that only filters and projects the logs is merged into the
// SELECT that reads it, so that SELECT's WHERE and aggregation run in the
// scan too. Everything above the scans — joins (hash joins, the right
// side held in memory), set operations, window functions, SELECTs over a
// subquery, CTE or join — works on the scans' merged rows, counted
// against RunOptions.MaxGroups. A CTE read more than once is computed
// once. The scans of a query share one pass over the logs unless one
// waits for a subquery's result (x IN (SELECT ... FROM logs)), which then
// runs in a later pass; standard input is kept in a temporary file for a
// query that reads it more than once. Explain prints the operator tree
// with what each scan pushed down and how many passes the query makes.
//
// # Pushdown
//
// WHERE is split into its AND-ed terms. Terms of the shape column op
// constant, BETWEEN constants, IS [NOT] NULL, LIKE and IN on a log field
// compile to checks on the raw field bytes of the parsed record (a string
// equality is a byte compare of the field's slice, a time range an integer
// compare on the request time, timestamp = 'yyyy/MM/dd' a time range,
// httpstatus LIKE '5%' a match on the logged digits); the rest are
// evaluated as expressions, after the cheap checks. Terms that imply the
// line contains a literal (operation = 'REST.DELETE.OBJECT', key = '…',
// operation LIKE '%DELETE%') become line prefilters checked with a byte
// search before the line is parsed at all, so non-matching lines cost one
// scan (pipeline.Config.Prefilter). Lines skipped by a prefilter are not
// validated; with the record stage's --rejects or --strict every line is
// parsed. Only the columns the query uses are ever decoded. Time bounds on
// requestdatetime or timestamp give the window (Plan.Window) that prunes
// log objects by key time before they are read.
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
