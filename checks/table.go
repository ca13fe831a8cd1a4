package checks

// checkDef is one check of design §3: the one place that says it exists.
// Evaluation order, AllChecks, the clock note and the plain names of
// notifications all derive from checkTable, so a new check on existing
// data is its own file (an evaluator method) plus one row here, and a
// section "## <id>" in docs/checks.md and a row in design.md §3
// (TestCheckTableDocumented).
type checkDef struct {
	id CheckID
	// eval judges the check; it runs in table order, so a check may use
	// what an earlier one cached on the evaluator.
	eval func(*evaluator) CheckResult
	// ages is set for checks whose verdict judges an age against the
	// current time: when this machine's clock is off they say that the
	// ages were computed on Apple's time (noteClock).
	ages bool
	// title is the check's plain name in messages ("local copy"); the id
	// stays the name for machines.
	title string
	// only, when set, says whether the check applies to an observation;
	// a check that does not apply is left out of the report (and out of
	// AllChecks, which lists the checks every report has).
	only func(Observation) bool
}

// checkTable lists every check in report order.
var checkTable = []checkDef{
	{id: CheckAuth, eval: (*evaluator).auth, title: "sign-in"},
	{id: CheckSessionExpiry, eval: (*evaluator).sessionExpiry, ages: true, title: "iCloud session"},
	{id: CheckICloudUpload, eval: (*evaluator).upload, ages: true, title: "uploads to iCloud"},
	{id: CheckStorage, eval: (*evaluator).storage, title: "iCloud storage"},
	{id: CheckLocalCopy, eval: (*evaluator).localCopy, ages: true, title: "local copy"},
	{id: CheckRecentlyDeleted, eval: (*evaluator).recentlyDeleted, ages: true, title: "Recently Deleted"},
	{id: CheckLibraryCoverage, eval: (*evaluator).libraryCoverage, title: "libraries checked"},
	{id: CheckFolder, eval: (*evaluator).folder, title: "photo folder"},
	{id: CheckIndexing, eval: (*evaluator).indexing, title: "iCloud indexing"},
	{id: CheckLibraryAudit, eval: (*evaluator).libraryAudit, title: "every photo copied",
		only: func(o Observation) bool { return o.Audit != nil }},
}

// AllChecks returns the id of every check that each report has, in report
// order (a fresh slice); checks that apply only to some observations
// (library_audit) are not in it.
func AllChecks() []CheckID {
	var ids []CheckID
	for _, d := range checkTable {
		if d.only == nil {
			ids = append(ids, d.id)
		}
	}
	return ids
}

// Title is the plain name of a check for people ("local copy" for
// local_copy); an id that is not a check reads with spaces for
// underscores.
func Title(id CheckID) string {
	if d, ok := lookupCheck(id); ok {
		return d.title
	}
	b := []byte(id)
	for i, c := range b {
		if c == '_' {
			b[i] = ' '
		}
	}
	return string(b)
}

// judgesAges reports whether the check's verdict depends on the current
// time (see checkDef.ages).
func judgesAges(id CheckID) bool {
	d, ok := lookupCheck(id)
	return ok && d.ages
}

func lookupCheck(id CheckID) (checkDef, bool) {
	for _, d := range checkTable {
		if d.id == id {
			return d, true
		}
	}
	return checkDef{}, false
}
