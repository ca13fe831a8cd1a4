package checks

import "fmt"

// Status is the verdict of one check, one account or a whole report.
//
// The zero value is StatusUnknown on purpose: a status nobody set never
// reads as "ok". Use Value for the number that metrics and exit codes use
// (0 ok, 1 warning, 2 critical, 3 unknown) and String/MarshalText for the
// lower-case name used in JSON ("ok", "warning", "critical", "unknown").
type Status uint8

// The four statuses. Their Go values are NOT the metric numbers; use Value.
const (
	StatusUnknown  Status = iota // no data, or the data cannot vouch for the backup
	StatusOK                     // verified healthy
	StatusWarning                // needs attention soon
	StatusCritical               // photos are at risk now
)

var statusNames = [...]string{
	StatusUnknown:  "unknown",
	StatusOK:       "ok",
	StatusWarning:  "warning",
	StatusCritical: "critical",
}

// String returns "ok", "warning", "critical" or "unknown". Values outside the
// four statuses print as "unknown".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// Value returns the monitoring-plugin number of the status: 0 ok,
// 1 warning, 2 critical, 3 unknown. It is the value of the
// icloudmon_check_status metric and the exit code of `verify`.
func (s Status) Value() int {
	switch s {
	case StatusOK:
		return 0
	case StatusWarning:
		return 1
	case StatusCritical:
		return 2
	default:
		return 3
	}
}

// severity orders statuses from best to worst: ok < warning < unknown <
// critical. Unknown ranks above warning because a check that cannot see its
// data cannot rule out a problem; critical still wins because it is certain.
func (s Status) severity() int {
	switch s {
	case StatusOK:
		return 0
	case StatusWarning:
		return 1
	case StatusCritical:
		return 3
	default:
		return 2
	}
}

// WorseThan reports whether s is more severe than o in the order
// ok < warning < unknown < critical.
func (s Status) WorseThan(o Status) bool { return s.severity() > o.severity() }

// Worst returns the most severe of the given statuses (ok < warning <
// unknown < critical). With no arguments it returns StatusUnknown: nothing
// checked is never "ok".
func Worst(statuses ...Status) Status {
	if len(statuses) == 0 {
		return StatusUnknown
	}
	w := statuses[0]
	for _, s := range statuses[1:] {
		if s.WorseThan(w) {
			w = s
		}
	}
	return w
}

// ParseStatus parses "ok", "warning", "critical" or "unknown".
func ParseStatus(s string) (Status, error) {
	for i, n := range statusNames {
		if n == s {
			return Status(i), nil
		}
	}
	return StatusUnknown, fmt.Errorf("unknown status %q: want ok, warning, critical or unknown", s)
}

// MarshalText encodes the status as its lower-case name (JSON uses this).
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a lower-case status name.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// CheckID names a check. The ids are stable API: metric labels, JSON, alert
// rules and notification keys use them.
type CheckID string

// The checks of design §3; checkTable (table.go) says which exist and in
// which order reports list them.
const (
	CheckAuth            CheckID = "auth"             // signed in, or which blocker stops us
	CheckSessionExpiry   CheckID = "session_expiry"   // time left before re-auth (2FA) is needed
	CheckICloudUpload    CheckID = "icloud_upload"    // is the phone still uploading to iCloud
	CheckStorage         CheckID = "storage"          // iCloud storage free ratio
	CheckLocalCopy       CheckID = "local_copy"       // newest cloud assets present locally
	CheckRecentlyDeleted CheckID = "recently_deleted" // deleted items about to be purged with no copy
	CheckLibraryCoverage CheckID = "library_coverage" // libraries no folder covers
	CheckFolder          CheckID = "folder"           // local folder present, readable, not shrunk
	CheckIndexing        CheckID = "indexing"         // iCloud still indexing the library
)
