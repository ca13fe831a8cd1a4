package localindex

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/store"
)

// The tree benchmarks below measure a cold scan and a warm rescan of any
// existing tree (e.g. the 700 000-file tree of the cycle benchmarks, or the
// folder of the large section of make bench), one process per benchmark so
// that its peak RSS is the scan's:
//
//	LOCALINDEX_SCAN_TREE=/tmp/cyc700/tree /tmp/li.test -test.run '^$' -test.bench '^BenchmarkTreeColdScan$' -test.benchtime 1x
//	LOCALINDEX_SCAN_TREE=/tmp/cyc700/tree /tmp/li.test -test.run '^$' -test.bench '^BenchmarkTreeWarmScan$' -test.benchtime 3x
//	LOCALINDEX_SCAN_TREE=/tmp/cyc700/tree /tmp/li.test -test.run '^$' -test.bench '^BenchmarkTreeWarmRestart$' -test.benchtime 3x
//
// LOCALINDEX_SCAN_STORE=sqlite saves into a new SQLite store (as verify and
// the daemon do) instead of the in-memory one of make bench's scan child.
// With -test.cpuprofile the profile covers only the measured scans.

func scanTree(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("LOCALINDEX_SCAN_TREE")
	if dir == "" {
		b.Skip("set LOCALINDEX_SCAN_TREE to an existing tree to run the tree benchmarks")
	}
	return dir
}

// scanTreeKV returns the store of one scan and a function that closes it.
func scanTreeKV(b *testing.B) (KV, func()) {
	b.Helper()
	if os.Getenv("LOCALINDEX_SCAN_STORE") != "sqlite" {
		return NewMemKV(), func() {}
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "scan.db"))
	if err != nil {
		b.Fatal(err)
	}
	return db, func() { _ = db.Close() }
}

// BenchmarkTreeColdScan: a first scan of the tree (no saved index),
// including the batched saves.
func BenchmarkTreeColdScan(b *testing.B) {
	dir := scanTree(b)
	var cpu, wall time.Duration
	files := 0
	b.StopTimer()
	for range b.N {
		kv, done := scanTreeKV(b)
		ix, err := Open(context.Background(), kv, dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		c, t := cpuTime(), time.Now()
		b.StartTimer()
		res, err := ix.Scan(context.Background(), ScanOptions{})
		b.StopTimer()
		wall, cpu = wall+time.Since(t), cpu+cpuTime()-c
		if err != nil || len(res.Errors) > 0 {
			b.Fatalf("cold scan: %v, %v", err, res.Errors)
		}
		files = res.Files
		done()
	}
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms/op")
	reportRSS(b)
}

// BenchmarkTreeWarmScan: rescans with nothing changed of an index that a
// cold scan (not measured) filled, in the same process, as the scan child
// of make bench does.
func BenchmarkTreeWarmScan(b *testing.B) {
	dir := scanTree(b)
	kv, done := scanTreeKV(b)
	defer done()
	ix, err := Open(context.Background(), kv, dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ix.Scan(context.Background(), ScanOptions{}); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		c := cpuTime()
		res, err := ix.Scan(context.Background(), ScanOptions{})
		cpu += cpuTime() - c
		if err != nil || res.DirsListed != 0 {
			b.Fatalf("warm scan: %v, listed %d", err, res.DirsListed)
		}
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	reportRSS(b)
}

// BenchmarkTreeWarmRestart: what a repeat verify does with its folder
// before matching: open the SQLite store (quick_check done for the day),
// load the saved summaries, and rescan with nothing changed. A cold scan
// (not measured) fills the store first.
func BenchmarkTreeWarmRestart(b *testing.B) {
	dir := scanTree(b)
	path := filepath.Join(b.TempDir(), "scan.db")
	opts := store.Options{QuickCheckEvery: 24 * time.Hour}
	cycle := func(wantListed bool) {
		db, err := store.OpenWith(path, opts)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		ix, err := Open(context.Background(), db, dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := ix.Scan(context.Background(), ScanOptions{})
		if err != nil || (res.DirsListed == 0) == wantListed {
			b.Fatalf("scan: %v, listed %d", err, res.DirsListed)
		}
	}
	cycle(true)
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		c := cpuTime()
		cycle(false)
		cpu += cpuTime() - c
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	reportRSS(b)
}
