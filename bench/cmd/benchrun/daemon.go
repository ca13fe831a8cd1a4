package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// The daemon measurement (issue 20), only with -daemon SIZES: the release
// binary `icloudmon run` fills the audit's mirror of a generated library
// through the fake iCloud (served by this process) and compares it with an
// icloudpd folder, and its RSS is read from /proc/PID/status in four
// phases: the fill, the first complete comparison, a cycle with no change
// and a cycle after one upload. Each phase's peak is VmHWM, reset at the
// start of the phase (writing 5 to /proc/PID/clear_refs), next to the
// largest VmRSS sampled every 100 ms.
//
// The daemon monitors the personal library only: the largest request
// budget the configuration allows (configs.MaxAuditRequestsPerDay, also
// the most one cycle may send) fills 500 000 assets in one cycle, while the
// Shared Library's tenth more would wait a day for its budget. The folder
// still holds both libraries, so the daemon scans and the comparison files
// about 700 000 local files for 500 000 mirrored assets, as in issue 20's
// target. Cycles come every configs.MinInterval (10 minutes, the shortest
// the configuration and "check now" allow), so a size takes about
// 25 minutes plus the fill. The result goes to stdout as Markdown; nothing
// is written to docs/performance.md (paste it into the NOTES block).

// daemonPhase is what one phase measured.
type daemonPhase struct {
	name      string
	took      time.Duration // wall time of the phase
	hwm       int64         // VmHWM at the end of the phase (reset at its start), bytes
	sampled   int64         // largest VmRSS sampled during the phase, bytes
	rssAfter  int64         // VmRSS 2 s after the phase, bytes (0: not read)
	requests  int           // requests the fake saw during the phase (all hosts)
	zoneReq   int           // changes/zone requests among them
	cycleTook float64       // run_duration_seconds of the cycle that ended the phase (0: none)
}

// daemonRow is one library size.
type daemonRow struct {
	assets, files   int
	generate        time.Duration
	fillReq         int
	fillBytes       int64
	fillTook        time.Duration // first to last changes/zone page of the fill
	mirrored        float64       // icloudmon_audit_mirrored_assets after the upload cycle
	missing         float64       // icloudmon_audit_missing_assets after the first comparison
	phases          []daemonPhase
	loadStart, load string
}

// zoneWatch wraps the fake's Photos handler: it counts the changes/zone
// requests and their answer bytes, and notes when the fill's last page
// (the first answer with moreComing false) was served.
type zoneWatch struct {
	next http.Handler

	mu         sync.Mutex
	requests   int
	bytes      int64
	first      time.Time // first changes/zone request
	filledAt   time.Time // the fill's last page
	fillReq    int
	fillBytes  int64
	filledOnce sync.Once
	filled     chan struct{}
}

func newZoneWatch(next http.Handler) *zoneWatch {
	return &zoneWatch{next: next, filled: make(chan struct{})}
}

// lastPage matches the end of a changes/zone answer that has no more pages
// (compact or CloudKit's pretty-printed layout).
var lastPage = regexp.MustCompile(`"moreComing"\s*:\s*false`)

func (z *zoneWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/changes/zone") {
		z.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	cw := &countingWriter{ResponseWriter: w}
	z.next.ServeHTTP(cw, r)
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.first.IsZero() {
		z.first = start
	}
	z.requests++
	z.bytes += cw.n
	if z.filledAt.IsZero() && lastPage.Match(cw.tail) {
		z.filledAt, z.fillReq, z.fillBytes = time.Now(), z.requests, z.bytes
		z.filledOnce.Do(func() { close(z.filled) })
	}
}

// counts returns the changes/zone requests so far.
func (z *zoneWatch) counts() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.requests
}

// countingWriter counts the bytes of an answer and keeps its last 256.
type countingWriter struct {
	http.ResponseWriter
	n    int64
	tail []byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	c.tail = append(c.tail, p[:n]...)
	if len(c.tail) > 256 {
		c.tail = append(c.tail[:0], c.tail[len(c.tail)-256:]...)
	}
	return n, err
}

// daemonEnv is a cycleEnv whose library the harness can change.
type daemonEnv struct {
	cycleEnv
	lib   *fakeicloud.Library
	watch *zoneWatch
}

