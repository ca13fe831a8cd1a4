package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var mirrorT0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func mirrorEntries(t *testing.T, db *DB, m MirrorLibrary) map[string]MirrorEntry {
	t.Helper()
	out := map[string]MirrorEntry{}
	must(t, db.EachMirrorAsset(context.Background(), m, func(e MirrorEntry) error {
		out[e.Asset.ID] = e
		return nil
	}))
	return out
}

func pageOf(from, n int, token string, done bool) MirrorPage {
	p := MirrorPage{Token: token, Done: done}
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("%08d-1111-2222-3333-444455556666", i)
		mid := fmt.Sprintf("AY6c+BsE0jjaXx9tmVGJM1D2%04d", i%10000)
		p.Masters = append(p.Masters, MirrorMaster{ID: mid, Name: fmt.Sprintf("IMG_%04d.HEIC", i%10000), Kind: 1,
			Size: 2_400_000 + int64(i), LiveSize: 1_900_000, Fingerprint: mid})
		p.Assets = append(p.Assets, MirrorAsset{ID: id, MasterID: mid, Added: mirrorT0.Add(-time.Duration(i) * time.Minute),
			Taken: mirrorT0.Add(-time.Duration(i) * time.Hour), TZ: 3600, TZKnown: true})
	}
	return p
}

// openAliceMirror opens (or creates) the database at path and alice's
// PrimarySync mirror in it.
func openAliceMirror(t testing.TB, path string) (*DB, MirrorLibrary) {
	t.Helper()
	db, err := Open(path)
	must(t, err)
	m, err := db.OpenMirror(context.Background(), "alice", "PrimarySync")
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, m
}

func TestMirrorFillResumeAndDelta(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	db, m := openAliceMirror(t, path)
	if m.Filling || m.Token != "" || !m.Filled.IsZero() || m.Assets != 0 {
		t.Fatalf("new mirror: %+v", m)
	}
	must(t, db.StartMirrorFill(ctx, &m))
	must(t, db.ApplyMirrorPage(ctx, &m, pageOf(0, 10, "page-1", false), mirrorT0))
	db.Close()

	// a restart continues from the stored continuation
	db, m = openAliceMirror(t, path)
	defer db.Close()
	if !m.Filling || m.FillToken != "page-1" || m.Token != "" || m.Assets != 10 {
		t.Fatalf("after restart: %+v, want filling from page-1 with 10 assets", m)
	}
	must(t, db.ApplyMirrorPage(ctx, &m, pageOf(10, 5, "zone-1", true), mirrorT0))
	if m.Filling || m.Token != "zone-1" || !m.Filled.Equal(mirrorT0) || m.Assets != 15 {
		t.Fatalf("after the last page: %+v", m)
	}
	got := mirrorEntries(t, db, m)
	e := got["00000003-1111-2222-3333-444455556666"]
	if e.Master.Name != "IMG_0003.HEIC" || e.Master.Size != 2_400_003 || e.Master.LiveSize != 1_900_000 ||
		!e.Asset.Taken.Equal(mirrorT0.Add(-3*time.Hour)) || e.Asset.TZ != 3600 || !e.Asset.TZKnown || e.Master.Fingerprint != "" {
		t.Fatalf("entry read back: %+v", e)
	}
	// a delta: one hidden (asset record only), one purged
	h := got["00000004-1111-2222-3333-444455556666"].Asset
	h.Flags = MirrorHidden
	must(t, db.ApplyMirrorPage(ctx, &m, MirrorPage{Assets: []MirrorAsset{h},
		Purged: []string{"00000005-1111-2222-3333-444455556666", "AY6c+BsE0jjaXx9tmVGJM1D20005"}, Token: "zone-2", Done: true}, mirrorT0.Add(time.Hour)))
	got = mirrorEntries(t, db, m)
	if len(got) != 14 || got["00000004-1111-2222-3333-444455556666"].Master.Name != "IMG_0004.HEIC" ||
		got["00000004-1111-2222-3333-444455556666"].Asset.Flags != MirrorHidden || m.Token != "zone-2" || !m.Filled.Equal(mirrorT0) {
		t.Fatalf("after the delta: %d entries, %+v", len(got), m)
	}
	// a fresh fill (refused token) keeps the old rows until it ends, then
	// drops those it did not see again
	must(t, db.StartMirrorFill(ctx, &m))
	must(t, db.ApplyMirrorPage(ctx, &m, pageOf(0, 3, "p", false), mirrorT0))
	if n := len(mirrorEntries(t, db, m)); n != 14 {
		t.Fatalf("during the refill %d entries, want the 14 of before", n)
	}
	must(t, db.ApplyMirrorPage(ctx, &m, pageOf(3, 2, "zone-3", true), mirrorT0.Add(2*time.Hour)))
	if got := mirrorEntries(t, db, m); len(got) != 5 || m.Assets != 5 {
		t.Fatalf("after the refill %d entries (%d counted), want 5", len(got), m.Assets)
	}
	// libraries and accounts are apart
	other, err := db.OpenMirror(ctx, "bob", "PrimarySync")
	must(t, err)
	if other.ID == m.ID || len(mirrorEntries(t, db, other)) != 0 {
		t.Fatal("another account sees alice's mirror")
	}
	must(t, db.DropMirror(ctx, "alice", "PrimarySync"))
	if m2, _ := db.OpenMirror(ctx, "alice", "PrimarySync"); m2.Assets != 0 || m2.Token != "" {
		t.Fatalf("after drop: %+v", m2)
	}
}

