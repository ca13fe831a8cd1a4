package localindex

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// wallClock returns the capture wall clock in UTC fields (the instant when the
// offset is unknown).
func wallClock(a photo.Asset) time.Time {
	off, _ := a.Offset()
	return a.Taken.UTC().Add(off)
}

// assetKind is the kind of file the asset's original is: a video, either
// (KindUnknown) for an asset of unknown kind, a photo otherwise (a Live
// Photo's original is its still).
func assetKind(a photo.Asset) Kind {
	switch a.Kind {
	case photo.KindVideo:
		return KindVideo
	case photo.KindOther:
		return KindUnknown
	}
	return KindPhoto
}

// FileMatch is one local file found for an asset.
type FileMatch struct {
	Path       string // relative to the folder root, slash-separated
	Size       int64
	ModTime    time.Time
	Capture    *Capture // nil when the headers were not needed
	Confidence photo.Confidence
	Reason     string
}

// Match is the verdict for one asset. Confidence is that of File, the copy
// of the original (for a RAW+JPEG pair, either original counts).
type Match struct {
	AssetID          string
	Confidence       photo.Confidence
	File             *FileMatch
	LiveVideo        *FileMatch // the Live Photo video, when found
	LiveVideoMissing bool       // a Live Photo whose video has no local copy
	Edited           *FileMatch // the rendered edit, when found
	EditedMissing    bool       // the asset has an edit in iCloud and no local copy of it was found
	Incomplete       bool       // the header-read budget ran out before every candidate was checked
}

// MatchOptions tune matching.
type MatchOptions struct {
	Tolerance      time.Duration // capture time tolerance; default 2s (checks.capture_tolerance)
	MaxHeaderReads int           // headers read per Match call at most; default 20 000
}

// Match looks for a local copy of each asset. It reads the saved index once
// and keeps only the files these assets can match (see wanted). Capture
// times are read from headers only for candidates the name and size rules
// cannot decide, and are cached in the index (saved through KV).
//
// Of each photo.Asset the matcher reads its ID (reported back in Match),
// MasterID (icloudpd's id, for _<id7> names and nameless assets), Filename
// (may be empty), Kind (photo.KindOther accepts a photo or a video), the
// sizes of its parts (a live video makes it a Live Photo), Added, Taken and
// the capture offset.
func (ix *Index) Match(ctx context.Context, assets []photo.Asset, mo MatchOptions) ([]Match, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	mo = mo.withDefaults()
	memo, digest, memoOK, err := ix.matchMemo(ctx, assets, mo)
	if err != nil {
		return nil, err
	}
	if memo != nil {
		ix.stats.MetaCacheHits += memo.CacheHits
		return memo.Matches, nil
	}
	l, err := ix.candidatesFor(ctx, assets, mo)
	if err != nil {
		return nil, err
	}
	reads, hits, view := ix.stats.MetaReads, ix.stats.MetaCacheHits, ix.view
	out, err := ix.matchWith(ctx, assets, mo, l)
	// A result that read no header depends on the rows it was matched
	// against alone (memo.go), unless this call wrote rows since.
	if err == nil && memoOK && ix.stats.MetaReads == reads && bytes.Equal(ix.view, view) && ix.memoUsable() {
		if merr := ix.saveMatchMemo(ctx, digest, out, ix.stats.MetaCacheHits-hits); merr != nil {
			ix.log.Warn("could not save the match result for the next check; it matches again", "err", merr)
		}
	}
	return out, err
}

