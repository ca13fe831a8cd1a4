package conformance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// icloudmonBin is the icloudmon built once by TestMain.
var icloudmonBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "icloudmon-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer os.RemoveAll(dir)
	icloudmonBin = filepath.Join(dir, "icloudmon")
	// The conformance tag only adds the simulated clock of the multi-day
	// cases (cmd/icloudmon/clock_conformance.go), inert unless its
	// environment variable is set.
	build := exec.Command("go", "build", "-tags", "conformance", "-o", icloudmonBin, "github.com/icloudmon/icloudmon/cmd/icloudmon")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "conformance: cannot build cmd/icloudmon:", err)
		return 3
	}
	return m.Run()
}

// caseSpec is a case's case.json: how the account and its folders are
// configured and what the saved session holds.
type caseSpec struct {
	// Account keys merged into the generated account (libraries,
	// hidden, region, ...).
	Account map[string]any `json:"account"`
	Folders []struct {
		Name   string `json:"name"`
		Layout string `json:"layout"`
		// Absent leaves the folder uncreated (a lost mount).
		Absent bool `json:"absent,omitempty"`
		// Renditions is the folder's renditions key, when set.
		Renditions string `json:"renditions,omitempty"`
		// Libraries, when given, is the folder's `libraries:` key.
		Libraries []string `json:"libraries,omitempty"`
	} `json:"folders"`
	Checks map[string]any `json:"checks,omitempty"`
	// Audit is the case's audit: section. Without it the whole-library
	// audit is off: its changes/zone requests are not in the recordings
	// of the cases that predate it.
	Audit map[string]any `json:"audit,omitempty"`
	// Password stores a password in a secret file; without it the
	// password source is an unset environment variable.
	Password bool `json:"password"`
	// Login, if set, runs `icloudmon login --account alice` before verify,
	// with the password from the secret file and Code as the one line of
	// standard input (a two-factor code), and expects exit status Exit.
	// The exchanges of both runs follow each other in exchanges.json.
	Login *struct {
		Code string `json:"code"`
		Exit int    `json:"exit"`
	} `json:"login,omitempty"`
	// Session, if set, is the saved session the case starts from (what
	// `icloudmon login` leaves in data_dir/sessions).
	Session *struct {
		// WebExpires and TrustExpires are offsets from now of the web
		// session and 2FA trust cookies; "" gives a cookie without expiry.
		WebExpires   string `json:"web_expires"`
		TrustExpires string `json:"trust_expires"`
	} `json:"session,omitempty"`
}

// expectation is a case's expect.json, written from docs/checks.md.
type expectation struct {
	Exit   int               `json:"exit"`
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	// Summaries: substrings each check's summary must contain.
	Summaries map[string]string `json:"summaries,omitempty"`
}

type verifyOutput struct {
	Status   string `json:"status"`
	Accounts []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Checks []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Summary string `json:"summary"`
		} `json:"checks"`
	} `json:"accounts"`
}

func TestCases(t *testing.T) {
	dirs, err := filepath.Glob("cases/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no cases under cases/")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			runCase(t, dir)
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("case file: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func runCase(t *testing.T, dir string) {
	var spec caseSpec
	var exchanges []exchange
	var local map[string][]localFile
	var want expectation
	readJSON(t, filepath.Join(dir, "case.json"), &spec)
	readJSON(t, filepath.Join(dir, "exchanges.json"), &exchanges)
	readJSON(t, filepath.Join(dir, "expect.json"), &want)
	if _, err := os.Stat(filepath.Join(dir, "local.json")); err == nil {
		readJSON(t, filepath.Join(dir, "local.json"), &local)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Fatalf("every case needs a README.md saying why its verdict is right: %v", err)
	}

	now := time.Now().UTC().Truncate(time.Second)
	srv := newReplay(dir, exchanges, now)
	defer srv.Close()
	tmp := t.TempDir()
	cfg := writeConfig(t, tmp, spec, srv, local, now)

	if spec.Login != nil {
		_, code, stderr := icloudmon(t, tmp, spec.Login.Code+"\n", nil, "--config", cfg, "login", "--account", "alice")
		if code != spec.Login.Exit {
			t.Errorf("login exited %d, want %d\nstderr:\n%s", code, spec.Login.Exit, stderr)
		}
	}
	out, code := verify(t, tmp, cfg, nil)
	for _, p := range srv.problems() {
		t.Errorf("replay: %s", p)
	}
	if diffs := judge(t, want, out, code); len(diffs) > 0 {
		t.Errorf("verdict differs from the rules in docs/checks.md (see %s/README.md):\n  %s\nfull output:\n%s",
			dir, strings.Join(diffs, "\n  "), out)
	}
}

// judge compares verify's JSON output and exit code with want and
// returns the differences.
func judge(t *testing.T, want expectation, out []byte, code int) []string {
	t.Helper()
	statuses, summaries := checkStatuses(t, out, code)
	var got verifyOutput
	_ = json.Unmarshal(out, &got) // checkStatuses already failed on bad JSON
	var diffs []string
	if code != want.Exit {
		diffs = append(diffs, fmt.Sprintf("exit code %d, want %d", code, want.Exit))
	}
	if got.Status != want.Status {
		diffs = append(diffs, fmt.Sprintf("overall status %q, want %q", got.Status, want.Status))
	}
	ids := make([]string, 0, len(want.Checks))
	for id := range want.Checks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if statuses[id] != want.Checks[id] {
			diffs = append(diffs, fmt.Sprintf("%s: %q, want %q (summary: %s)", id, statuses[id], want.Checks[id], summaries[id]))
		}
	}
	for id, sub := range want.Summaries {
		if !strings.Contains(strings.ToLower(summaries[id]), strings.ToLower(sub)) {
			diffs = append(diffs, fmt.Sprintf("%s: summary %q does not contain %q", id, summaries[id], sub))
		}
	}
	return diffs
}

