package localindex

import (
	"cmp"
	"errors"
	"path"
	"slices"
	"time"
)

// lookup holds the files one Match call (or a Session) may use and the
// matcher's indexes over them (candidates.go): by name key, by folder
// date, by time written in the name, by cached capture second, and all
// files ordered by mtime.
//
// A Session holds the lookup of a whole folder (700 000 files in issue 20)
// while a library is compared, so it is kept compact: one flat slice of
// fixed-size records without pointers, the names in a byte arena, and
// every index a sorted slice of (key, file) pairs searched by bisection
// instead of a Go map of slices. Files are numbered in path order
// (directories sorted by path, files in their saved order), and each index
// lists the files of one key in the order the maps of slices did, so ties
// between files go the same way as before.
type lookup struct {
	files   []lfile
	dirs    []string    // directory paths, by fileBlock.dir
	blocks  []fileBlock // runs of files of one directory (one run a directory once built)
	names   []string    // the names in file order, packed in chunks of about 1 MiB
	keys    []keyPost   // sorted by hash, then by file number descending
	keyTags []uint8     // sizeTag of each posting's file, beside keys
	byMtime []int32
	days    []dayRun // sorted by day, then by first file
	byName  secIndex // name-encoded wall clock second
	capWall secIndex // cached capture, wall clock only
	capInst secIndex // cached capture instant (headers, not mtime)
	pending []byte   // while building: the chunk of names being filled
	full    bool     // while building: the arena ran out of chunks
}

// lfile is one file of a lookup: its fileEntry without the name string
// and the directory, 32 bytes. The name is in the arena from name to the
// next file's name (or the end of the chunk); the directory is that of the
// run of files it is in.
type lfile struct {
	size    int64
	mtime   int64 // unix nanoseconds
	capWall int64
	name    uint32 // arena offset: chunk<<nameChunkBits | position
	// capSrc in bits 0-7, unread (no capture time cached when the lookup
	// was built) in bit 8, capOff+capOffBias in bits 9-31
	meta uint32
}

const (
	unreadBit  = 1 << 8
	capOffBias = 1 << 21 // capOff is clamped to ±2^20 s (rows.go)
)

func (f *lfile) capSrc() uint8 { return uint8(f.meta) } //nolint:gosec // the low byte
func (f *lfile) capOff() int32 { return int32(f.meta>>9) - capOffBias }
func (f *lfile) unread() bool  { return f.meta&unreadBit != 0 }

func (f *lfile) setCapture(src uint8, off int32) {
	f.meta = f.meta&unreadBit | uint32(src) | uint32(off+capOffBias)<<9 //nolint:gosec // off is clamped
}

type keyPost struct {
	hash uint32
	file int32
}

type secPost struct {
	sec  int64
	file int32
}

// dayRun: the files first..first+n-1 sit in a folder dated day.
type dayRun struct {
	day, first, n int32
}

type fileBlock struct {
	dir      uint32
	first, n int32
}

// secIndex files ids under unix seconds: a sorted slice built once and the
// few times the matcher reads afterwards in a map, appended in the order
// they were read (as the maps of slices did).
type secIndex struct {
	base  []secPost
	added map[int64][]int32
}

// nameChunkBits: names are packed in chunks of 1 MiB; a longer name (no
// file system has one) would be cut.
const nameChunkBits = 20

// lookupBuilder collects files (in any order of directories) and then
// numbers them in path order.
type lookupBuilder struct {
	l      *lookup
	dirIDs map[string]uint32
	cur    int // block being filled, -1 none
	curRel string
}

func newLookupBuilder(hint int) *lookupBuilder {
	l := &lookup{files: make([]lfile, 0, hint), keys: make([]keyPost, 0, hint)}
	return &lookupBuilder{l: l, dirIDs: map[string]uint32{}, cur: -1}
}

