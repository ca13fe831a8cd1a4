package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/icloudmon/icloudmon/secret"
)

// FolderName derives a metrics label from a folder path: the last path
// element, lower-cased, with characters outside [a-z0-9_-] replaced by "_".
// "/photos/Alice iPhone" → "alice_iphone".
func FolderName(path string) string {
	base := strings.ToLower(filepath.Base(filepath.Clean(path)))
	name := strings.Map(func(r rune) rune {
		if isLabelRune(r) {
			return r
		}
		return '_'
	}, base)
	name = strings.Trim(name, "_-")
	if name == "" {
		return "folder"
	}
	return name
}

func isLabelRune(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-'
}

func deriveFolderNames(cfg *Config) {
	for i := range cfg.Accounts {
		for j := range cfg.Accounts[i].Folders {
			if f := &cfg.Accounts[i].Folders[j]; f.Name == "" && f.Path != "" {
				f.Name = FolderName(f.Path)
			}
		}
	}
}

// resolvePaths makes the file references of the configuration relative to
// the directory of the config file, as Prometheus does.
func resolvePaths(cfg *Config, dir string) {
	refs := []*string{&cfg.Web.TokenFile, &cfg.TLS.CAFile, &cfg.Notify.URLsFile,
		&cfg.Notify.HealthchecksURLFile, &cfg.Notify.UptimeKumaURLFile, &cfg.Notify.WebhookURLFile}
	for i := range cfg.Accounts {
		refs = append(refs, &cfg.Accounts[i].Password.File)
	}
	for _, p := range refs {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// secretRef pairs a secret key with its *_file form.
type secretRef struct {
	key    string
	secret *secret.Secret
	file   string
}

// readSecretFiles reads every *_file secret; a key set both ways, an
// unreadable or empty file is a problem.
func readSecretFiles(cfg *Config) Problems {
	var ps Problems
	n := &cfg.Notify
	for _, r := range []secretRef{
		{"web.token", &cfg.Web.Token, cfg.Web.TokenFile},
		{"notify.healthchecks_url", &n.HealthchecksURL, n.HealthchecksURLFile},
		{"notify.uptime_kuma_url", &n.UptimeKumaURL, n.UptimeKumaURLFile},
		{"notify.webhook_url", &n.WebhookURL, n.WebhookURLFile},
	} {
		if r.file == "" {
			continue
		}
		if r.secret.IsSet() {
			ps = append(ps, bothSet(r.key))
			continue
		}
		data, p := readSecretFile(r.key+"_file", r.file)
		if p != nil {
			ps = append(ps, *p)
			continue
		}
		*r.secret = secret.New(strings.TrimSpace(data))
	}
	return append(ps, readURLsFile(n)...)
}

func bothSet(key string) Problem {
	return Problem{Key: key, Message: fmt.Sprintf("both %s and %s_file are set; keep one of them", key, key),
		related: []string{key + "_file"}}
}

// readURLsFile reads notify.urls_file: one URL per line; blank lines and
// lines starting with # are skipped.
func readURLsFile(n *Notify) Problems {
	if n.URLsFile == "" {
		return nil
	}
	if len(n.URLs) > 0 {
		return Problems{bothSet("notify.urls")}
	}
	data, p := readSecretFile("notify.urls_file", n.URLsFile)
	if p != nil {
		return Problems{*p}
	}
	n.URLs = []secret.Secret{}
	for line := range strings.Lines(data) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			n.URLs = append(n.URLs, secret.New(line))
		}
	}
	return nil
}

func readSecretFile(key, path string) (string, *Problem) {
	data, err := os.ReadFile(path)
	if err != nil {
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		return "", &Problem{Key: key, Message: fmt.Sprintf("cannot read %q: %s; create the file or correct the path", path, reason)}
	}
	if strings.TrimSpace(string(data)) == "" {
		return "", &Problem{Key: key, Message: fmt.Sprintf("%q is empty; write the secret into it", path)}
	}
	return string(data), nil
}

// Flag names of AddFlags, one per global key.
const (
	FlagDataDir   = "data-dir"
	FlagListen    = "listen"
	FlagInterval  = "interval"
	FlagLogLevel  = "log-level"
	FlagLogFormat = "log-format"
)

// AddFlags registers the flags that override the global keys; Load picks
// them up when they are set. Durations are string flags so that "7d" works.
// With names, only those flags are added, so that a command lists only
// the flags it uses (verify does not listen); without, all of them.
func AddFlags(fs *pflag.FlagSet, names ...string) {
	d := Default()
	all := []struct{ name, def, usage string }{
		{FlagDataDir, "", "directory for the database and sessions (data_dir; default: /data in a container, else $XDG_DATA_HOME/icloudmon or $HOME/.local/share/icloudmon)"},
		{FlagListen, d.Listen, "address of the HTTP server (listen)"},
		{FlagInterval, FormatDuration(d.Interval), "time between checks of an account (interval; at least 10m)"},
		{FlagLogLevel, d.LogLevel, "debug, info, warn or error (log_level)"},
		{FlagLogFormat, d.LogFormat, "text or json (log_format)"},
	}
	for _, f := range all {
		if len(names) == 0 || slices.Contains(names, f.name) {
			fs.String(f.name, f.def, f.usage)
		}
	}
}
