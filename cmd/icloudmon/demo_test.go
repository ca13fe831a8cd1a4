package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/internal/demo"
)

// wantExit is the verify exit code each demo scenario must produce.
var wantExit = map[string]int{
	"healthy": exitOK, "stalled": exitCritical, "behind": exitWarning,
	"storage": exitCritical, "deleted": exitCritical, "reauth": exitCritical,
	"gaps": exitWarning,
}

// startDemoConfig starts a demo fake and writes its configuration file.
func startDemoConfig(t *testing.T, scenario string) (*demo.Demo, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := demo.Start(demo.Options{Scenario: scenario, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	cfg, err := demoConfig(d, dir, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = cfg
	return d, filepath.Join(dir, "icloudmon.yml")
}

func TestVerifyExitCodePerDemoScenario(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // sessions go to files, never a real keychain
	for _, scenario := range demo.Scenarios {
		t.Run(scenario, func(t *testing.T) {
			_, path := startDemoConfig(t, scenario)
			code, out, errOut := runCLI(t, "", "verify", "--config", path, "--output", "json")
			if code != wantExit[scenario] {
				t.Fatalf("verify exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantExit[scenario], out, errOut)
			}
			var rep struct {
				Status   string `json:"status"`
				Accounts []struct {
					Checks []struct{ ID, Status string } `json:"checks"`
				} `json:"accounts"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Accounts) != 1 {
				t.Fatalf("verify --output json is not the report: %v\n%s", err, out)
			}
			if scenario == "healthy" && rep.Status != "ok" {
				t.Errorf("healthy demo status %q", rep.Status)
			}
		})
	}
}

func TestVerifySecondRunReusesTheSession(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	d, path := startDemoConfig(t, "healthy")
	for i := range 2 {
		if code, _, errOut := runCLI(t, "", "verify", "--config", path); code != exitOK {
			t.Fatalf("verify run %d exit %d: %s", i+1, code, errOut)
		}
	}
	if n := d.Server.Count("/appleauth/auth/signin/complete"); n != 1 {
		t.Errorf("two verify runs made %d SRP sign-ins, want 1 (the second reuses the saved session)", n)
	}
}

func TestDemoOnceExitCodes(t *testing.T) {
	for _, scenario := range []string{"healthy", "behind", "reauth"} {
		code, out, errOut := runCLI(t, "", "demo", "--once", "--scenario", scenario, "--data-dir", t.TempDir())
		if code != wantExit[scenario] {
			t.Errorf("demo --once --scenario %s exit %d, want %d\n%s\n%s", scenario, code, wantExit[scenario], out, errOut)
		}
		if !strings.Contains(out, "local_copy") {
			t.Errorf("demo --once --scenario %s printed no report:\n%s", scenario, out)
		}
	}
	if code, _, errOut := runCLI(t, "", "demo", "--once", "--scenario", "nope"); code != exitUnknown || !strings.Contains(errOut, "healthy") {
		t.Errorf("unknown scenario: exit %d, stderr %q; want 3 listing the scenarios", code, errOut)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestRunDaemonServesReloadsAndStops(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	_, path := startDemoConfig(t, "healthy")
	cfg, err := configs.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = freeAddr(t)
	hup := make(chan os.Signal, 1)
	reloads := make(chan struct{}, 1)
	opts := daemonOptions{hup: hup, build: buildOptions{noNotify: true, sessions: credstore.ModeFile},
		reload: func() (*configs.Config, error) {
			reloads <- struct{}{}
			return nil, errors.New("accounts[0].name: broken on purpose")
		}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runDaemon(ctx, cfg, demoLogger(os.Stderr, false), opts) }()

	url := "http://" + cfg.Listen + "/healthz"
	waitStatus(t, url, http.StatusOK, done)
	hup <- os.Interrupt
	<-reloads
	waitStatus(t, url, http.StatusOK, done) // a bad reload keeps serving
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runDaemon returned %v on shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("runDaemon did not stop after cancel")
	}
}

func waitStatus(t *testing.T, url string, want int, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the daemon stopped: %v", err)
		default:
		}
		resp, err := http.Get(url) //nolint:noctx // test polling
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered %d", url, want)
}

// TestDemoURLIsClickable: a wildcard listen (the container demo's
// --listen [::]:9877 or 0.0.0.0:9877) is printed as a URL a browser can
// open, with a hint about the host's address; other addresses as given.
func TestDemoURLIsClickable(t *testing.T) {
	for addr, want := range map[string]string{
		"[::]:9877":      "http://127.0.0.1:9877",
		"0.0.0.0:9877":   "http://127.0.0.1:9877",
		":9877":          "http://127.0.0.1:9877",
		"127.0.0.1:9877": "http://127.0.0.1:9877",
		"[::1]:9877":     "http://[::1]:9877",
		"192.0.2.7:80":   "http://192.0.2.7:80",
	} {
		base, hint := clickableBase(addr)
		if base != want {
			t.Errorf("%s: %s, want %s", addr, base, want)
		}
		wild := strings.HasPrefix(addr, "[::]") || strings.HasPrefix(addr, "0.0.0.0") || strings.HasPrefix(addr, ":")
		if wild != strings.Contains(hint, "another device") {
			t.Errorf("%s: hint %q", addr, hint)
		}
	}
}

// Behind the demo's "behind" scenario the importer stopped four days ago.
// Every library is compared only with its own folder, and the lag comes
// from the same list as the missing photos: the personal folder is days
// behind (not "18 h", which a Shared Library copy of an old photo, found
// in the personal folder, used to suggest), and no missing photo of one
// library is reported in the other's folder.
func TestDemoBehindLagAgreesWithMissingList(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	_, path := startDemoConfig(t, "behind")
	_, out, errOut := runCLI(t, "", "verify", "--config", path, "--output", "json")
	var rep struct {
		Accounts []struct {
			Checks []struct {
				ID, Summary string
				Details     struct {
					Missing []struct{ Library, Folder string }
				}
			} `json:"checks"`
			Observed struct {
				Folders []struct {
					Name       string   `json:"name"`
					LagSeconds *float64 `json:"lag_seconds"`
				} `json:"folders"`
			} `json:"observed"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Accounts) != 1 {
		t.Fatalf("verify --output json is not the report: %v\n%s\n%s", err, out, errOut)
	}
	want := map[string]string{"personal": "photos", "shared": "shared"}
	for _, c := range rep.Accounts[0].Checks {
		if c.ID != "local_copy" {
			continue
		}
		if len(c.Details.Missing) == 0 {
			t.Fatalf("local_copy lists no missing photo: %s", c.Summary)
		}
		for _, m := range c.Details.Missing {
			if want[m.Library] != m.Folder {
				t.Errorf("a %s photo is reported missing from folder %s", m.Library, m.Folder)
			}
		}
	}
	for _, f := range rep.Accounts[0].Observed.Folders {
		if f.Name != "photos" {
			continue
		}
		if f.LagSeconds == nil {
			t.Errorf("personal folder: no lag reported")
		} else if *f.LagSeconds < 3*24*3600 {
			t.Errorf("personal folder lag %.0f s, want at least 3 days (the importer stopped 4 days ago)", *f.LagSeconds)
		}
	}
}

// TestDemoGapsOnlyTheAuditFindsOldPhotos: in the "gaps" scenario the
// importer skipped a few old photos. The first cycle of the demo's own
// configuration (default audit budget) fills the mirror and reports
// exactly those photos in library_audit, with their taken dates (the
// status page charts them by month); every other check is ok, as in the
// healthy scenario, because none of them is among the newest.
func TestDemoGapsOnlyTheAuditFindsOldPhotos(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	_, path := startDemoConfig(t, "gaps")
	code, out, errOut := runCLI(t, "", "verify", "--config", path, "--output", "json")
	if code != exitWarning {
		t.Errorf("verify exit %d, want %d (warning)\n%s", code, exitWarning, errOut)
	}
	var rep struct {
		Accounts []struct {
			Checks []struct {
				ID, Status, Summary string
				Pending             bool
				Details             struct {
					Missing []struct {
						Filename, Library string
						Taken             time.Time
					}
				}
			} `json:"checks"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Accounts) != 1 {
		t.Fatalf("verify --output json is not the report: %v\n%s\n%s", err, out, errOut)
	}
	want := map[string]time.Time{}
	for _, a := range demo.GapPhotos() {
		want[a.Filename] = a.Taken
	}
	seen := false
	for _, c := range rep.Accounts[0].Checks {
		if c.ID != "library_audit" {
			if c.Status != "ok" {
				t.Errorf("%s is %s (%s); only library_audit may see the old gaps", c.ID, c.Status, c.Summary)
			}
			continue
		}
		seen = true
		if c.Status != "warning" || c.Pending {
			t.Errorf("library_audit is %s (pending %v): %s; want a warning after the first cycle", c.Status, c.Pending, c.Summary)
		}
		var got []string
		for _, m := range c.Details.Missing {
			got = append(got, m.Filename)
			if taken, ok := want[m.Filename]; !ok || !m.Taken.Equal(taken) || m.Library != "personal" {
				t.Errorf("missing %s (%s, taken %s); want only the gap photos, personal, with their taken dates", m.Filename, m.Library, m.Taken)
			}
		}
		if len(got) != len(want) || len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(want) {
			t.Errorf("library_audit lists %v, want exactly the %d gap photos", got, len(want))
		}
	}
	if !seen {
		t.Errorf("the demo's report has no library_audit check:\n%s", out)
	}
}
