package checks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// auditVerdict is the library_audit verdict of one library.
type auditVerdict struct {
	lib     AuditLibrary
	status  Status
	pending bool   // unknown only because the first fill is still under way
	text    string // the clause the summary uses when this library decides it
	note    string // what else is worth knowing, for Details.Notes
}

// libraryAudit judges the whole-library audit (issue 20): every compared
// asset of every filled library must have a local copy. It is never
// critical (the assets are still in iCloud; the newest ones are
// local_copy's and the ones about to be purged recently_deleted's), and it
// is unknown and Pending while a first fill runs, so that switching the
// audit on never raises the account's status (docs/checks.md).
func (e *evaluator) libraryAudit() CheckResult {
	a := e.obs.Audit
	if len(e.obs.Folders) == 0 {
		return notConfigured(CheckLibraryAudit)
	}
	if bad := e.unscannedFolders(a); len(bad) > 0 {
		return result(CheckLibraryAudit, StatusUnknown,
			capitalize(strings.Join(bad, ", "))+" could not be scanned, so the audit cannot tell which photos are missing (see the folder check)", "", nil)
	}
	return e.judgeAudit(a)
}

// EvaluateAudit judges an audit on its own, as `icloudmon audit` does
// after bringing the mirror up to date: the library_audit verdict with
// the same wording, without the folder guards of Evaluate (the caller
// compared with folders it has just scanned). A pending result means the
// first fill did not finish.
func EvaluateAudit(a AuditObservation) CheckResult {
	e := evaluator{p: DefaultPolicy()}
	return e.judgeAudit(&a)
}

// judgeAudit is the verdict over the libraries of a.
func (e *evaluator) judgeAudit(a *AuditObservation) CheckResult {
	if len(a.Libraries) == 0 {
		return result(CheckLibraryAudit, StatusUnknown, "No library was audited this cycle", "", nil)
	}
	var vs []auditVerdict
	for _, l := range a.Libraries {
		vs = append(vs, e.judgeAuditLibrary(l))
	}
	d := &Details{Libraries: auditLibraryLines(a.Libraries), Missing: auditItems(a.Libraries)}
	isWarning := func(v auditVerdict) bool { return v.status == StatusWarning }
	isUnknown := func(v auditVerdict) bool { return v.status == StatusUnknown && !v.pending }
	isPending := func(v auditVerdict) bool { return v.pending }
	var r CheckResult
	var decides func(auditVerdict) bool
	switch {
	case slices.ContainsFunc(vs, isWarning):
		decides = isWarning
		r = result(CheckLibraryAudit, StatusWarning, auditMissingSummary(vs), e.auditRemediation(), d)
	case slices.ContainsFunc(vs, isUnknown):
		decides = isUnknown
		r = result(CheckLibraryAudit, StatusUnknown, joinTexts(vs, isUnknown),
			"Nothing to do on the iPhone: icloudmon tries again next cycle. If this lasts a day, look for lines about the audit in icloudmon's log and check for an icloudmon update.", d)
	case slices.ContainsFunc(vs, isPending):
		decides = isPending
		r = result(CheckLibraryAudit, StatusUnknown, joinTexts(vs, isPending)+"; no verdict until it is complete",
			"Nothing to do: icloudmon fills the list of every photo a little each cycle to stay well under Apple's limits, and judges once it is complete. To fill it now, run `icloudmon audit` once.", d)
		r.Pending = true
	default:
		decides = func(auditVerdict) bool { return true }
		r = result(CheckLibraryAudit, StatusOK, auditOKSummary(vs), "", d)
	}
	for _, v := range vs {
		if !decides(v) && v.text != "" {
			d.Notes = append(d.Notes, capitalize(v.text))
		}
		if v.note != "" {
			d.Notes = append(d.Notes, v.note)
		}
	}
	return r
}

// unscannedFolders names the folders that hold an audited library but were
// not read this cycle: comparing with them would call every photo missing.
func (e *evaluator) unscannedFolders(a *AuditObservation) []string {
	var out []string
	for _, f := range e.obs.Folders {
		h := f.Health
		if h.Scanned && h.Exists && h.Readable {
			continue
		}
		if slices.ContainsFunc(a.Libraries, func(l AuditLibrary) bool { return holds(f, l.Name) }) {
			out = append(out, folderLabel(f.Name, f.Path))
		}
	}
	return out
}