func newDaemonEnv(cfg config, assets int) (*daemonEnv, error) {
	e := &daemonEnv{cycleEnv: cycleEnv{dir: filepath.Join(cfg.work, fmt.Sprintf("daemon-%d", assets))}}
	if err := os.RemoveAll(e.dir); err != nil {
		return nil, err
	}
	e.lib = fakeicloud.Generate(fakeicloud.GenOptions{Seed: 7, Assets: assets, Now: time.Now()})
	e.lib.SetStorage(1<<40, 2<<40)
	n, err := writeICloudPDFolder(filepath.Join(e.dir, "photos"), e.lib)
	if err != nil {
		return nil, fmt.Errorf("writing the local folder: %w", err)
	}
	e.files = n
	e.watch = newZoneWatch(fakeicloud.NewPhotosHandler(e.lib))
	e.srv = fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: benchAppleID, Password: benchPassword},
		Photos: e.watch})
	if err := e.writeConfigWith(daemonConfig); err != nil {
		e.srv.Close()
		return nil, err
	}
	return e, nil
}

// daemonConfig monitors the personal library with the audit on and the
// largest request budget, cycles every MinInterval with the longest cycle
// timeout that allows.
func daemonConfig(c *configs.Config) {
	c.Interval, c.CycleTimeout, c.Jitter = configs.MinInterval, configs.MinInterval, 0
	c.Audit.Enabled = true
	c.Audit.RequestsPerDay, c.Audit.RequestsPerCycle = configs.MaxAuditRequestsPerDay, configs.MaxAuditRequestsPerDay
	c.Accounts[0].Libraries = []string{configs.LibraryPersonal}
}

// upload adds one photo to the personal library and the file an importer
// would download for it to the folder.
func (e *daemonEnv) upload() error {
	now := time.Now()
	a := e.lib.Add(fakeicloud.Asset{Filename: "IMG_U0001.HEIC", UTI: "public.heic", Size: 2_000_000, Added: now, Taken: now})
	_, err := writeAsset(filepath.Join(e.dir, "photos"), a)
	return err
}

// rssSampler reads /proc/PID/status every 100 ms and keeps the largest
// VmRSS since the last reset; reset also resets the kernel's VmHWM.
type rssSampler struct {
	pid     int
	mu      sync.Mutex
	max     int64
	samples *bufio.Writer // time, phase, VmRSS kB, VmHWM kB
	phase   string
	start   time.Time
}

func (s *rssSampler) run(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	status := fmt.Sprintf("/proc/%d/status", s.pid)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rss, hwm := procKB(status, "VmRSS"), procKB(status, "VmHWM")
		s.mu.Lock()
		s.max = max(s.max, rss*1024)
		if s.samples != nil {
			fmt.Fprintf(s.samples, "%.1f,%s,%d,%d\n", time.Since(s.start).Seconds(), s.phase, rss, hwm)
		}
		s.mu.Unlock()
	}
}

// end closes the current phase: its VmHWM and largest sample; then it
// resets both for the next phase.
func (s *rssSampler) end(next string) (hwm, sampled int64, err error) {
	status := fmt.Sprintf("/proc/%d/status", s.pid)
	hwm = procKB(status, "VmHWM") * 1024
	rss := procKB(status, "VmRSS") * 1024
	if hwm <= 0 {
		return 0, 0, fmt.Errorf("no VmHWM in %s (did the daemon exit?)", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sampled = max(s.max, rss)
	s.max, s.phase = 0, next
	// "5" resets the peak RSS (VmHWM) to the current RSS
	// (Documentation/filesystems/proc.rst, clear_refs)
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.pid), []byte("5"), 0o600); err != nil {
		return hwm, sampled, fmt.Errorf("resetting VmHWM: %w", err)
	}
	return hwm, sampled, nil
}

// daemonProbe reads the daemon's /healthz and /metrics.
type daemonProbe struct{ base string }

