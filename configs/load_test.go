package configs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/icloudmon/icloudmon/secret"
)

// noAccount is the one rule the defaults break.
const noAccount = "accounts: no account is configured; add one under accounts: (see configs/icloudmon.example.yml) or set ICLOUDMON_ACCOUNTS"

func TestLoadDefaults(t *testing.T) {
	cleanEnv(t)
	cfg, err := Load("", nil)
	if err == nil || err.Error() != noAccount {
		t.Fatalf("Load without file, env or flags: got error %v, want %s", err, noAccount)
	}
	if cfg == nil {
		t.Fatal("Load returned no configuration for a rule problem")
	}
	if diff := cmp.Diff(Default(), *cfg); diff != "" {
		t.Errorf("Load without file, env or flags differs from Default (-want +got):\n%s", diff)
	}
	if cfg.Checks.Newest != 50 || cfg.Checks.UploadCritical != 7*day || cfg.Interval != time.Hour || !cfg.Notify.QuietHoursCritical {
		t.Errorf("defaults do not match design §3/§5: %+v", cfg.Checks)
	}
}

// wantGood is testdata/good.yml as Load must return it.
func wantGood() Config {
	want := Default()
	want.File = "testdata/good.yml"
	want.DataDir = "/var/lib/icloudmon"
	want.Listen = "127.0.0.1:9877"
	want.Interval = 2 * time.Hour
	want.Jitter = 10 * time.Minute
	want.CycleTimeout = 15 * time.Minute
	want.LogLevel, want.LogFormat = "debug", "json"
	want.HistoryRetention = 200 * day
	want.Web = Web{Token: secret.New("web-token-s3cr3t-value"), TokenFile: "testdata/secrets/web_token",
		ExternalURL: "https://photos-monitor.example.net/"}
	want.TLS.CAFile = "testdata/secrets/ca.pem"
	want.Accounts = []Account{{
		Name: "alice", AppleID: "alice@example.com",
		Password: Password{File: "testdata/secrets/alice_password"}, Region: RegionGlobal,
		Libraries: []string{"personal", "shared"}, Hidden: HiddenNotice,
		Folders: []Folder{
			{Path: "/photos/Alice iPhone", Name: "alice_iphone", Layout: LayoutICloudPD, Ignore: []string{"*.tmp", ".@__thumb/*"}, Renditions: RenditionsOriginal, Libraries: []string{"all"}},
			{Path: "/photos/immich/library", Name: "immich", Layout: LayoutImmich, Ignore: []string{}, Renditions: RenditionsOriginal, Libraries: []string{"all"}},
		},
	}, {
		Name: "bob", AppleID: "bob@example.com", Password: Password{Keyring: true}, Region: RegionChina,
		Endpoints: Endpoints{Auth: "https://auth.example.test/appleauth/auth", Setup: "https://setup.example.test/setup/ws/1",
			Home: "https://www.example.test"},
		Libraries: []string{"personal"}, Hidden: HiddenNotice, Folders: []Folder{},
	}}
	c := &want.Checks
	c.Newest, c.Grace, c.UploadWarning, c.UploadCritical = 80, 12*time.Hour, 2*day, 7*day
	c.UploadAdaptive, c.StorageWarning, c.CaptureTolerance = false, 0.2, 3*time.Second
	want.Notify = Notify{
		URLs: []secret.Secret{secret.New("ntfy://:tk_s3cr3t_ntfy@ntfy.example.net/photos"),
			secret.New("gotify://gotify.example.net/As3cr3tGotifyToken")},
		URLsFile:        "testdata/secrets/notify_urls",
		HealthchecksURL: secret.New("https://hc-ping.com/00000000-0000-0000-0000-000000000000"),
		WebhookURL:      secret.New("https://hooks.example.net/s3cr3t-webhook"), WebhookURLFile: "testdata/secrets/webhook_url",
		RemindEvery: 12 * time.Hour, QuietHours: "22:00-07:00", QuietHoursCritical: false,
	}
	return want
}

func TestLoadGoodFile(t *testing.T) {
	cleanEnv(t)
	cfg, err := Load("testdata/good.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantGood(), *cfg); diff != "" {
		t.Errorf("Load(good.yml) (-want +got):\n%s", diff)
	}
	if keys := viper.AllKeys(); len(keys) != 0 {
		t.Errorf("Load touched the global viper: %v", keys)
	}
}

