package configs

import (
	"strings"
	"time"
)

// Audit configures the whole-library audit (issue 20): a metadata mirror of
// every monitored library, kept current through CloudKit changes/zone, and
// compared with the folders.
type Audit struct {
	// Enabled turns the mirror and the library_audit check on.
	Enabled bool `mapstructure:"enabled"`
	// RequestsPerDay paces the mirror's CloudKit requests: a first fill of
	// a large library spreads over hours or days instead of being
	// throttled. No-change cycles cost none.
	RequestsPerDay int `mapstructure:"requests_per_day"`
	// RequestsPerCycle caps the requests of one cycle.
	RequestsPerCycle int `mapstructure:"requests_per_cycle"`
	// IncludeHidden audits hidden items too (when they are imported).
	IncludeHidden bool `mapstructure:"include_hidden"`
	// Since leaves out assets taken before this day (YYYY-MM-DD); empty
	// audits every date.
	Since string `mapstructure:"since"`
}

// Audit limits.
const (
	// MaxAuditRequestsPerDay bounds requests_per_day: icloudpd users who
	// list a 100 000-photo library every hour send far more, but an agent
	// that only watches has no reason to come close.
	MaxAuditRequestsPerDay = 5000
	// sinceLayout is the format of audit.since.
	sinceLayout = "2006-01-02"
)

// DefaultAudit returns the audit defaults.
func DefaultAudit() Audit {
	return Audit{Enabled: true, RequestsPerDay: 500, RequestsPerCycle: 50}
}

// SinceDay returns audit.since as a time (UTC midnight); zero when empty or
// invalid (Validate reports an invalid one).
func (a Audit) SinceDay() time.Time {
	t, err := time.Parse(sinceLayout, strings.TrimSpace(a.Since))
	if err != nil {
		return time.Time{}
	}
	return t
}

func (v *validator) audit(a *Audit) {
	if a.RequestsPerDay < 1 || a.RequestsPerDay > MaxAuditRequestsPerDay {
		v.add("audit.requests_per_day", "%d is not between 1 and %d; use for example 500", a.RequestsPerDay, MaxAuditRequestsPerDay)
	}
	if a.RequestsPerCycle < 1 || a.RequestsPerCycle > max(a.RequestsPerDay, 1) {
		v.addRelated("audit.requests_per_cycle", []string{"audit.requests_per_day"},
			"%d is not between 1 and audit.requests_per_day (%d); use for example 50", a.RequestsPerCycle, a.RequestsPerDay)
	}
	if s := strings.TrimSpace(a.Since); s != "" {
		t, err := time.Parse(sinceLayout, s)
		switch {
		case err != nil:
			v.add("audit.since", "%q is not a date; write YYYY-MM-DD, for example 2015-01-01, or leave it empty to audit every date", a.Since)
		case t.After(time.Now()):
			v.add("audit.since", "%s is in the future, which would leave every photo out; use a past day or leave it empty", s)
		}
	}
}
