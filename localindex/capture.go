package localindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"time"
)

// CaptureSource says where a capture time came from.
type CaptureSource uint8

// Capture sources. SourceMtime means the headers gave no time and the file's
// modification time stands in for it.
const (
	SourceNone      CaptureSource = iota
	SourceEXIF                    // JPEG, HEIC/HEIF, TIFF/DNG/RAW EXIF, PNG eXIf
	SourceQuickTime               // com.apple.quicktime.creationdate (keeps the offset)
	SourceMvhd                    // MOV/MP4 movie header (UTC)
	SourceMtime                   // file modification time
	SourceFilename                // a date and time in the file name (PhotoPrism, Android), headers unreadable
	// SourceUnreadable caches that the headers could not be read within the
	// bounds (ErrHeaderUnreadable): the file has no capture time and is
	// matched by name and size only.
	SourceUnreadable
)

func (s CaptureSource) String() string {
	switch s {
	case SourceEXIF:
		return "exif"
	case SourceQuickTime:
		return "quicktime"
	case SourceMvhd:
		return "mvhd"
	case SourceMtime:
		return "mtime"
	case SourceFilename:
		return "filename"
	case SourceUnreadable:
		return "unreadable"
	}
	return "none"
}

// offsetKnownBit marks fileEntry.capSrc values whose offset is known.
const offsetKnownBit = 0x80

// Capture is a capture time. Wall is the local wall clock at capture,
// expressed in UTC fields ("floating"); when OffsetKnown, Wall-Offset is the
// instant. Sources that only know the instant (mvhd, mtime) set Offset 0.
type Capture struct {
	Wall        time.Time
	Offset      time.Duration
	OffsetKnown bool
	Source      CaptureSource
}

// Instant returns the capture instant; meaningful only when OffsetKnown.
func (c Capture) Instant() time.Time { return c.Wall.Add(-c.Offset) }

// capture decodes the cached capture time of f; ok is false when its headers
// were not read yet.
func (f *fileEntry) capture() (Capture, bool) {
	if f.capSrc == 0 {
		return Capture{}, false
	}
	return Capture{
		Wall:        time.Unix(f.capWall, 0).UTC(),
		Offset:      time.Duration(f.capOff) * time.Second,
		OffsetKnown: f.capSrc&offsetKnownBit != 0,
		Source:      CaptureSource(f.capSrc &^ offsetKnownBit),
	}, true
}

// setCapture caches c in f.
func (f *fileEntry) setCapture(c Capture) {
	f.capWall = c.Wall.Unix()
	f.capOff = int32(max(min(c.Offset/time.Second, 86400), -86400)) //nolint:gosec // clamped to a day
	f.capSrc = uint8(c.Source)
	if c.OffsetKnown {
		f.capSrc |= offsetKnownBit
	}
}

// mtimeCapture is the fallback when the headers give no time.
func mtimeCapture(mtimeNS int64) Capture {
	return Capture{Wall: time.Unix(0, mtimeNS).UTC().Truncate(time.Second), OffsetKnown: true, Source: SourceMtime}
}

// fallbackCapture is used when the headers give no time: a time written in
// the name (wall clock), else the mtime.
func fallbackCapture(f *fileEntry) Capture {
	stem, _ := splitExt(f.name)
	if t, ok := nameTime(stem); ok {
		return Capture{Wall: t, Source: SourceFilename}
	}
	return mtimeCapture(f.mtime)
}

// Bounds of one header read. The decoders are bounded by construction (every
// loop advances and is capped); these bound what a file may cost on top.
const (
	// headerTimeLimit stops a header read that takes longer (a NAS that
	// answers slowly). Such a read is not cached: it is tried again next
	// cycle.
	headerTimeLimit = 10 * time.Second
)

// ErrHeaderUnreadable marks files whose headers could not be read within
// the fixed bounds of bytes and time: damaged, truncated (half-written) or
// malformed. The matcher counts such a file as unreadable and matches it by
// name and size only.
var ErrHeaderUnreadable = errors.New("header unreadable")

// errSlowRead marks an unreadable header that may read fine later (an I/O
// error, the time limit): not cached.
var errSlowRead = errors.New("read failed or too slow")

func unreadable(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrHeaderUnreadable}, args...)...)
}

// readFailed wraps an error from a bounded read: the end of the file or of
// the byte budget means a truncated or oversized structure; anything else
// is an I/O error or the time limit, worth another try later.
func readFailed(what string, err error) error {
	switch {
	case errors.Is(err, ErrHeaderUnreadable):
		return err
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return unreadable("%s: the file ends early (truncated or half-written?)", what)
	}
	return fmt.Errorf("%w: %s: %w: %w", ErrHeaderUnreadable, what, errSlowRead, err)
}

// boundedReader is what every decoder reads through: it allows at most
// budget bytes in total and stops after the deadline.
type boundedReader struct {
	r        io.ReaderAt
	budget   int64
	deadline time.Time
}

