package main

import (
	"strings"
	"testing"
)

// TestKeepNotes: a regenerated page keeps the hand-written notes block of
// the old page, once, right above the generated results.
func TestKeepNotes(t *testing.T) {
	notes := notesBegin + "\n### Audit\n\nmeasured by hand\n" + notesEnd
	old := "# Performance\n\nintro\n\n" + notes + "\n\n" + resultsHeading + "old figures\n"
	fresh := "# Performance\n\nintro\n\n" + resultsHeading + "new figures\n"
	got := keepNotes(old, fresh)
	want := "# Performance\n\nintro\n\n" + notes + "\n\n" + resultsHeading + "new figures\n"
	if got != want {
		t.Fatalf("keepNotes:\n%s\nwant:\n%s", got, want)
	}
	if again := keepNotes(got, got); strings.Count(again, notesBegin) != 1 {
		t.Fatalf("notes doubled:\n%s", again)
	}
	if got := keepNotes("no notes", fresh); got != fresh {
		t.Fatalf("a page without notes changed the new one:\n%s", got)
	}
}
