package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"
)

// The metadata mirror of the whole-library audit (issue 20): per library
// the records of every asset (CPLAsset) and file (CPLMaster) as CloudKit's
// changes/zone gave them, and the zone's sync tokens. Masters and assets
// are kept apart, as changes/zone sends them apart (a hidden asset comes
// back without its master). Rows are keyed by a small library number and
// the record name (WITHOUT ROWID: the key is the row); times are Unix
// milliseconds and flags one integer, which keeps a mirrored asset near
// 200 bytes on disk (docs/performance.md "Whole-library audit").
//
// gen marks the rows of the current fill: a fresh fill (first one, or
// after CloudKit refused the token) takes the next gen, and when it ends
// the rows it did not see again are removed. Until then the previous state
// keeps serving.
var mirrorMigration = migration{
	name: "whole-library audit mirror",
	stmts: []string{
		`CREATE TABLE mirror_library (
			id INTEGER PRIMARY KEY,
			account TEXT NOT NULL,
			library TEXT NOT NULL,
			token TEXT NOT NULL DEFAULT '',
			fill_token TEXT NOT NULL DEFAULT '',
			filling INTEGER NOT NULL DEFAULT 0,
			gen INTEGER NOT NULL DEFAULT 0,
			filled_ms INTEGER NOT NULL DEFAULT 0,
			compared_ms INTEGER NOT NULL DEFAULT 0,
			UNIQUE (account, library)
		)`,
		`CREATE TABLE mirror_master (
			lib INTEGER NOT NULL,
			id TEXT NOT NULL,
			name TEXT NOT NULL,
			kind INTEGER NOT NULL,
			size INTEGER NOT NULL,
			alt_size INTEGER NOT NULL,
			live_size INTEGER NOT NULL,
			fp TEXT,
			flags INTEGER NOT NULL,
			gen INTEGER NOT NULL,
			PRIMARY KEY (lib, id)
		) WITHOUT ROWID`,
		`CREATE TABLE mirror_asset (
			lib INTEGER NOT NULL,
			id TEXT NOT NULL,
			master TEXT NOT NULL,
			added INTEGER NOT NULL,
			taken INTEGER NOT NULL,
			tz INTEGER,
			flags INTEGER NOT NULL,
			gen INTEGER NOT NULL,
			PRIMARY KEY (lib, id)
		) WITHOUT ROWID`,
	},
}

// mirrorCountMigration keeps the number of assets of each library with
// the library, so that opening a mirror does not count its rows (55 ms at
// 500 000 assets): every write that adds or removes assets changes it in
// the same transaction.
var mirrorCountMigration = migration{
	name: "mirror asset count",
	stmts: []string{
		`ALTER TABLE mirror_library ADD COLUMN assets INTEGER NOT NULL DEFAULT 0`,
		`UPDATE mirror_library SET assets = (SELECT count(*) FROM mirror_asset WHERE lib = mirror_library.id)`,
	},
}

// Mirror flags.
const (
	MirrorHidden  = 1 << 0
	MirrorDeleted = 1 << 1
)

// MirrorLibrary is the mirror state of one library of one account.
type MirrorLibrary struct {
	ID               int64
	Account, Library string
	// Token is the zone's sync token once a fill finished: later reads
	// ask only for what changed since.
	Token string
	// Filling is set while a fill pages through the zone; FillToken is the
	// token of the last stored page ("" before the first), where a
	// restarted fill continues.
	Filling   bool
	FillToken string
	// Filled is when a fill last finished (zero: never).
	Filled time.Time
	// Compared is when a comparison of the filled mirror last ran.
	Compared time.Time
	// Assets is the number of mirrored assets (every state).
	Assets int
	gen    int64
}

// MirrorMaster is one file (CPLMaster).
type MirrorMaster struct {
	ID       string
	Name     string
	Kind     int // caller's code
	Size     int64
	AltSize  int64
	LiveSize int64
	// Fingerprint is stored only when it differs from ID.
	Fingerprint string
	Flags       int
}

// MirrorAsset is one library entry (CPLAsset).
type MirrorAsset struct {
	ID       string
	MasterID string
	Added    time.Time
	Taken    time.Time
	TZ       int // seconds east of UTC
	TZKnown  bool
	Flags    int
}

