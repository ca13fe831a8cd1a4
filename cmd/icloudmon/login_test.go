package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

const (
	loginAppleID = "a@example.com"
	fakePassword = "the right password"
)

// loginEnv is a fake iCloud and a configuration file pointing at it.
type loginEnv struct {
	fake   *fakeicloud.Server
	dir    string
	config string
	// seams change the cli of every run (a keychain in memory, a
	// terminal); sessions are always kept in files, never in a real
	// keychain.
	seams []func(*cli)
}

// cli is the command line of one run in this environment.
func (e *loginEnv) cli(stdin io.Reader, stdout, stderr io.Writer) *cli {
	c := newCLI(stdin, stdout, stderr)
	c.sessionMode = credstore.ModeFile
	for _, s := range e.seams {
		s(c)
	}
	return c
}

// newLoginEnv writes a config with one account "a" (password from a file
// holding password, or from an unset environment variable when password is
// "") and sessions in data_dir/sessions.
func newLoginEnv(t *testing.T, sc fakeicloud.Scenario, password string) *loginEnv {
	t.Helper()
	return newLoginEnvWith(t, fakeicloud.Options{Scenario: sc}, password)
}

// newLoginEnvWith is newLoginEnv with the fake's options (Photos…).
func newLoginEnvWith(t *testing.T, opts fakeicloud.Options, password string) *loginEnv {
	t.Helper()
	opts.Scenario.AppleID, opts.Scenario.Password = loginAppleID, fakePassword
	e := &loginEnv{fake: fakeicloud.New(opts), dir: t.TempDir()}
	t.Cleanup(e.fake.Close)
	ca := filepath.Join(e.dir, "ca.pem")
	writeLoginFile(t, ca, string(e.fake.CertificatePEM()))
	pwSource := "env: ICLOUDMON_TEST_NO_SUCH_PASSWORD"
	if password != "" {
		pwFile := filepath.Join(e.dir, "password")
		writeLoginFile(t, pwFile, password+"\n")
		pwSource = "file: " + pwFile
	}
	e.config = filepath.Join(e.dir, "icloudmon.yml")
	writeLoginFile(t, e.config, fmt.Sprintf(`data_dir: %s
tls: {ca_file: %s}
accounts:
  - name: a
    apple_id: %s
    password: {keyring: false, %s}
    endpoints: {auth: %q, setup: %q, home: %q}
`, filepath.Join(e.dir, "data"), ca, loginAppleID, pwSource, e.fake.AuthURL(), e.fake.SetupURL(), e.fake.HomeURL()))
	return e
}

func writeLoginFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs icloudmon with --config and the given stdin.
func (e *loginEnv) run(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = e.cli(stdin, &out, &errb).run(append([]string{"--config", e.config}, args...))
	return code, out.String(), errb.String()
}

// count returns how many requests with method reached the auth path.
func (e *loginEnv) count(method, path string) int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Method == method && r.Path == "/appleauth/auth"+path {
			n++
		}
	}
	return n
}

func (e *loginEnv) sessionFile() string { return filepath.Join(e.dir, "data", "sessions", "a.json") }

// lines is a stdin whose lines are produced when read, so a test can pipe
// the code the fake sends only after login asked for it.
type lines struct {
	next []func() string
	buf  []byte
}

