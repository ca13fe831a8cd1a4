package store

import (
	"context"
	"database/sql"
	"time"
)

// EachRow calls fn for every key of ns that starts with prefix, in key
// order, reading the rows one at a time (the whole namespace is never held
// in memory). val is only valid during the call. An error from fn stops the
// iteration and is returned as is.
func (db *DB) EachRow(ctx context.Context, ns, prefix string, fn func(key string, val []byte) error) error {
	if err := checkNS(ns); err != nil {
		return err
	}
	q, args := `SELECT key, value FROM kv WHERE ns = ? ORDER BY key`, []any{ns}
	if hi, ok := prefixEnd(prefix); ok {
		q, args = `SELECT key, value FROM kv WHERE ns = ? AND key >= ? AND key < ? ORDER BY key`, []any{ns, prefix, hi}
	} else if prefix != "" {
		q, args = `SELECT key, value FROM kv WHERE ns = ? AND key >= ? ORDER BY key`, []any{ns, prefix}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return db.wrap("read "+ns+" from", err)
	}
	defer rows.Close()
	var key string
	var val sql.RawBytes // not copied: valid until the next row
	for rows.Next() {
		if err := rows.Scan(&key, &val); err != nil {
			return db.wrap("read "+ns+" from", err)
		}
		if err := fn(key, nonNil(val)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return db.wrap("read "+ns+" from", err)
	}
	return nil
}

// prefixEnd returns the smallest string greater than every string that
// starts with prefix, when there is one.
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// WriteRows stores vals[i] under keys[i] in ns, all in one transaction (a
// crash leaves either every row or none of them); a nil vals[i] deletes
// keys[i].
func (db *DB) WriteRows(ctx context.Context, ns string, keys []string, vals [][]byte) error {
	if err := checkNS(ns); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap("write "+ns+" to", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	// Each statement is prepared once per transaction, not once per row:
	// a cold scan writes thousands of rows per transaction, and parsing the
	// SQL again for every row cost more than the writes.
	var upsert, del *sql.Stmt
	now := time.Now().UnixNano()
	for i, k := range keys {
		var err error
		if vals[i] == nil {
			if del == nil {
				if del, err = tx.PrepareContext(ctx, `DELETE FROM kv WHERE ns = ? AND key = ?`); err != nil {
					return db.wrap("write "+ns+" to", err)
				}
				defer func() { _ = del.Close() }()
			}
			_, err = del.ExecContext(ctx, ns, k)
		} else {
			if upsert == nil {
				if upsert, err = tx.PrepareContext(ctx, upsertKV); err != nil {
					return db.wrap("write "+ns+" to", err)
				}
				defer func() { _ = upsert.Close() }()
			}
			_, err = upsert.ExecContext(ctx, ns, k, vals[i], now)
		}
		if err != nil {
			return db.wrap("write "+ns+"/"+k+" to", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return db.wrap("write "+ns+" to", err)
	}
	return nil
}