func (p daemonProbe) get(path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// lastCycle is the end of the account's last cycle (zero before the first).
func (p daemonProbe) lastCycle() time.Time {
	b, err := p.get("/healthz")
	if err != nil {
		return time.Time{}
	}
	var h struct {
		Accounts map[string]struct {
			LastCycle *time.Time `json:"last_cycle"`
		} `json:"accounts"`
	}
	if json.Unmarshal(b, &h) != nil || h.Accounts[benchAccount].LastCycle == nil {
		return time.Time{}
	}
	return *h.Accounts[benchAccount].LastCycle
}

// metric returns the first sample of the named metric (without the
// icloudmon_ prefix) whose labels include every pair of labels.
func (p daemonProbe) metric(name string, labels ...string) (float64, bool) {
	b, err := p.get("/metrics")
	if err != nil {
		return 0, false
	}
	return promValue(b, "icloudmon_"+name, labels...)
}

// promValue finds a sample in Prometheus' text format: the first line of
// metric name whose labels contain every key="value" of labels (pairs).
func promValue(text []byte, name string, labels ...string) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		lbl := ""
		switch {
		case strings.HasPrefix(rest, "{"):
			end := strings.Index(rest, "} ")
			if end < 0 {
				continue
			}
			lbl, rest = rest[1:end], rest[end+1:]
		case strings.HasPrefix(rest, " "):
		default:
			continue // a longer name with the same prefix
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(","+lbl+",", ","+labels[i]+"="+strconv.Quote(labels[i+1])+",") {
				ok = false
			}
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		return v, true
	}
	return 0, false
}

// waitFor polls cond every 500 ms until it is true, the daemon exits or
// limit passes.
func waitFor(what string, limit time.Duration, exited <-chan struct{}, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("icloudmon run exited while waiting for %s", what)
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %s", what, limit)
		}
	}
}

