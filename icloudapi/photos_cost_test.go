package icloudapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/photo"
)

// Byte budgets of issue 25 (uncompressed JSON of the Photos answers; bytes
// are deterministic for a generated library, unlike time).
const (
	uploadCycleMaxRequests = 6
	uploadCycleMaxBytes    = 20_000
)

// TestOneUploadCycleBytes: a cycle after one upload reads a short delta
// window instead of a 200-record page, and stays within 6 requests and
// 20 kB at 1 000 and 100 000 assets, with the same newest-50 as the library.
func TestOneUploadCycleBytes(t *testing.T) {
	for _, size := range []int{1_000, 100_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 11, Assets: size, Now: photosNow})
			e, counter := newCountedPhotosEnv(t, lib)
			opts := SnapshotOptions{Newest: 50, Libraries: []string{"all"}}
			cycle := func(label string) (int, int64) {
				t.Helper()
				b := counter.bytes.Load()
				s, n := e.snap(opts)
				opts.Previous = s
				for _, z := range []string{fakeicloud.PrimaryZone, fakeicloud.SharedZone} {
					if d := cmp.Diff(fakeIDs(lib.Newest(z, 50)), assetIDs(s.Library(z).Newest)); d != "" {
						t.Errorf("%s: %s newest-50 differs from the library (-want +got):\n%s", label, z, d)
					}
				}
				return n, counter.bytes.Load() - b
			}
			coldN, coldB := cycle("first")
			sameN, sameB := cycle("unchanged")
			e.now = e.now.Add(time.Hour)
			lib.Add(fakeicloud.Asset{Filename: "IMG_9001.HEIC", UTI: "public.heic", Size: 2_000_000, Added: e.now, Taken: e.now})
			upN, upB := cycle("one upload")
			t.Logf("%d assets: first %d req %d B; unchanged %d req %d B; one upload %d req %d B", size, coldN, coldB, sameN, sameB, upN, upB)
			if upN > uploadCycleMaxRequests || upB > uploadCycleMaxBytes {
				t.Errorf("one upload cost %d requests and %d bytes (max %d and %d)", upN, upB, uploadCycleMaxRequests, uploadCycleMaxBytes)
			}
		})
	}
}

// newCountedPhotosEnv is newPhotosEnv with the Photos answers' bytes counted.
func newCountedPhotosEnv(t *testing.T, lib *fakeicloud.Library) (*photosEnv, *countingHandler) {
	t.Helper()
	h := fakeicloud.NewPhotosHandler(lib)
	counter := &countingHandler{h: h}
	return startPhotosEnv(t, lib, h, counter, ""), counter
}

// TestSharedUploadCycleBytes: an upload to the Shared Library stays within
// the budget even when its records carry the fields Apple sends beyond
// desiredKeys (the fake's SetSharedExtraFields, from the recorded SharedSync
// answer).
func TestSharedUploadCycleBytes(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 11, Assets: 1_000, Now: photosNow})
	lib.SetSharedExtraFields(true)
	e, counter := newCountedPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 50, Libraries: []string{"all"}}
	s, _ := e.snap(opts)
	e.now = e.now.Add(time.Hour)
	lib.Add(fakeicloud.Asset{Zone: fakeicloud.SharedZone, Filename: "IMG_9003.JPG", UTI: "public.jpeg", Size: 900_000, Added: e.now, Taken: e.now})
	opts.Previous = s
	b := counter.bytes.Load()
	s, n := e.snap(opts)
	got := counter.bytes.Load() - b
	t.Logf("one upload to the Shared Library, with the unlisted SharedSync fields: %d requests, %d bytes", n, got)
	if n > uploadCycleMaxRequests || got > uploadCycleMaxBytes {
		t.Errorf("one upload to the Shared Library cost %d requests and %d bytes (max %d and %d)", n, got, uploadCycleMaxRequests, uploadCycleMaxBytes)
	}
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.SharedZone, 50)), assetIDs(s.Library(fakeicloud.SharedZone).Newest)); d != "" {
		t.Errorf("Shared Library newest-50 differs from the library (-want +got):\n%s", d)
	}
}

