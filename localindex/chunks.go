package localindex

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Summary rows (format LIX5). The summaries of all directories, sorted by
// their rel, are cut into runs of at most chunkMaxEntries summaries and
// chunkMaxBytes; a run is one row, "s/<start>", where <start> is a rel at
// or below its first summary: a directory's summary is in the row with the
// greatest start not above its rel. The first row's start is "" (the
// root), so every rel has a row.
//
// The runs are stable: a save reads the rows of the directories it
// changes, changes those summaries and writes those rows back (ix.chunks
// says which rows they are, see summaryWrites). A row that grows beyond
// the limits is split in two or more; its first part keeps its key, the
// others get the rel of their first summary as start. A row that becomes
// empty is deleted, one that shrinks below half is merged with the next
// one when they fit in three quarters of a row. So a change to one directory rewrites one row of at
// most chunkMaxEntries summaries (two or three after a split), never a
// group that grows with the folder: an icloudpd YYYY/MM/DD tree keeps a
// month's days in one or two rows, a flat YYYY-MM-DD tree 32 days per row.
const (
	chunkPrefix     = "s/"
	chunkMaxEntries = 32
	chunkMaxBytes   = 2048
)

// chunkEntry is one directory's summary in a summary row.
type chunkEntry struct {
	rel  string
	head []byte // encodeHead
}

// chunkKey is the key of the summary row that starts at start.
func chunkKey(start string) string { return chunkPrefix + start }

// encodeChunk encodes entries (sorted by rel) as one row: their count,
// then each rel after the prefix it shares with the previous one, and its
// summary.
func encodeChunk(entries []chunkEntry) []byte {
	size := 4
	for _, c := range entries {
		size += len(c.rel) + len(c.head) + 6
	}
	var b bytes.Buffer
	b.Grow(size)
	e := encoder{b: &b}
	e.int(int64(len(entries)))
	prev := ""
	for _, c := range entries {
		shared := commonPrefix(prev, c.rel)
		e.int(int64(shared))
		e.str(c.rel[shared:])
		e.int(int64(len(c.head)))
		b.Write(c.head)
		prev = c.rel
	}
	return b.Bytes()
}

