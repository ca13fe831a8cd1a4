#!/bin/sh
# Runs the localindex performance benchmarks on a generated tree of 200 000
# files in 2 000 directories (created on first use; ~20 MB on disk, the rest
# sparse). Each benchmark runs in its own process so its peak RSS is its own.
#   localindex/bench.sh [TREE_DIR]     default /tmp/localindex-bench
set -eu
TREE=${1:-/tmp/localindex-bench}
cd "$(dirname "$0")"
BIN=$(mktemp -d)/localindex.test
go test -c -o "$BIN" .
export LOCALINDEX_BENCH_TREE="$TREE"
"$BIN" -test.run '^$' -test.bench '^BenchmarkFind$' -test.benchtime 1x >/dev/null # generate, warm the cache
for b in ScanVsFind Find ColdScan WarmScan WarmScanAfterRestart HeaderJPEG HeaderHEIC LookupBuild Match50; do
	"$BIN" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime 5x | grep '^Benchmark'
done
rm -f "$BIN"
