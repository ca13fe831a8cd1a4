package localindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ISO base media files (MOV, MP4, HEIC/HEIF, CR3) are walked box by box,
// seeking over payloads, reading only small header boxes into memory.

const (
	maxBoxes       = 4096    // boxes visited per container
	maxSmallBox    = 1 << 20 // keys, ilst, iinf, iloc, mvhd read whole up to this
	quickTimeDate  = "com.apple.quicktime.creationdate"
	secondsTo1970  = 2082844800 // seconds from 1904-01-01 to 1970-01-01
	exifItemMaxLen = maxExifBytes
)

var errBadBox = errors.New("malformed box structure")

var heifBrands = []string{"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"}

// isBMFF recognises an ftyp box or a classic QuickTime first atom.
func isBMFF(h []byte) bool {
	switch string(h[4:8]) {
	case "ftyp", "moov", "mdat", "wide", "free", "skip", "pnot":
		return true
	}
	return false
}

type box struct {
	typ        string
	start, end int64 // whole box
	data       int64 // payload start
}

// eachBox calls fn for every box in [start, end) until fn returns true.
func eachBox(r io.ReaderAt, start, end int64, fn func(b box) bool) error {
	var hdr [16]byte
	for i := 0; i < maxBoxes && start+8 <= end; i++ {
		if _, err := r.ReadAt(hdr[:8], start); err != nil {
			return fmt.Errorf("%w: %w", errBadBox, err)
		}
		b := box{typ: string(hdr[4:8]), start: start, data: start + 8}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch size {
		case 0:
			size = end - start
		case 1:
			if _, err := r.ReadAt(hdr[8:16], start+8); err != nil {
				return fmt.Errorf("%w: %w", errBadBox, err)
			}
			large := binary.BigEndian.Uint64(hdr[8:16])
			if large > 1<<62 {
				return errBadBox
			}
			size, b.data = int64(large), start+16
		}
		if size < b.data-start || size > end-start {
			return errBadBox
		}
		b.end = start + size
		if fn(b) {
			return nil
		}
		start = b.end
	}
	return nil
}

// find returns the first child box of the given type.
func find(r io.ReaderAt, start, end int64, typ string) (box, bool) {
	b, ok, _ := findBox(r, start, end, typ)
	return b, ok
}

// findBox is find that also says whether the walk met a broken box before
// the one sought.
func findBox(r io.ReaderAt, start, end int64, typ string) (box, bool, error) {
	var found box
	ok := false
	err := eachBox(r, start, end, func(b box) bool {
		if b.typ == typ {
			found, ok = b, true
		}
		return ok
	})
	return found, ok, err
}

// brokenBoxes turns a failed box walk into an unreadable-header error.
func brokenBoxes(what string, err error) error {
	if errors.Is(err, errSlowRead) {
		return readFailed(what, err)
	}
	return unreadable("%s: the boxes cannot be followed (truncated or half-written?): %v", what, err)
}

// payload reads a small box's payload.
func payload(r io.ReaderAt, b box) ([]byte, error) {
	n := b.end - b.data
	if n > maxSmallBox {
		return nil, errBadBox
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, b.data); err != nil {
		return nil, errBadBox
	}
	return buf, nil
}

// bmffCapture dispatches on the major brand.
func bmffCapture(r io.ReaderAt, size int64, head []byte) (Capture, error) {
	if string(head[4:8]) == "ftyp" {
		brand := string(head[8:12])
		switch {
		case brand == "crx ":
			return cr3Capture(r, size)
		case containsBrand(heifBrands, brand):
			return heifCapture(r, size)
		}
	}
	return movieCapture(r, size)
}

func containsBrand(list []string, b string) bool {
	for _, x := range list {
		if x == b {
			return true
		}
	}
	return false
}

// movieCapture reads moov/meta keys+ilst for the Apple creation date (it
// keeps the local offset), falling back to the mvhd creation time (UTC).
func movieCapture(r io.ReaderAt, size int64) (Capture, error) {
	moov, ok, err := findBox(r, 0, size, "moov")
	switch {
	case !ok && err != nil:
		return Capture{}, brokenBoxes("movie", err)
	case !ok:
		return Capture{}, errNoTime
	}
	if meta, ok := find(r, moov.data, moov.end, "meta"); ok {
		if c, err := appleCreationDate(r, meta); err == nil {
			return c, nil
		}
	}
	mvhd, ok := find(r, moov.data, moov.end, "mvhd")
	if !ok {
		return Capture{}, errNoTime
	}
	return mvhdTime(r, mvhd)
}

