package checks

import (
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// Observation is everything one check cycle learned about one account: the
// sign-in outcome, the cloud snapshot and the local snapshot with the
// matcher's verdicts. The agent fills it; Evaluate judges it.
//
// Absent data is expressed by zero values, nil pointers and false "Listed",
// "Scanned" or "Matched" flags, and makes the affected check unknown, never
// ok (the property test in property_test.go zeroes every field to prove
// it). A few zero values are statements of fact instead, so collectors must
// set them only when they know: StorageObservation.Used (0 = nothing used),
// Match.MissingParts (empty = all parts present), DeletedObservation.Items
// (empty = Recently Deleted is empty) and Total (nil = the page is
// complete), FolderHealth.PreviousFiles (nil = use the history), and the
// identity/configuration fields Shared, Monitored, RenamesFiles,
// FolderObservation.Libraries (empty = every library) and
// Observation.Folders (empty = no folder is configured: the local checks
// are ok and marked not configured, library_coverage warns).
// All times are absolute instants (any location; reports convert to UTC).
type Observation struct {
	// Account is the label of the account (never the Apple ID).
	Account string
	// Owner identifies the iCloud account the cloud side was read from (an
	// opaque hash, never the Apple ID or dsid); empty when it was not read.
	// History recorded for another owner is not used (OfOwner).
	Owner string
	// Auth is the outcome of the sign-in step of this cycle.
	Auth AuthObservation
	// SessionExpiry is the earliest expiry of the web and trust cookies that
	// the session depends on; zero when unknown.
	SessionExpiry time.Time
	// SessionUndated is true when the session's cookies were read and none
	// of them states an expiry (SessionExpiry is zero then): session_expiry
	// is ok without a forecast instead of an unknown that could never clear.
	SessionUndated bool
	// ClockOffset is Apple's clock minus this machine's, from the Date
	// header of Apple's answers; nil when no answer was received. Beyond
	// ClockTolerance the agent judges ages on Apple's time (CheckTime) and
	// the age checks say that the NAS clock is off.
	ClockOffset *time.Duration
	// Libraries are the photo libraries (zones) that exist in iCloud, the
	// monitored ones and the ones nobody covers alike.
	Libraries []LibraryObservation
	// RecentlyDeleted is the first page of Recently Deleted; nil when it
	// was not read.
	RecentlyDeleted *DeletedObservation
	// Storage is the iCloud storage usage; nil when it was not read.
	Storage *StorageObservation
	// Folders are the local import folders configured for this account.
	Folders []FolderObservation
	// HiddenCovered is true when the configuration says that hidden items
	// are imported too (so hidden items do not raise library_coverage).
	HiddenCovered bool
	// Hidden is how library_coverage treats hidden items that no folder
	// holds (accounts[].hidden); the empty value means HiddenNotice.
	Hidden HiddenMode
	// Audit is the whole-library audit (library_audit); nil when the
	// audit is off.
	Audit *AuditObservation
}

// HiddenMode is the per-account rule for hidden items (Photos › Hidden)
// that no folder holds. Most importers skip hidden items, and most
// families have a few on purpose, so a rule that warns for as long as
// they exist would never let a healthy library be ok.
type HiddenMode string

// Hidden-item rules.
const (
	// HiddenNotice (the default): library_coverage warns while the hidden
	// count is higher than it was HiddenNoticePeriod ago (hidden items
	// appeared or grew; with no record that old, the first day counts as
	// new), and is ok with the count as a note afterwards.
	HiddenNotice HiddenMode = "notice"
	// HiddenWarn: warns for as long as any hidden item is not covered.
	HiddenWarn HiddenMode = "warn"
	// HiddenIgnore: hidden items are counted and shown, never a warning.
	HiddenIgnore HiddenMode = "ignore"
)

// HiddenNoticePeriod is how long new hidden items keep library_coverage at
// warning under HiddenNotice: long enough for one notification and a day
// of `verify` runs to show it, short enough that it clears by itself.
const HiddenNoticePeriod = 24 * time.Hour

// AuthKind classifies the outcome of signing in. It is a string so that it
// reads well in JSON and history; the empty value means "not attempted".
type AuthKind string

// Sign-in outcomes. Every kind except AuthOK, AuthThrottled,
// AuthNetworkError, AuthServiceError and AuthNone is a blocker that needs a
// person and makes the auth check critical.
const (
	AuthNone                   AuthKind = ""                         // not attempted / no outcome recorded
	AuthOK                     AuthKind = "ok"                       // session valid, data could be read
	AuthReauthRequired         AuthKind = "reauth_required"          // 2FA needed (session or trust expired)
	AuthPasswordRejected       AuthKind = "password_rejected"        // Apple rejected the stored password
	AuthPasswordMissing        AuthKind = "password_missing"         // session gone and no password stored
	AuthLocked                 AuthKind = "locked"                   // Apple ID locked for security reasons
	AuthPasswordChangeRequired AuthKind = "password_change_required" // Apple forces a password change (HTTP 412)
	AuthWebAccessDisabled      AuthKind = "web_access_disabled"      // ADP / "Access iCloud Data on the Web" off
	AuthTermsNotAccepted       AuthKind = "terms_not_accepted"       // new iCloud terms must be accepted
	AuthSetupIncomplete        AuthKind = "setup_incomplete"         // ZONE_NOT_FOUND / iCloud setup not finished
	AuthWrongRegion            AuthKind = "wrong_region"             // China mainland account vs global config, or vice versa
	AuthSecurityKeyOnly        AuthKind = "security_key_only"        // account requires a FIDO security key
	AuthSignInBudget           AuthKind = "signin_budget_exhausted"  // the agent's own SRP budget is used up
	AuthThrottled              AuthKind = "throttled"                // Apple answered 429/503: back off, not a blocker
	AuthNetworkError           AuthKind = "network_error"            // DNS/TCP/TLS trouble reaching Apple
	AuthServiceError           AuthKind = "service_error"            // unexpected or malformed answer from Apple
)

// AuthObservation is the sign-in outcome of a cycle.
type AuthObservation struct {
	Kind AuthKind
	// Message is a short, secret-free explanation (e.g. Apple's error text).
	Message string
	// RetryAfter is when the agent will try again after throttling; zero if
	// unknown.
	RetryAfter time.Time
	// SessionNotKept, when set, says why the session is evidently not kept
	// between runs (it could not be saved, it was gone at start, or the
	// password was used several times in a day): auth warns with the fix.
	SessionNotKept string
	// Region is, for AuthWrongRegion, the region Apple named for the
	// account ("china" or "global"); empty if unknown.
	Region string
	// PasswordFix is, for AuthPasswordMissing, how to store a password
	// where icloudmon runs (a Docker secret in a container, the keychain
	// elsewhere), as a clause; empty gives the keychain command.
	PasswordFix string
}

// Blocker reports whether k needs a person to act (auth is then critical).
// An outcome that is not in authTable is a blocker: unknown is not fine.
func (k AuthKind) Blocker() bool {
	d, ok := lookupAuth(k)
	return !ok || d.blocker
}

// NeedsLogin reports whether k is fixed by a person signing in again with
// `icloudmon login` (possibly after changing or unlocking the password);
// it drives Observed.ReauthRequired. Blockers such as unaccepted terms, web
// access, region or security keys need other action and are not included.
func (k AuthKind) NeedsLogin() bool {
	d, ok := lookupAuth(k)
	return ok && d.needsLogin
}

// IndexingState is the result of CheckIndexingState for a library.
type IndexingState string

// Indexing states; the empty value means it was not checked.
const (
	IndexingNotChecked IndexingState = ""
	IndexingFinished   IndexingState = "finished"
	IndexingRunning    IndexingState = "running"
	IndexingOther      IndexingState = "other" // any other answer: treat as not ready
)

// LibraryObservation describes one iCloud photo library (a CloudKit zone).
type LibraryObservation struct {
	// Name is the library label used in metrics: "personal", "shared", ….
	Name string
	// Zone is the CloudKit zone name (PrimarySync, SharedSync-<UUID>).
	Zone string
	// Shared is true for an iCloud Shared Photo Library (other people add
	// to it, so its uploads say little about this person's phone).
	Shared bool
	// Monitored is true when the configuration covers this library: its
	// newest assets are read and matched against the account's folders.
	// A library with Monitored false raises library_coverage.
	Monitored bool
	// Indexing is the CheckIndexingState answer; IndexingProgress its
	// percentage when known (-1 or 0 if not given).
	Indexing         IndexingState
	IndexingProgress int
	// Listed is true when Newest was read successfully; an empty Newest
	// with Listed true means the library is empty.
	Listed bool
	// ReadError says why iCloud could not answer for this library this
	// cycle (e.g. CloudKit refused the query on a Shared Library with 400
	// "Index has invalid data"); "" when it was read or not asked. The other
	// libraries are judged without it.
	ReadError string
	// Newest are the newest assets by date added, newest first (up to
	// Policy.Newest). Order is not relied upon. Of each photo.Asset, checks
	// reads ID (which keys FolderObservation.Matches; never shown in
	// metrics), Filename, Added (server time the asset entered the library)
	// and Taken (capture instant).
	Newest []photo.Asset
	// AssetCount is the number of assets in the library; nil if unknown.
	// An empty Newest is trusted as "empty library" only when AssetCount
	// is 0.
	AssetCount *int
	// HiddenCount is the number of hidden assets; nil if unknown. An
	// unknown count of a non-shared library makes library_coverage unknown
	// unless hidden items are covered or ignored (or, under HiddenWarn,
	// any library's).
	HiddenCount *int
}

// Renditions a folder may be declared to hold (folders[].renditions).
const (
	RenditionsOriginal = "original"
	RenditionsEdited   = "edited"
	RenditionsBoth     = "both"
)

// FolderHealth is what a scan of a local folder found.
type FolderHealth struct {
	// Scanned is true when a scan was attempted and its result is below.
	Scanned bool
	// Exists is false when the path is absent.
	Exists bool
	// Readable is false when the folder (or a part of it) cannot be read.
	Readable bool
	// Error is a short, user-readable reason when !Exists or !Readable.
	Error string
	// Files is the number of media files found.
	Files int
	// PreviousFiles is the count of the previous scan if the scanner knows
	// it; nil to use History.FolderFiles instead.
	PreviousFiles *int
	// Newest is the capture (or modification) time of the newest file.
	Newest time.Time
	// UnreadableHeaders counts files whose headers could not be read within
	// the scanner's bounds of bytes and time; UnreadableExamples names some
	// of them (paths relative to the folder).
	UnreadableHeaders  int
	UnreadableExamples []string
	// Unreadable lists sub-directories (relative to the folder) that could
	// not be listed this scan, so their files are not counted; empty when
	// every sub-directory was read (a statement of fact, like
	// Match.MissingParts).
	Unreadable []string
}

// FolderObservation is one local import folder and the matcher's results.
type FolderObservation struct {
	// Name is the folder label used in metrics; Path the absolute path.
	Name string
	Path string
	// Importer, ImporterHint and RenamesFiles are what the folder's layout
	// says (the layout table of configs). Importer names the importer in
	// remediation texts ("immich"); it is empty for layouts that name none
	// (auto, flat), whose folders are judged renaming or not from the
	// copies found. ImporterHint says where to look when the importer
	// seems stuck; empty for the generic advice.
	Importer     string
	ImporterHint string
	// RenamesFiles is true for layouts that do not keep Apple's file names
	// (immich, photoprism): there, capture-time-only ("possible") matches
	// are expected and do not raise local_copy.
	RenamesFiles bool
	// Renditions says which renditions of an edited photo the folder is
	// meant to hold: RenditionsOriginal (also ""), RenditionsEdited
	// (icloudpd --size adjusted) or RenditionsBoth.
	Renditions string
	// Libraries names the libraries (LibraryObservation.Name) this folder
	// holds; empty means every monitored library. Each library is compared
	// only with the folders that hold it (local_copy, recently_deleted), and
	// a monitored library that no folder holds raises library_coverage.
	Libraries []string
	Health    FolderHealth
	// Matched is true when the matcher ran for this folder; Matches then
	// holds one entry per monitored cloud asset (an absent entry counts as
	// ConfidenceNone).
	Matched bool
	Matches []photo.Match
}

// DeletedObservation is the first page of Recently Deleted.
type DeletedObservation struct {
	Items []DeletedItem
	// Total is the number of items in Recently Deleted if known; nil means
	// len(Items). Items beyond the first page were not looked at.
	Total *int
}

// DeletedItem is one asset in Recently Deleted.
type DeletedItem struct {
	ID       string
	Filename string
	Library  string
	Added    time.Time
	Taken    time.Time
	// PurgeAt is when iCloud deletes it for good (dateExpunged); zero if
	// unknown.
	PurgeAt time.Time
	// LocalCopy is the matcher's best confidence over all folders.
	LocalCopy photo.Confidence
}

// StorageObservation is the iCloud storage usage in bytes.
type StorageObservation struct {
	Used  int64
	Total int64
}

// Policy holds the check thresholds. Its fields mirror the `checks:` keys
// of the configuration (docs/design.md §5, CONFIGURATION.md), with the same
// meaning and defaults; DefaultPolicy returns the defaults. Evaluate
// replaces zero or out-of-range values with the defaults (so a half-filled
// Policy cannot switch a check off); the config loader rejects them up
// front (configs/validate_checks.go).
type Policy struct {
	Newest                 int           // newest: how many newest cloud assets are compared
	Grace                  time.Duration // grace: younger assets are not yet expected locally
	UploadWarning          time.Duration // upload_warning
	UploadCritical         time.Duration // upload_critical
	UploadAdaptive         bool          // upload_adaptive
	UploadAdaptiveQuantile float64       // upload_adaptive_quantile
	UploadAdaptiveFactor   float64       // upload_adaptive_factor
	UploadHistory          time.Duration // upload_history: how far back gaps are learned
	SessionWarning         time.Duration // session_warning
	SessionCritical        time.Duration // session_critical
	StorageWarning         float64       // storage_warning: free ratio below which → warning
	StorageCritical        float64       // storage_critical: free ratio below which → critical
	MissingWarning         int           // missing_warning
	MissingCritical        int           // missing_critical
	LagCritical            time.Duration // lag_critical
	DeletedWarning         time.Duration // deleted_warning: time left before purge
	DeletedCritical        time.Duration // deleted_critical
	FolderShrink           float64       // folder_shrink: fraction of files lost that means "unmounted"
	CaptureTolerance       time.Duration // capture_tolerance (used by the matcher; carried for completeness)
}

const day = 24 * time.Hour

// DefaultPolicy returns the default thresholds of docs/design.md §3 and §5.
func DefaultPolicy() Policy {
	return Policy{
		Newest: 50, Grace: 6 * time.Hour,
		UploadWarning: 3 * day, UploadCritical: 7 * day,
		UploadAdaptive: true, UploadAdaptiveQuantile: 0.99, UploadAdaptiveFactor: 2,
		UploadHistory:  90 * day,
		SessionWarning: 7 * day, SessionCritical: day,
		StorageWarning: 0.10, StorageCritical: 0.02,
		MissingWarning: 1, MissingCritical: 10,
		LagCritical:    7 * day,
		DeletedWarning: 7 * day, DeletedCritical: 2 * day,
		FolderShrink:     0.5,
		CaptureTolerance: 2 * time.Second,
	}
}

// History is what Evaluate needs from earlier cycles. Build it from stored
// HistoryPoints with BuildHistory; the zero value means "first run".
type History struct {
	// Uploads are added-times of assets seen in earlier cycles (any order,
	// duplicates allowed), used to learn the usual gap between uploads.
	Uploads []time.Time
	// FolderFiles is the file count of each folder (by path) at the last
	// successful scan.
	FolderFiles map[string]int
	// HiddenBefore is, per library name, the hidden-item count of the
	// newest cycle at least HiddenNoticePeriod old; a library without such
	// a record is absent (its hidden items count as new).
	HiddenBefore map[string]int
	// LastSuccess is the last cycle whose sign-in succeeded; zero if never.
	LastSuccess time.Time
	// UploadAlerts are the times of earlier cycles whose icloud_upload was
	// in alert (warning or critical) on learned thresholds: the gaps they
	// fall in are left out of learning, so a stall never teaches itself.
	UploadAlerts []time.Time
}

// HistoryPoint is what one cycle contributes to History. It is
// JSON-serialisable so the agent can store it as a blob per cycle; make it
// with NewHistoryPoint and turn stored points back into History with
// BuildHistory.
type HistoryPoint struct {
	// At is the cycle time.
	At time.Time `json:"at"`
	// Auth is the sign-in outcome of the cycle.
	Auth AuthKind `json:"auth,omitempty"`
	// Uploads are added-times of monitored, non-shared assets seen this
	// cycle that the previous History did not already contain.
	Uploads []time.Time `json:"uploads,omitempty"`
	// FolderFiles is the file count per folder path of folders scanned
	// successfully this cycle.
	FolderFiles map[string]int `json:"folder_files,omitempty"`
	// Hidden is the hidden-item count per monitored library name, where it
	// was counted this cycle.
	Hidden map[string]int `json:"hidden,omitempty"`
	// Owner is Observation.Owner of the cycle (empty when iCloud was not read).
	Owner string `json:"owner,omitempty"`
	// UploadAlert is true when the cycle's icloud_upload was warning or
	// critical on learned thresholds (set it with UploadAlerted).
	UploadAlert bool `json:"upload_alert,omitempty"`
}
