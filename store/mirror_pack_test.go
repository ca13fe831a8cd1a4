package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// joinSeq is the join read through database/sql's Scan, in its order.
func joinSeq(t *testing.T, db *DB, m MirrorLibrary) []MirrorEntry {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), mirrorEntryQuery, m.ID)
	must(t, err)
	defer rows.Close()
	var out []MirrorEntry
	for rows.Next() {
		var e MirrorEntry
		var added, taken int64
		var tz sql.NullInt64
		must(t, rows.Scan(&e.Asset.ID, &e.Asset.MasterID, &added, &taken, &tz, &e.Asset.Flags,
			&e.Master.Name, &e.Master.Kind, &e.Master.Size, &e.Master.AltSize, &e.Master.LiveSize, &e.Master.Flags))
		e.Master.ID = e.Asset.MasterID
		e.Asset.Added, e.Asset.Taken = fromMS(added), fromMS(taken)
		e.Asset.TZ, e.Asset.TZKnown = int(tz.Int64), tz.Valid
		out = append(out, e)
	}
	must(t, rows.Err())
	return out
}

// eachSeq is what EachMirrorAsset streams, in its order.
func eachSeq(t *testing.T, db *DB, m MirrorLibrary) []MirrorEntry {
	t.Helper()
	var out []MirrorEntry
	must(t, db.EachMirrorAsset(context.Background(), m, func(e MirrorEntry) error {
		out = append(out, e)
		return nil
	}))
	return out
}

