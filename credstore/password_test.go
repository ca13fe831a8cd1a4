package credstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/icloudmon/icloudmon/secret"
)

const pwValue = "correct horse battery staple"

var errNoDBusLaunch = &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "icloud_password")
	must(t, os.WriteFile(p, []byte(content), mode))
	must(t, os.Chmod(p, mode))
	return p
}

func TestLookupPasswordSources(t *testing.T) {
	type want struct {
		value, source string
		notes         []string // substrings, one per note
		err           string   // substring; "" = success
		unavailable   bool     // error also matches ErrKeychainUnavailable
	}
	cases := []struct {
		name     string
		keyErr   error  // go-keyring mock fails every call with it
		stored   string // password in the (working) mock keychain
		file     string // content; "-" = configured but missing; "" = not configured
		fileMode os.FileMode
		env      string // value; "-" = configured but unset
		want     want
	}{
		{name: "keychain found", stored: pwValue, file: "other\n", env: "other",
			want: want{value: pwValue, source: "keychain"}},
		{name: "keychain not found, file next", file: pwValue + "\n",
			want: want{value: pwValue, source: "file"}},
		{name: "keychain unavailable, file next", keyErr: errNoDBusLaunch, file: pwValue + "\n",
			want: want{value: pwValue, source: "file", notes: []string{
				"keychain: no OS keychain available (no D-Bus session); use a secret file or env instead"}}},
		{name: "keychain locked, env next", keyErr: errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"),
			env: pwValue, want: want{value: pwValue, source: "env", notes: []string{"keychain: the OS keychain is locked"}}},
		{name: "file missing, env next", file: "-", env: pwValue,
			want: want{value: pwValue, source: "env"}},
		{name: "file empty, env next", file: "\n", env: pwValue,
			want: want{value: pwValue, source: "env"}},
		{name: "file CRLF", file: pwValue + "\r\n", want: want{value: pwValue, source: "file"}},
		{name: "only one newline trimmed, spaces kept", file: " " + pwValue + " \n\n",
			want: want{value: " " + pwValue + " \n", source: "file"}},
		{name: "world-readable file used with a warning", file: pwValue, fileMode: 0o644,
			want: want{value: pwValue, source: "file", notes: []string{"readable by every user (mode 0644); run: chmod 600"}}},
		{name: "oversized file skipped", file: strings.Repeat("x", 5000), env: pwValue,
			want: want{value: pwValue, source: "env", notes: []string{"larger than 4096 bytes"}}},
		{name: "nothing anywhere", file: "-", env: "-",
			want: want{err: "no password for account alice: keychain: no password stored for this Apple ID: not found; " +
				"file " /* path */}},
		{name: "keychain unavailable and nothing else", keyErr: errNoDBusLaunch, env: "-",
			want: want{err: "keychain: no OS keychain available (no D-Bus session)", unavailable: true,
				notes: []string{"no D-Bus session"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kc := mockKeychain(t, tc.keyErr)
			if tc.stored != "" {
				must(t, keyring.Set(Service, "alice@example.com", tc.stored))
			}
			opts := PasswordOptions{Account: "alice", AppleID: "alice@example.com", Keyring: true}
			if tc.file == "-" {
				opts.File = filepath.Join(t.TempDir(), "missing")
			} else if tc.file != "" {
				opts.File = writeFile(t, tc.file, cmpMode(tc.fileMode))
			}
			if tc.env != "" {
				opts.Env = "ICLOUDMON_TEST_PASSWORD"
				if tc.env != "-" {
					t.Setenv(opts.Env, tc.env)
				}
			}
			got, err := lookupPassword(bg, kc, opts)
			checkLookup(t, got, err, tc.want.value, tc.want.source, tc.want.err, tc.want.notes)
			if tc.want.unavailable != errors.Is(err, ErrKeychainUnavailable) {
				t.Errorf("errors.Is(err, ErrKeychainUnavailable) = %v, want %v", !tc.want.unavailable, tc.want.unavailable)
			}
		})
	}
}

func cmpMode(m os.FileMode) os.FileMode {
	if m == 0 {
		return 0o600
	}
	return m
}

func checkLookup(t *testing.T, got Password, err error, value, source, wantErr string, notes []string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound containing %q", err, wantErr)
		}
	} else if err != nil {
		t.Fatalf("err = %v", err)
	}
	if got.Value.Reveal() != value || !strings.HasPrefix(got.Source, source) {
		t.Errorf("got value match=%v source=%q; want source %q", got.Value.Reveal() == value, got.Source, source)
	}
	if len(got.Notes) != len(notes) {
		t.Fatalf("notes = %q, want %d like %q", got.Notes, len(notes), notes)
	}
	for i, n := range notes {
		if !strings.Contains(got.Notes[i], n) {
			t.Errorf("note %d = %q, want it to contain %q", i, got.Notes[i], n)
		}
	}
	noLeak(t, pwValue, errText(err), strings.Join(got.Notes, "\n"), got.Source, dump(got))
}

