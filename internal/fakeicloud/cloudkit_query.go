package fakeicloud

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
)

type ckFilterIn struct {
	FieldName  string `json:"fieldName"`
	Comparator string `json:"comparator"`
	FieldValue struct {
		Value json.RawMessage `json:"value"`
	} `json:"fieldValue"`
}

type queryIn struct {
	Query struct {
		RecordType string          `json:"recordType"`
		FilterBy   json.RawMessage `json:"filterBy"`
	} `json:"query"`
	ZoneID       ckZoneIDIn `json:"zoneID"`
	ResultsLimit int        `json:"resultsLimit"`
	DesiredKeys  []string   `json:"desiredKeys"`
}

// filters reads filterBy, which is a list in list queries and a single
// object in count lookups.
func (q *queryIn) filters() map[string]json.RawMessage {
	var list []ckFilterIn
	if json.Unmarshal(q.Query.FilterBy, &list) != nil {
		var one ckFilterIn
		if json.Unmarshal(q.Query.FilterBy, &one) == nil {
			list = []ckFilterIn{one}
		}
	}
	out := map[string]json.RawMessage{}
	for _, f := range list {
		out[f.FieldName] = f.FieldValue.Value
	}
	return out
}

type queryAnswer struct {
	Records            []ckRecord `json:"records"`
	ContinuationMarker string     `json:"continuationMarker,omitempty"`
	SyncToken          string     `json:"syncToken"`
}

func (l *Library) query(db, body string) any {
	var q queryIn
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		return ckErr("BAD_REQUEST", "malformed request body")
	}
	z := l.zoneFor(db, q.ZoneID)
	if z == nil {
		return ckErr("ZONE_NOT_FOUND", "Zone '"+q.ZoneID.ZoneName+"' does not exist")
	}
	if l.sharedIndexErrors && z.name != PrimaryZone && q.Query.RecordType != "CheckIndexingState" {
		// rclone and kei users report this answer for queries on shared
		// zones, while CheckIndexingState of the same zone succeeds.
		return ckErr("BAD_REQUEST", "Index has invalid data")
	}
	if q.Query.RecordType == "CheckIndexingState" {
		r := envelope(z, "_fake-indexing-state", "CheckIndexingState", 0, l.now(), l.now())
		r.Fields = map[string]ckField{"state": str(z.indexing), "progress": i64(100)}
		if z.indexing != "FINISHED" {
			r.Fields["progress"] = i64(42)
		}
		return queryAnswer{Records: []ckRecord{r}, SyncToken: l.token(z.seq)}
	}
	index, ok := l.index(z, q.Query.RecordType)
	if !ok {
		return ckErr("BAD_REQUEST", "Unknown index "+q.Query.RecordType)
	}
	return l.window(z, index, &q)
}

// index returns the entries of a list query, rank 0 first.
func (l *Library) index(z *zone, recordType string) ([]*Asset, bool) {
	switch recordType {
	case "CPLAssetAndMasterByAddedDate":
		return z.byAdded, true
	case "CPLAssetAndMasterDeletedByExpungedDate":
		return z.deleted, true
	case "CPLAssetAndMasterHiddenByAssetDate":
		return l.takenIndex(z, true), true
	case "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted":
		return l.takenIndex(z, false), true
	}
	return nil, false
}

// takenCache holds the asset-date indexes of a zone, built on first use
// and again after a change (only for queries the agent does not make; rank
// 0 = newest taken).
type takenCache struct {
	seq             uint64
	visible, hidden []*Asset
}

func (l *Library) takenIndex(z *zone, hidden bool) []*Asset {
	l.cacheMu.Lock()
	defer l.cacheMu.Unlock()
	c := l.taken[z.name]
	if c == nil || c.seq != z.seq {
		c = &takenCache{seq: z.seq,
			visible: byTaken(z.byAdded, func(a *Asset) bool { return !a.Hidden && !a.Deleted }),
			hidden:  byTaken(z.byAdded, func(a *Asset) bool { return a.Hidden && !a.Deleted })}
		if l.taken == nil {
			l.taken = map[string]*takenCache{}
		}
		l.taken[z.name] = c
	}
	if hidden {
		return c.hidden
	}
	return c.visible
}

// byTaken builds an asset-date index, newest taken first.
func byTaken(all []*Asset, keep func(*Asset) bool) []*Asset {
	var out []*Asset
	for _, a := range all {
		if keep(a) {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Taken.After(out[j].Taken) })
	return out
}

// window renders resultsLimit records from startRank in direction: the
// masters first, then the assets. An odd limit leaves the last pair split
// (its master on this page, its asset on the next).
func (l *Library) window(z *zone, index []*Asset, q *queryIn) queryAnswer {
	f := q.filters()
	start, _ := strconv.Atoi(string(f["startRank"]))
	desc := string(f["direction"]) == `"DESCENDING"`
	limit := q.ResultsLimit
	if limit <= 0 {
		limit = 100
	}
	if l.split && limit%2 == 0 {
		limit--
	}
	var entries []*Asset
	for i := 0; i < (limit+1)/2; i++ {
		rank := start + i
		if desc {
			rank = start - i
		}
		if rank < 0 || rank >= len(index) {
			break
		}
		entries = append(entries, index[rank])
	}
	desired := map[string]bool{}
	for _, k := range q.DesiredKeys {
		desired[k] = true
	}
	out := queryAnswer{SyncToken: l.token(z.seq), Records: l.render(z, entries, limit, desired)}
	if next := start + len(entries); !desc && next < len(index) {
		out.ContinuationMarker = l.token(uint64(next)) //nolint:gosec // next is a non-negative rank
	}
	return out
}