func measureDaemon(cfg config, bin string, assets int) (daemonRow, error) {
	row := daemonRow{assets: assets, loadStart: loadAvg()}
	t0 := time.Now()
	e, err := newDaemonEnv(cfg, assets)
	if err != nil {
		return row, err
	}
	defer e.srv.Close()
	if !cfg.keepWork {
		defer func() { _ = os.RemoveAll(e.dir) }()
	}
	row.files, row.generate = e.files, time.Since(t0)
	slog.Info("daemon: library and folder ready", "assets", assets, "files", e.files, "took", row.generate.Round(time.Second))

	logf, err := os.Create(filepath.Join(e.dir, "daemon.log"))
	if err != nil {
		return row, err
	}
	defer func() { _ = logf.Close() }()
	cmd := exec.CommandContext(context.Background(), bin, "run", "--config", e.cfgFile) //nolint:gosec // the binary this harness built
	cmd.Env = e.childEnv()
	if cfg.daemonGCTrace {
		cmd.Env = append(cmd.Env, "GODEBUG=gctrace=1")
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return row, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	samples, err := os.Create(filepath.Join(e.dir, "rss.csv"))
	if err != nil {
		return row, err
	}
	defer func() { _ = samples.Close() }()
	sw := bufio.NewWriter(samples)
	defer func() { _ = sw.Flush() }()
	fmt.Fprintln(sw, "seconds,phase,vmrss_kb,vmhwm_kb")
	s := &rssSampler{pid: cmd.Process.Pid, samples: sw, phase: "fill", start: start}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go s.run(ctx)
	probe := daemonProbe{base: "http://" + e.listen}

	phaseStart, reqStart, zoneStart := start, 0, 0
	endPhase := func(name, next string) (*daemonPhase, error) {
		hwm, sampled, err := s.end(next)
		if err != nil {
			return nil, err
		}
		reqs, zone := len(e.srv.Requests()), e.watch.counts()
		p := daemonPhase{name: name, took: time.Since(phaseStart), hwm: hwm, sampled: sampled,
			requests: reqs - reqStart, zoneReq: zone - zoneStart}
		phaseStart, reqStart, zoneStart = time.Now(), reqs, zone
		row.phases = append(row.phases, p)
		slog.Info("daemon: phase done", "phase", name, "took", p.took.Round(time.Second), "VmHWM", mb(hwm), "sampled", mb(sampled),
			"requests", p.requests, "changes/zone", p.zoneReq)
		return &row.phases[len(row.phases)-1], nil
	}
	// afterCycle completes a phase ended by a cycle: the cycle's duration
	// and, 2 s later (the cycle's garbage collected), VmRSS.
	afterCycle := func(p *daemonPhase) {
		p.cycleTook, _ = probe.metric("run_duration_seconds", "account", benchAccount)
		time.Sleep(2 * time.Second)
		p.rssAfter = procKB(fmt.Sprintf("/proc/%d/status", s.pid), "VmRSS") * 1024
	}
	limit := cfg.daemonWait
	personal := []string{"account", benchAccount, "library", "personal"}

	// 1. the fill: until the fake served its last page
	select {
	case <-e.watch.filled:
	case <-exited:
		return row, fmt.Errorf("icloudmon run exited during the fill (see %s)", logf.Name())
	case <-time.After(limit):
		return row, fmt.Errorf("the fill did not end within %s (%d changes/zone requests)", limit, e.watch.counts())
	}
	e.watch.mu.Lock()
	row.fillReq, row.fillBytes, row.fillTook = e.watch.fillReq, e.watch.fillBytes, e.watch.filledAt.Sub(e.watch.first)
	e.watch.mu.Unlock()
	if _, err := endPhase("fill", "compare"); err != nil {
		return row, err
	}
	// 2. the first complete comparison, in the cycle that ended the fill
	var last time.Time
	if err := waitFor("complete comparison", limit, exited, func() bool {
		v, ok := probe.metric("audit_last_complete_timestamp_seconds", personal...)
		if ok && v > 0 {
			last = probe.lastCycle()
		}
		return ok && v > 0 && !last.IsZero()
	}); err != nil {
		return row, err
	}
	p, err := endPhase("first complete comparison", "no change")
	if err != nil {
		return row, err
	}
	afterCycle(p)
	row.missing, _ = probe.metric("audit_missing_assets", personal...)
	// 3. a cycle with no change, 4. a cycle after one upload
	nextCycle := func(name, next string) error {
		prev := last
		if err := waitFor("cycle ("+name+")", limit, exited, func() bool {
			last = probe.lastCycle()
			return last.After(prev)
		}); err != nil {
			return err
		}
		p, err := endPhase(name, next)
		if err != nil {
			return err
		}
		afterCycle(p)
		return nil
	}
	if err := nextCycle("no change", "one upload"); err != nil {
		return row, err
	}
	if err := e.upload(); err != nil {
		return row, err
	}
	if err := nextCycle("one upload", "end"); err != nil {
		return row, err
	}
	row.mirrored, _ = probe.metric("audit_mirrored_assets", personal...)
	row.load = loadAvg()
	return row, nil
}

// runDaemonMode measures every size of -daemon and prints the table.
func runDaemonMode(cfg config, out io.Writer) error {
	if err := os.MkdirAll(cfg.work, 0o750); err != nil {
		return fmt.Errorf("creating the scratch directory: %w", err)
	}
	if !cfg.keepWork {
		defer func() { _ = os.RemoveAll(cfg.work) }() //nolint:gosec // the scratch directory given on the command line
	}
	bin := cfg.daemonBin
	if bin == "" {
		var err error
		if bin, err = buildBinary(cfg); err != nil {
			return err
		}
	}
	var rows []daemonRow
	var failed error
	for _, n := range cfg.daemon {
		row, err := measureDaemon(cfg, bin, n)
		if err != nil {
			failed = fmt.Errorf("%d assets: %w", n, err)
			rows = append(rows, row)
			break
		}
		rows = append(rows, row)
	}
	writeDaemon(out, rows)
	return failed
}

// writeDaemon prints the rows as Markdown.
func writeDaemon(w io.Writer, rows []daemonRow) {
	fmt.Fprintf(w, "| Assets mirrored | local files | phase | took | requests (changes/zone) | cycle (run_duration_seconds) | peak RSS (VmHWM) | largest VmRSS sampled | VmRSS 2 s after |\n")
	fmt.Fprintf(w, "|---:|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		for _, p := range r.phases {
			cycle, after := "—", "—"
			if p.cycleTook > 0 {
				cycle = fmt.Sprintf("%.1f s", p.cycleTook)
			}
			if p.rssAfter > 0 {
				after = mb(p.rssAfter)
			}
			fmt.Fprintf(w, "| %d | %d | %s | %s | %d (%d) | %s | %s | %s | %s |\n", r.assets, r.files, p.name,
				p.took.Round(time.Second), p.requests, p.zoneReq, cycle, mb(p.hwm), mb(p.sampled), after)
		}
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		fmt.Fprintf(w, "- %d assets: library and folder generated in %s; fill: %d changes/zone requests, %s, %s from its first "+
			"to its last page; after the upload cycle %.0f assets mirrored; %.0f missing after the first comparison; load average %s at start, %s at end.\n",
			r.assets, r.generate.Round(time.Second), r.fillReq, kb(float64(r.fillBytes)), r.fillTook.Round(time.Second),
			r.mirrored, r.missing, r.loadStart, r.load)
	}
	if len(rows) > 0 && len(rows[len(rows)-1].phases) < 4 {
		fmt.Fprintln(w, "\nThe last size did not finish (see the error).")
	}
}
