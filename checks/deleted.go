package checks

import (
	"fmt"
	"slices"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// deletedFacts summarises Recently Deleted.
type deletedFacts struct {
	total       int
	seen        int           // items on the page read
	unprotected []DeletedItem // no local copy, soonest purge first (unknown purge last)
	nextPurge   time.Time     // soonest purge among unprotected items
	lastSeen    time.Time     // latest purge among all items seen
}

// summarizeDeleted computes the facts of a Recently Deleted observation.
func summarizeDeleted(d DeletedObservation) deletedFacts {
	f := deletedFacts{total: len(d.Items), seen: len(d.Items)}
	if d.Total != nil && *d.Total > f.total {
		f.total = *d.Total
	}
	for _, it := range d.Items {
		if it.PurgeAt.After(f.lastSeen) {
			f.lastSeen = it.PurgeAt
		}
		if !it.LocalCopy.Present() {
			f.unprotected = append(f.unprotected, it)
		}
	}
	slices.SortStableFunc(f.unprotected, func(a, b DeletedItem) int {
		switch {
		case a.PurgeAt.IsZero() != b.PurgeAt.IsZero():
			if a.PurgeAt.IsZero() {
				return 1
			}
			return -1
		}
		return a.PurgeAt.Compare(b.PurgeAt)
	})
	if len(f.unprotected) > 0 {
		f.nextPurge = f.unprotected[0].PurgeAt
	}
	return f
}

// recentlyDeleted judges deleted items that have no local copy by the time
// left before iCloud purges them.
func (e *evaluator) recentlyDeleted() CheckResult {
	if e.obs.RecentlyDeleted == nil {
		return e.notRead(CheckRecentlyDeleted, "Recently Deleted")
	}
	obs := *e.obs.RecentlyDeleted
	f := summarizeDeleted(obs)
	status, d := e.deletedStatus(f)
	summary := e.deletedSummary(f)
	if unseen := f.total - len(obs.Items); unseen > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("Only the first %d of %d items in Recently Deleted were checked (the ones purged first)", len(obs.Items), f.total))
		if status == StatusOK && (f.lastSeen.IsZero() || f.lastSeen.Sub(e.now) < e.p.DeletedWarning) {
			// The page is ordered by purge date: unseen items purge after
			// lastSeen, which is already within the warning window.
			status = StatusUnknown
			summary += fmt.Sprintf("; %d more were not checked and may be purged within %s", unseen, fmtDur(e.p.DeletedWarning))
		}
	}
	if len(d.Missing) == 0 && len(d.Notes) == 0 {
		d = nil
	}
	rem := ""
	if status == StatusWarning || status == StatusCritical {
		rem = deletedRemediation(f.nextPurge)
	}
	return result(CheckRecentlyDeleted, status, summary, rem, d)
}

// deletedStatus applies the purge thresholds to the unprotected items.
func (e *evaluator) deletedStatus(f deletedFacts) (Status, *Details) {
	d := &Details{}
	status := StatusOK
	for _, it := range f.unprotected {
		d.Missing = append(d.Missing, Item{Filename: it.Filename, Library: it.Library, Added: it.Added.UTC(),
			Taken: it.Taken.UTC(), PurgeAt: it.PurgeAt.UTC(), Confidence: photo.ConfidenceNone})
		left := it.PurgeAt.Sub(e.now)
		switch {
		case it.PurgeAt.IsZero():
			status = Worst(status, StatusWarning)
		case left < e.p.DeletedCritical:
			status = StatusCritical
		case left < e.p.DeletedWarning:
			status = Worst(status, StatusWarning)
		}
	}
	return status, d
}

// deletedSummary writes the one-line summary.
func (e *evaluator) deletedSummary(f deletedFacts) string {
	n := len(f.unprotected)
	switch {
	case f.total == 0:
		return "Recently Deleted is empty"
	case n == 0 && f.seen < f.total:
		return fmt.Sprintf("%d of %s in Recently Deleted checked, all with a local copy", f.seen, plural(f.total, "item"))
	case n == 0:
		return fmt.Sprintf("%s in Recently Deleted, all with a local copy", plural(f.total, "item"))
	case f.nextPurge.IsZero():
		return fmt.Sprintf("Recently Deleted: %d of %s without a local copy (purge date unknown)", n, plural(f.total, "item"))
	}
	left := f.nextPurge.Sub(e.now)
	when := "in " + fmtDur(left)
	if left <= 0 {
		when = "now"
	}
	return fmt.Sprintf("Recently Deleted: %d of %s without a local copy; the first is purged for good %s (%s)",
		n, plural(f.total, "item"), when, fmtTime(f.nextPurge))
}
