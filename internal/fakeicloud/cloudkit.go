package fakeicloud

import (
	"encoding/base64"
	"strconv"
	"time"
)

// CloudKit JSON shapes, as in the recorded answers (icloudpd cassettes):
// fields are {"value": …, "type": …}; a page lists the CPLMaster records
// first, then the CPLAsset records.

type ckField struct {
	Value any    `json:"value"`
	Type  string `json:"type"`
}

type ckZoneID struct {
	ZoneName        string `json:"zoneName"`
	OwnerRecordName string `json:"ownerRecordName"`
	ZoneType        string `json:"zoneType"`
}

type ckStamp struct {
	Timestamp      int64  `json:"timestamp"`
	UserRecordName string `json:"userRecordName"`
	DeviceID       string `json:"deviceID"`
}

type ckRecord struct {
	RecordName      string             `json:"recordName"`
	RecordType      string             `json:"recordType"`
	Fields          map[string]ckField `json:"fields"`
	PluginFields    struct{}           `json:"pluginFields"`
	RecordChangeTag string             `json:"recordChangeTag"`
	Created         ckStamp            `json:"created"`
	Modified        ckStamp            `json:"modified"`
	Deleted         bool               `json:"deleted"`
	ZoneID          ckZoneID           `json:"zoneID"`
	ExpirationTime  int64              `json:"expirationTime,omitempty"`
}

type ckAssetID struct {
	FileChecksum      string `json:"fileChecksum"`
	Size              int64  `json:"size"`
	WrappingKey       string `json:"wrappingKey"`
	ReferenceChecksum string `json:"referenceChecksum"`
	DownloadURL       string `json:"downloadURL"`
}

type ckReference struct {
	RecordName string   `json:"recordName"`
	Action     string   `json:"action"`
	ZoneID     ckZoneID `json:"zoneID"`
}

func (z *zone) id() ckZoneID {
	return ckZoneID{ZoneName: z.name, OwnerRecordName: z.owner, ZoneType: "REGULAR_CUSTOM_ZONE"}
}

func str(v string) ckField   { return ckField{Value: v, Type: "STRING"} }
func i64(v int64) ckField    { return ckField{Value: v, Type: "INT64"} }
func ts(t time.Time) ckField { return ckField{Value: t.UnixMilli(), Type: "TIMESTAMP"} }
func flag(b bool) ckField {
	if b {
		return i64(1)
	}
	return i64(0)
}

