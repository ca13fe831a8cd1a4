package fakeicloud

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppleLayoutReproducesRecordings compacts answers recorded from
// CloudKit (icloudpd's cassettes, testdata/applelayout) and checks that
// appleLayout gives back the recorded bytes exactly.
func TestAppleLayoutReproducesRecordings(t *testing.T) {
	files, err := filepath.Glob("testdata/applelayout/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("recorded answers: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rec, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, rec); err != nil {
				t.Fatal(err)
			}
			if compact.Len() >= len(rec) {
				t.Fatalf("the recording is not pretty-printed (%d compact bytes of %d)", compact.Len(), len(rec))
			}
			got := appleLayout(compact.Bytes())
			if !bytes.Equal(got, rec) {
				i := 0
				for i < len(got) && i < len(rec) && got[i] == rec[i] {
					i++
				}
				t.Fatalf("layout differs at byte %d:\n got %q\nwant %q", i, got[max(0, i-40):min(len(got), i+40)], rec[max(0, i-40):min(len(rec), i+40)])
			}
		})
	}
}

// TestCloudKitAnswersUseAppleLayout checks that the fake's CloudKit answers,
// errors included, come in that layout and that the setup host's stay compact.
func TestCloudKitAnswersUseAppleLayout(t *testing.T) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 1, Assets: 3}))
	post := func(path, body string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		return w.Code, w.Body.String()
	}
	status, body := post(photosPrefix+"private/zones/list", "{}")
	if status != http.StatusOK || !strings.HasPrefix(body, "{\n  \"moreComing\" : false,\n  \"syncToken\" : ") || !strings.Contains(body, "\"zones\" : [ {\n") {
		t.Fatalf("zones/list: %d %q", status, body)
	}
	status, body = post(photosPrefix+"private/records/modify", "{}")
	if status != http.StatusForbidden || !strings.Contains(body, "\"serverErrorCode\" : \"ACCESS_DENIED\"") {
		t.Fatalf("refused write: %d %q", status, body)
	}
	status, body = post(storagePath, "{}")
	if status != http.StatusOK || !strings.HasPrefix(body, "{\"quotaStatus\":{") {
		t.Fatalf("storage (setup host, compact): %d %q", status, body)
	}
}
