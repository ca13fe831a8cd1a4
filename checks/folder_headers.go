package checks

import (
	"fmt"
	"strings"
)

// unreadableHeadersNote names the files of a folder whose headers could not
// be read within the scanner's bounds (damaged or half-written). They do not
// change the folder's status: such a file still counts as a copy when its
// name and size equal an iCloud photo's, and never by capture time.
func unreadableHeadersNote(f FolderObservation) string {
	h := f.Health
	if h.UnreadableHeaders <= 0 {
		return ""
	}
	names := strings.Join(h.UnreadableExamples, ", ")
	if more := h.UnreadableHeaders - len(h.UnreadableExamples); more > 0 {
		names += fmt.Sprintf(" and %d more", more)
	}
	return fmt.Sprintf("%s: %s whose headers cannot be read (damaged or half-written?) count as copies only by name and size: %s",
		f.Path, plural(h.UnreadableHeaders, "file"), names)
}
