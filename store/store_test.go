package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rawPragma runs PRAGMA pragma with a plain connection.
func rawPragma(t *testing.T, path, pragma string) string {
	t.Helper()
	return rawQuery(t, path, "PRAGMA "+pragma)
}

// rawQuery returns the single value that query yields.
func rawQuery(t *testing.T, path, query string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v string
	if err := raw.QueryRow(query).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestOpenMigratesNewFileAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", FileName)
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open new file: %v", err)
	}
	if err := db.Put(ctx, "alert", "alice/auth", []byte("fired")); err != nil {
		t.Fatal(err)
	}
	if got := rawPragma(t, path, "journal_mode"); got != "wal" {
		t.Errorf("journal_mode = %q, want wal", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // reopening is idempotent
		db, err = Open(path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		val, ok, err := db.Get(ctx, "alert", "alice/auth")
		if err != nil || !ok || string(val) != "fired" {
			t.Errorf("reopen %d: Get = %q, %v, %v; want fired", i, val, ok, err)
		}
		db.Close()
	}
	if got, want := rawPragma(t, path, "user_version"), strconv.Itoa(len(migrations)); got != want || SchemaVersion() != len(migrations) {
		t.Errorf("user_version = %s, SchemaVersion = %d; want %s", got, SchemaVersion(), want)
	}
}

func TestMigrationStepsInOrderAndAtomic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	db, err := open(ctx, path, migrations)
	if err != nil {
		t.Fatal(err)
	}
	must(t, db.Put(ctx, "ns", "k", []byte("v")))
	db.Close()

	bad := append(append([]migration{}, migrations...), migration{name: "broken", stmts: []string{
		`CREATE TABLE half (x INTEGER)`, `THIS IS NOT SQL`,
	}})
	_, err = open(ctx, path, bad)
	known := len(migrations)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("to schema %d (broken)", known+1)) {
		t.Fatalf("broken step: err = %v, want a migration error naming step %d", err, known+1)
	}
	if got := rawPragma(t, path, "user_version"); got != strconv.Itoa(known) {
		t.Errorf("after failed step user_version = %s, want %d", got, known)
	}
	if got := rawQuery(t, path, "SELECT count(*) FROM sqlite_master WHERE name = 'half'"); got != "0" {
		t.Errorf("failed step left table half behind")
	}

	good := append(append([]migration{}, migrations...),
		migration{name: "two", stmts: []string{`CREATE TABLE two (x INTEGER)`}},
		migration{name: "three", stmts: []string{`INSERT INTO two VALUES (3)`}}, // needs step two first
	)
	db, err = open(ctx, path, good)
	if err != nil {
		t.Fatalf("steps 2 and 3: %v", err)
	}
	defer db.Close()
	if got := rawPragma(t, path, "user_version"); got != strconv.Itoa(known+2) {
		t.Errorf("user_version = %s, want %d", got, known+2)
	}
	if v, ok, _ := db.Get(ctx, "ns", "k"); !ok || string(v) != "v" {
		t.Errorf("data lost by migration: %q %v", v, ok)
	}
}

func TestNewerSchemaIsRefusedAndUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, _ := sql.Open("sqlite", path)
	if _, err := raw.Exec("PRAGMA user_version = 7"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before := fileHash(t, path)

	_, err = Open(path)
	var ne *NewerSchemaError
	if !errors.As(err, &ne) || ne.Found != 7 || ne.Known != SchemaVersion() {
		t.Fatalf("Open = %v, want *NewerSchemaError{7, %d}", err, SchemaVersion())
	}
	want := "database " + path + " was written by a newer icloudmon (schema 7 > " + strconv.Itoa(SchemaVersion()) + "); upgrade icloudmon or point data_dir elsewhere"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	if fileHash(t, path) != before {
		t.Error("Open modified a newer-schema file")
	}
	if got := rawPragma(t, path, "user_version"); got != "7" {
		t.Errorf("user_version = %s after refused open, want 7 (no downgrade)", got)
	}
}

// realDB writes a database with enough rows to span many pages.
func realDB(t *testing.T, path string) {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	val := bytes.Repeat([]byte("x"), 500)
	for i := range 400 {
		if err := db.AppendHistory(ctx, "alice", time.Unix(int64(i), 0), val); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptFileGivesErrCorruptAndIsKept(t *testing.T) {
	random := make([]byte, 8192)
	rand.Read(random)
	cases := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"random bytes", func(t *testing.T, path string) { must(t, os.WriteFile(path, random, 0o600)) }},
		{"short garbage", func(t *testing.T, path string) { must(t, os.WriteFile(path, []byte("hello\n"), 0o600)) }},
		{"header then garbage", func(t *testing.T, path string) {
			must(t, os.WriteFile(path, append([]byte("SQLite format 3\x00"), random...), 0o600))
		}},
		{"truncated database", func(t *testing.T, path string) {
			realDB(t, path)
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/3); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged pages", func(t *testing.T, path string) {
			realDB(t, path)
			b, _ := os.ReadFile(path)
			copy(b[4096*2:], random) // overwrite pages 3 and 4
			must(t, os.WriteFile(path, b, 0o600))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			tc.setup(t, path)
			before := fileHash(t, path)
			db, err := Open(path)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded on a corrupt file")
			}
			var ce *CorruptError
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || ce.Path != path {
				t.Fatalf("Open = %v, want *CorruptError naming %s", err, path)
			}
			for _, want := range []string{path, "is damaged", "left it unchanged", "move it aside"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
			if fileHash(t, path) != before {
				t.Error("Open modified the corrupt file")
			}
			t.Logf("error: %v", err)
			checkMoveAside(t, path, before)
		})
	}
}

func checkMoveAside(t *testing.T, path string, want [32]byte) {
	t.Helper()
	moved, err := MoveAside(path)
	if err != nil {
		t.Fatalf("MoveAside: %v", err)
	}
	if !strings.HasPrefix(moved, path+".corrupt-") || fileHash(t, moved) != want {
		t.Errorf("MoveAside moved to %s with other content", moved)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open after MoveAside: %v", err)
	}
	db.Close()
}

func TestMoveAsideTakesCompanionsAndRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	for _, s := range []string{"", "-wal", "-shm"} {
		must(t, os.WriteFile(path+s, []byte("data"+s), 0o600))
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	dst, err := moveAside(path, now)
	if err != nil || dst != path+".corrupt-20261122T100000Z" {
		t.Fatalf("moveAside = %q, %v", dst, err)
	}
	for _, s := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(dst + s); err != nil || string(b) != "data"+s {
			t.Errorf("%s: %q, %v", dst+s, b, err)
		}
		if _, err := os.Stat(path + s); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists", path+s)
		}
	}
	must(t, os.WriteFile(path, []byte("again"), 0o600))
	if _, err := moveAside(path, now); err == nil {
		t.Error("moveAside overwrote an earlier corrupt copy")
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", filepath.Join(t.TempDir(), "a?mode=ro")} {
		if db, err := Open(p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}
