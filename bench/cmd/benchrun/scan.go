package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/icloudmon/icloudmon/localindex"
)

const (
	scanChildArg = "scan-child"
	filesPerDir  = 100
	// localindexTree is the file count of localindex's own benchmark tree
	// (2 000 directories × 100 files), shared with the Go benchmarks.
	localindexTree = 200_000
)

// scanTimes is what the scan child reports on stdout.
type scanTimes struct {
	Files int             `json:"files"`
	Cold  time.Duration   `json:"cold"`
	Warm  []time.Duration `json:"warm"`
	// ColdCPU is the user+sys time of the process during the cold scan
	// (getrusage RUSAGE_SELF before and after).
	ColdCPU time.Duration `json:"cold_cpu"`
}

// selfCPU returns the user+sys time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scanChild runs in its own process so that its peak RSS is the scan's:
// a cold scan (no saved index) and warm rescans with nothing changed.
func scanChild(dir string) int {
	ctx := context.Background()
	ix, err := localindex.Open(ctx, localindex.NewMemKV(), dir, localindex.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var t scanTimes
	start, cpu := time.Now(), selfCPU()
	res, err := ix.Scan(ctx, localindex.ScanOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	t.Cold, t.ColdCPU, t.Files = time.Since(start), selfCPU()-cpu, res.Files
	for range 3 {
		start = time.Now()
		if _, err := ix.Scan(ctx, localindex.ScanOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		t.Warm = append(t.Warm, time.Since(start))
	}
	if err := json.NewEncoder(os.Stdout).Encode(t); err != nil {
		return 1
	}
	return 0
}

// treeDir returns a generated tree of n files, creating it on first use.
func treeDir(cfg config, n int) (string, error) {
	dir := filepath.Join(cfg.work, fmt.Sprintf("tree-%d", n))
	if _, err := os.Stat(dir + ".complete"); err == nil {
		return dir, nil
	}
	if n == localindexTree {
		// localindex's generator: the same tree its Go benchmarks use.
		if _, err := goTest([]string{"LOCALINDEX_BENCH_TREE=" + dir}, "-run", "^$", "-bench", "^BenchmarkFind$", "-benchtime", "1x", "./localindex"); err != nil {
			return "", err
		}
		return dir, ageDirs(dir)
	}
	if err := writeTree(dir, n); err != nil {
		return "", err
	}
	if err := ageDirs(dir); err != nil {
		return "", err
	}
	return dir, os.WriteFile(dir+".complete", []byte("ok\n"), 0o600)
}

// writeTree writes n sparse files, 100 per YYYY/MM/DD directory, with
// icloudpd-like names, realistic sizes and mtimes.
func writeTree(dir string, n int) error {
	day := time.Date(2018, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		if i > 0 && i%filesPerDir == 0 {
			day = day.AddDate(0, 0, 1)
		}
		mt := day.Add(time.Duration(i%filesPerDir) * time.Minute)
		name := [...]string{"IMG_%04d.MOV", "IMG_%04d.HEIC", "IMG_%04d.JPG"}[i%3]
		p := filepath.Join(dir, day.Format("2006/01/02"), fmt.Sprintf(name, i%10000))
		if err := sparse(p, int64(1_000_000+i*7), mt); err != nil {
			return err
		}
	}
	return nil
}

// sparse creates path with size bytes (a hole) and mtime mt.
func sparse(path string, size int64, mt time.Time) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(path, mt, mt)
}

// timeFind runs find DIR -printf '%s %T@\n' >/dev/null.
func timeFind(dir string) (time.Duration, error) {
	d, _, err := timeFindPS(dir)
	return d, err
}

// timeFindPS is timeFind that also returns the finished process (its CPU
// time and peak RSS).
func timeFindPS(dir string) (time.Duration, *os.ProcessState, error) {
	start := time.Now()
	cmd := exec.CommandContext(context.Background(), "find", dir, "-printf", `%s %T@\n`) //nolint:gosec // a tree this harness generated
	if err := cmd.Run(); err != nil {
		return 0, nil, fmt.Errorf("find: %w", err)
	}
	return time.Since(start), cmd.ProcessState, nil
}

// runScanChild runs the scan in a child process and returns its times and
// peak RSS in bytes.
func runScanChild(dir string) (scanTimes, int64, error) {
	t, rss, _, err := runScanChildCPU(dir)
	return t, rss, err
}

// runScanChildCPU is runScanChild that also returns the child's CPU time
// (user+sys).
func runScanChildCPU(dir string) (scanTimes, int64, time.Duration, error) {
	self, err := os.Executable()
	if err != nil {
		return scanTimes{}, 0, 0, err
	}
	cmd, peak := withPeakRSS(self, scanChildArg, dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return scanTimes{}, 0, 0, fmt.Errorf("scan child: %w", err)
	}
	var t scanTimes
	if err := json.Unmarshal(out, &t); err != nil {
		return t, 0, 0, fmt.Errorf("scan child output: %w", err)
	}
	return t, peak(cmd.ProcessState), cpuOf(cmd.ProcessState), nil
}

// scanRow is one measured tree.
type scanRow struct {
	files                int
	find, cold, warm     time.Duration
	coldRatio, warmRatio float64
	rss                  int64
}

func measureTree(cfg config, n int) (scanRow, error) {
	dir, err := treeDir(cfg, n)
	if err != nil {
		return scanRow{}, err
	}
	if _, err := timeFind(dir); err != nil { // warms the page and dentry caches
		return scanRow{}, err
	}
	// find and the scan child alternate, so that the load of a shared
	// machine hits both alike
	var finds, colds, warms []time.Duration
	var rss int64
	for range 3 {
		d, err := timeFind(dir)
		if err != nil {
			return scanRow{}, err
		}
		t, peak, err := runScanChild(dir)
		if err != nil {
			return scanRow{}, err
		}
		if t.Files != n {
			return scanRow{}, fmt.Errorf("the scan of %s found %d files, want %d", dir, t.Files, n)
		}
		finds, colds, warms, rss = append(finds, d), append(colds, t.Cold), append(warms, median(t.Warm)), max(rss, peak)
	}
	row := scanRow{files: n, find: median(finds), cold: median(colds), warm: median(warms), rss: rss}
	row.coldRatio, row.warmRatio = row.cold.Seconds()/row.find.Seconds(), row.warm.Seconds()/row.find.Seconds()
	return row, nil
}

func scanSection(cfg config, r *report) error {
	var rows []scanRow
	for _, n := range cfg.trees {
		row, err := measureTree(cfg, n)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	r.printf("### 2. Local scan vs the file system's floor\n\n")
	r.printf("Generated icloudpd-like trees (`YYYY/MM/DD`, 100 files per directory, sparse files with realistic sizes) under %s, "+
		"directory mtimes set an hour back (an archive that was not just written: localindex re-lists a directory changed less "+
		"than 2 s before the previous scan). "+
		"Caches cannot be dropped here (no root), so `find` runs once first to warm the page and dentry caches, and every "+
		"number is from a warm cache: \"cold scan\" means no saved index (every directory listed, every file stat'ed, the index "+
		"encoded), \"warm rescan\" means the saved index is reused and nothing changed. `find DIR -printf '%%s %%T@\\n' >/dev/null` "+
		"runs 3 times, alternating with 3 child processes that each run a cold scan and 3 warm rescans; the table shows medians "+
		"(warm: the median of the children's medians) and the largest peak RSS of the children (`/usr/bin/time -f %%M`, or getrusage ru_maxrss without it).\n\n", os.TempDir())
	r.printf("| Files | find | cold scan | cold ÷ find | warm rescan | warm ÷ find | peak RSS of the scan |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range rows {
		r.printf("| %d | %s | %s | %.2f | %s | %.2f | %s |\n", w.files, secs(w.find), secs(w.cold), w.coldRatio, secs(w.warm), w.warmRatio, mb(w.rss))
	}
	r.printf("\n")
	big := rows[len(rows)-1]
	r.target("5", fmt.Sprintf("warm rescan ≤ 0.5× find (%d files)", big.files), big.warmRatio <= 0.5, "%.2f×", big.warmRatio)
	r.target("5", fmt.Sprintf("cold scan ≤ 1.5× find (%d files)", big.files), big.coldRatio <= 1.5, "%.2f×", big.coldRatio)
	r.target("5", fmt.Sprintf("peak RSS ≤ 150 MB (%d files)", big.files), big.rss <= 150_000_000, "%s", mb(big.rss))
	return nil
}
