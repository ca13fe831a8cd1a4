package icloudapi

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/icloudmon/icloudmon/photo"
)

// Databases of the Photos container.
const (
	dbPrivate = "private"
	dbShared  = "shared"
)

// Zone is one photo library: the personal library (PrimarySync) or an
// iCloud Shared Photo Library (SharedSync-<UUID>). A Shared Library you own
// lives in the private database; one you take part in, in the shared one.
type Zone struct {
	Name     string `json:"name"`
	Owner    string `json:"owner,omitempty"`
	Type     string `json:"type,omitempty"`
	Database string `json:"database"` // "private" or "shared"
}

// Personal reports the personal library.
func (z Zone) Personal() bool { return z.Name == "PrimarySync" }

// SharedLibrary reports an iCloud Shared Photo Library.
func (z Zone) SharedLibrary() bool { return strings.HasPrefix(z.Name, "SharedSync-") }

// Participant reports a Shared Library owned by someone else.
func (z Zone) Participant() bool { return z.SharedLibrary() && z.Database == dbShared }

func (z Zone) id() ckZoneID {
	return ckZoneID{ZoneName: z.Name, OwnerRecordName: z.Owner, ZoneType: z.Type}
}

// photoZone keeps photo libraries and drops share links (CMM-*), app
// libraries, other custom zones and deleted zones.
func photoZone(e ckZoneEntry) bool {
	n := e.ZoneID.ZoneName
	return !e.Deleted && (n == "PrimarySync" || strings.HasPrefix(n, "SharedSync-"))
}

// listZones reads zones/list of one database.
func (r *photosReader) listZones(ctx context.Context, db string) ([]Zone, error) {
	var resp ckZonesResponse
	if err := r.call(ctx, "ck_zones", r.dbURL(db, "zones/list"), struct{}{}, &resp); err != nil {
		return nil, err
	}
	var zones []Zone
	for _, e := range resp.Zones {
		if photoZone(e) {
			zones = append(zones, Zone{Name: e.ZoneID.ZoneName, Owner: e.ZoneID.OwnerRecordName, Type: e.ZoneID.ZoneType, Database: db})
		}
	}
	return zones, nil
}

// maxChangePages bounds changes/database paging (moreComing).
const maxChangePages = 5

// dbChanges asks which zones changed since token ("" = baseline: all zones).
// It returns the changed zone entries and the new database token.
func (r *photosReader) dbChanges(ctx context.Context, db, token string) ([]ckZoneEntry, string, error) {
	var changed []ckZoneEntry
	for page := 0; page < maxChangePages; page++ {
		var resp ckZonesResponse
		err := r.call(ctx, "ck_changes", r.dbURL(db, "changes/database"), ckChangesRequest{SyncToken: token}, &resp)
		if err != nil {
			return nil, "", err
		}
		changed = append(changed, resp.Zones...)
		if resp.SyncToken != "" {
			token = resp.SyncToken
		}
		if !resp.MoreComing {
			break
		}
	}
	return changed, token, nil
}

// IndexingState is CheckIndexingState of one zone.
type IndexingState struct {
	State    string `json:"state"`              // FINISHED, RUNNING, …
	Progress int    `json:"progress,omitempty"` // percent, when iCloud says
}

// Finished reports a library that can be listed completely.
func (s IndexingState) Finished() bool { return s.State == indexingFinished }

func (r *photosReader) indexing(ctx context.Context, z Zone) (IndexingState, error) {
	var resp ckQueryResponse
	if err := r.call(ctx, "ck_query", r.dbURL(z.Database, "records/query"), indexingQuery(z.id()), &resp); err != nil {
		return IndexingState{}, err
	}
	for _, rec := range resp.Records {
		if rec.RecordType == recIndexing {
			st, _ := rec.Fields.CheckIndexingState.str()
			return IndexingState{State: st, Progress: intField(rec.Fields.CheckIndexingPercent)}, nil
		}
	}
	return IndexingState{}, newError(ErrProtocol, "ck_query", 0, "iCloud Photos did not report the indexing state of "+z.Name)
}

// page reads one window of an index and feeds it to the pairer.
func (r *photosReader) page(ctx context.Context, z Zone, index string, start int, p *pairer) (pageInfo, error) {
	return r.pageN(ctx, z, index, start, pageRecords, p)
}