// MirrorEntry is an asset joined with its master (zero Master.ID when the
// master has not come yet).
type MirrorEntry struct {
	Asset  MirrorAsset
	Master MirrorMaster
}

// MirrorPage is what one changes/zone page changes in the mirror.
type MirrorPage struct {
	Masters []MirrorMaster
	Assets  []MirrorAsset
	Purged  []string // record names, masters or assets
	// Token is the page's sync token; Done is set on the last page
	// (moreComing false), which ends a fill.
	Token string
	Done  bool
}

// OpenMirror returns the mirror state of a library, creating it empty.
func (db *DB) OpenMirror(ctx context.Context, account, library string) (MirrorLibrary, error) {
	if err := db.createMirror(ctx, account, library); err != nil {
		return MirrorLibrary{}, db.wrap("open the mirror of "+account+"/"+library+" in", err)
	}
	m := MirrorLibrary{Account: account, Library: library}
	var filling int
	var filled, compared int64
	err := db.w.QueryRowContext(ctx, `SELECT id, token, fill_token, filling, gen, filled_ms, compared_ms, assets
		FROM mirror_library WHERE account = ? AND library = ?`, account, library).
		Scan(&m.ID, &m.Token, &m.FillToken, &filling, &m.gen, &filled, &compared, &m.Assets)
	if err != nil {
		return MirrorLibrary{}, db.wrap("read the mirror of "+account+"/"+library+" from", err)
	}
	m.Filling, m.Filled, m.Compared = filling != 0, fromMS(filled), fromMS(compared)
	return m, nil
}

