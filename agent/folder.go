package agent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/photo"
)

// Folder is the FolderSource of one local import folder, backed by
// localindex. The index is opened on first use and kept in memory between
// cycles, so a warm rescan decodes nothing.
type Folder struct {
	Name string
	Path string
	// Importer, ImporterHint and RenamesFiles are what the folder's layout
	// says about its importer (see checks.FolderObservation);
	// RenamesFiles also tells the matcher (localindex.Options).
	Importer     string
	ImporterHint string
	RenamesFiles bool
	KV           localindex.KV
	Options      localindex.Options
	// Libraries names the libraries whose copies this folder holds
	// (personal, shared, …); empty means every library of the account.
	// Assets of other libraries are not looked for here, so a photo of
	// the Shared Library is never "found" in the personal library's folder.
	Libraries []string
	// Tolerance is the capture-time tolerance of the matcher.
	Tolerance time.Duration
	// FullScanEvery forces a full rescan (which notices files rewritten in
	// place) this often; zero means once a day. The time of the last full
	// scan is kept in KV, so the schedule holds across restarts and one-shot
	// runs; a folder with no record gets a full scan now.
	FullScanEvery time.Duration
	// FullScan makes every scan a full one (verify --no-cache).
	FullScan bool
	Logger   *slog.Logger
	// Renditions: which renditions of edited photos the folder holds
	// (checks.RenditionsOriginal, RenditionsEdited, RenditionsBoth).
	Renditions string
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu       sync.Mutex
	index    *localindex.Index
	lastFull time.Time
	fullRead bool // lastFull was loaded from KV
	readable bool // this cycle's scan found the folder and could list it (the audit matches only then)
	// scanned is the scan made by ScanFolder for the next ObserveFolder.
	scanned *folderScan
}

// folderScan is the outcome of opening and scanning the index.
type folderScan struct {
	ix      *localindex.Index
	openErr error
	res     localindex.ScanResult
	err     error
}

// fullScanNS is the KV namespace of the time of each folder's last full
// scan (key: the folder path).
const fullScanNS = "folder_full_scan"

// ObserveFolder implements FolderSource.
func (f *Folder) ObserveFolder(ctx context.Context, assets *CloudAssets) (checks.FolderObservation, map[string]photo.Confidence) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fo, confs := f.observe(ctx, assets)
	f.readable = fo.Health.Exists && fo.Health.Readable && fo.Health.Error == "" && f.index != nil
	if fo.Health.Exists && f.index != nil {
		fo.Health.UnreadableHeaders, fo.Health.UnreadableExamples = f.index.UnreadableHeaders(10)
	}
	return fo, confs
}

// ScanFolder opens and scans the index now, for the next ObserveFolder to
// match against (Agent.observe calls it while it reads iCloud; verify
// before, while it builds the rest). A scan that no ObserveFolder used yet
// is kept rather than made again.
func (f *Folder) ScanFolder(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.scanned == nil {
		f.scanned = f.openScan(ctx)
	}
}

// openScan opens the index (once) and scans it; the caller holds f.mu.
func (f *Folder) openScan(ctx context.Context) *folderScan {
	ix, err := f.open(ctx)
	if err != nil {
		return &folderScan{openErr: err}
	}
	res, err := f.scan(ctx, ix, f.fullDue(ctx))
	return &folderScan{ix: ix, res: res, err: err}
}

// observe scans the folder (unless ScanFolder just did) and matches the
// assets; the caller holds f.mu.
func (f *Folder) observe(ctx context.Context, assets *CloudAssets) (checks.FolderObservation, map[string]photo.Confidence) {
	fo := f.observation()
	sc := f.scanned
	f.scanned = nil
	if sc == nil {
		sc = f.openScan(ctx)
	}
	if sc.openErr != nil {
		fo.Health = checks.FolderHealth{Scanned: true, Error: sc.openErr.Error()}
		return fo, nil
	}
	ix, res, err := sc.ix, sc.res, sc.err
	if err != nil && ctx.Err() != nil {
		fo.Health = checks.FolderHealth{Scanned: true, Exists: true, Error: "scan interrupted: " + err.Error()}
		return fo, nil
	}
	fo.Health = folderHealth(res)
	if assets == nil || !fo.Health.Exists {
		return fo, nil
	}
	fo, confs, stale := f.match(ctx, ix, fo, assets)
	if !stale || res.Full {
		return fo, confs
	}
	// A file that stands for one of the newest assets changed or vanished
	// although its directory did not (truncated, rewritten in place): the
	// incremental index is stale there, so scan fully and match again.
	if f.Logger != nil {
		f.Logger.Info("a file matched to a newest photo changed in place; rescanning the folder fully", "folder", f.Name)
	}
	res, err = f.scan(ctx, ix, true)
	if err != nil && ctx.Err() != nil {
		fo.Health = checks.FolderHealth{Scanned: true, Exists: true, Error: "scan interrupted: " + err.Error()}
		return fo, nil
	}
	fo = f.observation()
	fo.Health = folderHealth(res)
	if !fo.Health.Exists {
		return fo, nil
	}
	fo, confs, _ = f.match(ctx, ix, fo, assets)
	return fo, confs
}

