// Package history is the record the agent stores in the history table of
// the store once per cycle: the checks package's point plus the few facts
// the status page charts draw. The agent writes it, the web package's
// charts read it, and the demo writes an invented past in the same shape,
// so the format has this one home.
//
// Imports: checks only.
package history

import (
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// Record is one cycle's stored point. Unknown fields are ignored when the
// point is read back for checks.BuildHistory.
type Record struct {
	checks.HistoryPoint
	Status            string    `json:"status,omitempty"`
	ICloudNewestAdded time.Time `json:"icloud_newest_added,omitzero"`
	LocalNewest       time.Time `json:"local_newest,omitzero"`
	// StorageUsed and StorageTotal are iCloud storage bytes (the storage
	// chart); absent when usage was not read.
	StorageUsed  *int64 `json:"storage_used,omitempty"`
	StorageTotal *int64 `json:"storage_total,omitempty"`
	// DrawnUploads are upload times the charts draw but the checks never
	// learn from: the demo's invented past (demo.Demo.SeedHistory) must not
	// teach icloud_upload a cadence that the library never showed it.
	DrawnUploads []time.Time `json:"drawn_uploads,omitempty"`
}