// metaChildren returns where the children of a meta box start: QuickTime's
// meta has none of the ISO FullBox version/flags.
func metaChildren(r io.ReaderAt, meta box) int64 {
	var t [4]byte
	if _, err := r.ReadAt(t[:], meta.data+4); err == nil && string(t[:]) == "hdlr" {
		return meta.data
	}
	return meta.data + 4
}

// appleCreationDate looks up com.apple.quicktime.creationdate.
func appleCreationDate(r io.ReaderAt, meta box) (Capture, error) {
	start := metaChildren(r, meta)
	keysBox, ok1 := find(r, start, meta.end, "keys")
	ilstBox, ok2 := find(r, start, meta.end, "ilst")
	if !ok1 || !ok2 {
		return Capture{}, errNoTime
	}
	keys, err := payload(r, keysBox)
	if err != nil {
		return Capture{}, err
	}
	idx := keyIndex(keys, quickTimeDate)
	if idx == 0 {
		return Capture{}, errNoTime
	}
	val, err := ilstValue(r, ilstBox, idx)
	if err != nil {
		return Capture{}, err
	}
	return parseQuickTimeDate(val)
}

// keyIndex returns the 1-based index of name in a keys payload, 0 if absent.
func keyIndex(p []byte, name string) uint32 {
	if len(p) < 8 {
		return 0
	}
	n := binary.BigEndian.Uint32(p[4:8])
	p = p[8:]
	for i := uint32(1); i <= n && len(p) >= 8; i++ {
		sz := binary.BigEndian.Uint32(p[:4])
		if sz < 8 || uint64(sz) > uint64(len(p)) {
			return 0
		}
		if string(p[8:sz]) == name {
			return i
		}
		p = p[sz:]
	}
	return 0
}

// ilstValue returns the value of the data box of item idx.
func ilstValue(r io.ReaderAt, ilst box, idx uint32) ([]byte, error) {
	var tag [4]byte
	binary.BigEndian.PutUint32(tag[:], idx)
	item, ok := find(r, ilst.data, ilst.end, string(tag[:]))
	if !ok {
		return nil, errNoTime
	}
	data, ok := find(r, item.data, item.end, "data")
	if !ok {
		return nil, errNoTime
	}
	p, err := payload(r, data)
	if err != nil || len(p) < 8 {
		return nil, errNoTime
	}
	return p[8:], nil // skip type indicator and locale
}

// parseQuickTimeDate parses ISO 8601 as Apple writes it (offset with or
// without a colon).
func parseQuickTimeDate(v []byte) (Capture, error) {
	s := strings.TrimRight(string(v), "\x00 ")
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05Z"} {
		if t, err := time.Parse(layout, s); err == nil && validTime(t) {
			return captureFromTime(t, true, SourceQuickTime), nil
		}
	}
	return Capture{}, errNoTime
}

// mvhdTime reads the movie header creation time (seconds since 1904, UTC).
func mvhdTime(r io.ReaderAt, mvhd box) (Capture, error) {
	var b [12]byte
	if _, err := r.ReadAt(b[:], mvhd.data); err != nil {
		return Capture{}, errNoTime
	}
	secs := int64(binary.BigEndian.Uint32(b[4:8]))
	if b[0] == 1 {
		secs = int64(binary.BigEndian.Uint64(b[4:12]) & (1<<62 - 1))
	}
	t := time.Unix(secs-secondsTo1970, 0).UTC()
	if secs == 0 || !validTime(t) {
		return Capture{}, errNoTime
	}
	return Capture{Wall: t, OffsetKnown: true, Source: SourceMvhd}, nil
}

