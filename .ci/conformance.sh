#!/usr/bin/env bash
# The conformance suite (issue 13): published Athena queries over S3 server
# access logs, each run unchanged through the built s3logs binary and
# compared with a hand-written DuckDB translation. A separate module (cgo,
# DuckDB) so the main module stays pure Go. About half a minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../query/conformance"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
go vet ./...
go test -count=1 ./...
