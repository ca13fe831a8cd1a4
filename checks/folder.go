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
	problemNotScanned = "not_scanned"
)

// folder judges the health of every local folder.
func (e *evaluator) folder() CheckResult {
	if len(e.obs.Folders) == 0 {
		return notConfigured(CheckFolder)
	}
	var statuses []Status
	var problems []FolderProblem
	var summaries, rems []string
	for _, f := range e.obs.Folders {
		st, p := e.folderHealth(f)
		statuses = append(statuses, st)
		if p == nil {
			summaries = append(summaries, fmt.Sprintf("%s: %s", f.Path, plural(f.Health.Files, "file")))
			continue
		}
		problems = append(problems, *p)
		summaries = append(summaries, folderProblemText(*p))
		if p.Problem != problemNotScanned {
			rems = append(rems, folderRemediation(f.Path, p.Problem))
		}
	}
	var d *Details
	if len(problems) > 0 {
		d = &Details{Folders: problems}
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
	case known && shrunk(prev, h.Files, e.p.FolderShrink):
		p.Problem = problemShrunk
		return StatusCritical, p
	}
	return StatusOK, nil
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
	switch p.Problem {
	case problemMissing:
		return withMessage(p.Path+" does not exist", p.Error)
	case problemUnreadable:
		return withMessage(p.Path+" cannot be read", p.Error)
	case problemEmptied:
		return fmt.Sprintf("%s is empty but had %s at the last check (lost mount?)", p.Path, plural(prev, "file"))
	case problemShrunk:
		return fmt.Sprintf("%s shrank from %d to %s since the last check (lost mount?)", p.Path, prev, plural(p.Files, "file"))
	}
	if p.Path == "" {
		return "A folder without a path was not scanned"
	}
	return p.Path + " was not scanned this cycle"
}