func sameSeq(t *testing.T, what string, got, want []MirrorEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, the join has %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: entry %d\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

// packRows is the number of pack rows of the library and of the marks of
// the changes not packed yet.
func packRows(t *testing.T, db *DB, m MirrorLibrary) (rows, marks int) {
	t.Helper()
	must(t, db.r.QueryRowContext(context.Background(), `SELECT count(*) FROM mirror_pack WHERE lib = ?`, m.ID).Scan(&rows))
	must(t, db.r.QueryRowContext(context.Background(), `SELECT count(*) FROM mirror_pack_stale WHERE lib = ?`, m.ID).Scan(&marks))
	return rows, marks
}

// smallPackChunks makes pack ranges of at most n assets for the test.
func smallPackChunks(t *testing.T, n int) {
	old := packChunk
	packChunk = n
	t.Cleanup(func() { packChunk = old })
}

// randomPage is a page of random records: odd values in every column,
// orphans, repeats and purges.
func randomPage(rng *rand.Rand, step int) MirrorPage {
	p := pageOf(rng.IntN(300), rng.IntN(120), fmt.Sprint("t", step), rng.IntN(4) == 0)
	for i := range p.Assets {
		a := &p.Assets[i]
		a.TZKnown, a.TZ, a.Flags = rng.IntN(3) != 0, rng.IntN(100_000)-50_000, rng.IntN(4)
		a.Added = mirrorT0.Add(time.Duration(rng.Int64N(1<<50)-1<<49) * time.Millisecond)
		switch rng.IntN(5) {
		case 0:
			a.Taken = time.Time{}
		case 1:
			a.Added = time.Time{}
		default:
			a.Taken = a.Added.Add(-time.Duration(rng.Int64N(1<<40)) * time.Millisecond)
		}
		if rng.IntN(20) == 0 {
			a.MasterID = "not-yet"
		}
	}
	for i := range p.Masters {
		x := &p.Masters[i]
		x.Kind, x.Flags, x.AltSize, x.LiveSize = rng.IntN(5)-1, rng.IntN(4), rng.Int64N(1<<40), -rng.Int64N(3)
		x.Name = fmt.Sprintf("ÄÖ %d \x00 名前.jpg", rng.IntN(1000))[:rng.IntN(10)+3]
	}
	for range rng.IntN(4) {
		i := rng.IntN(300)
		p.Purged = append(p.Purged, fmt.Sprintf("%08d-1111-2222-3333-444455556666", i), fmt.Sprintf("AY6c+BsE0jjaXx9tmVGJM1D2%04d", i))
	}
	return p
}

// tweakPage sends a few entries of the join again, each with one field of
// the asset or of its master changed.
func tweakPage(rng *rand.Rand, join []MirrorEntry, token string) MirrorPage {
	p := MirrorPage{Token: token}
	for range min(len(join), 1+rng.IntN(3)) {
		e := join[rng.IntN(len(join))]
		a, x := e.Asset, e.Master
		switch rng.IntN(12) {
		case 0:
			a.Flags ^= 1 << rng.IntN(2)
		case 1:
			a.Added = a.Added.Add(time.Millisecond)
		case 2:
			a.Taken = a.Taken.Add(-time.Second)
		case 3:
			a.TZKnown = !a.TZKnown
		case 4:
			a.TZ++
			a.TZKnown = true
		case 5:
			a.MasterID = fmt.Sprintf("AY6c+BsE0jjaXx9tmVGJM1D2%04d", rng.IntN(300))
		case 6:
			x.Name += "x"
		case 7:
			x.Flags ^= MirrorDeleted
		case 8:
			x.Kind++
		case 9:
			x.AltSize++
		case 10:
			x.LiveSize++
		default:
			x.Size++
		}
		if a != e.Asset {
			p.Assets = append(p.Assets, a)
		} else {
			p.Masters = append(p.Masters, x)
		}
	}
	return p
}

// TestMirrorPackEqualsTheJoin: on random mirrors of many small ranges
// changed by random pages (new, changed and repeated assets and masters,
// masters alone, assets before their masters, purges, fresh fills after a
// refused token, fills ended), with walks after some pages only and some
// walks stopped half-way, EachMirrorAsset gives the join's sequence (every
// column, in order); the walk after a complete one writes nothing and
// finds no mark left (so the pack alone gave the join); the pack is really
// read (rows removed behind the store's back come back from it).
func TestMirrorPackEqualsTheJoin(t *testing.T) {
	ctx := context.Background()
	smallPackChunks(t, 16)
	stop := errors.New("stop")
	for seed := uint64(1); seed <= 8; seed++ {
		rng := rand.New(rand.NewPCG(seed, 20))
		db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
		countPackWrites(t, db)
		must(t, db.StartMirrorFill(ctx, &m))
		for step := range 60 {
			if rng.IntN(10) == 0 && !m.Filling {
				must(t, db.StartMirrorFill(ctx, &m)) // CloudKit refused the token
			}
			p := randomPage(rng, step)
			switch rng.IntN(6) {
			case 0: // the masters alone (their assets came before, or come later)
				p.Assets = nil
			case 1: // the assets alone
				p.Masters = nil
			case 2: // a small delta, some of it sent again unchanged
				p = pageOf(rng.IntN(300), rng.IntN(3), fmt.Sprint("t", step), rng.IntN(4) == 0)
			case 3: // stored assets and masters sent again with one field changed
				p = tweakPage(rng, joinSeq(t, db, m), fmt.Sprint("t", step))
			case 4: // assets or masters purged alone
				p = MirrorPage{Token: fmt.Sprint("t", step)}
				for range 1 + rng.IntN(3) {
					i := rng.IntN(300)
					name := fmt.Sprintf("%08d-1111-2222-3333-444455556666", i)
					if rng.IntN(2) == 0 {
						name = fmt.Sprintf("AY6c+BsE0jjaXx9tmVGJM1D2%04d", i)
					}
					p.Purged = append(p.Purged, name)
				}
			}
			must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
			if rng.IntN(3) == 0 {
				continue // more pages before the next walk
			}
			want := joinSeq(t, db, m)
			what := fmt.Sprintf("seed %d step %d", seed, step)
			if rng.IntN(4) == 0 && len(want) > 2 { // a walk stopped half-way
				k, half := 0, rng.IntN(len(want))
				err := db.EachMirrorAsset(ctx, m, func(e MirrorEntry) error {
					if e != want[k] {
						t.Fatalf("%s, stopped walk: entry %d\n got %+v\nwant %+v", what, k, e, want[k])
					}
					if k++; k > half {
						return stop
					}
					return nil
				})
				if !errors.Is(err, stop) {
					t.Fatalf("%s: the stopped walk: %v", what, err)
				}
			}
			sameSeq(t, what+", after the page", eachSeq(t, db, m), want)
			packWritten(t, db)
			sameSeq(t, what+", from the pack", eachSeq(t, db, m), want)
			if rows, _ := packWritten(t, db); rows != 0 {
				t.Fatalf("%s: the walk after a complete one wrote %d pack rows", what, rows)
			}
			if rows, marks := packRows(t, db, m); marks != 0 || rows < len(want)/16 {
				t.Fatalf("%s: %d pack rows for %d assets, %d marks left", what, rows, len(want), marks)
			}
		}
		sameSeq(t, fmt.Sprintf("seed %d at the end", seed), eachSeq(t, db, m), joinSeq(t, db, m))
		must(t, db.ApplyMirrorPage(ctx, &m, pageOf(0, 200, "end", true), mirrorT0))
		want := joinSeq(t, db, m)
		sameSeq(t, fmt.Sprintf("seed %d, 200 assets more", seed), eachSeq(t, db, m), want)
		if len(want) < 20 {
			t.Fatalf("seed %d: only %d assets at the end", seed, len(want))
		}
		if rows, _ := packRows(t, db, m); rows < 5 {
			t.Fatalf("seed %d: only %d pack rows at the end", seed, rows)
		}
		_, err := db.w.ExecContext(ctx, `DELETE FROM mirror_asset WHERE lib = ?`, m.ID)
		must(t, err)
		sameSeq(t, "rows gone behind the pack's back", eachSeq(t, db, m), want)
		must(t, db.DropMirror(ctx, "alice", "PrimarySync"))
		if rows, marks := packRows(t, db, m); rows != 0 || marks != 0 {
			t.Errorf("seed %d: %d pack rows, %d marks after DropMirror", seed, rows, marks)
		}
		db.Close()
	}
}

// TestMirrorPackSeveralChunks: a first fill in pages writes no pack and no
// mark; a mirror of more than two chunks packs into as many rows, cut at
// 3/4 of a chunk, reads back the same; a fresh fill that sends records
// again unchanged marks nothing, and a shorter mirror after it leaves no
// chunk of the longer pack behind.
func TestMirrorPackSeveralChunks(t *testing.T) {
	ctx := context.Background()
	db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
	defer db.Close()
	must(t, db.StartMirrorFill(ctx, &m))
	n := 2*packChunk + 77 // pieces of 3 072, 3 072 and 2 125
	p := benchPage(0, n)
	for i := 0; i < n; i += 1000 { // a first fill writes no pack and no mark
		q := MirrorPage{Masters: p.Masters[i:min(i+1000, n)], Assets: p.Assets[i:min(i+1000, n)], Token: "t", Done: i+1000 >= n}
		must(t, db.ApplyMirrorPage(ctx, &m, q, mirrorT0))
		if rows, marks := packRows(t, db, m); rows != 0 || marks != 0 {
			t.Fatalf("a first fill: %d pack rows, %d marks", rows, marks)
		}
	}
	want := joinSeq(t, db, m)
	sameSeq(t, "from the join", eachSeq(t, db, m), want)
	if rows, marks := packRows(t, db, m); rows != 3 || marks != 0 {
		t.Fatalf("%d assets: %d pack rows, %d marks; want 3, 0", n, rows, marks)
	}
	sameSeq(t, "from the pack", eachSeq(t, db, m), want)
	must(t, db.StartMirrorFill(ctx, &m))
	p = benchPage(0, 100)
	p.Token = "t2"
	must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
	if _, marks := packRows(t, db, m); marks != 0 {
		t.Fatalf("a fresh fill sending records again unchanged: %d marks", marks)
	}
	must(t, db.ApplyMirrorPage(ctx, &m, MirrorPage{Token: "t3", Done: true}, mirrorT0))
	want = joinSeq(t, db, m)
	sameSeq(t, "after a fresh fill", eachSeq(t, db, m), want)
	if rows, marks := packRows(t, db, m); rows != 1 || marks != 0 || len(want) != 100 {
		t.Fatalf("%d assets after a fresh fill: %d pack rows, %d marks; want 1, 0", len(want), rows, marks)
	}
	sameSeq(t, "from the new pack", eachSeq(t, db, m), want)
}

// TestMirrorPackDamagedIsNotTrusted: a pack chunk that is damaged (a bit
// flipped, cut short, another version, not a blob, moved under another
// key) is logged and its range read from the join instead; one that is
// missing, or whose range no longer meets its neighbour's, is read from
// the join too, without a log (a walk stopped before it wrote every piece
// leaves the same); EachMirrorAsset gives the join all the same, and the
// pack is written again and then used.
func TestMirrorPackDamagedIsNotTrusted(t *testing.T) {
	ctx := context.Background()
	var logged int
	old := packLog
	packLog = func(string, ...any) { logged++ }
	defer func() { packLog = old }()
	// row k of the pack, in the order of its keys
	key := func(t *testing.T, db *DB, k int) string {
		var lo string
		must(t, db.r.QueryRowContext(ctx, `SELECT lo FROM mirror_pack ORDER BY lo LIMIT 1 OFFSET ?`, k).Scan(&lo))
		return lo
	}
	blob := func(k int, f func([]byte) []byte) func(*testing.T, *DB) {
		return func(t *testing.T, db *DB) {
			lo := key(t, db, k)
			var b []byte
			must(t, db.r.QueryRowContext(ctx, `SELECT blob FROM mirror_pack WHERE lo = ?`, lo).Scan(&b))
			_, err := db.w.ExecContext(ctx, `UPDATE mirror_pack SET blob = ? WHERE lo = ?`, f(b), lo)
			must(t, err)
		}
	}
	exec := func(k int, s string) func(*testing.T, *DB) {
		return func(t *testing.T, db *DB) {
			_, err := db.w.ExecContext(ctx, s, key(t, db, k))
			must(t, err)
		}
	}
	// rehi gives chunk 0 another end, sealed again
	rehi := func(b []byte) []byte {
		info, err := decodePackChunk(b, nil, nil)
		must(t, err)
		body := b[:len(b)-4]
		old := packChunkHeader(nil, info.lo, info.hi, info.last, info.n)
		return sealPackChunk(append(packChunkHeader(nil, info.lo, "0", false, info.n), body[len(old):]...))
	}
	damage := map[string]struct {
		do     func(*testing.T, *DB)
		logged bool
	}{
		"bit flipped":   {blob(1, func(b []byte) []byte { b[60] ^= 4; return b }), true},
		"size flipped":  {blob(1, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }), true},
		"cut short":     {blob(1, func(b []byte) []byte { return b[:len(b)-9] }), true},
		"cut, sealed":   {blob(1, func(b []byte) []byte { return sealPackChunk(b[:len(b)-13]) }), true},
		"empty blob":    {blob(1, func([]byte) []byte { return []byte{} }), true},
		"last flagged":  {blob(0, func(b []byte) []byte { b[1] = packLast; return b }), true},
		"other version": {blob(0, func(b []byte) []byte { b[0] = packVersion + 1; return b }), true},
		"not a blob":    {exec(1, `UPDATE mirror_pack SET blob = 'x' WHERE lo = ?`), true},
		"chunk moved":   {exec(1, `UPDATE mirror_pack SET lo = lo || 'x' WHERE lo = ?`), true},
		"chunk gone":    {exec(1, `DELETE FROM mirror_pack WHERE lo = ?`), false},
		"first gone":    {exec(0, `DELETE FROM mirror_pack WHERE lo = ?`), false},
		"other end":     {blob(0, rehi), false},
	}
	for name, d := range damage {
		t.Run(name, func(t *testing.T) {
			db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
			defer db.Close()
			must(t, db.StartMirrorFill(ctx, &m))
			p := benchPage(0, packChunk+500)
			p.Token, p.Done = "t", true
			must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
			want := joinSeq(t, db, m)
			sameSeq(t, "from the join", eachSeq(t, db, m), want)
			if rows, _ := packRows(t, db, m); rows != 2 {
				t.Fatalf("%d pack rows, want 2", rows)
			}
			d.do(t, db)
			logged = 0
			sameSeq(t, "damaged pack", eachSeq(t, db, m), want)
			if (logged > 0) != d.logged {
				t.Errorf("logged %d times, want a log: %v", logged, d.logged)
			}
			// and the rewritten pack is used: the rows go, the pack serves
			_, err := db.w.ExecContext(ctx, `DELETE FROM mirror_asset`)
			must(t, err)
			logged = 0
			sameSeq(t, "rewritten pack", eachSeq(t, db, m), want)
			if logged != 0 {
				t.Errorf("the rewritten pack: logged %d times", logged)
			}
		})
	}
}

