package checks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// roundTrip stores and loads a point as the agent does.
func roundTrip(t *testing.T, p HistoryPoint) HistoryPoint {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back HistoryPoint
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func TestNewHistoryPointRecordsOnlyNewUploads(t *testing.T) {
	obs := healthyObs()
	first := roundTrip(t, NewHistoryPoint(obs, History{}, now))
	if len(first.Uploads) != 50 || first.Auth != AuthOK || first.FolderFiles[folderPath] != 12000 {
		t.Fatalf("first point = %d uploads, auth %q, files %v", len(first.Uploads), first.Auth, first.FolderFiles)
	}
	hist := BuildHistory([]HistoryPoint{first}, DefaultPolicy(), now)
	second := NewHistoryPoint(obs, hist, now.Add(time.Hour))
	if len(second.Uploads) != 0 {
		t.Errorf("second point re-records %d known uploads", len(second.Uploads))
	}
	obs = withAssets(obs, append(assetsEvery(1, now.Add(30*time.Minute), time.Hour), obs.Libraries[0].Newest[:49]...))
	third := NewHistoryPoint(obs, hist, now.Add(time.Hour))
	if len(third.Uploads) != 1 || !third.Uploads[0].Equal(now.Add(30*time.Minute)) {
		t.Errorf("third point uploads = %v, want the one new upload", third.Uploads)
	}
}

func TestNewHistoryPointSkipsUnhealthyFoldersAndSharedLibraries(t *testing.T) {
	obs := healthyObs()
	obs.Folders[0].Health.Exists = false
	obs.Libraries = append(obs.Libraries, LibraryObservation{Name: "shared", Shared: true, Listed: true,
		Newest: assetsEvery(3, now.Add(-time.Minute), time.Minute)})
	p := NewHistoryPoint(obs, History{}, now)
	if p.FolderFiles != nil {
		t.Errorf("a missing folder's count was recorded: %v", p.FolderFiles)
	}
	if len(p.Uploads) != 50 {
		t.Errorf("recorded %d uploads, want the 50 of the personal library only", len(p.Uploads))
	}
}

func TestBuildHistory(t *testing.T) {
	old := now.Add(-100 * day)
	pts := []HistoryPoint{
		{At: now.Add(-time.Hour), Auth: AuthThrottled, Uploads: []time.Time{now.Add(-2 * time.Hour)}},
		{At: now.Add(-3 * time.Hour), Auth: AuthOK, Uploads: []time.Time{now.Add(-2 * time.Hour), old}},
		{At: now.Add(time.Hour), Auth: AuthOK}, // from the future: ignored
	}
	h := BuildHistory(pts, DefaultPolicy(), now)
	if !h.LastSuccess.Equal(now.Add(-3 * time.Hour)) {
		t.Errorf("LastSuccess = %v", h.LastSuccess)
	}
	if len(h.Uploads) != 1 {
		t.Errorf("Uploads = %v, want one (deduplicated, window-limited)", h.Uploads)
	}
	if BuildHistory(nil, DefaultPolicy(), now).FolderFiles != nil {
		t.Error("empty history has folder baselines")
	}
}

func TestFolderBaselineAcceptsADropOnlyAfterADay(t *testing.T) {
	at := func(h int, files int) HistoryPoint {
		return HistoryPoint{At: now.Add(time.Duration(h) * time.Hour), FolderFiles: map[string]int{folderPath: files}}
	}
	tests := []struct {
		name string
		pts  []HistoryPoint
		want int
	}{
		{"growth", []HistoryPoint{at(0, 100), at(1, 120)}, 120},
		{"small shrink", []HistoryPoint{at(0, 100), at(1, 60)}, 60},
		{"sharp drop pending", []HistoryPoint{at(0, 100), at(1, 10), at(20, 10)}, 100},
		{"sharp drop accepted after 24 h", []HistoryPoint{at(0, 100), at(1, 10), at(25, 10)}, 10},
		{"empty pending", []HistoryPoint{at(0, 100), at(1, 0), at(2, 0)}, 100},
		{"drop then recovery resets", []HistoryPoint{at(0, 100), at(1, 0), at(2, 100), at(30, 0)}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BuildHistory(tt.pts, DefaultPolicy(), now.Add(48*time.Hour)).FolderFiles[folderPath]
			if got != tt.want {
				t.Errorf("%s: baseline %d, want %d", tt.name, got, tt.want)
			}
		})
	}
}

// storedPoints is the history as the agent keeps it: JSON points, read
// back at every cycle.
type storedPoints [][]byte