// createMirror adds the library if it is not there; a new library starts
// above every rev a dropped one reached (see DropMirror).
func (db *DB) createMirror(ctx context.Context, account, library string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `INSERT INTO mirror_library (account, library) VALUES (?, ?)
		ON CONFLICT (account, library) DO NOTHING`, account, library)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	var floor int64
	switch err := tx.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM kv WHERE ns = ? AND key = ?`,
		mirrorKV, mirrorDroppedRev).Scan(&floor); {
	case errors.Is(err, sql.ErrNoRows): // no library was dropped
	case err != nil:
		return err
	default:
		if _, err := tx.ExecContext(ctx, `UPDATE mirror_library SET rev = ? WHERE account = ? AND library = ?`,
			floor+1, account, library); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// StartMirrorFill begins a fresh fill of the whole zone: the stored tokens
// are dropped and the next pages are marked as a new generation. The rows
// of the previous state stay until the fill ends.
func (db *DB) StartMirrorFill(ctx context.Context, m *MirrorLibrary) error {
	m.gen++
	_, err := db.w.ExecContext(ctx, `UPDATE mirror_library SET token = '', fill_token = '', filling = 1, gen = ?
		WHERE id = ?`, m.gen, m.ID)
	if err != nil {
		return db.wrap("start the mirror fill of "+m.Library+" in", err)
	}
	m.Token, m.FillToken, m.Filling = "", "", true
	return nil
}

// ApplyMirrorPage stores one page in one transaction: records, purges and
// the token (the fill's continuation, or the zone token once Done). A fill
// that ends removes the rows it did not see again.
func (db *DB) ApplyMirrorPage(ctx context.Context, m *MirrorLibrary, p MirrorPage, at time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap("write the mirror of "+m.Library+" to", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if err := applyPage(ctx, tx, m, p, at); err != nil {
		return db.wrap("write the mirror of "+m.Library+" to", err)
	}
	if err := tx.Commit(); err != nil {
		return db.wrap("write the mirror of "+m.Library+" to", err)
	}
	var n int
	if err := db.w.QueryRowContext(ctx, `SELECT assets FROM mirror_library WHERE id = ?`, m.ID).Scan(&n); err == nil {
		m.Assets = n
	}
	if p.Done {
		if m.Filling {
			m.Filled = at
		}
		m.Token, m.FillToken, m.Filling = p.Token, "", false
	} else if m.Filling {
		m.FillToken = p.Token
	} else {
		m.Token = p.Token
	}
	return nil
}

func applyPage(ctx context.Context, tx *sql.Tx, m *MirrorLibrary, p MirrorPage, at time.Time) error {
	added := 0 // assets the page adds to the library (negative: removes)
	// the marks of what the page changes, for the pack (mirror_pack.go);
	// a library without a pack (a first fill) needs none
	var packed int
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM mirror_pack WHERE lib = ?)`, m.ID).Scan(&packed); err != nil {
		return err
	}
	var mark *sql.Stmt
	if packed != 0 {
		var err error
		if mark, err = tx.PrepareContext(ctx, `INSERT OR IGNORE INTO mirror_pack_stale (lib, master, id) VALUES (?, ?, ?)`); err != nil {
			return err
		}
		defer mark.Close()
	}
	stale := func(master bool, id string) error {
		if mark == nil {
			return nil
		}
		kind := 0
		if master {
			kind = 1
		}
		_, err := mark.ExecContext(ctx, m.ID, kind, id)
		return err
	}
	if len(p.Masters) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO mirror_master
			(lib, id, name, kind, size, alt_size, live_size, fp, flags, gen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		var known *sql.Stmt
		if mark != nil {
			if known, err = tx.PrepareContext(ctx, `SELECT 1 FROM mirror_master
				WHERE lib = ? AND id = ? AND name = ? AND kind = ? AND size = ? AND alt_size = ? AND live_size = ? AND flags = ?`); err != nil {
				return err
			}
			defer known.Close()
		}
		for _, x := range p.Masters {
			if known != nil { // what the join gives of it changes: mark it
				var one int
				switch err := known.QueryRowContext(ctx, m.ID, x.ID, x.Name, x.Kind, x.Size, x.AltSize, x.LiveSize, x.Flags).Scan(&one); {
				case errors.Is(err, sql.ErrNoRows):
					if err := stale(true, x.ID); err != nil {
						return err
					}
				case err != nil:
					return err
				}
			}
			var fp any
			if x.Fingerprint != "" && x.Fingerprint != x.ID {
				fp = x.Fingerprint
			}
			if _, err := st.ExecContext(ctx, m.ID, x.ID, x.Name, x.Kind, x.Size, x.AltSize, x.LiveSize, fp, x.Flags, m.gen); err != nil {
				return err
			}
		}
	}
	if len(p.Assets) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO mirror_asset
			(lib, id, master, added, taken, tz, flags, gen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		known, err := tx.PrepareContext(ctx, `SELECT master, added, taken, tz, flags FROM mirror_asset WHERE lib = ? AND id = ?`)
		if err != nil {
			return err
		}
		defer known.Close()
		for _, x := range p.Assets {
			var master string
			var added0, taken0 int64
			var tz0 sql.NullInt64
			var flags0 int
			err := known.QueryRowContext(ctx, m.ID, x.ID).Scan(&master, &added0, &taken0, &tz0, &flags0)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				added++
				err = stale(false, x.ID)
			case err != nil:
			case master != x.MasterID || added0 != toMS(x.Added) || taken0 != toMS(x.Taken) || tz0.Valid != x.TZKnown ||
				x.TZKnown && tz0.Int64 != int64(x.TZ) || flags0 != x.Flags:
				err = stale(false, x.ID)
			}
			if err != nil {
				return err
			}
			var tz any
			if x.TZKnown {
				tz = x.TZ
			}
			if _, err := st.ExecContext(ctx, m.ID, x.ID, x.MasterID, toMS(x.Added), toMS(x.Taken), tz, x.Flags, m.gen); err != nil {
				return err
			}
		}
	}
	for _, name := range p.Purged {
		res, err := tx.ExecContext(ctx, `DELETE FROM mirror_asset WHERE lib = ? AND id = ?`, m.ID, name)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if added -= int(n); n > 0 {
			if err := stale(false, name); err != nil {
				return err
			}
		}
		if res, err = tx.ExecContext(ctx, `DELETE FROM mirror_master WHERE lib = ? AND id = ?`, m.ID, name); err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if n > 0 {
			if err := stale(true, name); err != nil {
				return err
			}
		}
	}
	switch {
	case p.Done && m.Filling:
		if mark != nil { // the rows the fill did not see again go
			for _, s := range []string{`INSERT OR IGNORE INTO mirror_pack_stale (lib, master, id)
					SELECT lib, 0, id FROM mirror_asset WHERE lib = ? AND gen < ?`,
				`INSERT OR IGNORE INTO mirror_pack_stale (lib, master, id)
					SELECT lib, 1, id FROM mirror_master WHERE lib = ? AND gen < ?`} {
				if _, err := tx.ExecContext(ctx, s, m.ID, m.gen); err != nil {
					return err
				}
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM mirror_asset WHERE lib = ? AND gen < ?`, m.ID, m.gen)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		added -= int(n)
		if _, err := tx.ExecContext(ctx, `DELETE FROM mirror_master WHERE lib = ? AND gen < ?`, m.ID, m.gen); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE mirror_library SET token = ?, fill_token = '', filling = 0, filled_ms = ?,
			assets = assets + ?, rev = rev + 1 WHERE id = ?`, p.Token, toMS(at), added, m.ID)
		return err
	case m.Filling:
		_, err := tx.ExecContext(ctx, `UPDATE mirror_library SET fill_token = ?, assets = assets + ?, rev = rev + 1 WHERE id = ?`, p.Token, added, m.ID)
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE mirror_library SET token = ?, assets = assets + ?, rev = rev + 1 WHERE id = ?`, p.Token, added, m.ID)
	return err
}

// SetMirrorCompared records when the filled mirror was last compared.
func (db *DB) SetMirrorCompared(ctx context.Context, m *MirrorLibrary, at time.Time) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE mirror_library SET compared_ms = ? WHERE id = ?`, toMS(at), m.ID); err != nil {
		return db.wrap("write the mirror of "+m.Library+" to", err)
	}
	m.Compared = at
	return nil
}

