package configs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// badFiles maps every testdata/bad-*.yml file to the exact error that Load
// (for unreadable files) or Validate (for rule violations) returns.
var badFiles = []struct {
	file string
	want string
}{
	{"bad-unknown-key.yml", "testdata/bad-unknown-key.yml:3: intervall: unknown key; did you mean interval?"},
	{"bad-unknown-nested-key.yml", "testdata/bad-unknown-nested-key.yml:8: accounts[0].folders[0].layot: unknown key; did you mean layout?"},
	{"bad-duplicate-key.yml", "testdata/bad-duplicate-key.yml:4: listen: set twice; keep one"},
	{"bad-yaml-syntax.yml", "testdata/bad-yaml-syntax.yml:5: not valid YAML: did not find expected '-' indicator (the other keys are checked once this is fixed)"},
	{"bad-type-int.yml", "testdata/bad-type-int.yml:9: checks.newest: expected a whole number, got a string"},
	{"bad-type-keyring.yml", "testdata/bad-type-keyring.yml:6: accounts[0].password.keyring: expected true or false, got a string"},
	{"bad-type-list.yml", "testdata/bad-type-list.yml:6: accounts[0].libraries: expected a list, got a string"},
	{"bad-duration.yml", "testdata/bad-duration.yml:9: checks.grace: \"6 hours\" is not a duration; write for example 30m, 6h, 7d or 2w"},
	{"bad-duration-unit.yml", "testdata/bad-duration-unit.yml:3: interval: 3600 has no unit; write for example 3600s or 3600h"},
	{"bad-secret-both.yml", "testdata/bad-secret-both.yml:4: web.token: both web.token and web.token_file are set; keep one of them"},
	{"bad-secret-file-missing.yml", "testdata/bad-secret-file-missing.yml:9: notify.webhook_url_file: cannot read \"testdata/secrets/no-such-file\": no such file or directory; create the file or correct the path"},
	{"bad-secret-file-empty.yml", "testdata/bad-secret-file-empty.yml:4: web.token_file: \"testdata/secrets/empty\" is empty; write the secret into it"},
	{"bad-data-dir.yml", "testdata/bad-data-dir.yml:3: data_dir: \"data\" is a relative path; use an absolute path such as /data"},
	{"bad-listen.yml", "testdata/bad-listen.yml:3: listen: \"9877\" is not a listen address; write [host]:port, for example \":9877\" or \"127.0.0.1:9877\""},
	{"bad-interval.yml", "testdata/bad-interval.yml:3: interval: 5m is shorter than the minimum 10m (Apple throttles frequent requests); use 10m or more"},
	{"bad-jitter.yml", "testdata/bad-jitter.yml:3: jitter: 45m is not between 0s and half the interval (30m); use for example 5m"},
	{"bad-cycle-timeout.yml", "testdata/bad-cycle-timeout.yml:3: cycle_timeout: 2h is not between 0s and the interval (1h); use for example 10m"},
	{"bad-log-level.yml", "testdata/bad-log-level.yml:3: log_level: \"verbose\" is not allowed; use one of debug, info, warn, error"},
	{"bad-log-format.yml", "testdata/bad-log-format.yml:3: log_format: \"xml\" is not allowed; use one of text, json"},
	{"bad-history-retention.yml", "testdata/bad-history-retention.yml:3: history_retention: 30d is shorter than checks.upload_history (90d); keep the history at least that long"},
	{"bad-external-url.yml", "testdata/bad-external-url.yml:4: web.external_url: \"icloudmon.local\" is not an http or https URL; write for example https://icloudmon.example.net"},
	{"bad-no-accounts.yml", "testdata/bad-no-accounts.yml:3: accounts: no account is configured; add one under accounts: (see configs/icloudmon.example.yml) or set ICLOUDMON_ACCOUNTS"},
	{"bad-account-name.yml", "testdata/bad-account-name.yml:4: accounts[0].name: \"Alice Smith\" is not a valid label; use up to 63 lower-case letters, digits, \"_\" and \"-\", for example \"alice_smith\""},
	{"bad-account-name-missing.yml", "testdata/bad-account-name-missing.yml:4: accounts[0].name: is empty; set a short label such as \"alice\" (metrics and messages use it instead of the Apple ID)"},
	{"bad-account-duplicate.yml", "testdata/bad-account-duplicate.yml:8: accounts[1].name: \"alice\" is also the name of accounts[0]; give every account its own name"},
	{"bad-apple-id-duplicate.yml", "testdata/bad-apple-id-duplicate.yml:9: accounts[1].apple_id: is the same Apple ID as accounts[0] (alice); watch each Apple ID once"},
	{"bad-apple-id-missing.yml", "testdata/bad-apple-id-missing.yml:4: accounts[0].apple_id: is empty; set the Apple ID (e-mail address or phone number) of this account"},
	{"bad-no-password.yml", "testdata/bad-no-password.yml:8: accounts[0].password: no password source: keyring is false and file and env are empty; set keyring: true (then run \"icloudmon password set\"), file or env"},
	{"bad-password-env.yml", "testdata/bad-password-env.yml:8: accounts[0].password.env: \"my password\" is not an environment variable name; give the NAME of the variable that holds the password, for example ALICE_ICLOUD_PASSWORD"},
	{"bad-region.yml", "testdata/bad-region.yml:8: accounts[0].region: \"europe\" is not allowed; use one of global, china"},
	{"bad-endpoint.yml", "testdata/bad-endpoint.yml:8: accounts[0].endpoints.auth: \"http://127.0.0.1:8080/appleauth/auth\" is not an https URL (TLS is never turned off); write for example https://idmsa.apple.com/appleauth/auth"},
	{"bad-library.yml", "testdata/bad-library.yml:8: accounts[0].libraries[1]: \"family\" is not allowed; use one of personal, shared, hidden, all"},
	{"bad-libraries-empty.yml", "testdata/bad-libraries-empty.yml:8: accounts[0].libraries: is empty; use [personal], [shared] or [all]"},
	{"bad-folder-relative.yml", "testdata/bad-folder-relative.yml:7: accounts[0].folders[0].path: \"photos/alice\" is a relative path; use an absolute path such as /photos/alice"},
	{"bad-folder-path-missing.yml", "testdata/bad-folder-path-missing.yml:7: accounts[0].folders[0].path: is empty; set an absolute path such as /photos/alice"},
	{"bad-folder-duplicate-path.yml", "testdata/bad-folder-duplicate-path.yml:8: accounts[0].folders[1].path: \"/photos/alice/\" is also the path of accounts[0].folders[0]; list each folder once"},
	{"bad-folder-duplicate-name.yml", "testdata/bad-folder-duplicate-name.yml:8: accounts[0].folders[1].name: \"photos\" is also the name of accounts[0].folders[0]; set a different name: on one of them"},
	{"bad-folder-name.yml", "testdata/bad-folder-name.yml:8: accounts[0].folders[0].name: \"My Photos\" is not a valid label; use up to 63 lower-case letters, digits, \"_\" and \"-\", for example \"my_photos\""},
	{"bad-layout.yml", "testdata/bad-layout.yml:8: accounts[0].folders[0].layout: \"lightroom\" is not allowed; use one of auto, icloudpd, immich, photoprism, windows, osxphotos, flat"},
	{"bad-renditions.yml", "testdata/bad-renditions.yml:8: accounts[0].folders[0].renditions: \"adjusted\" is not allowed; use one of original, edited, both"},
	{"bad-folder-library-unmonitored.yml", "testdata/bad-folder-library-unmonitored.yml:10: accounts[0].folders[1].libraries[0]: shared is not compared with any folder because accounts[0].libraries does not include it; add shared there, or remove it from this folder"},
	{"bad-folder-library-hidden.yml", "testdata/bad-folder-library-hidden.yml:8: accounts[0].folders[0].libraries[0]: hidden is not a library of its own; say that your importer fetches hidden items with hidden in accounts[0].libraries"},
	{"bad-folder-libraries-empty.yml", "testdata/bad-folder-libraries-empty.yml:8: accounts[0].folders[0].libraries: is empty; use [all] (the default: every library of the account), [personal] or [shared]"},
	{"bad-ignore.yml", "testdata/bad-ignore.yml:8: accounts[0].folders[0].ignore[0]: \"[abc\" is not a glob pattern; write for example \"*.tmp\" or \"@eaDir/*\""},
	{"bad-newest.yml", "testdata/bad-newest.yml:9: checks.newest: 0 is not between 1 and 200; use for example 50"},
	{"bad-grace.yml", "testdata/bad-grace.yml:9: checks.grace: -1h is not positive; use for example 6h"},
	{"bad-grace-zero.yml", "testdata/bad-grace-zero.yml:9: checks.grace: 0s is not positive; use for example 6h"},
	{"bad-session-critical-zero.yml", "testdata/bad-session-critical-zero.yml:9: checks.session_critical: 0s is not positive; use for example 1d"},
	{"bad-upload-inverted.yml", "testdata/bad-upload-inverted.yml:9: checks.upload_warning: 7d is not shorter than checks.upload_critical (3d); the warning must come first: make upload_warning shorter"},
	{"bad-quantile.yml", "testdata/bad-quantile.yml:9: checks.upload_adaptive_quantile: 99 is not above 0 and at most 1; write for example 0.99"},
	{"bad-quantile-zero.yml", "testdata/bad-quantile-zero.yml:9: checks.upload_adaptive_quantile: 0 is not above 0 and at most 1; write for example 0.99"},
	{"bad-factor.yml", "testdata/bad-factor.yml:9: checks.upload_adaptive_factor: 0.5 is below 1; use 1 or more (2 = twice the usual gap between uploads)"},
	{"bad-upload-history.yml", "testdata/bad-upload-history.yml:9: checks.upload_history: 12h is shorter than 1d; keep at least a few weeks of uploads, for example 90d"},
	{"bad-session-inverted.yml", "testdata/bad-session-inverted.yml:9: checks.session_warning: 12h is not longer than checks.session_critical (1d); the warning must come first: make session_warning longer"},
	{"bad-storage-ratio.yml", "testdata/bad-storage-ratio.yml:9: checks.storage_warning: 10 is not a ratio between 0 and 1; write for example 0.1 for 10 %"},
	{"bad-storage-inverted.yml", "testdata/bad-storage-inverted.yml:9: checks.storage_warning: 0.01 is not above checks.storage_critical (0.02); the warning must come first: make storage_warning the larger free ratio"},
	{"bad-missing-warning.yml", "testdata/bad-missing-warning.yml:9: checks.missing_warning: 0 is below 1; use 1 to warn about the first missing photo"},
	{"bad-missing-inverted.yml", "testdata/bad-missing-inverted.yml:10: checks.missing_critical: 5 is not above checks.missing_warning (10); the warning must come first: make missing_critical larger"},
	{"bad-lag.yml", "testdata/bad-lag.yml:9: checks.lag_critical: 0s is not positive; use for example 7d"},
	{"bad-deleted-inverted.yml", "testdata/bad-deleted-inverted.yml:9: checks.deleted_warning: 1d is not longer than checks.deleted_critical (2d); the warning must come first: make deleted_warning longer"},
	{"bad-folder-shrink.yml", "testdata/bad-folder-shrink.yml:9: checks.folder_shrink: 1.5 is not above 0 and at most 1; write for example 0.5"},
	{"bad-folder-shrink-zero.yml", "testdata/bad-folder-shrink-zero.yml:9: checks.folder_shrink: 0 is not above 0 and at most 1; write for example 0.5"},
	{"bad-capture-tolerance.yml", "testdata/bad-capture-tolerance.yml:9: checks.capture_tolerance: 2h is not between 0s and 1h; use a few seconds, for example 2s"},
	{"bad-notify-scheme.yml", "testdata/bad-notify-scheme.yml:9: notify.urls[0]: scheme \"pushy\" is not a notification service; use one of bark, discord, generic, googlechat, gotify, hangouts, ifttt, join, lark, logger, matrix, mattermost, mqtt, mqtts, notifiarr, ntfy, opsgenie, pagerduty, pushbullet, pushover, rocketchat, signal, slack, smtp, teams, telegram, twilio, wecom, xmpp, zulip"},
	{"bad-notify-not-url.yml", "testdata/bad-notify-not-url.yml:9: notify.urls[0]: is not a URL; write a shoutrrr URL such as ntfy://ntfy.sh/my-topic"},
	{"bad-healthchecks-url.yml", "testdata/bad-healthchecks-url.yml:9: notify.healthchecks_url: the URL (scheme \"ftp\") is not an http or https URL; write for example https://hc-ping.com/<uuid>"},
	{"bad-remind.yml", "testdata/bad-remind.yml:9: notify.remind_every: 10m is shorter than 1h; use 0s to never remind, or 1h or more"},
	{"bad-quiet-hours.yml", "testdata/bad-quiet-hours.yml:9: notify.quiet_hours: \"22-7\" is not a time range; write HH:MM-HH:MM in local time, for example \"22:00-07:00\""},
	{"bad-quiet-hours-empty.yml", "testdata/bad-quiet-hours-empty.yml:9: notify.quiet_hours: \"08:00-08:00\" starts and ends at the same time; leave quiet_hours empty for no quiet hours"},
	{"bad-unknown-and-empty.yml", "testdata/bad-unknown-and-empty.yml:6: intervall: unknown key; did you mean interval?\ntestdata/bad-unknown-and-empty.yml:9: accounts[0].apple_id: is empty; set the Apple ID (e-mail address or phone number) of this account\ntestdata/bad-unknown-and-empty.yml:11: accounts[0].folders[0].layout: \"lightroom\" is not allowed; use one of auto, icloudpd, immich, photoprism, windows, osxphotos, flat\ntestdata/bad-unknown-and-empty.yml:14: checks.newest: expected a whole number, got a string"},
	{"bad-several.yml", "testdata/bad-several.yml:5: interval: 1m is shorter than the minimum 10m (Apple throttles frequent requests); use 10m or more\ntestdata/bad-several.yml:7: accounts[0].apple_id: is empty; set the Apple ID (e-mail address or phone number) of this account\ntestdata/bad-several.yml:8: accounts[0].region: \"mars\" is not allowed; use one of global, china"},
}