// TestMirrorPackNotWrittenWhileChanging: a page applied while the join is
// streamed (and packed) keeps the walk from writing the pack.
func TestMirrorPackNotWrittenWhileChanging(t *testing.T) {
	ctx := context.Background()
	db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
	defer db.Close()
	must(t, db.StartMirrorFill(ctx, &m))
	p := benchPage(0, packChunk+10)
	p.Token, p.Done = "t", true
	must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
	n := 0
	must(t, db.EachMirrorAsset(ctx, m, func(MirrorEntry) error {
		if n++; n == 1 {
			q := MirrorPage{Token: "t2", Purged: []string{p.Assets[5].ID}}
			return db.ApplyMirrorPage(ctx, &m, q, mirrorT0)
		}
		return nil
	}))
	if n != packChunk+10 {
		t.Fatalf("streamed %d, want the state before the page", n)
	}
	if rows, _ := packRows(t, db, m); rows != 0 {
		t.Fatalf("%d pack rows written after the page", rows)
	}
	want := joinSeq(t, db, m)
	sameSeq(t, "after the page", eachSeq(t, db, m), want)
	if len(want) != packChunk+9 {
		t.Fatalf("%d assets after the purge", len(want))
	}
	// a page while the pack is read: the ranges it changes are marked,
	// the walk's writes do not hold, the next walk reads them again
	n = 0
	must(t, db.EachMirrorAsset(ctx, m, func(MirrorEntry) error {
		if n++; n == 1 {
			q := MirrorPage{Token: "t3", Purged: []string{p.Assets[7].ID, p.Assets[packChunk].ID}}
			return db.ApplyMirrorPage(ctx, &m, q, mirrorT0)
		}
		return nil
	}))
	if _, marks := packRows(t, db, m); marks != 2 || n != packChunk+9 {
		t.Fatalf("%d marks after a page during a walk of %d, want 2", marks, n)
	}
	want = joinSeq(t, db, m)
	sameSeq(t, "after the second page", eachSeq(t, db, m), want)
	sameSeq(t, "after the second page, from the pack", eachSeq(t, db, m), want)
	if _, marks := packRows(t, db, m); marks != 0 || len(want) != packChunk+7 {
		t.Fatalf("%d marks, %d assets", marks, len(want))
	}
}