func resource(checksum string, size int64, zoneName string, expires time.Time) ckField {
	return ckField{Type: "ASSETID", Value: ckAssetID{
		FileChecksum: checksum, Size: size, WrappingKey: "ZmFrZS13cmFwcGluZy1rZXk=", ReferenceChecksum: "AR" + checksum[2:],
		DownloadURL: "https://cvws.icloud-content.com/B/" + checksum + "/${f}?o=fake&v=1&x=3&e=" +
			itoa(expires.Unix()) + "&ckc=com.apple.photos.cloud&ckz=" + zoneName,
	}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// envelope fills the fields every record carries.
func envelope(z *zone, name, typ string, tag int64, created, modified time.Time) ckRecord {
	return ckRecord{
		RecordName: name, RecordType: typ, RecordChangeTag: "1s" + itoa(tag+2),
		Created:  ckStamp{Timestamp: created.UnixMilli(), UserRecordName: z.owner, DeviceID: "FAKEDEVICE1"},
		Modified: ckStamp{Timestamp: modified.UnixMilli(), UserRecordName: z.owner, DeviceID: "FAKEDEVICE1"},
		ZoneID:   z.id(),
	}
}

// masterRecord renders the CPLMaster of a.
func masterRecord(z *zone, a *Asset, now time.Time) ckRecord {
	r := envelope(z, a.MasterID, "CPLMaster", 0, a.Added, a.Added)
	exp := now.Add(time.Hour)
	f := map[string]ckField{
		"itemType": str(a.UTI), "resOriginalFileType": str(a.UTI), "resOriginalFingerprint": str(a.MasterID),
		"resOriginalRes":   resource(a.MasterID, a.Size, z.name, exp),
		"resOriginalWidth": i64(int64(a.Width)), "resOriginalHeight": i64(int64(a.Height)),
		"dataClassType": i64(1), "originalOrientation": i64(1),
		"resJPEGThumbRes": resource("AT"+a.MasterID[2:], 60_000, z.name, exp), "resJPEGThumbFileType": str("public.jpeg"),
	}
	if a.video() {
		f["dataClassType"] = i64(2)
	}
	switch a.FilenameForm {
	case "string":
		f["filenameEnc"] = str(a.Filename)
	case "missing":
	default:
		f["filenameEnc"] = ckField{Value: base64.StdEncoding.EncodeToString([]byte(a.Filename)), Type: "ENCRYPTED_BYTES"}
	}
	if a.LiveVideoSize > 0 {
		f["resOriginalVidComplRes"] = resource("AV"+a.MasterID[2:], a.LiveVideoSize, z.name, exp)
		f["resOriginalVidComplFileType"] = str("com.apple.quicktime-movie")
	}
	if a.AltUTI != "" {
		f["resOriginalAltRes"] = resource("AA"+a.MasterID[2:], a.AltSize, z.name, exp)
		f["resOriginalAltFileType"] = str(a.AltUTI)
	}
	deletedFields(f, a)
	delete(f, "isExpunged") // recorded masters carry isDeleted and dateExpunged only
	r.ExpirationTime = expiration(a)
	r.Fields = f
	return r
}

// expiration is the envelope's expirationTime of a deleted record: seconds,
// deletion + 40 days (dateExpunged + 10 days) in every recording.
func expiration(a *Asset) int64 {
	if !a.Deleted || a.Expunge.IsZero() {
		return 0
	}
	return a.Expunge.Add(10 * 24 * time.Hour).Unix()
}

// assetRecord renders the CPLAsset of a.
func assetRecord(z *zone, a *Asset, now time.Time) ckRecord {
	r := envelope(z, a.ID, "CPLAsset", a.changeTag, a.Added, a.Added)
	f := map[string]ckField{
		"masterRef": {Type: "REFERENCE", Value: ckReference{RecordName: a.MasterID, Action: "DELETE_SELF", ZoneID: z.id()}},
		"addedDate": ts(a.Added), "assetDate": ts(a.Taken), "timeZoneOffset": i64(int64(a.TZOffset)),
		"isHidden": flag(a.Hidden), "isFavorite": flag(a.Favorite), "assetSubtypeV2": i64(int64(a.Subtype)),
		"assetSubtype": i64(0), "adjustmentRenderType": i64(0), "customRenderedValue": i64(0), "orientation": i64(1),
		"duration": i64(0), "burstFlags": i64(0), "vidComplDurValue": i64(0), "vidComplDurScale": i64(0),
		"assetHDRType": i64(0), "vidComplVisibilityState": i64(0),
	}
	if a.AdjustmentType != "" {
		f["adjustmentType"] = str(a.AdjustmentType)
	}
	if a.EditUTI != "" {
		key := "resJPEGFull"
		if a.video() {
			key = "resVidFull"
		}
		f[key+"Res"] = resource("AE"+a.MasterID[2:], a.EditSize, z.name, now.Add(time.Hour))
		f[key+"FileType"] = str(a.EditUTI)
	}
	if a.BurstID != "" {
		f["burstId"] = str(a.BurstID)
	}
	deletedFields(f, a)
	r.ExpirationTime = expiration(a)
	r.Fields = f
	return r
}

// deletedFields: isDeleted 1, isExpunged 0 and dateExpunged (possibly null)
// on both records of a deleted asset; absent otherwise.
func deletedFields(f map[string]ckField, a *Asset) {
	if !a.Deleted {
		return
	}
	f["isDeleted"], f["isExpunged"] = i64(1), i64(0)
	if a.Expunge.IsZero() {
		f["dateExpunged"] = ckField{Value: nil, Type: "TIMESTAMP"}
	} else {
		f["dateExpunged"] = ts(a.Expunge)
	}
}

// keep filters fields to the requested desiredKeys (all when none given).
func keep(r *ckRecord, desired map[string]bool) {
	if len(desired) == 0 {
		return
	}
	for k := range r.Fields {
		if !desired[k] {
			delete(r.Fields, k)
		}
	}
}
