package notify

import (
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// accountView is what the state machine needs of one account's report.
type accountView struct {
	Name   string
	Checks []checkView
	// SessionExpiry is when a person must sign in again (zero: unknown).
	SessionExpiry time.Time
	// NextPurge is when the next Recently Deleted item without a local
	// copy is purged for good (zero: none or unknown).
	NextPurge time.Time
}

// checkView is one check's result.
type checkView struct {
	ID          string
	Status      string
	Summary     string
	Remediation string
}

// viewOf turns an AccountReport into the state machine's view.
func viewOf(a checks.AccountReport) accountView {
	v := accountView{Name: a.Name, SessionExpiry: a.Observed.SessionExpiry}
	for _, c := range a.Checks {
		if c.Pending {
			// Unknown only because a first pass is under way (the first
			// fill of library_audit): shown on the status page, never
			// announced, and its state is left as it was so that the
			// verdict after the fill is judged like any first verdict.
			continue
		}
		v.Checks = append(v.Checks, checkView{
			ID:          string(c.ID),
			Status:      c.Status.String(),
			Summary:     c.Summary,
			Remediation: c.Remediation,
		})
	}
	v.NextPurge = nextUnprotectedPurge(a)
	return v
}

// nextUnprotectedPurge is the earliest purge time of a Recently Deleted item
// that has no local copy: from the check's missing items when listed,
// otherwise from the observed next purge when unprotected items exist.
func nextUnprotectedPurge(a checks.AccountReport) time.Time {
	var next time.Time
	if c, ok := a.Check(checks.CheckRecentlyDeleted); ok && c.Details != nil {
		for _, it := range c.Details.Missing {
			if !it.PurgeAt.IsZero() && (next.IsZero() || it.PurgeAt.Before(next)) {
				next = it.PurgeAt
			}
		}
	}
	if next.IsZero() && a.Observed.RecentlyDeletedUnprotected != nil && *a.Observed.RecentlyDeletedUnprotected > 0 {
		next = a.Observed.RecentlyDeletedNextPurge
	}
	return next
}

// find returns the view of check id.
func (v accountView) find(id string) (checkView, bool) {
	for _, c := range v.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return checkView{}, false
}
