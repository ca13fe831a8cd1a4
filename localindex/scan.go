package localindex

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// racyWindow: a directory listed less than this after its mtime may change
// again within the same timestamp tick, so it is listed again next time.
const racyWindow = 2 * time.Second

// maxDepth stops runaway recursion on systems without inode numbers.
const maxDepth = 128

// ScanOptions select how one scan runs.
type ScanOptions struct {
	// Full lists every directory and stats every file, whatever the
	// directory mtimes say. The incremental scan notices added, removed and
	// renamed files through the directory mtime; a file rewritten in place
	// (same name, directory mtime unchanged) is noticed only by a full scan,
	// so callers run one periodically (e.g. daily).
	Full bool
}

// PathError is a per-path problem met during a scan; it is never fatal.
type PathError struct {
	Path string // relative to the folder root, slash-separated
	Op   string // "list", "stat", "symlink loop", …
	Err  error
}

func (e PathError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err)
}

// ScanResult describes one scan.
type ScanResult struct {
	Folder        string
	Started       time.Time
	Duration      time.Duration
	Full          bool
	Dirs          int      // directories in the index
	Files         int      // files in the index
	DirsListed    int      // directories whose entries were read (new, changed mtime, or Full)
	DirsUnchanged int      // directories not listed because their mtime did not change
	ListedDirs    []string // which directories were listed (relative paths)
	FilesStatted  int      // files stat'ed in listed directories
	FilesAdded    int
	FilesRemoved  int
	FilesChanged  int // size or mtime changed: cached metadata dropped
	Errors        []PathError
	Saved         bool // the index blob was written to the store
	Health        FolderHealth
}

// FolderHealth is what the folder check needs.
type FolderHealth struct {
	Folder         string
	Exists         bool
	Readable       bool
	Files          int
	PreviousFiles  int // files at the last healthy scan (0 on the first)
	Newest         time.Time
	NewestPath     string
	NewestSource   CaptureSource // how Newest was determined (mtime unless headers were read)
	Empty          bool
	LooksUnmounted bool
	Reason         string // why it looks unmounted or unreadable; empty when fine
	ErrorPaths     int    // paths that could not be read in the last scan
}

// walker carries one scan's state.
type walker struct {
	ix       *Index
	ctx      context.Context
	full     bool
	start    time.Time
	old      map[string]*dirState
	new      map[string]*dirState
	visited  map[fileID]bool
	res      *ScanResult
	files    int
	lastProg time.Time
}

// Scan refreshes the index from disk and saves it when something changed.
// Per-path problems are in ScanResult.Errors; the returned error is for a
// cancelled context or a failing store only.
func (ix *Index) Scan(ctx context.Context, so ScanOptions) (ScanResult, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	start := ix.opts.Now()
	res := ScanResult{Folder: ix.root, Started: start, Full: so.Full}
	w := &walker{ix: ix, ctx: ctx, full: so.Full, start: start, old: ix.dirs,
		new: map[string]*dirState{}, visited: map[fileID]bool{}, res: &res}
	rootInfo, rootErr := os.Stat(ix.root)
	if rootErr == nil && rootInfo.IsDir() {
		w.walk("", rootInfo, nil, 0)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("scan of %s interrupted: %w", ix.root, err)
	}
	w.finish()
	res.Health = ix.updateHealth(rootInfo, rootErr, &res)
	res.Duration = time.Since(start)
	w.progress(true)
	res.Saved = ix.dirty
	if err := ix.save(ctx); err != nil {
		res.Saved = false
		return res, err
	}
	return res, nil
}

// walk indexes the directory rel (already stat'ed, symlinks followed) and
// its subdirectories. chain holds the ids of its ancestors.
func (w *walker) walk(rel string, info fs.FileInfo, chain []fileID, depth int) {
	if w.ctx.Err() != nil {
		return
	}
	if id, ok := idOf(info); ok {
		if slices.Contains(chain, id) {
			w.fail(rel, "symlink loop", errors.New("directory links back to one of its parents; skipped"))
			return
		}
		if w.visited[id] {
			return // reached twice through a symlink: index it once
		}
		w.visited[id] = true
		chain = append(chain, id)
	}
	if depth > maxDepth {
		w.fail(rel, "list", errors.New("directory nesting too deep; skipped"))
		return
	}
	d := w.dir(rel, info)
	w.new[rel] = d
	w.files += len(d.files)
	w.progress(false)
	for _, name := range d.subdirs {
		w.descend(path.Join(rel, name), chain, depth)
	}
	for _, name := range d.links {
		w.descend(path.Join(rel, name), chain, depth)
	}
}

// descend stats a subdirectory (following symlinks) and walks it.
func (w *walker) descend(rel string, chain []fileID, depth int) {
	info, err := os.Stat(w.abs(rel))
	if err != nil {
		w.fail(rel, "stat", err)
		return
	}
	if !info.IsDir() {
		return
	}
	w.walk(rel, info, chain, depth+1)
}

