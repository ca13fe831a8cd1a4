package icloudapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// addedDateLimits returns the resultsLimit of each added-date query the
// fake saw, in order.
func addedDateLimits(t *testing.T, h *fakeicloud.PhotosHandler) []int {
	t.Helper()
	var out []int
	for _, r := range h.Requests() {
		if !strings.HasSuffix(r.Path, "/records/query") || !strings.Contains(r.Body, idxAdded) {
			continue
		}
		var q ckQueryRequest
		if err := json.Unmarshal([]byte(r.Body), &q); err != nil {
			t.Fatal(err)
		}
		out = append(out, q.ResultsLimit)
	}
	return out
}

// TestNewestReadsOnlyTheWindow: a full read of the newest 50 asks for the
// 50 pairs plus room for the hidden or deleted entries among them, not for
// a 200-record page; when more hidden entries lie at the top than the
// window allows for, it goes on with a full page and still finds the right
// 50; the next full read sizes its window from what the last one met.
func TestNewestReadsOnlyTheWindow(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 11, Assets: 1_000, Now: photosNow})
	e := newPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 50, Libraries: []string{"personal"}}
	want := 2 * (50 + newestSlack)

	s, _ := e.snap(opts)
	if got := addedDateLimits(t, e.photos); !cmp.Equal(got, []int{want}) {
		t.Errorf("first read: added-date resultsLimits %v, want [%d] (50 pairs and %d spare, one request)", got, want, newestSlack)
	}
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 50)), assetIDs(s.Library(fakeicloud.PrimaryZone).Newest)); d != "" {
		t.Errorf("first read: newest-50 differs from the library (-want +got):\n%s", d)
	}

	// 10 photos added and hidden at the top: more than the spare room.
	e.now = e.now.Add(25 * time.Hour) // past libraryMaxAge: the next read is a full one
	for i := range 10 {
		a := lib.Add(fakeicloud.Asset{Filename: "IMG_HID" + string(rune('A'+i)) + ".HEIC", UTI: "public.heic", Size: 1_000_000,
			Added: e.now.Add(-time.Duration(10-i) * time.Minute), Taken: e.now})
		if err := lib.Hide(a.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	opts.Previous = s
	second := newestWindow(50, s.Library(fakeicloud.PrimaryZone).Filtered)
	s, _ = e.snap(opts)
	if got := addedDateLimits(t, e.photos); !cmp.Equal(got, []int{second, pageRecords}) || second >= 2*(50+10) {
		t.Errorf("read past 10 hidden: added-date resultsLimits %v, want [%d %d]", got, second, pageRecords)
	}
	lib0 := s.Library(fakeicloud.PrimaryZone)
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 50)), assetIDs(lib0.Newest)); d != "" {
		t.Errorf("read past 10 hidden: newest-50 differs from the library (-want +got):\n%s", d)
	}
	if lib0.NewestLead != 10 || lib0.Filtered < 10 {
		t.Errorf("NewestLead = %d, Filtered = %d; want 10 and at least 10", lib0.NewestLead, lib0.Filtered)
	}

	// The next full read makes room for what the last one met at once.
	e.now = e.now.Add(25 * time.Hour)
	opts.Previous = s
	s, _ = e.snap(opts)
	if got, w := addedDateLimits(t, e.photos), newestWindow(50, lib0.Filtered); !cmp.Equal(got, []int{w}) || w < 2*(50+10) {
		t.Errorf("next full read: added-date resultsLimits %v, want [%d] (room for the 10 hidden)", got, w)
	}
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 50)), assetIDs(s.Library(fakeicloud.PrimaryZone).Newest)); d != "" {
		t.Errorf("next full read: newest-50 differs from the library (-want +got):\n%s", d)
	}
}

func TestNewestWindow(t *testing.T) {
	for _, c := range []struct{ n, hint, want int }{
		{50, 0, 2 * (50 + newestSlack)},
		{50, 7, 2 * (50 + 7 + newestSlack)},
		{50, -1, 2 * (50 + newestSlack)},
		{100, 0, pageRecords},
		{1, 0, 2 * (1 + newestSlack)},
	} {
		if got := newestWindow(c.n, c.hint); got != c.want {
			t.Errorf("newestWindow(%d, %d) = %d, want %d", c.n, c.hint, got, c.want)
		}
	}
}
