package agent

import (
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
)

// TestFolderDisappearsMidScan unmounts (renames away) the photo folder
// while a full rescan is walking it, using the index's progress callback
// as the hook. The cycle must not panic and must not report the folder or
// the local copies as ok; once the folder is back, the next cycle is ok.
func TestFolderDisappearsMidScan(t *testing.T) {
	r := newRig(t, rigOptions{})
	var armed, fired atomic.Bool
	gone := r.photoDir + ".gone"
	r.folder.Options = localindex.Options{ProgressEvery: time.Nanosecond, Progress: func(p localindex.Progress) {
		if armed.Load() && !p.Done && p.Dirs >= 5 && fired.CompareAndSwap(false, true) {
			if err := os.Rename(r.photoDir, gone); err != nil {
				t.Errorf("renaming the folder away: %v", err)
			}
		}
	}}
	if rep := r.cycle(); rep.Status != checks.StatusOK {
		t.Fatalf("warm-up cycle %s:\n%s", rep.Status, describe(rep))
	}
	r.clock.Advance(10 * time.Minute)
	r.folder.FullScan = true
	armed.Store(true)
	rep := r.cycle()
	if !fired.Load() {
		t.Fatal("the progress hook never fired during the full rescan; the test proves nothing")
	}
	t.Logf("folder gone mid-scan: %s", describe(rep))
	if rep.Status == checks.StatusOK {
		t.Errorf("the report is ok although the folder vanished during the scan")
	}
	if status(rep, checks.CheckFolder) == "ok" && status(rep, checks.CheckLocalCopy) == "ok" {
		t.Errorf("folder and local_copy are both ok after the folder vanished mid-scan:\n%s", describe(rep))
	}
	armed.Store(false)
	if err := os.Rename(gone, r.photoDir); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(10 * time.Minute)
	if rep := r.cycle(); rep.Status != checks.StatusOK {
		t.Errorf("after the folder came back the cycle is %s:\n%s", rep.Status, describe(rep))
	}
	assertReadOnly(t, r)
}
