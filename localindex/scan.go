package localindex

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
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
	FilesKept     int // carried over unchanged (not stat'ed, or same size+mtime): cached metadata kept
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

// scanWorkers bounds how many directories are listed at once. Listing is
// syscall-bound (one fstatat per file), so a few workers hide latency on
// network shares and use both cores of a small NAS.
const scanWorkers = 4

// scanBatchFiles is how many files of listed directories a scan keeps in
// memory before it saves their rows (saveBatch): it bounds the memory of a
// cold or full scan at about this many files (a few MB) instead of the
// whole folder.
const scanBatchFiles = 20000

// walker carries one scan's state. Directories are listed by up to
// scanWorkers goroutines; mu guards the shared fields.
type walker struct {
	ix    *Index
	ctx   context.Context
	stop  context.CancelFunc // ends the walk when a batch cannot be saved
	full  bool
	start time.Time
	old   map[string]*dirState
	sem   chan struct{}
	// ahead: the directories of old were stat'ed while they were loaded
	// (statahead.go), on the device aheadDev.
	ahead    bool
	aheadDev uint64
	wg       sync.WaitGroup

	gen      uint32 // marks the directories of old this scan keeps (dirState.seen)
	mu       sync.Mutex
	kept     int                  // directories of old kept as they were (marked)
	delta    map[string]*dirState // the other directories of the new index: listed, or from the stash
	visited  *idSet
	links    []job // symlinked directories, walked after the real tree
	res      *ScanResult
	files    int
	lastProg time.Time
	pending  []*dirState // listed directories not saved yet
	pendFile int         // their files
	saveErr  error       // a batch that could not be saved

	saveMu sync.Mutex     // held while a batch is encoded and written
	saveQ  chan struct{}  // a slot per batch handed to a saving goroutine (saveAhead)
	saves  sync.WaitGroup // those goroutines
}

// saveAhead is how many full batches may wait for the store at once. A
// walker that fills a batch hands it to a goroutine of its own and goes
// on: it may be the one that would spawn the next subdirectories (every
// walker visits inline when the worker slots are full), and a store that
// is slow to write (a busy NAS disk) would otherwise stop those
// subdirectories, and with them most of the walk, for the whole write.
// Only when this many batches are waiting does the walker that fills one
// more wait for a slot, which bounds the memory held by batches.
const saveAhead = 2

// job is one directory to index.
type job struct {
	rel   string
	st    dirStat
	chain *chainLink // ancestors, for loop detection
	depth int
}

// dirStat is what the walk needs of a directory it enters (stat'ed with
// symlinks followed).
type dirStat struct {
	mtime int64 // unix nanoseconds
	id    fileID
	hasID bool // id is known (not on systems without inode numbers)
	isDir bool
}

func dirStatOf(info fs.FileInfo) dirStat {
	id, ok := idOf(info)
	return dirStat{mtime: info.ModTime().UnixNano(), id: id, hasID: ok, isDir: info.IsDir()}
}

// chainLink is one ancestor of a directory being walked; up is its parent.
// A link is made only for a directory whose subdirectories are walked.
type chainLink struct {
	id fileID
	up *chainLink
}

func (c *chainLink) contains(id fileID) bool {
	for ; c != nil; c = c.up {
		if c.id == id {
			return true
		}
	}
	return false
}

// tally is what one directory contributes to the ScanResult.
type tally struct {
	listed, unchanged, statted, added, removed, changed, kept int
	errors                                                    []PathError
}

func (t *tally) fail(rel, op string, err error) {
	if rel == "" {
		rel = "."
	}
	t.errors = append(t.errors, PathError{Path: rel, Op: op, Err: err})
}

