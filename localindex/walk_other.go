//go:build !linux

package localindex

import (
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
)

// readBatch is how many names are read from a directory at a time, which
// bounds memory on huge flat folders.
const readBatch = 1024

// readDir adds the entries of the open directory f to d. Names are read
// without their types (Readdirnames allocates less than ReadDir), and one
// lstat per entry gives type, size and mtime at once.
func (w *walker) readDir(d *dirState, f *os.File, t *tally) error {
	dir := w.abs(d.rel)
	for {
		names, err := f.Readdirnames(readBatch)
		for _, name := range names {
			w.entry(d, dir, name, t)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// entry adds one directory entry to d, stat'ing it for its type, size and
// mtime.
func (w *walker) entry(d *dirState, dir, name string, t *tally) {
	if w.ix.ign.skip(d.rel, name) {
		return
	}
	fi, err := os.Lstat(filepath.Join(dir, name))
	if err != nil {
		t.fail(path.Join(d.rel, name), "stat", err)
		return
	}
	w.add(d, name, entryStat{size: fi.Size(), mtime: fi.ModTime().UnixNano(), mode: fi.Mode().Type()}, t)
}

// statDir stats the path in abs, which ends with a NUL byte that is not
// part of it, following symlinks.
func statDir(abs []byte) (dirStat, error) {
	info, err := os.Stat(string(abs[:len(abs)-1]))
	if err != nil {
		return dirStat{}, err
	}
	return dirStatOf(info), nil
}