// add files one file of directory rel. Files of a directory come in their
// saved order; a directory seen again later continues its list.
func (b *lookupBuilder) add(rel string, f *fileEntry, name []byte, ni *nameInfo) {
	l := b.l
	if b.cur < 0 || rel != b.curRel {
		b.closeBlock()
		d, ok := b.dirIDs[rel]
		if !ok {
			d = uint32(len(l.dirs)) //nolint:gosec // far fewer than 2^32 directories
			l.dirs = append(l.dirs, rel)
			b.dirIDs[rel] = d
		}
		l.blocks = append(l.blocks, fileBlock{dir: d, first: int32(len(l.files))}) //nolint:gosec // far fewer than 2^31 files
		b.cur, b.curRel = len(l.blocks)-1, rel
	}
	id := int32(len(l.files)) //nolint:gosec // far fewer than 2^31 files
	lf := lfile{size: f.size, mtime: f.mtime, capWall: f.capWall, name: l.addName(name)}
	lf.setCapture(f.capSrc, f.capOff)
	if f.capSrc == 0 {
		lf.meta |= unreadBit
	}
	l.files = append(l.files, lf)
	if ni.known {
		for _, k := range ni.keys {
			l.keys = append(l.keys, keyPost{hash: k, file: id})
		}
		if ni.hasTime {
			l.byName.base = append(l.byName.base, secPost{sec: ni.nameTime, file: id})
		}
		if s, inst, ok := captureSecond(f); ok {
			if inst {
				l.capInst.base = append(l.capInst.base, secPost{sec: s, file: id})
			} else {
				l.capWall.base = append(l.capWall.base, secPost{sec: s, file: id})
			}
		}
	}
}

func (b *lookupBuilder) closeBlock() {
	if b.cur >= 0 {
		bl := &b.l.blocks[b.cur]
		bl.n = int32(len(b.l.files)) - bl.first //nolint:gosec // far fewer than 2^31 files
	}
	b.cur = -1
}

// addName copies a name into the arena, after the names of the files
// before it.
func (l *lookup) addName(name []byte) uint32 {
	n := min(len(name), 1<<nameChunkBits-1)
	if l.pending == nil || len(l.pending)+n >= cap(l.pending) {
		l.flushNames()
		if len(l.names) >= 1<<(32-nameChunkBits) {
			// 4 096 chunks: billions of bytes of names, far beyond any
			// folder; finish reports it
			l.full = true
			return 0
		}
		// a few names (a Match call's candidates) take a small chunk
		size := 64 << 10
		if k := len(l.names); k > 0 {
			size = min(len(l.names[k-1])*2+n+1, 1<<nameChunkBits)
		}
		l.pending = make([]byte, 0, max(size, n+1))
	}
	off := len(l.pending)
	l.pending = append(l.pending, name[:n]...)
	return uint32(len(l.names))<<nameChunkBits | uint32(off) //nolint:gosec // bounded above
}

// flushNames moves the chunk being filled into names.
func (l *lookup) flushNames() {
	if l.pending != nil {
		l.names = append(l.names, string(l.pending))
		l.pending = nil
	}
}

