package localindex

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"
)

// TestListingAllocatesPerDirectory: listing a directory costs a few
// allocations for the whole directory, not one or two per file (the name
// copied for fstatat, then the name kept): on a cold scan of 700 000 files
// those were 1.4 million allocations.
func TestListingAllocatesPerDirectory(t *testing.T) {
	root := t.TempDir()
	mt := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	const files = 300
	for i := range files {
		writeFile(t, root, fmt.Sprintf("IMG_%04d.HEIC", i), []byte("x"), mt)
	}
	ix := openIndex(t, NewMemKV(), root, Options{})
	w := &walker{ix: ix}
	f, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dirState
	list := func() {
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		d = dirState{}
		var tl tally
		if err := w.readDir(&d, f, &tl); err != nil || len(tl.errors) > 0 {
			t.Fatal(err, tl.errors)
		}
	}
	list()
	if len(d.files) != files || d.files[0].name == "" || d.files[0].size != 1 {
		t.Fatalf("listed %d files (first %+v), want %d", len(d.files), d.files[0], files)
	}
	if allocs := testing.AllocsPerRun(20, list); allocs > 10 {
		t.Errorf("listing a directory of %d files made %.0f allocations, want at most 10", files, allocs)
	}
}

// TestLargeDirectoryNames: a directory read in several getdents64 answers,
// with symlinks to files and ignored names between the files, gives every
// file its own name (the names of one answer share one string).
func TestLargeDirectoryNames(t *testing.T) {
	root := t.TempDir()
	mt := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	pad := strings.Repeat("x", 60) // about 80 bytes a record: 400 records per 32 KiB answer
	for i := range 3000 {
		name := fmt.Sprintf("big/IMG_%04d_%s.JPG", i, pad)
		switch i % 500 {
		case 7:
			name = fmt.Sprintf("big/partial_%04d_%s.jpg.part", i, pad)
		case 9:
			name = "big/sub/IMG_0001.JPG"
		}
		writeFile(t, root, name, []byte(strings.Repeat("y", i%97)), mt.Add(time.Duration(i)*time.Second))
	}
	for i := range 6 {
		if err := os.Symlink(fmt.Sprintf("IMG_%04d_%s.JPG", i, pad), filepath.Join(root, "big", fmt.Sprintf("link_%d_%s.jpg", i, pad))); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, root, "big/.DS_Store", []byte("junk"), mt)
	age(t, root)
	ix := openIndex(t, NewMemKV(), root, Options{})
	want, wantErrs := referenceWalk(t, root, ix.ign, nil)
	res := scan(t, ix, false)
	if len(wantErrs) > 0 || len(res.Errors) > 0 {
		t.Fatalf("errors: reference %v, scan %v", wantErrs, res.Errors)
	}
	if diff := cmp.Diff(want, walked(t, ix), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("directories (-sequential +scan):\n%s", diff)
	}
	if n := len(want["big"].Files); n != 3000-6-6+6 {
		t.Errorf("big holds %d files, want 2994", n)
	}
}

// TestSkipBytesMatchesSkip: the walk's check of a name still in a
// getdents64 answer decides as skip does, for every default pattern in any
// case and for names that look like them.
func TestSkipBytesMatchesSkip(t *testing.T) {
	ig, err := newIgnorer(true, []string{"Private", "*.bak", "tmp-*", "x?y", "2023/06/skip-*"})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"IMG_0001.HEIC", "Private", "PRIVATE", "private2", "a.BAK", "TMP-1", "xay", "xy", "skip-me", "@eaDir2"}
	for _, p := range DefaultIgnore {
		names = append(names, p, strings.ToUpper(p), strings.ReplaceAll(p, "*", "abc"), p+"x", "x"+p)
	}
	for _, rel := range []string{"", "2023/06"} {
		for _, n := range names {
			if got, want := ig.skipBytes(rel, []byte(n)), ig.skip(rel, n); got != want {
				t.Errorf("skipBytes(%q, %q) = %v, skip says %v", rel, n, got, want)
			}
		}
	}
	for _, n := range []string{".DS_Store", "@EADIR", "Thumbs.db", "SYSTEM VOLUME INFORMATION", "$recycle.bin", "Private"} {
		if !ig.skipBytes("", []byte(n)) {
			t.Errorf("%q is not skipped", n)
		}
	}
	if ig.skipBytes("", []byte("IMG_0001.HEIC")) || ig.skipBytes("2023/07", []byte("skip-me")) {
		t.Error("a photo or a name outside the pattern's directory is skipped")
	}
}