// pageN is page with a resultsLimit of limit records (even: whole pairs).
// A window shorter than a full page says nothing about the end of the
// index unless it came back empty or shorter than asked.
func (r *photosReader) pageN(ctx context.Context, z Zone, index string, start, limit int, p *pairer) (pageInfo, error) {
	var resp ckQueryResponse
	if err := r.call(ctx, "ck_query", r.dbURL(z.Database, "records/query"), listQuery(index, z.id(), start, limit), &resp); err != nil {
		return pageInfo{}, err
	}
	p.add(resp.Records)
	assets, masters := 0, 0
	for i := range resp.Records {
		switch resp.Records[i].RecordType {
		case recAsset:
			assets++
		case recMaster:
			masters++
		}
	}
	if assets == 0 {
		assets = masters // a page of masters only must still move forward
	}
	// The index ended when the page is empty, or short without a
	// continuation marker (recorded pages with more to come carry one).
	last := assets == 0 || assets < limit/2 && resp.ContinuationMarker == ""
	return pageInfo{token: resp.SyncToken, entries: assets, last: last}, nil
}

// pageInfo describes one page of an index walk.
type pageInfo struct {
	token   string // zone sync token
	entries int    // index entries (assets) the page held
	last    bool   // the index has nothing after this page
}

// newestResult is the newest-added window of one zone.
type newestResult struct {
	assets    []photo.Asset
	token     string
	unpaired  int
	filtered  int // hidden or deleted entries skipped
	lead      int // hidden or deleted entries above the newest visible one
	exhausted bool
}

// newestSlack is how many hidden or deleted entries the first window of a
// newest read allows for beyond those the previous read met.
const newestSlack = 4

// newestWindow is the resultsLimit of the first page of a newest read: n
// pairs plus the hidden or deleted entries expected among them (hint, from
// the previous read) plus newestSlack, at most a full page. The checks use
// the newest n; a 200-record page for n = 50 paid for 50 pairs nobody
// looks at (about 130 kB at 1.3 kB a record). When the window holds fewer
// than n visible entries, the read goes on with full pages.
func newestWindow(n, hint int) int {
	return min(2*(n+max(hint, 0)+newestSlack), pageRecords)
}

// newest returns the n most recently added visible assets of z (rank 0 =
// newest added), skipping hidden and deleted entries: a first window of
// newestWindow(n, hint) records, then full pages if it fell short. It
// reads at most n/100+2 pages, whatever the library size.
func (r *photosReader) newest(ctx context.Context, z Zone, n, hint int) (newestResult, error) {
	return r.newestFrom(ctx, z, n, newPairer(z.Name), 0, newestResult{}, newestWindow(n, hint))
}

// newestFrom goes on reading the added-date index from rank start, with the
// pairs already read in p (a delta window that did not suffice); first is
// the resultsLimit of the first page (later pages are full ones).
func (r *photosReader) newestFrom(ctx context.Context, z Zone, n int, p *pairer, start int, res newestResult, first int) (newestResult, error) {
	maxPages := n/pageAssets + 2
	for pg := 0; pg < maxPages; pg++ {
		limit := pageRecords
		if pg == 0 {
			limit = first
		}
		info, err := r.pageN(ctx, z, idxAdded, start, limit, p)
		if err != nil {
			return res, err
		}
		if info.token != "" {
			res.token = info.token
		}
		start += info.entries
		res.exhausted = info.last
		all, _ := p.assets()
		if res.exhausted || visibleCount(all) >= n {
			break
		}
	}
	all, unpaired := p.assets()
	res.unpaired = unpaired
	res.assets, res.filtered = visibleNewest(all, n)
	res.lead = leadOf(all)
	return res, nil
}

// leadOf counts the hidden or deleted entries at the top of an index read.
func leadOf(all []photo.Asset) int {
	for i := range all {
		if !all[i].Hidden && !all[i].Deleted {
			return i
		}
	}
	return len(all)
}

func visibleCount(all []photo.Asset) int {
	n := 0
	for i := range all {
		if !all[i].Hidden && !all[i].Deleted {
			n++
		}
	}
	return n
}

// visibleNewest drops hidden and deleted assets, sorts by added date
// (newest first; the index order already is, this is a safety net) and keeps n.
func visibleNewest(all []photo.Asset, n int) ([]photo.Asset, int) {
	out := make([]photo.Asset, 0, min(n, len(all)))
	filtered := 0
	for _, a := range all {
		if a.Hidden || a.Deleted {
			filtered++
			continue
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Added.After(out[j].Added) })
	if len(out) > n {
		out = out[:n]
	}
	return out, filtered
}

// recentlyDeleted reads Recently Deleted. The index runs from the most
// recently deleted (rank 0) to the next to be purged; when it holds more
// than one page, the window nearest to purge is read (that is what can be
// lost soonest), plus the newest window if pages > 1.
func (r *photosReader) recentlyDeleted(ctx context.Context, z Zone, count int64, pages int) ([]photo.Asset, error) {
	starts := []int{0}
	if count > pageAssets {
		starts = []int{int(count) - pageAssets}
		if pages > 1 {
			starts = append(starts, 0)
		}
	}
	p := newPairer(z.Name)
	for _, start := range starts {
		if _, err := r.page(ctx, z, idxDeleted, start, p); err != nil {
			return nil, err
		}
	}
	all, _ := p.assets()
	sort.SliceStable(all, func(i, j int) bool { return purgeBefore(all[i], all[j]) })
	return all, nil
}

