package fakeicloud

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"sort"
	"time"
)

// changes/zone: every record of a zone that changed since a sync token,
// page by page. The shapes follow kei (rhoopr/icloudpd-rs
// docs/synctoken-reference.md "/changes/zone", src/icloud/photos/cloudkit.rs
// ChangesZoneResult) and pyicloud (timlaing/pyicloud
// pyicloud/common/cloudkit/models.py CKZoneChangesRequest/CKZoneChangesZone,
// tests/fixtures/photos_zone_changes_response.json):
//
//	request  {"zones":[{"zoneID":{…}, "syncToken"?, "desiredKeys"?,
//	          "desiredRecordTypes"?, "resultsLimit"?, "reverse"?}],
//	          "resultsLimit"?}   (kei puts resultsLimit in the zone entry,
//	          pyicloud at the top level; both are read)
//	answer   {"zones":[{"zoneID":{…}, "records":[…], "syncToken":"…",
//	          "moreComing":bool}]}
//
// Records have the shape of the query answers (CPLMaster, CPLAsset); a
// purged record comes back as {"recordName", "recordType": null,
// "deleted": true, "recordChangeTag", "zoneID"} (kei's doc; pyicloud's
// fixture has the same without recordType). No token means the whole zone;
// each page's token resumes after that page; the last page's token is the
// zone's current token (the one records/query returns, which kei found
// interchangeable). A token the zone cannot read is refused with HTTP 400
// BAD_REQUEST "Unknown sync continuation type", as a whole-request error.

// maxChangesLimit is the most records one changes/zone page holds, whatever
// resultsLimit asks (kei's doc: "Maximum effective page size is 200").
const maxChangesLimit = 200

// libraryInfoName is the CPLLibraryInfo record every change of the
// personal library rewrites (kei's doc, "CPLLibraryInfo").
const libraryInfoName = "PrimarySync-0000-LI"

// tomb is a purged record.
type tomb struct {
	name string
	seq  uint64
	tag  int64
}

// change is one record of the zone's change list.
type change struct {
	seq    uint64
	name   string
	master bool   // the CPLMaster of a (else its CPLAsset)
	a      *Asset // nil for a tombstone or the library info
	tag    int64
	info   bool // the CPLLibraryInfo record (SetZoneChangesLibraryInfo)
}

func (c change) before(seq uint64, name string) bool {
	return c.seq < seq || c.seq == seq && c.name <= name
}

type changesCache struct {
	seq   uint64
	list  []change
	tombs int
}

type changesZoneIn struct {
	ZoneID             ckZoneIDIn `json:"zoneID"`
	SyncToken          *string    `json:"syncToken"`
	DesiredKeys        []string   `json:"desiredKeys"`
	DesiredRecordTypes []string   `json:"desiredRecordTypes"`
	ResultsLimit       int        `json:"resultsLimit"`
	Reverse            bool       `json:"reverse"`
}

type changesIn struct {
	Zones        []changesZoneIn `json:"zones"`
	ResultsLimit int             `json:"resultsLimit"`
}

type changesZoneOut struct {
	ZoneID          ckZoneID `json:"zoneID"`
	Records         []any    `json:"records,omitempty"`
	SyncToken       string   `json:"syncToken,omitempty"`
	MoreComing      bool     `json:"moreComing"`
	ServerErrorCode string   `json:"serverErrorCode,omitempty"`
	Reason          string   `json:"reason,omitempty"`
}

type changesAnswer struct {
	Zones []changesZoneOut `json:"zones"`
}

type tombRecord struct {
	RecordName      string   `json:"recordName"`
	RecordType      *string  `json:"recordType"`
	Deleted         bool     `json:"deleted"`
	RecordChangeTag string   `json:"recordChangeTag"`
	ZoneID          ckZoneID `json:"zoneID"`
}

// position is where a changes/zone token resumes: every record ordered at
// or before (seq, name) was served; empties counts the empty pages served
// so far (SetZoneChangesEmptyPages).
type position struct {
	seq     uint64
	name    string
	empties uint8
}

