package checks

import (
	"strings"
	"testing"
)

// TestFolderNamesUnreadableHeaders: files whose headers could not be read
// are named in the folder check, without changing its status.
func TestFolderNamesUnreadableHeaders(t *testing.T) {
	obs := healthyObs()
	obs.Folders[0].Health.UnreadableHeaders = 12
	obs.Folders[0].Health.UnreadableExamples = []string{"2026/01/02/IMG_0001.JPG", "2026/01/02/IMG_0002.HEIC"}
	c, _ := Evaluate(obs, DefaultPolicy(), healthyHist(), now).Check(CheckFolder)
	if c.Status != StatusOK {
		t.Errorf("status %s, want ok: unreadable headers are a note (%s)", c.Status, c.Summary)
	}
	if c.Details == nil || len(c.Details.Notes) != 1 || len(c.Details.Folders) != 0 {
		t.Fatalf("details = %+v, want one note and no folder problem", c.Details)
	}
	n := c.Details.Notes[0]
	for _, want := range []string{obs.Folders[0].Path, "12 files", "IMG_0001.JPG", "IMG_0002.HEIC", "and 10 more", "name and size"} {
		if !strings.Contains(n, want) {
			t.Errorf("note %q does not say %q", n, want)
		}
	}
	rep := Report{Accounts: []AccountReport{Evaluate(obs, DefaultPolicy(), healthyHist(), now)}}
	if !strings.Contains(RenderText(rep), "IMG_0001.JPG") {
		t.Error("the text report does not show the note")
	}
	obs.Folders[0].Health.UnreadableHeaders, obs.Folders[0].Health.UnreadableExamples = 0, nil
	if c, _ := Evaluate(obs, DefaultPolicy(), healthyHist(), now).Check(CheckFolder); c.Details != nil {
		t.Errorf("a healthy folder without unreadable files has details %+v", c.Details)
	}
}
