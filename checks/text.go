package checks

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/icloudmon/icloudmon/photo"
)

// maxListed caps item lists in the text report; the JSON has them all.
const maxListed = 10

// wrapWidth is the line width remediation texts are wrapped to.
const wrapWidth = 100

// RenderText renders the report for people (`icloudmon verify`): a status
// table per account, then for every check that is not ok (or carries
// notes) its items and what to do. Times are UTC. It is pure: the caller
// writes the string.
func RenderText(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "icloudmon: %s at %s\n", strings.ToUpper(r.Status.String()), fmtTime(r.CheckedAt))
	if len(r.Accounts) == 0 {
		b.WriteString("\nNo account was checked.\n")
	}
	for _, a := range r.Accounts {
		renderAccount(&b, a)
	}
	return b.String()
}

// renderAccount writes one account's table and details.
func renderAccount(b *strings.Builder, a AccountReport) {
	fmt.Fprintf(b, "\n%s: %s\n", terminalSafe(a.Name), strings.ToUpper(a.Status.String()))
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CHECK\tSTATUS\tSUMMARY")
	for _, c := range a.Checks {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.ID, statusText(c), terminalSafe(c.Summary))
	}
	_ = tw.Flush() // writes to a strings.Builder cannot fail
	for _, c := range a.Checks {
		if worthDetailing(c) {
			renderCheck(b, c)
		}
	}
}

// worthDetailing reports whether a check gets a block below the table: a
// warning or critical, or anything with remediation or details.
func worthDetailing(c CheckResult) bool {
	switch c.Status {
	case StatusWarning, StatusCritical:
		return true
	case StatusUnknown:
		return c.Remediation != "" || c.Details != nil
	}
	return hasNotes(c.Details)
}

// hasNotes reports whether details carry something worth showing for an
// ok check.
func hasNotes(d *Details) bool {
	return d != nil && (len(d.Notes) > 0 || len(d.Incomplete) > 0 || len(d.Uncertain) > 0)
}

// renderCheck writes the details and remediation of one check.
func renderCheck(b *strings.Builder, c CheckResult) {
	fmt.Fprintf(b, "\n  %s: %s\n", c.ID, strings.ToUpper(statusText(c)))
	writeWrapped(b, "    ", c.Summary)
	if d := c.Details; d != nil {
		renderItems(b, "missing", d.Missing)
		renderItems(b, "incomplete", d.Incomplete)
		renderItems(b, "matched only by capture time", d.Uncertain)
		for _, n := range d.Notes {
			writeWrapped(b, "    note: ", n)
		}
	}
	if c.Remediation != "" {
		writeWrapped(b, "    what to do: ", c.Remediation)
	}
}

// statusText is the status a person reads: "pending" for a check that is
// unknown only because its first pass is under way (CheckResult.Pending).
func statusText(c CheckResult) string {
	if c.Pending {
		return "pending"
	}
	return c.Status.String()
}

// renderItems writes up to maxListed items under a heading.
func renderItems(b *strings.Builder, heading string, items []Item) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "    %s (%d):\n", heading, len(items))
	for i, it := range items {
		if i == maxListed {
			fmt.Fprintf(b, "      … and %d more (see --output json)\n", len(items)-maxListed)
			break
		}
		fmt.Fprintf(b, "      %s\n", itemLine(it))
	}
}

// itemLine describes one item on one line.
func itemLine(it Item) string {
	parts := []string{terminalSafe(it.Filename)}
	if it.Library != "" {
		parts = append(parts, "library "+terminalSafe(it.Library))
	}
	if it.Folder != "" {
		parts = append(parts, "folder "+terminalSafe(it.Folder))
	}
	if !it.Added.IsZero() {
		parts = append(parts, "added "+fmtTime(it.Added))
	}
	if !it.Taken.IsZero() {
		parts = append(parts, "taken "+fmtTime(it.Taken))
	}
	if !it.PurgeAt.IsZero() {
		parts = append(parts, "purged "+fmtTime(it.PurgeAt))
	}
	if it.Size > 0 {
		parts = append(parts, FormatBytes(it.Size))
	}
	if it.Confidence != "" && it.Confidence != photo.ConfidenceNone {
		parts = append(parts, "match "+string(it.Confidence))
	}
	if len(it.MissingParts) > 0 {
		ps := make([]string, len(it.MissingParts))
		for i, p := range it.MissingParts {
			ps[i] = string(p)
		}
		parts = append(parts, "missing "+strings.Join(ps, "+"))
	}
	return strings.Join(parts, ", ")
}

// writeWrapped writes text after prefix, wrapped at wrapWidth with
// continuation lines indented like the prefix.
func writeWrapped(b *strings.Builder, prefix, text string) {
	text = terminalSafe(text)
	indent := strings.Repeat(" ", len([]rune(prefix)))
	line := prefix
	lineLen := len([]rune(line))
	for i, w := range strings.Fields(text) {
		wl := len([]rune(w))
		if i > 0 && lineLen+1+wl > wrapWidth {
			b.WriteString(line + "\n")
			line, lineLen = indent+w, len(indent)+wl
			continue
		}
		if i > 0 {
			line += " "
			lineLen++
		}
		line += w
		lineLen += wl
	}
	b.WriteString(line + "\n")
}

// terminalSafe makes a text that may carry names from iCloud or the disk
// (file, library, folder and account names: a Mac or a Shared Library
// participant can put any character in them) safe for a terminal: every
// control character (ESC, CR, LF, tab, DEL, C1) and every line or
// paragraph separator and bidi override is written as a visible escape
// like \x1b, so that a name can neither drive the terminal nor start a
// line of its own (a forged "icloudmon: OK").
func terminalSafe(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// unsafeRune reports a rune a terminal acts on instead of showing it.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == utf8.RuneError ||
		r == '\u2028' || r == '\u2029' || // line and paragraph separators
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') // bidi embeddings, overrides, isolates
}