// heifCapture finds the Exif item through meta/iinf and meta/iloc and
// decodes only that block. When the boxes cannot be followed it looks for
// an Exif block in the first few megabytes; a well-formed file that lists
// no Exif item has no time.
func heifCapture(r io.ReaderAt, size int64) (Capture, error) {
	exif, err := heifExifItem(r, size)
	switch {
	case err == nil:
		return tiffCapture(bytes.NewReader(exif), int64(len(exif)))
	case errors.Is(err, errSlowRead):
		return Capture{}, err
	case errors.Is(err, errBadBox):
		return scanExif(r, size)
	}
	return Capture{}, err
}

const (
	exifScanBytes = 4 << 20  // how far scanExif looks
	exifScanChunk = 64 << 10 // read at a time
	exifScanTries = 32       // TIFF headers tried at most
)

// scanExif looks for a TIFF header in the first exifScanBytes of the file
// and decodes the first block there that holds a time.
func scanExif(r io.ReaderAt, size int64) (Capture, error) {
	limit := min(size, exifScanBytes)
	buf := make([]byte, exifScanChunk+8)
	tries := 0
	for off := int64(0); off < limit; off += exifScanChunk {
		n := min(int64(len(buf)), size-off)
		if _, err := r.ReadAt(buf[:n], off); err != nil {
			return Capture{}, readFailed("Exif scan", err)
		}
		for i := 0; i < min(int(n), exifScanChunk) && tries < exifScanTries; i++ {
			j := indexTIFF(buf[i:n])
			if j < 0 || i+j >= exifScanChunk {
				break
			}
			i += j
			tries++
			start := off + int64(i)
			end := min(size, start+maxExifBytes)
			if c, err := tiffCapture(io.NewSectionReader(r, start, end-start), end-start); err == nil {
				return c, nil
			} else if errors.Is(err, errSlowRead) {
				return Capture{}, err
			}
		}
	}
	return Capture{}, unreadable("the boxes cannot be followed and no EXIF time is in the first %d bytes", limit)
}

// indexTIFF returns where the first TIFF header starts in b, or -1.
func indexTIFF(b []byte) int {
	i, j := bytes.Index(b, []byte("II*\x00")), bytes.Index(b, []byte("MM\x00*"))
	if i < 0 || (j >= 0 && j < i) {
		return j
	}
	return i
}

// canonUUID is the uuid box of a CR3 holding the CMT1..CMT4 TIFF blocks.
const canonUUID = "\x85\xc0\xb6\x87\x82\x0f\x11\xe0\x81\x11\xf4\xce\x46\x2b\x6a\x48"

// cr3Capture reads a Canon CR3: moov/uuid(Canon) holds CMT1 (IFD0) and
// CMT2 (the Exif IFD), each a TIFF block of its own.
func cr3Capture(r io.ReaderAt, size int64) (Capture, error) {
	moov, ok, err := findBox(r, 0, size, "moov")
	switch {
	case !ok && err != nil:
		return Capture{}, brokenBoxes("CR3", err)
	case !ok:
		return Capture{}, unreadable("CR3 without a moov box")
	}
	var canon box
	found := false
	_ = eachBox(r, moov.data, moov.end, func(b box) bool {
		var id [16]byte
		if b.typ == "uuid" && b.end-b.data >= 16 {
			if _, err := r.ReadAt(id[:], b.data); err == nil && string(id[:]) == canonUUID {
				canon, found = b, true
			}
		}
		return found
	})
	if !found {
		return Capture{}, errNoTime
	}
	var d exifDates
	for _, typ := range []string{"CMT2", "CMT1"} {
		b, ok := find(r, canon.data+16, canon.end, typ)
		if !ok {
			continue
		}
		p, err := payload(r, b)
		if err != nil {
			return Capture{}, brokenBoxes("CR3 "+typ, err)
		}
		got, err := tiffDates(bytes.NewReader(p), int64(len(p)))
		switch {
		case errors.Is(err, errNoTime):
			continue
		case err != nil:
			return Capture{}, err
		}
		d = mergeDates(d, got)
	}
	return d.capture()
}

// mergeDates fills the empty fields of a from b.
func mergeDates(a, b exifDates) exifDates {
	for _, f := range []struct{ dst, src *string }{
		{&a.original, &b.original}, {&a.digitized, &b.digitized},
		{&a.offsetOriginal, &b.offsetOriginal}, {&a.offsetDigitized, &b.offsetDigitized},
	} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	return a
}
