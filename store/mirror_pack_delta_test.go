package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// countPackWrites makes the database count the pack rows written, through
// triggers of the test's own (packWritten reads the count).
func countPackWrites(t *testing.T, db *DB) {
	t.Helper()
	for _, s := range []string{`CREATE TABLE pack_written (n INTEGER NOT NULL)`,
		`CREATE TRIGGER pack_written_insert AFTER INSERT ON mirror_pack BEGIN INSERT INTO pack_written VALUES (length(NEW.blob)); END`,
		`CREATE TRIGGER pack_written_update AFTER UPDATE ON mirror_pack BEGIN INSERT INTO pack_written VALUES (length(NEW.blob)); END`} {
		_, err := db.w.ExecContext(context.Background(), s)
		must(t, err)
	}
}

// packWritten is the number of pack rows written (and their bytes) since
// the last call.
func packWritten(t *testing.T, db *DB) (rows, bytes int) {
	t.Helper()
	ctx := context.Background()
	must(t, db.w.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(n), 0) FROM pack_written`).Scan(&rows, &bytes))
	_, err := db.w.ExecContext(ctx, `DELETE FROM pack_written`)
	must(t, err)
	return rows, bytes
}

// TestMirrorPackDeltaRebuildsOneChunk: after a delta of one asset (an
// upload, a change of the asset, a change of its master alone, a purge),
// the next walk of a mirror of several chunks gives the join and writes
// exactly one pack row, a fraction of the pack's bytes; the walk after it
// writes nothing.
func TestMirrorPackDeltaRebuildsOneChunk(t *testing.T) {
	ctx := context.Background()
	db, m := openAliceMirror(t, filepath.Join(t.TempDir(), FileName))
	defer db.Close()
	must(t, db.StartMirrorFill(ctx, &m))
	n := 3*packChunk + 100
	p := benchPage(0, n)
	p.Token, p.Done = "t", true
	must(t, db.ApplyMirrorPage(ctx, &m, p, mirrorT0))
	sameSeq(t, "from the join", eachSeq(t, db, m), joinSeq(t, db, m))
	countPackWrites(t, db)
	var total int
	must(t, db.r.QueryRowContext(ctx, `SELECT sum(length(blob)) FROM mirror_pack WHERE lib = ?`, m.ID).Scan(&total))
	sameSeq(t, "from the pack", eachSeq(t, db, m), joinSeq(t, db, m))
	if rows, _ := packWritten(t, db); rows != 0 {
		t.Fatalf("an unchanged mirror: %d pack rows written", rows)
	}
	up := benchPage(n, 1)
	moved := p.Assets[n/2]
	moved.Flags ^= MirrorHidden
	renamed := p.Masters[n/3]
	renamed.Name = "IMG_RENAMED.HEIC"
	deltas := []struct {
		name string
		page MirrorPage
	}{
		{"upload", up},
		{"asset changed", MirrorPage{Assets: []MirrorAsset{moved}}},
		{"master changed alone", MirrorPage{Masters: []MirrorMaster{renamed}}},
		{"asset purged", MirrorPage{Purged: []string{p.Assets[n/5].ID}}},
		{"master purged alone", MirrorPage{Purged: []string{p.Masters[n/7].ID}}},
		{"master sent again unchanged", MirrorPage{Masters: []MirrorMaster{p.Masters[n/9]}}},
	}
	for i, d := range deltas {
		d.page.Token = fmt.Sprint("t", i)
		must(t, db.ApplyMirrorPage(ctx, &m, d.page, mirrorT0))
		sameSeq(t, d.name, eachSeq(t, db, m), joinSeq(t, db, m))
		rows, bytes := packWritten(t, db)
		want := 1
		if d.name == "master sent again unchanged" {
			want = 0
		}
		t.Logf("%s: %d pack row(s), %d of the pack's %d bytes written", d.name, rows, bytes, total)
		if rows != want || bytes > total/3 {
			t.Errorf("%s: %d pack rows (%d bytes of %d) written, want %d", d.name, rows, bytes, total, want)
		}
		sameSeq(t, d.name+", again", eachSeq(t, db, m), joinSeq(t, db, m))
		if rows, _ := packWritten(t, db); rows != 0 {
			t.Errorf("%s: the walk after the rebuild wrote %d pack rows", d.name, rows)
		}
	}
}