// observation is the folder's observation before scanning.
func (f *Folder) observation() checks.FolderObservation {
	return checks.FolderObservation{Name: f.Name, Path: f.Path,
		Importer: f.Importer, ImporterHint: f.ImporterHint, RenamesFiles: f.RenamesFiles,
		Renditions: f.Renditions, Libraries: slices.Clone(f.Libraries)}
}

// holds reports whether the folder holds the library named lib; an
// unnamed library (a caller that does not say) is held by every folder.
func (f *Folder) holds(lib string) bool {
	return len(f.Libraries) == 0 || lib == "" || slices.Contains(f.Libraries, lib)
}

// scan refreshes the index, logs the result and records the time of a
// full scan. An error is returned only when the context ended; a failed
// save of the index is logged (the scan result is still right).
func (f *Folder) scan(ctx context.Context, ix *localindex.Index, full bool) (localindex.ScanResult, error) {
	res, err := ix.Scan(ctx, localindex.ScanOptions{Full: full})
	switch {
	case err != nil && ctx.Err() != nil:
		return res, err
	case err != nil && f.Logger != nil:
		// The scan itself finished; only saving the index failed. The
		// folder is fine, the data_dir is not: keep the result.
		f.Logger.Error("the folder was scanned but its index could not be saved (is data_dir writable and not full?)",
			"folder", f.Name, "err", err)
	}
	// A scan that listed every directory (a full one, or the cold scan of
	// a new index) saw every file as it is now; one of a folder that is
	// missing or unreadable (an unmounted share) saw nothing, so the full
	// scan stays due for when it is back.
	seen := res.Health.Exists && res.Health.Readable
	if seen && (res.Full || (res.DirsUnchanged == 0 && res.DirsListed > 0)) {
		f.recordFull(ctx)
	}
	f.logScan(res)
	return res, nil
}

func (f *Folder) open(ctx context.Context) (*localindex.Index, error) {
	if f.index != nil {
		return f.index, nil
	}
	opts := f.Options
	opts.RenamesFiles = f.RenamesFiles
	opts.StatAhead = true // openScan scans right after opening
	if opts.Logger == nil {
		opts.Logger = f.Logger
	}
	ix, err := localindex.Open(ctx, f.KV, f.Path, opts)
	if err != nil {
		return nil, err
	}
	f.index = ix
	return ix, nil
}

// fullDue reports whether this scan must be a full one: always under
// FullScan, when no full scan is on record (a new index, or one made by a
// version that did not record it), and once FullScanEvery has passed since
// the last one, as recorded in KV.
func (f *Folder) fullDue(ctx context.Context) bool {
	every := f.FullScanEvery
	if every <= 0 {
		every = 24 * time.Hour
	}
	if !f.fullRead {
		f.fullRead = true
		f.lastFull = f.loadFull(ctx)
	}
	return f.FullScan || f.lastFull.IsZero() || f.now().Sub(f.lastFull) >= every
}

func (f *Folder) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// loadFull reads the time of the last full scan; zero when there is none
// or it cannot be read (a full scan is then due: it costs time, not
// correctness).
func (f *Folder) loadFull(ctx context.Context) time.Time {
	if f.KV == nil {
		return time.Time{}
	}
	b, ok, err := f.KV.Get(ctx, fullScanNS, f.Path)
	if err != nil || !ok {
		return time.Time{}
	}
	var t time.Time
	if t.UnmarshalText(b) != nil {
		return time.Time{}
	}
	return t
}