// changesToken encodes a page position like CloudKit's opaque tokens.
func (l *Library) changesToken(p position) string {
	b := make([]byte, 0, 18+len(p.name))
	b = append(b, 2)
	b = binary.BigEndian.AppendUint64(b, p.seq)
	b = append(b, l.salt[:]...)
	b = append(b, p.empties)
	b = append(b, p.name...)
	return base64.StdEncoding.EncodeToString(b)
}

// parseChangesToken reads a page token or a zone token (records/query,
// changes/zone's last page). ok is false for a token of another library or
// one issued before ForgetSyncTokens.
func (l *Library) parseChangesToken(tok string) (position, bool) {
	if seq, ok := l.parseToken(tok); ok {
		if seq > l.seq {
			return position{}, false
		}
		return position{seq: seq, name: "\xff"}, true
	}
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(b) < 18 || b[0] != 2 || string(b[9:17]) != string(l.salt[:]) {
		return position{}, false
	}
	p := position{seq: binary.BigEndian.Uint64(b[1:9]), empties: b[17], name: string(b[18:])}
	if p.seq > l.seq {
		return position{}, false
	}
	return p, true
}

// changesZone answers changes/zone (lock held for reading).
func (l *Library) changesZone(db, body string) any {
	var req changesIn
	if err := json.Unmarshal([]byte(body), &req); err != nil || len(req.Zones) == 0 {
		return ckErr("BAD_REQUEST", "malformed request body")
	}
	out := changesAnswer{Zones: []changesZoneOut{}}
	for _, zr := range req.Zones {
		z := l.zoneFor(db, zr.ZoneID)
		if z == nil {
			out.Zones = append(out.Zones, changesZoneOut{ZoneID: ckZoneID{ZoneName: zr.ZoneID.ZoneName, OwnerRecordName: zr.ZoneID.OwnerRecordName},
				ServerErrorCode: "ZONE_NOT_FOUND", Reason: "Zone '" + zr.ZoneID.ZoneName + "' does not exist"})
			continue
		}
		from := position{}
		if zr.SyncToken != nil && *zr.SyncToken != "" {
			p, ok := l.parseChangesToken(*zr.SyncToken)
			if !ok {
				// kei's probes: a token CloudKit cannot read is refused.
				return ckErr("BAD_REQUEST", "Unknown sync continuation type")
			}
			from = p
		} else if zr.SyncToken != nil {
			// an empty token means "caught up" (kei's doc)
			from = position{seq: z.seq, name: "\xff"}
		}
		limit := zr.ResultsLimit
		if limit <= 0 {
			limit = req.ResultsLimit
		}
		if limit <= 0 || limit > maxChangesLimit {
			limit = maxChangesLimit
		}
		out.Zones = append(out.Zones, l.changesPage(z, from, limit, &zr))
	}
	return out
}

// changesPage renders up to limit records after from.
func (l *Library) changesPage(z *zone, from position, limit int, zr *changesZoneIn) changesZoneOut {
	list := l.changeList(z)
	res := changesZoneOut{ZoneID: z.id()}
	i := sort.Search(len(list), func(i int) bool { return !list[i].before(from.seq, from.name) })
	if i < len(list) && int(from.empties) < l.zoneChangesEmpty {
		// a compacted stretch of the log: nothing, but more to come
		from.empties++
		res.SyncToken, res.MoreComing = l.changesToken(from), true
		return res
	}
	types := map[string]bool{}
	for _, t := range zr.DesiredRecordTypes {
		types[t] = true
	}
	desired := map[string]bool{}
	for _, k := range zr.DesiredKeys {
		desired[k] = true
	}
	now := l.now()
	res.Records = []any{}
	last := from
	for ; i < len(list) && len(res.Records) < limit; i++ {
		c := list[i]
		last.seq, last.name = c.seq, c.name
		if r, ok := l.changeRecord(z, c, types, desired, now); ok {
			res.Records = append(res.Records, r)
		}
	}
	if i < len(list) {
		res.SyncToken, res.MoreComing = l.changesToken(last), true
		return res
	}
	res.SyncToken = l.token(z.seq)
	return res
}

