#!/bin/sh
# make bench: runs the performance harness (bench/cmd/benchrun) and writes
# docs/performance.md. Extra arguments go to benchrun (see -h), e.g.
#   bench/run.sh -sizes 1000 -trees 10000 -runs 2 -out /tmp/perf.md
set -eu
cd "$(dirname "$0")/.."
start=$(date +%s)
go run ./bench/cmd/benchrun "$@"
echo "make bench: $(( $(date +%s) - start )) s wall time (including compilation)"