// checkStatuses returns each check's status (the worst when a check is
// reported per library or folder) and its summaries joined by " | ".
func checkStatuses(t *testing.T, out []byte, code int) (map[string]string, map[string]string) {
	t.Helper()
	var got verifyOutput
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("verify --output json printed no JSON (exit %d): %v\n%s", code, err, out)
	}
	if len(got.Accounts) != 1 {
		t.Fatalf("want one account in the report, got %d\n%s", len(got.Accounts), out)
	}
	statuses := map[string]string{}
	summaries := map[string]string{}
	for _, c := range got.Accounts[0].Checks {
		statuses[c.ID] = worst(statuses[c.ID], c.Status)
		summaries[c.ID] += c.Summary + " | "
	}
	return statuses, summaries
}

var rank = map[string]int{"": -1, "ok": 0, "warning": 1, "unknown": 2, "critical": 3}

func worst(a, b string) string {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// dataDirAndCA creates the data directory under tmp and writes the replay
// server's CA certificate next to it; it returns both paths.
func dataDirAndCA(t *testing.T, tmp string, srv *replay) (data, ca string) {
	t.Helper()
	data = filepath.Join(tmp, "data")
	must(t, os.MkdirAll(data, 0o700))
	ca = filepath.Join(tmp, "ca.pem")
	must(t, os.WriteFile(ca, pemOf(srv), 0o600))
	return data, ca
}

// writeConfig materialises folders, the CA file, the password and the
// saved session, and returns the path of the generated configuration
// (JSON, which is YAML).
func writeConfig(t *testing.T, tmp string, spec caseSpec, srv *replay, local map[string][]localFile, now time.Time) string {
	t.Helper()
	data, ca := dataDirAndCA(t, tmp, srv)

	var folders []map[string]any
	for _, f := range spec.Folders {
		p := filepath.Join(tmp, "folders", f.Name)
		if !f.Absent {
			must(t, os.MkdirAll(p, 0o755))
			for _, lf := range local[f.Name] {
				must(t, materialise(p, lf, now))
			}
		}
		folder := map[string]any{"path": p, "name": f.Name, "layout": f.Layout}
		if f.Renditions != "" {
			folder["renditions"] = f.Renditions
		}
		if len(f.Libraries) > 0 {
			folder["libraries"] = f.Libraries
		}
		folders = append(folders, folder)
	}
	for name := range local {
		if !hasFolder(spec, name) {
			t.Fatalf("local.json describes folder %q that case.json does not configure", name)
		}
	}
	password := map[string]any{"keyring": false, "env": "CONFORMANCE_NO_SUCH_PASSWORD"}
	if spec.Password {
		pw := filepath.Join(tmp, "password")
		must(t, os.WriteFile(pw, []byte("correct horse battery staple\n"), 0o600))
		password = map[string]any{"keyring": false, "file": pw}
	}
	if spec.Session != nil {
		writeSession(t, data, spec, now)
	}
	return writeConfigFile(t, tmp, data, ca, spec, srv, folders, password)
}

// writeConfigFile writes the icloudmon configuration of a case (the
// account "alice" against the replay server, its folders and password
// source, the case's account keys and check thresholds) and returns its
// path. One-day and multi-day cases share it.
func writeConfigFile(t *testing.T, tmp, data, ca string, spec caseSpec, srv *replay, folders []map[string]any, password map[string]any) string {
	t.Helper()
	acct := map[string]any{
		"name": "alice", "apple_id": "alice@example.com", "password": password,
		"endpoints": map[string]any{"auth": srv.URL() + "/appleauth/auth", "setup": srv.URL() + "/setup/ws/1", "home": srv.URL()},
		"folders":   folders,
	}
	for k, v := range spec.Account {
		acct[k] = v
	}
	cfg := map[string]any{
		"data_dir": data, "listen": "127.0.0.1:0", "tls": map[string]any{"ca_file": ca},
		"accounts": []any{acct},
	}
	if len(spec.Checks) > 0 {
		cfg["checks"] = spec.Checks
	}
	cfg["audit"] = map[string]any{"enabled": false}
	if len(spec.Audit) > 0 {
		cfg["audit"] = spec.Audit
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	must(t, err)
	path := filepath.Join(tmp, "icloudmon.yml")
	must(t, os.WriteFile(path, b, 0o600))
	return path
}

func hasFolder(spec caseSpec, name string) bool {
	for _, f := range spec.Folders {
		if f.Name == name {
			return true
		}
	}
	return false
}

// writeSession writes data_dir/sessions/alice.json as `icloudmon login`
// leaves it (docs: the session file survives container updates): an
// envelope around the session blob with the web and trust cookies of the
// replay server's host and the tokens an accountLogin replay would use.
func writeSession(t *testing.T, data string, spec caseSpec, now time.Time) {
	t.Helper()
	// An empty offset leaves the cookie without an expiry (a browser
	// session cookie).
	exp := func(s string) string {
		if s == "" {
			return ""
		}
		return now.Add(mustRel(s)).Format(time.RFC3339)
	}
	web, trust := exp(spec.Session.WebExpires), exp(spec.Session.TrustExpires)
	cookie := func(name, value, expires string) map[string]any {
		c := map[string]any{"name": name, "value": value, "domain": "127.0.0.1", "host_only": true,
			"path": "/", "secure": true, "http_only": true}
		if expires != "" {
			c["expires"] = expires
		}
		return c
	}
	blob, err := json.Marshal(map[string]any{
		"v": 1, "account": "alice@example.com", "client_id": "auth-3f1b6c2e-8d4a-4f0e-9a7b-2c5d6e7f8a9b",
		"cookies": []any{
			cookie("X-APPLE-WEBAUTH-TOKEN", "v=2:t=conformance", web),
			cookie("X-APPLE-WEBAUTH-USER", "v=1:s=1:d=12345678901", web),
			cookie("X-APPLE-DS-WEB-SESSION-TOKEN", "conformance-web-session", web),
			cookie("X-APPLE-WEBAUTH-HSA-TRUST", "conformance-trust", trust),
		},
		"session_token": "conformance-session-token", "trust_token": "conformance-trust-token",
		"dsid": "12345678901",
	})
	must(t, err)
	env, err := json.Marshal(map[string]any{"format": 1, "account": "alice", "saved_at": now.Add(-time.Hour).Format(time.RFC3339),
		"session": base64.StdEncoding.EncodeToString(blob)})
	must(t, err)
	dir := filepath.Join(data, "sessions")
	must(t, os.MkdirAll(dir, 0o700))
	must(t, os.WriteFile(filepath.Join(dir, "alice.json"), env, 0o600))
}

// verify runs `icloudmon --config cfg verify --output json` with a clean
// environment (no keychain bus, no ICLOUDMON_* from the caller) plus env,
// and the extra arguments args.
func verify(t *testing.T, tmp, cfg string, env []string, args ...string) ([]byte, int) {
	t.Helper()
	out, code, stderr := icloudmon(t, tmp, "", env, append([]string{"--config", cfg, "verify", "--output", "json"}, args...)...)
	if t.Failed() || testing.Verbose() {
		t.Logf("stderr:\n%s", stderr)
	}
	return out, code
}

// icloudmon runs the binary with args, stdin and a clean environment plus env, and
// returns its standard output, exit status and standard error.
func icloudmon(t *testing.T, tmp, stdin string, env []string, args ...string) ([]byte, int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, icloudmonBin, args...)
	cmd.Env = append([]string{"HOME=" + tmp, "PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp, "TZ=UTC"}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run icloudmon: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("icloudmon %s did not finish within 60 s\nstderr:\n%s", strings.Join(args[2:], " "), stderr.String())
	}
	return out, code, stderr.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