func (b *boundedReader) ReadAt(p []byte, off int64) (int, error) {
	if int64(len(p)) > b.budget {
		b.budget = 0
		return 0, unreadable("the headers need more than the read limit")
	}
	if !b.deadline.IsZero() && time.Now().After(b.deadline) {
		return 0, fmt.Errorf("%w: reading took longer than %s: %w", ErrHeaderUnreadable, headerTimeLimit, errSlowRead)
	}
	b.budget -= int64(len(p))
	return b.r.ReadAt(p, off)
}

// headerUnreadable records a file whose headers could not be read: cached
// (until the file changes) unless the failure may pass (I/O error, time
// limit), and logged.
func (ix *Index) headerUnreadable(f *fileEntry, rel string, err error) {
	if !errors.Is(err, errSlowRead) {
		f.setCapture(Capture{Wall: time.Unix(0, 0).UTC(), Source: SourceUnreadable})
		ix.dirty = true
	}
	ix.log.Warn("file header unreadable; the file counts as a copy only by name and size",
		"file", rel, "err", err)
}

// UnreadableHeaders returns how many files of the folder have headers that
// could not be read within the bounds, and up to limit of their paths
// (relative, slash-separated, sorted). Only files whose headers the matcher
// needed are known.
func (ix *Index) UnreadableHeaders(limit int) (int, []string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var paths []string
	for _, d := range ix.dirs {
		if d.nUnread == 0 {
			continue // the summary counts them: only such directories are read
		}
		files, err := ix.readFiles(context.Background(), d)
		if err != nil {
			ix.log.Warn("could not list the files with unreadable headers", "dir", d.rel, "err", err)
			continue
		}
		for i := range files {
			if c, ok := files[i].capture(); ok && c.Source == SourceUnreadable {
				paths = append(paths, path.Join(d.rel, files[i].name))
			}
		}
	}
	slices.Sort(paths)
	return len(paths), paths[:min(len(paths), max(limit, 0))]
}

// ReadCapture reads the capture time from the headers of the file at path,
// reading no more than maxBytes of it (seeking over image and video data
// costs nothing) and for no longer than headerTimeLimit. It returns an
// error when the headers hold no usable time (callers fall back to the name
// or the mtime), or one wrapping ErrHeaderUnreadable when they cannot be
// read within those bounds.
func ReadCapture(path string, maxBytes int64) (Capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return Capture{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Capture{}, err
	}
	br := &boundedReader{r: f, budget: maxBytes, deadline: time.Now().Add(headerTimeLimit)}
	return decodeCapture(br, fi.Size())
}

var (
	errNoTime      = errors.New("no capture time in the headers")
	errUnsupported = errors.New("file type has no supported capture-time header")
)

// decodeCapture sniffs the format of the size-byte file r and reads the
// capture time. Callers bound r (boundedReader); the decoders only read
// small header structures and seek over everything else.
func decodeCapture(r io.ReaderAt, size int64) (c Capture, err error) {
	defer func() {
		if p := recover(); p != nil { // a bug, never a hang or a crash of the agent
			c, err = Capture{}, unreadable("header parser failed: %v", p)
		}
	}()
	var head [16]byte
	n, err := r.ReadAt(head[:min(int64(len(head)), max(size, 0))], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Capture{}, readFailed("file start", err)
	}
	h := head[:n]
	switch {
	case bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF}):
		return jpegCapture(r, size)
	case bytes.HasPrefix(h, pngSignature):
		return pngCapture(r, size)
	case bytes.HasPrefix(h, []byte("II*\x00")) || bytes.HasPrefix(h, []byte("MM\x00*")):
		return tiffCapture(r, size)
	case n >= 12 && isBMFF(h):
		return bmffCapture(r, size, h)
	}
	return Capture{}, errUnsupported
}

// tiffCapture reads the dates of a TIFF block (TIFF, DNG, CR2 files, or an
// EXIF payload already in memory).
func tiffCapture(r io.ReaderAt, size int64) (Capture, error) {
	d, err := tiffDates(r, size)
	if err != nil {
		return Capture{}, err
	}
	return d.capture()
}

// captureFromTime converts a time whose Location carries the offset (when
// offsetKnown) or whose UTC fields are the wall clock.
func captureFromTime(t time.Time, offsetKnown bool, src CaptureSource) Capture {
	_, off := t.Zone()
	y, mo, d := t.Date()
	wall := time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	if !offsetKnown {
		off = 0
	}
	return Capture{Wall: wall, Offset: time.Duration(off) * time.Second, OffsetKnown: offsetKnown, Source: src}
}

// validTime rejects zero and absurd dates (cameras with unset clocks).
func validTime(t time.Time) bool {
	return t.Year() >= 1971 && t.Year() <= 2200
}
