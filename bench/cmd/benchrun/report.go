package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// report collects the Markdown of every section and the verdicts on the
// targets of the photos (#4) and localindex (#5) issues.
type report struct {
	start     time.Time
	loadStart string
	loadEnd   string
	took      time.Duration
	body      strings.Builder
	large     strings.Builder // the large section, kept in its own block of the page
	targets   []target
}

// target is one performance target and whether this run met it.
type target struct {
	issue, what, measured string
	met                   bool
}

func newReport(start time.Time) *report {
	return &report{start: start, loadStart: loadAvg()}
}

func (r *report) printf(format string, args ...any) { fmt.Fprintf(&r.body, format, args...) }

func (r *report) target(issue, what string, met bool, measured string, args ...any) {
	r.targets = append(r.targets, target{issue: issue, what: what, met: met, measured: fmt.Sprintf(measured, args...)})
}

func (r *report) failure(title string, err error) {
	r.printf("\n**%s: the measurement failed:** `%s`\n\n", title, strings.ReplaceAll(err.Error(), "`", "'"))
}

func (r *report) finish(took time.Duration) {
	r.took = took
	r.loadEnd = loadAvg()
}

// resultsHeading starts the generated results.
const resultsHeading = "## Results of the last run\n\n"

func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString(docIntro)
	b.WriteString(resultsHeading)
	fmt.Fprintf(&b, "- Date: %s\n", r.start.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Machine: %s\n", machine())
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min) at start: %s; at end: %s\n", r.loadStart, r.loadEnd)
	fmt.Fprintf(&b, "- Wall time of `make bench`'s measurements: %s\n\n", r.took.Round(time.Second))
	b.WriteString(r.targetTable())
	b.WriteString(r.body.String())
	return b.String()
}

func (r *report) targetTable() string {
	var b strings.Builder
	b.WriteString("### Targets of issues 4, 20 and 25 (photos) and 5 (localindex)\n\n| Issue | Target | Measured | Met |\n|---|---|---|---|\n")
	for _, t := range r.targets {
		met := "no"
		if t.met {
			met = "yes"
		}
		fmt.Fprintf(&b, "| #%s | %s | %s | %s |\n", t.issue, t.what, t.measured, met)
	}
	b.WriteString("\n")
	return b.String()
}

// machine describes the CPU, cores, memory, kernel and Go version.
func machine() string {
	cpu := firstField("/proc/cpuinfo", "model name")
	mem := firstField("/proc/meminfo", "MemTotal")
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d cores, %s RAM, Linux %s, %s %s/%s", strings.TrimSpace(cpu), runtime.NumCPU(),
		strings.TrimSpace(mem), strings.TrimSpace(string(kernel)), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func firstField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// Formatting helpers.

func mb(bytes int64) string { return fmt.Sprintf("%.1f MB", float64(bytes)/1e6) }

func kb(bytes float64) string {
	if bytes >= 1e6 {
		return fmt.Sprintf("%.1f MB", bytes/1e6)
	}
	return fmt.Sprintf("%.1f kB", bytes/1e3)
}

func secs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
