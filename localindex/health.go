package localindex

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"
)

// updateHealth computes the folder health after a scan and moves the
// baseline (files at the last healthy scan) forward when the folder looks
// fine. A folder that looks unmounted keeps the old baseline, so the problem
// stays visible until the files are back.
func (ix *Index) updateHealth(rootInfo fs.FileInfo, rootErr error, res *ScanResult) FolderHealth {
	h := FolderHealth{Folder: ix.root, Files: res.Files, PreviousFiles: ix.state.baseline, ErrorPaths: len(res.Errors)}
	switch {
	case errors.Is(rootErr, fs.ErrNotExist):
		h.Reason = "folder does not exist: is the disk or network share mounted?"
	case rootErr != nil:
		h.Reason = fmt.Sprintf("folder cannot be read (%v): check permissions of the user running icloudmon", rootErr)
	case !rootInfo.IsDir():
		h.Exists = true
		h.Reason = "path is not a directory: point the folder setting at the import directory"
	default:
		h.Exists = true
		h.Readable = !ix.dirs[""].unreadableOrNil()
		if !h.Readable {
			h.Reason = "folder cannot be listed: check permissions of the user running icloudmon"
		}
	}
	h.Empty = h.Exists && h.Files == 0
	ix.judgeMount(&h)
	ix.newest(&h)
	ix.state.lastScan = res.Started.Unix()
	ix.state.lastFiles = h.Files
	if !h.LooksUnmounted && h.Readable && h.Files != ix.state.baseline {
		ix.state.baseline = h.Files
		ix.dirty = true
	}
	ix.health = h
	return h
}

func (d *dirState) unreadableOrNil() bool { return d == nil || d.unreadable }

// judgeMount sets LooksUnmounted: missing, unreadable, empty when it held
// files before, or shrunk by more than ShrinkFraction.
func (ix *Index) judgeMount(h *FolderHealth) {
	prev := ix.state.baseline
	switch {
	case !h.Exists || !h.Readable:
		h.LooksUnmounted = true
	case h.Empty && prev > 0:
		h.LooksUnmounted = true
		h.Reason = fmt.Sprintf("folder is empty but held %d files at the last scan: is the share mounted?", prev)
	case prev > 0 && float64(prev-h.Files) > ix.opts.ShrinkFraction*float64(prev):
		h.LooksUnmounted = true
		h.Reason = fmt.Sprintf("folder shrank from %d to %d files since the last scan: is part of the share unmounted, or were files deleted?", prev, h.Files)
	}
}

// newest finds the newest file by capture time when known, else by mtime.
func (ix *Index) newest(h *FolderHealth) {
	var best int64
	for _, d := range ix.dirs {
		if d.nfiles > 0 && d.newest > best {
			best, h.NewestPath, h.NewestSource = d.newest, path.Join(d.rel, d.newestName), d.newestSrc
		}
	}
	if best != 0 {
		h.Newest = time.Unix(0, best).UTC()
	}
}

// sortTime is the file's capture instant when its headers were read and
// gave one, else its mtime (unix ns).
func (f *fileEntry) sortTime() (int64, CaptureSource) {
	c, ok := f.capture()
	if ok && c.Source != SourceMtime && c.OffsetKnown {
		return c.Instant().UnixNano(), c.Source
	}
	return f.mtime, SourceMtime
}
