package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migration is one schema step. Step i (0-based) takes the file from schema
// version i to i+1; the version is kept in PRAGMA user_version. Steps are
// append-only: never edit a released step, add a new one.
type migration struct {
	name  string
	stmts []string
}

var migrations = []migration{
	{
		name: "key/value namespaces, history, last reports",
		stmts: []string{
			`CREATE TABLE kv (
				ns TEXT NOT NULL,
				key TEXT NOT NULL,
				value BLOB NOT NULL,
				updated_ns INTEGER NOT NULL,
				PRIMARY KEY (ns, key)
			) WITHOUT ROWID`,
			`CREATE TABLE history (
				id INTEGER PRIMARY KEY,
				account TEXT NOT NULL,
				at_ns INTEGER NOT NULL,
				data BLOB NOT NULL
			)`,
			`CREATE INDEX history_account_at ON history (account, at_ns)`,
			`CREATE INDEX history_at ON history (at_ns)`,
			`CREATE TABLE reports (
				account TEXT PRIMARY KEY,
				at_ns INTEGER NOT NULL,
				data BLOB NOT NULL
			)`,
		},
	},
	mirrorMigration,
	mirrorCountMigration,
	mirrorPackMigration,
	mirrorPackRangesMigration,
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int { return len(migrations) }

// migrate applies the pending steps, each in its own IMMEDIATE transaction
// that re-reads the version, so that two processes opening the same new file
// at once do not apply a step twice.
func migrate(ctx context.Context, db *sql.DB, path string, steps []migration) error {
	for {
		done, err := migrateOne(ctx, db, path, steps)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(ctx context.Context, db *sql.DB, path string, steps []migration) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, classify(path, "begin migration of", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, classify(path, "read the schema version of", err)
	}
	if v > len(steps) {
		return false, &NewerSchemaError{Path: path, Found: v, Known: len(steps)}
	}
	if v == len(steps) {
		return true, tx.Commit()
	}
	if err := applyStep(ctx, tx, steps[v]); err != nil {
		return false, fmt.Errorf("migrate database %s to schema %d (%s): %w", path, v+1, steps[v].name, err)
	}
	// PRAGMA takes no bind parameters; v+1 is an int we computed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("record schema %d in %s: %w", v+1, path, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit schema %d in %s: %w", v+1, path, err)
	}
	return false, nil
}

func applyStep(ctx context.Context, tx *sql.Tx, m migration) error {
	for _, s := range m.stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
