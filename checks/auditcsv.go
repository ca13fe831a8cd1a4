package checks

import (
	"strconv"
	"strings"
	"time"
)

// AuditCSVHeader is the header row of the list of missing assets as CSV
// (`icloudmon audit --output csv` and the status page's /api/audit.csv).
// The columns are a contract for scripts: new ones are only appended.
var AuditCSVHeader = []string{"account", "library", "filename", "taken", "added", "size_bytes", "id"}

// AuditCSVRecord is the CSV row of one missing asset (an Item of
// library_audit's details). Times are RFC 3339 in UTC, empty when unknown;
// size is in bytes, empty when unknown. A file name that a spreadsheet
// would run as a formula (leading =, +, -, @, tab or CR) gets a leading
// apostrophe, so opening the list in Excel or Numbers cannot execute it.
func AuditCSVRecord(account string, it Item) []string {
	size := ""
	if it.Size > 0 {
		size = strconv.FormatInt(it.Size, 10)
	}
	return []string{csvCell(account), csvCell(it.Library), csvCell(it.Filename), csvTime(it.Taken), csvTime(it.Added), size, csvCell(it.ID)}
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvCell defuses spreadsheet formulas (OWASP "CSV injection").
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// TerminalSafe makes a name from iCloud or the disk safe to print on a
// terminal: control characters and bidi overrides are shown as escapes
// (the same rule as RenderText).
func TerminalSafe(s string) string { return terminalSafe(s) }
