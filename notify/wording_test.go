package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// TestMessagesInPlainWords renders a message for every check, kind and
// status: the title and the first line of the text name the account and
// say what is wrong in plain words, never a check id (local_copy) or a
// path, and the check is named once.
func TestMessagesInPlainWords(t *testing.T) {
	var ids []string
	for _, id := range checks.AllChecks() {
		ids = append(ids, string(id))
	}
	ids = append(ids, string(checks.CheckLibraryAudit))
	kinds := []ReasonKind{KindChanged, KindResolved, KindReminder, KindFinalReminder, KindFlapping}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, id := range ids {
		for _, k := range kinds {
			for _, to := range []string{statusWarning, statusCritical, statusOK, "unknown"} {
				r := Reason{Account: "Grandma's iPhone", Check: id, Kind: k, From: "ok", To: to,
					Summary: "3 of the newest 50 photos are not in folder \"photos\"", Remediation: "run the importer",
					Deadline: now.Add(time.Hour), Time: now}
				m := buildMessage("Grandma's iPhone", []Reason{r}, now, time.UTC, linker{base: "https://nas.example"})
				first := strings.SplitN(m.Body, "\n", 2)[0]
				for _, line := range []string{m.Title, first} {
					for _, bad := range ids {
						if strings.Contains(line, "] "+bad+":") || strings.Contains(line, "("+bad+")") ||
							(strings.Contains(bad, "_") && strings.Contains(line, bad)) {
							t.Errorf("%s/%s/%s: %q shows the check id %s", id, k, to, line, bad)
						}
					}
					if strings.Contains(line, " /") {
						t.Errorf("%s/%s/%s: %q shows a path", id, k, to, line)
					}
				}
				if !strings.HasPrefix(m.Title, "icloudmon Grandma's iPhone: ") {
					t.Errorf("title %q does not name the account first", m.Title)
				}
				name := checkName(id)
				if strings.Count(strings.ToLower(first), strings.ToLower(name)) != 1 {
					t.Errorf("%s/%s/%s: first line %q names %q not exactly once", id, k, to, first, name)
				}
			}
		}
	}
}
