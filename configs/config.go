package configs

import (
	"time"

	"github.com/icloudmon/icloudmon/secret"
)

// Config is the whole configuration of icloudmon (design §5). The
// mapstructure tags are the YAML keys; every key also has an ICLOUDMON_* env
// form (see CONFIGURATION.md).
type Config struct {
	DataDir          string        `mapstructure:"data_dir"`
	Listen           string        `mapstructure:"listen"`
	Interval         time.Duration `mapstructure:"interval"`
	Jitter           time.Duration `mapstructure:"jitter"`
	CycleTimeout     time.Duration `mapstructure:"cycle_timeout"`
	LogLevel         string        `mapstructure:"log_level"`
	LogFormat        string        `mapstructure:"log_format"`
	HistoryRetention time.Duration `mapstructure:"history_retention"`
	Web              Web           `mapstructure:"web"`
	TLS              TLS           `mapstructure:"tls"`
	Accounts         []Account     `mapstructure:"accounts"`
	Checks           Checks        `mapstructure:"checks"`
	Audit            Audit         `mapstructure:"audit"`
	Notify           Notify        `mapstructure:"notify"`

	// File is the configuration file the values were read from; empty when
	// the configuration came from the environment and defaults only.
	File string `mapstructure:"-"`
}

// Web configures the agent's own HTTP server (status page, API, sign-in).
type Web struct {
	// Token protects /, /api and /auth. When both Token and TokenFile are
	// empty the agent generates a token into data_dir.
	Token     secret.Secret `mapstructure:"token"`
	TokenFile string        `mapstructure:"token_file"`
	// ExternalURL is the address people use to reach the status page; it is
	// used for links in notifications.
	ExternalURL string `mapstructure:"external_url"`
}

// TLS holds settings for outgoing TLS connections.
type TLS struct {
	// CAFile is an extra PEM bundle trusted in addition to the system roots.
	CAFile string `mapstructure:"ca_file"`
}

// Account is one Apple ID to watch.
type Account struct {
	// Name is the label used in metrics and messages; never the Apple ID.
	Name      string    `mapstructure:"name"`
	AppleID   string    `mapstructure:"apple_id"`
	Password  Password  `mapstructure:"password"`
	Region    string    `mapstructure:"region"`
	Endpoints Endpoints `mapstructure:"endpoints"`
	Libraries []string  `mapstructure:"libraries"`
	// Hidden is the rule for hidden items that no folder holds: notice
	// (warn for a day when they appear or grow), warn (for as long as they
	// exist) or ignore (count only). `hidden` in Libraries means they are
	// imported, which makes the rule moot.
	Hidden  string   `mapstructure:"hidden"`
	Folders []Folder `mapstructure:"folders"`
}

// Password lists where the Apple ID password may be found, tried in this
// order: the OS keychain, a file, an environment variable.
type Password struct {
	Keyring bool   `mapstructure:"keyring"`
	File    string `mapstructure:"file"`
	// Env is the NAME of the environment variable holding the password.
	Env string `mapstructure:"env"`
}

// Endpoints override Apple's base URLs (tests, proxies). Empty = Apple's.
type Endpoints struct {
	Auth  string `mapstructure:"auth"`
	Setup string `mapstructure:"setup"`
	Home  string `mapstructure:"home"`
}

// Folder is a local import folder that should hold a copy of the photos.
type Folder struct {
	Path string `mapstructure:"path"`
	// Name is the label used in metrics; derived from Path when empty.
	Name   string   `mapstructure:"name"`
	Layout string   `mapstructure:"layout"`
	Ignore []string `mapstructure:"ignore"`
	// Renditions: which renditions of edited photos the folder holds.
	Renditions string `mapstructure:"renditions"`
	// Libraries are the libraries whose copies the folder holds: personal,
	// shared or all (every library of the account's Libraries). Each
	// library is compared only with the folders that hold it.
	Libraries []string `mapstructure:"libraries"`
}

// Checks holds the thresholds of docs/design.md §3 (keys in §5).
type Checks struct {
	Newest                 int           `mapstructure:"newest"`
	Grace                  time.Duration `mapstructure:"grace"`
	UploadWarning          time.Duration `mapstructure:"upload_warning"`
	UploadCritical         time.Duration `mapstructure:"upload_critical"`
	UploadAdaptive         bool          `mapstructure:"upload_adaptive"`
	UploadAdaptiveQuantile float64       `mapstructure:"upload_adaptive_quantile"`
	UploadAdaptiveFactor   float64       `mapstructure:"upload_adaptive_factor"`
	UploadHistory          time.Duration `mapstructure:"upload_history"`
	SessionWarning         time.Duration `mapstructure:"session_warning"`
	SessionCritical        time.Duration `mapstructure:"session_critical"`
	StorageWarning         float64       `mapstructure:"storage_warning"`
	StorageCritical        float64       `mapstructure:"storage_critical"`
	MissingWarning         int           `mapstructure:"missing_warning"`
	MissingCritical        int           `mapstructure:"missing_critical"`
	LagCritical            time.Duration `mapstructure:"lag_critical"`
	DeletedWarning         time.Duration `mapstructure:"deleted_warning"`
	DeletedCritical        time.Duration `mapstructure:"deleted_critical"`
	FolderShrink           float64       `mapstructure:"folder_shrink"`
	CaptureTolerance       time.Duration `mapstructure:"capture_tolerance"`
}

