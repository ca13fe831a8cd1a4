package localindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Format LIX2, the saved index up to issue 25: one blob per folder (namespace
// kvNamespace, key = folder path) holding a magic, the folder state, then
// every directory with its subdirectory names and files (name, size, mtime,
// cached capture time) as varints. It was rewritten whole on any change.
// Open still reads it, to migrate it to the rows of rows.go; the encoder and
// decoder below are shared with the rows.
const indexMagic = "LIX2"

var errTruncated = errors.New("saved index is truncated")

type encoder struct {
	b   *bytes.Buffer
	tmp [binary.MaxVarintLen64]byte
}

func (e *encoder) int(v int64) { e.b.Write(binary.AppendVarint(e.tmp[:0], v)) }

func (e *encoder) str(s string) {
	e.int(int64(len(s)))
	e.b.WriteString(s)
}

func (e *encoder) strs(list []string) {
	e.int(int64(len(list)))
	for _, s := range list {
		e.str(s)
	}
}

// flags are a directory's racy and unreadable bits as both formats
// store them.
func (d *dirState) flags() int64 {
	f := int64(0)
	if d.racy {
		f |= 1
	}
	if d.unreadable {
		f |= 2
	}
	return f
}

func (e *encoder) dir(d *dirState) {
	e.str(d.rel)
	e.int(d.mtime)
	e.int(d.flags())
	e.strs(d.subdirs)
	e.strs(d.links)
	e.int(int64(len(d.files)))
	for i := range d.files {
		f := &d.files[i]
		e.str(f.name)
		e.int(f.size)
		e.int(f.mtime)
		e.b.WriteByte(f.capSrc)
		if f.capSrc != 0 {
			e.int(f.capWall)
			e.int(int64(f.capOff))
		}
	}
}

func decodeIndex(blob []byte) (map[string]*dirState, persisted, error) {
	var st persisted
	if !bytes.HasPrefix(blob, []byte(indexMagic)) {
		return nil, st, fmt.Errorf("saved index has an unknown format (want %s)", indexMagic)
	}
	d := decoder{b: blob[len(indexMagic):]}
	st.lastScan = d.int()
	st.lastFiles = int(d.int())
	st.baseline = int(d.int())
	n := d.count()
	dirs := make(map[string]*dirState, n)
	for i := 0; i < n && d.err == nil; i++ {
		ds := d.dir()
		dirs[ds.rel] = ds
	}
	if d.err != nil {
		return nil, st, d.err
	}
	return dirs, st, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and rejects values the rest of the blob cannot hold.
func (d *decoder) count() int {
	v := d.int()
	if v < 0 || v > int64(len(d.b)) {
		if d.err == nil {
			d.err = errTruncated
		}
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) byte() uint8 {
	if d.err != nil || len(d.b) == 0 {
		d.err = errTruncated
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// strs decodes a list of strings (nil when empty) with one allocation for
// the slice and one for the bytes of all its strings: the summaries hold
// the names of every subdirectory, tens of thousands of short names.
func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 || d.err != nil {
		return nil
	}
	start, total := d.b, 0
	for i := 0; i < n && d.err == nil; i++ {
		l := d.count()
		d.b = d.b[l:]
		total += l
	}
	if d.err != nil {
		return nil
	}
	var sb strings.Builder
	sb.Grow(total)
	lens := decoder{b: start}
	for range n {
		l := lens.count()
		sb.Write(lens.b[:l])
		lens.b = lens.b[l:]
	}
	all, out := sb.String(), make([]string, n)
	lens = decoder{b: start}
	for i, off := 0, 0; i < n; i++ {
		l := lens.count()
		lens.b = lens.b[l:]
		out[i], off = all[off:off+l], off+l
	}
	return out
}

func (d *decoder) dir() *dirState {
	ds := &dirState{rel: d.str(), mtime: d.int()}
	flags := d.int()
	ds.racy, ds.unreadable = flags&1 != 0, flags&2 != 0
	ds.subdirs = d.strs()
	ds.links = d.strs()
	nf := d.count()
	if d.err == nil {
		ds.files = make([]fileEntry, 0, nf)
	}
	for i := 0; i < nf && d.err == nil; i++ {
		f := fileEntry{name: d.str(), size: d.int(), mtime: d.int(), capSrc: d.byte()}
		if f.capSrc != 0 {
			f.capWall, f.capOff = d.int(), int32(max(min(d.int(), 1<<20), -1<<20)) //nolint:gosec // clamped
		}
		ds.files = append(ds.files, f)
	}
	return ds
}