func (l *Library) render(z *zone, entries []*Asset, limit int, desired map[string]bool) []ckRecord {
	now := l.now()
	recs := make([]ckRecord, 0, 2*len(entries))
	seen := map[string]bool{}
	for _, a := range entries {
		if !seen[a.MasterID] {
			seen[a.MasterID] = true
			r := masterRecord(z, a, now)
			keep(&r, desired)
			l.extraFields(z, &r, a)
			recs = append(recs, r)
		}
	}
	for i, a := range entries {
		if len(recs) >= limit || limit%2 == 1 && i == len(entries)-1 {
			break
		}
		r := assetRecord(z, a, now)
		keep(&r, desired)
		l.extraFields(z, &r, a)
		recs = append(recs, r)
	}
	return recs
}

type batchIn struct {
	Batch []queryIn `json:"batch"`
}

type batchAnswer struct {
	Batch []any `json:"batch"`
}

// batch answers HyperionIndexCountLookup entries.
func (l *Library) batch(db, body string) any {
	var b batchIn
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return ckErr("BAD_REQUEST", "malformed request body")
	}
	out := batchAnswer{Batch: []any{}}
	for i := range b.Batch {
		out.Batch = append(out.Batch, l.count(db, &b.Batch[i]))
	}
	return out
}

func (l *Library) count(db string, q *queryIn) any {
	z := l.zoneFor(db, q.ZoneID)
	if z == nil {
		return ckErr("ZONE_NOT_FOUND", "Zone '"+q.ZoneID.ZoneName+"' does not exist")
	}
	var ids []string
	if json.Unmarshal(q.filters()["indexCountID"], &ids) != nil || len(ids) == 0 || q.Query.RecordType != "HyperionIndexCountLookup" {
		return ckErr("BAD_REQUEST", "expected a HyperionIndexCountLookup with indexCountID")
	}
	n, ok := l.countOf(z, ids[0])
	if !ok {
		return ckErr("BAD_REQUEST", "Unknown index count "+ids[0])
	}
	r := envelope(z, ids[0], "IndexCountResult", 0, l.now(), l.now())
	r.Fields = map[string]ckField{"itemCount": i64(n)}
	return queryAnswer{Records: []ckRecord{r}, SyncToken: l.token(z.seq)}
}

func (l *Library) countOf(z *zone, id string) (int64, bool) {
	var keep func(*Asset) bool
	switch id {
	case "CPLAssetByAddedDate":
		return int64(len(z.byAdded)), true
	case "CPLAssetDeletedByExpungedDate":
		return int64(len(z.deleted)), true
	case "CPLAssetByAssetDateWithoutHiddenOrDeleted":
		keep = func(a *Asset) bool { return !a.Hidden && !a.Deleted }
	case "CPLAssetHiddenByAssetDate":
		keep = func(a *Asset) bool { return a.Hidden && !a.Deleted }
	default:
		return 0, false
	}
	n := int64(0)
	for _, a := range z.byAdded {
		if keep(a) {
			n++
		}
	}
	return n, true
}

// extraFields adds, with SetSharedExtraFields on and outside PrimarySync,
// the unlisted fields of the recorded SharedSync records (same names,
// types and about the same sizes; the values are made up).
func (l *Library) extraFields(z *zone, r *ckRecord, a *Asset) {
	if !l.sharedExtraFields || z.name == PrimaryZone {
		return
	}
	contributors := ckField{Type: "REFERENCE_LIST", Value: []ckReference{{RecordName: z.owner, Action: "NONE", ZoneID: z.id()}}}
	modified := ts(a.Added)
	if r.RecordType == "CPLMaster" {
		meta := make([]byte, 900) // the recorded mediaMetaDataEnc is a binary plist of about 1.2 kB in base64
		for i := range meta {
			meta[i] = byte(i * 7)
		}
		for k, v := range map[string]ckField{
			"importedByDisplayNameEnc": {Value: base64.StdEncoding.EncodeToString([]byte("Photos")), Type: "ENCRYPTED_BYTES"},
			"importedBy":               i64(5), "recordModificationDate": modified, "importDate": modified,
			"fullSizeJPEGSource": i64(1), "mediaMetaDataType": str("CGImageProperties"),
			"importGroupId": str("8BA3586C-7CA2-4D02-AC48-91533557F4E8"), "videoFrameRate": i64(0),
			"originalCreationDate": ts(a.Taken), "resJPEGMedFileSize": i64(a.Size / 10), "resOriginalFileSize": i64(a.Size),
			"importedByBundleIdentifierEnc": {Value: base64.StdEncoding.EncodeToString([]byte("com.apple.Photos")), Type: "ENCRYPTED_BYTES"},
			"mediaMetaDataEnc":              {Value: base64.StdEncoding.EncodeToString(meta), Type: "ENCRYPTED_BYTES"},
			"resJPEGThumbFileSize":          i64(40_000), "contributors": contributors,
		} {
			r.Fields[k] = v
		}
		return
	}
	for k, v := range map[string]ckField{
		"trashReason": i64(0), "adjustmentSourceType": i64(0), "recordModificationDate": modified,
		"timeZoneNameEnc": {Value: base64.StdEncoding.EncodeToString([]byte("Europe/Zurich")), Type: "ENCRYPTED_BYTES"},
		"originalChoice":  i64(0), "keywordsEnc": {Value: "YnBsaXN0MDCgCAAAAAAAAAEBAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAJ", Type: "ENCRYPTED_BYTES"},
		"mostRecentAddedDate": modified, "contributors": contributors,
	} {
		r.Fields[k] = v
	}
}