// TestFstatatNUL: the stat of a name inside a getdents64 answer agrees
// with unix.Fstatat for a file, a directory, a symlink (not followed) and a
// missing name.
func TestFstatatNUL(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "IMG_0001.HEIC", []byte("12345"), time.Date(2024, 5, 1, 9, 0, 0, 123456789, time.UTC))
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("IMG_0001.HEIC", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	dir, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dir)
	for _, name := range []string{"IMG_0001.HEIC", "sub", "link", "missing"} {
		var got, want unix.Stat_t
		nul := append([]byte(name), 0)
		gotErr := fstatatNUL(dir, &nul[0], &got)
		wantErr := unix.Fstatat(dir, name, &want, unix.AT_SYMLINK_NOFOLLOW)
		if !errors.Is(gotErr, wantErr) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: error %v, unix.Fstatat %v", name, gotErr, wantErr)
		}
		if got != want {
			t.Errorf("%s: stat %+v, unix.Fstatat %+v", name, got, want)
		}
	}
}

// TestWarmRescanAllocatesPerParent: a warm rescan of a photo tree (months
// of day directories, nothing changed) takes the unchanged day directories
// over without allocating for each: no FileInfo, path, job, goroutine or
// ancestor chain per directory, only per directory that has subdirectories
// (the months). Before, every day directory cost about six allocations.
func TestWarmRescanAllocatesPerParent(t *testing.T) {
	root := t.TempDir()
	mt := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	const months, days = 4, 30
	for m := range months {
		for d := range days {
			writeFile(t, root, fmt.Sprintf("2024/%02d/%02d/IMG_%02d%02d.HEIC", m+1, d+1, m, d), []byte("x"), mt)
		}
	}
	age(t, root)
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	warm := func() {
		res := scan(t, ix, false)
		if res.DirsListed != 0 || res.DirsUnchanged != 2+months+months*days || res.Files != months*days || len(res.Errors) > 0 {
			t.Fatalf("warm rescan: %+v", res)
		}
	}
	allocs := testing.AllocsPerRun(10, warm)
	// the scan's own maps and result, and a few per month: well below one
	// per day directory
	if limit := float64(months*days) / 2; allocs > limit {
		t.Errorf("a warm rescan of %d day directories made %.0f allocations, want at most %.0f", months*days, allocs, limit)
	}
	if testing.Verbose() {
		t.Logf("%.0f allocations", allocs)
	}
}

// TestStatDirLikeOsStat: the walk's stat of a subdirectory agrees with
// os.Stat (symlinks followed) on a directory, a symlink to one, a file and a
// missing path, errors included.
func TestStatDirLikeOsStat(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "sub/IMG_0001.HEIC", []byte("12345"), time.Date(2024, 5, 1, 9, 0, 0, 123456789, time.UTC))
	if err := os.Symlink("sub", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sub", "link", "sub/IMG_0001.HEIC", "missing"} {
		p := filepath.Join(root, name)
		got, gotErr := statDir(append([]byte(p), 0))
		info, wantErr := os.Stat(p)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Errorf("%s: error %v, os.Stat %v", name, gotErr, wantErr)
		}
		if wantErr != nil {
			if !errors.Is(gotErr, fs.ErrNotExist) {
				t.Errorf("%s: %v is not fs.ErrNotExist", name, gotErr)
			}
			continue
		}
		if want := dirStatOf(info); got != want {
			t.Errorf("%s: %+v, os.Stat gives %+v", name, got, want)
		}
	}
}

