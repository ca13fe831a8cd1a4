package localindex

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure an Index. The zero value is usable.
type Options struct {
	// Ignore adds glob patterns (path.Match syntax, case-insensitive) for
	// entries to skip. A pattern without '/' is matched against the base
	// name; one with '/' against the slash path relative to the folder.
	Ignore []string
	// NoDefaultIgnore turns off DefaultIgnore.
	NoDefaultIgnore bool
	// ShrinkFraction is the fraction of files lost since the last healthy
	// scan that makes the folder look unmounted (config checks.folder_shrink,
	// which configs validates; 0 means the default 0.5).
	ShrinkFraction float64
	// RenamesFiles is set for a folder whose importer gives every file a
	// new name and keeps its bytes (the layout table of configs: immich,
	// photoprism). The matcher applies every naming rule whatever the
	// layout, each verified by size or capture time; here a match by
	// capture time alone also needs the size of one of the asset's
	// renditions.
	RenamesFiles bool
	// Progress, when set, is called during long scans (at most every
	// ProgressEvery) and once at the end. Calls come from the scanning
	// goroutines one at a time; the callback must not call Index methods.
	Progress func(Progress)
	// ProgressEvery throttles Progress; default 500ms.
	ProgressEvery time.Duration
	// MaxHeaderBytes bounds how much of one file metadata reading may look
	// at; default 16 MiB.
	MaxHeaderBytes int64
	// Logger receives warnings (corrupt saved index); nil discards them
	// (design §8).
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// StatAhead stats the saved directories while Open reads them, for a
	// caller that scans right after Open (statahead.go): that first scan
	// then sees each unchanged directory as it was during Open.
	StatAhead bool
}

// Progress reports a running scan.
type Progress struct {
	Folder  string
	Dirs    int // directories visited so far
	Files   int // files indexed so far
	Listed  int // directories listed (not skipped as unchanged)
	Elapsed time.Duration
	Done    bool
}

// Index is the incremental index of one local folder. It keeps a summary of
// every directory in memory between scans (a warm rescan decodes nothing)
// and the files on disk, one row per directory (rows.go); the files of a
// directory are in memory only from its listing to the next save. Methods
// are safe for concurrent use.
type Index struct {
	root string
	ns   string // namespace of the rows
	kv   KV
	opts Options
	ign  *ignorer
	log  *slog.Logger

	mu     sync.Mutex
	dirs   map[string]*dirState
	stash  map[string]*dirState // last healthy index while the folder looks unmounted
	state  persisted
	health FolderHealth
	onDisk map[string]bool // directories with saved rows (with diskRels)
	// diskBlocks (the summaries loadRows read, by their rel) and diskRels
	// are directories with saved rows not yet in onDisk (see fillOnDisk).
	diskBlocks [][]dirState
	diskRels   []string
	// allCandidates makes Match build its lookups from every file, as it
	// did before issue 25 (tests compare the two).
	allCandidates bool
	gen           uint64     // counts scans that changed the directories
	scanGen       uint32     // counts scans (dirState.seen)
	last          *lastCands // the candidates of the last Match call
	dirty         bool       // in-memory state differs from the saved rows
	stats         Stats
	scanned       bool
	openDir       func(string) (*os.File, error) // os.Open; tests inject failures
	batchFiles    int                            // files listed before a scan saves them (scanBatchFiles; tests lower it)
	loadWarn      string
	// chunks are the starts of the summary rows (chunks.go), sorted,
	// chunks[0] == ""; chunksNonce is the nonce of the state row they go
	// with (another process's write changes it: then they are read
	// again). staleChunks, set after an unreadable load, are the keys of
	// summary rows that the next save deletes (it reads none of them).
	chunks      []string
	chunksNonce []byte
	staleChunks []string
	// view is the nonce of the state row this index loaded or last saved
	// (memo.go); nil when it has none. A scan's batches leave it behind
	// until the scan's own save: a view that differs from the saved state
	// row only makes Match read the rows.
	view []byte
	// aheadAt is when loadRows stat'ed the loaded directories
	// (statahead.go) on the device aheadDev; aheadUse is set until the
	// first scan after the load.
	aheadAt  time.Time
	aheadDev uint64
	aheadUse bool
	// aheadAll: those stats found every directory but the root unchanged
	// and keepable; keptAll tells tests that the last scan kept the whole
	// index without a walk.
	aheadAll bool
	keptAll  bool
}

