package store

import (
	"context"
	"database/sql"
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

// packRows is the number of pack rows of the library tagged with its rev.
func packRows(t *testing.T, db *DB, m MirrorLibrary) (current, all int) {
	t.Helper()
	must(t, db.r.QueryRowContext(context.Background(), `SELECT count(*) FROM mirror_pack p JOIN mirror_library l
		ON l.id = p.lib AND l.rev = p.rev WHERE p.lib = ?`, m.ID).Scan(&current))
	must(t, db.r.QueryRowContext(context.Background(), `SELECT count(*) FROM mirror_pack WHERE lib = ?`, m.ID).Scan(&all))
	return current, all
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

// TestMirrorPackEqualsTheJoin: on random mirrors changed by random pages,
// purges and fresh fills after a refused token, EachMirrorAsset gives the
// join's sequence (every column, in order) both when it reads the join
// and packs it and when it reads the pack; every change leaves the pack
// unused until a comparison packs the new state; the pack is really read
// (rows removed behind the store's back, without a change of rev, still
// come back from it).
func TestMirrorPackEqualsTheJoin(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 20))
		db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
		must(t, db.StartMirrorFill(ctx, &m))
		for step := range 25 {
			if rng.IntN(8) == 0 && !m.Filling {
				must(t, db.StartMirrorFill(ctx, &m)) // CloudKit refused the token
			}
			must(t, db.ApplyMirrorPage(ctx, &m, randomPage(rng, step), mirrorT0))
			if cur, _ := packRows(t, db, m); cur != 0 {
				t.Fatalf("seed %d step %d: %d pack rows still current after a page", seed, step, cur)
			}
			want := joinSeq(t, db, m)
			sameSeq(t, fmt.Sprintf("seed %d step %d, from the join", seed, step), eachSeq(t, db, m), want)
			if cur, _ := packRows(t, db, m); cur != 1+len(want)/packChunk {
				t.Fatalf("seed %d step %d: %d current pack rows for %d assets", seed, step, cur, len(want))
			}
			sameSeq(t, fmt.Sprintf("seed %d step %d, from the pack", seed, step), eachSeq(t, db, m), want)
		}
		want := joinSeq(t, db, m)
		if len(want) < 20 {
			t.Fatalf("seed %d: only %d assets at the end", seed, len(want))
		}
		_, err := db.w.ExecContext(ctx, `DELETE FROM mirror_asset WHERE lib = ?`, m.ID)
		must(t, err)
		sameSeq(t, "rows gone behind the pack's back", eachSeq(t, db, m), want)
		must(t, db.DropMirror(ctx, "alice", "PrimarySync"))
		if _, all := packRows(t, db, m); all != 0 {
			t.Errorf("seed %d: %d pack rows after DropMirror", seed, all)
		}
		db.Close()
	}
}

// TestMirrorPackSeveralChunks: a mirror of more than two chunks packs into
// as many rows, reads back the same, and a shorter mirror after a fresh
// fill leaves no chunk of the longer pack behind.
func TestMirrorPackSeveralChunks(t *testing.T) {
	ctx := context.Background()
	db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
	defer db.Close()
	must(t, db.StartMirrorFill(ctx, &m))
	n := 2*packChunk + 77
	p := benchPage(0, n)
	p.Token, p.Done = "t", true
	must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
	want := joinSeq(t, db, m)
	sameSeq(t, "from the join", eachSeq(t, db, m), want)
	if cur, all := packRows(t, db, m); cur != 3 || all != 3 {
		t.Fatalf("%d assets: %d/%d pack rows, want 3", n, cur, all)
	}
	sameSeq(t, "from the pack", eachSeq(t, db, m), want)
	must(t, db.StartMirrorFill(ctx, &m))
	p = benchPage(0, 100)
	p.Token, p.Done = "t2", true
	must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
	want = joinSeq(t, db, m)
	sameSeq(t, "after a fresh fill", eachSeq(t, db, m), want)
	if cur, all := packRows(t, db, m); cur != 1 || all != 1 || len(want) != 100 {
		t.Fatalf("%d assets after a fresh fill: %d/%d pack rows, want 1", len(want), cur, all)
	}
	sameSeq(t, "from the new pack", eachSeq(t, db, m), want)
}

