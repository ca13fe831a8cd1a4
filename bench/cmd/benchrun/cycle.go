package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

const (
	benchAppleID  = "bench@example.com"
	benchPassword = "bench-password-for-the-fake-icloud"
	benchAccount  = "bench"
)

// cycleRow is one library size of section 3.
type cycleRow struct {
	assets, files int
	first         time.Duration
	repeat        []time.Duration
	repeatHist    []time.Duration // repeat verify with a daemon's 90 days of history
	exits         []int
	idleRSS       int64
	peakRSS       int64
	report        string // the last verify's report
}

// buildBinary builds icloudmon as the release does and returns its path.
func buildBinary(cfg config) (string, error) {
	bin := filepath.Join(cfg.work, "icloudmon")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/icloudmon") //nolint:gosec // bin is in the scratch directory
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// cycleEnv is a fake iCloud with a generated library and a matching local
// folder, plus a configuration file pointing at both.
type cycleEnv struct {
	dir        string
	srv        *fakeicloud.Server
	files      int
	cfgFile    string
	listen     string
	lastReport string // stdout of the last verify
}

func newCycleEnv(cfg config, assets int) (*cycleEnv, error) {
	e := &cycleEnv{dir: filepath.Join(cfg.work, fmt.Sprintf("cycle-%d", assets))}
	if err := os.RemoveAll(e.dir); err != nil { // a kept scratch directory must not skew the first run
		return nil, err
	}
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 7, Assets: assets, Now: time.Now()})
	// the generated storage use grows with the library; a 2 TB plan
	// keeps the storage check out of the verdict
	lib.SetStorage(1<<40, 2<<40)
	n, err := writeICloudPDFolder(filepath.Join(e.dir, "photos"), lib)
	if err != nil {
		return nil, fmt.Errorf("writing the local folder: %w", err)
	}
	e.files = n
	e.srv = fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: benchAppleID, Password: benchPassword},
		Photos: fakeicloud.NewPhotosHandler(lib)})
	if err := e.writeConfig(); err != nil {
		e.srv.Close()
		return nil, err
	}
	return e, nil
}

func (e *cycleEnv) writeConfig() error { return e.writeConfigWith(nil) }

// writeConfigWith writes the configuration of writeConfig after edit (when
// not nil) changed it.
func (e *cycleEnv) writeConfigWith(edit func(*configs.Config)) error {
	pw, ca := filepath.Join(e.dir, "password"), filepath.Join(e.dir, "ca.pem")
	if err := os.WriteFile(pw, []byte(benchPassword+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(ca, e.srv.CertificatePEM(), 0o600); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	c := configs.Default()
	e.listen = "127.0.0.1:" + strconv.Itoa(port)
	c.DataDir, c.Listen, c.Interval, c.Jitter = e.dataDir(), e.listen, configs.MinInterval, 0
	c.TLS.CAFile = ca
	acct := configs.DefaultAccount()
	acct.Name, acct.AppleID, acct.Password.Keyring, acct.Password.File = benchAccount, benchAppleID, false, pw
	acct.Endpoints = configs.Endpoints{Auth: e.srv.AuthURL(), Setup: e.srv.SetupURL(), Home: e.srv.HomeURL()}
	acct.Libraries = []string{configs.LibraryAll}
	folder := configs.DefaultFolder()
	folder.Path, folder.Name, folder.Layout = filepath.Join(e.dir, "photos"), "photos", configs.LayoutICloudPD
	acct.Folders = []configs.Folder{folder}
	c.Accounts = []configs.Account{acct}
	if edit != nil {
		edit(&c)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("bench configuration: %w", err)
	}
	out, err := c.YAML()
	if err != nil {
		return err
	}
	e.cfgFile = filepath.Join(e.dir, "icloudmon.yml")
	return os.WriteFile(e.cfgFile, out, 0o600)
}

func freePort() (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dataDir is the data_dir of the configuration.
func (e *cycleEnv) dataDir() string { return filepath.Join(e.dir, "data") }

// childEnv keeps sessions in data_dir (no Secret Service) and drops the
// caller's ICLOUDMON_* settings.
func (e *cycleEnv) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ICLOUDMON_") || strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "XDG_RUNTIME_DIR="+e.dir)
}

// settle flushes the dirty pages of the file system (the index a cold
// verify just wrote: 10 MB at 100 000 assets, 60 MB at 700 000 files) and
// collects the harness's garbage (the fake's library is its heap), so that
// the timed runs after a cold one share the two cores with neither the
// kernel's writeback nor a collection in the fake.
func settle() {
	syscall.Sync()
	runtime.GC()
}

// verify runs `icloudmon verify` once and returns its time and exit code
// (0 OK, 1 WARNING, 2 CRITICAL; 3 UNKNOWN is an error).
func (e *cycleEnv) verify(bin string) (time.Duration, int, error) {
	d, code, _, err := e.verifyPS(bin)
	return d, code, err
}

// verifyPS is verify that also returns the peak RSS of the process in bytes.
func (e *cycleEnv) verifyPS(bin string) (time.Duration, int, int64, error) {
	cmd, peak := withPeakRSS(bin, "verify", "--config", e.cfgFile)
	cmd.Env = e.childEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	code := cmd.ProcessState.ExitCode()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || code >= 3) {
		return took, code, 0, fmt.Errorf("icloudmon verify exited %d: %w\n%s\n%s", code, err, tail(string(out), 1500), tail(stderr.String(), 1500))
	}
	e.lastReport = string(out)
	return took, code, peak(cmd.ProcessState), nil
}

// idleRSS starts `icloudmon run`, waits for its first cycle, and returns
// VmRSS and VmHWM (peak) from /proc.
func (e *cycleEnv) idleRSS(bin string) (int64, int64, error) {
	cmd := exec.CommandContext(context.Background(), bin, "run", "--config", e.cfgFile) //nolint:gosec // the binary this harness built
	cmd.Env = e.childEnv()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	if err := waitFirstCycle("http://"+e.listen+"/healthz", 5*time.Minute); err != nil {
		return 0, 0, err
	}
	time.Sleep(2 * time.Second) // let the cycle's garbage be collected
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	rss, hwm := procKB(status, "VmRSS"), procKB(status, "VmHWM")
	if rss <= 0 {
		return 0, 0, fmt.Errorf("no VmRSS in %s", status)
	}
	return rss * 1024, hwm * 1024, nil
}

func waitFirstCycle(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if cycleDone(url) {
			return nil
		}
	}
	return fmt.Errorf("icloudmon run finished no cycle within %s (%s)", limit, url)
}