// judgeAuditLibrary judges one library's audit.
func (e *evaluator) judgeAuditLibrary(l AuditLibrary) auditVerdict {
	v := auditVerdict{lib: l}
	name := "library " + l.Name
	switch {
	case !l.Filled && l.Error != "":
		v.status = StatusUnknown
		v.text = fmt.Sprintf("the list of every photo of %s could not be filled: %s; %s listed so far", name, l.Error, listedSoFar(l))
	case !l.Filled:
		v.status, v.pending = StatusUnknown, true
		v.text = fmt.Sprintf("still listing every photo of %s: %s", name, fillProgress(l))
		if l.Paused {
			v.text += ", paused by the request budget" + resumeClause(l.ResumeAt)
		}
	case len(l.Missing) > 0:
		v.status = StatusWarning
		v.text = fmt.Sprintf("%s of %s in %s %s no local copy", count(len(l.Missing)), countOf(l.Compared, "photo"), name, hasHave(len(l.Missing)))
		v.note = e.auditStaleNote(l)
	case l.Error != "":
		v.status = StatusUnknown
		v.text = fmt.Sprintf("the list of every photo of %s could not be brought up to date: %s", name, l.Error)
		if !l.LastComplete.IsZero() {
			v.text += fmt.Sprintf(" (last complete audit %s)", fmtTime(l.LastComplete))
		}
	case l.Compared+l.Excluded == 0 && l.Mirrored > 0:
		v.status = StatusUnknown
		v.text = name + " was not compared with the folders this cycle"
	default:
		v.status = StatusOK
		v.note = e.auditStaleNote(l)
	}
	return v
}

// auditStaleNote says, for a judged library, that its list is paused or
// could not be updated (the verdict then holds for the list as it is).
func (e *evaluator) auditStaleNote(l AuditLibrary) string {
	switch {
	case l.Error != "":
		return fmt.Sprintf("The list of library %s could not be brought up to date (%s); the photos listed are from the last update", l.Name, l.Error)
	case l.Paused:
		return fmt.Sprintf("Updates of library %s are paused by the request budget%s; photos added since are covered by the local copy check", l.Name, resumeClause(l.ResumeAt))
	}
	return ""
}

// fillProgress is "42 % (42,000 of 100,000)", or "42,000 photos" when
// Apple's count is unknown. It never says 100 % before the fill is done.
func fillProgress(l AuditLibrary) string {
	if l.Expected <= 0 {
		return countOf(l.Mirrored, "photo")
	}
	pct := min(l.Mirrored*100/l.Expected, 99)
	return fmt.Sprintf("%d %% (%s of %s)", pct, count(l.Mirrored), count(l.Expected))
}

// listedSoFar is "42,000 of 100,000", or "42,000 photos" when Apple's
// count is unknown.
func listedSoFar(l AuditLibrary) string {
	if l.Expected <= 0 {
		return countOf(l.Mirrored, "photo")
	}
	return count(l.Mirrored) + " of " + count(l.Expected)
}

// resumeClause is " until 2026-11-22 11:00 UTC", or "" when unknown.
func resumeClause(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " until " + fmtTime(t)
}

// joinTexts joins the clauses of the verdicts that pass keep.
func joinTexts(vs []auditVerdict, keep func(auditVerdict) bool) string {
	var parts []string
	for _, v := range vs {
		if keep(v) {
			parts = append(parts, v.text)
		}
	}
	return capitalize(strings.Join(parts, "; "))
}

// auditMissingSummary counts the missing photos over the libraries.
func auditMissingSummary(vs []auditVerdict) string {
	var missing, compared int
	var per []string
	for _, v := range vs {
		if v.status == StatusWarning {
			missing += len(v.lib.Missing)
			compared += v.lib.Compared
			per = append(per, fmt.Sprintf("%s %s", v.lib.Name, count(len(v.lib.Missing))))
		}
	}
	if len(per) == 1 {
		for _, v := range vs {
			if v.status == StatusWarning {
				return capitalize(v.text)
			}
		}
	}
	return fmt.Sprintf("%s of %s in iCloud %s no local copy (%s)", count(missing), countOf(compared, "photo"), hasHave(missing), strings.Join(per, ", "))
}