// TestDeltaCycleOnlyForAdditions: the short delta window is used only when
// the counts say the change was additions only; an upload together with a
// hide or a deletion reads the library in full (the newest-50 and Recently
// Deleted stay right), and a library read by delta windows alone is read in
// full again after libraryMaxAge.
func TestDeltaCycleOnlyForAdditions(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 5, Assets: 1_000, Now: photosNow})
	e, counter := newCountedPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 50, Libraries: []string{"personal"}}
	var s *PhotosSnapshot
	n := 0
	cycle := func(label string, wantDelta bool) {
		t.Helper()
		e.now = e.now.Add(time.Hour)
		b := counter.bytes.Load()
		s, _ = e.snap(opts)
		opts.Previous = s
		if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 50)), assetIDs(s.Library(fakeicloud.PrimaryZone).Newest)); d != "" {
			t.Errorf("%s: newest-50 differs from the library (-want +got):\n%s", label, d)
		}
		if got := counter.bytes.Load()-b < uploadCycleMaxBytes; got != wantDelta {
			t.Errorf("%s: delta window used = %v, want %v (%d bytes)", label, got, wantDelta, counter.bytes.Load()-b)
		}
	}
	upload := func() {
		n++
		lib.Add(fakeicloud.Asset{Filename: fmt.Sprintf("IMG_%04d.HEIC", 9000+n), UTI: "public.heic", Size: 2_000_000, Added: e.now, Taken: e.now})
	}
	cycle("first", false)
	upload()
	upload()
	cycle("two uploads", true)
	upload()
	if err := lib.Hide(lib.Newest(fakeicloud.PrimaryZone, 10)[9].ID, true); err != nil {
		t.Fatal(err)
	}
	cycle("upload and hide", false)
	upload()
	victim := lib.Newest(fakeicloud.PrimaryZone, 20)[19]
	if err := lib.Delete(victim.ID, e.now); err != nil {
		t.Fatal(err)
	}
	cycle("upload and delete", false)
	if !s.RecentlyDeletedPartial && !containsID(s.RecentlyDeleted, victim.ID) {
		t.Errorf("the deleted %s is not in Recently Deleted", victim.Filename)
	}
	upload()
	cycle("upload", true)
	if !containsID(s.RecentlyDeleted, victim.ID) && !s.RecentlyDeletedPartial {
		t.Errorf("a delta cycle lost Recently Deleted")
	}
	for i := range 22 { // up to 23 h after the last full read
		upload()
		cycle(fmt.Sprintf("upload %d", i), true)
	}
	upload()
	cycle("a day after the last full read", false)
}

// TestMergeDelta: the window must show exactly the new entries and then
// the previous newest; anything else is refused.
func TestMergeDelta(t *testing.T) {
	at := func(h int) time.Time { return photosNow.Add(time.Duration(h) * time.Hour) }
	prev := []photo.Asset{{ID: "p1", Added: at(0)}, {ID: "p2", Added: at(-1)}}
	n1, n2 := photo.Asset{ID: "n1", Added: at(2)}, photo.Asset{ID: "n2", Added: at(1)}
	hidden := photo.Asset{ID: "h", Added: at(1), Hidden: true}
	for _, c := range []struct {
		name   string
		window []photo.Asset
		k      int
		want   []string
	}{
		{"one new", []photo.Asset{n1, prev[0], prev[1]}, 1, []string{"n1", "p1", "p2"}},
		{"a hidden entry between", []photo.Asset{n1, hidden, prev[0]}, 1, []string{"n1", "p1", "p2"}},
		{"fewer new than counted", []photo.Asset{n1, prev[0]}, 2, nil},
		{"more new than counted", []photo.Asset{n1, n2, prev[0]}, 1, nil},
		{"previous newest not reached", []photo.Asset{n1, n2}, 2, nil},
		{"a known entry first", []photo.Asset{prev[1], prev[0]}, 1, nil},
		{"previous newest now hidden", []photo.Asset{n1, {ID: "p1", Hidden: true}}, 1, nil},
	} {
		got, ok := mergeDelta(c.window, 0, prev, c.k)
		if ok != (c.want != nil) || ok && !cmp.Equal(assetIDs(got), c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, assetIDs(got), ok, c.want)
		}
	}
	if _, ok := mergeDelta([]photo.Asset{n1, prev[0]}, 1, prev, 1); ok {
		t.Errorf("a window with an unpaired record was merged")
	}
}

// TestDesiredKeysAreTheDecodedFields: the list queries ask for exactly the
// record fields the decoder reads (ckFields), so no answer carries a field
// that is paid for and thrown away, and no decoded field goes unasked.
func TestDesiredKeysAreTheDecodedFields(t *testing.T) {
	envelope := map[string]bool{"recordName": true, "recordType": true, "recordChangeTag": true}
	notListed := map[string]bool{"state": true, "progress": true, "itemCount": true} // CheckIndexingState, counts
	notListed["resOriginalFingerprint"] = true                                       // the mirror's changes/zone only (zoneChangesKeys)
	decoded := map[string]bool{}
	ft := reflect.TypeFor[ckFields]()
	for i := range ft.NumField() {
		name, _, _ := strings.Cut(ft.Field(i).Tag.Get("json"), ",")
		if !notListed[name] {
			decoded[name] = true
		}
	}
	asked := map[string]bool{}
	for _, k := range desiredKeys {
		asked[k] = true
		if !decoded[k] && !envelope[k] {
			t.Errorf("desiredKeys asks for %q, which the decoder never reads", k)
		}
	}
	for k := range decoded {
		if !asked[k] {
			t.Errorf("the decoder reads %q, which desiredKeys does not ask for", k)
		}
	}
}

