package configs

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	labelRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`) // and at most maxLabel bytes (validLabel)
	envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// maxLabel is the longest label. It is not a counted repetition in labelRE
// ({0,62}): that compiles to hundreds of instructions when the binary
// starts, 1 ms of every verify.
const maxLabel = 63

// validLabel reports whether s is a label: up to 63 lower-case letters,
// digits, "_" and "-", starting with a letter or digit.
func validLabel(s string) bool { return len(s) <= maxLabel && labelRE.MatchString(s) }

// validator collects problems; every check adds to it and goes on.
type validator struct {
	ps Problems
}

func (v *validator) add(key, format string, args ...any) {
	v.ps = append(v.ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// addRelated adds a problem that also depends on the value of other keys.
func (v *validator) addRelated(key string, related []string, format string, args ...any) {
	v.add(key, format, args...)
	v.ps[len(v.ps)-1].related = related
}

// Validate checks the rules of the configuration and returns every problem
// at once as Problems (nil when the configuration is valid). Each problem
// names the key, the bad value (never a secret's) and the fix. Load applies
// these rules already (and says where each value came from); Validate is
// for a configuration built or changed in code.
func (c *Config) Validate() error {
	return c.problems().errOrNil()
}

func (c *Config) problems() Problems {
	v := &validator{}
	v.global(c)
	v.accounts(c.Accounts)
	v.checks(&c.Checks)
	v.audit(&c.Audit)
	v.notify(&c.Notify)
	return v.ps
}

func (v *validator) global(c *Config) {
	v.absPath("data_dir", c.DataDir, "/data")
	v.listen(c.Listen)
	if c.Interval < MinInterval {
		v.add("interval", "%s is shorter than the minimum %s (Apple throttles frequent requests); use %s or more",
			FormatDuration(c.Interval), FormatDuration(MinInterval), FormatDuration(MinInterval))
	}
	// Compare with the interval in force once interval itself is fixed, so
	// that one mistake gives one problem.
	interval := max(c.Interval, MinInterval)
	if c.Jitter < 0 || c.Jitter > interval/2 {
		v.addRelated("jitter", []string{"interval"}, "%s is not between 0s and half the interval (%s); use for example 5m",
			FormatDuration(c.Jitter), FormatDuration(interval/2))
	}
	if c.CycleTimeout <= 0 || c.CycleTimeout > interval {
		v.addRelated("cycle_timeout", []string{"interval"}, "%s is not between 0s and the interval (%s); use for example 10m",
			FormatDuration(c.CycleTimeout), FormatDuration(interval))
	}
	v.oneOf("log_level", c.LogLevel, logLevels)
	v.oneOf("log_format", c.LogFormat, logFormats)
	if c.HistoryRetention < c.Checks.UploadHistory {
		v.addRelated("history_retention", []string{"checks.upload_history"}, "%s is shorter than checks.upload_history (%s); keep the history at least that long",
			FormatDuration(c.HistoryRetention), FormatDuration(c.Checks.UploadHistory))
	}
	if c.Web.ExternalURL != "" {
		v.httpURL("web.external_url", c.Web.ExternalURL, false, false, "https://icloudmon.example.net")
	}
}

func (v *validator) absPath(key, p, example string) {
	switch {
	case p == "":
		v.add(key, "is empty; set an absolute path such as %s", example)
	case !filepath.IsAbs(p):
		v.add(key, "%q is a relative path; use an absolute path such as %s", p, example)
	}
}

func (v *validator) listen(addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = fmt.Errorf("bad port")
		}
	}
	if err != nil {
		v.add("listen", "%q is not a listen address; write [host]:port, for example \":9877\" or \"127.0.0.1:9877\"", addr)
	}
}

func (v *validator) oneOf(key, val string, allowed []string) {
	if !slices.Contains(allowed, val) {
		v.add(key, "%q is not allowed; use one of %s", val, strings.Join(allowed, ", "))
	}
}

// httpURL checks a URL; secret URLs are described by their scheme only.
func (v *validator) httpURL(key, raw string, secret, httpsOnly bool, example string) {
	u, err := url.Parse(raw)
	shown := strconv.Quote(raw)
	if secret {
		shown = "the URL"
		if err == nil {
			shown = fmt.Sprintf("the URL (scheme %q)", u.Scheme)
		}
	}
	want := "an http or https URL"
	if httpsOnly {
		want = "an https URL (TLS is never turned off)"
	}
	ok := err == nil && u.Host != "" && (u.Scheme == "https" || (!httpsOnly && u.Scheme == "http"))
	if !ok {
		v.add(key, "%s is not %s; write for example %s", shown, want, example)
	}
}