// finish numbers the files in path order and builds the indexes.
func (b *lookupBuilder) finish() (*lookup, error) {
	b.closeBlock()
	l := b.l
	l.flushNames()
	b.dirIDs = nil
	blocks := l.blocks
	sorted := slices.IsSortedFunc(blocks, func(x, y fileBlock) int { return cmp.Compare(l.dirs[x.dir], l.dirs[y.dir]) })
	if !sorted || hasRepeats(blocks) {
		// Memory-held directories came first, in map order: renumber.
		slices.SortStableFunc(blocks, func(x, y fileBlock) int { return cmp.Compare(l.dirs[x.dir], l.dirs[y.dir]) })
		newID := make([]int32, len(l.files))
		files := make([]lfile, 0, len(l.files))
		names := l.names
		l.names = nil
		for _, bl := range blocks {
			for i := bl.first; i < bl.first+bl.n; i++ {
				newID[i] = int32(len(files)) //nolint:gosec // far fewer than 2^31 files
				f := l.files[i]
				f.name = l.addName([]byte(nameIn(names, l.files, i)))
				files = append(files, f)
			}
		}
		l.flushNames()
		l.files = files
		for i := range l.keys {
			l.keys[i].file = newID[l.keys[i].file]
		}
		for _, s := range [][]secPost{l.byName.base, l.capWall.base, l.capInst.base} {
			for i := range s {
				s[i].file = newID[s[i].file]
			}
		}
		first := int32(0)
		merged := blocks[:0]
		for _, bl := range blocks {
			bl.first, first = first, first+bl.n
			if k := len(merged); k > 0 && merged[k-1].dir == bl.dir {
				merged[k-1].n += bl.n
				continue
			}
			merged = append(merged, bl)
		}
		blocks = merged
	}
	l.blocks = slices.Clip(blocks)
	if cap(l.keys) > len(l.keys)+len(l.keys)/8 {
		l.keys = slices.Clone(l.keys) // the hint was too high
	}
	// Name keys: the old map chained each key's files newest first.
	slices.SortFunc(l.keys, func(x, y keyPost) int {
		if x.hash != y.hash {
			return cmp.Compare(x.hash, y.hash)
		}
		return cmp.Compare(int64(y.file), int64(x.file))
	})
	// The size pass reads the tags beside the postings in order rather
	// than every candidate's record at random (match.go bySize).
	l.keyTags = make([]uint8, len(l.keys))
	for i, p := range l.keys {
		l.keyTags[i] = sizeTag(l.files[p.file].size)
	}
	for _, s := range []*[]secPost{&l.byName.base, &l.capWall.base, &l.capInst.base} {
		slices.SortFunc(*s, func(x, y secPost) int {
			if x.sec != y.sec {
				return cmp.Compare(x.sec, y.sec)
			}
			return cmp.Compare(int64(x.file), int64(y.file))
		})
		*s = slices.Clip(*s)
	}
	for _, bl := range blocks {
		if day, ok := dirDay(l.dirs[bl.dir]); ok {
			l.days = append(l.days, dayRun{day: day, first: bl.first, n: bl.n})
		}
	}
	slices.SortFunc(l.days, func(x, y dayRun) int {
		if x.day != y.day {
			return cmp.Compare(int64(x.day), int64(y.day))
		}
		return cmp.Compare(int64(x.first), int64(y.first))
	})
	l.byMtime = make([]int32, len(l.files))
	for i := range l.byMtime {
		l.byMtime[i] = int32(i) //nolint:gosec // far fewer than 2^31 files
	}
	slices.SortFunc(l.byMtime, func(a, b int32) int { return cmp.Compare(l.files[a].mtime, l.files[b].mtime) })
	if l.full {
		return nil, errors.New("the names of the folder's files take more than 4 GiB; match against a smaller folder")
	}
	return l, nil
}

func hasRepeats(blocks []fileBlock) bool {
	for i := 1; i < len(blocks); i++ {
		if blocks[i].dir == blocks[i-1].dir {
			return true
		}
	}
	return false
}

// captureSecond is the second a cached capture time is filed under, and
// whether it is an instant (offset known) or a wall clock.
func captureSecond(f *fileEntry) (int64, bool, bool) {
	c, ok := f.capture()
	switch {
	case !ok || c.Source == SourceMtime || c.Source == SourceUnreadable:
		return 0, false, false
	case c.OffsetKnown:
		return c.Instant().Unix(), true, true
	}
	return c.Wall.Unix(), false, true
}

// name is the file's name (a substring of its arena chunk).
func (l *lookup) name(id int32) string { return nameIn(l.names, l.files, id) }

// nameIn is the name of files[id] in names: it ends where the next file's
// starts, or at the end of the chunk.
func nameIn(names []string, files []lfile, id int32) string {
	f := &files[id]
	chunk := names[f.name>>nameChunkBits]
	from, to := f.name&(1<<nameChunkBits-1), uint32(len(chunk)) //nolint:gosec // a chunk is 1 MiB
	if int(id)+1 < len(files) {
		if next := files[id+1].name; next>>nameChunkBits == f.name>>nameChunkBits {
			to = next & (1<<nameChunkBits - 1)
		}
	}
	return chunk[from:to]
}

// dir is the path of the file's directory.
func (l *lookup) dir(id int32) string {
	i, _ := slices.BinarySearchFunc(l.blocks, id, func(b fileBlock, id int32) int {
		if b.first+b.n <= id {
			return -1
		}
		if b.first > id {
			return 1
		}
		return 0
	})
	return l.dirs[l.blocks[i].dir]
}

// rel is the file's path relative to the folder root.
func (l *lookup) rel(id int32) string { return path.Join(l.dir(id), l.name(id)) }

// entry is the file as a fileEntry (its name shares the arena's bytes).
func (l *lookup) entry(id int32) fileEntry {
	f := &l.files[id]
	return fileEntry{name: l.name(id), size: f.size, mtime: f.mtime, capWall: f.capWall, capOff: f.capOff(), capSrc: f.capSrc()}
}