// purgeBefore orders by purge time, soonest first; unknown purge times last.
func purgeBefore(a, b photo.Asset) bool {
	switch {
	case a.Purge.IsZero() != b.Purge.IsZero():
		return !a.Purge.IsZero()
	default:
		return a.Purge.Before(b.Purge)
	}
}

// Counts are HyperionIndexCountLookup results of one zone; -1 = not read.
type Counts struct {
	Visible int64 `json:"visible"` // not hidden, not deleted
	Added   int64 `json:"added"`   // everything in the added-date index
	Hidden  int64 `json:"hidden"`
	Deleted int64 `json:"deleted"` // in Recently Deleted
}

// countIDs are the counts asked per zone. On a Shared Library only the
// counts other clients are seen to get answered are asked: the library
// count (kei, pyicloud) and the added-date count (icloudpd's recorded
// SharedSync batch); kei and pyicloud skip the smart-folder indexes there
// (Hidden, Recently Deleted), which SharedSync zones lack. The others read -1.
func countIDs(z Zone) []string {
	if z.SharedLibrary() {
		return []string{countVisible, countAdded}
	}
	return []string{countVisible, countAdded, countHidden, countDeleted}
}

// counts reads the counts of several zones of one database in one batch
// (one count per batch entry, as every reference client sends). When the
// batch as a whole is refused and it asked about several zones, each zone is
// asked alone, so that a zone CloudKit cannot count (a Shared Library with
// an index error) does not leave the others uncounted. failed holds the
// zones whose library count could not be read.
func (r *photosReader) counts(ctx context.Context, db string, zones []Zone) (map[string]Counts, map[string]error, error) {
	out, failed, err := r.countBatch(ctx, db, zones)
	if err == nil || len(zones) < 2 || !zoneFailure(ctx, err) {
		return out, failed, err
	}
	out, failed = map[string]Counts{}, map[string]error{}
	for _, z := range zones {
		c, bad, err := r.countBatch(ctx, db, []Zone{z})
		switch {
		case err != nil && !zoneFailure(ctx, err):
			return nil, nil, err
		case err != nil:
			failed[z.Name] = err
		}
		for k, v := range c {
			out[k] = v
		}
		for k, v := range bad {
			failed[k] = v
		}
	}
	return out, failed, nil
}

func (r *photosReader) countBatch(ctx context.Context, db string, zones []Zone) (map[string]Counts, map[string]error, error) {
	var req ckBatchRequest
	for _, z := range zones {
		for _, id := range countIDs(z) {
			req.Batch = append(req.Batch, countQuery(id, z.id()))
		}
	}
	var resp ckBatchResponse
	if err := r.call(ctx, "ck_count", r.dbURL(db, "internal/records/query/batch"), req, &resp); err != nil {
		return nil, nil, err
	}
	if len(resp.Batch) != len(req.Batch) {
		return nil, nil, newError(ErrProtocol, "ck_count", 0, fmt.Sprintf("iCloud Photos answered %d counts for %d questions", len(resp.Batch), len(req.Batch)))
	}
	out := make(map[string]Counts, len(zones))
	failed := map[string]error{}
	i := 0
	for _, z := range zones {
		v := []int64{-1, -1, -1, -1}
		for j := range countIDs(z) {
			entry := &resp.Batch[i]
			i++
			if be := entry.bodyError(); be != nil && j == 0 {
				failed[z.Name] = r.classify(ctx, "ck_count", be) // the library count itself failed
			}
			v[j] = itemCount(entry)
		}
		out[z.Name] = Counts{Visible: v[0], Added: v[1], Hidden: v[2], Deleted: v[3]}
	}
	return out, failed, nil
}

// zoneFailure reports an error that concerns one library only: CloudKit
// refused a query on that zone (an index it lacks, a zone that is gone) or
// answered it in a shape that cannot be read. Session, throttling, access,
// network and context errors concern the whole account.
func zoneFailure(ctx context.Context, err error) bool {
	var e *Error
	if err == nil || ctx.Err() != nil || errors.As(err, &e) && e.Code == codeInsecureRedirect {
		return false // a rewritten connection concerns every library
	}
	return errors.Is(err, ErrProtocol) || errors.Is(err, ErrNotActivated)
}

func itemCount(q *ckQueryResponse) int64 {
	if q.bodyError() != nil {
		return -1
	}
	for _, rec := range q.Records {
		if n, ok := rec.Fields.ItemCount.int64(); ok && n >= 0 {
			return n
		}
	}
	return -1
}
