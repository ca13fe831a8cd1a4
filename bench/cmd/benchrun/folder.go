package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// writeICloudPDFolder lays every asset of lib (Recently Deleted included:
// the importer got them before they were deleted) out as icloudpd does by
// default (YYYY/MM/DD/<original name> in the taken time's wall clock, Live
// Photo videos as <stem>_HEVC.MOV, "-<size>" on a name clash), as sparse
// files of the right sizes, and returns the number of files. The Shared
// Library goes to its own subfolder.
func writeICloudPDFolder(root string, lib *fakeicloud.Library) (int, error) {
	files := 0
	for _, z := range []string{fakeicloud.PrimaryZone, fakeicloud.SharedZone} {
		base := root
		if z == fakeicloud.SharedZone {
			base = filepath.Join(root, "Shared Library")
		}
		for _, a := range append(lib.Newest(z, lib.Len(z)), lib.RecentlyDeleted(z)...) {
			n, err := writeAsset(base, a)
			if err != nil {
				return files, err
			}
			files += n
		}
	}
	return files, ageDirs(root)
}

// fallbackName is icloudpd's name for an asset whose master carries no
// filename: the first 12 characters of the master id, non-alphanumerics
// replaced by "_", and the extension of its UTI.
func fallbackName(masterID, uti string) string {
	base := []rune(masterID)
	if len(base) > 12 {
		base = base[:12]
	}
	for i, r := range base {
		if !alnum(r) {
			base[i] = '_'
		}
	}
	if ext := icloudapi.Extension(uti); ext != "" {
		return string(base) + "." + ext
	}
	return string(base)
}

func alnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// ageDirs sets every directory's mtime an hour back, as in an archive
// that was not just written: localindex re-lists a directory whose mtime
// was less than 2 s old at the last scan (racyWindow: a change within the
// same second would go unseen), which would make every warm rescan of a
// freshly generated tree a full one.
func ageDirs(root string) error {
	old := time.Now().Add(-time.Hour)
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chtimes(p, old, old) //nolint:gosec // a tree this harness generated
	})
}

func writeAsset(base string, a fakeicloud.Asset) (int, error) {
	wall := a.Taken.UTC().Add(time.Duration(a.TZOffset) * time.Second)
	dir := filepath.Join(base, wall.Format("2006/01/02"))
	name := a.Filename
	if a.FilenameForm == "missing" {
		name = fallbackName(a.MasterID, a.UTI)
	}
	n, err := clashFree(dir, name, a.Size, a.Added)
	if err != nil || a.LiveVideoSize <= 0 {
		return n, err
	}
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	m, err := clashFree(dir, stem+"_HEVC.MOV", a.LiveVideoSize, a.Added)
	return n + m, err
}

// clashFree writes dir/name, or dir/<stem>-<size><ext> when a file of
// another size already has the name; it returns how many files it added
// (0 when an identical file is already there, as icloudpd skips it).
func clashFree(dir, name string, size int64, at time.Time) (int, error) {
	path := filepath.Join(dir, name)
	if fi, err := os.Stat(path); err == nil && fi.Size() != size {
		ext := filepath.Ext(name)
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), size, ext))
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == size {
		return 0, nil
	}
	return 1, sparse(path, size, at)
}
