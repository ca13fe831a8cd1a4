package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"
)

// HistoryPoint is one recorded observation of an account; Data is the
// caller's own encoding.
type HistoryPoint struct {
	At   time.Time // UTC
	Data []byte
}

// AppendHistory records data for account at time at.
func (db *DB) AppendHistory(ctx context.Context, account string, at time.Time, data []byte) error {
	_, err := db.w.ExecContext(ctx, insertHistory, account, nanos(at), nonNil(data))
	if err != nil {
		return db.wrap("append history of "+account+" to", err)
	}
	return nil
}

// History returns account's points at or after since, oldest first (points
// with equal times in the order they were appended).
func (db *DB) History(ctx context.Context, account string, since time.Time) ([]HistoryPoint, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT at_ns, data FROM history
		WHERE account = ? AND at_ns >= ? ORDER BY at_ns, id`, account, nanos(since))
	if err != nil {
		return nil, db.wrap("read history of "+account+" from", err)
	}
	defer rows.Close()
	var out []HistoryPoint
	for rows.Next() {
		var ns int64
		var p HistoryPoint
		if err := rows.Scan(&ns, &p.Data); err != nil {
			return nil, db.wrap("read history of "+account+" from", err)
		}
		p.At, p.Data = time.Unix(0, ns).UTC(), nonNil(p.Data)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap("read history of "+account+" from", err)
	}
	return out, nil
}

// PruneHistory deletes the points of every account older than before and
// returns how many it deleted.
func (db *DB) PruneHistory(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, pruneHistory, nanos(before))
	if err != nil {
		return 0, db.wrap("prune history in", err)
	}
	return res.RowsAffected()
}

// CycleRecord is what one finished cycle of an account leaves in the store.
type CycleRecord struct {
	Account string
	// At and Point are the history point (nil Point: none).
	At    time.Time
	Point []byte
	// ReportAt and Report replace the account's last report (nil Report:
	// none).
	ReportAt time.Time
	Report   []byte
	// PruneBefore, when not zero, deletes the points of every account
	// older than it (PruneHistory).
	PruneBefore time.Time
}

// RecordCycle writes r in one transaction (one commit where AppendHistory,
// SaveReport and PruneHistory take one each) and returns how many points
// the prune deleted. A crash leaves either all of r or none of it.
func (db *DB) RecordCycle(ctx context.Context, r CycleRecord) (int64, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, db.wrap("record the cycle of "+r.Account+" in", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if r.Point != nil {
		if _, err := tx.ExecContext(ctx, insertHistory, r.Account, nanos(r.At), r.Point); err != nil {
			return 0, db.wrap("append history of "+r.Account+" to", err)
		}
	}
	if r.Report != nil {
		if _, err := tx.ExecContext(ctx, upsertReport, r.Account, nanos(r.ReportAt), r.Report); err != nil {
			return 0, db.wrap("save the report of "+r.Account+" to", err)
		}
	}
	var pruned int64
	if !r.PruneBefore.IsZero() {
		res, err := tx.ExecContext(ctx, pruneHistory, nanos(r.PruneBefore))
		if err != nil {
			return 0, db.wrap("prune history in", err)
		}
		if pruned, err = res.RowsAffected(); err != nil {
			return 0, db.wrap("prune history in", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, db.wrap("record the cycle of "+r.Account+" in", err)
	}
	return pruned, nil
}

const (
	insertHistory = `INSERT INTO history (account, at_ns, data) VALUES (?, ?, ?)`
	upsertReport  = `INSERT INTO reports (account, at_ns, data) VALUES (?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET at_ns = excluded.at_ns, data = excluded.data`
	pruneHistory = `DELETE FROM history WHERE at_ns < ?`
)

// SaveReport keeps data as account's last report, replacing the previous one.
func (db *DB) SaveReport(ctx context.Context, account string, at time.Time, data []byte) error {
	_, err := db.w.ExecContext(ctx, upsertReport, account, nanos(at), nonNil(data))
	if err != nil {
		return db.wrap("save the report of "+account+" to", err)
	}
	return nil
}

// LastReport returns account's last saved report; ok is false when there is
// none.
func (db *DB) LastReport(ctx context.Context, account string) (at time.Time, data []byte, ok bool, err error) {
	var ns int64
	err = db.r.QueryRowContext(ctx, `SELECT at_ns, data FROM reports WHERE account = ?`, account).Scan(&ns, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil, false, nil
	}
	if err != nil {
		return time.Time{}, nil, false, db.wrap("read the report of "+account+" from", err)
	}
	return time.Unix(0, ns).UTC(), nonNil(data), true, nil
}

// Times are stored as Unix nanoseconds; times outside the representable
// range (1678–2262), such as the zero Time, are clamped so that
// History(ctx, a, time.Time{}) means "everything".
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}