// Scan refreshes the index from disk and saves it when something changed.
// Per-path problems are in ScanResult.Errors; the returned error is for a
// cancelled context or a failing store only.
func (ix *Index) Scan(ctx context.Context, so ScanOptions) (ScanResult, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	start := ix.opts.Now()
	res := ScanResult{Folder: ix.root, Started: start, Full: so.Full}
	w := &walker{ix: ix, full: so.Full, start: start, old: ix.dirs, sem: make(chan struct{}, scanWorkers), saveQ: make(chan struct{}, saveAhead),
		delta: map[string]*dirState{}, visited: newIDSet(len(ix.dirs)), res: &res}
	ix.scanGen++
	w.gen = ix.scanGen
	w.ctx, w.stop = context.WithCancel(ctx)
	defer w.stop()
	rootInfo, rootErr := os.Stat(ix.root)
	all := false // nothing changed, as the stats of Open found
	if ix.aheadUse {
		ix.aheadUse = false
		id, ok := fileID{}, false
		if rootErr == nil {
			id, ok = idOf(rootInfo)
		}
		w.ahead = time.Since(ix.aheadAt) < statAheadFresh && (!ok || id.dev == ix.aheadDev)
		w.aheadDev = ix.aheadDev
		all = w.ahead && ix.aheadAll && ix.stash == nil && rootErr == nil && rootInfo.IsDir()
	}
	ix.keptAll = false
	switch {
	case all && w.rootKept(rootInfo):
		w.keepAll()
		ix.keptAll = true
	case rootErr == nil && rootInfo.IsDir():
		w.run(job{st: dirStatOf(rootInfo)})
	}
	if w.saveErr != nil {
		return res, w.saveErr
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("scan of %s interrupted: %w", ix.root, err)
	}
	w.finish()
	res.Health = ix.updateHealth(rootInfo, rootErr, &res)
	ix.keepStash(w.old, res.Health)
	res.Duration = time.Since(start)
	w.progress(true)
	res.Saved = ix.dirty
	if err := ix.save(ctx); err != nil {
		res.Saved = false
		return res, err
	}
	return res, nil
}

// rootKept reports whether a walk would keep the root directory as it is.
func (w *walker) rootKept(root os.FileInfo) bool {
	old := w.old[""]
	return old != nil && keepable(old) && w.unchanged(old, dirStatOf(root).mtime)
}

// keepAll is the walk of a folder in which nothing changed, as the stats
// of Open found them (Index.aheadAll) and the root now: it keeps every
// directory of the old index as a walk would, without visiting them (at
// 11 500 directories that walk took 10 ms of a repeat verify's wall time).
func (w *walker) keepAll() {
	files := 0
	for _, d := range w.old {
		files += d.count()
	}
	w.res.DirsUnchanged, w.res.FilesKept = len(w.old), files
	w.kept, w.files = len(w.old), files
}

// run walks the real tree in parallel, then the symlinked directories one
// by one (so a directory reached both ways is indexed under its real path).
func (w *walker) run(root job) {
	w.wg.Add(1)
	w.visit(root)
	w.wg.Wait()
	for len(w.links) > 0 {
		j := w.links[0]
		w.links = w.links[1:]
		w.wg.Add(1)
		w.visit(j)
		w.wg.Wait()
	}
	w.saves.Wait()
	slices.Sort(w.res.ListedDirs)
}

// visit indexes one directory and schedules its subdirectories: on a new
// goroutine while a worker slot is free, inline otherwise.
func (w *walker) visit(j job) {
	defer w.wg.Done()
	if w.ctx.Err() != nil {
		return
	}
	// A walker spends nearly all its time in short system calls (an
	// fstatat per file), which never pass through the scheduler: after
	// 10 ms on one scheduling tick the runtime's monitor thread takes the
	// P away in the middle of a call and then polls every 20 µs, thousands
	// of wake-ups and thread hand-offs per second of a large scan. One
	// yield per directory (about 0.2 µs) keeps the tick moving.
	runtime.Gosched()
	var t tally
	ok := w.enter(j, &t)
	var d *dirState
	fromOld := false
	if ok {
		d, fromOld = w.dir(j.rel, j.st, &t)
	}
	w.merge(j.rel, d, fromOld, &t)
	if d == nil {
		return
	}
	chain := j.chain
	if j.st.hasID && (len(d.subdirs) > 0 || len(d.links) > 0) {
		chain = &chainLink{id: j.st.id, up: j.chain}
	}
	if len(d.subdirs) > 0 {
		var st tally
		w.subdirs(j, d, chain, &st)
		w.merge("", nil, false, &st)
	}
	var lt tally
	for _, name := range d.links {
		if c := w.child(path.Join(j.rel, name), chain, j.depth, &lt); c != nil {
			w.mu.Lock()
			w.links = append(w.links, *c)
			w.mu.Unlock()
		}
	}
	w.merge("", nil, false, &lt)
}

// pathBuf is the reusable memory of subdirs: the paths of the
// subdirectories it stats, and the unchanged ones it takes over.
type pathBuf struct {
	abs, rel []byte
	leaves   []leaf
}

