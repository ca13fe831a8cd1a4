package localindex

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

// The cycle benchmarks measure what one verify (or one daemon cycle) costs
// the local index: open the store, load the index, rescan a folder where
// nothing changed, match 150 assets (50 newest, 100 Recently Deleted), with
// the real SQLite store. They are opt-in and use a sparse icloudpd-like tree
// of LOCALINDEX_CYCLE_FILES files (default 130 000; 100 per directory) in
// LOCALINDEX_CYCLE_DIR. The first run prepares the tree and the store (cold
// scan, first match); run again in a new process to measure a repeat verify
// whose peak RSS is its own:
//
//	go test -c -o /tmp/li.test ./localindex
//	LOCALINDEX_CYCLE_DIR=/tmp/cyc130k /tmp/li.test -test.run '^$' -test.bench 'Cycle' -test.benchtime 1x  # prepare
//	LOCALINDEX_CYCLE_DIR=/tmp/cyc130k /tmp/li.test -test.run '^$' -test.bench '^BenchmarkRepeatVerify$' -test.benchtime 5x
//	LOCALINDEX_CYCLE_DIR=/tmp/cyc130k /tmp/li.test -test.run '^$' -test.bench '^BenchmarkDaemonCycle$' -test.benchtime 5x
//
// The file uses only API that existed before issue 25, so it also runs
// against the old code for before/after figures.

type cycleBench struct {
	dir, tree, db string
	files         int
	assets        []photo.Asset
}

func newCycleBench(b *testing.B) *cycleBench {
	b.Helper()
	dir := os.Getenv("LOCALINDEX_CYCLE_DIR")
	if dir == "" {
		b.Skip("set LOCALINDEX_CYCLE_DIR (and LOCALINDEX_CYCLE_FILES) to run the cycle benchmarks")
	}
	n := 130_000
	if s := os.Getenv("LOCALINDEX_CYCLE_FILES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			b.Fatalf("LOCALINDEX_CYCLE_FILES=%q: want a number ≥ 1000", s)
		}
		n = v
	}
	c := &cycleBench{dir: dir, tree: filepath.Join(dir, "tree"), db: filepath.Join(dir, store.FileName), files: n - n%100}
	if _, err := os.Stat(filepath.Join(dir, "tree.complete")); err != nil {
		c.generate(b)
	}
	c.assets = c.makeAssets()
	if _, err := os.Stat(c.db); err != nil {
		c.cycle(b, nil) // cold scan and first match
	}
	return c
}

var cycleBase = time.Date(2010, 1, 1, 12, 0, 0, 0, time.UTC)

// cycleFile is the n-th file of the tree: directory d = n/100, one a day.
func cycleFile(n int) (rel string, size int64, mt time.Time) {
	day := cycleBase.AddDate(0, 0, n/100)
	mt = day.Add(time.Duration(n%100) * time.Minute)
	name := fmt.Sprintf("IMG_%04d.HEIC", n%10000)
	switch n % 3 {
	case 0:
		name = fmt.Sprintf("IMG_%04d.MOV", n%10000)
	case 2:
		name = fmt.Sprintf("IMG_%04d-%d.JPG", n%10000, 1_000_000+n*7)
	}
	return day.Format("2006/01/02") + "/" + name, int64(1_000_000 + n*7), mt
}

func (c *cycleBench) generate(b *testing.B) {
	b.Helper()
	old := time.Now().Add(-time.Hour)
	var last string
	for n := 0; n < c.files; n++ {
		rel, size, mt := cycleFile(n)
		p := filepath.Join(c.tree, filepath.FromSlash(rel))
		if d := filepath.Dir(p); d != last {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
			last = d
		}
		f, err := os.Create(p)
		if err == nil {
			err = f.Truncate(size)
		}
		if err == nil {
			err = f.Close()
		}
		if err == nil {
			err = os.Chtimes(p, mt, mt)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	err := filepath.WalkDir(c.tree, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			return os.Chtimes(p, old, old)
		}
		return err
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(c.dir, "tree.complete"), []byte("ok\n"), 0o644)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// makeAssets: 50 newest (the last files, by name and size; 10 of them with
// another size, so capture time decides) and 100 spread over the tree
// (Recently Deleted), 10 of which have no local copy.
func (c *cycleBench) makeAssets() []photo.Asset {
	var out []photo.Asset
	add := func(id string, n int, sizeDelta int64, absent bool) {
		rel, size, mt := cycleFile(n)
		a := photo.Asset{ID: id, Filename: filepath.Base(rel), Kind: photo.KindPhoto, Size: size + sizeDelta, Taken: mt,
			Added: mt.Add(time.Hour), TZOffset: offset(0)}
		if n%3 == 0 {
			a.Kind = photo.KindVideo
		}
		if absent {
			a.Filename, a.Taken = fmt.Sprintf("IMG_X%03d.HEIC", len(out)), mt.Add(90*24*time.Hour)
		}
		out = append(out, a)
	}
	for i := 0; i < 50; i++ {
		add(fmt.Sprint("N", i), c.files-1-i*3, map[bool]int64{true: 1}[i%5 == 0], false)
	}
	for i := 0; i < 100; i++ {
		add(fmt.Sprint("D", i), (i*7919)%c.files, 0, i%10 == 0)
	}
	return out
}

// cycle is one verify: open the store and the index, scan, match, close.
// ix, when given, is a daemon's index kept between cycles.
func (c *cycleBench) cycle(b *testing.B, ix *Index) {
	b.Helper()
	ctx := context.Background()
	if ix == nil {
		db, err := store.Open(c.db)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if ix, err = Open(ctx, db, c.tree, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	res, err := ix.Scan(ctx, ScanOptions{})
	if err != nil || res.Files != c.files {
		b.Fatalf("scan: %v, %d files, want %d", err, res.Files, c.files)
	}
	ms, err := ix.Match(ctx, c.assets, MatchOptions{})
	if err != nil {
		b.Fatal(err)
	}
	found := 0
	for _, m := range ms {
		if m.Confidence != photo.ConfidenceNone {
			found++
		}
	}
	if found != 140 {
		b.Fatalf("%d of 150 assets found, want 140", found)
	}
}

// BenchmarkRepeatVerify: one verify after a warm one, in this process.
func BenchmarkRepeatVerify(b *testing.B) {
	c := newCycleBench(b)
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		c.cycle(b, nil)
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	reportRSS(b)
	reportHeap(b)
}

// BenchmarkDaemonCycle: cycles of a daemon that keeps its index open.
func BenchmarkDaemonCycle(b *testing.B) {
	c := newCycleBench(b)
	db, err := store.Open(c.db)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ix, err := Open(context.Background(), db, c.tree, Options{})
	if err != nil {
		b.Fatal(err)
	}
	c.cycle(b, ix)
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		c.cycle(b, ix)
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	reportRSS(b)
	reportHeap(b)
	runtime.KeepAlive(ix) // the daemon's index counts in the live heap
}

// cpuTime is the user and system CPU time of this process so far: on a
// shared machine a steadier figure than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportHeap reports the live heap after a GC: what the process keeps
// between cycles.
func reportHeap(b *testing.B) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "liveHeap-MB")
}
