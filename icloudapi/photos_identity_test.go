package icloudapi

import (
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestPreviousSnapshotOfAnotherLibraryIsNotTrusted: a stored snapshot that
// came from another account's library (a restored backup, an account
// switched in the config) is never reported as this library's state, and
// one too old to trust is read afresh.
func TestPreviousSnapshotOfAnotherLibraryIsNotTrusted(t *testing.T) {
	old := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 1, Assets: 200, Now: time.Date(2018, 6, 1, 0, 0, 0, 0, time.UTC)})
	a := newPhotosEnv(t, old)
	prev, _ := a.snap(SnapshotOptions{})
	if prev.Owner == "" {
		t.Fatal("the snapshot names no owner")
	}

	current := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 2, Assets: 200, Now: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)})
	b := newPhotosEnvDSID(t, current, "99999999999")
	s, _ := b.snap(SnapshotOptions{Previous: prev})
	want := current.Newest(fakeicloud.PrimaryZone, 1)[0]
	got := s.Library(fakeicloud.PrimaryZone).Newest[0]
	if got.Added.Year() != 2023 || !got.Added.Equal(want.Added) {
		t.Errorf("newest asset added %v, want %v (the server's, not the stored snapshot's)", got.Added, want.Added)
	}
	if s.Owner == prev.Owner {
		t.Error("two accounts have the same owner")
	}

	// The same account, with a snapshot older than previousMaxAge: read afresh.
	same, n := a.snap(SnapshotOptions{Previous: prev})
	if n > 3 || same.Changed {
		t.Fatalf("fresh snapshot of the same account: %d requests, changed %v", n, same.Changed)
	}
	a.now = a.now.Add(previousMaxAge + time.Hour)
	if s, _ := a.snap(SnapshotOptions{Previous: same}); !s.Changed {
		t.Error("a snapshot older than previousMaxAge was reused")
	}
}

// TestCarriedLibraryIsReadAgainDaily: a library is carried over on the word
// of changes/database for at most libraryMaxAge. A stored library that no
// longer matches the server (drift, a token answered "no change" by
// mistake) is trusted within the day and read afresh after it.
func TestCarriedLibraryIsReadAgainDaily(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 300, Now: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)})
	e := newPhotosEnv(t, lib)
	prev, _ := e.snap(SnapshotOptions{})
	drifted := prev.Library(fakeicloud.PrimaryZone)
	drifted.Newest = drifted.Newest[3:] // as if the three newest were never seen
	want := lib.Newest(fakeicloud.PrimaryZone, 1)[0].ID

	e.now = e.now.Add(time.Hour)
	s, n := e.snap(SnapshotOptions{Previous: prev})
	if s.Changed || n > 2 {
		t.Fatalf("within the day: %d requests, changed %v; want the library carried over", n, s.Changed)
	}
	e.now = e.now.Add(libraryMaxAge)
	s, _ = e.snap(SnapshotOptions{Previous: s})
	got := s.Library(fakeicloud.PrimaryZone)
	if !s.Changed || len(got.Newest) == 0 || got.Newest[0].ID != want || !got.ReadAt.Equal(e.now) {
		t.Errorf("a day later the carried library was not read again (changed %v, read at %v)", s.Changed, got.ReadAt)
	}
}
