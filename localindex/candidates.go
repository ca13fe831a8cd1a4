package localindex

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// wanted describes every file that one Match call can look at, from the
// queries the matcher makes (see timeCands and nameCands): files whose name
// keys equal an asset's keys, whose cached capture second or name time is
// within the tolerance of an asset's, that sit in a folder dated within a
// day of an asset, or whose mtime is within the windows around an asset's
// capture and upload. A lookup built from these files alone answers every
// query of the call exactly as one built from the whole folder.
type wanted struct {
	all   bool // every file (Index.allCandidates)
	keys  map[uint32]struct{}
	secs  map[int64]struct{}
	days  map[int32]struct{}
	spans [][2]int64 // mtime windows, unix ns, sorted and merged
}

func newWanted(assets []photo.Asset, mo MatchOptions) *wanted {
	w := &wanted{keys: map[uint32]struct{}{}, secs: map[int64]struct{}{}, days: map[int32]struct{}{}}
	// the widest tolerance of a query: a Live Photo video's
	tol := int64((mo.Tolerance+2*time.Second)/time.Second) + 1
	for _, a := range assets {
		for _, k := range cloudKeys(a.Filename, a.MasterID) {
			w.keys[keyHash(k)] = struct{}{}
		}
		if a.Taken.IsZero() {
			continue
		}
		wall := wallClock(a)
		for _, c := range []int64{a.Taken.Unix(), wall.Unix()} {
			for s := c - tol; s <= c+tol; s++ {
				w.secs[s] = struct{}{}
			}
		}
		day := dayOf(wall)
		for dd := day - 1; dd <= day+1; dd++ {
			w.days[dd] = struct{}{}
		}
		w.spans = append(w.spans, [2]int64{a.Taken.Add(-36 * time.Hour).UnixNano(), a.Taken.Add(36 * time.Hour).UnixNano()})
		if !a.Added.IsZero() && a.Added.After(a.Taken.Add(36*time.Hour)) {
			w.spans = append(w.spans, [2]int64{a.Added.Add(-time.Hour).UnixNano(), a.Added.Add(30 * 24 * time.Hour).UnixNano()})
		}
	}
	slices.SortFunc(w.spans, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var merged [][2]int64
	for _, s := range w.spans {
		if n := len(merged); n > 0 && s[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], s[1])
			continue
		}
		merged = append(merged, s)
	}
	w.spans = merged
	return w
}

// dir reports whether every file of the directory is wanted (its folder
// date is near an asset's).
func (w *wanted) dir(rel string) bool {
	if w.all {
		return true
	}
	day, ok := dirDay(rel)
	if !ok {
		return false
	}
	_, in := w.days[day]
	return in
}

// file reports whether one file is wanted.
func (w *wanted) file(f *fileEntry, ni *nameInfo) bool {
	for _, k := range ni.keys {
		if _, ok := w.keys[k]; ok {
			return true
		}
	}
	if ni.hasTime {
		if _, ok := w.secs[ni.nameTime]; ok {
			return true
		}
	}
	if c, ok := f.capture(); ok && c.Source != SourceMtime && c.Source != SourceUnreadable {
		s := c.Wall.Unix()
		if c.OffsetKnown {
			s = c.Instant().Unix()
		}
		if _, ok := w.secs[s]; ok {
			return true
		}
	}
	i, _ := slices.BinarySearchFunc(w.spans, f.mtime, func(s [2]int64, t int64) int {
		if s[1] < t {
			return -1
		}
		if s[0] > t {
			return 1
		}
		return 0
	})
	return i < len(w.spans) && w.spans[i][0] <= f.mtime && f.mtime <= w.spans[i][1]
}

// gather streams the saved files of the folder (and the in-memory files of
// directories not saved yet), keeps the wanted ones and files them in a
// lookup (a copy: the matcher sets capture times in it, and writeBack
// copies those into the index).
func (ix *Index) gather(ctx context.Context, w *wanted) (*lookup, error) {
	hint := 4096
	if w.all {
		hint = ix.countFiles()
	}
	b := newLookupBuilder(hint)
	var buf [16]uint32
	for rel, ds := range ix.dirs {
		if !ds.loaded {
			continue
		}
		all := w.dir(rel)
		for i := range ds.files {
			f := &ds.files[i]
			ni := nameInfoOf(f.name, buf[:0])
			if all || w.file(f, &ni) {
				b.add(rel, f, []byte(f.name), &ni)
			}
		}
	}
	var bad []string
	err := ix.kv.EachRow(ctx, ix.ns, filePrefix, func(key string, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := key[len(filePrefix):]
		ds := ix.dirs[rel]
		if ds == nil || ds.loaded {
			return nil // gone, or read from memory above
		}
		all := w.dir(rel)
		r := newFileRow(v)
		var f fileEntry
		for r.next(&f) {
			if all || w.file(&f, &r.ni) {
				b.add(rel, &f, r.name, &r.ni)
			}
		}
		if r.d.err != nil || r.n != 0 {
			bad = append(bad, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	for _, rel := range bad {
		// A damaged row: list the directory again on the next scan.
		ix.log.Warn("saved files of a directory are unreadable; it is listed again on the next scan", "dir", rel)
		ix.dirs[rel].racy = true
	}
	l, err := b.finish() // files in name order, from a row and from memory alike
	if err != nil {
		return nil, fmt.Errorf("match against %s: %w", ix.root, err)
	}
	return l, nil
}

// lastCands are the candidates of the last Match call, with the capture
// times it read: a daemon whose folder did not change and whose newest
// assets are the same matches again without reading the rows.
type lastCands struct {
	gen    uint64
	assets []photo.Asset
	tol    time.Duration
	l      *lookup // with the capture times read since
}

// candidatesFor returns the lookup of the candidates of assets: that of
// the last call when neither the assets nor the directories changed since,
// else read from the rows.
func (ix *Index) candidatesFor(ctx context.Context, assets []photo.Asset, mo MatchOptions) (*lookup, error) {
	if l := ix.last; l != nil && l.gen == ix.gen && l.tol == mo.Tolerance && slices.Equal(l.assets, assets) && !ix.allCandidates {
		l.l.markUnread()
		return l.l, nil
	}
	ix.last = nil
	w := newWanted(assets, mo)
	w.all = ix.allCandidates
	l, err := ix.gather(ctx, w)
	if err != nil {
		return nil, err
	}
	ix.last = &lastCands{gen: ix.gen, assets: slices.Clone(assets), tol: mo.Tolerance, l: l}
	return l, nil
}

// writeBack copies the capture times the matcher read into the index, so
// that they are saved with their directories.
func (ix *Index) writeBack(ctx context.Context, l *lookup) error {
	for _, bl := range l.blocks {
		var ds *dirState
		for id := bl.first; id < bl.first+bl.n; id++ {
			f := &l.files[id]
			if !f.unread() || f.capSrc() == 0 {
				continue
			}
			if ds == nil {
				var err error
				if ds, err = ix.dirFiles(ctx, l.dirs[bl.dir]); err != nil {
					return err
				}
				if ds == nil {
					break
				}
			}
			if e := findFile(ds.files, l.name(id)); e != nil && e.size == f.size && e.mtime == f.mtime {
				e.capSrc, e.capWall, e.capOff = f.capSrc(), f.capWall, f.capOff()
				ds.changed = true
				ix.dirty = true
			}
		}
		if ds != nil && ds.changed {
			ds.summarize()
		}
	}
	return nil
}