// TestMirrorPackMigration: a database of the schema before the pack gets
// the rev and the pack tables; a pack of schema 4 is dropped; the mirror
// is read and packed.
func TestMirrorPackMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	old, err := open(ctx, path, migrations[:3])
	must(t, err)
	m, err := old.OpenMirror(ctx, "alice", "PrimarySync")
	must(t, err)
	p := pageOf(0, 30, "t", true)
	// the schema-3 writes, without rev
	for _, x := range p.Masters {
		_, err := old.w.ExecContext(ctx, `INSERT INTO mirror_master (lib, id, name, kind, size, alt_size, live_size, flags, gen)
			VALUES (?, ?, ?, ?, ?, 0, ?, 0, 0)`, m.ID, x.ID, x.Name, x.Kind, x.Size, x.LiveSize)
		must(t, err)
	}
	for _, x := range p.Assets {
		_, err := old.w.ExecContext(ctx, `INSERT INTO mirror_asset (lib, id, master, added, taken, tz, flags, gen)
			VALUES (?, ?, ?, ?, ?, 3600, 0, 0)`, m.ID, x.ID, x.MasterID, toMS(x.Added), toMS(x.Taken))
		must(t, err)
	}
	must(t, old.Close())
	old, err = open(ctx, path, migrations[:4])
	must(t, err)
	_, err = old.w.ExecContext(ctx, `INSERT INTO mirror_pack (lib, chunk, rev, blob) VALUES (?, 0, 0, x'0101')`, m.ID)
	must(t, err)
	must(t, old.Close())
	db, m := openAliceMirror(t, path)
	defer db.Close()
	if SchemaVersion() != 5 {
		t.Fatalf("schema %d, want 5", SchemaVersion())
	}
	if rows, marks := packRows(t, db, m); rows != 0 || marks != 0 {
		t.Fatalf("%d pack rows, %d marks after the migration", rows, marks)
	}
	want := joinSeq(t, db, m)
	if len(want) != 30 {
		t.Fatalf("%d assets after the migration", len(want))
	}
	sameSeq(t, "migrated, from the join", eachSeq(t, db, m), want)
	if rows, _ := packRows(t, db, m); rows != 1 {
		t.Fatalf("%d pack rows after the first read", rows)
	}
	_, err = db.w.ExecContext(ctx, `DELETE FROM mirror_asset`)
	must(t, err)
	sameSeq(t, "migrated, from the pack", eachSeq(t, db, m), want)
}

