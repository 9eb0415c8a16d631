// Package conformance holds the conformance suite of published Athena
// queries over S3 server access logs (issue 13, SPEC §4): each query, as
// AWS's documentation, the AWS Knowledge Center, AWS sample repositories,
// blog posts and runbooks publish it (only literals changed, so that the
// answer over the generated data is not empty), is run unchanged through
// the built s3logs binary and compared with a hand-written DuckDB
// translation that implements Athena's (Trino's) semantics over the same
// log bytes.
//
// The queries live in testdata/queries.txt (see ParseQueries for the
// format). The test (go test in this directory) generates the data with
// package gen, builds cmd/s3logs from the repository, loads the raw log
// text into DuckDB, runs every query through both and fails by name for
// each query whose answers differ, printing the difference. With -status
// FILE it also writes the pass/fail table grouped by cause (STATUS.md).
//
// It is a module of its own because the DuckDB bindings need cgo and the
// main module stays pure Go; nothing in the main module imports it.
package conformance