// persisted is the folder-level state saved beside the directory entries.
type persisted struct {
	lastScan  int64 // unix seconds
	lastFiles int   // files in the last scan
	baseline  int   // files in the last scan that did not look unmounted
}

// dirState is one directory of the index.
type dirState struct {
	rel     string      // slash path relative to the root; "" for the root
	mtime   int64       // unix nanoseconds
	subdirs []string    // names
	links   []string    // subdirectories reached through symlinks, walked after subdirs
	files   []fileEntry // sorted by name; only when loaded
	// summary, kept when the files are not loaded
	newest     int64 // sortTime of the newest file, unix ns
	newestName string
	aheadIno   uint64 // the inode stat'ed while loaded (statahead.go)
	nfiles     int32
	nUnread    int32  // files whose headers were unreadable
	seen       uint32 // the scan (Index.scanGen) that last kept this entry as it was
	racy       bool   // listed within racyWindow of its mtime: list again next time
	unreadable bool
	loaded     bool  // files holds the entries (else they are in the saved row)
	changed    bool  // listed or updated since the last save (implies loaded)
	ahead      uint8 // stat'ed unchanged while loaded (statahead.go); aheadIno is its inode
	newestSrc  CaptureSource
	// 152 bytes on 64-bit (the small fields together, the counts in 32
	// bits): a summary stays in memory for every directory, 80 000 at a
	// million files in an icloudpd layout.
}

// fileEntry is one file. The capture fields cache header metadata for this
// exact name+size+mtime: a changed file gets a fresh entry.
type fileEntry struct {
	name    string
	size    int64
	mtime   int64 // unix nanoseconds
	capWall int64 // capture wall clock, unix seconds as if UTC
	capOff  int32 // seconds east of UTC when capSrc&offsetKnown
	capSrc  uint8 // CaptureSource, plus offsetKnown bit; 0 = not read yet
}

// Stats are cumulative counters of one Index.
type Stats struct {
	MetaReads     int // files whose headers were read
	MetaCacheHits int // capture times served from the cache
	MetaFailures  int // headers that gave no time (mtime used instead)
}

// Open returns the index of the folder root, loading what an earlier run
// saved in kv. A corrupt saved index is logged and ignored (the next scan is
// a cold one); only a failing kv is an error.
func Open(ctx context.Context, kv KV, root string, opts Options) (*Index, error) {
	ign, err := newIgnorer(!opts.NoDefaultIgnore, opts.Ignore)
	if err != nil {
		return nil, err
	}
	ix := &Index{root: filepath.Clean(root), kv: kv, opts: opts.withDefaults(), ign: ign}
	ix.ns = rowNamespace(ix.root)
	ix.log = ix.opts.Logger.With("folder", ix.root)
	ix.dirs = map[string]*dirState{}
	ix.onDisk = map[string]bool{}
	ix.openDir = os.Open
	ix.batchFiles = scanBatchFiles
	ix.chunks = []string{""}
	if err := ix.load(ctx); err != nil {
		return nil, err
	}
	return ix, nil
}

func (o Options) withDefaults() Options {
	if o.ShrinkFraction == 0 {
		o.ShrinkFraction = 0.5
	}
	if o.ProgressEvery == 0 {
		o.ProgressEvery = 500 * time.Millisecond
	}
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = 16 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Root returns the folder path.
func (ix *Index) Root() string { return ix.root }

// Stats returns the cumulative metadata counters.
func (ix *Index) Stats() Stats {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.stats
}

// Health returns the folder health computed by the last scan.
func (ix *Index) Health() FolderHealth {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.health
}

// FileCount returns how many files the index holds.
func (ix *Index) FileCount() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.countFiles()
}

func (ix *Index) countFiles() int {
	n := 0
	for _, d := range ix.dirs {
		n += d.count()
	}
	return n
}

// count is how many files the directory holds.
func (d *dirState) count() int {
	if d.loaded {
		return len(d.files)
	}
	return int(d.nfiles)
}
