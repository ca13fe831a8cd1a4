// Package store is the embedded SQLite database (modernc.org/sqlite, WAL) at
// data_dir/icloudmon.db: local index cache, history, alert state and last
// reports, with versioned schema migrations.
//
// Imports: no project package except through interfaces other packages own.
package store
