// Package store is the embedded SQLite database (modernc.org/sqlite, WAL) at
// data_dir/icloudmon.db: local index cache, history, alert state and last
// reports, with versioned schema migrations.
//
// # Concurrency
//
// The daemon and one-shot CLI commands may open the same file at the same
// time. Each DB keeps one writer connection (database/sql pool of size one,
// transactions start with BEGIN IMMEDIATE) and a small pool of query-only
// reader connections. In WAL mode readers never wait for the writer; a second
// writer (another process) waits up to the busy timeout (5 s).
//
// # Data and what is lost when
//
// Key/value data lives in namespaces (Get, Put, Delete, List; EachRow streams
// the keys of a prefix, WriteRows writes and deletes many rows in one
// transaction). Callers keep their data apart by namespace: the local index
// in one namespace per folder, a row per directory (it can always be rebuilt), alert state in another (notify's "fired at /
// last reminded" memory). Deleting or rebuilding one namespace never touches
// another. Alert state is lost only when the whole file is unusable: Open then
// returns a *CorruptError (errors.Is ErrCorrupt) that names the file, and
// nothing is deleted; the caller reports it and may call MoveAside, which
// keeps the damaged file as icloudmon.db.corrupt-<timestamp>.
//
// A file written by a newer icloudmon (higher schema version) is refused with
// a *NewerSchemaError; the schema is never downgraded.
//
// Imports: no project package. Other packages declare small interfaces with
// the method signatures of DB (for example Get/Put/Delete) and *DB satisfies
// them without an adapter.
package store
