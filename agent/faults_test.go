package agent

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// faultCase is one row of the fault matrix: a fault injected before one
// cycle of the real agent against the fake.
type faultCase struct {
	name string
	opts rigOptions
	// warm runs a healthy cycle first, so that the fault hits a signed-in
	// agent with a stored snapshot and index (a "mid-cycle" fault).
	warm   bool
	inject func(r *rig)
	// recovers: the agent absorbs the fault and the report is genuinely ok.
	recovers bool
	// notOK are checks that must not be ok when the fault is not absorbed.
	notOK []checks.CheckID
	// maxRequests bounds the requests the faulted cycle may make.
	maxRequests int
	// clear removes the fault (nil: the wrapper fault is cleared).
	clear func(r *rig)
	// sticky: the drifted answer is cached in the stored snapshot until the
	// library changes, so recovery is checked with a fresh read (NoCache).
	sticky bool
	// baseline is the scenario's status without the fault (default ok).
	baseline checks.Status
}

var cloudChecks = []checks.CheckID{checks.CheckAuth, checks.CheckICloudUpload, checks.CheckLocalCopy}

func wrap(x extraFault) func(*rig) { return func(r *rig) { r.extra.set(&x) } }

func faultCases() []faultCase {
	return []faultCase{
		{name: "5xx storm on every Photos request", warm: true, inject: wrap(extraFault{Status: 500}), notOK: cloudChecks, maxRequests: 12},
		{name: "5xx storm before sign-in (validate 502 for ever)", inject: func(r *rig) {
			r.server.Update(func(sc *fakeicloud.Scenario) {
				sc.Faults = map[string]fakeicloud.Fault{"/setup/ws/1/validate": {Status: 502}, "/setup/ws/1/accountLogin": {Status: 502}}
			})
		}, warm: true, notOK: cloudChecks, maxRequests: 12, clear: func(r *rig) {
			r.server.Update(func(sc *fakeicloud.Scenario) { sc.Faults = nil })
		}},
		{name: "429 with Retry-After: 3600 on signin/init (cold start)", inject: authFault("/appleauth/auth/signin/init",
			fakeicloud.Fault{Status: 429, RetryAfter: "3600"}),
			notOK: cloudChecks, maxRequests: 8, clear: clearAuthFaults},
		{name: "truncated JSON from signin/init (cold start)", inject: authFault("/appleauth/auth/signin/init",
			fakeicloud.Fault{Status: 200, Body: `{"salt":"c2FsdA==","b":"AAEC`, Times: 1}), notOK: cloudChecks, maxRequests: 8},
		{name: "HTML from accountLogin (cold start)", inject: authFault("/setup/ws/1/accountLogin",
			fakeicloud.Fault{Status: 200, Body: "<html><body>Maintenance</body></html>", Times: 1}), notOK: cloudChecks, maxRequests: 16},
		{name: "429 with Retry-After: 3600", warm: true, inject: wrap(extraFault{Status: 429, RetryAfter: "3600"}), notOK: cloudChecks, maxRequests: 4},
		{name: "429 without Retry-After", warm: true, inject: wrap(extraFault{Status: 429}), notOK: cloudChecks, maxRequests: 8},
		{name: "503 with Retry-After: 120", warm: true, inject: wrap(extraFault{Status: 503, RetryAfter: "120"}), notOK: cloudChecks, maxRequests: 4},
		{name: "503 without Retry-After", warm: true, inject: wrap(extraFault{Status: 503}), notOK: cloudChecks, maxRequests: 8},
		{name: "503 once, Retry-After: 0 (transient)", warm: true, inject: wrap(extraFault{Status: 503, RetryAfter: "0", Times: 1}), recovers: true, maxRequests: 8},
		{name: "421 once mid-cycle (changes/database, after validate)", warm: true, inject: wrap(extraFault{Path: "changes/database", Status: 421, Times: 1}), notOK: cloudChecks, recovers: true, maxRequests: 10},
		{name: "401 once mid-cycle (changes/database, after validate)", warm: true, inject: wrap(extraFault{Path: "changes/database", Status: 401, Times: 1}), notOK: cloudChecks, recovers: true, maxRequests: 10},
		{name: "421 once on records/query (cold cycle)", inject: wrap(extraFault{Path: "records/query", Status: 421, Times: 1}), notOK: cloudChecks, recovers: true, maxRequests: 20},
		{name: "web session cookies expire mid-cycle", warm: true, inject: func(r *rig) {
			r.extra.set(&extraFault{Path: "changes/database", Times: 1, Before: r.server.ExpireWebSessions})
		}, notOK: cloudChecks, recovers: true, maxRequests: 10},
		{name: "web session expired between cycles (validate 421)", warm: true, inject: func(r *rig) { r.server.ExpireWebSessions() }, recovers: true, maxRequests: 8},
		{name: "connection reset on every Photos request", warm: true, inject: wrap(extraFault{Reset: true}), notOK: cloudChecks, maxRequests: 12},
		{name: "connection reset once", warm: true, inject: wrap(extraFault{Reset: true, Times: 1}), notOK: cloudChecks, recovers: true, maxRequests: 8},
		{name: "answer slower than the client timeout", warm: true, opts: rigOptions{timeout: 300 * time.Millisecond},
			inject: wrap(extraFault{Delay: 2 * time.Second, Status: 200}), notOK: cloudChecks, maxRequests: 12},
		{name: "truncated JSON on records/query (fake PhotosFault)", inject: func(r *rig) {
			f := fakeicloud.FaultTruncatedJSON
			f.Path, f.Times = "records/query", 1
			r.photos.Inject(f)
		}, notOK: cloudChecks, maxRequests: 16},
		{name: "HTML page where JSON was expected", warm: true,
			inject: wrap(extraFault{ContentType: "text/html", Body: "<html><body>Service Unavailable</body></html>"}), notOK: cloudChecks, maxRequests: 10},
		{name: "oversized body on records/query (2 MiB > 1 MiB limit)", opts: rigOptions{maxBody: 1 << 20},
			inject: wrap(extraFault{Path: "records/query", BodyBytes: 2 << 20}), notOK: cloudChecks, maxRequests: 16},
		{name: "schema drift: unknown record and top-level fields", inject: wrap(extraFault{Rewrite: func(rec map[string]any) {
			rec["futureField"] = map[string]any{"nested": []any{1, "x", nil}}
			if f := fields(rec); f != nil {
				f["newAppleField"] = map[string]any{"value": 42, "type": "INT64"}
			}
		}}), recovers: true, sticky: true, maxRequests: 16},
		{name: "schema drift: filenameEnc as STRING instead of ENCRYPTED_BYTES", inject: wrap(extraFault{Rewrite: func(rec map[string]any) {
			if f := fields(rec); f != nil {
				if fe, ok := f["filenameEnc"].(map[string]any); ok && fe["type"] == "ENCRYPTED_BYTES" {
					if b, err := base64.StdEncoding.DecodeString(fmt.Sprint(fe["value"])); err == nil {
						f["filenameEnc"] = map[string]any{"value": string(b), "type": "STRING"}
					}
				}
			}
		}}), recovers: true, sticky: true, maxRequests: 16},
		{name: "schema drift: null dateExpunged", opts: rigOptions{scenario: "deleted"}, inject: wrap(extraFault{Rewrite: func(rec map[string]any) {
			if f := fields(rec); f != nil {
				if _, ok := f["dateExpunged"]; ok {
					f["dateExpunged"] = map[string]any{"value": nil, "type": "TIMESTAMP"}
				}
			}
		}}), notOK: []checks.CheckID{checks.CheckRecentlyDeleted}, sticky: true, maxRequests: 16, baseline: checks.StatusCritical},
		{name: "schema drift: size and dates missing", inject: wrap(extraFault{Rewrite: func(rec map[string]any) {
			if f := fields(rec); f != nil {
				delete(f, "resOriginalRes")
				delete(f, "addedDate")
				delete(f, "assetDate")
			}
		}}), notOK: []checks.CheckID{checks.CheckICloudUpload, checks.CheckLocalCopy}, sticky: true, maxRequests: 16},
		{name: "clock skew: the fake 2 h ahead", opts: rigOptions{serverSkew: 2 * time.Hour}, recovers: true, maxRequests: 16},
		{name: "clock skew: the fake 45 days behind (its session cookies look expired here)", opts: rigOptions{serverSkew: -45 * 24 * time.Hour}, warm: true,
			recovers: true, maxRequests: 10},
		{name: "photo folder removed between cycles", warm: true, inject: func(r *rig) {
			if err := os.Rename(r.photoDir, r.photoDir+".gone"); err != nil {
				r.t.Fatal(err)
			}
		}, notOK: []checks.CheckID{checks.CheckFolder, checks.CheckLocalCopy}, maxRequests: 8,
			clear: func(r *rig) { _ = os.Rename(r.photoDir+".gone", r.photoDir) }},
		{name: "photo folder emptied (unmounted volume)", warm: true, inject: func(r *rig) {
			if err := os.Rename(r.photoDir, r.photoDir+".gone"); err != nil {
				r.t.Fatal(err)
			}
			if err := os.Mkdir(r.photoDir, 0o755); err != nil {
				r.t.Fatal(err)
			}
		}, notOK: []checks.CheckID{checks.CheckFolder, checks.CheckLocalCopy}, maxRequests: 8,
			clear: func(r *rig) { _ = os.Remove(r.photoDir); _ = os.Rename(r.photoDir+".gone", r.photoDir) }},
		{name: "unreadable entries (symlink loop, dangling link)", warm: true, inject: func(r *rig) {
			loop := filepath.Join(r.photoDir, "IMG_LOOP.JPG")
			_ = os.Symlink(loop, loop)
			_ = os.Symlink(filepath.Join(r.photoDir, "nowhere"), filepath.Join(r.photoDir, "IMG_DANGLING.JPG"))
		}, recovers: true, maxRequests: 8},
	}
}

