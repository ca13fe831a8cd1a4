package icloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// changes/zone (issue 20): one page of the records of a zone that changed
// since a sync token, for the whole-library metadata mirror. No token reads
// the whole zone; each page's token resumes after it; the token of the page
// with moreComing false is the zone's current one. Request and answer
// shapes: kei (rhoopr/icloudpd-rs docs/synctoken-reference.md
// "/changes/zone", src/icloud/photos/cloudkit.rs ChangesZoneResult), pyicloud
// (timlaing/pyicloud pyicloud/common/cloudkit/models.py
// CKZoneChangesZoneReq, CKZoneChangesZone; client.py iter_changes).

// ErrSyncTokenRefused: CloudKit refused a changes/zone sync token (400
// BAD_REQUEST, "Unknown sync continuation type": it expired or is corrupt).
// The caller drops the token and reads the zone afresh.
var ErrSyncTokenRefused = errors.New("sync token refused by iCloud")

// ZoneChangesLimit is the records asked per changes/zone page: CloudKit
// serves at most 200 whatever is asked (kei's doc).
const ZoneChangesLimit = 200

// zoneChangesKeys are the only fields the mirror reads; desiredKeys works on
// changes/zone (kei's doc) and keeps each page small.
var zoneChangesKeys = []string{
	// CPLMaster
	"filenameEnc", "itemType", "dataClassType", "resOriginalRes", "resOriginalFileType",
	"resOriginalAltRes", "resOriginalAltFileType", "resOriginalVidComplRes", "resOriginalVidComplFileType",
	"resOriginalFingerprint",
	// CPLAsset
	"masterRef", "addedDate", "assetDate", "timeZoneOffset", "isHidden", "isDeleted", "isExpunged",
}

// ChangedMaster is a CPLMaster record of a changes/zone page: the file.
type ChangedMaster struct {
	RecordName string
	Filename   string // decoded filenameEnc; "" when absent
	UTI        string
	Kind       photo.Kind
	Size       int64 // original's bytes; -1 when unknown
	AltUTI     string
	AltSize    int64 // RAW+JPEG alternative; 0 when none, -1 when of unknown size
	LiveSize   int64 // Live Photo video; 0 when none, -1 when of unknown size
	// Fingerprint is resOriginalFingerprint when it differs from the record
	// name (in every recording the two are the same, so it is usually "").
	Fingerprint string
	Deleted     bool // isDeleted (Recently Deleted)
}

// ChangedAsset is a CPLAsset record of a changes/zone page: the library
// entry of a master.
type ChangedAsset struct {
	RecordName string
	MasterID   string
	Added      time.Time
	Taken      time.Time
	TZOffset   int // seconds east of UTC
	TZKnown    bool
	Hidden     bool
	Deleted    bool // isDeleted (Recently Deleted) or isExpunged
}

// ZoneChangesPage is one changes/zone answer for one zone.
type ZoneChangesPage struct {
	Masters []ChangedMaster
	Assets  []ChangedAsset
	// Purged are records gone for good ({recordName, deleted: true}),
	// masters and assets alike.
	Purged     []string
	SyncToken  string
	MoreComing bool
	// Records is every record of the page, other types included.
	Records int
	// Requests is the POSTs this page cost (a retried body error counts).
	Requests int
}

type ckChangesZoneReq struct {
	ZoneID             ckZoneID `json:"zoneID"`
	SyncToken          string   `json:"syncToken,omitempty"`
	DesiredRecordTypes []string `json:"desiredRecordTypes"`
	DesiredKeys        []string `json:"desiredKeys"`
	ResultsLimit       int      `json:"resultsLimit"`
}

type ckZoneChangesRequest struct {
	Zones []ckChangesZoneReq `json:"zones"`
}

type ckChangesZone struct {
	ZoneID          ckZoneID   `json:"zoneID"`
	Records         []ckRecord `json:"records"`
	SyncToken       string     `json:"syncToken"`
	MoreComing      *bool      `json:"moreComing"`
	ServerErrorCode string     `json:"serverErrorCode,omitempty"`
	Reason          string     `json:"reason,omitempty"`
}

type ckZoneChangesResponse struct {
	Zones           []ckChangesZone `json:"zones"`
	ServerErrorCode string          `json:"serverErrorCode,omitempty"`
	Reason          string          `json:"reason,omitempty"`
	RetryAfter      json.RawMessage `json:"retryAfter,omitempty"`
}

func (z *ckZoneChangesResponse) reset() { *z = ckZoneChangesResponse{} }

func (z *ckChangesZone) failure() (code, reason string) { return z.ServerErrorCode, z.Reason }