func (s *storedPoints) add(t *testing.T, pt HistoryPoint) {
	t.Helper()
	b, err := json.Marshal(pt)
	if err != nil {
		t.Fatal(err)
	}
	*s = append(*s, b)
}

func (s storedPoints) build(t *testing.T, p Policy, at time.Time) History {
	t.Helper()
	pts := make([]HistoryPoint, 0, len(s))
	for _, b := range s {
		var pt HistoryPoint
		if err := json.Unmarshal(b, &pt); err != nil {
			t.Fatal(err)
		}
		pts = append(pts, pt)
	}
	return BuildHistory(pts, p, at)
}

// TestAgentLoopLostMount runs hourly cycles like the agent (build history
// from stored JSON points, evaluate, store a new point) through a lost
// mount: the folder check is critical for "had files" for a day, then
// (the baseline has moved to 0) for being empty while the library has
// photos; local_copy throughout. An empty folder is never accepted while
// the library it should hold has photos (issue 26).
func TestAgentLoopLostMount(t *testing.T) {
	p := DefaultPolicy()
	var stored storedPoints
	lostAt := now.Add(-48 * time.Hour)
	for h := -72; h <= 0; h++ {
		t0 := now.Add(time.Duration(h) * time.Hour)
		hist := stored.build(t, p, t0)
		obs := healthyObs()
		if !t0.Before(lostAt) {
			obs.Folders[0].Health.Files = 0
			for i := range obs.Folders[0].Matches {
				obs = setMatch(obs, i, photo.ConfidenceNone)
			}
		}
		a := Evaluate(obs, p, hist, t0)
		folder, _ := a.Check(CheckFolder)
		local, _ := a.Check(CheckLocalCopy)
		since := t0.Sub(lostAt)
		switch {
		case t0.Before(lostAt) && (folder.Status != StatusOK || local.Status != StatusOK):
			t.Fatalf("%v before the loss: folder %s, local_copy %s", since, folder.Status, local.Status)
		case !t0.Before(lostAt) && local.Status != StatusCritical:
			t.Fatalf("%v after the loss: local_copy %s", since, local.Status)
		case !t0.Before(lostAt) && since <= 24*time.Hour && folder.Status != StatusCritical:
			t.Fatalf("%v after the loss: folder %s, want critical", since, folder.Status)
		case since > 26*time.Hour && (folder.Status != StatusCritical || !strings.Contains(folder.Summary, "is empty although iCloud has")):
			t.Fatalf("%v after the loss: folder %s %q, want critical: still empty while the library has photos", since, folder.Status, folder.Summary)
		}
		stored.add(t, NewHistoryPoint(obs, hist, t0))
	}
}

func TestPruneHistoryKeepsFolderBaselines(t *testing.T) {
	pts := []HistoryPoint{
		{At: now.Add(-120 * day), FolderFiles: map[string]int{"/a": 5}},
		{At: now.Add(-100 * day), FolderFiles: map[string]int{"/a": 7}},
		{At: now.Add(-95 * day), Uploads: []time.Time{now.Add(-95 * day)}},
		{At: now.Add(-day), Uploads: []time.Time{now.Add(-day)}},
	}
	got := PruneHistory(pts, DefaultPolicy(), now)
	if len(got) != 2 || got[0].FolderFiles["/a"] != 7 || !got[1].At.Equal(now.Add(-day)) {
		t.Errorf("PruneHistory kept %+v", got)
	}
	if h := BuildHistory(got, DefaultPolicy(), now); h.FolderFiles["/a"] != 7 {
		t.Errorf("baseline after pruning = %v", h.FolderFiles)
	}
}

// TestAgentLoopHiddenItems runs hourly cycles like the agent through a
// library that has hidden items from the start and gets two more on the
// third day: under the default rule library_coverage warns for the first
// day and for the day after the new ones, and is ok (with a note)
// otherwise, so a healthy library does not warn for ever.
func TestAgentLoopHiddenItems(t *testing.T) {
	p := DefaultPolicy()
	var stored storedPoints
	start := now.Add(-96 * time.Hour)
	var warned []int
	for h := 0; h <= 96; h++ {
		t0 := start.Add(time.Duration(h) * time.Hour)
		hist := stored.build(t, p, t0)
		obs := healthyObs()
		obs.Libraries[0].HiddenCount = ptr(23)
		if h >= 50 {
			obs.Libraries[0].HiddenCount = ptr(25)
		}
		rep := Evaluate(obs, p, hist, t0)
		if c, _ := rep.Check(CheckLibraryCoverage); c.Status == StatusWarning {
			warned = append(warned, h)
		} else if c.Status != StatusOK {
			t.Fatalf("hour %d: library_coverage %s: %s", h, c.Status, c.Summary)
		}
		stored.add(t, NewHistoryPoint(obs, hist, t0))
	}
	var want []int
	for h := 0; h < 24; h++ {
		want = append(want, h)
	}
	for h := 50; h < 74; h++ {
		want = append(want, h)
	}
	if !slices.Equal(warned, want) {
		t.Errorf("library_coverage warned at hours %v, want %v", warned, want)
	}
}

