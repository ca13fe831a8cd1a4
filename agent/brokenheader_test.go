package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// hangingJPEG sent imagemeta v0.3.1's DecodeJPEG into an endless loop: EOI
// right after SOI, then an APP1 Exif segment.
func hangingJPEG(size int) []byte {
	b := append([]byte{0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xE1, 0x00, 0x10}, "Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"...)
	return append(b, make([]byte, max(size-len(b), 80))...)
}

// TestBrokenJPEGInFolder: the folder holds two copies of newest photos that
// are the JPEG that hung the EXIF parser. The cycle (what verify runs) must
// still return a verdict. The copy with the cloud photo's name and size is
// matched by name and size; the other one, whose header the matcher needed
// and could not read, is named in the folder check and not taken for a copy
// on its modification time, so its photo is missing.
func TestBrokenJPEGInFolder(t *testing.T) {
	r := newRig(t, rigOptions{})
	var picked []fakeicloud.Asset
	for _, a := range r.lib.Newest("PrimarySync", 50) {
		if len(picked) < 2 && a.Added.Before(r.clock.Now().Add(-12*time.Hour)) && a.LiveVideoSize == 0 &&
			a.EditSize == 0 && a.AltSize == 0 && strings.HasPrefix(a.UTI, "public.") && a.UTI != "public.mpeg-4" {
			picked = append(picked, a)
		}
	}
	if len(picked) < 2 {
		t.Fatalf("the demo library has no two plain photos older than the grace period")
	}
	sameSize, otherSize := picked[0], picked[1]
	p0 := findFile(t, r.photoDir, sameSize.Filename)
	if err := os.WriteFile(p0, hangingJPEG(int(sameSize.Size)), 0o644); err != nil {
		t.Fatal(err)
	}
	p1 := findFile(t, r.photoDir, otherSize.Filename)
	if err := os.WriteFile(p1, hangingJPEG(1000), 0o644); err != nil {
		t.Fatal(err)
	}
	// The old fallback took the mtime for the capture time: make it agree.
	if err := os.Chtimes(p1, otherSize.Taken, otherSize.Taken); err != nil {
		t.Fatal(err)
	}
	rel1, err := filepath.Rel(r.photoDir, p1)
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan checks.AccountReport, 1)
	go func() { done <- r.cycle() }()
	var rep checks.AccountReport
	select {
	case rep = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the cycle does not return with a broken JPEG in the folder")
	}

	folder, _ := rep.Check(checks.CheckFolder)
	if folder.Status != checks.StatusOK || folder.Details == nil || len(folder.Details.Notes) != 1 ||
		!strings.Contains(folder.Details.Notes[0], filepath.ToSlash(rel1)) ||
		!strings.Contains(folder.Details.Notes[0], "1 file ") {
		t.Errorf("folder check does not name %s as the one unreadable file:\n%s", rel1, describe(rep))
	}
	local, _ := rep.Check(checks.CheckLocalCopy)
	var missing []string
	if local.Details != nil {
		for _, it := range local.Details.Missing {
			missing = append(missing, it.Filename)
		}
	}
	if !slices.Contains(missing, otherSize.Filename) {
		t.Errorf("%s, whose only local file is unreadable and of another size, is not missing: %v\n%s",
			otherSize.Filename, missing, describe(rep))
	}
	if slices.Contains(missing, sameSize.Filename) {
		t.Errorf("%s has a local file of its name and size but is reported missing", sameSize.Filename)
	}
}
