package fakeicloud

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	photosPrefix = "/database/1/com.apple.photos.cloud/production/"
	storagePath  = "/setup/ws/1/storageUsageInfo"
	maxReqBody   = 1 << 20
)

// PhotosFault makes matching Photos requests fail.
type PhotosFault struct {
	// Path matches the end of the request path ("records/query",
	// "changes/database", "storageUsageInfo"); "" matches every request.
	Path string
	// Times is how many requests are affected (0 = for ever).
	Times int
	// Status is the HTTP status (default 200).
	Status     int
	RetryAfter string
	// Body replaces the answer (truncated or schema-drifted JSON, …).
	Body string
	// CKError and Reason answer with a CloudKit error document
	// {uuid, serverErrorCode, reason}; at HTTP 200 (a body-level error)
	// unless Status or TableStatus says otherwise.
	CKError, Reason string
	// TableStatus answers CKError with the HTTP status that Apple's
	// CloudKit Web Services error table gives it (CloudKitStatus), as CloudKit
	// does for an error of the whole request. Off by default.
	TableStatus bool
	// RetryAfterBody, when > 0, adds "retryAfter" (seconds) to the CKError
	// document, as CloudKit does on THROTTLED and TRY_AGAIN_LATER.
	RetryAfterBody int
	// Delay holds the answer back (a timeout when longer than the client's).
	Delay time.Duration
	// Redirect answers 307 Temporary Redirect to this URL (e.g. a plain-http
	// one, which a client must not follow). Off when empty.
	Redirect string
}

// Ready-made faults.
var (
	FaultTruncatedJSON = PhotosFault{Body: `{"records":[{"recordName":"AY6c+BsE0jjaXx9tmVGJM1D2VcEO","recordType":"CPLMas`}
	FaultDriftedJSON   = PhotosFault{Body: `{"results":[{"id":"AY6c","kind":"photo"}],"nextPage":"x"}`}
)

// PhotosRequest is one logged Photos request.
type PhotosRequest struct {
	Path string
	Body string
}

// PhotosHandler serves a Library over the CloudKit Photos paths and the
// storage path. Only read paths are implemented; every other path answers
// 403 and is recorded as an attempted mutation.
type PhotosHandler struct {
	lib *Library

	mu        sync.Mutex
	faults    []PhotosFault
	log       []PhotosRequest
	mutations []PhotosRequest
}

// NewPhotosHandler serves lib.
func NewPhotosHandler(lib *Library) *PhotosHandler {
	return &PhotosHandler{lib: lib}
}

// Library is the served library.
func (h *PhotosHandler) Library() *Library { return h.lib }

// Inject adds a fault; faults are consumed in the order they were added.
func (h *PhotosHandler) Inject(f PhotosFault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, f)
}

// Requests returns the Photos requests seen so far.
func (h *PhotosHandler) Requests() []PhotosRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]PhotosRequest(nil), h.log...)
}

// Mutations returns the requests to paths that would change the library.
func (h *PhotosHandler) Mutations() []PhotosRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]PhotosRequest(nil), h.mutations...)
}

// ResetLog forgets the logged requests (not the mutations).
func (h *PhotosHandler) ResetLog() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = nil
}

func (h *PhotosHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReqBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ckErr("BAD_REQUEST", "unreadable body"))
		return
	}
	req := PhotosRequest{Path: r.URL.Path, Body: string(body)}
	h.mu.Lock()
	h.log = append(h.log, req)
	h.mu.Unlock()
	if h.fault(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, ckErr("BAD_REQUEST", "POST only"))
		return
	}
	if r.URL.Path == storagePath {
		h.serveStorage(w)
		return
	}
	h.serveDatabase(w, req)
}

