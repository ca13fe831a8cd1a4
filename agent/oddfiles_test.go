package agent

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// TestOddFilesInFolder puts entries into the photo folder that cannot be
// read like photos — a FIFO (opening it for reading would block for ever),
// a directory named like a photo, an empty photo, a symlink loop — also
// under the names of real cloud photos' neighbours. Permissions cannot
// make a file unreadable for root, so these stand in for unreadable files.
// The cycle must finish promptly, and the folder must stay usable.
func TestOddFilesInFolder(t *testing.T) {
	r := newRig(t, rigOptions{})
	day := firstSubdir(t, r.photoDir)
	if err := syscall.Mkfifo(filepath.Join(day, "IMG_FIFO.HEIC"), 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	if err := os.Mkdir(filepath.Join(day, "IMG_DIR.JPG"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(day, "IMG_EMPTY.MOV"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(day, "IMG_LOOP.PNG")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	r.folder.FullScan = true
	done := make(chan checks.AccountReport, 1)
	go func() { done <- r.cycle() }()
	select {
	case rep := <-done:
		if status(rep, checks.CheckFolder) != "ok" || status(rep, checks.CheckLocalCopy) != "ok" {
			t.Errorf("odd entries broke the folder checks:\n%s", describe(rep))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cycle hangs on odd files in the folder (a FIFO opened for reading?)")
	}
}

func firstSubdir(t *testing.T, root string) string {
	t.Helper()
	var found string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root && found == "" && len(filepath.Base(p)) == 2 {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatal("the generated folder has no day directory")
	}
	return found
}

// TestFIFOInPlaceOfAPhoto replaces the local copy of one of the newest
// photos by a FIFO of the same name: the matcher, which may read the
// capture time of a same-named file whose size differs, must not block.
func TestFIFOInPlaceOfAPhoto(t *testing.T) {
	r := newRig(t, rigOptions{})
	newest := r.lib.Newest("PrimarySync", 3)
	path := findFile(t, r.photoDir, newest[2].Filename)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	done := make(chan checks.AccountReport, 1)
	go func() { done <- r.cycle() }()
	select {
	case rep := <-done:
		t.Logf("FIFO in place of %s: %s", newest[2].Filename, describe(rep))
		if status(rep, checks.CheckLocalCopy) == "ok" {
			c, _ := rep.Check(checks.CheckLocalCopy)
			t.Errorf("local_copy is ok although one of the newest photos is a FIFO: %s", c.Summary)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cycle hangs on a FIFO named like a photo")
	}
}

func findFile(t *testing.T, root, name string) string {
	t.Helper()
	var found string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name && found == "" {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatalf("%s is not in the generated folder", name)
	}
	return found
}