// eachChunkEntry calls fn for every entry of a summary row. rel is only
// valid during the call; head aliases v.
func eachChunkEntry(v []byte, fn func(rel []byte, head []byte) error) error {
	d := decoder{b: v}
	n := d.count()
	var rel []byte
	for i := 0; i < n && d.err == nil; i++ {
		shared := d.int()
		ln := d.count()
		if d.err != nil || shared < 0 || shared > int64(len(rel)) {
			d.err = errTruncated
			break
		}
		rel = append(rel[:shared], d.b[:ln]...)
		d.b = d.b[ln:]
		hl := d.count()
		if d.err != nil {
			break
		}
		head := d.b[:hl:hl]
		d.b = d.b[hl:]
		if i > 0 && len(rel) == 0 {
			d.err = errUnknownRow // only the first entry may be the root
			break
		}
		if err := fn(rel, head); err != nil {
			return err
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errUnknownRow
	}
	return d.err
}

// splitChunk cuts entries (sorted) into the fewest even runs within the
// limits; an entry larger than chunkMaxBytes is a run of its own.
func splitChunk(entries []chunkEntry) [][]chunkEntry {
	size := 0
	for _, c := range entries {
		size += entrySize(c)
	}
	parts := max((len(entries)+chunkMaxEntries-1)/chunkMaxEntries, (size+chunkMaxBytes-1)/chunkMaxBytes, 1)
	target := (len(entries) + parts - 1) / parts
	var out [][]chunkEntry
	for len(entries) > 0 {
		n, bytes := 0, 0
		for n < len(entries) && n < target {
			es := entrySize(entries[n])
			if n > 0 && bytes+es > chunkMaxBytes {
				break
			}
			bytes += es
			n++
		}
		out = append(out, entries[:n:n])
		entries = entries[n:]
	}
	return out
}

// entrySize bounds the bytes an entry takes in a row.
func entrySize(c chunkEntry) int { return len(c.rel) + len(c.head) + 6 }

// chunkOf is the index in starts (sorted, starts[0] == "") of the row that
// holds rel.
func chunkOf(starts []string, rel string) int {
	i, found := slices.BinarySearch(starts, rel)
	if found {
		return i
	}
	return i - 1
}

// summaryWrites returns the row writes that put the summaries of heads
// (rel → encodeHead; nil: the directory's summary is deleted) into the
// summary rows, and the row starts after those writes (ix.chunks is set to
// them by the caller once the write committed). The rows of those
// directories are read from the store, changed and written back; the
// other rows are not touched.
func (ix *Index) summaryWrites(ctx context.Context, heads map[string][]byte) ([]string, [][]byte, []string, error) {
	if err := ix.freshChunks(ctx); err != nil {
		return nil, nil, nil, err
	}
	starts := ix.chunks
	byChunk := map[int][]string{}
	for rel := range heads {
		i := chunkOf(starts, rel)
		byChunk[i] = append(byChunk[i], rel)
	}
	order := make([]int, 0, len(byChunk))
	for i := range byChunk {
		order = append(order, i)
	}
	slices.Sort(order)
	var keys []string
	var vals [][]byte
	newStarts := make([]string, 0, len(starts)+len(byChunk))
	prev := 0
	written := map[string]bool{}
	for k, i := range order {
		newStarts = append(newStarts, starts[prev:i]...)
		prev = i + 1
		cur := map[string][]byte{}
		if ix.staleChunks == nil {
			// An unreadable row counts as empty: its directories are
			// listed again by the next scan.
			saved, _, err := ix.readChunk(ctx, starts[i])
			if err != nil {
				return nil, nil, nil, err
			}
			for _, c := range saved {
				cur[c.rel] = c.head
			}
		}
		for _, rel := range byChunk[i] {
			if h := heads[rel]; h != nil {
				cur[rel] = h
			} else {
				delete(cur, rel)
			}
		}
		entries := make([]chunkEntry, 0, len(cur))
		for rel, h := range cur {
			entries = append(entries, chunkEntry{rel: rel, head: h})
		}
		slices.SortFunc(entries, func(a, b chunkEntry) int { return strings.Compare(a.rel, b.rel) })
		// A row that shrank below half is merged with the next one when
		// the two fit in three quarters of a row and this write does not
		// change the next one otherwise: many deletions do not leave many
		// small rows behind.
		if ix.staleChunks == nil && len(entries) < chunkMaxEntries/2 && i+1 < len(starts) && (k+1 == len(order) || order[k+1] != i+1) {
			next, ok, err := ix.readChunk(ctx, starts[i+1])
			if err != nil {
				return nil, nil, nil, err
			}
			size := 0
			for _, c := range slices.Concat(entries, next) {
				size += entrySize(c)
			}
			if ok && len(entries)+len(next) <= chunkMaxEntries*3/4 && size <= chunkMaxBytes*3/4 {
				entries = append(entries, next...)
				keys, vals = append(keys, chunkKey(starts[i+1])), append(vals, nil)
				prev = i + 2
			}
		}
		if len(entries) == 0 {
			keys, vals = append(keys, chunkKey(starts[i])), append(vals, nil)
			if i == 0 {
				newStarts = append(newStarts, "") // the first row's start stays
			}
			continue
		}
		for p, part := range splitChunk(entries) {
			start := starts[i]
			if p > 0 {
				start = part[0].rel
			}
			newStarts = append(newStarts, start)
			keys, vals = append(keys, chunkKey(start)), append(vals, encodeChunk(part))
			written[chunkKey(start)] = true
		}
	}
	newStarts = append(newStarts, starts[prev:]...)
	// After an unreadable load, every summary row found then is deleted
	// (the scan rewrites the summaries of every directory).
	for _, k := range ix.staleChunks {
		if !written[k] {
			keys, vals = append(keys, k), append(vals, nil)
		}
	}
	return keys, vals, newStarts, nil
}

// readChunk returns the entries of the summary row that starts at start,
// sorted (none when there is no such row); ok is false when the row is
// unreadable (the entries are then those before the damage).
func (ix *Index) readChunk(ctx context.Context, start string) ([]chunkEntry, bool, error) {
	v, found, err := ix.kv.Get(ctx, ix.ns, chunkKey(start))
	if err != nil {
		return nil, false, fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	if !found {
		return nil, true, nil
	}
	var out []chunkEntry
	err = eachChunkEntry(v, func(rel, head []byte) error {
		out = append(out, chunkEntry{rel: string(rel), head: bytes.Clone(head)})
		return nil
	})
	return out, err == nil, nil
}

// freshChunks makes sure ix.chunks are the starts of the summary rows in
// the store: when another process wrote the folder's rows since this index
// read or wrote them (the nonce of the state row differs), they are read
// again (the keys of every summary row).
func (ix *Index) freshChunks(ctx context.Context) error {
	if ix.staleChunks != nil {
		return nil
	}
	meta, ok, err := ix.kv.Get(ctx, ix.ns, metaKey)
	if err != nil {
		return fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	if ok && bytes.Equal(metaNonce(meta), ix.chunksNonce) || !ok && ix.chunksNonce == nil {
		return nil
	}
	starts := []string{""}
	err = ix.kv.EachRow(ctx, ix.ns, chunkPrefix, func(key string, _ []byte) error {
		if s := key[len(chunkPrefix):]; s != "" {
			starts = append(starts, s)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	slices.Sort(starts)
	ix.chunks = starts
	return nil
}

// wroteChunks records a committed write of summary rows: their starts, and
// the nonce of the state row written with them.
func (ix *Index) wroteChunks(starts []string, meta []byte) {
	ix.chunks, ix.chunksNonce, ix.staleChunks = starts, metaNonce(meta), nil
}
