package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
)

// Folder is the FolderSource of one local import folder, backed by
// localindex. The index is opened on first use and kept in memory between
// cycles, so a warm rescan decodes nothing.
type Folder struct {
	Name    string
	Path    string
	Layout  string
	KV      localindex.KV
	Options localindex.Options
	// Tolerance is the capture-time tolerance of the matcher.
	Tolerance time.Duration
	// FullScanEvery forces a full rescan (which notices files rewritten in
	// place) this often; zero means once a day.
	FullScanEvery time.Duration
	// FullScan makes every scan a full one (verify --no-cache).
	FullScan bool
	Logger   *slog.Logger
	// Renditions: which renditions of edited photos the folder holds
	// (checks.RenditionsOriginal, RenditionsEdited, RenditionsBoth).
	Renditions string

	mu       sync.Mutex
	index    *localindex.Index
	lastFull time.Time
}

// ObserveFolder implements FolderSource.
func (f *Folder) ObserveFolder(ctx context.Context, assets *CloudAssets) (checks.FolderObservation, []checks.Confidence) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fo := checks.FolderObservation{Name: f.Name, Path: f.Path, Layout: f.Layout, RenamesFiles: localindex.RenamesFiles(f.Layout),
		Renditions: f.Renditions}
	ix, err := f.open(ctx)
	if err != nil {
		fo.Health = checks.FolderHealth{Scanned: true, Error: err.Error()}
		return fo, nil
	}
	res, err := ix.Scan(ctx, localindex.ScanOptions{Full: f.fullDue()})
	switch {
	case err != nil && ctx.Err() != nil:
		fo.Health = checks.FolderHealth{Scanned: true, Exists: true, Error: "scan interrupted: " + err.Error()}
		return fo, nil
	case err != nil && f.Logger != nil:
		// The scan itself finished; only saving the index failed. The
		// folder is fine, the data_dir is not: keep the result.
		f.Logger.Error("the folder was scanned but its index could not be saved (is data_dir writable and not full?)",
			"folder", f.Name, "err", err)
	}
	if res.Full {
		f.lastFull = time.Now()
	}
	f.logScan(res)
	fo.Health = folderHealth(res.Health)
	var confs []checks.Confidence
	if fo.Health.Exists {
		if assets != nil {
			fo, confs = f.match(ctx, ix, fo, assets)
		}
		fo.Health.UnreadableHeaders, fo.Health.UnreadableExamples = ix.UnreadableHeaders(10)
	}
	return fo, confs
}

func (f *Folder) open(ctx context.Context) (*localindex.Index, error) {
	if f.index != nil {
		return f.index, nil
	}
	opts := f.Options
	opts.Layout = f.Layout
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

func (f *Folder) fullDue() bool {
	every := f.FullScanEvery
	if every <= 0 {
		every = 24 * time.Hour
	}
	return f.FullScan || (!f.lastFull.IsZero() && time.Since(f.lastFull) >= every)
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

// match runs the matcher over the newest assets and Recently Deleted.
func (f *Folder) match(ctx context.Context, ix *localindex.Index, fo checks.FolderObservation, assets *CloudAssets) (checks.FolderObservation, []checks.Confidence) {
	all := append(append([]localindex.CloudAsset{}, assets.Newest...), assets.Deleted...)
	matches, err := ix.Match(ctx, all, localindex.MatchOptions{Tolerance: f.Tolerance})
	if err != nil && len(matches) != len(all) {
		if f.Logger != nil {
			f.Logger.Warn("matching failed", "folder", f.Name, "err", err)
		}
		return fo, nil
	}
	fo.Matched = true
	for _, m := range matches[:len(assets.Newest)] {
		fo.Matches = append(fo.Matches, checkMatch(m))
	}
	confs := make([]checks.Confidence, len(assets.Deleted))
	for i, m := range matches[len(assets.Newest):] {
		confs[i] = confidence(m.Confidence)
	}
	return fo, confs
}

func checkMatch(m localindex.Match) checks.Match {
	out := checks.Match{AssetID: m.AssetID, Confidence: confidence(m.Confidence)}
	if m.File != nil {
		out.LocalPath = m.File.Path
	}
	if m.LiveVideoMissing {
		out.MissingParts = append(out.MissingParts, checks.PartLiveVideo)
	}
	if m.File == nil && m.Edited != nil {
		// Only the edited rendition is here: found, with the original
		// missing (checks decides what that means for the folder).
		out.Confidence, out.LocalPath = confidence(m.Edited.Confidence), m.Edited.Path
		out.MissingParts = append(out.MissingParts, checks.PartOriginal)
	}
	if m.File != nil && m.EditedMissing {
		out.MissingParts = append(out.MissingParts, checks.PartEdited)
	}
	return out
}

func confidence(c localindex.Confidence) checks.Confidence {
	switch c {
	case localindex.ConfidenceCertain:
		return checks.ConfidenceCertain
	case localindex.ConfidenceLikely:
		return checks.ConfidenceLikely
	case localindex.ConfidencePossible:
		return checks.ConfidencePossible
	}
	return checks.ConfidenceNone
}

func folderHealth(h localindex.FolderHealth) checks.FolderHealth {
	out := checks.FolderHealth{Scanned: true, Exists: h.Exists, Readable: h.Readable, Files: h.Files,
		Newest: h.Newest, Error: h.Reason}
	if h.PreviousFiles > 0 {
		prev := h.PreviousFiles
		out.PreviousFiles = &prev
	}
	return out
}
