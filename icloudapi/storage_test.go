package icloudapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

func TestDecodeStorageFixture(t *testing.T) {
	got, err := decodeStorage(readTestdata(t, "pyicloud/account_storage_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &StorageUsage{Used: 2348632876, Total: 5368709120, ByMedia: []MediaUsage{
		{Key: "photos", Label: "Photos et vidéos", Bytes: 0},
		{Key: "backup", Label: "Sauvegarde", Bytes: 799008186},
		{Key: "docs", Label: "Documents", Bytes: 449092146},
		{Key: "mail", Label: "Mail", Bytes: 1101522944},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if r := got.FreeRatio(); r < 0.562 || r > 0.563 {
		t.Errorf("free ratio = %v", r)
	}
}

func TestDecodeStorageRejectsUnusableAnswers(t *testing.T) {
	for _, body := range []string{
		`{}`, `{"storageUsageInfo":{}}`, `{"storageUsageInfo":{"usedStorageInBytes":1,"totalStorageInBytes":0}}`,
		`{"storageUsageInfo":{"usedStorageInBytes":"x","totalStorageInBytes":10}}`, `[1,2]`, `{"storageUsageInfo":`,
	} {
		if s, err := decodeStorage([]byte(body)); err == nil {
			t.Errorf("%s decoded to %+v", body, s)
		}
	}
}

// TestFakeStorageMatchesRecordedShape: the fake's storage answer has the
// recorded shape and decodes.
func TestFakeStorageMatchesRecordedShape(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 1, Assets: 100, Now: photosNow})
	w := httptest.NewRecorder()
	fakeicloud.NewPhotosHandler(lib).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/setup/ws/1/storageUsageInfo", nil))
	real := shape(t, readTestdata(t, "pyicloud/account_storage_response.json"))
	for k := range shape(t, w.Body.Bytes()) {
		if !real[k] {
			t.Errorf("the fake serves %s, the recorded answer has no such thing", k)
		}
	}
	s, err := decodeStorage(w.Body.Bytes())
	if err != nil || s.Used <= 0 || s.Total <= s.Used || s.ByMedia[0].Key != "photos" || s.ByMedia[0].Bytes <= 0 {
		t.Errorf("fake storage decoded to %+v, %v", s, err)
	}
}