// changeRecord renders one change; ok is false when desiredRecordTypes
// leaves it out.
func (l *Library) changeRecord(z *zone, c change, types, desired map[string]bool, now time.Time) (any, bool) {
	switch {
	case c.info:
		// kei: desiredRecordTypes is unreliable; the library info comes
		// back whatever was asked
		r := envelope(z, libraryInfoName, "CPLLibraryInfo", int64(c.seq), now, now) //nolint:gosec // small sequence numbers
		r.Fields = map[string]ckField{"photosCount": i64(int64(len(z.byAdded)))}
		return r, true
	case c.a == nil:
		return tombRecord{RecordName: c.name, Deleted: true, RecordChangeTag: "1s" + itoa(c.tag), ZoneID: z.id()}, true
	case c.master:
		if len(types) > 0 && !types["CPLMaster"] {
			return nil, false
		}
		r := masterRecord(z, c.a, now)
		r.RecordChangeTag = "1s" + itoa(c.a.changeTag+2)
		keep(&r, desired)
		l.extraFields(z, &r, c.a)
		return r, true
	}
	if len(types) > 0 && !types["CPLAsset"] {
		return nil, false
	}
	r := assetRecord(z, c.a, now)
	keep(&r, desired)
	l.extraFields(z, &r, c.a)
	return r, true
}

// changeList is every current record of the zone and every tombstone,
// ordered by (sequence number of its last change, record name); built once
// per zone state.
func (l *Library) changeList(z *zone) []change {
	l.cacheMu.Lock()
	defer l.cacheMu.Unlock()
	if c := l.changes[z.name]; c != nil && c.seq == z.seq && c.tombs == len(z.tombs) {
		return c.list
	}
	list := make([]change, 0, 2*len(z.byAdded)+len(z.tombs)+1)
	masters := map[string]int{}
	for _, a := range z.byAdded {
		list = append(list, change{seq: a.assetSeq, name: a.ID, a: a})
		if j, ok := masters[a.MasterID]; ok {
			if list[j].seq < a.masterSeq {
				list[j].seq, list[j].a = a.masterSeq, a
			}
			continue
		}
		masters[a.MasterID] = len(list)
		list = append(list, change{seq: a.masterSeq, name: a.MasterID, master: true, a: a})
	}
	for _, t := range z.tombs {
		list = append(list, change{seq: t.seq, name: t.name, tag: t.tag})
	}
	if l.zoneChangesInfo && z.name == PrimaryZone {
		list = append(list, change{seq: z.seq, name: libraryInfoName, info: true})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].seq != list[j].seq {
			return list[i].seq < list[j].seq
		}
		return list[i].name < list[j].name
	})
	if l.changes == nil {
		l.changes = map[string]*changesCache{}
	}
	l.changes[z.name] = &changesCache{seq: z.seq, list: list, tombs: len(z.tombs)}
	return list
}

// masterUsed reports whether an asset of z still uses the master.
func masterUsed(z *zone, master string) bool {
	for _, a := range z.byAdded {
		if a.MasterID == master {
			return true
		}
	}
	return false
}

// SetZoneChangesEmptyPages makes every changes/zone enumeration that has
// records to serve answer its first n pages empty with moreComing true, as
// kei saw on long histories ("pages 27-96 all returning 0 records"). A
// client must page on by moreComing, never stop at an empty page. Off (0)
// by default.
func (l *Library) SetZoneChangesEmptyPages(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.zoneChangesEmpty = min(max(n, 0), 255)
}

// SetZoneChangesLibraryInfo makes changes/zone of the personal library
// serve the CPLLibraryInfo record (rewritten by every change, kei's doc),
// whatever desiredRecordTypes asks: a client must skip record types it
// does not know. Off by default.
func (l *Library) SetZoneChangesLibraryInfo(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.zoneChangesInfo = on
	l.changes = nil // rebuilt with (or without) the record
}
