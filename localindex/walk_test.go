package localindex

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// walkedDir is what a walk found in one directory, in a form independent
// of the index's storage.
type walkedDir struct {
	Subdirs []string
	Files   []string // "name size mtime", sorted by name
	Broken  bool     // the directory could not be listed
}

// walked returns what the last scan of ix holds.
func walked(t *testing.T, ix *Index) map[string]walkedDir {
	t.Helper()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := map[string]walkedDir{}
	for rel, d := range ix.dirs {
		w := walkedDir{Subdirs: slices.Clone(d.subdirs), Broken: d.unreadable}
		files := d.files
		if !d.loaded && !d.unreadable {
			var err error
			if files, err = ix.readFiles(t.Context(), d); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range files {
			w.Files = append(w.Files, fmt.Sprintf("%s %d %d", f.name, f.size, f.mtime))
		}
		out[rel] = w
	}
	return out
}

// referenceWalk is the sequential walk the parallel one must agree with:
// os.ReadDir and one os.Lstat per entry, directories depth first, the
// ignore rules of ig, symlinks to files followed (the tree has no
// directory symlinks), other types skipped.
func referenceWalk(t *testing.T, root string, ig *ignorer, denied map[string]bool) (map[string]walkedDir, []string) {
	t.Helper()
	out := map[string]walkedDir{}
	var errs []string
	var walk func(rel string)
	walk = func(rel string) {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		var w walkedDir
		var entries []os.DirEntry
		var err error
		if denied[abs] {
			err = fs.ErrPermission
		} else {
			entries, err = os.ReadDir(abs)
		}
		if err != nil {
			w.Broken = true
			name := rel
			if name == "" {
				name = "."
			}
			errs = append(errs, "list "+name)
		}
		for _, e := range entries {
			name := e.Name()
			if ig.skip(rel, name) {
				continue
			}
			fi, err := os.Lstat(filepath.Join(abs, name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&fs.ModeSymlink != 0 {
				if fi, err = os.Stat(filepath.Join(abs, name)); err != nil {
					errs = append(errs, "follow symlink "+path.Join(rel, name))
					continue
				}
			}
			switch {
			case fi.IsDir():
				w.Subdirs = append(w.Subdirs, name)
			case fi.Mode().IsRegular():
				w.Files = append(w.Files, fmt.Sprintf("%s %d %d", name, fi.Size(), fi.ModTime().UnixNano()))
			}
		}
		out[rel] = w
		for _, s := range w.Subdirs {
			walk(path.Join(rel, s))
		}
	}
	walk("")
	slices.Sort(errs)
	return out, errs
}

// generateWalkTree writes a random tree of nested directories with files,
// junk the default rules ignore (@eaDir, .DS_Store, *.part), a directory
// and files an extra pattern ignores, symlinks to files (one dangling) and a
// FIFO. It returns the directories to make unreadable.
func generateWalkTree(t *testing.T, root string, seed uint64) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	mt := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	dirs := []string{""}
	for i := range 120 {
		parent := dirs[rng.IntN(len(dirs))]
		dirs = append(dirs, path.Join(parent, fmt.Sprintf("d%03d", i)))
	}
	var denied []string
	for i, d := range dirs {
		for j := range rng.IntN(40) {
			name := fmt.Sprintf("IMG_%04d.%s", j, [...]string{"HEIC", "JPG", "MOV", "part", "bak"}[rng.IntN(5)])
			writeFile(t, root, path.Join(d, name), []byte(strings.Repeat("x", rng.IntN(300))), mt.Add(time.Duration(rng.IntN(1e6))*time.Second))
		}
		switch i % 17 {
		case 3:
			writeFile(t, root, path.Join(d, "@eaDir", "IMG_0001.HEIC", "SYNOPHOTO_THUMB_XL.jpg"), []byte("thumb"), mt)
			writeFile(t, root, path.Join(d, ".DS_Store"), []byte("junk"), mt)
		case 5:
			writeFile(t, root, path.Join(d, "skipped-by-pattern", "IMG_9999.JPG"), []byte("x"), mt)
		case 7:
			if d != "" {
				denied = append(denied, filepath.Join(root, filepath.FromSlash(d)))
			}
		case 11:
			abs := filepath.Join(root, filepath.FromSlash(d))
			if err := os.MkdirAll(abs, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("IMG_0000.JPG", filepath.Join(abs, "link.jpg")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("nowhere.jpg", filepath.Join(abs, "dangling.jpg")); err != nil {
				t.Fatal(err)
			}
			if err := mkfifo(filepath.Join(abs, "pipe")); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	age(t, root)
	return denied
}

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }

// TestParallelWalkMatchesSequential: the bounded parallel walk (getdents
// types, fstatat of regular files only) finds exactly what a plain
// sequential walk finds, with the same errors, on generated trees with
// unreadable and ignored directories; and again on a full rescan.
func TestParallelWalkMatchesSequential(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			root := t.TempDir()
			denied := generateWalkTree(t, root, seed)
			deny := map[string]bool{}
			for _, d := range denied {
				deny[d] = true
			}
			ix := openIndex(t, NewMemKV(), root, Options{Ignore: []string{"*.bak", "skipped-by-*"}})
			ix.openDir = func(p string) (*os.File, error) {
				if deny[p] {
					return nil, &os.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
				}
				return os.Open(p)
			}
			want, wantErrs := referenceWalk(t, root, ix.ign, deny)
			// a cold scan, a warm rescan (the unchanged directories taken
			// over from the first), and a full one
			for pass, full := range []bool{false, false, true} {
				res := scan(t, ix, full)
				var errs []string
				for _, e := range res.Errors {
					errs = append(errs, e.Op+" "+e.Path)
				}
				slices.Sort(errs)
				wantErrs := wantErrs
				if pass == 1 {
					// only the unreadable directories are listed again
					wantErrs = slices.DeleteFunc(slices.Clone(wantErrs), func(e string) bool { return !strings.HasPrefix(e, "list ") })
				}
				if diff := cmp.Diff(wantErrs, errs); diff != "" {
					t.Errorf("full=%v: errors (-sequential +parallel):\n%s", full, diff)
				}
				if diff := cmp.Diff(want, walked(t, ix), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("full=%v: directories (-sequential +parallel):\n%s", full, diff)
				}
				files := 0
				for _, d := range want {
					files += len(d.Files)
				}
				if res.Files != files || res.Dirs != len(want) {
					t.Errorf("full=%v: Files=%d Dirs=%d, want %d and %d", full, res.Files, res.Dirs, files, len(want))
				}
				if len(denied) == 0 || files < 500 {
					t.Fatalf("the generated tree is too small to test anything: %d files, %d unreadable dirs", files, len(denied))
				}
			}
		})
	}
}
