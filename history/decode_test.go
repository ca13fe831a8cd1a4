package history

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// records returns stored records of the shapes the agent and the demo
// write: every field set or left out, several folders and libraries,
// non-ASCII paths, large storage figures.
func records(t testing.TB) [][]byte {
	t.Helper()
	at := time.Date(2026, 12, 7, 15, 15, 42, 812410965, time.UTC)
	used, total := int64(1_099_511_627_776), int64(2_199_023_255_552)
	var out [][]byte
	for i, r := range []Record{
		{},
		{HistoryPoint: checks.HistoryPoint{At: at, Auth: checks.AuthOK}},
		{HistoryPoint: checks.HistoryPoint{At: at, Auth: checks.AuthOK, Owner: "300be3a483ae4eb8da634a95",
			FolderFiles: map[string]int{"/photos": 139971, "/volume1/Fotos/Müller": 0}, Hidden: map[string]int{"personal": 1008, "shared": 3}},
			Status: "ok", ICloudNewestAdded: at.Add(-time.Hour), LocalNewest: at.Add(-time.Minute), StorageUsed: &used, StorageTotal: &total},
		{HistoryPoint: checks.HistoryPoint{At: at.Truncate(time.Second), Auth: checks.AuthKind("two_factor"), UploadAlert: true,
			Uploads: []time.Time{at.Add(-3 * time.Hour), at.Add(-2 * time.Hour).Truncate(time.Millisecond)}}, Status: "critical"},
		{HistoryPoint: checks.HistoryPoint{At: at}, DrawnUploads: []time.Time{at}},
		{HistoryPoint: checks.HistoryPoint{At: at, FolderFiles: map[string]int{`C:\Users\anna\Pictures`: 12, "a\"b": 1}}},
	} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		out = append(out, b)
	}
	return out
}

// odd are inputs the agent never writes, each of which encoding/json
// reads in its own way (or refuses).
var odd = []string{
	``, `null`, `[]`, `{}`, ` { } `, `{"at":null}`, `{"at":"2026-12-07T15:15:42Z",}`, `{"at":"2026-12-07T15:15:42Z"} x`,
	`{"AT":"2026-12-07T15:15:42Z"}`, `{"at":"2026-12-07T15:15:42+01:00"}`, `{"at":"2026-12-07T15:15:42.500Z"}`,
	`{"at":"2026-12-07 15:15:42Z"}`, `{"at":"2026-13-07T15:15:42Z"}`, `{"auth":"ok","auth":"locked"}`,
	`{"hidden":{"personal":1,"personal":2}}`, `{"hidden":{}}`, `{"uploads":[]}`, `{"hidden":{"p":1.0}}`, `{"hidden":{"p":01}}`,
	`{"hidden":{"p":-0}}`, `{"hidden":{"p":99999999999999999999}}`, `{"folder_files":{"\u00e9":1}}`, `{"owner":"a\nb"}`,
	"{\"owner\":\"\xff\"}", `{"status":null}`, `{"status":1.5}`, `{"storage_used":12,"status":"ok","x":true,"y":false}`,
	`{"upload_alert":true}`, `{"upload_alert":tru}`, `{"upload_alert":"true"}`, `{"drawn_uploads":["2026-12-07T15:15:42Z"]}`,
	`{"at":"2026-12-07T15:15:42Z"`, `{"at" "x"}`, `{"owner":"x","":1}`, "{\"owner\":\"x\"}\n", `{"ſtatus":"ok"}`,
	`{"Owner":"a"}`, `{"hidden":{"p":1},"folder_files":{"/a":2,"/b":3}}`, `{"uploads":["2026-12-07T15:15:42Z",]}`,
}

func jsonPoint(b []byte) (checks.HistoryPoint, error) {
	var p checks.HistoryPoint
	err := json.Unmarshal(b, &p)
	return p, err
}

func checkSame(t *testing.T, b []byte) {
	t.Helper()
	got, gerr := DecodePoint(b)
	want, werr := jsonPoint(b)
	if (gerr == nil) != (werr == nil) || werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodePoint(%q) = %+v, %v; encoding/json gives %+v, %v", b, got, gerr, want, werr)
	}
}

// TestDecodePointIsEncodingJSON: DecodePoint gives what json.Unmarshal
// gives, on the records the agent writes and on odd inputs; and it reads
// the agent's records without encoding/json (else it saves nothing).
func TestDecodePointIsEncodingJSON(t *testing.T) {
	for i, b := range records(t) {
		checkSame(t, b)
		var p checks.HistoryPoint
		if i != 4 && i != 5 && !fastPoint(b, &p) { // 4: drawn uploads (the demo), 5: escapes
			t.Errorf("record %s is not read by the direct scan", b)
		}
	}
	for _, s := range odd {
		checkSame(t, []byte(s))
	}
}

func FuzzDecodePoint(f *testing.F) {
	for _, b := range records(f) {
		f.Add(b)
	}
	for _, s := range odd {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSame(t, b)
	})
}

func BenchmarkDecodePoint(b *testing.B) {
	rec := records(b)[2]
	for _, bench := range []struct {
		name string
		fn   func([]byte) (checks.HistoryPoint, error)
	}{{"direct", DecodePoint}, {"encoding-json", jsonPoint}} {
		b.Run(bench.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := bench.fn(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPointKeysAreTheFields: the direct scan knows every field of
// checks.HistoryPoint by its JSON name; a new field would otherwise be
// skipped by it and decoded by encoding/json.
func TestPointKeysAreTheFields(t *testing.T) {
	typ := reflect.TypeFor[checks.HistoryPoint]()
	var tags []string
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		tags = append(tags, name)
	}
	if !slices.Equal(tags, pointKeys[:]) {
		t.Errorf("checks.HistoryPoint's JSON names are %q; the direct scan knows %q", tags, pointKeys)
	}
}
