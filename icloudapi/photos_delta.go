package icloudapi

import (
	"context"

	"github.com/icloudmon/icloudmon/photo"
)

// Delta cycles (issue 25). When a few photos were added, the newest-N
// window only gained entries at rank 0 of the added-date index; re-reading
// 200 records to learn that costs about 300 kB. A delta cycle reads a short window
// (resultsLimit = 2×(k+lead+1) records for k new assets, lead being the
// hidden or deleted entries that lay above the previous newest) and puts the
// new entries in front of the previous window.
//
// It is taken only when the counts, which every changed cycle reads anyway
// in one batch, say that the change was k additions and nothing else:
// added and visible both grew by k, hidden and Recently Deleted unchanged.
// A hide, delete, recovery or purge moves one of those counts and makes
// the cycle read the library in full, as before. Two changes that cancel out
// in every count (hiding one photo and unhiding another in the same cycle,
// deleting one and recovering another) and edits of older photos are not
// visible in counts; the full read at least once per libraryMaxAge (24 h)
// bounds how long such a change can go unseen.
//
// The window must then show exactly k visible entries not seen before,
// followed by the previous newest entry; anything else (a window that
// disagrees with the counts) continues as a full read from where the window
// ended, so the window's records are not asked for twice.

const (
	// maxDeltaAssets: more new assets than this are read in full.
	maxDeltaAssets = 20
	// maxDeltaLead: a window that would have to read past more hidden or
	// deleted entries than this is not worth it; read in full.
	maxDeltaLead = 20
)

// deltaBase returns the previous state of z and how many assets were added
// when the counts say the change since then was additions only.
func (b *build) deltaBase(z Zone, c Counts) (*Library, int) {
	if b.prev == nil || b.prev.NewestN != b.opts.Newest || b.baseline[z.Database] {
		return nil, 0
	}
	old := b.prev.Library(z.Name)
	if old == nil || old.Error != "" || old.Skipped != "" || !old.Indexing.Finished() || len(old.Newest) == 0 {
		return nil, 0
	}
	if old.NewestLead < 0 || old.NewestLead > maxDeltaLead {
		return nil, 0
	}
	if age := b.now.Sub(old.fullReadAt()); age < 0 || age >= libraryMaxAge {
		return nil, 0 // the daily full read is due
	}
	o := old.Counts
	if o.Added < 0 || o.Visible < 0 || c.Added < 0 || c.Visible < 0 {
		return nil, 0
	}
	k := c.Added - o.Added
	if k < 1 || k > maxDeltaAssets || c.Visible-o.Visible != k || c.Hidden != o.Hidden || c.Deleted != o.Deleted {
		return nil, 0
	}
	return old, int(k)
}

// newestDelta reads the short window of a delta cycle. ok is false when it
// went on with a full read (res is then that read's result).
func (r *photosReader) newestDelta(ctx context.Context, z Zone, n int, old *Library, k int) (res newestResult, ok bool, err error) {
	p := newPairer(z.Name)
	info, err := r.pageN(ctx, z, idxAdded, 0, 2*(k+old.NewestLead+1), p)
	if err != nil {
		return res, false, err
	}
	res.token = info.token
	got, unpaired := p.assets()
	if merged, good := mergeDelta(got, unpaired, old.Newest, k); good {
		res.assets = merged[:min(n, len(merged))]
		res.unpaired, res.filtered, res.lead = old.Unpaired, old.Filtered, leadOf(got)
		res.exhausted = old.Complete && len(merged) <= n
		return res, true, nil
	}
	if info.last || visibleCount(got) >= n {
		res.exhausted, res.unpaired = info.last, unpaired
		res.assets, res.filtered = visibleNewest(got, n)
		res.lead = leadOf(got)
		return res, false, nil
	}
	res, err = r.newestFrom(ctx, z, n, p, info.entries, res, pageRecords)
	return res, false, err
}

// mergeDelta puts the k new visible entries of a delta window in front of
// the previous window. The window must hold, in index order, the k new
// entries and then the previous newest entry, with only hidden or deleted
// entries besides.
func mergeDelta(got []photo.Asset, unpaired int, prev []photo.Asset, k int) ([]photo.Asset, bool) {
	if unpaired != 0 || len(prev) == 0 {
		return nil, false
	}
	known := make(map[string]bool, len(prev))
	for i := range prev {
		known[prev[i].ID] = true
	}
	var fresh []photo.Asset
	for i := range got {
		a := got[i]
		switch {
		case a.ID == prev[0].ID:
			if a.Hidden || a.Deleted || len(fresh) != k {
				return nil, false
			}
			out := make([]photo.Asset, 0, len(fresh)+len(prev))
			out = append(out, fresh...)
			out = append(out, a) // the fresher copy of the previous newest
			return append(out, prev[1:]...), true
		case a.Hidden || a.Deleted:
			continue
		case known[a.ID] || !a.Added.After(prev[0].Added) && !a.Added.Equal(prev[0].Added):
			return nil, false // an older visible entry before the previous newest
		}
		fresh = append(fresh, a)
	}
	return nil, false // the previous newest was not reached
}
