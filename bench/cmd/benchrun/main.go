// Command benchrun is the performance harness behind `make bench`. It
// measures, in one run on one machine:
//
//  1. what a monitoring cycle costs iCloud (requests and bytes) against the
//     fake, next to a whole-library walk;
//  2. the local folder scan next to find(1) on the same generated trees;
//  3. the latency of `icloudmon verify`, the binary size and the idle RSS
//     of `icloudmon run`;
//  4. the Go benchmarks of the hot paths, run twice and compared with
//     benchstat;
//
// and writes the tables to docs/performance.md. Run it from the repository
// root: go run ./bench/cmd/benchrun.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is the command line.
type config struct {
	out      string // Markdown file written at the end
	work     string // scratch directory (trees, folders, binaries)
	sizes    []int  // library sizes of sections 1 and 3
	trees    []int  // file counts of section 2
	runs     int    // repeated verify runs and find/warm-scan repetitions
	keepWork bool
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == scanChildArg {
		os.Exit(scanChild(os.Args[2]))
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	var cfg config
	var sizes, trees string
	fs.StringVar(&cfg.out, "out", "docs/performance.md", "Markdown file to write")
	fs.StringVar(&cfg.work, "work", filepath.Join(os.TempDir(), "icloudmon-bench"), "scratch directory (removed at the end)")
	fs.StringVar(&sizes, "sizes", "1000,10000,100000", "library sizes (assets) for the cloud and cycle sections")
	fs.StringVar(&trees, "trees", "10000,200000", "file counts of the generated trees for the scan section")
	fs.IntVar(&cfg.runs, "runs", 5, "repetitions for medians")
	fs.BoolVar(&cfg.keepWork, "keep", false, "keep the scratch directory")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var err error
	if cfg.sizes, err = intList(sizes); err != nil {
		return cfg, fmt.Errorf("-sizes: %w", err)
	}
	if cfg.trees, err = intList(trees); err != nil {
		return cfg, fmt.Errorf("-trees: %w", err)
	}
	if cfg.runs < 1 {
		return cfg, fmt.Errorf("-runs must be at least 1")
	}
	return cfg, nil
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// section is one part of the report.
type section struct {
	title string
	run   func(cfg config, r *report) error
}

func run(cfg config) error {
	start := time.Now()
	if err := os.MkdirAll(cfg.work, 0o750); err != nil {
		return fmt.Errorf("creating the scratch directory: %w", err)
	}
	if !cfg.keepWork {
		defer func() { _ = os.RemoveAll(cfg.work) }() //nolint:gosec // the scratch directory given on the command line
	}
	r := newReport(start)
	sections := []section{
		{"Cloud cost per cycle", cloudSection},
		{"Local scan vs find", scanSection},
		{"Whole cycle, binary size, idle RSS", cycleSection},
		{"Go benchmarks", goBenchSection},
	}
	failed := 0
	for _, s := range sections {
		t0 := time.Now()
		slog.Info("section", "name", s.title)
		if err := s.run(cfg, r); err != nil {
			failed++
			slog.Error("section failed", "name", s.title, "err", err)
			r.failure(s.title, err)
		}
		slog.Info("section done", "name", s.title, "took", time.Since(t0).Round(time.Second))
	}
	r.finish(time.Since(start))
	if err := os.WriteFile(cfg.out, []byte(r.markdown()), 0o644); err != nil { //nolint:gosec // a documentation file
		return fmt.Errorf("writing %s: %w", cfg.out, err)
	}
	slog.Info("written", "file", cfg.out, "took", time.Since(start).Round(time.Second))
	if failed > 0 {
		return fmt.Errorf("%d of %d sections failed (see %s)", failed, len(sections), cfg.out)
	}
	return nil
}
