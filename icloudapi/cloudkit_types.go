package icloudapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/icloudmon/icloudmon/photo"
)

// CloudKit wire types. Every record field arrives as {"value": …, "type": …}.
// Decoding is deliberately tolerant field by field: a value of a surprising
// JSON type reads as "absent" instead of failing the whole page, because a
// monitoring agent must keep working when Apple adds or re-types a field. The
// envelope (records, recordName, masterRef) is what must be right.

// ckZoneID identifies a record zone; always sent back in full.
type ckZoneID struct {
	ZoneName        string `json:"zoneName"`
	OwnerRecordName string `json:"ownerRecordName,omitempty"`
	ZoneType        string `json:"zoneType,omitempty"`
}

// ckValue is one field: the raw value and its declared CloudKit type.
type ckValue struct {
	Value json.RawMessage `json:"value"`
	Type  string          `json:"type"`
}

// ckFields lists the fields this agent reads; everything else is skipped by
// the decoder without being stored.
type ckFields struct {
	// CPLMaster
	FilenameEnc                 ckValue `json:"filenameEnc"`
	ItemType                    ckValue `json:"itemType"`
	DataClassType               ckValue `json:"dataClassType"`
	ResOriginalRes              ckValue `json:"resOriginalRes"`
	ResOriginalFileType         ckValue `json:"resOriginalFileType"`
	ResOriginalWidth            ckValue `json:"resOriginalWidth"`
	ResOriginalHeight           ckValue `json:"resOriginalHeight"`
	ResOriginalAltRes           ckValue `json:"resOriginalAltRes"`
	ResOriginalAltFileType      ckValue `json:"resOriginalAltFileType"`
	ResOriginalVidComplRes      ckValue `json:"resOriginalVidComplRes"`
	ResOriginalVidComplFileType ckValue `json:"resOriginalVidComplFileType"`
	ResOriginalFingerprint      ckValue `json:"resOriginalFingerprint"`
	// CPLAsset
	MasterRef            ckValue `json:"masterRef"`
	AssetDate            ckValue `json:"assetDate"`
	AddedDate            ckValue `json:"addedDate"`
	TimeZoneOffset       ckValue `json:"timeZoneOffset"`
	IsHidden             ckValue `json:"isHidden"`
	IsFavorite           ckValue `json:"isFavorite"`
	AssetSubtypeV2       ckValue `json:"assetSubtypeV2"`
	AdjustmentType       ckValue `json:"adjustmentType"`
	ResJPEGFullRes       ckValue `json:"resJPEGFullRes"`
	ResJPEGFullFileType  ckValue `json:"resJPEGFullFileType"`
	ResVidFullRes        ckValue `json:"resVidFullRes"`
	ResVidFullFileType   ckValue `json:"resVidFullFileType"`
	Duration             ckValue `json:"duration"`
	BurstID              ckValue `json:"burstId"`
	IsDeleted            ckValue `json:"isDeleted"`
	IsExpunged           ckValue `json:"isExpunged"`
	DateExpunged         ckValue `json:"dateExpunged"`
	TrashReason          ckValue `json:"trashReason"`
	VidComplDurValue     ckValue `json:"vidComplDurValue"`
	VidComplDurScale     ckValue `json:"vidComplDurScale"`
	CheckIndexingState   ckValue `json:"state"`
	CheckIndexingPercent ckValue `json:"progress"`
	ItemCount            ckValue `json:"itemCount"`
}

// ckStamp is the created/modified envelope.
type ckStamp struct {
	Timestamp int64 `json:"timestamp"`
}

// ckRecord is one record of a query, lookup or changes response.
type ckRecord struct {
	RecordName      string    `json:"recordName"`
	RecordType      string    `json:"recordType"`
	Fields          ckFields  `json:"fields"`
	Deleted         bool      `json:"deleted"`
	ZoneID          *ckZoneID `json:"zoneID,omitempty"`
	Modified        *ckStamp  `json:"modified,omitempty"`
	ServerErrorCode string    `json:"serverErrorCode,omitempty"`
	Reason          string    `json:"reason,omitempty"`
}

// ckQueryResponse is the answer to records/query.
type ckQueryResponse struct {
	Records            []ckRecord      `json:"records"`
	ContinuationMarker string          `json:"continuationMarker,omitempty"`
	SyncToken          string          `json:"syncToken,omitempty"`
	ServerErrorCode    string          `json:"serverErrorCode,omitempty"`
	Reason             string          `json:"reason,omitempty"`
	RetryAfter         json.RawMessage `json:"retryAfter,omitempty"`
}

