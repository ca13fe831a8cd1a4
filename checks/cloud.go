package checks

import (
	"fmt"
	"strings"
)

// storage judges the iCloud storage free ratio.
func (e *evaluator) storage() CheckResult {
	s := e.obs.Storage
	if s == nil || s.Total <= 0 || s.Used < 0 {
		return e.notRead(CheckStorage, "the iCloud storage usage")
	}
	free := freeRatio(*s)
	summary := fmt.Sprintf("iCloud storage %s free (%s of %s used)", fmtPercent(free), FormatBytes(s.Used), FormatBytes(s.Total))
	switch {
	case s.Used >= s.Total:
		return result(CheckStorage, StatusCritical, fmt.Sprintf("iCloud storage is full (%s of %s used)", FormatBytes(s.Used), FormatBytes(s.Total)), storageRemediation(true), nil)
	case free < e.p.StorageCritical:
		return result(CheckStorage, StatusCritical, summary, storageRemediation(false), nil)
	case free < e.p.StorageWarning:
		return result(CheckStorage, StatusWarning, summary, storageRemediation(false), nil)
	}
	return result(CheckStorage, StatusOK, summary, "", nil)
}

// freeRatio is the free fraction of the storage, 0 when full.
func freeRatio(s StorageObservation) float64 {
	if s.Total <= 0 || s.Used >= s.Total {
		return 0
	}
	return float64(s.Total-s.Used) / float64(s.Total)
}

// indexing reports libraries that iCloud is still indexing.
func (e *evaluator) indexing() CheckResult {
	libs := monitored(e.obs.Libraries)
	if len(libs) == 0 {
		return e.notRead(CheckIndexing, "the library list")
	}
	var running, unchecked, unreadable []string
	for _, l := range libs {
		if l.ReadError != "" {
			unreadable = append(unreadable, l.Name+" ("+l.ReadError+")")
			continue
		}
		switch l.Indexing {
		case IndexingFinished:
		case IndexingNotChecked:
			unchecked = append(unchecked, l.Name)
		default:
			running = append(running, indexingLabel(l))
		}
	}
	if len(unreadable) > 0 {
		return result(CheckIndexing, StatusUnknown, "iCloud could not list library "+strings.Join(unreadable, ", ")+"; the other libraries are judged without it",
			"Nothing to do on the iPhone. icloudmon asks again after a change in that library or within 6 hours; if it persists, check for an icloudmon update.",
			&Details{Libraries: unreadable, Notes: running})
	}
	if len(running) > 0 {
		return result(CheckIndexing, StatusUnknown, "iCloud is still indexing "+strings.Join(running, ", ")+": results are incomplete until it finishes",
			"Nothing to do: iCloud prepares a library after iCloud Photos is turned on or after a large import, which can take hours or days. Keep the iPhone on Wi-Fi and charging.",
			&Details{Libraries: running})
	}
	if len(unchecked) > 0 {
		return result(CheckIndexing, StatusUnknown, "Indexing state not checked for "+strings.Join(unchecked, ", "), "", &Details{Libraries: unchecked})
	}
	return result(CheckIndexing, StatusOK, "iCloud has finished indexing", "", nil)
}

// indexingLabel names a library with its indexing progress if known.
func indexingLabel(l LibraryObservation) string {
	if l.IndexingProgress > 0 && l.IndexingProgress < 100 {
		return fmt.Sprintf("%s (%d %%)", l.Name, l.IndexingProgress)
	}
	return l.Name
}

// monitored returns the libraries the configuration covers.
func monitored(libs []LibraryObservation) []LibraryObservation {
	var out []LibraryObservation
	for _, l := range libs {
		if l.Monitored {
			out = append(out, l)
		}
	}
	return out
}

