package notify

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// message is one notification: a title and a text for chat and push
// services, and the typed event for the JSON webhook.
type message struct {
	Title string
	Body  string
	Event Event
	// Click is the link of the worst reason (ntfy opens it on a tap);
	// Priority is "high" for critical news and final reminders, "low" for
	// all-resolved messages, "" otherwise.
	Click    string
	Priority string
}

// linker builds the links that messages carry from the base URL of the
// agent's web page (empty: no links).
type linker struct {
	base string
}

// status returns the link to the status page of account.
func (l linker) status(account string) string {
	if l.base == "" {
		return ""
	}
	if account == "" {
		return l.base + "/"
	}
	return l.base + "/#" + url.PathEscape(account)
}

// forCheck returns the link for a check: the re-auth page for sign-in
// problems, the status page otherwise.
func (l linker) forCheck(account, check string) string {
	if l.base == "" {
		return ""
	}
	if check == checkAuth || check == checkSessionExpiry {
		return l.base + "/auth/" + url.PathEscape(account)
	}
	return l.status(account)
}

// buildMessage renders the reasons of one account into one message.
func buildMessage(account string, rs []Reason, now time.Time, loc *time.Location, links linker) message {
	rs = append([]Reason(nil), rs...)
	sort.SliceStable(rs, func(i, j int) bool { return severity(rs[i].To) > severity(rs[j].To) })
	title := messageTitle(account, rs)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		writeReason(&b, r, loc)
	}
	return message{Title: title, Body: b.String(), Click: rs[0].Link, Priority: priority(rs), Event: Event{
		Type: "alert", Account: account, Status: worstTo(rs), Title: title, Message: b.String(),
		Link: links.status(account), Time: now, Reasons: rs,
	}}
}

// priority maps the reasons to a push priority.
func priority(rs []Reason) string {
	resolved := true
	for _, r := range rs {
		if r.Kind == KindFinalReminder || (r.To == statusCritical && r.Kind != KindReminder) {
			return "high"
		}
		resolved = resolved && r.Kind == KindResolved
	}
	if resolved {
		return "low"
	}
	return ""
}

// checkName is the plain name of a check id in messages ("local_copy":
// "local copy"); the check ids stay in the JSON event (Reasons[].check)
// for machines.
func checkName(id string) string { return checks.Title(checks.CheckID(id)) }

// messageTitle says whose, how bad and what, in one line, in plain words:
// "icloudmon alice: WARNING, local copy".
func messageTitle(account string, rs []Reason) string {
	ids := make([]string, 0, len(rs))
	allResolved, anyFinal := true, false
	for _, r := range rs {
		ids = append(ids, checkName(r.Check))
		allResolved = allResolved && r.Kind == KindResolved
		anyFinal = anyFinal || r.Kind == KindFinalReminder
	}
	state := strings.ToUpper(worstTo(rs))
	switch {
	case allResolved:
		state = "resolved"
	case anyFinal:
		state = "LAST DAY, " + state
	}
	return fmt.Sprintf("icloudmon %s: %s, %s", account, state, strings.Join(ids, ", "))
}

// writeReason renders one reason: a headline, the summary, what to do and
// the link.
func writeReason(b *strings.Builder, r Reason, loc *time.Location) {
	fmt.Fprintf(b, "[%s] %s: %s", reasonLabel(r, loc), capitalizeFirst(checkName(r.Check)), r.Summary)
	if r.Remediation != "" && r.Kind != KindResolved {
		fmt.Fprintf(b, "\nWhat to do: %s", r.Remediation)
	}
	if r.Link != "" {
		fmt.Fprintf(b, "\n%s", r.Link)
	}
}

// capitalizeFirst upper-cases the first letter of an ASCII name (not the
// i of iCloud).
func capitalizeFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.HasPrefix(s, "iCloud") {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// reasonLabel is the bracketed headline of a reason.
func reasonLabel(r Reason, loc *time.Location) string {
	to := strings.ToUpper(r.To)
	switch r.Kind {
	case KindResolved:
		return "RESOLVED, was " + r.From
	case KindReminder:
		return "STILL " + to
	case KindFinalReminder:
		return fmt.Sprintf("LAST DAY, %s, deadline %s", to, r.Deadline.In(loc).Format("Mon 2 Jan 15:04 MST"))
	case KindFlapping:
		return "FLAPPING, now " + r.To + "; further changes are held back until it settles"
	case KindTest:
		return "TEST"
	}
	if r.From == "" {
		return to
	}
	return to + ", was " + r.From
}

// testMessage is what `icloudmon notify test` sends.
func testMessage(now time.Time, links linker) message {
	const body = "This is a test message from icloudmon. If you can read it, this notification target works."
	title := "icloudmon: test message"
	r := Reason{Check: "test", Kind: KindTest, To: statusOK, Summary: body, Link: links.status(""), Time: now}
	return message{Title: title, Body: body, Event: Event{
		Type: "test", Status: statusOK, Title: title, Message: body, Link: links.status(""), Time: now,
		Reasons: []Reason{r},
	}}
}