func cycleDone(url string) bool {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer func() { _ = resp.Body.Close() }()
	var h struct {
		Accounts map[string]struct {
			LastCycle *time.Time `json:"last_cycle"`
		} `json:"accounts"`
	}
	return json.NewDecoder(resp.Body).Decode(&h) == nil && h.Accounts[benchAccount].LastCycle != nil
}

func procKB(path, key string) int64 {
	v := firstField(path, key)
	n, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return n
}

func measureCycle(cfg config, bin string, assets int) (cycleRow, error) {
	e, err := newCycleEnv(cfg, assets)
	if err != nil {
		return cycleRow{}, err
	}
	defer e.srv.Close()
	row := cycleRow{assets: assets, files: e.files}
	for i := 0; i <= cfg.runs; i++ {
		d, code, err := e.verify(bin)
		if err != nil {
			return row, err
		}
		row.exits = append(row.exits, code)
		if i == 0 {
			row.first = d
			settle()
		} else {
			row.repeat = append(row.repeat, d)
		}
	}
	row.report = e.lastReport
	if err := e.seedHistory(historyHours); err != nil {
		return row, err
	}
	for i := 0; i <= cfg.runs; i++ {
		d, _, err := e.verify(bin)
		if err != nil {
			return row, err
		}
		if i > 0 { // the first reads the new points into the page cache
			row.repeatHist = append(row.repeatHist, d)
		}
	}
	row.idleRSS, row.peakRSS, err = e.idleRSS(bin)
	return row, err
}

// measureSizes measures the binary once per library size, in order; it
// stops at the first error.
func measureSizes[R any](cfg config, bin string, sizes []int, measure func(cfg config, bin string, assets int) (R, error)) ([]R, error) {
	var rows []R
	for _, n := range sizes {
		row, err := measure(cfg, bin, n)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func cycleSection(cfg config, r *report) error {
	bin, err := buildBinary(cfg)
	if err != nil {
		return err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return err
	}
	rows, err := measureSizes(cfg, bin, cfg.sizes, measureCycle)
	if err != nil {
		return err
	}
	r.printf("### 3. Whole cycle, binary size and idle RSS\n\n")
	r.printf("The release binary (`CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'`) is **%s**.\n\n", mb(fi.Size()))
	r.printf("`icloudmon verify --config …` as a separate process against the fake (in the harness's process, over TLS on "+
		"loopback), with a local icloudpd-layout folder holding every asset of the library (sparse files). The first run signs "+
		"in, reads the library cold and scans the folder cold (then the harness runs sync(2) and collects its own garbage: "+
		"settle); the next %d runs reuse the saved session, the stored snapshot "+
		"(no change: one `changes/database` request per database) and the saved index (warm rescan). The data directory "+
		"is new, so those runs judge with a history of a few points; a `verify` beside a daemon reads what the daemon "+
		"recorded, 2 160 points for 90 days of hourly cycles: the harness then adds those (copies of the newest point) and "+
		"times %d more runs after one that reads them first (\"with history\"). Then `icloudmon run` "+
		"is started on the same data; its RSS is read from /proc/PID/status 2 s after its first cycle.\n\n", cfg.runs, cfg.runs)
	r.printf("| Assets | local files | first verify | repeat verify (median of %d) | with history | exit codes | `run` idle VmRSS | `run` peak VmHWM |\n", cfg.runs)
	r.printf("|---:|---:|---:|---:|---:|---|---:|---:|\n")
	for _, w := range rows {
		r.printf("| %d | %d | %s | %s | %s | %s | %s | %s |\n", w.assets, w.files, secs(w.first), secs(median(w.repeat)),
			secs(median(w.repeatHist)), strings.Trim(fmt.Sprint(w.exits), "[]"), mb(w.idleRSS), mb(w.peakRSS))
	}
	last := rows[len(rows)-1]
	r.printf("\nThe report of the last verify run at %d assets (exit code 0 OK, 1 WARNING, 2 CRITICAL: the verdict on the "+
		"generated data, not a failure of the run):\n\n```\n%s```\n\n", last.assets, last.report)
	return nil
}
