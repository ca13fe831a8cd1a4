package store

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickCheckEvery: with QuickCheckEvery, Open runs quick_check on a new
// file, then not again until the last check that passed is that old (or the
// clock went back); Open without options checks every time.
func TestQuickCheckEvery(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	openAt := func(at time.Time) bool {
		t.Helper()
		db, err := OpenWith(path, Options{QuickCheckEvery: 24 * time.Hour, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		return db.checked
	}
	for _, step := range []struct {
		at   time.Time
		want bool
	}{
		{t0, true},                      // new file
		{t0.Add(time.Hour), false},      // checked an hour ago
		{t0.Add(23 * time.Hour), false}, // still within a day
		{t0.Add(25 * time.Hour), true},  // a day old: check again
		{t0.Add(26 * time.Hour), false}, // the check at 25 h counts
		{t0.Add(-time.Hour), true},      // the clock went back
		{t0.Add(-30 * time.Minute), false},
	} {
		if got := openAt(step.at); got != step.want {
			t.Errorf("open at %s: quick_check ran %v, want %v", step.at.Format(time.RFC3339), got, step.want)
		}
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.checked {
		t.Error("Open without options did not run quick_check")
	}
}

// TestQuickCheckSkippedStillReportsCorruption: a file damaged after its last
// check gives a *CorruptError, with what to do, from an Open that skips
// quick_check, because reading the row of the last check reads the damaged
// pages.
func TestQuickCheckSkippedStillReportsCorruption(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	realDB(t, path)
	now := time.Now()
	o := Options{QuickCheckEvery: 24 * time.Hour, Now: func() time.Time { return now }}
	db, err := OpenWith(path, o)
	if err != nil {
		t.Fatal(err)
	}
	must(t, db.Close())
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, len(b)-4096)
	rand.Read(garbage)
	copy(b[4096:], garbage) // every page but the first (the schema)
	must(t, os.WriteFile(path, b, 0o600))
	before := fileHash(t, path)
	db, err = OpenWith(path, o)
	if err == nil {
		db.Close()
		t.Fatal("OpenWith succeeded on a damaged file")
	}
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("OpenWith = %v, want a *CorruptError saying what to do", err)
	}
	if fileHash(t, path) != before {
		t.Error("OpenWith modified the damaged file")
	}
}