// authFault makes the fake answer path with f (the fake's Scenario.Faults).
func authFault(path string, f fakeicloud.Fault) func(*rig) {
	return func(r *rig) {
		r.server.Update(func(sc *fakeicloud.Scenario) { sc.Faults = map[string]fakeicloud.Fault{path: f} })
	}
}

func clearAuthFaults(r *rig) { r.server.Update(func(sc *fakeicloud.Scenario) { sc.Faults = nil }) }

// faultRow is what the matrix observed for one fault.
type faultRow struct {
	name, observed, recovery string
	requests                 int
}

func TestFaultMatrix(t *testing.T) {
	var rows []faultRow
	for _, fc := range faultCases() {
		t.Run(fc.name, func(t *testing.T) {
			rows = append(rows, runFault(t, fc))
		})
	}
	if out := os.Getenv("ICLOUDMON_RELIABILITY_TABLE"); out != "" {
		writeFaultTable(t, out, rows)
	}
}

func runFault(t *testing.T, fc faultCase) faultRow {
	r := newRig(t, fc.opts)
	if fc.warm {
		if rep := r.cycle(); rep.Status != checks.StatusOK {
			t.Fatalf("the warm-up cycle is %s, want ok", rep.Status)
		}
		r.clock.Advance(10 * time.Minute)
	}
	if fc.inject != nil {
		fc.inject(r)
	}
	n0 := r.requests()
	rep := r.cycle()
	row := faultRow{name: fc.name, requests: r.requests() - n0, observed: strings.ReplaceAll(describe(rep), r.photoDir, "<folder>")}
	if fc.opts.serverSkew != 0 {
		c, _ := rep.Check(checks.CheckSessionExpiry)
		row.observed += " (session_expiry: " + c.Summary + ")"
	}
	if row.requests > fc.maxRequests {
		t.Errorf("the faulted cycle made %d requests, want at most %d", row.requests, fc.maxRequests)
	}
	assertNoFalseOK(t, fc, rep)
	row.recovery = recoverAfter(t, r, fc)
	assertReadOnly(t, r)
	return row
}

