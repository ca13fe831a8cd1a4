package localindex

import (
	"path"
	"slices"
	"time"
)

// fileRef points at one file of the index.
type fileRef struct {
	d *dirState
	i int32
}

func (r fileRef) f() *fileEntry { return &r.d.files[r.i] }

func (r fileRef) rel() string { return path.Join(r.d.rel, r.d.files[r.i].name) }

// lookup holds the matcher's maps, built for each Match call from the files
// the call may use (candidates.go): by name key (hashed, with postings in flat slices to keep 200 000
// files cheap), by folder date, by time written in the name, by cached capture
// second, and all files ordered by mtime.
type lookup struct {
	refs    []fileRef
	head    map[uint32]int32 // key hash (keyHash) → first posting
	post    []posting
	byMtime []int32
	byDay   map[int32][]int32
	byName  map[int64][]int32 // name-encoded wall clock second
	capWall map[int64][]int32 // cached capture, wall clock only
	capInst map[int64][]int32 // cached capture instant (headers, not mtime)
}

type posting struct{ file, next int32 }

// buildLookup files the candidates of one Match call, using the name keys
// and times saved with them (nameInfo) instead of parsing every name again.
func buildLookup(c *candidates) *lookup {
	l := &lookup{head: map[uint32]int32{}, byDay: map[int32][]int32{},
		byName: map[int64][]int32{}, capWall: map[int64][]int32{}, capInst: map[int64][]int32{}}
	// In path order, so that ties between files go the same way in every
	// run (map order made them random before issue 25).
	rels := make([]string, 0, len(c.dirs))
	for rel := range c.dirs {
		rels = append(rels, rel)
	}
	slices.Sort(rels)
	n := 0
	for _, d := range c.dirs {
		n += len(d.files)
	}
	l.refs = make([]fileRef, 0, n)
	l.post = make([]posting, 0, len(c.keys))
	for _, rel := range rels {
		d := c.dirs[rel]
		day, hasDay := dirDay(d.rel)
		info := c.info[rel]
		for i := range d.files {
			id := int32(len(l.refs)) //nolint:gosec // an index holds far fewer than 2^31 files
			l.refs = append(l.refs, fileRef{d: d, i: int32(i)})
			l.addFile(id, &d.files[i], &info[i])
			if hasDay {
				l.byDay[day] = append(l.byDay[day], id)
			}
		}
	}
	l.byMtime = make([]int32, len(l.refs))
	for i := range l.byMtime {
		l.byMtime[i] = int32(i)
	}
	slices.SortFunc(l.byMtime, func(a, b int32) int { return cmpInt64(l.refs[a].f().mtime, l.refs[b].f().mtime) })
	return l
}

func (l *lookup) addFile(id int32, f *fileEntry, ni *nameInfo) {
	if !ni.known {
		return
	}
	for _, k := range ni.keys {
		l.addKey(k, id)
	}
	if ni.hasTime {
		l.byName[ni.nameTime] = append(l.byName[ni.nameTime], id)
	}
	l.addCapture(id, f)
}

func (l *lookup) addKey(h uint32, id int32) {
	next, ok := l.head[h]
	if !ok {
		next = -1
	}
	l.head[h] = int32(len(l.post)) //nolint:gosec // far fewer than 2^31 keys
	l.post = append(l.post, posting{file: id, next: next})
}

// addCapture files a cached capture time under its second.
func (l *lookup) addCapture(id int32, f *fileEntry) {
	c, ok := f.capture()
	switch {
	case !ok || c.Source == SourceMtime || c.Source == SourceUnreadable:
	case c.OffsetKnown:
		s := c.Instant().Unix()
		l.capInst[s] = append(l.capInst[s], id)
	default:
		s := c.Wall.Unix()
		l.capWall[s] = append(l.capWall[s], id)
	}
}

// byKey returns the files filed under key (possibly with hash collisions;
// callers verify).
func (l *lookup) byKey(key string, out []int32) []int32 {
	p, ok := l.head[keyHash(key)]
	for ok && p >= 0 {
		out = append(out, l.post[p].file)
		p = l.post[p].next
	}
	return out
}

// mtimeRange returns files whose mtime is in [from, to].
func (l *lookup) mtimeRange(from, to time.Time, out []int32) []int32 {
	lo, hi := from.UnixNano(), to.UnixNano()
	i, _ := slices.BinarySearchFunc(l.byMtime, lo, func(id int32, t int64) int { return cmpInt64(l.refs[id].f().mtime, t) })
	for ; i < len(l.byMtime) && l.refs[l.byMtime[i]].f().mtime <= hi; i++ {
		out = append(out, l.byMtime[i])
	}
	return out
}

// seconds appends m[s] for every s within tol of t.
func seconds(m map[int64][]int32, t time.Time, tol time.Duration, out []int32) []int32 {
	c, w := t.Unix(), int64(tol/time.Second)+1
	for s := c - w; s <= c+w; s++ {
		out = append(out, m[s]...)
	}
	return out
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