// mirrorBytesPerAssetMax is issue 20's disk budget per mirrored asset.
const mirrorBytesPerAssetMax = 300

// TestMirrorBytesPerAsset fills a mirror with n assets (20 000 by default;
// ICLOUDMON_MIRROR_ASSETS=500000 for the size) and measures the file.
func TestMirrorBytesPerAsset(t *testing.T) {
	n := 20_000
	if s := os.Getenv("ICLOUDMON_MIRROR_ASSETS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			t.Fatalf("ICLOUDMON_MIRROR_ASSETS=%q: want a positive number", s)
		}
		n = v
	}
	per := FillMirrorForBench(t, n)
	t.Logf("%d assets: %.0f bytes per asset on disk", n, per)
	if per > mirrorBytesPerAssetMax {
		t.Errorf("%.0f bytes per asset, budget %d", per, mirrorBytesPerAssetMax)
	}
}

// FillMirrorForBench fills a new database with n mirrored assets (each with
// its own master, a Live Photo video and a realistic name), checkpoints it
// and returns the file's bytes per asset.
func FillMirrorForBench(t testing.TB, n int) float64 {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	db, m := openAliceMirror(t, path)
	must(t, db.StartMirrorFill(ctx, &m))
	const batch = 5000
	for i := 0; i < n; i += batch {
		p := benchPage(i, min(batch, n-i))
		p.Token, p.Done = "t", i+batch >= n
		must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
	}
	// a comparison reads the mirror and packs it (mirror_pack.go)
	must(t, db.EachMirrorAsset(ctx, m, func(MirrorEntry) error { return nil }))
	if _, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	must(t, db.Close())
	st, err := os.Stat(path)
	must(t, err)
	return float64(st.Size()) / float64(n)
}

// benchPage has realistic record names: CPLAsset names are UUIDs, CPLMaster
// names 28-character base64 checksums.
func benchPage(from, n int) MirrorPage {
	var p MirrorPage
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("%08X-6C0B-4A1E-9D4B-%012X", i*2654435761%(1<<32), i*40503)
		mid := fmt.Sprintf("A%sQvXbG+%07d", strconv.FormatInt(int64(i)*7919+1<<40, 36), i)
		for len(mid) < 28 {
			mid += "x"
		}
		p.Masters = append(p.Masters, MirrorMaster{ID: mid, Name: fmt.Sprintf("IMG_%04d.HEIC", i%10000), Kind: 1,
			Size: 1_500_000 + int64(i%900_000), LiveSize: int64(i%3) * 1_700_000})
		p.Assets = append(p.Assets, MirrorAsset{ID: id, MasterID: mid, Added: mirrorT0.Add(-time.Duration(i) * time.Minute),
			Taken: mirrorT0.Add(-time.Duration(i)*time.Minute - 3*time.Hour), TZ: 3600, TZKnown: true, Flags: boolFlag(i%50 == 0)})
	}
	return p
}