// assertNoFalseOK: either the fault was absorbed and the report is ok, or
// the affected checks say so with a summary and a remediation.
func assertNoFalseOK(t *testing.T, fc faultCase, rep checks.AccountReport) {
	t.Helper()
	if rep.Status == checks.StatusOK && fc.recovers {
		return
	}
	if rep.Status == checks.StatusOK {
		t.Errorf("the report is ok although the fault was not absorbed:\n%s", describe(rep))
	}
	for _, id := range fc.notOK {
		c, ok := rep.Check(id)
		if !ok || c.Status == checks.StatusOK {
			t.Errorf("%s is %s under the fault; want not ok\n%s", id, status(rep, id), describe(rep))
			continue
		}
		if c.Summary == "" {
			t.Errorf("%s is %s with no summary", id, c.Status)
		}
	}
	if !hasRemediation(rep) {
		t.Errorf("no failing check tells what to do:\n%s", describe(rep))
	}
}

func hasRemediation(rep checks.AccountReport) bool {
	for _, c := range rep.Checks {
		if c.Status != checks.StatusOK && c.Remediation != "" {
			return true
		}
	}
	return false
}

// recoverAfter clears the fault and runs another cycle: nothing may stay
// stuck once Apple, the network or the folder is healthy again.
func recoverAfter(t *testing.T, r *rig, fc faultCase) string {
	if fc.clear != nil {
		fc.clear(r)
	}
	r.extra.set(nil)
	if fc.opts.serverSkew != 0 {
		return "n/a (skew persists)"
	}
	r.clock.Advance(2 * time.Hour) // past any Retry-After the fault asked for
	r.cloud.NoCache = fc.sticky
	n0 := r.requests()
	rep := r.cycle()
	want := fc.baseline
	if want == checks.StatusUnknown { // the zero value: no baseline given
		want = checks.StatusOK
	}
	if rep.Status != want {
		t.Errorf("after the fault cleared the next cycle is %s, want %s:\n%s", rep.Status, want, describe(rep))
		return fmt.Sprintf("still %s", rep.Status)
	}
	return fmt.Sprintf("%s (as without the fault), %d requests", rep.Status, r.requests()-n0)
}

// describe summarises the non-ok checks of a report on one line.
func describe(rep checks.AccountReport) string {
	var parts []string
	for _, c := range rep.Checks {
		if c.Status != checks.StatusOK {
			parts = append(parts, fmt.Sprintf("%s %s: %s", c.ID, c.Status, c.Summary))
		}
	}
	if len(parts) == 0 {
		return "all checks ok"
	}
	return strings.Join(parts, "; ")
}

func writeFaultTable(t *testing.T, path string, rows []faultRow) {
	var b strings.Builder
	b.WriteString("| Fault | Observed in the faulted cycle (non-ok checks) | Requests in the faulted cycle | Next cycle after the fault clears |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", r.name, strings.ReplaceAll(r.observed, "|", "/"), r.requests, r.recovery)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