// matchWith runs the matcher's passes over assets with a lookup of
// candidates, then writes the capture times it read back into the index.
func (ix *Index) matchWith(ctx context.Context, assets []photo.Asset, mo MatchOptions, l *lookup) ([]Match, error) {
	reads := ix.stats.MetaReads
	m := &matcher{ix: ix, l: l, opts: mo, budget: mo.MaxHeaderReads, claimed: map[int32]bool{},
		witness: ix.opts.RenamesFiles}
	out := make([]Match, len(assets))
	byName := make([][]cand, len(assets))
	passes := []func(a photo.Asset, cands []cand, res *Match){m.passSize, m.passName, m.passTime}
	for _, pass := range passes {
		for i, a := range assets {
			if err := ctx.Err(); err != nil {
				ix.last = nil // capture times read so far were not written back
				return nil, fmt.Errorf("matching interrupted: %w", err)
			}
			if byName[i] == nil {
				out[i].AssetID = a.ID
				byName[i] = m.nameCands(a)
			}
			m.incomplete = false
			pass(a, byName[i], &out[i])
			out[i].Incomplete = out[i].Incomplete || m.incomplete
		}
	}
	for i, a := range assets {
		finish(a, &out[i])
	}
	if ix.stats.MetaReads == reads {
		return out, ix.save(ctx) // no header read: no capture time to write back
	}
	if err := ix.writeBack(ctx, l); err != nil {
		ix.last = nil
		return out, err
	}
	return out, ix.save(ctx)
}

// matcher is the state of one Match call.
type matcher struct {
	ix         *Index
	l          *lookup
	opts       MatchOptions
	budget     int
	incomplete bool
	claimed    map[int32]bool // files already matched to an asset in this call
	ids        []int32        // scratch of nameCands
	tags       []uint8        // scratch of nameCands: the size tags of ids
	sizeReads  int            // records bySize read (tests)
	groups     []int          // scratch of nameCands: where each key's ids start
	cands      []cand         // the chunk nameCands cuts candidates from
	// keysOf's asset, its cloudKeys and (id7Other) the id7 of its master
	keysName, keysMaster, own string
	keys                      []string
	keysSet, ownSet           bool
	// witness: the layout renames files and keeps their bytes (Immich,
	// PhotoPrism), so a match by capture time alone must also agree in
	// size with one of the asset's renditions.
	witness bool
}

// cand is a file found by name, with what the passes read of its parsed
// name. Match keeps the candidates of every asset of a call for its three
// passes, and a name that comes back every 10 000 photos has dozens of
// files: the whole localName (keys, extension, id7) of each would be kept
// that long too (about 20 MB for a batch of 4 096 assets at 700 000
// files).
type cand struct {
	id    int32
	state uint8 // candUnread until keep read the name
	kind  Kind
	edit  bool
	tag   uint8 // sizeTag of the file's size, from the name index
}

// cand states.
const (
	candUnread uint8 = iota
	candKept
	candDropped
)

// passSize finds certain matches for every asset first, so that weaker
// passes never hand one asset's file to another.
func (m *matcher) passSize(a photo.Asset, cands []cand, res *Match) {
	m.bySize(a, cands, res)
}

// passName finds likely matches: name stem plus capture time.
func (m *matcher) passName(a photo.Asset, cands []cand, res *Match) {
	if a.Taken.IsZero() {
		return // no capture time to compare with
	}
	if res.File == nil {
		res.File = m.byNameTime(a, cands, assetKind(a), m.opts.Tolerance, false)
	}
	if a.PartSize(photo.PartLiveVideo) > 0 && res.LiveVideo == nil {
		res.LiveVideo = m.byNameTime(a, cands, KindVideo, m.liveTolerance(), false)
	}
	if res.Edited == nil && (a.PartSize(photo.PartEdited) > 0 || res.File == nil) {
		// An IMG_E…, -adjusted or _edited file is the edit even when the
		// record states no edit (Windows "Apple Devices" imports the phone's
		// render; the record may only say so in fields not read).
		res.Edited = m.byNameTime(a, cands, assetKind(a), m.opts.Tolerance, true)
	}
}

// passTime finds possible matches: capture time and kind, any name.
func (m *matcher) passTime(a photo.Asset, _ []cand, res *Match) {
	if a.Taken.IsZero() {
		return
	}
	if res.File == nil {
		res.File = m.byTime(a, assetKind(a), m.opts.Tolerance, m.originalSizes(a), false)
	}
	if a.PartSize(photo.PartLiveVideo) > 0 && res.LiveVideo == nil {
		var sizes []int64
		if m.witness {
			sizes = []int64{a.PartSize(photo.PartLiveVideo)}
		}
		res.LiveVideo = m.byTime(a, KindVideo, m.liveTolerance(), sizes, false)
	}
	if res.Edited == nil && isEditSize(a) {
		// Recognised by its size: the edited rendition under any name
		// (icloudpd --size adjusted keeps the original's name).
		res.Edited = m.byTime(a, assetKind(a), m.opts.Tolerance, []int64{a.PartSize(photo.PartEdited)}, true)
	}
}