// TestHistoryOfAnotherAccountIsLeftOut: after the apple_id of an account
// was changed (or another account's data dir restored), what the history
// learned from the other iCloud account must not steer this one. Here the
// old account uploaded every ten days, which stretches the stall point to
// 11 days; the new account's phone stopped 8 days ago and must be critical
// at the static 7 days. Folder baselines belong to the path and stay.
func TestHistoryOfAnotherAccountIsLeftOut(t *testing.T) {
	var pts []HistoryPoint
	for i, up := range rhythm(now.Add(-20*day), 85*day, 10*day, 0) {
		pts = append(pts, HistoryPoint{At: up.Add(time.Hour), Auth: AuthOK, Owner: "old-account",
			Uploads: []time.Time{up}, FolderFiles: map[string]int{folderPath: 11990 - i}})
	}
	o := withAssets(healthyObs(), assetsEvery(50, now.Add(-8*day), 7*time.Hour))
	o.Owner = "new-account"

	mixed := BuildHistory(pts, DefaultPolicy(), now)
	if c, _ := Evaluate(o, DefaultPolicy(), mixed, now).Check(CheckICloudUpload); c.Status != StatusWarning {
		t.Fatalf("precondition: with the other account's cadence the stall is %s, want warning", c.Status)
	}
	h := BuildHistory(OfOwner(pts, o.Owner), DefaultPolicy(), now)
	if len(h.Uploads) != 0 || !h.LastSuccess.IsZero() {
		t.Errorf("the other account's uploads (%d) or last sign-in (%v) were kept", len(h.Uploads), h.LastSuccess)
	}
	if h.FolderFiles[folderPath] != mixed.FolderFiles[folderPath] || h.FolderFiles[folderPath] == 0 {
		t.Errorf("folder baseline %d, want %d (folders belong to the path)", h.FolderFiles[folderPath], mixed.FolderFiles[folderPath])
	}
	if c, _ := Evaluate(o, DefaultPolicy(), h, now).Check(CheckICloudUpload); c.Status != StatusCritical {
		t.Errorf("upload stall of 8 days is %s, want critical at the static 7 days", c.Status)
	}
	// The same owner, an empty owner (iCloud not read this cycle) and
	// points without an owner keep everything.
	for _, owner := range []string{"old-account", ""} {
		if got := BuildHistory(OfOwner(pts, owner), DefaultPolicy(), now); len(got.Uploads) != len(mixed.Uploads) {
			t.Errorf("owner %q: %d uploads kept, want %d", owner, len(got.Uploads), len(mixed.Uploads))
		}
	}
	if p := NewHistoryPoint(o, History{}, now); p.Owner != "new-account" {
		t.Errorf("NewHistoryPoint does not record the owner: %q", p.Owner)
	}
}

// TestSessionExpiryWithoutADate: a working session whose cookies state no
// date is ok with a summary that says no warning ahead is possible (an
// unknown could never clear); a missing expiry is still unknown, and a
// failed sign-in is never ok.
func TestSessionExpiryWithoutADate(t *testing.T) {
	o := healthyObs()
	o.SessionExpiry = time.Time{}
	if c, _ := Evaluate(o, DefaultPolicy(), healthyHist(), now).Check(CheckSessionExpiry); c.Status != StatusUnknown {
		t.Errorf("expiry absent: %s, want unknown", c.Status)
	}
	o.SessionUndated = true
	c, _ := Evaluate(o, DefaultPolicy(), healthyHist(), now).Check(CheckSessionExpiry)
	if c.Status != StatusOK || !strings.Contains(c.Summary, "no expiry date") {
		t.Errorf("undated working session: %s %q, want ok saying there is no date", c.Status, c.Summary)
	}
	if rep := Evaluate(o, DefaultPolicy(), healthyHist(), now); rep.Status != StatusOK {
		t.Errorf("healthy account with an undated session is %s, want ok", rep.Status)
	}
	o.Auth = AuthObservation{Kind: AuthThrottled}
	if c, _ := Evaluate(o, DefaultPolicy(), healthyHist(), now).Check(CheckSessionExpiry); c.Status == StatusOK {
		t.Error("an undated session is ok although the sign-in failed")
	}
}