// dir returns the directory's entry, listing it only when needed.
func (w *walker) dir(rel string, info fs.FileInfo) *dirState {
	mtime := info.ModTime().UnixNano()
	old := w.old[rel]
	if old != nil && !w.full && !old.racy && !old.unreadable && old.mtime == mtime {
		w.res.DirsUnchanged++
		return old
	}
	d := &dirState{rel: rel, mtime: mtime, racy: w.start.Sub(info.ModTime()) < racyWindow}
	w.list(d, old)
	w.ix.dirty = true
	w.res.DirsListed++
	w.res.ListedDirs = append(w.res.ListedDirs, rel)
	return d
}

// list reads the directory entries into d, reusing unchanged file entries
// (and their cached metadata) from old.
func (w *walker) list(d *dirState, old *dirState) {
	f, err := w.ix.openDir(w.abs(d.rel))
	if err != nil {
		d.unreadable = true
		w.fail(d.rel, "list", err)
		return
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		d.unreadable = true
		w.fail(d.rel, "list", err)
	}
	withStatAt(f, w.abs(d.rel), func(stat statFunc) {
		for _, e := range ents {
			w.entry(d, stat, e)
		}
	})
	slices.SortFunc(d.files, func(a, b fileEntry) int { return strings.Compare(a.name, b.name) })
	slices.Sort(d.subdirs)
	slices.Sort(d.links)
	w.compare(d, old)
}

// entry adds one directory entry to d.
func (w *walker) entry(d *dirState, stat statFunc, e fs.DirEntry) {
	name := e.Name()
	if w.ix.ign.skip(d.rel, name) {
		return
	}
	typ := e.Type()
	if typ.IsDir() {
		d.subdirs = append(d.subdirs, name)
		return
	}
	if typ&fs.ModeSymlink != 0 {
		w.symlink(d, name)
		return
	}
	if !typ.IsRegular() {
		return // devices, sockets, pipes
	}
	size, mtime, err := stat(name)
	w.res.FilesStatted++
	if err != nil {
		w.fail(path.Join(d.rel, name), "stat", err)
		return
	}
	d.files = append(d.files, fileEntry{name: name, size: size, mtime: mtime})
}

// symlink follows a link: a directory becomes a subdirectory, a file a file.
func (w *walker) symlink(d *dirState, name string) {
	rel := path.Join(d.rel, name)
	info, err := os.Stat(w.abs(rel))
	w.res.FilesStatted++
	switch {
	case err != nil:
		w.fail(rel, "follow symlink", err)
	case info.IsDir():
		d.links = append(d.links, name)
	case info.Mode().IsRegular():
		d.files = append(d.files, fileEntry{name: name, size: info.Size(), mtime: info.ModTime().UnixNano()})
	}
}

// compare counts added, changed and removed files and carries cached
// metadata over for files whose size and mtime did not change.
func (w *walker) compare(d, old *dirState) {
	if old == nil {
		w.res.FilesAdded += len(d.files)
		return
	}
	seen := 0
	for i := range d.files {
		f := &d.files[i]
		j, ok := slices.BinarySearchFunc(old.files, f.name, func(e fileEntry, n string) int { return strings.Compare(e.name, n) })
		switch {
		case !ok:
			w.res.FilesAdded++
		case old.files[j].size == f.size && old.files[j].mtime == f.mtime:
			*f = old.files[j]
			seen++
		default:
			w.res.FilesChanged++
			seen++
		}
	}
	w.res.FilesRemoved += len(old.files) - seen
}

// finish accounts for directories that disappeared and installs the result.
func (w *walker) finish() {
	for rel, d := range w.old {
		if _, ok := w.new[rel]; !ok {
			w.res.FilesRemoved += len(d.files)
			w.ix.dirty = true
		}
	}
	w.ix.dirs = w.new
	w.ix.lookup = nil
	w.res.Dirs = len(w.new)
	w.res.Files = w.files
	w.ix.scanned = true
}

func (w *walker) fail(rel, op string, err error) {
	if rel == "" {
		rel = "."
	}
	w.res.Errors = append(w.res.Errors, PathError{Path: rel, Op: op, Err: err})
}

func (w *walker) abs(rel string) string {
	if rel == "" {
		return w.ix.root
	}
	return filepath.Join(w.ix.root, filepath.FromSlash(rel))
}

// progress calls the Progress callback, throttled.
func (w *walker) progress(done bool) {
	cb := w.ix.opts.Progress
	if cb == nil {
		return
	}
	now := time.Now()
	if !done && now.Sub(w.lastProg) < w.ix.opts.ProgressEvery {
		return
	}
	w.lastProg = now
	cb(Progress{Folder: w.ix.root, Dirs: len(w.new), Files: w.files, Listed: w.res.DirsListed,
		Elapsed: now.Sub(w.start), Done: done})
}
