package localindex

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/evanoberholster/imagemeta"
	"github.com/evanoberholster/imagemeta/exif2"
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

// ReadCapture reads the capture time from the headers of the file at path,
// looking at no more than maxBytes of it. It returns an error when the
// headers hold no usable time; callers fall back to the mtime.
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
	size := min(fi.Size(), maxBytes)
	return decodeCapture(io.NewSectionReader(f, 0, size), size)
}

var (
	errNoTime      = errors.New("no capture time in the headers")
	errUnsupported = errors.New("file type has no supported capture-time header")
)

// decodeCapture sniffs the format and reads the capture time. r is bounded:
// nothing beyond size is read.
func decodeCapture(r io.ReaderAt, size int64) (Capture, error) {
	var head [16]byte
	n, _ := r.ReadAt(head[:], 0)
	h := head[:n]
	switch {
	case bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF}):
		return exifCapture(io.NewSectionReader(r, 0, min(size, 1<<20)), imagemeta.DecodeJPEG)
	case bytes.HasPrefix(h, pngSignature):
		return pngCapture(r, size)
	case bytes.HasPrefix(h, []byte("II*\x00")) || bytes.HasPrefix(h, []byte("MM\x00*")):
		return exifCapture(io.NewSectionReader(r, 0, size), imagemeta.DecodeTiff)
	case n >= 12 && isBMFF(h):
		return bmffCapture(r, size, h)
	}
	return Capture{}, errUnsupported
}

// exifCapture runs an imagemeta decoder, turning its panics into errors: a
// hostile file must not take the agent down.
func exifCapture(r io.ReadSeeker, decode func(io.ReadSeeker) (exif2.Exif, error)) (c Capture, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = Capture{}, fmt.Errorf("EXIF parser failed on a malformed file: %v", p)
		}
	}()
	x, err := decode(r)
	if err != nil && !x.DateTimeOriginal().After(time.Time{}) {
		return Capture{}, fmt.Errorf("read EXIF: %w", err)
	}
	return exifTime(x)
}

// exifTime prefers DateTimeOriginal, then CreateDate (digitized).
func exifTime(x exif2.Exif) (Capture, error) {
	t := x.DateTimeOriginal()
	if !validTime(t) {
		t = x.CreateDate()
	}
	if !validTime(t) {
		return Capture{}, errNoTime
	}
	return captureFromTime(t, t.Location() != time.UTC, SourceEXIF), nil
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