func TestLookupPasswordKeychainTimeoutFallsBack(t *testing.T) {
	fb := &fakeBackend{block: make(chan struct{})}
	defer close(fb.block)
	kc := &keychain{backend: fb, timeout: 30 * time.Millisecond}
	t.Setenv("ICLOUDMON_TEST_PASSWORD", pwValue)
	got, err := lookupPassword(bg, kc, PasswordOptions{Account: "a", AppleID: "a@example.com", Keyring: true, Env: "ICLOUDMON_TEST_PASSWORD"})
	checkLookup(t, got, err, pwValue, "env ICLOUDMON_TEST_PASSWORD", "", []string{"did not answer within 30ms"})
}

func TestLookupPasswordUnreadableFileIsNotedAndSkipped(t *testing.T) {
	kc := mockKeychain(t, nil)
	dir := t.TempDir() // a directory is not a password file
	t.Setenv("ICLOUDMON_TEST_PASSWORD", pwValue)
	got, err := lookupPassword(bg, kc, PasswordOptions{Account: "a", File: dir, Env: "ICLOUDMON_TEST_PASSWORD"})
	checkLookup(t, got, err, pwValue, "env", "", []string{"file " + dir + ": not a regular file"})
}

func TestLookupPasswordNoSourceConfigured(t *testing.T) {
	_, err := lookupPassword(bg, mockKeychain(t, nil), PasswordOptions{Account: "bob"})
	want := "no password source is configured for account bob; set password.keyring, password.file or password.env"
	if err == nil || err.Error() != want || !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestDockerSecretsModeIsNotReported(t *testing.T) {
	if n := modeNote("/run/secrets/alice_icloud", 0o444); n != "" {
		t.Errorf("note for a Docker secret: %q", n)
	}
	if n := modeNote("/srv/pw", 0o444); !strings.Contains(n, "chmod 600 /srv/pw") {
		t.Errorf("note for /srv/pw 0444: %q", n)
	}
	if n := modeNote("/srv/pw", 0o640); n != "" {
		t.Errorf("note for 0640 (group-readable is the operator's choice): %q", n)
	}
}

func TestSetAndDeletePassword(t *testing.T) {
	kc := mockKeychain(t, nil)
	opts := PasswordOptions{Account: "alice", AppleID: "alice@example.com", Keyring: true}
	must(t, setPassword(bg, kc, "alice@example.com", secret.New(pwValue)))
	got, err := lookupPassword(bg, kc, opts)
	checkLookup(t, got, err, pwValue, "keychain", "", nil)
	must(t, deletePassword(bg, kc, "alice@example.com"))
	if _, err := lookupPassword(bg, kc, opts); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := deletePassword(bg, kc, "alice@example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if err := setPassword(bg, kc, "alice@example.com", secret.Secret{}); err == nil {
		t.Error("empty password stored")
	}
}

func TestSetPasswordErrorsNeverShowThePassword(t *testing.T) {
	kc := mockKeychain(t, fmt.Errorf("D-Bus said: cannot store %q", pwValue))
	err := setPassword(bg, kc, "alice@example.com", secret.New(pwValue))
	if !errors.Is(err, ErrKeychainUnavailable) {
		t.Fatalf("err = %v, want unavailable", err)
	}
	noLeak(t, pwValue, err.Error(), fmt.Sprintf("%+v %#v", err, err))
	kc = mockKeychain(t, errNoDBusLaunch)
	err = setPassword(bg, kc, "alice@example.com", secret.New(pwValue))
	want := "store the password in the OS keychain: no OS keychain available (no D-Bus session); use a secret file or env instead"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := secret.New(pwValue)
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "pw", s, "struct", Password{Value: s})
	j, err := json.Marshal(struct{ P secret.Secret }{s})
	must(t, err)
	var decoded struct{ P string }
	must(t, json.Unmarshal(j, &decoded))
	txt, _ := s.MarshalText()
	for _, out := range []string{dump(s), dump(Password{Value: s}), logs.String(), decoded.P, string(txt),
		fmt.Sprintf("%d %08v %-20s", s, s, s)} {
		noLeak(t, pwValue, out)
		if !strings.Contains(out, "<secret>") {
			t.Errorf("%q lacks <secret>", out)
		}
	}
	if s.Reveal() != pwValue || !s.IsSet() || (secret.Secret{}).IsSet() || (secret.Secret{}).String() != "" {
		t.Error("Reveal/IsSet/String of empty secret wrong")
	}
}
