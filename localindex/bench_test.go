package localindex

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// The benchmarks below need a generated tree of 200 000 files in 2 000
// directories and are opt-in: set LOCALINDEX_BENCH_TREE to a directory
// outside the repository (it is created on first use), or run
// localindex/bench.sh, which runs each benchmark in its own process so that
// the peak RSS reported is that benchmark's. Without the variable they skip.

const (
	benchDirs        = 2000
	benchFilesPerDir = 100
	benchMetaDirs    = 20 // the first dirs hold real JPEG headers, the next real HEIC
)

func benchTree(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("LOCALINDEX_BENCH_TREE")
	if dir == "" {
		b.Skip("set LOCALINDEX_BENCH_TREE=/tmp/localindex-bench (or run localindex/bench.sh) to run the 200 000-file benchmarks")
	}
	if _, err := os.Stat(dir + ".complete"); err == nil {
		return dir
	}
	if err := generateTree(b, dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

// generateTree writes an icloudpd-like tree: YYYY/MM/DD folders with 100
// files each (HEIC, JPG, MOV names). Files are sparse (realistic sizes, no
// blocks) except in the first 2×benchMetaDirs folders, which hold real JPEG
// and HEIC headers for the metadata benchmark.
func generateTree(b *testing.B, dir string) error {
	heic, err := os.ReadFile(filepath.Join("testdata", "sample.heic"))
	if err != nil {
		return err
	}
	day := time.Date(2018, 1, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	for d := 0; d < benchDirs; d++ {
		rel := day.Format("2006/01/02")
		for i := 0; i < benchFilesPerDir; i++ {
			mt := day.Add(time.Duration(i) * time.Minute)
			name, head := benchFile(b, d, n, mt, heic)
			p := writeFile(b, dir, rel+"/"+name, head, time.Time{})
			if head == nil {
				if err := os.Truncate(p, int64(1_000_000+n*7)); err != nil {
					return err
				}
			}
			if err := os.Chtimes(p, mt, mt); err != nil {
				return err
			}
			n++
		}
		day = day.AddDate(0, 0, 1)
	}
	return os.WriteFile(dir+".complete", []byte("ok\n"), 0o644)
}

func benchFile(b *testing.B, d, n int, mt time.Time, heic []byte) (string, []byte) {
	switch {
	case d < benchMetaDirs:
		return fmt.Sprintf("IMG_%04d.JPG", n%10000), jpegWithExif(b, mt.Format("2006:01:02 15:04:05"), "+01:00")
	case d < 2*benchMetaDirs:
		return fmt.Sprintf("IMG_%04d.HEIC", n%10000), heic
	case n%3 == 0:
		return fmt.Sprintf("IMG_%04d.MOV", n%10000), nil
	case n%3 == 1:
		return fmt.Sprintf("IMG_%04d.HEIC", n%10000), nil
	}
	return fmt.Sprintf("IMG_%04d-%d.JPG", n%10000, 1_000_000+n*7), nil
}

func reportRSS(b *testing.B) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peakRSS-MB")
	}
}

// BenchmarkFind is the yardstick: find DIR -printf '%s %T@\n' >/dev/null.
func BenchmarkFind(b *testing.B) {
	dir := benchTree(b)
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command("find", dir, "-printf", "%s %T@\n")
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdScan: a first scan (no saved index), including encoding and
// saving the index blob.
func BenchmarkColdScan(b *testing.B) {
	dir := benchTree(b)
	b.ResetTimer()
	for b.Loop() {
		ix, err := Open(context.Background(), NewMemKV(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := ix.Scan(context.Background(), ScanOptions{})
		if err != nil || res.Files != benchDirs*benchFilesPerDir {
			b.Fatalf("scan: %v, %d files", err, res.Files)
		}
	}
	reportRSS(b)
}

// BenchmarkWarmScan: a rescan with nothing changed (in-memory index).
func BenchmarkWarmScan(b *testing.B) {
	dir := benchTree(b)
	ix := scannedIndex(b, dir)
	b.ResetTimer()
	for b.Loop() {
		res, err := ix.Scan(context.Background(), ScanOptions{})
		if err != nil || res.DirsListed != 0 {
			b.Fatalf("warm scan: %v, listed %d", err, res.DirsListed)
		}
	}
	reportRSS(b)
}

// BenchmarkWarmScanAfterRestart: first scan of a new process, decoding the
// saved blob instead of listing.
func BenchmarkWarmScanAfterRestart(b *testing.B) {
	dir := benchTree(b)
	kv := NewMemKV()
	ix, err := Open(context.Background(), kv, dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ix.Scan(context.Background(), ScanOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		ix, err := Open(context.Background(), kv, dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res, err := ix.Scan(context.Background(), ScanOptions{}); err != nil || res.DirsListed != 0 {
			b.Fatalf("scan after restart: %v, listed %d", err, res.DirsListed)
		}
	}
}

func benchHeaders(b *testing.B, first int) {
	dir := benchTree(b)
	var paths []string
	day := time.Date(2018, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, first)
	for d := 0; d < benchMetaDirs; d++ {
		m, _ := filepath.Glob(filepath.Join(dir, day.Format("2006/01/02"), "*"))
		paths = append(paths, m...)
		day = day.AddDate(0, 0, 1)
	}
	b.ResetTimer()
	files := 0
	for b.Loop() {
		for _, p := range paths {
			if _, err := ReadCapture(p, 16<<20); err != nil {
				b.Fatalf("%s: %v", p, err)
			}
			files++
		}
	}
	b.ReportMetric(float64(files)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkHeaderJPEG and BenchmarkHeaderHEIC: header capture-time reads.
func BenchmarkHeaderJPEG(b *testing.B) { benchHeaders(b, 0) }

func BenchmarkHeaderHEIC(b *testing.B) { benchHeaders(b, benchMetaDirs) }

// BenchmarkMatch50: 50 assets against 200 000 files: 30 present by name and
// size, 10 present under another size (capture time decides), 10 absent.
func BenchmarkMatch50(b *testing.B) {
	dir := benchTree(b)
	ix := scannedIndex(b, dir)
	assets := benchAssets()
	start := time.Now()
	if _, err := ix.Match(context.Background(), assets, MatchOptions{}); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		ms, err := ix.Match(context.Background(), assets, MatchOptions{})
		if err != nil || ms[0].Confidence != photo.ConfidenceCertain {
			b.Fatalf("match: %v %+v", err, ms[0])
		}
	}
	// The first call builds the lookup maps and reads the headers it needs.
	b.ReportMetric(float64(first.Milliseconds()), "first-call-ms")
	reportRSS(b)
}

func benchAssets() []photo.Asset {
	var out []photo.Asset
	base := time.Date(2018, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 50; i++ {
		d := 100 + i*37
		n := d*benchFilesPerDir + 1 // n%3 == 1: a HEIC
		mt := base.AddDate(0, 0, d).Add(time.Minute)
		a := photo.Asset{ID: fmt.Sprint("A", i), Filename: fmt.Sprintf("IMG_%04d.HEIC", n%10000), Kind: photo.KindPhoto,
			Size: int64(1_000_000 + n*7), Taken: mt, Added: mt.Add(time.Hour), TZOffset: offset(0)}
		switch {
		case i >= 40:
			a.Filename, a.Taken = fmt.Sprintf("IMG_X%03d.HEIC", i), mt.Add(90*24*time.Hour)
		case i >= 30:
			a.Size++
		}
		out = append(out, a)
	}
	return out
}

// BenchmarkLookupBuild: what every Match call does before matching: read
// the saved rows of 200 000 files, keep the candidates of the 50 assets and
// build the matcher maps from them.
func BenchmarkLookupBuild(b *testing.B) {
	dir := benchTree(b)
	ix := scannedIndex(b, dir)
	w := newWanted(benchAssets(), MatchOptions{Tolerance: 2 * time.Second})
	b.ResetTimer()
	for b.Loop() {
		c, err := ix.gather(context.Background(), w)
		if err != nil {
			b.Fatal(err)
		}
		if len(c.files) == 0 {
			b.Fatal("no candidates")
		}
	}
	reportRSS(b)
}

// BenchmarkScanVsFind alternates find and our scans in one process, so that
// the load of a shared machine hits both alike, and reports the ratios the
// issue sets limits for (cold ≤ 1.5× find, warm ≤ 0.5× find).
func BenchmarkScanVsFind(b *testing.B) {
	dir := benchTree(b)
	warm := scannedIndex(b, dir)
	var tFind, tCold, tWarm time.Duration
	for b.Loop() {
		tFind += timeIt(b, func() error { return exec.Command("find", dir, "-printf", "%s %T@\n").Run() })
		tCold += timeIt(b, func() error {
			ix, err := Open(context.Background(), NewMemKV(), dir, Options{})
			if err == nil {
				_, err = ix.Scan(context.Background(), ScanOptions{})
			}
			return err
		})
		tWarm += timeIt(b, func() error { _, err := warm.Scan(context.Background(), ScanOptions{}); return err })
	}
	b.ReportMetric(tFind.Seconds()/float64(b.N), "find-s")
	b.ReportMetric(tCold.Seconds()/tFind.Seconds(), "cold/find")
	b.ReportMetric(tWarm.Seconds()/tFind.Seconds(), "warm/find")
	reportRSS(b)
}

func timeIt(b *testing.B, fn func() error) time.Duration {
	start := time.Now()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// scannedIndex opens an in-memory index of dir and scans it once.
func scannedIndex(b *testing.B, dir string) *Index {
	b.Helper()
	ix, err := Open(context.Background(), NewMemKV(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ix.Scan(context.Background(), ScanOptions{}); err != nil {
		b.Fatal(err)
	}
	return ix
}
