package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

const metricsText = `# HELP icloudmon_audit_fill_ratio Progress.
# TYPE icloudmon_audit_fill_ratio gauge
icloudmon_audit_fill_ratio{account="bench",library="personal"} 0.5
icloudmon_audit_fill_ratio{account="bench",library="shared"} 1
icloudmon_audit_fill_ratio_extra{account="bench",library="personal"} 7
icloudmon_audit_last_complete_timestamp_seconds{account="bench",library="personal"} 1.7651232e+09
icloudmon_last_run_timestamp_seconds 1.765e+09
icloudmon_run_duration_seconds{account="other"} 3
icloudmon_run_duration_seconds{account="bench"} 12.5
`

func TestPromValue(t *testing.T) {
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
		ok     bool
	}{
		{"icloudmon_audit_fill_ratio", []string{"library", "shared"}, 1, true},
		{"icloudmon_audit_fill_ratio", []string{"account", "bench", "library", "personal"}, 0.5, true},
		{"icloudmon_audit_fill_ratio", nil, 0.5, true},
		{"icloudmon_audit_fill_ratio", []string{"library", "hidden"}, 0, false},
		{"icloudmon_audit_fill_ratio_extra", nil, 7, true},
		{"icloudmon_audit_last_complete_timestamp_seconds", []string{"library", "personal"}, 1.7651232e+09, true},
		{"icloudmon_last_run_timestamp_seconds", nil, 1.765e+09, true},
		{"icloudmon_run_duration_seconds", []string{"account", "bench"}, 12.5, true},
		{"icloudmon_audit_missing_assets", nil, 0, false},
		// a label value is matched whole, not as a prefix
		{"icloudmon_run_duration_seconds", []string{"account", "ben"}, 0, false},
	} {
		got, ok := promValue([]byte(metricsText), c.name, c.labels...)
		if got != c.want || ok != c.ok {
			t.Errorf("promValue(%s, %v) = %v, %v; want %v, %v", c.name, c.labels, got, ok, c.want, c.ok)
		}
	}
}

// TestZoneWatchSeesTheFillEnd: the watch counts changes/zone requests and
// their bytes, passes other requests through uncounted, and marks the fill
// done at the first answer with moreComing false, in either layout.
func TestZoneWatchSeesTheFillEnd(t *testing.T) {
	pages := []string{`{"zones":[{"records":[],"moreComing":true}]}`, "{\n  \"zones\" : [ {\n    \"moreComing\" : true\n  } ]\n}",
		"{\n  \"zones\" : [ {\n    \"syncToken\" : \"x\",\n    \"moreComing\" : false\n  } ]\n}", `{"zones":[{"moreComing":false}]}`}
	served := 0
	z := newZoneWatch(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/changes/zone") {
			_, _ = io.WriteString(w, pages[served])
			served++
			return
		}
		_, _ = io.WriteString(w, `{"moreComing":false}`)
	}))
	get := func(path string) {
		z.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, path, nil))
	}
	get("/database/1/com.apple.photos.cloud/production/private/records/query")
	for i := range 2 {
		get("/database/1/com.apple.photos.cloud/production/private/changes/zone")
		select {
		case <-z.filled:
			t.Fatalf("fill marked done after page %d (moreComing true)", i+1)
		default:
		}
	}
	get("/database/1/com.apple.photos.cloud/production/private/changes/zone")
	select {
	case <-z.filled:
	default:
		t.Fatal("fill not marked done after the page with moreComing false")
	}
	get("/database/1/com.apple.photos.cloud/production/private/changes/zone") // a later caught-up call
	want := int64(len(pages[0]) + len(pages[1]) + len(pages[2]))
	if z.counts() != 4 || z.fillReq != 3 || z.fillBytes != want || z.first.IsZero() || z.filledAt.Before(z.first) {
		t.Errorf("requests %d, fill %d requests %d bytes (want 4, 3, %d)", z.counts(), z.fillReq, z.fillBytes, want)
	}
}

// TestCountingWriterKeepsTheTail: an answer written in many pieces is
// counted whole and its last 256 bytes are kept.
func TestCountingWriterKeepsTheTail(t *testing.T) {
	rec := httptest.NewRecorder()
	c := &countingWriter{ResponseWriter: rec}
	body := strings.Repeat("abcdefghij", 100) + `"moreComing" : false}`
	for i := 0; i < len(body); i += 7 {
		_, _ = c.Write([]byte(body[i:min(i+7, len(body))]))
	}
	if c.n != int64(len(body)) || rec.Body.String() != body {
		t.Fatalf("counted %d of %d bytes", c.n, len(body))
	}
	if string(c.tail) != body[len(body)-256:] {
		t.Fatalf("tail %q", c.tail)
	}
}