func TestBadFiles(t *testing.T) {
	cleanEnv(t)
	for _, tc := range badFiles {
		t.Run(tc.file, func(t *testing.T) {
			got := loadAndValidate(t, filepath.Join("testdata", tc.file))
			if got != tc.want {
				t.Errorf("error mismatch\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestBadFilesHeaders keeps the "# want:" header of each file (which the
// config check command test uses) equal to the table, and makes sure no bad
// file is left out of the table.
func TestBadFilesHeaders(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]string{}
	for _, tc := range badFiles {
		inTable[tc.file] = tc.want
	}
	if len(files) != len(badFiles) {
		t.Errorf("%d bad files in testdata, %d in the table", len(files), len(badFiles))
	}
	for _, f := range files {
		want, ok := inTable[filepath.Base(f)]
		if !ok {
			t.Errorf("%s has no entry in badFiles", f)
			continue
		}
		header := wantHeader(t, f)
		if header == "" || !strings.HasSuffix(want, header) {
			t.Errorf("%s: header %q does not end the table's message %q", f, header, want)
		}
	}
}

// TestBadFilesNeverEchoSecrets: files with a secret in the wrong place or
// in a bad URL must not print it.
func TestBadFilesNeverEchoSecrets(t *testing.T) {
	cleanEnv(t)
	for _, tc := range badFiles {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "s3cr3t") && strings.Contains(tc.want, "s3cr3t") {
				t.Errorf("%s: the expected message contains the secret", tc.file)
			}
			if got := loadAndValidate(t, filepath.Join("testdata", tc.file)); strings.Contains(got, "s3cr3t") {
				t.Errorf("%s: error %q contains a secret", tc.file, got)
			}
		})
	}
}

func TestValidateGoodFile(t *testing.T) {
	cleanEnv(t)
	if got := loadAndValidate(t, "testdata/good.yml"); got != "" {
		t.Errorf("good.yml is invalid:\n%s", got)
	}
}

func TestValidateReturnsProblems(t *testing.T) {
	cfg := Default()
	cfg.Interval = time.Minute
	err := cfg.Validate()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Validate returned %T, want Problems", err)
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	if diff := cmp.Diff([]string{"interval", "accounts"}, keys); diff != "" {
		t.Errorf("problem keys (-want +got):\n%s", diff)
	}
}

// The idmsa host of mainland China is an override of endpoints.auth
// (CONFIGURATION.md, region).
func TestChinaIdmsaOverride(t *testing.T) {
	cleanEnv(t)
	if got := loadAndValidate(t, "testdata/good-china-idmsa.yml"); got != "" {
		t.Fatalf("good-china-idmsa.yml: %s", got)
	}
	cfg, err := Load("testdata/good-china-idmsa.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Accounts[0]; a.Region != "china" || a.Endpoints.Auth != "https://idmsa.apple.com.cn/appleauth/auth" {
		t.Errorf("region %q, endpoints.auth %q", a.Region, a.Endpoints.Auth)
	}
}

// One folder per library is a valid configuration: personal in one folder,
// the Shared Library in another, both monitored through `all`.
func TestValidateFolderPerLibrary(t *testing.T) {
	cfg := Default()
	acct := DefaultAccount()
	acct.Name, acct.AppleID, acct.Libraries = "alice", "alice@example.com", []string{LibraryAll}
	personal, shared := DefaultFolder(), DefaultFolder()
	personal.Path, personal.Libraries = "/photos/alice", []string{LibraryPersonal}
	shared.Path, shared.Libraries = "/photos/alice-shared", []string{LibraryShared}
	acct.Folders = []Folder{personal, shared}
	cfg.Accounts = []Account{acct}
	if err := cfg.Validate(); err != nil {
		t.Errorf("a folder per library: %v", err)
	}
	if got := DefaultFolder().Libraries; len(got) != 1 || got[0] != LibraryAll {
		t.Errorf("default folder libraries %v, want [all]", got)
	}
}

// The label rule's length is checked beside its pattern (validLabel):
// 63 bytes are a label, 64 are not, whatever the characters.
func TestValidLabelLength(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"a", true}, {strings.Repeat("a", 63), true}, {strings.Repeat("a", 64), false},
		{"0-_x", true}, {"-a", false}, {"_a", false}, {"A", false}, {"", false}, {"a.b", false},
		{strings.Repeat("é", 10), false},
	} {
		if got := validLabel(c.s); got != c.want {
			t.Errorf("validLabel(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}
