package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/icloudmon/icloudmon/history"
	"github.com/icloudmon/icloudmon/store"
)

// historyHours is the history a daemon leaves after 90 days of hourly
// cycles (the default upload_history), which every cycle and every
// `verify` reads to judge with.
const historyHours = 90 * 24

// seedHistory adds hours hourly points before the newest point of the bench
// account, each a copy of it with its time (and without its uploads, which
// the newest point already holds), as a daemon running beside the
// repeat `verify` would have left them. The bench's own data directory is
// new and has only the points of its few runs.
func (e *cycleEnv) seedHistory(hours int) error {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(e.dataDir(), store.FileName))
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	points, err := db.History(ctx, benchAccount, time.Time{})
	if err != nil {
		return err
	}
	if len(points) == 0 {
		return fmt.Errorf("seed history: the data directory has no history point of %s to copy", benchAccount)
	}
	newest := points[len(points)-1]
	var rec history.Record
	if err := json.Unmarshal(newest.Data, &rec); err != nil {
		return fmt.Errorf("seed history: %w", err)
	}
	rec.Uploads = nil
	for h := 1; h <= hours; h++ {
		rec.At = newest.At.Add(-time.Duration(h) * time.Hour)
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := db.AppendHistory(ctx, benchAccount, rec.At, data); err != nil {
			return err
		}
	}
	return nil
}
