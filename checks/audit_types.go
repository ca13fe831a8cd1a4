package checks

import "time"

// CheckLibraryAudit is the whole-library audit (issue 20): every asset of
// every monitored library, from the metadata mirror, compared with the
// local folders. It is evaluated only when Observation.Audit is set, so
// AllChecks does not list it.
const CheckLibraryAudit CheckID = "library_audit"

// AuditObservation is the whole-library audit of one account: the
// metadata mirror of each monitored library compared with the folders.
// Observation.Audit is nil when the audit is switched off; the check is
// then left out of the report.
type AuditObservation struct {
	Libraries []AuditLibrary
}

// AuditLibrary is the audit of one library.
type AuditLibrary struct {
	// Name is the library name, as in LibraryObservation.Name.
	Name string
	// Filled is true once the mirror holds the whole library (a first
	// fill finished and the zone's sync token was stored). Until then the
	// comparison is not a verdict.
	Filled bool
	// Mirrored is the number of assets in the mirror; Expected is Apple's
	// asset count for the library (the denominator of fill progress), 0
	// when unknown.
	Mirrored, Expected int
	// Compared is the number of mirrored assets compared with the folders
	// this cycle; Excluded the ones left out (inside the grace period,
	// hidden when hidden items are not audited, taken before the
	// configured first day).
	Compared, Excluded int
	// Missing is every compared asset with no local copy, oldest taken
	// first.
	Missing []AuditMissing
	// LastComplete is when a comparison of a filled mirror last ran; zero
	// when never.
	LastComplete time.Time
	// Error says why the mirror could not be brought up to date this
	// cycle (the last state is still reported); empty when it was.
	Error string
	// Paused is set when the request budget stopped the fill or update
	// this cycle; ResumeAt is when the budget allows the next request.
	Paused   bool
	ResumeAt time.Time
}

// AuditMissing is one mirrored asset with no local copy.
type AuditMissing struct {
	// ID is the asset's record name (stable, for scripts).
	ID       string
	Filename string
	Added    time.Time
	Taken    time.Time
	// Size is the original's size in bytes; 0 when unknown.
	Size int64
}

// AuditProgress is reported while `icloudmon audit` brings the mirror of
// one library up to date in the foreground.
type AuditProgress struct {
	Library string
	// Mirrored is the number of assets in the mirror so far; Expected is
	// Apple's count (0 when unknown).
	Mirrored, Expected int
	// Requests is the number of CloudKit requests this run has sent.
	Requests int
	// Done is set on the last report of a library.
	Done bool
}