// originalSizes are the sizes a capture-time-only copy of the original
// must have: nil (any) unless the layout keeps the bytes.
func (m *matcher) originalSizes(a photo.Asset) []int64 {
	if !m.witness {
		return nil
	}
	sizes := []int64{a.PartSize(photo.PartOriginal)}
	if a.PartSize(photo.PartAlternate) > 0 {
		sizes = append(sizes, a.PartSize(photo.PartAlternate))
	}
	return sizes
}

// isEditSize: the asset's edited rendition has a size of its own, so a
// file of that size is the edit, not the original.
func isEditSize(a photo.Asset) bool {
	edit := a.PartSize(photo.PartEdited)
	return edit > 0 && edit != a.PartSize(photo.PartOriginal) && edit != a.PartSize(photo.PartAlternate)
}

// liveTolerance: a Live Photo video's creation date can differ from the
// still's by a second or two more.
func (m *matcher) liveTolerance() time.Duration { return m.opts.Tolerance + 2*time.Second }

// finish sets the summary fields.
func finish(a photo.Asset, res *Match) {
	res.Confidence = photo.ConfidenceNone
	if res.File != nil {
		res.Confidence = res.File.Confidence
	}
	res.LiveVideoMissing = a.PartSize(photo.PartLiveVideo) > 0 && res.LiveVideo == nil
	res.EditedMissing = a.PartSize(photo.PartEdited) > 0 && res.Edited == nil
	res.Incomplete = res.Incomplete && res.Confidence.Rank() < photo.ConfidenceLikely.Rank()
}

// nameCands returns the files found under one of the asset's name keys,
// each once, in the order of the keys. Whether a file really is a
// candidate (a name key equal to one of the asset's, not merely the same
// hash; not an icloudpd _<id7> name of another asset) is decided by
// keep, only for the files a pass looks at: a name that comes back every
// 10 000 photos has dozens of files, and the size pass, which settles
// most assets, looks only at those of an equal size.
func (m *matcher) nameCands(a photo.Asset) []cand {
	ids, tags, groups := m.ids[:0], m.tags[:0], m.groups[:0]
	for _, k := range m.keysOf(a) {
		groups = append(groups, len(ids))
		ids, tags = m.l.byKeyTagged(k, ids, tags)
	}
	m.ids, m.tags, m.groups = ids, tags, groups
	if len(ids) == 0 {
		return nil
	}
	// The candidates of every asset of the call live until its last pass:
	// they are cut from chunks of the call's own, not allocated per asset.
	if cap(m.cands)-len(m.cands) < len(ids) {
		m.cands = make([]cand, 0, max(candChunk, len(ids)))
	}
	from := len(m.cands)
	// A file is found once per key it shares with the asset: keep the
	// first. Each key's files come in descending file number, so a file
	// seen before under the same key is the one just before, and one seen
	// under an earlier key is found there by bisection (a name that comes
	// back every 10 000 photos has some 70 files: no map per asset).
	g := 0
	for j, id := range ids {
		for g+1 < len(groups) && groups[g+1] <= j {
			g++
		}
		if j > groups[g] && ids[j-1] == id || seenBefore(ids, groups[:g+1], id) {
			continue
		}
		m.cands = append(m.cands, cand{id: id, tag: tags[j]})
	}
	return m.cands[from:len(m.cands):len(m.cands)]
}

// seenBefore: id is among the ids of the keys before the last of groups
// (each a run of ids in descending order, up to the next start).
func seenBefore(ids []int32, groups []int, id int32) bool {
	for h := 0; h+1 < len(groups); h++ {
		run := ids[groups[h]:groups[h+1]]
		if _, ok := slices.BinarySearchFunc(run, id, func(x, id int32) int { return cmp.Compare(id, x) }); ok {
			return true
		}
	}
	return false
}

// candChunk is how many candidates nameCands allocates at once (64 kB).
const candChunk = 8192