// libraryCoverage reports libraries no folder covers, and hidden items no
// folder holds according to the account's hidden rule (HiddenMode).
func (e *evaluator) libraryCoverage() CheckResult {
	if len(e.obs.Folders) == 0 {
		// Known from the configuration alone, whether iCloud was read or not.
		return result(CheckLibraryCoverage, StatusWarning,
			"No local folder is configured: iCloud is the only copy of these photos (iCloud Photos syncs devices, it does not back them up)",
			onlyCopyRemediation, nil)
	}
	if len(e.obs.Libraries) == 0 {
		return e.notRead(CheckLibraryCoverage, "the library list")
	}
	var names, uncounted, notes []string
	var shared, other, hidden, unheld bool
	for _, l := range e.obs.Libraries {
		if !l.Monitored {
			names = append(names, libraryLabel(l))
			shared = shared || l.Shared
			other = other || !l.Shared
			continue
		}
		if len(e.obs.Folders) > 0 && !e.heldByAFolder(l.Name) {
			names = append(names, libraryLabel(l)+" (monitored, but no folder lists it under libraries)")
			unheld = true
			continue
		}
		switch v := e.hiddenVerdict(l); v.kind {
		case hiddenNew:
			names = append(names, v.text)
			hidden = true
		case hiddenUncounted:
			uncounted = append(uncounted, l.Name)
		case hiddenNote:
			notes = append(notes, v.text)
		}
	}
	if len(names) > 0 {
		return result(CheckLibraryCoverage, StatusWarning, "Not backed up by any folder: "+strings.Join(names, "; "),
			coverageRemediation(shared, other, hidden, unheld), &Details{Libraries: names, Notes: notes})
	}
	if len(uncounted) > 0 {
		return result(CheckLibraryCoverage, StatusUnknown, "Hidden items were not counted in "+strings.Join(uncounted, ", ")+": coverage of hidden photos is unknown", "", nil)
	}
	summary := "Every iCloud library is covered by a local folder"
	var d *Details
	if len(notes) > 0 {
		summary += "; " + strings.Join(notes, "; ")
		d = &Details{Notes: notes}
	}
	return result(CheckLibraryCoverage, StatusOK, summary, "", d)
}

// heldByAFolder reports whether some folder holds library lib.
func (e *evaluator) heldByAFolder(lib string) bool {
	for _, f := range e.obs.Folders {
		if holds(f, lib) {
			return true
		}
	}
	return false
}

// hiddenKind is what the hidden items of one monitored library mean.
type hiddenKind int

const (
	hiddenNone      hiddenKind = iota // none, or covered by the configuration
	hiddenNew                         // not covered and (by the rule) worth a warning
	hiddenNote                        // not covered, shown as information only
	hiddenUncounted                   // the count that decides the verdict is unknown
)

type hiddenFinding struct {
	kind hiddenKind
	text string
}

// hiddenVerdict applies the account's hidden rule to library l.
func (e *evaluator) hiddenVerdict(l LibraryObservation) hiddenFinding {
	mode := e.obs.Hidden
	if e.obs.HiddenCovered {
		return hiddenFinding{}
	}
	if l.HiddenCount == nil {
		// A Shared Library may not answer the hidden count at all; only the
		// rule "warn" makes that count decisive there.
		if mode == HiddenIgnore || l.Shared && mode != HiddenWarn {
			return hiddenFinding{}
		}
		return hiddenFinding{kind: hiddenUncounted}
	}
	n := *l.HiddenCount
	if n <= 0 {
		return hiddenFinding{}
	}
	text := fmt.Sprintf("%s in %s", plural(n, "hidden item"), l.Name)
	switch mode {
	case HiddenWarn:
		return hiddenFinding{kind: hiddenNew, text: text}
	case HiddenIgnore:
		return hiddenFinding{kind: hiddenNote, text: text + " are in no folder (hidden: ignore)"}
	}
	before, known := e.hist.HiddenBefore[l.Name]
	if !known || n > before {
		return hiddenFinding{kind: hiddenNew, text: text + hiddenNewSince(known, before)}
	}
	return hiddenFinding{kind: hiddenNote, text: text + " are in no folder (reported when they appeared)"}
}

// hiddenNewSince says what makes hidden items new under HiddenNotice.
func hiddenNewSince(known bool, before int) string {
	if !known {
		return " (new: a warning for one day, then a note)"
	}
	return fmt.Sprintf(" (up from %d a day ago: a warning for one day, then a note)", before)
}

// libraryLabel names a library with its zone for people who configure
// importers.
func libraryLabel(l LibraryObservation) string {
	kind := "library"
	if l.Shared {
		kind = "Shared Library"
	}
	switch {
	case l.Name != "" && l.Zone != "" && l.Name != l.Zone:
		return fmt.Sprintf("%s %q (zone %s)", kind, l.Name, l.Zone)
	case l.Name != "":
		return fmt.Sprintf("%s %q", kind, l.Name)
	}
	return fmt.Sprintf("%s zone %s", kind, l.Zone)
}