func boolFlag(b bool) int {
	if b {
		return MirrorHidden
	}
	return 0
}

// TestEachMirrorAssetEqualsTheJoin: the rows EachMirrorAsset reads from
// the driver directly are those database/sql's Scan gives for the same
// join, every column, with NULL time zones, flags, kinds, sizes and an
// asset whose master has not come yet; an error of fn stops the walk and
// comes back unchanged.
func TestEachMirrorAssetEqualsTheJoin(t *testing.T) {
	ctx := context.Background()
	db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
	defer db.Close()
	must(t, db.StartMirrorFill(ctx, &m))
	p := pageOf(0, 40, "t", true)
	for i := range p.Assets {
		p.Assets[i].TZKnown = i%3 != 0
		p.Assets[i].TZ = -3600 * (i % 5)
		p.Assets[i].Flags = i % 4
		if i%7 == 0 {
			p.Assets[i].Taken = time.Time{}
		}
	}
	for i := range p.Masters {
		p.Masters[i].Kind, p.Masters[i].Flags, p.Masters[i].AltSize = i%3, i%2*MirrorDeleted, int64(i%2)*9_000_000
	}
	p.Assets = append(p.Assets, MirrorAsset{ID: "orphan", MasterID: "not-yet", Added: mirrorT0})
	must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))

	want := map[string]MirrorEntry{}
	for _, e := range joinSeq(t, db, m) {
		want[e.Asset.ID] = e
	}
	got := mirrorEntries(t, db, m)
	if len(got) != 40 || len(want) != 40 {
		t.Fatalf("streamed %d rows, the join gives %d; want 40 (the orphan left out)", len(got), len(want))
	}
	for id, w := range want {
		if g := got[id]; g != w {
			t.Errorf("asset %s:\n got %+v\nwant %+v", id, g, w)
		}
	}
	// the values themselves, not only the agreement of two readers
	if e := got[p.Assets[1].ID]; !e.Asset.TZKnown || e.Asset.TZ != -3600 || e.Asset.Flags != 1 || e.Master.Kind != 1 ||
		e.Master.Flags != MirrorDeleted || e.Master.AltSize != 9_000_000 || e.Master.LiveSize != 1_900_000 || !e.Asset.Taken.Equal(p.Assets[1].Taken) {
		t.Errorf("asset 1: %+v", e)
	}
	if e := got[p.Assets[0].ID]; e.Asset.TZKnown || !e.Asset.Taken.IsZero() {
		t.Errorf("asset 0 (no time zone, no capture time): %+v", e)
	}
	stop := errors.New("stop")
	n := 0
	err := db.EachMirrorAsset(ctx, m, func(MirrorEntry) error { n++; return stop })
	if !errors.Is(err, stop) || err != stop || n != 1 { //nolint:errorlint // the very error fn returned
		t.Errorf("fn's error: %v after %d rows, want stop after 1", err, n)
	}
}

// mirrorCount is the number of asset rows of the library.
func mirrorCount(t *testing.T, db *DB, m MirrorLibrary) int {
	t.Helper()
	var n int
	must(t, db.r.QueryRowContext(context.Background(), `SELECT count(*) FROM mirror_asset WHERE lib = ?`, m.ID).Scan(&n))
	return n
}