// leaf is an unchanged directory without subdirectories, stat'ed by its
// parent's walker.
type leaf struct {
	d       *dirState
	st      dirStat
	fromOld bool // d is in walker.old (else in the stash)
}

var pathBufs = sync.Pool{New: func() any { return new(pathBuf) }}

// subdirs stats the subdirectories of d and walks them. Most directories of
// a photo folder are leaves (the day directories of YYYY/MM/DD) and, on a
// warm rescan, unchanged: such a directory is taken over from the last
// scan right here (takeLeaves: all of the parent's under one lock), with
// no job, goroutine, path string or FileInfo of its own; the others are
// visited as jobs. The stat is the same as os.Stat (symlinks followed), of
// a path built in a reused buffer.
func (w *walker) subdirs(j job, d *dirState, chain *chainLink, t *tally) {
	names := d.subdirs
	// A flat folder (thousands of day directories side by side) is
	// stat'ed in runs of subdirSegment, on a free worker when there is one.
	for len(names) > subdirSegment {
		seg := names[:subdirSegment]
		names = names[subdirSegment:]
		select {
		case w.sem <- struct{}{}:
			w.wg.Add(1)
			go func() {
				defer w.wg.Done()
				defer func() { <-w.sem }()
				var st tally
				w.subdirRun(j, d, seg, chain, &st)
				w.merge("", nil, false, &st)
			}()
		default:
			w.subdirRun(j, d, seg, chain, t)
		}
	}
	w.subdirRun(j, d, names, chain, t)
}

// subdirSegment is how many subdirectories of one directory a walker
// stats before it hands the rest to another one.
const subdirSegment = 256

// subdirRun stats the subdirectories names of d and walks them (subdirs).
func (w *walker) subdirRun(j job, d *dirState, names []string, chain *chainLink, t *tally) {
	pb := pathBufs.Get().(*pathBuf)
	defer func() {
		clear(pb.leaves)
		pb.leaves = pb.leaves[:0]
		pathBufs.Put(pb)
	}()
	pb.abs = append(pb.abs[:0], w.abs(d.rel)...)
	if len(pb.abs) == 0 || !os.IsPathSeparator(pb.abs[len(pb.abs)-1]) {
		pb.abs = append(pb.abs, filepath.Separator)
	}
	absLen := len(pb.abs)
	pb.rel = append(pb.rel[:0], d.rel...)
	if d.rel != "" {
		pb.rel = append(pb.rel, '/')
	}
	relLen := len(pb.rel)
	depth := j.depth + 1
	for i, name := range names {
		if i%64 == 63 {
			runtime.Gosched() // see visit: a flat folder has thousands of subdirectories
		}
		pb.rel = append(pb.rel[:relLen], name...)
		old := w.old[string(pb.rel)]
		var st dirStat
		if old != nil && w.ahead && old.ahead != aheadNone {
			st = aheadStat(old, w.aheadDev)
		} else {
			pb.abs = append(append(pb.abs[:absLen], name...), 0)
			var err error
			if st, err = statDir(pb.abs); err != nil {
				t.fail(string(pb.rel), "stat", err)
				continue
			}
			if !st.isDir {
				continue
			}
		}
		fromOld := old != nil
		if old == nil {
			old = w.ix.stash[string(pb.rel)]
		}
		if old != nil && depth <= maxDepth && len(old.subdirs) == 0 && len(old.links) == 0 && w.unchanged(old, st.mtime) {
			pb.leaves = append(pb.leaves, leaf{d: old, st: st, fromOld: fromOld})
			continue
		}
		rel := string(pb.rel)
		if old != nil {
			rel = old.rel // the same path, without a copy
		}
		w.spawn(&job{rel: rel, st: st, chain: chain, depth: depth})
	}
	w.takeLeaves(pb.leaves, chain, t)
}