func (z *ckZoneChangesResponse) bodyError() *ckBodyError {
	return itemsError(topError(z.ServerErrorCode, z.Reason, z.RetryAfter), z.Zones)
}

func (z *ckZoneChangesResponse) shapeOK() bool {
	return len(z.Zones) == 1 && z.Zones[0].SyncToken != ""
}

// ZoneChanges reads one page of changes/zone of a library since token (""
// = the whole zone). A refused token gives an error that is
// ErrSyncTokenRefused; throttling gives ErrThrottled with RetryAfter, as
// for every CloudKit read.
func (c *Client) ZoneChanges(ctx context.Context, zone Zone, token string) (*ZoneChangesPage, error) {
	r, err := newPhotosReader(c)
	if err != nil {
		return nil, err
	}
	return r.zoneChanges(ctx, zone, token)
}

func (r *photosReader) zoneChanges(ctx context.Context, zone Zone, token string) (*ZoneChangesPage, error) {
	req := ckZoneChangesRequest{Zones: []ckChangesZoneReq{{ZoneID: zone.id(), SyncToken: token,
		DesiredRecordTypes: []string{recMaster, recAsset}, DesiredKeys: zoneChangesKeys, ResultsLimit: ZoneChangesLimit}}}
	var resp ckZoneChangesResponse
	before := r.requests
	err := r.call(ctx, "ck_zone_changes", r.dbURL(zone.Database, "changes/zone"), req, &resp)
	if err != nil {
		var e *Error
		if token != "" && errors.As(err, &e) && e.Code == "BAD_REQUEST" {
			refused := newError(ErrSyncTokenRefused, "ck_zone_changes", e.Status,
				fmt.Sprintf("iCloud refused the stored sync token of %s (%s); the library is read afresh", zone.Name, e.Message))
			refused.Code = e.Code
			return nil, refused
		}
		return nil, err
	}
	z := resp.Zones[0]
	page := &ZoneChangesPage{SyncToken: z.SyncToken, MoreComing: z.MoreComing != nil && *z.MoreComing,
		Records: len(z.Records), Requests: r.requests - before}
	for i := range z.Records {
		rec := &z.Records[i]
		switch {
		case rec.RecordName == "":
		case rec.Deleted:
			page.Purged = append(page.Purged, rec.RecordName)
		case rec.RecordType == recMaster:
			page.Masters = append(page.Masters, changedMaster(rec))
		case rec.RecordType == recAsset:
			if a, ok := changedAsset(rec); ok {
				page.Assets = append(page.Assets, a)
			}
		}
	}
	return page, nil
}

func changedMaster(rec *ckRecord) ChangedMaster {
	f := &rec.Fields
	m := ChangedMaster{RecordName: rec.RecordName, Size: -1, Deleted: f.IsDeleted.flag()}
	m.UTI, _ = f.ResOriginalFileType.str()
	if m.UTI == "" {
		m.UTI, _ = f.ItemType.str()
	}
	m.Filename, _ = f.FilenameEnc.text()
	if _, size, ok := f.ResOriginalRes.asset(); ok {
		m.Size = size
	}
	class, hasClass := f.DataClassType.int64()
	m.Kind = kindOf(m.UTI, class, hasClass)
	if res := resource(f.ResOriginalVidComplRes, f.ResOriginalVidComplFileType); res != nil {
		m.LiveSize = res.Size
		if m.Kind == photo.KindPhoto {
			m.Kind = photo.KindLivePhoto
		}
	}
	if res := resource(f.ResOriginalAltRes, f.ResOriginalAltFileType); res != nil {
		m.AltUTI, m.AltSize = res.UTI, res.Size
	}
	if fp, _ := f.ResOriginalFingerprint.str(); fp != rec.RecordName {
		m.Fingerprint = fp
	}
	return m
}

// changedAsset reads a CPLAsset; ok is false without a masterRef (nothing
// to pair it with: never invented).
func changedAsset(rec *ckRecord) (ChangedAsset, bool) {
	f := &rec.Fields
	ref, ok := f.MasterRef.ref()
	if !ok {
		return ChangedAsset{}, false
	}
	a := ChangedAsset{RecordName: rec.RecordName, MasterID: ref.RecordName,
		Added: msTime(f.AddedDate), Taken: msTime(f.AssetDate),
		Hidden: f.IsHidden.flag(), Deleted: f.IsDeleted.flag() || f.IsExpunged.flag()}
	if off, ok := f.TimeZoneOffset.int64(); ok && off > -86400 && off < 86400 {
		a.TZOffset, a.TZKnown = int(off), true
	}
	return a, true
}