// keysOf returns cloudKeys of the asset, computed once for consecutive
// calls with the same asset.
func (m *matcher) keysOf(a photo.Asset) []string {
	if !m.keysSet || a.Filename != m.keysName || a.MasterID != m.keysMaster {
		m.keys, m.keysName, m.keysMaster, m.keysSet = cloudKeys(a.Filename, a.MasterID), a.Filename, a.MasterID, true
		m.ownSet = false
	}
	return m.keys
}

// keep tells whether c, found by nameCands for a, is a candidate of a,
// and fills in its kind and edit flag; the name is parsed once per asset
// and file.
func (m *matcher) keep(a photo.Asset, c *cand) bool {
	if c.state == candUnread {
		c.state = candDropped
		ln := parseLocal(m.l.name(c.id))
		keys := m.keysOf(a)
		switch {
		case !sharesKey(ln.keys, keys):
		case ln.id7 != "" && !contains(keys, ln.keys[0]) && m.id7Other(ln.id7, a):
		default:
			c.state, c.kind, c.edit = candKept, ln.kind, ln.edit
		}
	}
	return c.state == candKept
}

// id7Other: a file's icloudpd _<id7> belongs to another asset than a
// (false when the asset has no id7 to compare).
func (m *matcher) id7Other(fileID7 string, a photo.Asset) bool {
	m.keysOf(a)
	if !m.ownSet {
		m.own, m.ownSet = id7(a.MasterID), true
	}
	return m.own != "" && fileID7 != m.own
}

func sharesKey(a, b []string) bool {
	for _, k := range a {
		if contains(b, k) {
			return true
		}
	}
	return false
}

// bySize finds certain matches: same name and exact byte size.
func (m *matcher) bySize(a photo.Asset, cands []cand, res *Match) {
	orig, alt, live, edited := a.PartSize(photo.PartOriginal), a.PartSize(photo.PartAlternate), a.PartSize(photo.PartLiveVideo), a.PartSize(photo.PartEdited)
	// A name that comes back every 10 000 photos has dozens of files: the
	// tags beside the candidates rule out almost all of other sizes without
	// reading their records (at random in the lookup) or the claimed map.
	want := [4]uint8{sizeTag(orig)} // an original of 0 bytes matches an empty file
	nw := 1
	for _, sz := range [3]int64{alt, live, edited} {
		if sz > 0 {
			want[nw], nw = sizeTag(sz), nw+1
		}
	}
	for i := range cands {
		c := &cands[i]
		if !slices.Contains(want[:nw], c.tag) {
			continue
		}
		m.sizeReads++
		f := &m.l.files[c.id]
		if m.claimed[c.id] {
			continue
		}
		// only a file of one of the sizes still looked for can match below:
		// the others' names need not be read
		wanted := res.File == nil && (f.size == orig || alt > 0 && f.size == alt) ||
			res.LiveVideo == nil && live > 0 && f.size == live || res.Edited == nil && edited > 0 && f.size == edited
		if !wanted || !m.keep(a, c) {
			continue
		}
		switch {
		case res.File == nil && f.size == a.PartSize(photo.PartOriginal) && kindFits(assetKind(a), c.kind):
			res.File = m.found(c.id, photo.ConfidenceCertain, "name and size equal", nil)
		case res.File == nil && a.PartSize(photo.PartAlternate) > 0 && f.size == a.PartSize(photo.PartAlternate) && c.kind == KindPhoto:
			res.File = m.found(c.id, photo.ConfidenceCertain, "name and size equal the RAW+JPEG alternative original", nil)
		case res.LiveVideo == nil && a.PartSize(photo.PartLiveVideo) > 0 && f.size == a.PartSize(photo.PartLiveVideo) && c.kind == KindVideo:
			res.LiveVideo = m.found(c.id, photo.ConfidenceCertain, "name and size equal the Live Photo video", nil)
		case res.Edited == nil && a.PartSize(photo.PartEdited) > 0 && f.size == a.PartSize(photo.PartEdited) && c.kind != KindUnknown:
			res.Edited = m.found(c.id, photo.ConfidenceCertain, "name and size equal the edited rendition", nil)
		}
	}
}

