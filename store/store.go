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
	// checked is whether Open ran PRAGMA quick_check (tests).
	checked bool
}

// Open opens (or creates) the database at path, checks that it is intact and
// not from a newer icloudmon, and applies pending migrations. A damaged file
// gives a *CorruptError and a newer one a *NewerSchemaError; in both cases the
// file is left as it was.
func Open(path string) (*DB, error) {
	return open(context.Background(), path, migrations)
}

// Options change how OpenWith checks the file.
type Options struct {
	// QuickCheckEvery, when positive, runs PRAGMA quick_check on Open only
	// when the last one that passed (remembered in a row of the file) is
	// at least this old, or in the future, or unknown. quick_check reads
	// every page of the file, which costs a short-lived command (a repeat
	// verify) about a tenth of its CPU; corruption in the pages a command
	// does read is reported at that read as a *CorruptError anyway. Zero
	// checks on every Open, as Open does.
	QuickCheckEvery time.Duration
	// Now is the clock of QuickCheckEvery; default time.Now.
	Now func() time.Time
}

// OpenWith is Open with options.
func OpenWith(path string, o Options) (*DB, error) {
	return openOpts(context.Background(), path, migrations, o)
}

// integrityNS/integrityKey: the row that remembers the last quick_check that
// passed (unix seconds, decimal).
const (
	integrityNS  = "store"
	integrityKey = "quick_check_ok"
)

func open(ctx context.Context, path string, steps []migration) (*DB, error) {
	return openOpts(ctx, path, steps, Options{})
}

func openOpts(ctx context.Context, path string, steps []migration, o Options) (*DB, error) {
	if strings.ContainsRune(path, '?') || path == "" || path == ":memory:" {
		return nil, fmt.Errorf("database path %q: use a plain file path without '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil { //nolint:gosec // G703: the path is the operator's data_dir
		return nil, fmt.Errorf("create the directory for the database: %w", err)
	}
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	w, checked, err := openWriter(ctx, path, steps, o)
	if err != nil {
		return nil, err
	}
	r, err := openPool(path, "&_query_only=1", readerConns)
	if err != nil {
		w.Close()
		return nil, err
	}
	return &DB{path: path, w: w, r: r, checked: checked}, nil
}

// openWriter opens the single writer connection, verifies the file and
// migrates it.
func openWriter(ctx context.Context, path string, steps []migration, o Options) (*sql.DB, bool, error) {
	w, err := openPool(path, "&_synchronous=NORMAL&_txlock=immediate", 1)
	if err != nil {
		return nil, false, err
	}
	checked, err := prepare(ctx, w, path, steps, o)
	if err != nil {
		w.Close()
		return nil, false, err
	}
	return w, checked, nil
}

// prepare runs the integrity and version checks before anything writes, then
// switches to WAL and migrates. It returns whether it ran quick_check.
func prepare(ctx context.Context, w *sql.DB, path string, steps []migration, o Options) (bool, error) {
	v, err := userVersion(ctx, w)
	if err != nil {
		return false, classify(path, "read the schema version", err)
	}
	check := true
	if o.QuickCheckEvery > 0 && v >= 1 && v <= len(steps) {
		// Reading the row reads the pages on its path: damage there is
		// reported like quick_check's.
		last, err := lastQuickCheck(ctx, w, path)
		if err != nil {
			return false, err
		}
		age := o.Now().Sub(last)
		check = last.IsZero() || age < 0 || age >= o.QuickCheckEvery
	}
	if check {
		if err := quickCheck(ctx, w, path); err != nil {
			return false, err
		}
	}
	if v > len(steps) {
		return check, &NewerSchemaError{Path: path, Found: v, Known: len(steps)}
	}
	if err := useWAL(ctx, w, path); err != nil {
		return check, err
	}
	if v < len(steps) {
		if err := migrate(ctx, w, path, steps); err != nil {
			return check, err
		}
	}
	if check {
		rememberCheck(ctx, w, o.Now())
	}
	return check, nil
}

// rememberCheck records that quick_check passed at now, for the commands
// that open with QuickCheckEvery (the daemon checks on every start). It
// does not wait for another writer (a busy daemon must not delay a
// command's Open): then the next command checks again.
func rememberCheck(ctx context.Context, w *sql.DB, now time.Time) {
	conn, err := w.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return
	}
	_, _ = conn.ExecContext(ctx, upsertKV, integrityNS, integrityKey, []byte(strconv.FormatInt(now.Unix(), 10)), now.UnixNano())
	_, _ = conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.FormatInt(BusyTimeout.Milliseconds(), 10))
}

// lastQuickCheck returns when the last quick_check that passed ran, or the
// zero time when none is remembered.
func lastQuickCheck(ctx context.Context, w *sql.DB, path string) (time.Time, error) {
	var val []byte
	err := w.QueryRowContext(ctx, `SELECT value FROM kv WHERE ns = ? AND key = ?`, integrityNS, integrityKey).Scan(&val)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, classify(path, "read the last integrity check of", err)
	}
	sec, perr := strconv.ParseInt(string(val), 10, 64)
	if perr != nil {
		return time.Time{}, nil // unreadable: check again
	}
	return time.Unix(sec, 0), nil
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