// fault applies the first matching fault; it reports whether it answered.
func (h *PhotosHandler) fault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := h.takeFault(r.URL.Path)
	if !ok {
		return false
	}
	if f.Delay > 0 {
		select {
		case <-r.Context().Done():
			return true
		case <-time.After(f.Delay):
		}
	}
	if f.Redirect != "" {
		http.Redirect(w, r, f.Redirect, http.StatusTemporaryRedirect)
		return true
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	status := f.Status
	if status == 0 && f.TableStatus && f.CKError != "" {
		status = CloudKitStatus(f.CKError)
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	switch {
	case f.Body != "":
		_, _ = io.WriteString(w, f.Body)
	case f.CKError != "":
		e := ckErr(f.CKError, f.Reason)
		if f.RetryAfterBody > 0 {
			e.RetryAfter = f.RetryAfterBody
		}
		_ = json.NewEncoder(w).Encode(e)
	}
	return true
}

func (h *PhotosHandler) takeFault(path string) (PhotosFault, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, f := range h.faults {
		if f.Path != "" && !strings.HasSuffix(path, f.Path) {
			continue
		}
		if f.Times == 1 {
			h.faults = append(h.faults[:i], h.faults[i+1:]...)
		} else if f.Times > 1 {
			h.faults[i].Times--
		}
		return f, true
	}
	return PhotosFault{}, false
}

// ckError is CloudKit's error document. As the whole answer it comes with
// the status of CloudKitStatus; inside a 200 answer (a batch entry, a zone,
// a record) it concerns that entry only.
type ckError struct {
	UUID            string `json:"uuid"`
	ServerErrorCode string `json:"serverErrorCode"`
	Reason          string `json:"reason"`
	RetryAfter      int    `json:"retryAfter,omitempty"`
}

func ckErr(code, reason string) ckError {
	return ckError{UUID: "00000000-fake-fake-fake-000000000000", ServerErrorCode: code, Reason: reason}
}

// CloudKitStatus is the HTTP status that Apple's CloudKit Web Services error
// table ("Error Codes", CloudKit Web Services Reference) gives a
// serverErrorCode; 500 for a code it does not list.
func CloudKitStatus(code string) int {
	switch code {
	case "BAD_REQUEST", "ATOMIC_ERROR":
		return http.StatusBadRequest
	case "AUTHENTICATION_FAILED":
		return http.StatusUnauthorized
	case "ACCESS_DENIED":
		return http.StatusForbidden
	case "NOT_FOUND", "ZONE_NOT_FOUND":
		return http.StatusNotFound
	case "CONFLICT", "EXISTS":
		return http.StatusConflict
	case "VALIDATING_REFERENCE_ERROR":
		return http.StatusPreconditionFailed
	case "QUOTA_EXCEEDED":
		return http.StatusRequestEntityTooLarge
	case "AUTHENTICATION_REQUIRED":
		return http.StatusMisdirectedRequest
	case "THROTTLED":
		return http.StatusTooManyRequests
	case "TRY_AGAIN_LATER":
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// readPaths are the only database paths the fake implements.
var readPaths = map[string]bool{
	"zones/list": true, "changes/database": true, "records/query": true, "internal/records/query/batch": true,
	"changes/zone": true,
}

func (h *PhotosHandler) serveDatabase(w http.ResponseWriter, req PhotosRequest) {
	rest, ok := strings.CutPrefix(req.Path, photosPrefix)
	db, op, _ := strings.Cut(rest, "/")
	if !ok || db != "private" && db != "shared" || !readPaths[op] {
		h.mu.Lock()
		h.mutations = append(h.mutations, req)
		h.mu.Unlock()
		writeCloudKit(w, http.StatusForbidden, ckErr("ACCESS_DENIED", "the fake iCloud refuses every path but the reads icloudmon needs"))
		return
	}
	h.lib.mu.RLock()
	defer h.lib.mu.RUnlock()
	var out any
	switch op {
	case "zones/list":
		out = h.lib.zonesList(db)
	case "changes/database":
		out = h.lib.changesDatabase(db, req.Body)
	case "records/query":
		out = h.lib.query(db, req.Body)
	case "internal/records/query/batch":
		out = h.lib.batch(db, req.Body)
	case "changes/zone":
		out = h.lib.changesZone(db, req.Body)
	}
	status := http.StatusOK
	if e, ok := out.(ckError); ok {
		status = CloudKitStatus(e.ServerErrorCode) // an error of the whole request
	}
	writeCloudKit(w, status, out)
}

type ckZoneIDIn struct {
	ZoneName        string `json:"zoneName"`
	OwnerRecordName string `json:"ownerRecordName"`
}

type zoneEntry struct {
	ZoneID  ckZoneID `json:"zoneID"`
	Deleted bool     `json:"deleted,omitempty"`
}

type zonesAnswer struct {
	MoreComing bool        `json:"moreComing"`
	SyncToken  string      `json:"syncToken"`
	Zones      []zoneEntry `json:"zones"`
}

func (l *Library) zonesList(db string) zonesAnswer {
	out := zonesAnswer{SyncToken: l.token(l.seq), Zones: []zoneEntry{}}
	for _, z := range l.zones {
		if z.db == db && !z.gone {
			out.Zones = append(out.Zones, zoneEntry{ZoneID: z.id()})
		}
	}
	return out
}

// changesDatabase lists the zones of db changed since the request's token.
func (l *Library) changesDatabase(db, body string) any {
	var req struct {
		SyncToken string `json:"syncToken"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		return ckErr("BAD_REQUEST", "malformed request body")
	}
	since := uint64(0)
	if req.SyncToken != "" {
		seq, ok := l.parseToken(req.SyncToken)
		if !ok {
			// kei's probes: a token CloudKit cannot read is refused with
			// BAD_REQUEST "Unknown sync continuation type".
			return ckErr("BAD_REQUEST", "Unknown sync continuation type")
		}
		since = seq
	}
	out := zonesAnswer{SyncToken: l.token(l.seq), Zones: []zoneEntry{}}
	for _, z := range l.zones {
		if z.db == db && z.seq > since {
			out.Zones = append(out.Zones, zoneEntry{ZoneID: z.id(), Deleted: z.gone})
		}
	}
	return out
}

// zoneFor finds the zone a request names in db. In the shared database the
// owner must match, as the zone belongs to someone else.
func (l *Library) zoneFor(db string, id ckZoneIDIn) *zone {
	z := l.zone(id.ZoneName)
	if z == nil || z.db != db || db == "shared" && id.OwnerRecordName != z.owner {
		return nil
	}
	return z
}

func (h *PhotosHandler) serveStorage(w http.ResponseWriter) {
	h.lib.mu.RLock()
	photos, used, total := h.lib.storage()
	h.lib.mu.RUnlock()
	other := used - photos
	writeJSON(w, http.StatusOK, map[string]any{
		"storageUsageInfo": map[string]any{"compStorageInBytes": 0, "usedStorageInBytes": used,
			"totalStorageInBytes": total, "commerceStorageInBytes": 0},
		"storageUsageByMedia": []map[string]any{
			{"mediaKey": "photos", "displayLabel": "Photos and Videos", "displayColor": "ffcc00", "usageInBytes": photos},
			{"mediaKey": "backup", "displayLabel": "Backup", "displayColor": "5856d6", "usageInBytes": other * 8 / 10},
			{"mediaKey": "docs", "displayLabel": "Documents", "displayColor": "ff9500", "usageInBytes": other - other*8/10},
		},
		"quotaStatus": map[string]any{"overQuota": used >= total, "haveMaxQuotaTier": false,
			"almost-full": total-used < total/20, "paidQuota": true},
	})
}