// EachMirrorAsset streams every asset of the library whose master is in
// the mirror, joined with it, in the order of the assets' record names
// (mirrorEntryQuery; an asset whose master has not come yet is left out;
// Master.Fingerprint is not read); fn returning an error stops the walk.
//
// The audit streams the whole mirror on every comparison (500 000 rows for
// a large library), so the rows are read from the driver directly into one
// reused buffer: database/sql's Scan converts each integer through
// reflection (and into an int through a decimal string), which cost more
// than SQLite's own work on the row. Even so a row costs about 3 µs, so
// the entries come from the library's packed copy instead (mirror_pack.go),
// in the same order, except in the ranges of record names that pages
// changed since the last walk: those are read from the join and packed
// again.
func (db *DB) EachMirrorAsset(ctx context.Context, m MirrorLibrary, fn func(MirrorEntry) error) error {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return db.wrap("read the mirror of "+m.Library+" from", err)
	}
	defer conn.Close()
	var fnErr error
	err = conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		x, ok2 := dc.(driver.ExecerContext)
		if !ok || !ok2 {
			return fmt.Errorf("the SQLite driver (%T) cannot run a query directly", dc)
		}
		// One read transaction: the library's rev, the pack and the rows
		// are read from the same state of the file.
		if _, err := x.ExecContext(ctx, "BEGIN", nil); err != nil {
			return err
		}
		defer func() { _, _ = x.ExecContext(context.WithoutCancel(ctx), "ROLLBACK", nil) }()
		rev, err := mirrorRev(ctx, q, m.ID)
		if err != nil {
			return err
		}
		wrapped := func(e MirrorEntry) error {
			if err := fn(e); err != nil {
				fnErr = err
				return err
			}
			return nil
		}
		return db.walkPack(ctx, q, m, rev, wrapped)
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return db.wrap("read the mirror of "+m.Library+" from", err)
	}
	return nil
}

// MirrorRev returns the library's rev, which goes up in the same
// transaction as every page applied to its mirror (0 for a library that is
// gone): two equal revs of one library mean the same mirrored rows. The
// audit keys the memo of its comparison on it.
func (db *DB) MirrorRev(ctx context.Context, m MirrorLibrary) (int64, error) {
	var rev int64
	err := db.r.QueryRowContext(ctx, `SELECT rev FROM mirror_library WHERE id = ?`, m.ID).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, db.wrap("read the mirror of "+m.Library+" from", err)
	}
	return rev, nil
}