// setCapture stores the capture fields of e, an entry of id the matcher
// changed.
func (l *lookup) setCapture(id int32, e *fileEntry) {
	f := &l.files[id]
	f.capWall = e.capWall
	f.setCapture(e.capSrc, e.capOff)
}

// addCapture files a cached capture time under its second.
func (l *lookup) addCapture(id int32, f *fileEntry) {
	s, inst, ok := captureSecond(f)
	if !ok {
		return
	}
	x := &l.capWall
	if inst {
		x = &l.capInst
	}
	if x.added == nil {
		x.added = map[int64][]int32{}
	}
	x.added[s] = append(x.added[s], id)
}

// markUnread notes which files have no capture time cached now.
func (l *lookup) markUnread() {
	for i := range l.files {
		if l.files[i].meta &^= unreadBit; l.files[i].capSrc() == 0 {
			l.files[i].meta |= unreadBit
		}
	}
}

// byKey returns the files filed under key (possibly with hash collisions;
// callers verify).
func (l *lookup) byKey(key string, out []int32) []int32 {
	h := keyHash(key)
	i, _ := slices.BinarySearchFunc(l.keys, h, func(p keyPost, h uint32) int { return cmp.Compare(p.hash, h) })
	for ; i < len(l.keys) && l.keys[i].hash == h; i++ {
		out = append(out, l.keys[i].file)
	}
	return out
}

// byKeyTagged is byKey that also appends the size tag of each file.
func (l *lookup) byKeyTagged(key string, out []int32, tags []uint8) ([]int32, []uint8) {
	h := keyHash(key)
	i, _ := slices.BinarySearchFunc(l.keys, h, func(p keyPost, h uint32) int { return cmp.Compare(p.hash, h) })
	for ; i < len(l.keys) && l.keys[i].hash == h; i++ {
		out = append(out, l.keys[i].file)
		tags = append(tags, l.keyTags[i])
	}
	return out, tags
}

// sizeTag is one byte of a file size's hash: files of unequal tags have
// unequal sizes, and of a name's files of other sizes about one in 256
// shares the tag of a size looked for.
func sizeTag(size int64) uint8 {
	return uint8(uint64(size) * 0x9E3779B97F4A7C15 >> 56) //nolint:gosec // the top byte
}

// day appends the files in folders dated d.
func (l *lookup) day(d int32, out []int32) []int32 {
	i, _ := slices.BinarySearchFunc(l.days, d, func(r dayRun, d int32) int { return cmp.Compare(int64(r.day), int64(d)) })
	for ; i < len(l.days) && l.days[i].day == d; i++ {
		for id := l.days[i].first; id < l.days[i].first+l.days[i].n; id++ {
			out = append(out, id)
		}
	}
	return out
}

// mtimeRange returns files whose mtime is in [from, to].
func (l *lookup) mtimeRange(from, to time.Time, out []int32) []int32 {
	lo, hi := from.UnixNano(), to.UnixNano()
	i, _ := slices.BinarySearchFunc(l.byMtime, lo, func(id int32, t int64) int { return cmp.Compare(l.files[id].mtime, t) })
	for ; i < len(l.byMtime) && l.files[l.byMtime[i]].mtime <= hi; i++ {
		out = append(out, l.byMtime[i])
	}
	return out
}

// seconds appends the files filed under every second within tol of t:
// for each second, those of the build, then those read since (in the
// order the old maps of slices listed them).
func (x *secIndex) seconds(t time.Time, tol time.Duration, out []int32) []int32 {
	c, w := t.Unix(), int64(tol/time.Second)+1
	if len(x.added) == 0 {
		return secRange(x.base, c-w, c+w, out)
	}
	for s := c - w; s <= c+w; s++ {
		out = secRange(x.base, s, s, out)
		out = append(out, x.added[s]...)
	}
	return out
}

// secRange appends the files filed under a second in [lo, hi].
func secRange(x []secPost, lo, hi int64, out []int32) []int32 {
	i, _ := slices.BinarySearchFunc(x, lo, func(p secPost, s int64) int { return cmp.Compare(p.sec, s) })
	for ; i < len(x) && x[i].sec <= hi; i++ {
		out = append(out, x[i].file)
	}
	return out
}
