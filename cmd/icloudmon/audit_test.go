package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// fakeAuditor plays agent.Agent's Audit: it reports the given progress
// steps, then returns the account's observation or error.
type fakeAuditor struct {
	names []string
	obs   map[string]*checks.AuditObservation
	errs  map[string]error
	steps []checks.AuditProgress
	calls []string
}

func (f *fakeAuditor) AccountNames() []string { return f.names }

func (f *fakeAuditor) Audit(_ context.Context, account string, progress func(checks.AuditProgress)) (*checks.AuditObservation, error) {
	f.calls = append(f.calls, account)
	for _, s := range f.steps {
		progress(s)
	}
	return f.obs[account], f.errs[account]
}

var auditNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// missingAssets returns n old assets, one a month from 2019.
func missingAssets(n int) []checks.AuditMissing {
	out := make([]checks.AuditMissing, n)
	for i := range out {
		taken := time.Date(2019, 1, 10, 12, 0, 0, 0, time.UTC).AddDate(0, i, 0)
		out[i] = checks.AuditMissing{ID: fmt.Sprintf("rec-%02d", i), Filename: fmt.Sprintf("IMG_%04d.JPG", i),
			Taken: taken, Added: taken.Add(time.Hour), Size: 2_500_000}
	}
	return out
}

func filled(name string, missing []checks.AuditMissing) checks.AuditLibrary {
	return checks.AuditLibrary{Name: name, Filled: true, Mirrored: 1000, Expected: 1000, Compared: 990, Excluded: 10,
		Missing: missing, LastComplete: auditNow}
}

func auditOf(libs ...checks.AuditLibrary) *checks.AuditObservation {
	return &checks.AuditObservation{Libraries: libs}
}

// runAuditWith runs the audit of fa and returns stdout, stderr and the exit.
func runAuditWith(t *testing.T, fa *fakeAuditor, format string, tty bool) (string, string, int) {
	t.Helper()
	var out, errw bytes.Buffer
	r := auditRun{out: &out, errw: &errw, tty: tty, format: format, now: func() time.Time { return auditNow }}
	code := exitOK
	if err := r.run(context.Background(), fa); err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			t.Fatalf("run: %v", err)
		}
		code = ee.code
	}
	return out.String(), errw.String(), code
}

