package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the database file name inside data_dir.
const FileName = "icloudmon.db"

// BusyTimeout is how long a write waits for another writer (for example the
// daemon while a CLI command writes) before it fails.
const BusyTimeout = 5 * time.Second

// readerConns is the size of the query-only connection pool.
const readerConns = 4

// sqliteHeader starts every SQLite 3 database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// DB is an open icloudmon database. It is safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // exactly one connection: all writes
	r    *sql.DB // query-only connections: all reads
}

// Open opens (or creates) the database at path, checks that it is intact and
// not from a newer icloudmon, and applies pending migrations. A damaged file
// gives a *CorruptError and a newer one a *NewerSchemaError; in both cases the
// file is left as it was.
func Open(path string) (*DB, error) {
	return open(context.Background(), path, migrations)
}

func open(ctx context.Context, path string, steps []migration) (*DB, error) {
	if strings.ContainsRune(path, '?') || path == "" || path == ":memory:" {
		return nil, fmt.Errorf("database path %q: use a plain file path without '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil { //nolint:gosec // G703: the path is the operator's data_dir
		return nil, fmt.Errorf("create the directory for the database: %w", err)
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	w, err := openWriter(ctx, path, steps)
	if err != nil {
		return nil, err
	}
	r, err := openPool(path, "&_query_only=1", readerConns)
	if err != nil {
		w.Close()
		return nil, err
	}
	return &DB{path: path, w: w, r: r}, nil
}

// openWriter opens the single writer connection, verifies the file and
// migrates it.
func openWriter(ctx context.Context, path string, steps []migration) (*sql.DB, error) {
	w, err := openPool(path, "&_synchronous=NORMAL&_txlock=immediate", 1)
	if err != nil {
		return nil, err
	}
	if err := prepare(ctx, w, path, steps); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// prepare runs the integrity and version checks before anything writes, then
// switches to WAL and migrates.
func prepare(ctx context.Context, w *sql.DB, path string, steps []migration) error {
	if err := quickCheck(ctx, w, path); err != nil {
		return err
	}
	v, err := userVersion(ctx, w)
	if err != nil {
		return classify(path, "read the schema version", err)
	}
	if v > len(steps) {
		return &NewerSchemaError{Path: path, Found: v, Known: len(steps)}
	}
	if err := useWAL(ctx, w, path); err != nil {
		return err
	}
	if v == len(steps) {
		return nil // up to date: no write lock needed, so a busy daemon does not delay the CLI
	}
	return migrate(ctx, w, path, steps)
}

// useWAL switches the file to WAL mode (a persistent setting) unless it is
// already in it; switching needs an exclusive lock, checking does not.
func useWAL(ctx context.Context, w *sql.DB, path string) error {
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return classify(path, "read the journal mode of", err)
	}
	if strings.EqualFold(mode, "wal") {
		return nil
	}
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return classify(path, "switch to WAL", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("database %s: cannot use WAL mode (got %q); is data_dir on a network file system? Use a local disk", path, mode)
	}
	return nil
}

func openPool(path, extra string, conns int) (*sql.DB, error) {
	dsn := path + "?_busy_timeout=" + strconv.FormatInt(BusyTimeout.Milliseconds(), 10) +
		"&_foreign_keys=1" + extra
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// checkHeader rejects a non-empty file that does not start like an SQLite
// database without letting SQLite touch it.
func checkHeader(path string) error {
	f, err := os.Open(path) //nolint:gosec // G703: the path is the operator's data_dir
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == nil || errors.Is(err, io.EOF)) {
		return nil // empty file: SQLite treats it as a new database
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("read database %s: %w", path, err)
	}
	if !bytes.Equal(head[:n], sqliteHeader) || n < len(sqliteHeader) {
		return &CorruptError{Path: path, Reason: "the file is not an SQLite database"}
	}
	return nil
}

// quickCheck runs PRAGMA quick_check and turns any problem into a
// *CorruptError.
func quickCheck(ctx context.Context, db *sql.DB, path string) error {
	var res string
	err := db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res)
	if err != nil {
		return classify(path, "check the database", err)
	}
	if res != "ok" {
		return &CorruptError{Path: path, Reason: "integrity check failed: " + strings.ReplaceAll(res, "\n", "; ")}
	}
	return nil
}

func userVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Close closes all connections. The last connection to close checkpoints
// the WAL into the main file.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}