// takeLeaves does for unchanged leaf directories what visit, enter, dir and
// merge do for any directory. The walkers of a warm rescan spend most of
// their time here, so only the counts (and a leaf from the stash, which
// goes into w.delta) wait for w.mu, once per call: the visited set has
// locks of its own, and a leaf of the old index is marked kept (include)
// by the one walker that reaches its path.
func (w *walker) takeLeaves(leaves []leaf, chain *chainLink, t *tally) {
	if len(leaves) == 0 {
		return
	}
	kept, files := 0, 0
	stash := leaves[:0] // leaves from the stash, in place of those already handled
	for _, l := range leaves {
		if l.st.hasID {
			if chain.contains(l.st.id) {
				t.fail(l.d.rel, "symlink loop", errLoop)
				continue
			}
			if !w.visited.add(l.st.id) {
				continue
			}
		}
		n := l.d.count()
		t.unchanged++
		t.kept += n
		files += n
		if l.fromOld {
			l.d.seen = w.gen
			kept++
		} else {
			stash = append(stash, l)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.kept += kept
	w.files += files
	for _, l := range stash {
		w.include(l.d.rel, l.d, false)
	}
	w.progressLocked(false)
}

func (w *walker) spawn(c *job) {
	if c == nil {
		return
	}
	w.wg.Add(1)
	select {
	case w.sem <- struct{}{}:
		go func() {
			defer func() { <-w.sem }()
			w.visit(*c)
		}()
	default:
		w.visit(*c)
	}
}

var errLoop = errors.New("directory links back to one of its parents; skipped")

// enter checks for loops and directories already indexed through a link.
func (w *walker) enter(j job, t *tally) bool {
	if j.depth > maxDepth {
		t.fail(j.rel, "list", errors.New("directory nesting too deep; skipped"))
		return false
	}
	if !j.st.hasID {
		return true
	}
	if j.chain.contains(j.st.id) {
		t.fail(j.rel, "symlink loop", errLoop)
		return false
	}
	return w.visited.add(j.st.id) // else reached twice through a symlink: index it once
}

// idSet is the set of directories a scan entered, in shards with locks of
// their own: a warm rescan adds every directory of the folder (56 000 at
// 700 000 files) from several walkers at once, which one lock serialised.
type idSet struct {
	mask   uint64 // shards in use - 1: one shard for a small folder
	shards [idShards]struct {
		mu sync.Mutex
		m  map[fileID]struct{}
	}
}

const (
	idShards     = 4    // a power of two
	idShardsFrom = 4096 // directories
)

func newIDSet(size int) *idSet {
	s := &idSet{}
	if size >= idShardsFrom {
		s.mask, size = idShards-1, size/idShards
	}
	for i := range s.mask + 1 {
		s.shards[i].m = make(map[fileID]struct{}, size)
	}
	return s
}

// add adds id and reports whether it was not in the set before.
func (s *idSet) add(id fileID) bool {
	sh := &s.shards[(id.ino^id.dev)&s.mask]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := len(sh.m)
	sh.m[id] = struct{}{}
	return len(sh.m) > n
}

// child stats a subdirectory (following symlinks) into a job.
func (w *walker) child(rel string, chain *chainLink, depth int, t *tally) *job {
	info, err := os.Stat(w.abs(rel))
	if err != nil {
		t.fail(rel, "stat", err)
		return nil
	}
	if !info.IsDir() {
		return nil
	}
	return &job{rel: rel, st: dirStatOf(info), chain: chain, depth: depth + 1}
}

// merge adds one directory's results to the scan. When the listed
// directories not saved yet reach a batch, a goroutine of their own saves
// them (saveAhead), so that this walker and the others go on listing
// meanwhile.
func (w *walker) merge(rel string, d *dirState, fromOld bool, t *tally) {
	if batch := w.mergeLocked(rel, d, fromOld, t); batch != nil {
		w.saveQ <- struct{}{}
		w.saves.Add(1)
		go func() {
			defer func() { <-w.saveQ; w.saves.Done() }()
			w.saveBatch(batch)
		}()
	}
}

func (w *walker) mergeLocked(rel string, d *dirState, fromOld bool, t *tally) []*dirState {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.res
	r.DirsListed += t.listed
	r.DirsUnchanged += t.unchanged
	r.FilesStatted += t.statted
	r.FilesAdded += t.added
	r.FilesRemoved += t.removed
	r.FilesChanged += t.changed
	r.FilesKept += t.kept
	r.Errors = append(r.Errors, t.errors...)
	t.errors = nil
	if d == nil {
		return nil
	}
	if t.listed > 0 {
		r.ListedDirs = append(r.ListedDirs, rel)
		w.ix.dirty = true
	}
	w.include(rel, d, fromOld && t.listed == 0)
	w.files += d.count()
	var batch []*dirState
	if t.listed > 0 {
		w.pending = append(w.pending, d)
		w.pendFile += len(d.files) + 1
		if w.pendFile >= w.ix.batchFiles {
			batch, w.pending, w.pendFile = w.pending, nil, 0
		}
	}
	w.progressLocked(false)
	return batch
}

// saveBatch writes the rows of a batch of listed directories, with the
// folder state of the last completed scan, in one transaction, and drops
// their files from memory. The new folder state is written only by the
// save at the end of the scan, so a process that dies between batches
// leaves an index that loads without a warning: the last completed scan's
// state and directories, some of them as listed by the unfinished scan
// (each one a true listing of that directory). The next scan lists only
// the directories whose mtime differs from their row, so it resumes the
// unfinished one; rows of directories that are gone are deleted by the
// next completed save. Batches are encoded and written one at a time
// (saveMu); no other goroutine touches the directories of a batch until
// it is saved, and the folder state does not change during the walk.
func (w *walker) saveBatch(batch []*dirState) {
	w.saveMu.Lock()
	defer w.saveMu.Unlock()
	w.mu.Lock()
	failed := w.saveErr != nil
	w.mu.Unlock()
	if failed {
		return
	}
	keys := make([]string, 0, len(batch)+len(batch)/8+2)
	vals := make([][]byte, 0, len(batch)+len(batch)/8+2)
	heads := make(map[string][]byte, len(batch))
	for _, d := range batch {
		keys = append(keys, filePrefix+d.rel)
		vals = append(vals, encodeFiles(d))
		heads[d.rel] = encodeHead(d)
	}
	// The summary rows of the batch's directories as saved, with the
	// batch's summaries in them: the other directories of those rows keep
	// what the last save wrote until their own batch or the scan's save.
	sk, sv, starts, err := w.ix.summaryWrites(w.ctx, heads)
	if err == nil {
		keys, vals = append(keys, sk...), append(vals, sv...)
		keys = append(keys, metaKey)
		vals = append(vals, encodeMeta(w.ix.state))
		err = w.ix.kv.WriteRows(w.ctx, w.ix.ns, keys, vals)
		if err != nil {
			err = fmt.Errorf("save index of %s to the store: %w", w.ix.root, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.ix.chunksNonce = nil // the state row may or may not be written
		w.saveErr = err
		w.stop()
		return
	}
	w.ix.wroteChunks(starts, vals[len(vals)-1])
	for _, d := range batch {
		d.changed, d.loaded, d.files = false, false, nil
		w.ix.onDisk[d.rel] = true
	}
	w.ix.gen++ // rows changed under the candidates of the last Match
}

// include puts d into the new index under rel; w.mu is held. A directory of
// the old index kept as it was is only marked: a warm rescan that changes
// nothing keeps the old map instead of building a new one (finish).
func (w *walker) include(rel string, d *dirState, fromOld bool) {
	if fromOld {
		d.seen = w.gen
		w.kept++
		return
	}
	w.delta[rel] = d
}

// dir returns the directory's entry, listing it only when needed; fromOld
// reports an entry of the old index kept as it was.
func (w *walker) dir(rel string, st dirStat, t *tally) (d *dirState, fromOld bool) {
	old := w.old[rel]
	fromOld = old != nil
	if old == nil {
		old = w.ix.stash[rel]
	}
	if w.unchanged(old, st.mtime) {
		t.unchanged++
		t.kept += old.count()
		return old, fromOld
	}
	d = &dirState{rel: rel, mtime: st.mtime, racy: w.start.Sub(time.Unix(0, st.mtime)) < racyWindow, loaded: true, changed: true}
	w.list(d, w.ix.oldFiles(w.ctx, old), t)
	d.summarize()
	t.listed++
	return d, false
}

// unchanged reports whether the directory old, whose mtime is now mtime,
// can be taken over from the last scan without listing it.
func (w *walker) unchanged(old *dirState, mtime int64) bool {
	return old != nil && !w.full && !old.racy && !old.unreadable && old.mtime == mtime
}

// list reads the directory entries into d, reusing unchanged file entries
// (and their cached metadata) from old.
func (w *walker) list(d *dirState, old *dirState, t *tally) {
	f, err := w.ix.openDir(w.abs(d.rel))
	if err != nil {
		d.unreadable = true
		t.fail(d.rel, "list", err)
		return
	}
	err = w.readDir(d, f, t)
	_ = f.Close()
	if err != nil {
		d.unreadable = true
		t.fail(d.rel, "list", err)
	}
	slices.SortFunc(d.files, func(a, b fileEntry) int { return strings.Compare(a.name, b.name) })
	slices.Sort(d.subdirs)
	slices.Sort(d.links)
	compare(d, old, t)
}

// add files a stat'ed entry under d by its type.
func (w *walker) add(d *dirState, name string, st entryStat, t *tally) {
	switch {
	case st.mode.IsDir():
		d.subdirs = append(d.subdirs, name)
	case st.mode&fs.ModeSymlink != 0:
		w.symlink(d, name, t)
	case st.mode.IsRegular():
		t.statted++
		d.files = append(d.files, fileEntry{name: name, size: st.size, mtime: st.mtime})
	}
}

// symlink follows a link: a directory becomes a linked subdirectory, a file
// a file.
func (w *walker) symlink(d *dirState, name string, t *tally) {
	rel := path.Join(d.rel, name)
	info, err := os.Stat(w.abs(rel))
	t.statted++
	switch {
	case err != nil:
		t.fail(rel, "follow symlink", err)
	case info.IsDir():
		d.links = append(d.links, name)
	case info.Mode().IsRegular():
		d.files = append(d.files, fileEntry{name: name, size: info.Size(), mtime: info.ModTime().UnixNano()})
	}
}

// compare counts added, changed and removed files and carries cached
// metadata over for files whose size and mtime did not change.
func compare(d, old *dirState, t *tally) {
	if old == nil {
		t.added += len(d.files)
		return
	}
	seen := 0
	for i := range d.files {
		f := &d.files[i]
		j, ok := slices.BinarySearchFunc(old.files, f.name, func(e fileEntry, n string) int { return strings.Compare(e.name, n) })
		switch {
		case !ok:
			t.added++
		case old.files[j].size == f.size && old.files[j].mtime == f.mtime:
			*f = old.files[j]
			seen++
			t.kept++
		default:
			t.changed++
			seen++
		}
	}
	t.removed += len(old.files) - seen
}

// keepStash: while the folder looks unmounted, the last healthy index is
// kept in memory (and the saved blob is not overwritten), so that when the
// share comes back its directories are recognised as unchanged and the
// cached capture times survive.
func (ix *Index) keepStash(old map[string]*dirState, h FolderHealth) {
	if !h.LooksUnmounted {
		ix.stash = nil
		return
	}
	if ix.stash == nil || len(old) > len(ix.stash) {
		ix.stash = old
	}
	ix.dirty = false
}

// finish accounts for directories that disappeared and installs the result.
func (w *walker) finish() {
	dirs := w.old
	if w.kept != len(w.old) || len(w.delta) > 0 {
		dirs = make(map[string]*dirState, w.kept+len(w.delta))
		for rel, d := range w.old {
			if d.seen == w.gen {
				dirs[rel] = d
			}
		}
		maps.Copy(dirs, w.delta)
		for rel, d := range w.old {
			if _, ok := dirs[rel]; !ok {
				w.res.FilesRemoved += d.count()
				w.ix.dirty = true
			}
		}
	}
	if w.res.DirsListed > 0 || len(dirs) != len(w.old) {
		w.ix.gen++ // the candidates of the last Match are out of date
	}
	w.ix.dirs = dirs
	w.res.Dirs = len(dirs)
	w.res.Files = w.files
	w.ix.scanned = true
}

func (w *walker) abs(rel string) string {
	if rel == "" {
		return w.ix.root
	}
	return filepath.Join(w.ix.root, filepath.FromSlash(rel))
}

// progress calls the Progress callback at the end of a scan.
func (w *walker) progress(done bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.progressLocked(done)
}

// progressLocked calls the Progress callback, throttled; w.mu is held.
func (w *walker) progressLocked(done bool) {
	cb := w.ix.opts.Progress
	if cb == nil {
		return
	}
	now := time.Now()
	if !done && now.Sub(w.lastProg) < w.ix.opts.ProgressEvery {
		return
	}
	w.lastProg = now
	cb(Progress{Folder: w.ix.root, Dirs: w.kept + len(w.delta), Files: w.files, Listed: w.res.DirsListed,
		Elapsed: now.Sub(w.start), Done: done})
}