// ckBatchResponse is the answer to internal/records/query/batch.
type ckBatchResponse struct {
	Batch           []ckQueryResponse `json:"batch"`
	ServerErrorCode string            `json:"serverErrorCode,omitempty"`
	Reason          string            `json:"reason,omitempty"`
	RetryAfter      json.RawMessage   `json:"retryAfter,omitempty"`
}

// ckZoneEntry is one zone of zones/list or changes/database.
type ckZoneEntry struct {
	ZoneID          ckZoneID `json:"zoneID"`
	SyncToken       string   `json:"syncToken,omitempty"`
	Deleted         bool     `json:"deleted,omitempty"`
	ServerErrorCode string   `json:"serverErrorCode,omitempty"`
	Reason          string   `json:"reason,omitempty"`
}

// ckZonesResponse is the answer to zones/list and changes/database.
type ckZonesResponse struct {
	Zones           []ckZoneEntry   `json:"zones"`
	SyncToken       string          `json:"syncToken,omitempty"`
	MoreComing      bool            `json:"moreComing,omitempty"`
	ServerErrorCode string          `json:"serverErrorCode,omitempty"`
	Reason          string          `json:"reason,omitempty"`
	RetryAfter      json.RawMessage `json:"retryAfter,omitempty"`
}

// ckAssetValue is the value of an ASSETID field (a downloadable resource).
type ckAssetValue struct {
	Size         json.RawMessage `json:"size"`
	FileChecksum string          `json:"fileChecksum"`
}

// ckRefValue is the value of a REFERENCE field.
type ckRefValue struct {
	RecordName string    `json:"recordName"`
	ZoneID     *ckZoneID `json:"zoneID,omitempty"`
}

var jsonNull = []byte("null")

// present reports whether the field carries a non-null value.
func (v ckValue) present() bool {
	return len(v.Value) > 0 && !bytes.Equal(v.Value, jsonNull)
}

// int64 reads an INT64/TIMESTAMP value. Numbers, numeric strings and
// booleans (pyicloud fixtures use true/false for flags) are accepted.
func (v ckValue) int64() (int64, bool) {
	if !v.present() {
		return 0, false
	}
	return rawInt(v.Value)
}

func rawInt(raw json.RawMessage) (int64, bool) {
	s := string(raw)
	switch {
	case s == "true":
		return 1, true
	case s == "false":
		return 0, true
	case len(s) > 1 && s[0] == '"':
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return 0, false
		}
		s = str
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

// flag reads a 0/1 field; absent or null is false.
func (v ckValue) flag() bool {
	n, ok := v.int64()
	return ok && n != 0
}

// str reads a STRING value.
func (v ckValue) str() (string, bool) {
	if !v.present() || v.Value[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return "", false
	}
	return s, true
}

// text reads a name that is either ENCRYPTED_BYTES (base64 of UTF-8, not
// actually encrypted for these fields) or a plain STRING. The second result
// says which form was found.
func (v ckValue) text() (string, photo.FilenameSource) {
	s, ok := v.str()
	if !ok || s == "" {
		return "", photo.FilenameMissing
	}
	if v.Type == "STRING" {
		return s, photo.FilenameString
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) > 0 {
		if !utf8.Valid(b) {
			return "", photo.FilenameMissing // not a name: let the caller fall back
		}
		return string(b), photo.FilenameEncoded
	}
	if v.Type == "" {
		return s, photo.FilenameString // untyped and not base64: take it as plain text
	}
	return "", photo.FilenameMissing
}

// asset reads an ASSETID value; ok is false when absent or malformed.
func (v ckValue) asset() (ckAssetValue, int64, bool) {
	var a ckAssetValue
	if !v.present() || v.Value[0] != '{' || json.Unmarshal(v.Value, &a) != nil {
		return a, 0, false
	}
	size, ok := int64(0), len(a.Size) > 0
	if ok {
		size, ok = rawInt(a.Size)
	}
	if !ok || size < 0 {
		size = -1 // present resource of unknown size
	}
	return a, size, true
}

// ref reads a REFERENCE value.
func (v ckValue) ref() (ckRefValue, bool) {
	var r ckRefValue
	if !v.present() || v.Value[0] != '{' || json.Unmarshal(v.Value, &r) != nil {
		return r, false
	}
	return r, r.RecordName != ""
}
