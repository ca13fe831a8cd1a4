package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("database is corrupt")

// CorruptError says that the database file is damaged or is not a database.
// Open never modifies or deletes such a file; see MoveAside.
type CorruptError struct {
	Path   string // the database file
	Reason string // what SQLite or the header check found
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("database %s is damaged (%s); icloudmon left it unchanged. "+
		"Restore it from a backup, or move it aside (for example to %s.corrupt) so that "+
		"icloudmon starts with a new database: the photo index is rebuilt automatically, "+
		"but history and alert state are lost", e.Path, e.Reason, e.Path)
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// NewerSchemaError says that the file was written by a newer icloudmon.
type NewerSchemaError struct {
	Path  string
	Found int // schema version in the file
	Known int // newest schema version this binary knows
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("database %s was written by a newer icloudmon (schema %d > %d); "+
		"upgrade icloudmon or point data_dir elsewhere", e.Path, e.Found, e.Known)
}

// classify wraps an SQLite error; corruption codes become a *CorruptError.
func classify(path, what string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return &CorruptError{Path: path, Reason: se.Error()}
		}
	}
	return fmt.Errorf("%s %s: %w", what, path, err)
}

// MoveAside renames a damaged database (and its -wal and -shm companions, if
// present) to <path>.corrupt-<UTC timestamp> and returns the new name of the
// main file. The data is kept for inspection or recovery; the caller decides
// when to call it and must report that it did. The database must not be open.
func MoveAside(path string) (string, error) {
	return moveAside(path, time.Now())
}

func moveAside(path string, now time.Time) (string, error) {
	dst := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if _, err := os.Lstat(dst); err == nil {
		return "", fmt.Errorf("move %s aside: %s already exists; try again in a second", path, dst)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("move %s aside: %w", path, err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		err := os.Rename(path+suffix, dst+suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return dst, fmt.Errorf("moved %s to %s, but not its %s file: %w", path, dst, suffix, err)
		}
	}
	return dst, nil
}
