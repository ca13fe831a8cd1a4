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
	// The report states the fact: the soonest purge among items without
	// a local copy (zero when there is none or no date is known).
	v.NextPurge = a.Observed.RecentlyDeletedNextPurge
	return v
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