// TestMirrorAssetCountKept: the asset count kept with the library equals
// the rows after random fills, deltas (new, changed and repeated assets,
// purges of assets, masters and unknown names) and fresh fills after a
// refused token, also when read again by OpenMirror.
func TestMirrorAssetCountKept(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 20))
		path := filepath.Join(t.TempDir(), FileName)
		db, m := openAliceMirror(t, path)
		must(t, db.StartMirrorFill(ctx, &m))
		for step := range 40 {
			var p MirrorPage
			switch r := rng.IntN(10); {
			case r == 0 && !m.Filling:
				must(t, db.StartMirrorFill(ctx, &m)) // CloudKit refused the token
				p = pageOf(rng.IntN(60), rng.IntN(20), fmt.Sprint("t", step), false)
			default:
				p = pageOf(rng.IntN(80), rng.IntN(15), fmt.Sprint("t", step), rng.IntN(4) == 0)
				if len(p.Assets) > 1 {
					p.Assets = append(p.Assets, p.Assets[0]) // the same record twice in a page
				}
				for range rng.IntN(4) {
					i := rng.IntN(90)
					p.Purged = append(p.Purged, fmt.Sprintf("%08d-1111-2222-3333-444455556666", i),
						fmt.Sprintf("AY6c+BsE0jjaXx9tmVGJM1D2%04d", i))
				}
			}
			must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
			if n := mirrorCount(t, db, m); m.Assets != n {
				t.Fatalf("seed %d step %d: %d assets counted, %d rows", seed, step, m.Assets, n)
			}
		}
		again, err := db.OpenMirror(ctx, "alice", "PrimarySync")
		must(t, err)
		if n := mirrorCount(t, db, m); again.Assets != n {
			t.Fatalf("seed %d: reopened with %d assets, %d rows", seed, again.Assets, n)
		}
		db.Close()
	}
}

// TestMirrorCountMigration: a database of the schema before the kept
// count gets the count of the rows it holds.
func TestMirrorCountMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	old, err := open(ctx, path, migrations[:2])
	must(t, err)
	_, err = old.w.ExecContext(ctx, `INSERT INTO mirror_library (account, library) VALUES ('alice', 'PrimarySync'), ('bob', 'PrimarySync')`)
	must(t, err)
	for i := range 7 {
		_, err := old.w.ExecContext(ctx, `INSERT INTO mirror_asset (lib, id, master, added, taken, flags, gen)
			SELECT id, ?, 'm', 0, 0, 0, 0 FROM mirror_library WHERE account = 'alice' OR ? < 3`, fmt.Sprint(i), i)
		must(t, err)
	}
	must(t, old.Close())
	db, m := openAliceMirror(t, path)
	defer db.Close()
	bob, err := db.OpenMirror(ctx, "bob", "PrimarySync")
	must(t, err)
	if m.Assets != 7 || bob.Assets != 3 {
		t.Fatalf("after the migration alice has %d assets, bob %d; want 7 and 3", m.Assets, bob.Assets)
	}
}

// TestMirrorRevGoesUpWithEveryPage: MirrorRev changes with each page
// applied and with nothing else (a comparison's time).
func TestMirrorRevGoesUpWithEveryPage(t *testing.T) {
	ctx := context.Background()
	db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
	defer db.Close()
	rev := func() int64 {
		t.Helper()
		r, err := db.MirrorRev(ctx, m)
		must(t, err)
		return r
	}
	r0 := rev()
	must(t, db.StartMirrorFill(ctx, &m))
	must(t, db.ApplyMirrorPage(ctx, &m, pageOf(0, 10, "zone-1", true), mirrorT0))
	r1 := rev()
	must(t, db.SetMirrorCompared(ctx, &m, mirrorT0.Add(time.Hour)))
	if r := rev(); r1 <= r0 || r != r1 {
		t.Fatalf("revs %d, %d after a page, %d after a comparison; want a rise, then none", r0, r1, r)
	}
	must(t, db.ApplyMirrorPage(ctx, &m, pageOf(10, 1, "zone-2", true), mirrorT0))
	if r := rev(); r <= r1 {
		t.Fatalf("rev %d after a second page, was %d", r, r1)
	}
	gone := m
	gone.ID = -1
	if r, err := db.MirrorRev(ctx, gone); err != nil || r != 0 {
		t.Fatalf("a library that is gone: rev %d, %v", r, err)
	}
}
