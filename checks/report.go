package checks

import (
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// Report is the verdict over all accounts of one cycle. Its JSON form is the
// `verify --output json` and /api/status schema of design §4: times are
// RFC 3339 in UTC, empty fields are omitted.
type Report struct {
	// Status is the worst account status (unknown when there is none).
	Status Status `json:"status"`
	// CheckedAt is the cycle time (the `now` given to Evaluate), UTC.
	CheckedAt time.Time       `json:"checked_at"`
	Accounts  []AccountReport `json:"accounts"`
}

// AccountReport is the verdict for one account.
type AccountReport struct {
	Name string `json:"name"`
	// Status is the worst of the check statuses.
	Status Status `json:"status"`
	// Checks has one result per check id, in AllChecks order.
	Checks []CheckResult `json:"checks"`
	// Observed are the facts behind the verdict, for metrics and the
	// status page.
	Observed Observed `json:"observed"`
}

// Check returns the result of check id and whether it is present.
func (a AccountReport) Check(id CheckID) (CheckResult, bool) {
	for _, c := range a.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return CheckResult{}, false
}

// CheckResult is the verdict of one check.
type CheckResult struct {
	ID     CheckID `json:"id"`
	Status Status  `json:"status"`
	// Summary is one line for people ("3 of the newest 50 photos are not
	// in /photos/alice").
	Summary string `json:"summary"`
	// Remediation tells a non-expert what to do; empty when nothing is.
	Remediation string `json:"remediation,omitempty"`
	// Details are the items and numbers behind the summary.
	Details *Details `json:"details,omitempty"`
	// NotConfigured is true when the check has nothing to judge because
	// the configuration asks for nothing (folder and local_copy of an
	// account without folders). The status is then ok: the status enum is
	// a contract (metrics, exit codes, alert rules) and "not configured" is
	// not a fault a person could clear by waiting, so it must not hold the
	// account at unknown; library_coverage says what it means instead.
	NotConfigured bool `json:"not_configured,omitempty"`
	// Pending is true when the check is unknown only because a first pass
	// that takes several cycles is still under way (library_audit while
	// the first fill of a library's list runs). A pending check is shown
	// with its progress but does not count towards the account status
	// (so not towards `verify`'s exit code, the metrics' account view or
	// the pings) and sends no notification: switching a slow check on must
	// not raise an alert storm (docs/checks.md, "Pending checks").
	Pending bool `json:"pending,omitempty"`
}

// Details carries the typed specifics of a check result. Only the fields
// relevant to the check are set.
type Details struct {
	// Missing are cloud assets with no local copy (local_copy) or deleted
	// items without a copy (recently_deleted).
	Missing []Item `json:"missing,omitempty"`
	// Incomplete are assets found locally with a part missing (e.g. the
	// Live Photo video); they do not count as missing.
	Incomplete []Item `json:"incomplete,omitempty"`
	// Uncertain are assets matched only by capture time ("possible").
	Uncertain []Item `json:"uncertain,omitempty"`
	// Libraries describe the libraries the check is about: names with
	// progress (indexing) or with zone and hidden-item counts
	// (library_coverage), for people.
	Libraries []string `json:"libraries,omitempty"`
	// Folders are folder problems (folder check).
	Folders []FolderProblem `json:"folders,omitempty"`
	// Upload explains the upload-stall thresholds (icloud_upload).
	Upload *UploadDetails `json:"upload,omitempty"`
	// Notes are extra facts worth knowing that did not change the status.
	Notes []string `json:"notes,omitempty"`
}

// Item is one asset named in a check result.
type Item struct {
	// ID is the asset's CloudKit record name; set by library_audit only,
	// so that scripts can tell two files of the same name apart.
	ID       string    `json:"id,omitempty"`
	Filename string    `json:"filename"`
	Library  string    `json:"library,omitempty"`
	Folder   string    `json:"folder,omitempty"`
	Added    time.Time `json:"added,omitzero"`
	Taken    time.Time `json:"taken,omitzero"`
	// PurgeAt is set for Recently Deleted items.
	PurgeAt    time.Time        `json:"purge_at,omitzero"`
	Confidence photo.Confidence `json:"confidence,omitempty"`
	// MissingParts lists the parts absent locally (Incomplete items, or
	// PartOriginal when only an edit was found).
	MissingParts []photo.Part `json:"missing_parts,omitempty"`
	// Size is the original's size in bytes; set by library_audit, absent
	// when unknown.
	Size int64 `json:"size,omitempty"`
}

// FolderProblem is one unhealthy folder.
type FolderProblem struct {
	Folder string `json:"folder"`
	Path   string `json:"path,omitempty"`
	// Problem is missing, unreadable, empty, shrunk, partly_unreadable or
	// not_scanned.
	Problem string `json:"problem"`
	// Unreadable names the sub-directories that could not be read
	// (partly_unreadable).
	Unreadable []string `json:"unreadable,omitempty"`
	// Library and LibraryItems say, for an empty folder, which library it
	// should hold and how many items iCloud has there.
	Library      string `json:"library,omitempty"`
	LibraryItems int    `json:"library_items,omitempty"`
	// Error is the scanner's reason for missing or unreadable folders.
	Error         string `json:"error,omitempty"`
	Files         int    `json:"files"`
	PreviousFiles *int   `json:"previous_files,omitempty"`
}

// UploadDetails explains how icloud_upload judged the current gap.
type UploadDetails struct {
	// GapSeconds is now minus the newest added time (0 if in the future).
	GapSeconds float64 `json:"gap_seconds"`
	// Adaptive is true when learned thresholds were used.
	Adaptive bool `json:"adaptive"`
	// Events and Gaps are how many upload events and gaps were learned.
	Events int `json:"events"`
	Gaps   int `json:"gaps"`
	// AlertedGaps are the gaps left out of learning because the check was
	// in alert during them (they are not in Gaps).
	AlertedGaps int `json:"alerted_gaps,omitempty"`
	// UsualGapSeconds is the policy quantile of the learned gaps.
	UsualGapSeconds      float64 `json:"usual_gap_seconds,omitempty"`
	WarningAfterSeconds  float64 `json:"warning_after_seconds"`
	CriticalAfterSeconds float64 `json:"critical_after_seconds"`
}

// Observed are the facts metrics and the status page show, so that they
// need nothing but the Report. Pointers and zero times mean "not known"
// (metrics then omit the series).
type Observed struct {
	// Up is true when the account could be signed in and read this cycle.
	Up bool `json:"up"`
	// Auth is the sign-in outcome kind; ReauthRequired is true when a
	// person must sign in again (AuthKind.NeedsLogin: 2FA, password, lock,
	// sign-in budget).
	Auth           AuthKind  `json:"auth,omitempty"`
	ReauthRequired bool      `json:"reauth_required"`
	SessionExpiry  time.Time `json:"session_expiry,omitzero"`
	// ClockOffsetSeconds is Apple's clock minus this machine's (positive:
	// the NAS clock is behind), measured from the Date header of Apple's
	// answers; absent when no answer was received.
	ClockOffsetSeconds *float64 `json:"clock_offset_seconds,omitempty"`
	// ICloudNewestAdded/Taken are over all libraries; LocalNewest over all
	// folders (design §4 names).
	ICloudNewestAdded time.Time `json:"icloud_newest_added,omitzero"`
	ICloudNewestTaken time.Time `json:"icloud_newest_taken,omitzero"`
	LocalNewest       time.Time `json:"local_newest,omitzero"`
	// Storage in bytes and free ratio (0..1).
	StorageUsedBytes  *int64   `json:"storage_used_bytes,omitempty"`
	StorageTotalBytes *int64   `json:"storage_total_bytes,omitempty"`
	StorageFreeRatio  *float64 `json:"storage_free_ratio,omitempty"`
	// Recently Deleted: items, items without a local copy, and the next
	// purge: the soonest purge date among the items without a local copy
	// (zero when there is none or none states a date). notify schedules
	// its final reminder on it.
	RecentlyDeleted            *int           `json:"recently_deleted,omitempty"`
	RecentlyDeletedUnprotected *int           `json:"recently_deleted_unprotected,omitempty"`
	RecentlyDeletedNextPurge   time.Time      `json:"recently_deleted_next_purge,omitzero"`
	Libraries                  []LibraryFacts `json:"libraries,omitempty"`
	Folders                    []FolderFacts  `json:"folders,omitempty"`
	// Audit are the whole-library audit's facts per library; absent when
	// the audit is off.
	Audit []AuditFacts `json:"audit,omitempty"`
}

// AuditFacts are the observed facts of one library's whole-library audit
// (library_audit). Counts are of assets (a Live Photo is one).
type AuditFacts struct {
	Library string `json:"library"`
	// Filled is true once the list of the whole library is complete.
	Filled bool `json:"filled"`
	// Mirrored is the number of assets listed so far; Expected Apple's
	// count, absent when unknown.
	Mirrored int  `json:"mirrored"`
	Expected *int `json:"expected,omitempty"`
	// FillRatio is Mirrored/Expected while filling (below 1), 1 once
	// filled; absent while filling with an unknown Expected.
	FillRatio *float64 `json:"fill_ratio,omitempty"`
	// Compared and Excluded are the assets compared with the folders and
	// the ones the audit's settings or the grace period left out.
	Compared int `json:"compared"`
	Excluded int `json:"excluded"`
	// Missing is the number of compared assets with no local copy; absent
	// until the library is filled (there is no count before).
	Missing *int `json:"missing,omitempty"`
	// LastComplete is when a comparison of the whole library last ran.
	LastComplete time.Time `json:"last_complete,omitzero"`
	// Paused and ResumeAt: the request budget stopped the list's update
	// this cycle, until ResumeAt.
	Paused   bool      `json:"paused,omitempty"`
	ResumeAt time.Time `json:"resume_at,omitzero"`
	// Error is why the list could not be brought up to date this cycle.
	Error string `json:"error,omitempty"`
}

// LibraryFacts are the observed facts of one library.
type LibraryFacts struct {
	Name        string    `json:"name"`
	Monitored   bool      `json:"monitored"`
	NewestAdded time.Time `json:"newest_added,omitzero"`
	NewestTaken time.Time `json:"newest_taken,omitzero"`
	Assets      *int      `json:"assets,omitempty"`
	// Hidden is the number of hidden items; nil if not counted.
	Hidden   *int          `json:"hidden,omitempty"`
	Indexing IndexingState `json:"indexing,omitempty"`
	// Error is why iCloud could not answer for this library this cycle.
	Error string `json:"error,omitempty"`
}

// FolderFacts are the observed facts of one local folder.
type FolderFacts struct {
	Name        string    `json:"name"`
	Path        string    `json:"path,omitempty"`
	LocalNewest time.Time `json:"local_newest,omitzero"`
	Files       *int      `json:"files,omitempty"`
	// Missing is how many of the newest cloud assets past grace have no
	// local match; nil when the matcher did not run.
	Missing *int `json:"missing,omitempty"`
	// LagSeconds is the added-time distance between the newest cloud
	// asset past grace and the newest one that is present locally; nil if
	// unknown.
	LagSeconds *float64 `json:"lag_seconds,omitempty"`
}