// TestDecodePackChunkNeverPanics: random changes to a chunk, with its CRC
// made right again, give an error or entries, never a panic or a read
// past the blob.
func TestDecodePackChunkNeverPanics(t *testing.T) {
	var good []byte
	prev := int64(0)
	p := randomPage(rand.New(rand.NewPCG(7, 7)), 0)
	for _, a := range p.Assets {
		e := MirrorEntry{Asset: a, Master: p.Masters[0]}
		good = appendPackEntry(good, &e, prev)
		prev = toMS(a.Added)
	}
	good = binary.AppendUvarint(good, 2) // two orphans
	good = appendPackName(appendPackName(good, p.Assets[0].ID), "not-yet")
	good = appendPackName(appendPackName(good, "orphan"), p.Masters[1].ID)
	chunk := sealPackChunk(append(packChunkHeader(nil, "", p.Assets[0].ID, false, len(p.Assets)), good...))
	stale := map[string]struct{}{string(appendPackName(nil, p.Masters[1].ID)): {}}
	if info, err := decodePackChunk(chunk, stale, func(MirrorEntry) error { return nil }); err != nil || info.last ||
		info.n != len(p.Assets) || info.lo != "" || info.hi != p.Assets[0].ID || !info.hit {
		t.Fatalf("the intact chunk: %+v, %v", info, err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		b := append([]byte(nil), chunk[:len(chunk)-4]...)
		for range 1 + rng.IntN(3) {
			switch i := rng.IntN(len(b)); rng.IntN(3) {
			case 0:
				b[i] = byte(rng.IntN(256))
			case 1:
				b = b[:i]
			default:
				b = append(b[:i], append([]byte{0xff, 0xff, 0xff}, b[i:]...)...)
			}
			if len(b) == 0 {
				break
			}
		}
		_, _ = decodePackChunk(sealPackChunk(b), stale, func(MirrorEntry) error { return nil })
	}
}

// TestPackNamesComeBack: every name comes back byte for byte, in a compact
// form or as it is, and the compact forms are used for the record names
// CloudKit gives (UUIDs, 28-character base64 checksums).
func TestPackNamesComeBack(t *testing.T) {
	names := map[string]int{
		"F1E2D3C4-B5A6-4978-8695-A4B3C2D1E0F9":  packUUIDUpper,
		"f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9":  packUUIDLower,
		"00000001-0000-4000-8000-000000000000":  packUUIDUpper,
		"F1E2D3C4-b5a6-4978-8695-A4B3C2D1E0F9":  packRaw, // mixed case
		"G1E2D3C4-B5A6-4978-8695-A4B3C2D1E0F9":  packRaw,
		"F1E2D3C4-B5A6-4978-8695_A4B3C2D1E0F9":  packRaw,
		"F1E2D3C4-B5A6-4978-8695-A4B3C2D1E0F":   packRaw,
		"AY6c+BsE0jjaXx9tmVGJM1D2VcJW":          packBase64,
		"AY6c+BsE0jjaXx9tmVGJM1D2Vc==":          packRaw,
		"AY6c-BsE0jjaXx9tmVGJM1D2VcJW":          packRaw, // URL alphabet
		"AY6c+BsE0jjaXx9tmVGJM1D2VcJ":           packRaw,
		"":                                      packRaw,
		"IMG_0001.HEIC":                         packRaw,
		"Été à la plage 名前.jpg":                 packRaw,
		"\x00\xff":                              packRaw,
		"F1E2D3C4-B5A6-4978-8695-A4B3C2D1E0F9 ": packRaw,
	}
	var chunk []byte
	var want []MirrorEntry
	for name, form := range names {
		if got := packForm(name); got != form {
			t.Errorf("%q packed as form %d, want %d", name, got, form)
		}
		for j := range 3 {
			e := MirrorEntry{Asset: MirrorAsset{ID: "a", MasterID: "m", Added: mirrorT0}, Master: MirrorMaster{Name: "n", Size: 1}}
			switch j {
			case 0:
				e.Asset.ID = name
			case 1:
				e.Asset.MasterID = name
			default:
				e.Master.Name = name
			}
			e.Master.ID = e.Asset.MasterID
			prev := int64(0)
			if len(want) > 0 {
				prev = toMS(want[len(want)-1].Asset.Added)
			}
			chunk = appendPackEntry(chunk, &e, prev)
			want = append(want, e)
		}
	}
	var got []MirrorEntry
	chunk = binary.AppendUvarint(chunk, 0) // no orphans
	info, err := decodePackChunk(sealPackChunk(append(packChunkHeader(nil, "Été", "", true, len(want)), chunk...)), nil, func(e MirrorEntry) error {
		got = append(got, e)
		return nil
	})
	if err != nil || info.n != len(want) || info.lo != "Été" || !info.last {
		t.Fatalf("%+v, %v", info, err)
	}
	// an empty chunk whose range is written in 16-byte UUIDs: its body is
	// shorter than the names' characters
	lo, hi := "00000292-1111-2222-3333-444455556666", "F1E2D3C4-B5A6-4978-8695-A4B3C2D1E0F9"
	info, err = decodePackChunk(sealPackChunk(append(packChunkHeader(nil, lo, hi, false, 0), 0)), nil, nil)
	if err != nil || info.n != 0 || info.lo != lo || info.hi != hi || info.last {
		t.Fatalf("an empty chunk: %+v, %v", info, err)
	}
	sameSeq(t, "names", got, want)
}