// TestDeltaWindowFallsBackToAFullRead: when the counts look like one
// addition but the window disagrees (the previous newest was hidden while
// an older photo was unhidden), the read goes on from where the window ended
// and the newest list is still right.
func TestDeltaWindowFallsBackToAFullRead(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 7, Assets: 1_000, Now: photosNow})
	e := newPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 50}
	cycle := func() *PhotosSnapshot {
		t.Helper()
		e.now = e.now.Add(time.Hour)
		s, _ := e.snap(opts)
		opts.Previous = s
		return s
	}
	cycle()
	older := lib.Newest(fakeicloud.PrimaryZone, 30)[29]
	if err := lib.Hide(older.ID, true); err != nil {
		t.Fatal(err)
	}
	cycle()
	if err := lib.Hide(lib.Newest(fakeicloud.PrimaryZone, 1)[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := lib.Hide(older.ID, false); err != nil {
		t.Fatal(err)
	}
	lib.Add(fakeicloud.Asset{Filename: "IMG_9001.HEIC", UTI: "public.heic", Size: 2_000_000, Added: e.now, Taken: e.now})
	s := cycle()
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 50)), assetIDs(s.Library(fakeicloud.PrimaryZone).Newest)); d != "" {
		t.Errorf("newest-50 differs from the library (-want +got):\n%s", d)
	}
	var limits []string
	for _, r := range e.photos.Requests() {
		if strings.HasSuffix(r.Path, "records/query") && strings.Contains(r.Body, idxAdded) {
			var q ckQueryRequest
			if err := json.Unmarshal([]byte(r.Body), &q); err != nil {
				t.Fatal(err)
			}
			limits = append(limits, fmt.Sprint(q.ResultsLimit))
		}
	}
	if got := strings.Join(limits, " "); got != "4 200" {
		t.Errorf("newest list read with resultsLimit %s, want 4 200 (the window, then a full page)", got)
	}
	lb := s.Library(fakeicloud.PrimaryZone)
	if !lb.FullReadAt.Equal(e.now) || lb.NewestLead != 0 {
		t.Errorf("after the fall-back: full read at %v (now %v), lead %d (want 0: the new photo is on top)", lb.FullReadAt, e.now, lb.NewestLead)
	}
}

// TestDeltaWindowReadsPastHiddenLead: hidden entries above the newest
// visible one are remembered (NewestLead) and the delta window reads past
// them instead of falling back.
func TestDeltaWindowReadsPastHiddenLead(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 7, Assets: 1_000, Now: photosNow})
	e := newPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 50}
	s, _ := e.snap(opts)
	for _, a := range lib.Newest(fakeicloud.PrimaryZone, 3) {
		if err := lib.Hide(a.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	e.now = e.now.Add(time.Hour)
	opts.Previous = s
	s, _ = e.snap(opts)
	if lead := s.Library(fakeicloud.PrimaryZone).NewestLead; lead != 3 {
		t.Fatalf("NewestLead = %d after hiding the 3 newest, want 3", lead)
	}
	lib.Add(fakeicloud.Asset{Filename: "IMG_9001.HEIC", UTI: "public.heic", Size: 2_000_000, Added: e.now, Taken: e.now})
	e.now = e.now.Add(time.Hour)
	opts.Previous = s
	s, _ = e.snap(opts)
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 50)), assetIDs(s.Library(fakeicloud.PrimaryZone).Newest)); d != "" {
		t.Errorf("newest-50 differs from the library (-want +got):\n%s", d)
	}
	var limits []string
	for _, r := range e.photos.Requests() {
		if strings.Contains(r.Body, idxAdded) {
			var q ckQueryRequest
			if err := json.Unmarshal([]byte(r.Body), &q); err != nil {
				t.Fatal(err)
			}
			limits = append(limits, fmt.Sprint(q.ResultsLimit))
		}
	}
	if got := strings.Join(limits, " "); got != "10" {
		t.Errorf("newest list read with resultsLimit %s, want 10 (1 new, 3 hidden, the previous newest)", got)
	}
	if lb := s.Library(fakeicloud.PrimaryZone); lb.NewestLead != 0 || lb.FullReadAt.Equal(e.now) {
		t.Errorf("after the delta: lead %d (want 0: the new photo is on top), full read at %v", lb.NewestLead, lb.FullReadAt)
	}
}