// TestSubdirectoryStatErrorReported: a subdirectory that cannot be stat'ed
// (here its path is longer than PATH_MAX, while its parent's is not) is a
// "stat" error of the scan. Before, such errors were dropped: the
// directory and its files were missing from the index without a word.
func TestSubdirectoryStatErrorReported(t *testing.T) {
	root := t.TempDir()
	name := strings.Repeat("d", 250)
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	rel, tooLong := "", ""
	for len(root)+len(rel) < unix.PathMax+300 {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		_ = unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
		if rel != "" {
			rel += "/"
		}
		rel += name
		if tooLong == "" && len(root)+1+len(rel) >= unix.PathMax {
			tooLong = rel
		}
	}
	_ = unix.Close(fd)
	ix := openIndex(t, NewMemKV(), root, Options{})
	res := scan(t, ix, false)
	var got []string
	for _, e := range res.Errors {
		got = append(got, e.Op+" "+e.Path)
	}
	if want := []string{"stat " + tooLong}; !slices.Equal(got, want) {
		t.Errorf("%d errors, want one: stat of the directory at depth %d (%v)", len(got), strings.Count(tooLong, "/")+1, res.Errors)
	}
	if res.Health.ErrorPaths != 1 {
		t.Errorf("ErrorPaths = %d, want 1", res.Health.ErrorPaths)
	}
}

// TestUnchangedRescanKeepsTheMap: a warm rescan that finds nothing changed
// keeps the index's map of directories instead of building a copy of it
// (at 58 000 directories, 27 ms of a repeat verify's CPU went into making
// the copy and the memory it touched); one that finds a change installs a
// new one with the change.
func TestUnchangedRescanKeepsTheMap(t *testing.T) {
	root, rels := bigTree(t, 40, 1)
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	before := reflect.ValueOf(ix.dirs).UnsafePointer()
	if res := scan(t, ix, false); res.DirsListed != 0 || res.Dirs != 40+2+1+1 || res.Files != 40 {
		t.Fatalf("warm rescan: %+v", res)
	}
	if reflect.ValueOf(ix.dirs).UnsafePointer() != before {
		t.Error("a rescan that changed nothing built a new map of directories")
	}
	if err := os.RemoveAll(filepath.Join(root, rels[3])); err != nil {
		t.Fatal(err)
	}
	age(t, root, filepath.Dir(rels[3]))
	res := scan(t, ix, false)
	if res.FilesRemoved != 1 || res.Dirs != 43 || ix.dirs[rels[3]] != nil || len(ix.dirs) != 43 {
		t.Errorf("rescan after removing %s: %+v, %d directories", rels[3], res, len(ix.dirs))
	}
}

// TestFlatFolderRescanInRuns: the subdirectories of a flat folder are
// stat'ed in runs of subdirSegment by several walkers; a warm rescan after
// some day directories changed, went or came finds what a new index's
// cold scan finds.
func TestFlatFolderRescanInRuns(t *testing.T) {
	root := t.TempDir()
	day := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)
	const days = 3*subdirSegment + 17
	var rels []string
	for i := range days {
		rel := day.AddDate(0, 0, i).Format("2006-01-02")
		rels = append(rels, rel)
		writeFile(t, root, rel+"/IMG_0001.JPG", []byte("x"), day)
	}
	age(t, root)
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	if res := scan(t, ix, false); res.DirsUnchanged != days+1 || res.Files != days {
		t.Fatalf("warm rescan: %d unchanged, %d files; want %d, %d", res.DirsUnchanged, res.Files, days+1, days)
	}
	changed := []string{"."}
	for i := 5; i < days; i += 97 {
		writeFile(t, root, rels[i]+"/IMG_0002.JPG", []byte("y"), day)
		changed = append(changed, rels[i])
		if err := os.RemoveAll(filepath.Join(root, rels[i+1])); err != nil {
			t.Fatal(err)
		}
		writeFile(t, root, rels[i]+"-new/IMG_0003.JPG", []byte("z"), day)
		changed = append(changed, rels[i]+"-new")
	}
	age(t, root, changed...)
	res := scan(t, ix, false)
	fresh := openIndex(t, NewMemKV(), root, Options{})
	want := scan(t, fresh, false)
	if res.Files != want.Files || res.Dirs != want.Dirs || res.DirsListed != len(changed) {
		t.Errorf("rescan: %d files, %d dirs, %d listed; a cold scan finds %d files, %d dirs", res.Files, res.Dirs, res.DirsListed, want.Files, want.Dirs)
	}
	if diff := cmp.Diff(walked(t, fresh), walked(t, ix)); diff != "" {
		t.Errorf("directories (-cold +rescan):\n%s", diff)
	}
}