func TestLoadConfigEnv(t *testing.T) {
	cleanEnv(t)
	t.Setenv("ICLOUDMON_CONFIG", "testdata/good.yml")
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != "testdata/good.yml" || cfg.DataDir != "/var/lib/icloudmon" {
		t.Errorf("ICLOUDMON_CONFIG was not used: file %q, data_dir %q", cfg.File, cfg.DataDir)
	}
	if _, err := Load("testdata/no-such.yml", nil); err == nil {
		t.Error("a missing config file loaded without error")
	}
}

func TestLoadEnvOverrides(t *testing.T) {
	cleanEnv(t)
	for k, v := range map[string]string{
		"ICLOUDMON_INTERVAL":                 "30m",
		"ICLOUDMON_DATA_DIR":                 "/srv/icloudmon",
		"ICLOUDMON_CHECKS_GRACE":             "2d",
		"ICLOUDMON_CHECKS_NEWEST":            "70",
		"ICLOUDMON_CHECKS_UPLOAD_ADAPTIVE":   "true",
		"ICLOUDMON_CHECKS_STORAGE_CRITICAL":  "0.05",
		"ICLOUDMON_NOTIFY_QUIET_HOURS":       "23:00-06:30",
		"ICLOUDMON_NOTIFY_UPTIME_KUMA_URL":   "https://kuma.example.net/api/push/abc",
		"ICLOUDMON_ACCOUNTS":                 `[{name: carol, apple_id: carol@example.com, folders: [{path: /photos/carol}]}]`,
		"ICLOUDMON_TLS_CA_FILE":              "/etc/ssl/extra.pem",
		"ICLOUDMON_NOTIFY_QUIET_HOURS_CRITI": "ignored: not a key",
	} {
		t.Setenv(k, v)
	}
	cfg, err := Load("testdata/good.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := wantGood()
	want.Interval, want.DataDir = 30*time.Minute, "/srv/icloudmon"
	want.Checks.Grace, want.Checks.Newest, want.Checks.UploadAdaptive, want.Checks.StorageCritical = 2*day, 70, true, 0.05
	want.Notify.QuietHours = "23:00-06:30"
	want.Notify.UptimeKumaURL = secret.New("https://kuma.example.net/api/push/abc")
	want.TLS.CAFile = "/etc/ssl/extra.pem"
	want.Accounts = []Account{{Name: "carol", AppleID: "carol@example.com", Password: Password{Keyring: true},
		Region: RegionGlobal, Libraries: []string{"personal"}, Hidden: HiddenNotice,
		Folders: []Folder{{Path: "/photos/carol", Name: "carol", Layout: LayoutAuto, Ignore: []string{}, Renditions: RenditionsOriginal, Libraries: []string{"all"}}}}}
	if diff := cmp.Diff(want, *cfg); diff != "" {
		t.Errorf("environment did not override the file (-want +got):\n%s", diff)
	}
}

func TestLoadEnvList(t *testing.T) {
	cleanEnv(t)
	t.Setenv("ICLOUDMON_NOTIFY_URLS", "ntfy://ntfy.example.net/a \n gotify://g.example.net/tok")
	t.Setenv("ICLOUDMON_ACCOUNTS", "[{name: carol, apple_id: carol@example.com}]")
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []secret.Secret{secret.New("ntfy://ntfy.example.net/a"), secret.New("gotify://g.example.net/tok")}
	if diff := cmp.Diff(want, cfg.Notify.URLs); diff != "" {
		t.Errorf("ICLOUDMON_NOTIFY_URLS (-want +got):\n%s", diff)
	}
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		env, value, want string
	}{
		{"ICLOUDMON_CHECKS_NEWEST", "many",
			`ICLOUDMON_CHECKS_NEWEST: checks.newest: expected a whole number, got "many"`},
		{"ICLOUDMON_CHECKS_GRACE", "soon",
			`ICLOUDMON_CHECKS_GRACE: checks.grace: "soon" is not a duration; write for example 30m, 6h, 7d or 2w`},
		{"ICLOUDMON_NOTIFY_QUIET_HOURS_CRITICAL", "sometimes",
			`ICLOUDMON_NOTIFY_QUIET_HOURS_CRITICAL: notify.quiet_hours_critical: expected true or false, got "sometimes"`},
		{"ICLOUDMON_ACCOUNTS", "[{name: carol, apple_idd: x}]",
			"ICLOUDMON_ACCOUNTS: accounts[0].apple_idd: unknown key; did you mean apple_id?\n" +
				"ICLOUDMON_ACCOUNTS: accounts[0].apple_id: is empty; set the Apple ID (e-mail address or phone number) of this account"},
		{"ICLOUDMON_ACCOUNTS", "{name: carol}",
			`ICLOUDMON_ACCOUNTS: accounts: expected a list, got a mapping`},
		{"ICLOUDMON_ACCOUNTS", "[{name: carol, apple_id: [",
			`ICLOUDMON_ACCOUNTS: accounts: not valid YAML: did not find expected node content (the other keys are checked once this is fixed)`},
		{"ICLOUDMON_WEB_TOKEN_FILE", "/nonexistent/icloudmon-token",
			`ICLOUDMON_WEB_TOKEN_FILE: web.token_file: cannot read "/nonexistent/icloudmon-token": no such file or directory; create the file or correct the path`},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			cleanEnv(t)
			if tc.env != AccountsEnv {
				t.Setenv(AccountsEnv, "[{name: carol, apple_id: carol@example.com}]")
			}
			t.Setenv(tc.env, tc.value)
			_, err := Load("", nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Load error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestLoadFlags(t *testing.T) {
	cleanEnv(t)
	t.Setenv("ICLOUDMON_LISTEN", ":5555")
	t.Setenv("ICLOUDMON_LOG_LEVEL", "warn")
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	fs.String("output", "text", "not a configuration key")
	fs.String("checks.grace", "", "a nested key as a flag")
	if err := fs.Parse([]string{"--listen", ":1234", "--interval", "2d", "--checks.grace", "1h", "--output", "json"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load("testdata/good.yml", fs)
	if err != nil {
		t.Fatal(err)
	}
	want := wantGood()
	want.Listen, want.Interval, want.Checks.Grace = ":1234", 2*day, time.Hour // flags beat env and file
	want.LogLevel = "warn"                                                    // env beats file; unset flag does not count
	if diff := cmp.Diff(want, *cfg); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
}

func TestLoadFlagError(t *testing.T) {
	cleanEnv(t)
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse([]string{"--interval", "hourly"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(AccountsEnv, "[{name: carol, apple_id: carol@example.com}]")
	_, err := Load("", fs)
	want := `--interval: interval: "hourly" is not a duration; write for example 30m, 6h, 7d or 2w`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestLoadSecretFiles(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("token", "  tok-en \r\n")
	write("hc", "https://hc-ping.com/abc\n")
	write("kuma", "https://kuma.example.net/api/push/xyz")
	cfgPath := write("c.yml", "accounts: [{name: a, apple_id: a@example.com}]\nweb: {token_file: token}\nnotify: {healthchecks_url_file: hc, uptime_kuma_url_file: "+
		filepath.Join(dir, "kuma")+"}\n")
	cfg, err := Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{cfg.Web.Token.Reveal(), cfg.Notify.HealthchecksURL.Reveal(), cfg.Notify.UptimeKumaURL.Reveal(), cfg.Web.TokenFile}
	want := []string{"tok-en", "https://hc-ping.com/abc", "https://kuma.example.net/api/push/xyz", filepath.Join(dir, "token")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets read from files (-want +got):\n%s", diff)
	}
}

func TestLoadSecretBothSetByEnv(t *testing.T) {
	cleanEnv(t)
	t.Setenv("ICLOUDMON_NOTIFY_WEBHOOK_URL", "https://hooks.example.net/x")
	t.Setenv("ICLOUDMON_NOTIFY_WEBHOOK_URL_FILE", "/run/secrets/webhook")
	t.Setenv(AccountsEnv, "[{name: carol, apple_id: carol@example.com}]")
	_, err := Load("", nil)
	want := "ICLOUDMON_NOTIFY_WEBHOOK_URL: notify.webhook_url: both notify.webhook_url and notify.webhook_url_file are set; keep one of them"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestYAMLLoadsBack: the effective configuration printed by config check is
// itself a valid file that loads into the same configuration.
func TestYAMLLoadsBack(t *testing.T) {
	cleanEnv(t)
	cfg, err := Load("testdata/good.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Web.Token, cfg.Web.TokenFile = secret.Secret{}, ""
	cfg.Notify.URLs, cfg.Notify.URLsFile = []secret.Secret{}, ""
	cfg.Notify.WebhookURL, cfg.Notify.WebhookURLFile = secret.Secret{}, ""
	cfg.Notify.HealthchecksURL = secret.Secret{}
	cfg.TLS.CAFile, cfg.Accounts[0].Password.File = "/etc/ssl/ca.pem", "/run/secrets/alice" // relative paths would move
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "effective.yml")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Load(p, nil)
	if err != nil {
		t.Fatalf("printed configuration does not load: %v\n%s", err, out)
	}
	again.File = cfg.File
	if diff := cmp.Diff(*cfg, *again); diff != "" {
		t.Errorf("printed configuration loads differently (-want +got):\n%s", diff)
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load("testdata/good.yml", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	cfg, err := Load("icloudmon.example.yml", nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := cfg.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
