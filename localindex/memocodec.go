package localindex

import (
	"bytes"
	"errors"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// The memo's result is saved in a form of its own, not JSON: decoding 150
// results from JSON (field names, RFC 3339 times, reflection) took about
// 3 ms of every repeat verify, on its critical path. saveMatchMemo keeps a
// memo only when it decodes back to exactly the result it saves
// (reflect.DeepEqual), so a field added to Match, FileMatch or Capture that
// this form does not carry means no memo, never a wrong one; a test checks
// that every field of them comes back.

var errMemoForm = errors.New("match result cannot be saved in the memo's form")

// encodeMemo writes sm in the memo's form.
func encodeMemo(sm savedMatch) ([]byte, error) {
	var b bytes.Buffer
	e := &encoder{b: &b}
	e.int(int64(sm.CacheHits))
	e.int(int64(len(sm.Matches)))
	for i := range sm.Matches {
		m := &sm.Matches[i]
		e.str(m.AssetID)
		e.str(string(m.Confidence))
		e.int(bits(m.LiveVideoMissing, m.EditedMissing, m.Incomplete))
		for _, f := range []*FileMatch{m.File, m.LiveVideo, m.Edited} {
			if err := encodeFileMatch(e, f); err != nil {
				return nil, err
			}
		}
	}
	return b.Bytes(), nil
}

func bits(bs ...bool) int64 {
	var v int64
	for i, b := range bs {
		if b {
			v |= 1 << i
		}
	}
	return v
}

func encodeFileMatch(e *encoder, f *FileMatch) error {
	if f == nil {
		e.int(0)
		return nil
	}
	e.int(1)
	e.str(f.Path)
	e.int(f.Size)
	if err := encodeTime(e, f.ModTime); err != nil {
		return err
	}
	e.str(string(f.Confidence))
	e.str(f.Reason)
	if f.Capture == nil {
		e.int(0)
		return nil
	}
	e.int(1)
	c := f.Capture
	if err := encodeTime(e, c.Wall); err != nil {
		return err
	}
	e.int(int64(c.Offset))
	e.int(bits(c.OffsetKnown))
	e.int(int64(c.Source))
	return nil
}

// Locations a saved time may have: those of the index (time.Unix gives
// Local) and UTC. Any other cannot be restored as it was.
const (
	locUTC   = 0
	locLocal = 1
)

func encodeTime(e *encoder, t time.Time) error {
	switch t.Location() {
	case time.UTC:
		e.int(locUTC)
	case time.Local:
		e.int(locLocal)
	default:
		return errMemoForm
	}
	e.int(t.Unix())
	e.int(int64(t.Nanosecond()))
	return nil
}

// decodeMemo reads what encodeMemo wrote.
func decodeMemo(v []byte) (savedMatch, error) {
	d := &decoder{b: v}
	sm := savedMatch{CacheHits: int(d.int())}
	n := d.count()
	if d.err == nil {
		sm.Matches = make([]Match, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		m := &sm.Matches[i]
		m.AssetID = d.str()
		m.Confidence = photo.Confidence(d.str())
		fl := d.int()
		m.LiveVideoMissing, m.EditedMissing, m.Incomplete = fl&1 != 0, fl&2 != 0, fl&4 != 0
		m.File = decodeFileMatch(d)
		m.LiveVideo = decodeFileMatch(d)
		m.Edited = decodeFileMatch(d)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errMemoForm
	}
	return sm, d.err
}

func decodeFileMatch(d *decoder) *FileMatch {
	if d.int() == 0 || d.err != nil {
		return nil
	}
	f := &FileMatch{Path: d.str(), Size: d.int(), ModTime: decodeTime(d)}
	f.Confidence = photo.Confidence(d.str())
	f.Reason = d.str()
	if d.int() == 0 || d.err != nil {
		return f
	}
	f.Capture = &Capture{Wall: decodeTime(d), Offset: time.Duration(d.int())}
	f.Capture.OffsetKnown = d.int()&1 != 0
	f.Capture.Source = CaptureSource(d.int()) //nolint:gosec // a small enum, checked by the round trip at save
	return f
}

func decodeTime(d *decoder) time.Time {
	loc := d.int()
	t := time.Unix(d.int(), d.int())
	switch {
	case loc == locUTC:
		return t.UTC()
	case loc != locLocal && d.err == nil:
		d.err = errMemoForm
	}
	return t
}