func TestAuditListsEveryMissingAsset(t *testing.T) {
	fa := &fakeAuditor{names: []string{"alice", "bob"}, obs: map[string]*checks.AuditObservation{
		"alice": auditOf(filled("personal", missingAssets(15))),
		"bob":   auditOf(filled("personal", nil)),
	}}
	out, _, code := runAuditWith(t, fa, "text", false)
	if code != exitWarning {
		t.Errorf("exit %d with missing photos, want %d", code, exitWarning)
	}
	for i := range 15 { // every one, not the ten of verify
		if name := fmt.Sprintf("IMG_%04d.JPG", i); !strings.Contains(out, name) {
			t.Errorf("text output lacks %s", name)
		}
	}
	for _, want := range []string{"TAKEN", "2019-01-10 12:00", "2019-01-10 13:00", "2.4 MB", "15 of 990 photos in library personal",
		"library personal: 1000 listed, 990 compared, 10 left out, 15 missing", "bob: OK", "--until-found"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Join(fa.calls, ",") != "alice,bob" {
		t.Errorf("audited %v", fa.calls)
	}
}

func TestAuditJSONIsStable(t *testing.T) {
	fa := &fakeAuditor{names: []string{"alice"}, obs: map[string]*checks.AuditObservation{"alice": auditOf(filled("personal", missingAssets(2)))}}
	out, _, code := runAuditWith(t, fa, "json", false)
	if code != exitWarning {
		t.Errorf("exit %d", code)
	}
	var doc struct {
		Status    string `json:"status"`
		CheckedAt string `json:"checked_at"`
		Accounts  []struct {
			Name      string           `json:"name"`
			Status    string           `json:"status"`
			Summary   string           `json:"summary"`
			Libraries []map[string]any `json:"libraries"`
			Missing   []map[string]any `json:"missing"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if doc.Status != "warning" || doc.CheckedAt != "2026-11-22T10:00:00Z" || len(doc.Accounts) != 1 || doc.Accounts[0].Name != "alice" {
		t.Fatalf("top level %+v", doc)
	}
	a := doc.Accounts[0]
	if len(a.Missing) != 2 || len(a.Libraries) != 1 {
		t.Fatalf("account %+v", a)
	}
	m := a.Missing[0]
	if m["id"] != "rec-00" || m["filename"] != "IMG_0000.JPG" || m["library"] != "personal" || m["taken"] != "2019-01-10T12:00:00Z" ||
		m["added"] != "2019-01-10T13:00:00Z" || m["size"] != float64(2_500_000) {
		t.Errorf("missing item %v", m)
	}
	l := a.Libraries[0]
	for _, key := range []string{"library", "filled", "mirrored", "expected", "fill_ratio", "compared", "excluded", "missing", "last_complete"} {
		if _, ok := l[key]; !ok {
			t.Errorf("library facts lack %q: %v", key, l)
		}
	}
}

func TestAuditCSV(t *testing.T) {
	fa := &fakeAuditor{names: []string{"alice", "bob"}, obs: map[string]*checks.AuditObservation{
		"alice": auditOf(filled("personal", missingAssets(3))),
		"bob":   auditOf(filled("shared", missingAssets(1))),
	}}
	out, _, code := runAuditWith(t, fa, "csv", false)
	if code != exitWarning {
		t.Errorf("exit %d", code)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0], ",") != "account,library,filename,taken,added,size_bytes,id" {
		t.Fatalf("csv rows %q", rows)
	}
	if got := strings.Join(rows[4], ","); got != "bob,shared,IMG_0000.JPG,2019-01-10T12:00:00Z,2019-01-10T13:00:00Z,2500000,rec-00" {
		t.Errorf("last row %q", got)
	}
	// Nothing missing: the header alone, exit 0.
	fa = &fakeAuditor{names: []string{"alice"}, obs: map[string]*checks.AuditObservation{"alice": auditOf(filled("personal", nil))}}
	out, _, code = runAuditWith(t, fa, "csv", false)
	if code != exitOK || strings.Count(out, "\n") != 1 {
		t.Errorf("nothing missing: exit %d, csv %q", code, out)
	}
}

// TestAuditExitCodes: like verify, 0 nothing missing, 1 missing, 3 when
// there is no complete answer (error, interrupted fill, audit off).
func TestAuditExitCodes(t *testing.T) {
	filling := checks.AuditLibrary{Name: "personal", Mirrored: 10, Expected: 100, Paused: true, ResumeAt: auditNow.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		obs  *checks.AuditObservation
		err  error
		code int
		says string
	}{
		{"nothing missing", auditOf(filled("personal", nil)), nil, exitOK, "All 990 photos"},
		{"missing", auditOf(filled("personal", missingAssets(1))), nil, exitWarning, "1 of 990 photos"},
		{"error", nil, errors.New("CloudKit answered 503"), exitUnknown, "could not run: CloudKit answered 503"},
		{"audit off", nil, nil, exitUnknown, "audit is off for this account"},
		{"fill not finished", auditOf(filling), nil, exitUnknown, "run icloudmon audit again to continue"},
		{"missing and error elsewhere", auditOf(filled("personal", missingAssets(1)),
			checks.AuditLibrary{Name: "shared", Mirrored: 5, Expected: 9, Error: "HTTP 500"}), nil, exitWarning, "could not be filled: HTTP 500"},
	} {
		fa := &fakeAuditor{names: []string{"alice"}, obs: map[string]*checks.AuditObservation{"alice": tc.obs}, errs: map[string]error{"alice": tc.err}}
		out, _, code := runAuditWith(t, fa, "json", false)
		if code != tc.code || !strings.Contains(out, tc.says) {
			t.Errorf("%s: exit %d, want %d; output lacks %q?\n%s", tc.name, code, tc.code, tc.says, out)
		}
	}
	out, _, code := runAuditWith(t, &fakeAuditor{}, "text", false)
	if code != exitUnknown || !strings.Contains(out, "No account was audited") {
		t.Errorf("no account: exit %d\n%s", code, out)
	}
}

func TestAuditProgress(t *testing.T) {
	var steps []checks.AuditProgress
	for n := 0; n <= 100_000; n += 2_500 {
		steps = append(steps, checks.AuditProgress{Library: "personal", Mirrored: n, Expected: 100_000, Requests: n / 200})
	}
	steps = append(steps, checks.AuditProgress{Library: "personal", Mirrored: 100_000, Expected: 100_000, Requests: 500, Done: true})
	fa := &fakeAuditor{names: []string{"alice"}, steps: steps, obs: map[string]*checks.AuditObservation{"alice": auditOf(filled("personal", nil))}}

	_, plain, _ := runAuditWith(t, fa, "text", false)
	lines := strings.Split(strings.TrimSpace(plain), "\n")
	if len(lines) != 12 || strings.Contains(plain, "\r") || strings.Contains(plain, "\x1b") {
		t.Errorf("plain progress: %d lines, want one per 10 %% and one when done, no terminal codes:\n%q", len(lines), plain)
	}
	if !strings.Contains(lines[4], "audit alice/personal: 40 % listed (40000 of 100000)") ||
		lines[11] != "audit alice/personal: up to date, 100000 listed, 500 requests" {
		t.Errorf("plain progress lines:\n%s", plain)
	}

	_, bar, _ := runAuditWith(t, fa, "text", true)
	if n := strings.Count(bar, "\r\x1b[K"); n != len(steps) {
		t.Errorf("bar redrawn %d times, want %d", n, len(steps))
	}
	if !strings.Contains(bar, "[############..................]  40 % 40000/100000") || !strings.HasSuffix(bar, "\n") {
		t.Errorf("bar:\n%q", bar)
	}

	// An error mid-fill leaves no half-drawn line behind.
	fa.steps, fa.obs, fa.errs = steps[:3], nil, map[string]error{"alice": context.Canceled}
	_, bar, _ = runAuditWith(t, fa, "text", true)
	if !strings.HasSuffix(bar, "\n") {
		t.Errorf("interrupted bar does not end its line: %q", bar)
	}
}

// TestAuditTerminalSafe: a file name from a Shared Library participant
// cannot drive the terminal.
func TestAuditTerminalSafe(t *testing.T) {
	m := missingAssets(1)
	m[0].Filename = "IMG\x1b[2J.JPG"
	fa := &fakeAuditor{names: []string{"alice"}, obs: map[string]*checks.AuditObservation{"alice": auditOf(filled("personal", m))}}
	out, _, _ := runAuditWith(t, fa, "text", false)
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `IMG\x1b[2J.JPG`) {
		t.Errorf("name not escaped:\n%q", out)
	}
}

func TestAuditCommandFlags(t *testing.T) {
	code, _, errOut := runCLI(t, "", "audit", "--output", "xml")
	if code != exitUnknown || !strings.Contains(errOut, "--output must be text, json or csv") {
		t.Errorf("bad output: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "", "audit", "--interval", "1h")
	if code != exitUnknown || !strings.Contains(errOut, "icloudmon audit --help") {
		t.Errorf("unused flag: exit %d, stderr %q", code, errOut)
	}
}
