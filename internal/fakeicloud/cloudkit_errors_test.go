package fakeicloud

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCloudKitErrorsAtTableStatus: with TableStatus, a CKError fault answers
// with the status of Apple's CloudKit Web Services error table and the
// documented body {uuid, serverErrorCode, reason, retryAfter?}; without it
// the error stays a body-level one inside an HTTP 200.
func TestCloudKitErrorsAtTableStatus(t *testing.T) {
	table := []struct {
		code       string
		status     int
		retryAfter int
	}{
		{"BAD_REQUEST", 400, 0}, {"ATOMIC_ERROR", 400, 0}, {"AUTHENTICATION_FAILED", 401, 0},
		{"ACCESS_DENIED", 403, 0}, {"NOT_FOUND", 404, 0}, {"ZONE_NOT_FOUND", 404, 0},
		{"CONFLICT", 409, 0}, {"EXISTS", 409, 0}, {"VALIDATING_REFERENCE_ERROR", 412, 0},
		{"QUOTA_EXCEEDED", 413, 0}, {"AUTHENTICATION_REQUIRED", 421, 0}, {"THROTTLED", 429, 3600},
		{"INTERNAL_ERROR", 500, 0}, {"TRY_AGAIN_LATER", 503, 120},
	}
	path := photosPrefix + "private/changes/database"
	for _, tt := range table {
		t.Run(tt.code, func(t *testing.T) {
			h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow}))
			h.Inject(PhotosFault{Path: "changes/database", CKError: tt.code, Reason: "why", TableStatus: true, RetryAfterBody: tt.retryAfter, Times: 1})
			code, body, _ := post(t, h, path, `{}`)
			if code != tt.status || CloudKitStatus(tt.code) != tt.status {
				t.Errorf("status %d, want %d", code, tt.status)
			}
			if body["serverErrorCode"] != tt.code || body["reason"] != "why" || body["uuid"] == "" || body["uuid"] == nil {
				t.Errorf("body %v", body)
			}
			ra, has := body["retryAfter"]
			if tt.retryAfter > 0 && ra != float64(tt.retryAfter) || tt.retryAfter == 0 && has {
				t.Errorf("retryAfter %v, want %d", ra, tt.retryAfter)
			}
			if code, _, _ := post(t, h, path, `{}`); code != http.StatusOK {
				t.Errorf("after the fault: %d", code)
			}
		})
	}
	h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow}))
	h.Inject(PhotosFault{Path: "changes/database", CKError: "THROTTLED", Reason: "why"})
	if code, body, _ := post(t, h, path, `{}`); code != http.StatusOK || body["serverErrorCode"] != "THROTTLED" {
		t.Errorf("without TableStatus: %d %v", code, body)
	}
}

// TestOwnErrorsAtTableStatus: the fake's own refusals of a whole request
// (unknown zone, unknown index, unreadable token) use the table's status;
// a count entry the fake cannot answer stays inside the 200 batch.
func TestOwnErrorsAtTableStatus(t *testing.T) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow}))
	if code, b, _ := post(t, h, privateQuery, `{"query":{"recordType":"CheckIndexingState"},"zoneID":{"zoneName":"SharedSync"}}`); code != 404 || b["serverErrorCode"] != "ZONE_NOT_FOUND" {
		t.Errorf("bare SharedSync: %d %v", code, b)
	}
	if code, b, _ := post(t, h, privateQuery, `{"query":{"recordType":"NoSuchIndex"},"zoneID":{"zoneName":"PrimarySync"}}`); code != 400 || b["serverErrorCode"] != "BAD_REQUEST" {
		t.Errorf("unknown index: %d %v", code, b)
	}
	batch := `{"batch":[{"resultsLimit":1,"query":{"filterBy":{"fieldName":"indexCountID","fieldValue":{"type":"STRING_LIST","value":["NoSuchCount"]},"comparator":"IN"},"recordType":"HyperionIndexCountLookup"},"zoneWide":true,"zoneID":{"zoneName":"PrimarySync"}}]}`
	if code, b, _ := post(t, h, photosPrefix+"private/internal/records/query/batch", batch); code != 200 || !strings.Contains(toJSON(b), "BAD_REQUEST") {
		t.Errorf("per-entry error: %d %v", code, b)
	}
}

// TestForgetSyncTokens: a token issued before ForgetSyncTokens is refused
// with 400 BAD_REQUEST; a fresh baseline's token works.
func TestForgetSyncTokens(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow})
	h := NewPhotosHandler(lib)
	path := photosPrefix + "private/changes/database"
	_, base, _ := post(t, h, path, `{}`)
	tok := base["syncToken"].(string)
	if code, _, _ := post(t, h, path, `{"syncToken":"`+tok+`"}`); code != 200 {
		t.Fatalf("token refused before ForgetSyncTokens: %d", code)
	}
	lib.ForgetSyncTokens()
	code, bad, _ := post(t, h, path, `{"syncToken":"`+tok+`"}`)
	if code != 400 || bad["serverErrorCode"] != "BAD_REQUEST" || bad["reason"] != "Unknown sync continuation type" {
		t.Errorf("forgotten token: %d %v", code, bad)
	}
	_, fresh, _ := post(t, h, path, `{}`)
	if code, _, _ := post(t, h, path, `{"syncToken":"`+fresh["syncToken"].(string)+`"}`); code != 200 {
		t.Errorf("fresh token refused: %d", code)
	}
}

// TestSharedIndexErrors: off by default; on, queries on the Shared Library
// answer 400 "Index has invalid data" except CheckIndexingState, and the
// personal library is unaffected.
func TestSharedIndexErrors(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 50, Now: genNow})
	h := NewPhotosHandler(lib)
	shared := strings.Replace(addedQuery(0, 10, ""), `"zoneName":"PrimarySync"`, `"zoneName":"`+SharedZone+`"`, 1)
	if !strings.Contains(shared, SharedZone) {
		t.Fatal("query not rewritten")
	}
	if code, _, _ := post(t, h, privateQuery, shared); code != 200 {
		t.Fatalf("default: shared query answered %d", code)
	}
	lib.SetSharedIndexErrors(true)
	code, b, _ := post(t, h, privateQuery, shared)
	if code != 400 || b["serverErrorCode"] != "BAD_REQUEST" || b["reason"] != "Index has invalid data" {
		t.Errorf("shared query: %d %v", code, b)
	}
	idx := `{"query":{"recordType":"CheckIndexingState"},"zoneID":{"zoneName":"` + SharedZone + `"}}`
	if code, _, _ := post(t, h, privateQuery, idx); code != 200 {
		t.Errorf("CheckIndexingState on the shared zone: %d", code)
	}
	if code, _, _ := post(t, h, privateQuery, addedQuery(0, 10, "")); code != 200 {
		t.Errorf("personal query: %d", code)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestRedirectFault: a Redirect fault answers 307 with the Location.
func TestRedirectFault(t *testing.T) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow}))
	h.Inject(PhotosFault{Path: "zones/list", Redirect: "http://plain.example/zones/list", Times: 1})
	code, _, hdr := post(t, h, photosPrefix+"private/zones/list", `{}`)
	if code != http.StatusTemporaryRedirect || hdr.Get("Location") != "http://plain.example/zones/list" {
		t.Errorf("redirect fault: %d %q", code, hdr.Get("Location"))
	}
	if code, _, _ := post(t, h, photosPrefix+"private/zones/list", `{}`); code != http.StatusOK {
		t.Errorf("after the fault: %d", code)
	}
}
