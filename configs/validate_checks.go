package configs

import (
	"fmt"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/secret"
)

// MaxNewest bounds checks.newest: each 100 assets cost one more request.
const MaxNewest = 200

// checks validates the thresholds. It is their only validator: it rejects
// every value that checks.Policy would not use as written (its fallback
// for unset values), so a loaded configuration is evaluated as written
// (checks: TestValidChecksAreEvaluatedAsWritten).
func (v *validator) checks(c *Checks) {
	if c.Newest < 1 || c.Newest > MaxNewest {
		v.add("checks.newest", "%d is not between 1 and %d; use for example 50", c.Newest, MaxNewest)
	}
	v.positive("checks.grace", c.Grace, "6h")
	v.earlier("checks.upload_warning", c.UploadWarning, "checks.upload_critical", c.UploadCritical)
	v.share("checks.upload_adaptive_quantile", c.UploadAdaptiveQuantile, "0.99")
	if c.UploadAdaptiveFactor < 1 {
		v.add("checks.upload_adaptive_factor", "%g is below 1; use 1 or more (2 = twice the usual gap between uploads)", c.UploadAdaptiveFactor)
	}
	if c.UploadHistory < day {
		v.add("checks.upload_history", "%s is shorter than 1d; keep at least a few weeks of uploads, for example 90d", FormatDuration(c.UploadHistory))
	}
	v.later("checks.session_warning", c.SessionWarning, "checks.session_critical", c.SessionCritical, "1d")
	v.ratio("checks.storage_warning", c.StorageWarning)
	v.ratio("checks.storage_critical", c.StorageCritical)
	if c.StorageWarning <= c.StorageCritical {
		v.addRelated("checks.storage_warning", []string{"checks.storage_critical"}, "%g is not above checks.storage_critical (%g); the warning must come first: make storage_warning the larger free ratio",
			c.StorageWarning, c.StorageCritical)
	}
	if c.MissingWarning < 1 {
		v.add("checks.missing_warning", "%d is below 1; use 1 to warn about the first missing photo", c.MissingWarning)
	}
	if c.MissingCritical <= c.MissingWarning {
		v.addRelated("checks.missing_critical", []string{"checks.missing_warning"}, "%d is not above checks.missing_warning (%d); the warning must come first: make missing_critical larger",
			c.MissingCritical, c.MissingWarning)
	}
	v.positive("checks.lag_critical", c.LagCritical, "7d")
	v.later("checks.deleted_warning", c.DeletedWarning, "checks.deleted_critical", c.DeletedCritical, "2d")
	v.share("checks.folder_shrink", c.FolderShrink, "0.5")
	if c.CaptureTolerance < 0 || c.CaptureTolerance > time.Hour {
		v.add("checks.capture_tolerance", "%s is not between 0s and 1h; use a few seconds, for example 2s", FormatDuration(c.CaptureTolerance))
	}
}

func (v *validator) positive(key string, d time.Duration, example string) {
	if d <= 0 {
		v.add(key, "%s is not positive; use for example %s", FormatDuration(d), example)
	}
}

// earlier checks an age threshold pair: the warning fires at a smaller age.
func (v *validator) earlier(wKey string, w time.Duration, cKey string, c time.Duration) {
	v.positive(wKey, w, "7d")
	if w >= c {
		v.addRelated(wKey, []string{cKey}, "%s is not shorter than %s (%s); the warning must come first: make %s shorter",
			FormatDuration(w), cKey, FormatDuration(c), shortKey(wKey))
	}
}

// later checks a time-left threshold pair: the warning fires with more left.
func (v *validator) later(wKey string, w time.Duration, cKey string, c time.Duration, example string) {
	v.positive(cKey, c, example)
	if w <= c {
		v.addRelated(wKey, []string{cKey}, "%s is not longer than %s (%s); the warning must come first: make %s longer",
			FormatDuration(w), cKey, FormatDuration(c), shortKey(wKey))
	}
}

func shortKey(key string) string { return key[strings.LastIndex(key, ".")+1:] }

// share checks a ratio that must be above 0: 0 would not be a threshold
// but "unset" to checks (Policy falls back to its default there).
func (v *validator) share(key string, r float64, example string) {
	if r <= 0 || r > 1 {
		v.add(key, "%g is not above 0 and at most 1; write for example %s", r, example)
	}
}

func (v *validator) ratio(key string, r float64) {
	if r < 0 || r > 1 {
		v.add(key, "%g is not a ratio between 0 and 1; write for example 0.1 for 10 %%", r)
	}
}

func (v *validator) notify(n *Notify) {
	for i, u := range n.URLs {
		v.shoutrrrURL(fmt.Sprintf("notify.urls[%d]", i), u.Reveal())
	}
	for _, s := range []struct {
		key, example string
		secret       secret.Secret
	}{
		{"notify.healthchecks_url", "https://hc-ping.com/<uuid>", n.HealthchecksURL},
		{"notify.uptime_kuma_url", "https://kuma.example.net/api/push/<token>", n.UptimeKumaURL},
		{"notify.webhook_url", "https://hooks.example.net/icloudmon", n.WebhookURL},
	} {
		if s.secret.IsSet() {
			v.httpURL(s.key, s.secret.Reveal(), true, false, s.example)
		}
	}
	if n.RemindEvery != 0 && n.RemindEvery < time.Hour {
		v.add("notify.remind_every", "%s is shorter than 1h; use 0s to never remind, or 1h or more", FormatDuration(n.RemindEvery))
	}
	if n.QuietHours != "" {
		if _, _, err := ParseQuietHours(n.QuietHours); err != nil {
			v.add("notify.quiet_hours", "%v", err)
		}
	}
}