// TestDaemonConfig: the measurement's configuration is valid and has the
// audit on with the largest budget, the personal library only, and cycles
// every MinInterval.
func TestDaemonConfig(t *testing.T) {
	srv := fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: benchAppleID, Password: benchPassword}})
	defer srv.Close()
	e := &cycleEnv{dir: t.TempDir(), srv: srv}
	if err := e.writeConfigWith(daemonConfig); err != nil {
		t.Fatal(err)
	}
	c, err := configs.Load(e.cfgFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Accounts[0]
	if !c.Audit.Enabled || c.Audit.RequestsPerDay != configs.MaxAuditRequestsPerDay || c.Audit.RequestsPerCycle != configs.MaxAuditRequestsPerDay ||
		len(a.Libraries) != 1 || a.Libraries[0] != configs.LibraryPersonal || c.Interval != configs.MinInterval || c.Jitter != 0 {
		t.Errorf("audit %+v, libraries %v, interval %s, jitter %s", c.Audit, a.Libraries, c.Interval, c.Jitter)
	}
}

// TestRSSSamplerResetsThePeak: ending a phase reports the peak of the
// phase and resets VmHWM, so the next phase's peak is its own.
func TestRSSSamplerResetsThePeak(t *testing.T) {
	s := &rssSampler{pid: os.Getpid()}
	if _, _, err := s.end("a"); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 64<<20)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1
	}
	hwm, _, err := s.end("b")
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(big)
	runtime.GC() // big is dead from here on
	debug.FreeOSMemory()
	if _, _, err := s.end("c"); err != nil { // the phase that freed it: its peak is still the 64 MiB
		t.Fatal(err)
	}
	after, _, err := s.end("d")
	if err != nil {
		t.Fatal(err)
	}
	if hwm < 64<<20 {
		t.Errorf("peak of a phase that touched 64 MiB: %s", mb(hwm))
	}
	if after > hwm-32<<20 {
		t.Errorf("peak of the next phase %s, not reset below the previous %s", mb(after), mb(hwm))
	}
}

// TestUploadAddsAssetAndFile: an upload is a new newest asset of the
// personal library and its file in the folder.
func TestUploadAddsAssetAndFile(t *testing.T) {
	e := &daemonEnv{cycleEnv: cycleEnv{dir: t.TempDir()}, lib: fakeicloud.Generate(fakeicloud.GenOptions{Seed: 1, Assets: 10, Now: time.Now()})}
	before := e.lib.Len(fakeicloud.PrimaryZone)
	if err := e.upload(); err != nil {
		t.Fatal(err)
	}
	if e.lib.Len(fakeicloud.PrimaryZone) != before+1 || e.lib.Newest(fakeicloud.PrimaryZone, 1)[0].Filename != "IMG_U0001.HEIC" {
		t.Fatalf("library: %d assets, newest %+v", e.lib.Len(fakeicloud.PrimaryZone), e.lib.Newest(fakeicloud.PrimaryZone, 1))
	}
	found, _ := filepath.Glob(filepath.Join(e.dir, "photos", "*", "*", "*", "IMG_U0001.HEIC"))
	if len(found) != 1 {
		t.Fatalf("folder: %v", found)
	}
}

// TestParseDaemonFlags: -daemon takes sizes and runs alone.
func TestParseDaemonFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-daemon", "100000,500000", "-daemon-gctrace", "-daemon-wait", "90m"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.daemon) != 2 || cfg.daemon[0] != 100_000 || cfg.daemon[1] != 500_000 || !cfg.daemonGCTrace || cfg.daemonWait != 90*time.Minute {
		t.Errorf("%+v", cfg)
	}
	if cfg, err := parseFlags(nil); err != nil || len(cfg.daemon) != 0 {
		t.Errorf("without -daemon: %v, %v", cfg.daemon, err)
	}
	for _, args := range [][]string{{"-daemon", "0"}, {"-daemon", "x"}, {"-daemon", "1000", "-sections", "cloud"}, {"-daemon", "1000", "-large", "500000"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