func (l *lines) Read(p []byte) (int, error) {
	if len(l.buf) == 0 {
		if len(l.next) == 0 {
			return 0, io.EOF
		}
		l.buf = []byte(l.next[0]() + "\n")
		l.next = l.next[1:]
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

func stdinLines(next ...func() string) *lines { return &lines{next: next} }

func fixed(s string) func() string { return func() string { return s } }

func notThe(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func noSecret(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, fakePassword) {
			t.Errorf("output shows the password: %q", o)
		}
	}
}

var twoFA = fakeicloud.Scenario{Require2FA: true, HasTrustedDevices: true,
	Phones: []fakeicloud.Phone{{ID: 1, Number: "+1 (•••) •••-••11"}, {ID: 2, Number: "+1 (•••) •••-••22"}}}

func TestLoginDeviceCodeFromStdinThenTrustReuse(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	code, out, errOut := e.run(t, stdinLines(e.fake.LastCode), "login", "--account", "a")
	if code != exitOK {
		t.Fatalf("login exited %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "Signed in to iCloud as account a") || !strings.Contains(errOut, "trusted Apple devices") {
		t.Errorf("login output does not say what happened:\nstdout %q\nstderr %q", out, errOut)
	}
	noSecret(t, out, errOut)
	if n := e.count(http.MethodPut, "/verify/trusteddevice/securitycode"); n != 1 {
		t.Errorf("device code requests: %d, want 1", n)
	}
	if _, err := os.Stat(e.sessionFile()); err != nil {
		t.Fatalf("no session was saved: %v", err)
	}

	// The trust token makes the second login code-free: no stdin at all.
	codeBefore := e.fake.LastCode()
	code, out, errOut = e.run(t, strings.NewReader(""), "login") // --account may be omitted with one account
	if code != exitOK {
		t.Fatalf("second login exited %d; stderr:\n%s", code, errOut)
	}
	if n := e.count(http.MethodPut, "/verify/trusteddevice/securitycode"); n != 1 || e.fake.LastCode() != codeBefore {
		t.Errorf("the second login asked for a code (%d device requests)", n)
	}
	if !strings.Contains(out, "Signed in") {
		t.Errorf("second login stdout %q", out)
	}
}

func TestLoginSMSToChosenPhone(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	code, _, errOut := e.run(t, stdinLines(e.fake.LastCode), "login", "--sms", "--phone", "2")
	if code != exitOK {
		t.Fatalf("login --sms exited %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"--phone 1", "--phone 2", "by SMS to +1 (•••) •••-••22"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := e.count(http.MethodPut, "/verify/phone"); n != 1 {
		t.Errorf("SMS requests: %d, want 1", n)
	}
	if n := e.count(http.MethodPut, "/verify/trusteddevice/securitycode"); n != 0 {
		t.Errorf("a device code was requested with --sms (%d)", n)
	}
}

func TestLoginUnknownPhone(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	code, _, errOut := e.run(t, strings.NewReader(""), "login", "--sms", "--phone", "9")
	if code != exitUnknown || !strings.Contains(errOut, "no trusted phone number has the id 9") {
		t.Errorf("unknown --phone: exit %d, stderr %q; want 3 and a clear message", code, errOut)
	}
	if n := e.count(http.MethodPut, "/verify/phone"); n != 0 {
		t.Errorf("an SMS was requested for an unknown phone (%d)", n)
	}
}

func TestLoginWrongCodeWithoutTerminalIsRejected(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	wrong := func() string { return notThe(e.fake.LastCode()) }
	code, _, errOut := e.run(t, stdinLines(wrong, e.fake.LastCode), "login")
	if code != exitCritical {
		t.Fatalf("wrong code without a terminal: exit %d, want 2; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "code") || n(e, "/verify/trusteddevice/securitycode") != 1 {
		t.Errorf("want one code submission and a message about the code; stderr %q", errOut)
	}
}

func n(e *loginEnv, path string) int { return e.count(http.MethodPost, path) }

func TestLoginWrongCodeThenRightOnTerminal(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	e.seams = append(e.seams, func(c *cli) { c.isTerminal = func(io.Reader) (int, bool) { return -1, true } })
	wrong := func() string { return notThe(e.fake.LastCode()) }
	code, _, errOut := e.run(t, stdinLines(wrong, e.fake.LastCode), "login")
	if code != exitOK {
		t.Fatalf("wrong then right code on a terminal: exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "Verification code (6 digits): ") || !strings.Contains(errOut, "Try again (2 left)") {
		t.Errorf("stderr lacks the prompt or the retry message:\n%s", errOut)
	}
	if got := n(e, "/verify/trusteddevice/securitycode"); got != 2 {
		t.Errorf("code submissions: %d, want 2", got)
	}
	if got := e.count(http.MethodPut, "/verify/trusteddevice/securitycode"); got != 1 {
		t.Errorf("code requests: %d, want 1 (a new request would invalidate the code)", got)
	}
}

func TestLoginWrongPasswordOneAttemptExit2(t *testing.T) {
	e := newLoginEnv(t, twoFA, "not the password")
	code, out, errOut := e.run(t, strings.NewReader("123456\n"), "login", "--account", "a")
	if code != exitCritical {
		t.Fatalf("wrong password: exit %d, want 2; stderr:\n%s", code, errOut)
	}
	if got := n(e, "/signin/complete"); got != 1 {
		t.Errorf("SRP attempts: %d, want exactly 1", got)
	}
	// An init with a leading-zero value (1 in 256) is restarted before any
	// proof is sent; more than the client's 3 restarts would be a retry.
	if got := n(e, "/signin/init"); got < 1 || got > 4 {
		t.Errorf("signin/init calls: %d, want 1 (up to 3 leading-zero restarts)", got)
	}
	if !strings.Contains(errOut, "rejected the password") || !strings.Contains(errOut, "file ") {
		t.Errorf("stderr does not explain the rejection and where the password came from: %q", errOut)
	}
	if strings.Contains(out+errOut, "not the password") {
		t.Error("output shows the password")
	}
}

func TestLoginPasswordAndCodeFromStdin(t *testing.T) {
	e := newLoginEnv(t, twoFA, "")
	code, out, errOut := e.run(t, stdinLines(fixed(fakePassword), e.fake.LastCode), "login")
	if code != exitOK {
		t.Fatalf("password and code on stdin: exit %d; stderr:\n%s", code, errOut)
	}
	noSecret(t, out, errOut)
	// No password anywhere: a clear error, no sign-in.
	e2 := newLoginEnv(t, twoFA, "")
	code, _, errOut = e2.run(t, strings.NewReader(""), "login")
	if code != exitUnknown || !strings.Contains(errOut, "standard input") || n(e2, "/signin/init") != 0 {
		t.Errorf("no password: exit %d, stderr %q; want 3, a hint and no sign-in", code, errOut)
	}
}

func TestLoginWithoutTwoFactor(t *testing.T) {
	e := newLoginEnv(t, fakeicloud.Scenario{}, fakePassword)
	code, out, errOut := e.run(t, strings.NewReader(""), "login")
	if code != exitOK || !strings.Contains(out, "Signed in") {
		t.Fatalf("login without 2FA: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestLoginLockedAccountExit2(t *testing.T) {
	e := newLoginEnv(t, fakeicloud.Scenario{Locked: true}, fakePassword)
	code, _, errOut := e.run(t, strings.NewReader(""), "login")
	if code != exitCritical || !strings.Contains(errOut, "locked") {
		t.Errorf("locked account: exit %d, stderr %q; want 2 and a message", code, errOut)
	}
}

func TestLoginAccountChoice(t *testing.T) {
	e := newLoginEnv(t, twoFA, fakePassword)
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	second := strings.Replace(strings.SplitN(string(cfg), "accounts:\n", 2)[1], "name: a", "name: b", 1)
	second = strings.Replace(second, loginAppleID, "b@example.com", 1)
	writeLoginFile(t, e.config, string(cfg)+second)
	code, _, errOut := e.run(t, strings.NewReader(""), "login")
	if code != exitUnknown || !strings.Contains(errOut, "--account") {
		t.Errorf("two accounts without --account: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = e.run(t, strings.NewReader(""), "login", "--account", "zed")
	if code != exitUnknown || !strings.Contains(errOut, `no account named "zed"`) {
		t.Errorf("unknown --account: exit %d, stderr %q", code, errOut)
	}
	if got := n(e, "/signin/init"); got != 0 {
		t.Errorf("account errors reached Apple (%d)", got)
	}
}
