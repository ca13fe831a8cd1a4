package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// benchstatVersions are tried in order when benchstat is not installed.
var benchstatVersions = []string{"latest", "v0.0.0-20250813145105-42675adae3e6"}

// goBenchSet is one go test -bench invocation of section 4.
type goBenchSet struct {
	pkg, pattern, benchtime string
	env                     []string
}

func goBenchSets(cfg config) []goBenchSet {
	tree := filepath.Join(cfg.work, fmt.Sprintf("tree-%d", localindexTree))
	return []goBenchSet{
		{pkg: "./icloudapi", pattern: "^BenchmarkDecodePage200$", benchtime: "1s"},
		// every -count of these re-scans the 200 000-file tree first: a
		// fixed iteration count keeps the run short
		{pkg: "./localindex", pattern: "^Benchmark(HeaderJPEG|HeaderHEIC|Match50|LookupBuild)$", benchtime: "3x",
			env: []string{"LOCALINDEX_BENCH_TREE=" + tree}},
	}
}

// benchCount is -count: benchstat wants at least 6 samples for a
// confidence interval.
const benchCount = "6"

// runGoBench runs every set once and returns the output.
func runGoBench(cfg config) (string, error) {
	var all strings.Builder
	for _, s := range goBenchSets(cfg) {
		out, err := goTest(s.env, "-run", "^$", "-bench", s.pattern, "-benchmem", "-benchtime", s.benchtime, "-count", benchCount, s.pkg)
		if err != nil {
			return "", err
		}
		all.WriteString(out)
	}
	return all.String(), nil
}

// benchstat returns the path of benchstat, installing it if needed.
func benchstat() (string, error) {
	if p, err := exec.LookPath("benchstat"); err == nil {
		return p, nil
	}
	gopath, err := exec.CommandContext(context.Background(), "go", "env", "GOPATH").Output()
	if err != nil {
		return "", err
	}
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "benchstat")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	var last error
	for _, v := range benchstatVersions {
		cmd := exec.CommandContext(context.Background(), "go", "install", "golang.org/x/perf/cmd/benchstat@"+v) //nolint:gosec // versions from benchstatVersions
		// outside the module: leaves go.mod alone
		cmd.Dir = os.TempDir()
		if out, err := cmd.CombinedOutput(); err != nil {
			last = fmt.Errorf("go install benchstat@%s: %w: %s", v, err, tail(string(out), 300))
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", last
}

func goBenchSection(cfg config, r *report) error {
	if _, err := treeDir(cfg, localindexTree); err != nil {
		return err
	}
	runs := make([]string, 2)
	files := make([]string, 2)
	for i := range runs {
		out, err := runGoBench(cfg)
		if err != nil {
			return err
		}
		runs[i], files[i] = out, filepath.Join(cfg.work, fmt.Sprintf("run%d.txt", i+1))
		if err := os.WriteFile(files[i], []byte(out), 0o600); err != nil { //nolint:gosec // the scratch directory given on the command line
			return err
		}
	}
	r.printf("### 4. Go benchmarks of the hot paths\n\n")
	r.printf("`go test -bench … -benchmem -count 6` (`-benchtime 3x` for the localindex ones, which re-scan the tree before each count), run twice. `DecodePage200` decodes and pairs a real recorded 200-record "+
		"page (100 CPLMaster + 100 CPLAsset); `Match50` matches 50 assets against the %d-file tree (warm: lookup maps "+
		"built; `first-call-ms` is the first call, which builds them); `LookupBuild` builds those maps; `HeaderJPEG`/`HeaderHEIC` "+
		"read capture times from real headers (800 files each, warm cache).\n\n", localindexTree)
	summary(r, parseBench(runs[1]))
	bs, err := benchstat()
	if err != nil {
		r.printf("benchstat could not be installed (%s); the two runs side by side:\n\n", err)
		r.printf("```\n%s\n```\n\n```\n%s\n```\n\n", benchOnly(runs[0]), benchOnly(runs[1]))
		return nil
	}
	cmd := exec.CommandContext(context.Background(), bs, "run1="+files[0], "run2="+files[1]) //nolint:gosec // benchstat found or installed above
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("benchstat: %w: %s", err, out)
	}
	r.printf("benchstat, run 1 vs run 2 (same code: the deltas show the noise of this machine):\n\n```\n%s```\n\n", out)
	return nil
}

// benchOnly keeps the Benchmark lines of go test output.
func benchOnly(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// summary prints the median of each benchmark's results in run 2 and
// records the targets.
func summary(r *report, lines []benchLine) {
	byName := map[string][]benchLine{}
	var order []string
	for _, l := range lines {
		name := l.name
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		if _, ok := byName[name]; !ok {
			order = append(order, name)
		}
		byName[name] = append(byName[name], l)
	}
	r.printf("| Benchmark (run 2, median of 6) | ns/op | B/op | allocs/op | other |\n|---|---:|---:|---:|---|\n")
	for _, name := range order {
		m := medianMetrics(byName[name])
		var other []string
		for _, unit := range []string{"files/s", "first-call-ms", "peakRSS-MB", "MB/s"} {
			if v, ok := m[unit]; ok {
				other = append(other, fmt.Sprintf("%.0f %s", v, unit))
			}
		}
		r.printf("| %s | %.0f | %.0f | %.0f | %s |\n", name, m["ns/op"], m["B/op"], m["allocs/op"], strings.Join(other, ", "))
		switch name {
		case "BenchmarkDecodePage200":
			r.target("4", "200-record page decode benchmark (report ns/op and allocs)", true, "%.0f µs/op, %.0f allocs/op, %.0f kB/op",
				m["ns/op"]/1e3, m["allocs/op"], m["B/op"]/1e3)
		case "BenchmarkHeaderJPEG", "BenchmarkHeaderHEIC":
			r.target("5", "header metadata extraction ≥ 2 000 files/s ("+strings.TrimPrefix(name, "BenchmarkHeader")+")",
				m["files/s"] >= 2000, "%.0f files/s", m["files/s"])
		}
	}
	r.printf("\n")
}

func medianMetrics(ls []benchLine) map[string]float64 {
	out := map[string]float64{}
	for unit := range ls[0].metrics {
		var vs []float64
		for _, l := range ls {
			vs = append(vs, l.metrics[unit])
		}
		for i := 1; i < len(vs); i++ {
			for j := i; j > 0 && vs[j] < vs[j-1]; j-- {
				vs[j], vs[j-1] = vs[j-1], vs[j]
			}
		}
		out[unit] = vs[len(vs)/2]
	}
	return out
}