func kindFits(want, got Kind) bool {
	return got != KindUnknown && (want == KindUnknown || want == got)
}

// byNameTime finds a likely match: a name candidate of the right kind whose
// capture time agrees. edits selects edited renditions instead of originals.
func (m *matcher) byNameTime(a photo.Asset, cands []cand, kind Kind, tol time.Duration, edits bool) *FileMatch {
	var best *FileMatch
	var bestID int32
	var bestScore time.Duration
	for i := range cands {
		c := &cands[i]
		if m.claimed[c.id] || !m.keep(a, c) || !kindFits(kind, c.kind) || c.edit != edits {
			continue
		}
		if !edits && kind == assetKind(a) && isEditSize(a) && m.l.files[c.id].size == a.PartSize(photo.PartEdited) {
			continue // the edited rendition under the original's name
		}
		cp, ok := m.capture(c.id)
		if !ok {
			continue
		}
		d, agree := m.agrees(a, c.id, cp, tol)
		score := rank(d, cp)
		if agree && (best == nil || score < bestScore) {
			why := fmt.Sprintf("name stem equal and capture time (%s) within %s", cp.Source, d)
			best, bestID, bestScore = m.foundLater(c.id, photo.ConfidenceLikely, why, &cp), c.id, score
		}
	}
	if best != nil {
		m.claimed[bestID] = true
	}
	return best
}

// byTime finds a possible match: any name, same kind, capture time agrees.
// sizes, when given, is the second witness: the file must have one of them.
// Without it, a file of the edited rendition's size is never taken for
// the original. edits accepts files named as edits (IMG_E…).
func (m *matcher) byTime(a photo.Asset, kind Kind, tol time.Duration, sizes []int64, edits bool) *FileMatch {
	var best *FileMatch
	var bestID int32
	var bestScore time.Duration
	for _, id := range m.timeCands(a, tol) {
		if m.claimed[id] || !m.timeCandidate(id, kind, edits) {
			continue
		}
		size := m.l.files[id].size
		switch {
		case sizes != nil && !slices.Contains(sizes, size):
			continue
		case sizes == nil && kind == assetKind(a) && isEditSize(a) && size == a.PartSize(photo.PartEdited):
			continue // the edited rendition, not the original
		}
		cp, ok := m.capture(id)
		if !ok || cp.Source == SourceMtime {
			continue // an mtime alone is too weak without a name
		}
		d, agree := m.agrees(a, id, cp, tol)
		score := rank(d, cp)
		if agree && (best == nil || score < bestScore) {
			why := fmt.Sprintf("capture time (%s) within %s and same kind; name differs", cp.Source, d)
			if sizes != nil {
				why = fmt.Sprintf("capture time (%s) within %s and size equal; name differs", cp.Source, d)
			}
			best, bestID, bestScore = m.foundLater(id, photo.ConfidencePossible, why, &cp), id, score
		}
	}
	if best != nil {
		m.claimed[bestID] = true
	}
	return best
}

// timeCandidate: the right kind, and not an edit (an IMG_E or _edited
// file is a rendition, not the original) unless edits are wanted.
func (m *matcher) timeCandidate(id int32, kind Kind, edits bool) bool {
	ln := parseLocal(m.l.name(id))
	return kindFits(kind, ln.kind) && (edits || !ln.edit)
}

// rank orders agreeing candidates: header times before mtimes, then by
// distance.
func rank(d time.Duration, c Capture) time.Duration {
	if c.Source == SourceMtime {
		d += time.Hour
	}
	return d
}

// agrees compares a file's capture time with the asset's. A time read
// from a PhotoPrism canonical name may be either clock: PhotoPrism names a
// file after its capture time in UTC (MediaFile.CanonicalName uses
// TakenAt().UTC()), which is the true instant when the photo's GPS
// position or a stated offset gave the time zone, and the wall clock
// labelled UTC when nothing did (internal/meta/exif.go, txt.ParseTime).
func (m *matcher) agrees(a photo.Asset, id int32, c Capture, tol time.Duration) (time.Duration, bool) {
	d, ok := agrees(a, c, tol)
	if ok || c.Source != SourceFilename {
		return d, ok
	}
	stem, _ := splitExt(m.l.name(id))
	if !photoprismName(stem) {
		return d, ok
	}
	u := c.Wall.Sub(a.Taken.UTC()).Truncate(time.Second)
	if u < 0 {
		u = -u
	}
	if u <= tol {
		return u, true
	}
	return d, false
}