// auditOKSummary says how many photos were compared.
func auditOKSummary(vs []auditVerdict) string {
	var compared, excluded int
	var names []string
	for _, v := range vs {
		compared += v.lib.Compared
		excluded += v.lib.Excluded
		names = append(names, v.lib.Name)
	}
	where := "library " + strings.Join(names, ", ")
	if len(names) > 1 {
		where = "libraries " + strings.Join(names, ", ")
	}
	switch {
	case compared == 0 && excluded == 0:
		return "Nothing to compare: " + where + " holds no photo yet"
	case compared == 0:
		return fmt.Sprintf("Nothing to compare: the audit's settings leave out all %s of %s", count(excluded), where)
	case compared == 1:
		return "The only photo compared in " + where + " has a local copy"
	}
	return fmt.Sprintf("All %s photos in %s have a local copy", count(compared), where)
}

// auditLibraryLines describe each library's audit for people.
func auditLibraryLines(libs []AuditLibrary) []string {
	var out []string
	for _, l := range libs {
		var s string
		switch {
		case !l.Filled:
			s = fmt.Sprintf("%s: listing, %s", l.Name, fillProgress(l))
		default:
			s = fmt.Sprintf("%s: %s listed, %d compared, %d left out, %d missing", l.Name, count(l.Mirrored), l.Compared, l.Excluded, len(l.Missing))
			if !l.LastComplete.IsZero() {
				s += ", last complete audit " + fmtTime(l.LastComplete)
			}
		}
		if l.Paused {
			s += ", paused" + resumeClause(l.ResumeAt)
		}
		if l.Error != "" {
			s += ", error: " + l.Error
		}
		out = append(out, s)
	}
	return out
}

// auditItems are every missing asset of every filled library, oldest
// taken first (ties by library, then file name).
func auditItems(libs []AuditLibrary) []Item {
	var out []Item
	for _, l := range libs {
		if !l.Filled {
			continue
		}
		for _, m := range l.Missing {
			out = append(out, Item{ID: m.ID, Filename: m.Filename, Library: l.Name, Added: utc(m.Added), Taken: utc(m.Taken), Size: m.Size})
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int {
		if c := a.Taken.Compare(b.Taken); c != 0 {
			return c
		}
		if c := strings.Compare(a.Library, b.Library); c != 0 {
			return c
		}
		return strings.Compare(a.Filename, b.Filename)
	})
	return out
}

// auditRemediation tells a family what to do about old photos that are
// in iCloud and in none of their folders, naming the importers in use.
func (e *evaluator) auditRemediation() string {
	var layouts []string
	for _, f := range e.obs.Folders {
		if f.Importer != "" && !slices.Contains(layouts, f.Importer) {
			layouts = append(layouts, f.Importer)
		}
	}
	importer := "the importer"
	if len(layouts) > 0 {
		importer += " (" + strings.Join(layouts, ", ") + ")"
	}
	return "These photos are in iCloud but in none of your folders; nothing is lost yet, but they have no second copy. " +
		"Check the settings of " + importer + " (albums, date range, hidden items it leaves out). " +
		"icloudpd run with --until-found or --recent stops at the newest photos and never fills older gaps: run it once without those options. " +
		"If the files were deleted from the NAS by mistake, restore them from your backup. " +
		"`icloudmon audit` (or the CSV on the status page) lists every one."
}

// count prints a number with thousands separators: 42,000.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// countOf is countOf(12000, "photo") = "12,000 photos".
func countOf(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return count(n) + " " + pluralWord(word)
}

// AuditFactsOf are the observed facts of an audit (Observed.Audit), nil
// when it is off; `icloudmon audit` prints them too.
func AuditFactsOf(a *AuditObservation) []AuditFacts { return auditFacts(a) }

// auditFacts are the observed facts of the audit, nil when it is off.
func auditFacts(a *AuditObservation) []AuditFacts {
	if a == nil {
		return nil
	}
	out := make([]AuditFacts, 0, len(a.Libraries))
	for _, l := range a.Libraries {
		f := AuditFacts{
			Library: l.Name, Filled: l.Filled, Mirrored: l.Mirrored, Compared: l.Compared, Excluded: l.Excluded,
			LastComplete: utc(l.LastComplete), Paused: l.Paused, ResumeAt: utc(l.ResumeAt), Error: l.Error,
		}
		if l.Expected > 0 {
			f.Expected = ptrTo(l.Expected)
		}
		switch {
		case l.Filled:
			f.FillRatio = ptrTo(1.0)
			f.Missing = ptrTo(len(l.Missing))
		case l.Expected > 0:
			f.FillRatio = ptrTo(min(float64(l.Mirrored)/float64(l.Expected), 0.999))
		}
		out = append(out, f)
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

// hasHave agrees the verb with a count: "1 of 990 photos has".
func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}