// TestMirrorPackDamagedIsNotTrusted: a pack chunk that is damaged (a bit
// flipped, cut short, another version), missing, or out of order makes
// EachMirrorAsset read the join instead, before it handed out anything;
// a damaged one is logged; the pack is then written again.
func TestMirrorPackDamagedIsNotTrusted(t *testing.T) {
	ctx := context.Background()
	var logged int
	old := packLog
	packLog = func(string, ...any) { logged++ }
	defer func() { packLog = old }()
	blob := func(chunk int, f func([]byte) []byte) func(*testing.T, *DB) {
		return func(t *testing.T, db *DB) {
			var b []byte
			must(t, db.r.QueryRowContext(ctx, `SELECT blob FROM mirror_pack WHERE chunk = ?`, chunk).Scan(&b))
			_, err := db.w.ExecContext(ctx, `UPDATE mirror_pack SET blob = ? WHERE chunk = ?`, f(b), chunk)
			must(t, err)
		}
	}
	exec := func(s string) func(*testing.T, *DB) {
		return func(t *testing.T, db *DB) {
			_, err := db.w.ExecContext(ctx, s)
			must(t, err)
		}
	}
	damage := map[string]struct {
		do     func(*testing.T, *DB)
		logged bool
	}{
		"bit flipped":   {blob(1, func(b []byte) []byte { b[40] ^= 4; return b }), true},
		"size flipped":  {blob(1, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }), true},
		"cut short":     {blob(1, func(b []byte) []byte { return b[:len(b)-9] }), true},
		"cut, sealed":   {blob(1, func(b []byte) []byte { return sealPackChunk(b[:len(b)-13]) }), true},
		"empty blob":    {blob(1, func([]byte) []byte { return []byte{} }), true},
		"last flagged":  {blob(0, func(b []byte) []byte { b[1] = packLast; return b }), true},
		"other version": {blob(0, func(b []byte) []byte { b[0] = packVersion + 1; return b }), true},
		"not a blob":    {exec(`UPDATE mirror_pack SET blob = 'x' WHERE chunk = 1`), false},
		"chunk gone":    {exec(`DELETE FROM mirror_pack WHERE chunk = 1`), false},
		"chunk moved":   {exec(`UPDATE mirror_pack SET chunk = 7 WHERE chunk = 1`), false},
		"other rev":     {exec(`UPDATE mirror_pack SET rev = rev + 1 WHERE chunk = 1`), false},
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
			d.do(t, db)
			logged = 0
			sameSeq(t, "damaged pack", eachSeq(t, db, m), want)
			if (logged > 0) != d.logged {
				t.Errorf("logged %d times, want a log: %v", logged, d.logged)
			}
			if cur, all := packRows(t, db, m); cur != 2 || all != 2 {
				t.Errorf("%d/%d pack rows after the damage, want 2 written again", cur, all)
			}
			// and the rewritten pack is used: the rows go, the pack serves
			_, err := db.w.ExecContext(ctx, `DELETE FROM mirror_asset`)
			must(t, err)
			sameSeq(t, "rewritten pack", eachSeq(t, db, m), want)
		})
	}
}

// TestMirrorPackNotWrittenWhileChanging: a page applied while the join is
// streamed (and packed) keeps that pack from being used.
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
	if cur, _ := packRows(t, db, m); cur != 0 {
		t.Fatalf("%d pack rows tagged with the new rev", cur)
	}
	want := joinSeq(t, db, m)
	sameSeq(t, "after the page", eachSeq(t, db, m), want)
	if len(want) != packChunk+9 {
		t.Fatalf("%d assets after the purge", len(want))
	}
}

// TestMirrorPackMigration: a database of the schema before the pack gets
// the rev and the pack table; its mirror is read and packed.
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
	db, m := openAliceMirror(t, path)
	defer db.Close()
	if SchemaVersion() != 4 {
		t.Fatalf("schema %d, want 4", SchemaVersion())
	}
	want := joinSeq(t, db, m)
	if len(want) != 30 {
		t.Fatalf("%d assets after the migration", len(want))
	}
	sameSeq(t, "migrated, from the join", eachSeq(t, db, m), want)
	if cur, _ := packRows(t, db, m); cur != 1 {
		t.Fatalf("%d pack rows after the first read", cur)
	}
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
	chunk := sealPackChunk(append(packChunkHeader(nil, true, len(p.Assets)), good...))
	if last, n, err := decodePackChunk(chunk, func(MirrorEntry) error { return nil }); err != nil || !last || n != len(p.Assets) {
		t.Fatalf("the intact chunk: last %v, %d entries, %v", last, n, err)
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
		_, _, _ = decodePackChunk(sealPackChunk(b), func(MirrorEntry) error { return nil })
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
	_, n, err := decodePackChunk(sealPackChunk(append(packChunkHeader(nil, true, len(want)), chunk...)), func(e MirrorEntry) error {
		got = append(got, e)
		return nil
	})
	if err != nil || n != len(want) {
		t.Fatalf("%d entries, %v", n, err)
	}
	sameSeq(t, "names", got, want)
}
