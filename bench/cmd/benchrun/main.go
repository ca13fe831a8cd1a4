// Command benchrun is the performance harness behind `make bench`. It
// measures, in one run on one machine:
//
//  1. what a monitoring cycle costs iCloud (requests and bytes) against the
//     fake, next to a whole-library walk; the first fill of the audit's
//     mirror next to the same walk, and the audit's comparison (1b);
//  2. the local folder scan next to find(1) on the same generated trees;
//  3. the latency of `icloudmon verify`, the binary size and the idle RSS
//     of `icloudmon run`;
//  4. the Go benchmarks of the hot paths, run twice and compared with
//     benchstat;
//
// and writes the tables to docs/performance.md. Run it from the repository
// root: go run ./bench/cmd/benchrun. With -daemon SIZES it measures instead
// the RSS of `icloudmon run` filling and comparing the audit's mirror
// (daemon.go) and prints its table.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
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
	// large section (issue 25), off unless -large is given
	large     []int // library sizes (assets)
	largeRuns int   // find/scan alternations and repeat verify runs per size
	sections  []string
	// daemon measurement (issue 20), only with -daemon; it replaces the
	// sections
	daemon        []int // library sizes (assets mirrored)
	daemonGCTrace bool
	daemonBin     string        // a prebuilt icloudmon instead of the release build
	daemonWait    time.Duration // the longest wait for one phase
}

// sectionNames are the sections -sections may select; "large" needs -large.
var sectionNames = []string{"cloud", "audit", "scan", "cycle", "gobench", "large"}

func main() {
	if len(os.Args) == 3 && os.Args[1] == scanChildArg {
		os.Exit(scanChild(os.Args[2]))
	}
	if len(os.Args) > 1 && os.Args[1] == serveArg {
		os.Exit(serve(os.Args[2:]))
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	if len(cfg.daemon) > 0 {
		if err := runDaemonMode(cfg, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun:", err)
			os.Exit(1)
		}
		return
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
	var large, sections string
	fs.StringVar(&large, "large", "", "library sizes (assets) of the large section, e.g. 500000,715000 (about 0.7 and 1.0 million files); empty: no large section")
	fs.IntVar(&cfg.largeRuns, "large-runs", 2, "repetitions per size in the large section")
	fs.StringVar(&sections, "sections", "", "comma-separated sections to run ("+strings.Join(sectionNames, ", ")+"); default all, large only with -large. "+
		"Running the large section alone replaces only its block in -out")
	var daemon string
	fs.StringVar(&daemon, "daemon", "", "measure only the RSS of 'icloudmon run' filling and comparing the audit mirror of libraries of these sizes "+
		"(e.g. 100000,500000; about 25 minutes each plus the fill) and print its table; docs/performance.md is not written")
	fs.BoolVar(&cfg.daemonGCTrace, "daemon-gctrace", false, "run the daemon with GODEBUG=gctrace=1 (its log is in the scratch directory, kept with -keep)")
	fs.StringVar(&cfg.daemonBin, "daemon-bin", "", "measure this icloudmon binary instead of building the release binary (e.g. a build with a profiling endpoint)")
	fs.DurationVar(&cfg.daemonWait, "daemon-wait", time.Hour, "the longest wait for one phase of the daemon measurement")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if daemon != "" {
		var err error
		if cfg.daemon, err = intList(daemon); err != nil {
			return cfg, fmt.Errorf("-daemon: %w", err)
		}
		if sections != "" || large != "" {
			return cfg, fmt.Errorf("-daemon runs alone; leave out -sections and -large")
		}
	}
	if large != "" {
		var err error
		if cfg.large, err = intList(large); err != nil {
			return cfg, fmt.Errorf("-large: %w", err)
		}
	}
	if cfg.largeRuns < 1 {
		return cfg, fmt.Errorf("-large-runs must be at least 1")
	}
	cfg.sections = sectionNames[:len(sectionNames)-1]
	if len(cfg.large) > 0 {
		cfg.sections = sectionNames
	}
	if sections != "" {
		cfg.sections = nil
		for _, s := range strings.Split(sections, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(sectionNames, s) {
				return cfg, fmt.Errorf("-sections: %q is not one of %s", s, strings.Join(sectionNames, ", "))
			}
			if s == "large" && len(cfg.large) == 0 {
				return cfg, fmt.Errorf("-sections large needs -large SIZES (e.g. -large 500000,715000)")
			}
			cfg.sections = append(cfg.sections, s)
		}
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
	name, title string
	run         func(cfg config, r *report) error
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
	all := []section{
		{"cloud", "Cloud cost per cycle", cloudSection},
		{"audit", "Whole-library audit", auditSection},
		{"scan", "Local scan vs find", scanSection},
		{"cycle", "Whole cycle, binary size, idle RSS", cycleSection},
		{"gobench", "Go benchmarks", goBenchSection},
		{"large", "Large folders", largeSection},
	}
	var sections []section
	for _, s := range all {
		if slices.Contains(cfg.sections, s.name) {
			sections = append(sections, s)
		}
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
	old, err := readDoc(cfg.out)
	if err != nil {
		return fmt.Errorf("reading %s: %w", cfg.out, err)
	}
	var doc string
	switch {
	case len(cfg.sections) == 1 && cfg.sections[0] == "large":
		doc = spliceLarge(old, r.large.String()) // the rest of the page stays as the last full run wrote it
	case r.large.Len() > 0:
		doc = spliceLarge(r.markdown(), r.large.String())
	default:
		doc = r.markdown()
		if block, ok := largeBlock(old); ok { // keep the last large run's block
			doc = spliceLarge(doc, block)
		}
	}
	doc = keepNotes(old, doc)
	if err := os.WriteFile(cfg.out, []byte(doc), 0o644); err != nil { //nolint:gosec // a documentation file
		return fmt.Errorf("writing %s: %w", cfg.out, err)
	}
	slog.Info("written", "file", cfg.out, "took", time.Since(start).Round(time.Second))
	if failed > 0 {
		return fmt.Errorf("%d of %d sections failed (see %s)", failed, len(sections), cfg.out)
	}
	return nil
}