// agrees compares a capture time with the asset's: instants when the file
// knows its offset, wall clocks otherwise.
func agrees(a photo.Asset, c Capture, tol time.Duration) (time.Duration, bool) {
	var d time.Duration
	switch {
	case c.OffsetKnown:
		d = c.Instant().Sub(a.Taken)
	case a.TZOffset != nil:
		d = c.Wall.Sub(wallClock(a))
	default:
		d = c.Wall.Sub(a.Taken.UTC())
	}
	d = d.Truncate(time.Second)
	if d < 0 {
		d = -d
	}
	return d, d <= tol
}

// timeCands gathers files that may have been taken at the asset's time:
// cached capture seconds, names carrying the time, folders dated within a
// day (any time zone), and files modified around the capture or after the
// upload (import tools set one or the other).
func (m *matcher) timeCands(a photo.Asset, tol time.Duration) []int32 {
	var ids []int32
	wall := wallClock(a)
	ids = m.l.capInst.seconds(a.Taken, tol, ids)
	ids = m.l.capWall.seconds(wall, tol, ids)
	ids = m.l.byName.seconds(wall, tol, ids)
	ids = m.l.byName.seconds(a.Taken.UTC(), tol, ids)
	day := dayOf(wall)
	for dd := day - 1; dd <= day+1; dd++ {
		ids = m.l.day(dd, ids)
	}
	ids = m.l.mtimeRange(a.Taken.Add(-36*time.Hour), a.Taken.Add(36*time.Hour), ids)
	if !a.Added.IsZero() && a.Added.After(a.Taken.Add(36*time.Hour)) {
		ids = m.l.mtimeRange(a.Added.Add(-time.Hour), a.Added.Add(30*24*time.Hour), ids)
	}
	return dedup(ids)
}

func dedup(ids []int32) []int32 {
	seen := make(map[int32]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// capture returns the file's capture time, reading its headers when not
// cached and the budget allows. Unparseable headers fall back to the mtime
// (cached); a file that cannot be opened uses the mtime without caching.
func (m *matcher) capture(id int32) (Capture, bool) {
	e := m.l.entry(id)
	f := &e
	if c, ok := f.capture(); ok {
		m.ix.stats.MetaCacheHits++
		return c, c.Source != SourceUnreadable
	}
	if m.budget <= 0 {
		m.incomplete = true
		return Capture{}, false
	}
	m.budget--
	m.ix.stats.MetaReads++
	c, err := ReadCapture(filepath.Join(m.ix.root, filepath.FromSlash(m.l.rel(id))), m.ix.opts.MaxHeaderBytes)
	if err == nil {
		f.setCapture(c)
		m.l.setCapture(id, f)
		m.ix.dirty = true
		m.l.addCapture(id, f)
		return c, true
	}
	m.ix.stats.MetaFailures++
	if errors.Is(err, ErrHeaderUnreadable) {
		m.ix.headerUnreadable(f, m.l.rel(id), err) // no time: name and size only
		m.l.setCapture(id, f)
		return Capture{}, false
	}
	c = fallbackCapture(f)
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		f.setCapture(c)
		m.l.setCapture(id, f)
		m.ix.dirty = true
	}
	return c, true
}

// found builds a FileMatch and claims the file.
func (m *matcher) found(id int32, conf photo.Confidence, why string, c *Capture) *FileMatch {
	m.claimed[id] = true
	return m.foundLater(id, conf, why, c)
}

// foundLater builds a FileMatch without claiming the file yet (the caller
// claims the best of several).
func (m *matcher) foundLater(id int32, conf photo.Confidence, why string, c *Capture) *FileMatch {
	f := &m.l.files[id]
	return &FileMatch{Path: m.l.rel(id), Size: f.size, ModTime: time.Unix(0, f.mtime).UTC(), Capture: c, Confidence: conf, Reason: why}
}