// mirrorRev reads the library's rev (0 for a library that is gone).
func mirrorRev(ctx context.Context, q driver.QueryerContext, lib int64) (int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT rev FROM mirror_library WHERE id = ?`, []driver.NamedValue{{Ordinal: 1, Value: lib}})
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		return 0, err
	}
	rev, _ := dest[0].(int64)
	return rev, nil
}

// mirrorEntryQuery is the join EachMirrorAsset gives, in its order (the
// pack's ranges read it range by range: mirrorRangeQuery); fromRow reads
// its columns in this order.
const mirrorEntryQuery = `SELECT a.id, a.master, a.added, a.taken, a.tz, a.flags,
	m.name, m.kind, m.size, m.alt_size, m.live_size, m.flags
	FROM mirror_asset a JOIN mirror_master m ON m.lib = a.lib AND m.id = a.master
	WHERE a.lib = ? ORDER BY a.id`

// fromRow fills e from one row of mirrorEntryQuery.
func (e *MirrorEntry) fromRow(v []driver.Value) error {
	if len(v) != 12 {
		return fmt.Errorf("a mirror row has %d columns, want 12", len(v))
	}
	var ok [12]bool
	e.Asset.ID, ok[0] = v[0].(string)
	e.Asset.MasterID, ok[1] = v[1].(string)
	added, ok2 := v[2].(int64)
	taken, ok3 := v[3].(int64)
	ok[2], ok[3] = ok2, ok3
	var tz int64
	tz, e.Asset.TZKnown = v[4].(int64)
	ok[4] = e.Asset.TZKnown || v[4] == nil
	var aflags, kind, mflags int64
	aflags, ok[5] = v[5].(int64)
	e.Master.Name, ok[6] = v[6].(string)
	kind, ok[7] = v[7].(int64)
	e.Master.Size, ok[8] = v[8].(int64)
	e.Master.AltSize, ok[9] = v[9].(int64)
	e.Master.LiveSize, ok[10] = v[10].(int64)
	mflags, ok[11] = v[11].(int64)
	for i, good := range ok {
		if !good {
			return fmt.Errorf("column %d of a mirror row holds %T", i+1, v[i])
		}
	}
	e.Master.ID = e.Asset.MasterID
	e.Asset.Added, e.Asset.Taken = fromMS(added), fromMS(taken)
	e.Asset.TZ = int(tz)
	e.Asset.Flags, e.Master.Kind, e.Master.Flags = int(aflags), int(kind), int(mflags)
	return nil
}

// The highest rev of a dropped library, kept in kv: SQLite gives a new
// library the highest id again once the library that had it is dropped,
// and a walk under way in the dropped one (which writes its pack only
// while the rev is the one it read), or the audit's memo keyed on (id,
// rev), must not take the new library for the old one.
const (
	mirrorKV         = integrityNS
	mirrorDroppedRev = "mirror-dropped-rev"
)

// DropMirror forgets the mirror of a library (rows and tokens).
func (db *DB) DropMirror(ctx context.Context, account, library string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap("drop the mirror of "+library+" in", err)
	}
	defer func() { _ = tx.Rollback() }()
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM mirror_library WHERE account = ? AND library = ?`, account, library).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO kv (ns, key, value, updated_ns)
			SELECT ?, ?, CAST(rev AS TEXT), ? FROM mirror_library WHERE id = ?
			ON CONFLICT (ns, key) DO UPDATE SET updated_ns = excluded.updated_ns,
			value = CAST(max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)`,
			mirrorKV, mirrorDroppedRev, time.Now().UnixNano(), id)
	}
	for _, s := range []string{`DELETE FROM mirror_asset WHERE lib = ?`, `DELETE FROM mirror_master WHERE lib = ?`,
		`DELETE FROM mirror_pack WHERE lib = ?`, `DELETE FROM mirror_pack_stale WHERE lib = ?`,
		`DELETE FROM mirror_library WHERE id = ?`} {
		if err == nil {
			_, err = tx.ExecContext(ctx, s, id)
		}
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return db.wrap(fmt.Sprintf("drop the mirror of %s in", library), err)
	}
	return nil
}

func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// MirrorLibraries returns the mirror state of every library of an account.
func (db *DB) MirrorLibraries(ctx context.Context, account string) ([]MirrorLibrary, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT library FROM mirror_library WHERE account = ? ORDER BY id`, account)
	if err != nil {
		return nil, db.wrap("read the mirrors of "+account+" from", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, db.wrap("read the mirrors of "+account+" from", err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := make([]MirrorLibrary, 0, len(names))
	for _, n := range names {
		m, err := db.OpenMirror(ctx, account, n)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
