#!/usr/bin/env bash
# Counts the instructions one iteration of a Go benchmark executes, with
# callgrind, which is repeatable on a loaded machine where timings are not.
# The benchmark runs at two iteration counts and the difference is divided
# by the extra iterations, so setup (building inputs, the runtime) drops out.
# Both counts must be above 1: for -benchtime Nx with N > 1 the testing
# package runs the benchmark function once with b.N = 1 first, so at 1 and
# 3 the difference would hold one setup more than at 2 and 6.
#
#   bench/instructions.sh ./parse BenchmarkScan        # instructions per op
#   bench/instructions.sh ./parse BenchmarkScan 2 10   # at 2 and 10 iterations
#
# GOGC=off and no async preemption keep the garbage collector and signals
# from adding instructions that vary between runs.
set -euo pipefail
pkg=$1 bench=$2 lo=${3:-2} hi=${4:-6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/t.test" "$pkg"
count() {
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" \
		"$tmp/t.test" -test.run '^$' -test.bench "^$bench\$" -test.benchtime "${1}x" -test.count 1 >/dev/null 2>"$tmp/err.$1" ||
		{ cat "$tmp/err.$1" >&2; exit 1; }
	grep -m1 '^summary:' "$tmp/cg.$1" | awk '{print $2}'
}
a=$(count "$lo")
b=$(count "$hi")
echo "$bench: $(( (b - a) / (hi - lo) )) instructions/op (callgrind, $lo and $hi iterations)"
