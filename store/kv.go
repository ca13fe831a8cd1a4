package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Entry is one key/value pair of a namespace.
type Entry struct {
	Key   string
	Value []byte
}

const upsertKV = `INSERT INTO kv (ns, key, value, updated_ns) VALUES (?, ?, ?, ?)
	ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, updated_ns = excluded.updated_ns`

// Get returns the value stored under ns/key; ok is false when there is none.
func (db *DB) Get(ctx context.Context, ns, key string) (val []byte, ok bool, err error) {
	if err := checkNS(ns); err != nil {
		return nil, false, err
	}
	err = db.r.QueryRowContext(ctx, `SELECT value FROM kv WHERE ns = ? AND key = ?`, ns, key).Scan(&val)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, db.wrap("read "+ns+"/"+key+" from", err)
	}
	return nonNil(val), true, nil
}

// Put stores val under ns/key, replacing any earlier value. A nil val is
// stored as an empty value.
func (db *DB) Put(ctx context.Context, ns, key string, val []byte) error {
	if err := checkNS(ns); err != nil {
		return err
	}
	_, err := db.w.ExecContext(ctx, upsertKV, ns, key, nonNil(val), time.Now().UnixNano())
	if err != nil {
		return db.wrap("write "+ns+"/"+key+" to", err)
	}
	return nil
}

// PutMany stores entries in ns in one transaction (all or none); much faster
// than one Put per entry when a cache is filled. A nil value is stored as
// empty, as Put does (WriteRows would delete it).
func (db *DB) PutMany(ctx context.Context, ns string, entries []Entry) error {
	keys := make([]string, len(entries))
	vals := make([][]byte, len(entries))
	for i, e := range entries {
		keys[i], vals[i] = e.Key, nonNil(e.Value)
	}
	return db.WriteRows(ctx, ns, keys, vals)
}

// Delete removes ns/key. Deleting a key that does not exist is not an error.
func (db *DB) Delete(ctx context.Context, ns, key string) error {
	if err := checkNS(ns); err != nil {
		return err
	}
	_, err := db.w.ExecContext(ctx, `DELETE FROM kv WHERE ns = ? AND key = ?`, ns, key)
	if err != nil {
		return db.wrap("delete "+ns+"/"+key+" from", err)
	}
	return nil
}

// List returns every entry of ns, ordered by key.
func (db *DB) List(ctx context.Context, ns string) ([]Entry, error) {
	if err := checkNS(ns); err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT key, value FROM kv WHERE ns = ? ORDER BY key`, ns)
	if err != nil {
		return nil, db.wrap("list "+ns+" in", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.Key, &e.Value); err != nil {
			return nil, db.wrap("list "+ns+" in", err)
		}
		e.Value = nonNil(e.Value)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("list "+ns+" in", err)
	}
	return out, nil
}

// DeleteNamespace removes every entry of ns (for example to rebuild a cache)
// and returns how many there were. Other namespaces are not touched.
func (db *DB) DeleteNamespace(ctx context.Context, ns string) (int64, error) {
	if err := checkNS(ns); err != nil {
		return 0, err
	}
	res, err := db.w.ExecContext(ctx, `DELETE FROM kv WHERE ns = ?`, ns)
	if err != nil {
		return 0, db.wrap("clear "+ns+" in", err)
	}
	return res.RowsAffected()
}

func checkNS(ns string) error {
	if ns == "" {
		return errors.New("store: empty namespace")
	}
	return nil
}

// wrap adds what was done and the file to err; corruption found at run time
// becomes a *CorruptError.
func (db *DB) wrap(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w", what, db.path, err)
	}
	return classify(db.path, what, err)
}

// nonNil makes empty values []byte{} both ways: SQLite's NOT NULL needs a
// non-nil blob, and callers can tell "empty" (ok) from "absent" by ok alone.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
