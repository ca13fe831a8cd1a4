package icloudapi

// Request bodies of the Photos CloudKit reads. Record types and count ids
// as in icloudpd src/pyicloud_ipd/services/photos.py and kei
// src/icloud/photos.

// Index (query recordType) and count ids used by the agent.
const (
	idxAdded         = "CPLAssetAndMasterByAddedDate"
	idxDeleted       = "CPLAssetAndMasterDeletedByExpungedDate"
	countAdded       = "CPLAssetByAddedDate"
	countVisible     = "CPLAssetByAssetDateWithoutHiddenOrDeleted"
	countHidden      = "CPLAssetHiddenByAssetDate"
	countDeleted     = "CPLAssetDeletedByExpungedDate"
	recIndexing      = "CheckIndexingState"
	recCountLookup   = "HyperionIndexCountLookup"
	pageRecords      = 200 // records per page: 100 master+asset pairs (the documented maximum)
	pageAssets       = pageRecords / 2
	indexingFinished = "FINISHED"
)

// desiredKeys are the fields the agent reads: exactly the record fields of
// ckFields (TestDesiredKeysAreTheDecodedFields), each one paid for in every
// record of every answer. Shorter than the web client's list (about 110
// names); other tools show that shortening is accepted (artascope, by
// magus0219, patches pyicloud to list pages with five keys).
var desiredKeys = []string{
	"recordName", "recordType", "recordChangeTag", "masterRef",
	"filenameEnc", "itemType", "dataClassType",
	"resOriginalRes", "resOriginalFileType", "resOriginalWidth", "resOriginalHeight",
	"resOriginalAltRes", "resOriginalAltFileType",
	"resOriginalVidComplRes", "resOriginalVidComplFileType",
	"resJPEGFullRes", "resJPEGFullFileType", "resVidFullRes", "resVidFullFileType",
	"addedDate", "assetDate", "timeZoneOffset", "isHidden", "isFavorite", "isDeleted", "isExpunged", "dateExpunged",
	"adjustmentType", "assetSubtypeV2", "burstId", "duration", "vidComplDurValue", "vidComplDurScale", "trashReason",
}

type ckFilter struct {
	FieldName  string        `json:"fieldName"`
	Comparator string        `json:"comparator"`
	FieldValue ckFilterValue `json:"fieldValue"`
}

type ckFilterValue struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type ckQuery struct {
	RecordType string `json:"recordType"`
	FilterBy   any    `json:"filterBy,omitempty"`
}

type ckQueryRequest struct {
	Query        ckQuery  `json:"query"`
	ZoneID       ckZoneID `json:"zoneID"`
	ResultsLimit int      `json:"resultsLimit,omitempty"`
	DesiredKeys  []string `json:"desiredKeys,omitempty"`
	ZoneWide     bool     `json:"zoneWide,omitempty"`
}

type ckBatchRequest struct {
	Batch []ckQueryRequest `json:"batch"`
}

type ckChangesRequest struct {
	SyncToken string `json:"syncToken,omitempty"`
}

// listQuery walks an index from startRank; ASCENDING from 0 is newest first
// for the added-date and deleted-by-expunged-date indexes.
func listQuery(index string, zone ckZoneID, startRank, limit int) ckQueryRequest {
	return ckQueryRequest{
		Query: ckQuery{RecordType: index, FilterBy: []ckFilter{
			{FieldName: "startRank", Comparator: "EQUALS", FieldValue: ckFilterValue{Type: "INT64", Value: startRank}},
			{FieldName: "direction", Comparator: "EQUALS", FieldValue: ckFilterValue{Type: "STRING", Value: "ASCENDING"}},
		}},
		ZoneID:       zone,
		ResultsLimit: limit,
		DesiredKeys:  desiredKeys,
	}
}

// countQuery is one HyperionIndexCountLookup entry of a batch.
func countQuery(countID string, zone ckZoneID) ckQueryRequest {
	return ckQueryRequest{
		Query: ckQuery{RecordType: recCountLookup, FilterBy: ckFilter{
			FieldName: "indexCountID", Comparator: "IN",
			FieldValue: ckFilterValue{Type: "STRING_LIST", Value: []string{countID}},
		}},
		ZoneID:       zone,
		ResultsLimit: 1,
		ZoneWide:     true,
	}
}

func indexingQuery(zone ckZoneID) ckQueryRequest {
	return ckQueryRequest{Query: ckQuery{RecordType: recIndexing}, ZoneID: zone}
}