// Notify configures notifications and monitoring pings.
type Notify struct {
	// URLs are shoutrrr service URLs (ntfy://, gotify://, smtp://, …).
	URLs                []secret.Secret `mapstructure:"urls"`
	URLsFile            string          `mapstructure:"urls_file"`
	HealthchecksURL     secret.Secret   `mapstructure:"healthchecks_url"`
	HealthchecksURLFile string          `mapstructure:"healthchecks_url_file"`
	UptimeKumaURL       secret.Secret   `mapstructure:"uptime_kuma_url"`
	UptimeKumaURLFile   string          `mapstructure:"uptime_kuma_url_file"`
	WebhookURL          secret.Secret   `mapstructure:"webhook_url"`
	WebhookURLFile      string          `mapstructure:"webhook_url_file"`
	RemindEvery         time.Duration   `mapstructure:"remind_every"`
	// QuietHours is "HH:MM-HH:MM" local time, or empty; see QuietWindow.
	QuietHours         string `mapstructure:"quiet_hours"`
	QuietHoursCritical bool   `mapstructure:"quiet_hours_critical"`
}

// Allowed values of the enumerated keys.
const (
	RegionGlobal = "global"
	RegionChina  = "china"

	LibraryPersonal = "personal"
	LibraryShared   = "shared"
	LibraryHidden   = "hidden" // hidden items are imported too (e.g. icloudpd --album Hidden)
	LibraryAll      = "all"    // personal, shared and hidden

	HiddenNotice = "notice" // library_coverage warns for a day when hidden items appear or grow
	HiddenWarn   = "warn"   // … for as long as hidden items are not covered
	HiddenIgnore = "ignore" // … never; the count is still shown

	LayoutAuto       = "auto"
	LayoutICloudPD   = "icloudpd"
	LayoutImmich     = "immich"
	LayoutPhotoPrism = "photoprism"
	LayoutWindows    = "windows"
	LayoutOSXPhotos  = "osxphotos"
	LayoutFlat       = "flat"

	RenditionsOriginal = "original" // originals only (the default)
	RenditionsEdited   = "edited"   // the edited version of edited photos, e.g. icloudpd --size adjusted
	RenditionsBoth     = "both"     // originals and edited versions
)

var (
	regions     = []string{RegionGlobal, RegionChina}
	libraries   = []string{LibraryPersonal, LibraryShared, LibraryHidden, LibraryAll}
	hiddenRules = []string{HiddenNotice, HiddenWarn, HiddenIgnore}
	renditions  = []string{RenditionsOriginal, RenditionsEdited, RenditionsBoth}
	logLevels   = []string{"debug", "info", "warn", "error"}
	logFormats  = []string{"text", "json"}
)

// MinInterval is the shortest allowed check interval (Apple throttles).
const MinInterval = 10 * time.Minute

const day = 24 * time.Hour

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		DataDir:          "/data",
		Listen:           ":9877",
		Interval:         time.Hour,
		Jitter:           5 * time.Minute,
		CycleTimeout:     10 * time.Minute,
		LogLevel:         "info",
		LogFormat:        "text",
		HistoryRetention: 400 * day,
		Accounts:         []Account{},
		Checks:           DefaultChecks(),
		Audit:            DefaultAudit(),
		Notify: Notify{
			URLs:               []secret.Secret{},
			RemindEvery:        day,
			QuietHoursCritical: true,
		},
	}
}

// DefaultChecks returns the thresholds of design §3.
func DefaultChecks() Checks {
	return Checks{
		Newest:                 50,
		Grace:                  6 * time.Hour,
		UploadWarning:          3 * day,
		UploadCritical:         7 * day,
		UploadAdaptive:         true,
		UploadAdaptiveQuantile: 0.99,
		UploadAdaptiveFactor:   2,
		UploadHistory:          90 * day,
		SessionWarning:         7 * day,
		SessionCritical:        day,
		StorageWarning:         0.10,
		StorageCritical:        0.02,
		MissingWarning:         1,
		MissingCritical:        10,
		LagCritical:            7 * day,
		DeletedWarning:         7 * day,
		DeletedCritical:        2 * day,
		FolderShrink:           0.5,
		CaptureTolerance:       2 * time.Second,
	}
}

// DefaultAccount returns the values an account gets for keys it omits
// (name, apple_id and folders have no default).
func DefaultAccount() Account {
	return Account{
		Password:  Password{Keyring: true},
		Region:    RegionGlobal,
		Libraries: []string{LibraryPersonal},
		Hidden:    HiddenNotice,
		Folders:   []Folder{},
	}
}

// DefaultFolder returns the values a folder gets for keys it omits; the name
// is derived from the path (see FolderName).
func DefaultFolder() Folder {
	return Folder{Layout: LayoutAuto, Ignore: []string{}, Renditions: RenditionsOriginal, Libraries: []string{LibraryAll}}
}
