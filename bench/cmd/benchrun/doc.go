package main

// docIntro opens docs/performance.md; the results follow it.
const docIntro = `# Performance

icloudmon claims to be cheap for Apple and for the NAS. This page shows it with numbers from one command,
` + "`make bench`" + ` (the harness is ` + "`bench/cmd/benchrun`" + `), run on one machine in one go, so that regressions are
visible. Everything below the "Results" heading is generated; rerun ` + "`make bench`" + ` to refresh it. On the 2-core
machine below it takes about 4 minutes once the build cache is warm; the very first run also compiles the release
binary and the test binaries (modernc.org/sqlite is large: several more minutes on a busy machine). Trees and folders
go to $TMPDIR/icloudmon-bench and are removed afterwards.

What is measured:

1. **Cloud cost per cycle** against the fake iCloud (` + "`internal/fakeicloud`" + `) with generated libraries of 1 000, 10 000
   and 100 000 assets (` + "`icloudapi/photos_cost_bench_test.go`" + `): the requests and response bytes of
   ` + "`PhotosSnapshot`" + ` for a cycle with no change and a cycle after one upload (each given the previous snapshot),
   next to the approach of backup tools — enumerating the whole library page by page — against the same fake.
   icloudmon's cost is flat in the library size; the walk's is linear.
2. **Local scan vs find**: cold scan and warm rescan of generated trees of 10 000 and 200 000 files (the big one in
   2 000 directories; it is localindex's own benchmark tree) next to ` + "`find DIR -printf '%s %T@\\n' >/dev/null`" + ` in the
   same run, and the scan's peak RSS measured in a child process.
3. **Whole cycle**: ` + "`icloudmon verify`" + ` (the release binary, as a separate process) against the fake for the same
   library sizes, first and repeated runs; the binary size; the RSS of ` + "`icloudmon run`" + ` after its first cycle.
4. **Go benchmarks** of the hot paths with ` + "`-benchmem`" + `, run twice and compared with benchstat.

Caveats: the machine is shared (see the load average below: other jobs ran at the same time), so wall times carry
noise; ratios measured in the same run (scan ÷ find) are the robust numbers. Page caches cannot be dropped without
root, so find runs first to warm them and every scan number is from a warm cache. Bytes are uncompressed JSON.

Run parts of it by hand: ` + "`go run ./bench/cmd/benchrun -sizes 1000 -trees 10000 -runs 2 -out /tmp/perf.md`" + `;
` + "`ICLOUDMON_BENCH_SIZES=1000,100000 go test -run '^$' -bench CloudCost -benchtime 1x ./icloudapi`" + `;
` + "`localindex/bench.sh`" + ` for the localindex benchmarks alone.

`