// recordFull remembers a full scan in memory and in KV.
func (f *Folder) recordFull(ctx context.Context) {
	at := f.now()
	f.lastFull, f.fullRead = at, true
	if f.KV == nil {
		return
	}
	b, _ := at.UTC().MarshalText()
	if err := f.KV.Put(ctx, fullScanNS, f.Path, b); err != nil && f.Logger != nil {
		f.Logger.Warn("could not record the full scan; the next run scans fully again", "folder", f.Name, "err", err)
	}
}

func (f *Folder) logScan(res localindex.ScanResult) {
	if f.Logger == nil {
		return
	}
	f.Logger.Debug("folder scanned", "folder", f.Name, "files", res.Files, "dirs_listed", res.DirsListed,
		"dirs_unchanged", res.DirsUnchanged, "added", res.FilesAdded, "removed", res.FilesRemoved,
		"errors", len(res.Errors), "duration", res.Duration)
	for i, e := range res.Errors {
		if i == 5 {
			f.Logger.Warn("more unreadable paths not shown", "folder", f.Name, "count", len(res.Errors)-i)
			break
		}
		f.Logger.Warn("unreadable path in folder", "folder", f.Name, "err", e.Error())
	}
}

// match runs the matcher over the newest assets and Recently Deleted items
// of the libraries the folder holds. confs holds, by asset ID, the
// confidence for each Recently Deleted item looked for. stale is true when
// a file matched to one of the newest assets is no longer what the index
// says (see changedOnDisk).
func (f *Folder) match(ctx context.Context, ix *localindex.Index, fo checks.FolderObservation, assets *CloudAssets) (_ checks.FolderObservation, confs map[string]photo.Confidence, stale bool) {
	var all []photo.Asset
	for _, a := range assets.Newest {
		if f.holds(assetLibrary(a)) {
			all = append(all, a)
		}
	}
	newest := len(all)
	for _, a := range assets.Deleted {
		if f.holds(assetLibrary(a)) {
			all = append(all, a)
		}
	}
	matches, err := ix.Match(ctx, all, localindex.MatchOptions{Tolerance: f.Tolerance})
	if err != nil && len(matches) != len(all) {
		if f.Logger != nil {
			f.Logger.Warn("matching failed", "folder", f.Name, "err", err)
		}
		return fo, nil, false
	}
	fo.Matched = true
	for _, m := range matches[:newest] {
		fo.Matches = append(fo.Matches, m.Verdict())
		stale = stale || f.changedOnDisk(m)
	}
	confs = make(map[string]photo.Confidence, len(matches)-newest)
	for _, m := range matches[newest:] {
		confs[m.AssetID] = m.Confidence
	}
	return fo, confs, stale
}

// changedOnDisk stats the files matched to one asset (at most three: the
// original, the Live Photo video and the edit) and reports whether one is
// gone or differs in size or mtime from the index. The incremental scan
// trusts directory mtimes, which do not change when a file is truncated
// or rewritten in place; this costs a few hundred stats a cycle.
func (f *Folder) changedOnDisk(m localindex.Match) bool {
	for _, fm := range []*localindex.FileMatch{m.File, m.LiveVideo, m.Edited} {
		if fm == nil {
			continue
		}
		fi, err := os.Stat(filepath.Join(f.Path, filepath.FromSlash(fm.Path)))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != fm.Size || !fi.ModTime().Equal(fm.ModTime) {
			return true
		}
	}
	return false
}

func folderHealth(res localindex.ScanResult) checks.FolderHealth {
	h := res.Health
	out := checks.FolderHealth{Scanned: true, Exists: h.Exists, Readable: h.Readable, Files: h.Files,
		Newest: h.Newest, Error: h.Reason, Unreadable: unreadableDirs(res.Errors)}
	if h.PreviousFiles > 0 {
		prev := h.PreviousFiles
		out.PreviousFiles = &prev
	}
	return out
}

// maxUnreadable bounds the unreadable sub-directories passed on.
const maxUnreadable = 100

// unreadableDirs lists the sub-directories a scan could not list (the
// root itself is Readable false instead). Their files are not in the
// index, so the folder check names them.
func unreadableDirs(errs []localindex.PathError) []string {
	var out []string
	for _, e := range errs {
		if e.Op != "list" || e.Path == "." || e.Path == "" || len(out) == maxUnreadable {
			continue
		}
		out = append(out, e.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
