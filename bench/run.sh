#!/usr/bin/env bash
# Regenerates bench/RESULTS.md: s3logs against DuckDB and GoAccess on the
# same generated data (bench/peers), plus `s3logs bench` and the parser's
# Go benchmarks, with the machine it ran on.
#
#   bench/run.sh                      # 637 MB (1M lines), 5 repetitions -> bench/RESULTS.md
#   bench/run.sh --size 200 --reps 5  # smaller/larger runs
#   bench/run.sh --size 2 --check-only  # CI: answers must agree; no speeds, no file written
#
# Needs gcc (the DuckDB bindings use cgo) and, for the GoAccess row,
# goaccess (apt-get install goaccess); without it that row is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

size=637
reps=5
check=
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--check-only) check=--check-only; shift ;;
	*) echo "usage: bench/run.sh [--size MB] [--reps N] [--check-only]" >&2; exit 2 ;;
	esac
done

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# The binary timed is the release build (.ci/build.sh: no cgo, stripped),
# the one users download: a cgo build starts a few ms slower.
bash .ci/build.sh "$bin/s3logs"
(cd bench/peers && CGO_ENABLED=1 go build -o "$bin/peers" .)

if [ -n "$check" ]; then
	"$bin/peers" --size "$size" --reps 1 --check-only --s3logs "$bin/s3logs"
	exit
fi
out=bench/RESULTS.md
tmp=$(mktemp)
{
	echo "# Benchmark results"
	echo
	echo "Regenerate with \`bench/run.sh --size $size --reps $reps\` (writes this file)."
	echo
	echo "## Machine"
	echo
	echo '```'
	echo "date:   $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GB", $2/1e6}' /proc/meminfo)"
	echo "kernel: $(uname -sr)"
	echo "go:     $(go env GOVERSION)"
	echo "binary: s3logs as released, built by .ci/build.sh"
	echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min load average when the run started)"
	echo '```'
	echo
	echo "## s3logs vs DuckDB vs GoAccess (bench/peers)"
	echo
	echo "Same file, same questions, interleaved, medians. The answers are checked to agree before"
	echo "any speed is printed. DuckDB reads the log with read_csv (space-delimited, quoted fields)"
	echo "and a typed view per SPEC §3; its CSV reader cannot parse the format's traps (quotes inside"
	echo "quoted fields and the like), so this data has none."
	echo
	"$bin/peers" --size "$size" --reps "$reps" --s3logs "$bin/s3logs"
	echo
	echo "## s3logs bench ($size MB generated in memory, with traps)"
	echo
	echo '```'
	"$bin/s3logs" bench --size "${size}MB" --reps "$reps"
	echo '```'
	echo
	echo "## Parser micro-benchmarks (go test -bench . ./parse)"
	echo
	echo '```'
	go test -run '^$' -bench . -benchmem ./parse
	echo '```'
	if [ -f bench/ANALYSIS.md ]; then
		echo
		cat bench/ANALYSIS.md
	fi
} > "$tmp"
mv "$tmp" "$out"
echo "wrote $out" >&2
