package checks

import (
	"fmt"
	"strings"
)

// Folder problems (FolderProblem.Problem).
const (
	problemMissing    = "missing"
	problemUnreadable = "unreadable"
	problemEmptied    = "empty"
	problemShrunk     = "shrunk"
	problemPartly     = "partly_unreadable"
	problemNotScanned = "not_scanned"
)

// maxUnreadableShown bounds the sub-directories named in a summary.
const maxUnreadableShown = 5

// folder judges the health of every local folder.
func (e *evaluator) folder() CheckResult {
	if len(e.obs.Folders) == 0 {
		return notConfigured(CheckFolder)
	}
	var statuses []Status
	var problems []FolderProblem
	var summaries, rems, notes []string
	for _, f := range e.obs.Folders {
		if n := unreadableHeadersNote(f); n != "" {
			notes = append(notes, n)
		}
		st, p := e.folderHealth(f)
		statuses = append(statuses, st)
		if p == nil {
			summaries = append(summaries, fmt.Sprintf("%s: %s", folderLabel(f.Name, f.Path), plural(f.Health.Files, "file")))
			continue
		}
		problems = append(problems, *p)
		summaries = append(summaries, folderProblemText(*p))
		if p.Problem != problemNotScanned {
			rems = append(rems, folderRemediation(*p))
		}
	}
	var d *Details
	if len(problems) > 0 || len(notes) > 0 {
		d = &Details{Folders: problems, Notes: notes}
	}
	return result(CheckFolder, Worst(statuses...), capitalize(strings.Join(summaries, "; ")), strings.Join(rems, " "), d)
}

// folderHealth judges one folder; a nil problem means healthy.
func (e *evaluator) folderHealth(f FolderObservation) (Status, *FolderProblem) {
	h := f.Health
	p := &FolderProblem{Folder: f.Name, Path: f.Path, Files: h.Files, Error: h.Error}
	prev, known := e.previousFiles(f)
	if known {
		p.PreviousFiles = &prev
	}
	switch {
	case f.Path == "":
		p.Problem = problemNotScanned
		return StatusUnknown, p
	case !h.Scanned:
		p.Problem = problemNotScanned
		return StatusUnknown, p
	case !h.Exists:
		p.Problem = problemMissing
		return StatusCritical, p
	case !h.Readable:
		p.Problem = problemUnreadable
		return StatusCritical, p
	case known && prev > 0 && h.Files == 0:
		p.Problem = problemEmptied
		return StatusCritical, p
	case h.Files == 0:
		return e.emptyFolder(f, p)
	case known && shrunk(prev, h.Files, e.p.FolderShrink):
		p.Problem = problemShrunk
		return StatusCritical, p
	case len(h.Unreadable) > 0:
		p.Problem, p.Unreadable = problemPartly, h.Unreadable
		return StatusWarning, p
	}
	return StatusOK, nil
}

// emptyFolder judges a folder without files that held none before either
// (a first run, or empty since): an unmounted share leaves an empty mount
// point, so it is critical while a library it should hold has photos, ok
// only when those libraries are known to be empty, and unknown when iCloud
// could not say.
func (e *evaluator) emptyFolder(f FolderObservation, p *FolderProblem) (Status, *FolderProblem) {
	p.Problem = problemEmptied
	held, unknown := 0, false
	for _, l := range monitored(e.obs.Libraries) {
		if !holds(f, l.Name) {
			continue
		}
		held++
		n, ok := libraryItems(l)
		if ok && n > 0 {
			p.Library, p.LibraryItems = l.Name, n
			return StatusCritical, p
		}
		unknown = unknown || !ok
	}
	switch {
	case unknown, held == 0 && len(e.obs.Libraries) == 0:
		return StatusUnknown, p // iCloud could not say
	}
	// Every library it holds is empty, or none of them exists in iCloud.
	return StatusOK, nil
}

// libraryItems is how many items a library holds, and whether that is
// known: the asset count, or at least the newest assets listed.
func libraryItems(l LibraryObservation) (int, bool) {
	switch {
	case l.AssetCount != nil && *l.AssetCount > 0:
		return *l.AssetCount, true
	case l.Listed && len(l.Newest) > 0:
		return len(l.Newest), true
	case l.AssetCount != nil:
		return 0, l.Listed || *l.AssetCount == 0
	}
	return 0, false
}

// previousFiles returns the folder's file count at the previous scan.
func (e *evaluator) previousFiles(f FolderObservation) (int, bool) {
	if f.Health.PreviousFiles != nil {
		return *f.Health.PreviousFiles, true
	}
	n, ok := e.hist.FolderFiles[f.Path]
	return n, ok
}

// shrunk reports whether a drop from prev to cur files loses at least the
// fraction limit of the files.
func shrunk(prev, cur int, limit float64) bool {
	if prev <= 0 || cur >= prev {
		return false
	}
	return float64(prev-cur)/float64(prev) >= limit
}

// folderProblemText is the summary line of a folder problem.
func folderProblemText(p FolderProblem) string {
	prev := 0
	if p.PreviousFiles != nil {
		prev = *p.PreviousFiles
	}
	label := capitalize(folderLabel(p.Folder, p.Path))
	switch p.Problem {
	case problemMissing:
		return withReason(label+" does not exist", p.Error)
	case problemUnreadable:
		return withReason(label+" cannot be read", p.Error)
	case problemEmptied:
		switch {
		case prev > 0:
			return fmt.Sprintf("%s is empty but had %s at the last check (lost mount?)", label, plural(prev, "file"))
		case p.LibraryItems > 0:
			return fmt.Sprintf("%s is empty although iCloud has %s in library %s: is the share mounted?", label, plural(p.LibraryItems, "item"), p.Library)
		}
		return label + " is empty, and iCloud could not be read this cycle to tell whether it should be"
	case problemPartly:
		shown := p.Unreadable[:min(len(p.Unreadable), maxUnreadableShown)]
		more := ""
		if n := len(p.Unreadable) - len(shown); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		if len(p.Unreadable) == 1 {
			return fmt.Sprintf("%s: 1 sub-directory could not be read (%s), so its files are not counted", label, shown[0])
		}
		return fmt.Sprintf("%s: %d sub-directories could not be read (%s%s), so their files are not counted", label,
			len(p.Unreadable), strings.Join(shown, ", "), more)
	case problemShrunk:
		return fmt.Sprintf("%s shrank from %d to %s since the last check (lost mount?)", label, prev, plural(p.Files, "file"))
	}
	if p.Path == "" {
		return "A folder without a path was not scanned"
	}
	return label + " was not scanned this cycle"
}
