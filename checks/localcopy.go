package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// copyVerdict is the local_copy verdict for one folder.
type copyVerdict struct {
	folder      FolderObservation
	judged      bool // the folder was healthy and matched: counts are real
	partial     bool // a library the folder holds was not listed this cycle
	status      Status
	summary     string
	expected    int // assets older than grace that the folder should hold
	withinGrace int
	missing     []Item
	incomplete  []Item
	uncertain   []Item
	editedOnly  []Item // only the edited rendition is here (also in incomplete)
	lag         time.Duration
	lagKnown    bool
	lagAtLeast  bool      // lag is a lower bound: no expected asset of the lagging library is present
	newestCopy  time.Time // added time of the newest present asset of the lagging library
	// present is, per library, the added time of its newest expected asset
	// found in the folder.
	present map[string]time.Time
}

// libraryExpectation is what one monitored library expects of the folders
// that hold it: its newest Policy.Newest assets, split into those older
// than grace (expected locally) and the younger ones.
type libraryExpectation struct {
	name     string
	listed   bool
	expected []photo.Asset
	young    int
}

// expectations returns one entry per monitored library.
func (e *evaluator) expectations() []libraryExpectation {
	var out []libraryExpectation
	for _, l := range monitored(e.obs.Libraries) {
		le := libraryExpectation{name: l.Name, listed: l.Listed}
		if l.Listed {
			assets := slices.Clone(l.Newest)
			slices.SortFunc(assets, func(a, b photo.Asset) int { return b.Added.Compare(a.Added) })
			for _, a := range assets[:min(len(assets), e.p.Newest)] {
				if e.now.Sub(a.Added) >= e.p.Grace {
					le.expected = append(le.expected, a)
				} else {
					le.young++
				}
			}
		}
		out = append(out, le)
	}
	return out
}

// holds reports whether folder f holds library lib: a folder that names no
// library holds every monitored one.
func holds(f FolderObservation, lib string) bool {
	return len(f.Libraries) == 0 || slices.Contains(f.Libraries, lib)
}

// unlisted names the monitored libraries whose newest assets were not read.
func unlisted(libs []LibraryObservation) []string {
	var out []string
	for _, l := range monitored(libs) {
		if !l.Listed {
			out = append(out, l.Name)
		}
	}
	return out
}

// localCopy judges whether the newest cloud assets are in every folder
// that holds their library.
func (e *evaluator) localCopy() CheckResult {
	if len(e.obs.Folders) == 0 {
		return notConfigured(CheckLocalCopy)
	}
	libs := e.expectations()
	if !slices.ContainsFunc(libs, func(l libraryExpectation) bool { return l.listed }) {
		return e.notRead(CheckLocalCopy, "the newest photos")
	}
	verdicts := e.copyVerdicts(libs)
	r := combineCopyVerdicts(verdicts)
	if r.Status == StatusOK && slices.ContainsFunc(verdicts, func(v copyVerdict) bool { return v.partial }) {
		r.Status = StatusUnknown
		r.Summary += "; but library " + strings.Join(unlisted(e.obs.Libraries), ", ") + " could not be read this cycle"
	}
	empty := !slices.ContainsFunc(libs, func(l libraryExpectation) bool { return len(l.expected) > 0 || l.young > 0 })
	if empty && r.Status == StatusOK {
		return e.emptyLibraries()
	}
	return r
}

// emptyLibraries judges a listing that returned no asset at all: ok only
// when the asset count confirms that every monitored library is empty.
func (e *evaluator) emptyLibraries() CheckResult {
	for _, l := range monitored(e.obs.Libraries) {
		if l.AssetCount == nil {
			return result(CheckLocalCopy, StatusUnknown, "iCloud listed no photos, but the library size is unknown: nothing could be compared", "", nil)
		}
		if *l.AssetCount > 0 {
			return result(CheckLocalCopy, StatusUnknown,
				fmt.Sprintf("iCloud listed no photos although library %s has %s: nothing could be compared", l.Name, plural(*l.AssetCount, "item")), "", nil)
		}
	}
	return result(CheckLocalCopy, StatusOK, "The photo library is empty: nothing to back up yet", "", nil)
}

// copyVerdicts judges every folder (cached for the observed facts).
func (e *evaluator) copyVerdicts(libs []libraryExpectation) []copyVerdict {
	if e.verdicts != nil {
		return e.verdicts
	}
	for _, f := range e.obs.Folders {
		e.verdicts = append(e.verdicts, e.judgeFolderCopy(f, libs))
	}
	return e.verdicts
}

// judgeFolderCopy compares the expected assets of the libraries a folder
// holds with that folder's matches. Assets of other libraries are not
// looked for there.
func (e *evaluator) judgeFolderCopy(f FolderObservation, libs []libraryExpectation) copyVerdict {
	v := copyVerdict{folder: f, present: map[string]time.Time{}}
	var held []libraryExpectation
	for _, l := range libs {
		if !holds(f, l.name) {
			continue
		}
		held = append(held, l)
		v.partial = v.partial || !l.listed
		v.expected += len(l.expected)
		v.withinGrace += l.young
	}
	h := f.Health
	switch {
	case !h.Scanned || !h.Exists || !h.Readable:
		v.summary = folderLabel(f.Name, f.Path) + " could not be scanned (see the folder check)"
		return v
	case !f.Matched:
		v.summary = folderLabel(f.Name, f.Path) + " was not compared with iCloud this cycle"
		return v
	case len(held) == 0:
		v.judged, v.status = true, StatusOK
		v.summary = fmt.Sprintf("%s holds %s, which this account does not have in iCloud: nothing to compare", capitalize(folderLabel(f.Name, f.Path)), strings.Join(f.Libraries, ", "))
		return v
	}
	v.judged = true
	byID := make(map[string]photo.Match, len(f.Matches))
	for _, m := range f.Matches {
		byID[m.AssetID] = m
	}
	for _, l := range held {
		for _, a := range l.expected {
			v.classify(a, l.name, byID[a.ID])
		}
	}
	v.computeLag(held)
	v.status = e.copyStatus(v)
	v.summary = v.describe(e.p.Grace)
	return v
}

// classify sorts one expected asset into missing, incomplete, uncertain or
// fine. A photo of which only the edited rendition is here is never
// missing: it is fine in a folder declared to hold edited renditions only,
// and "only the edited version is here" otherwise.
func (v *copyVerdict) classify(a photo.Asset, library string, m photo.Match) {
	parts := v.expectedParts(m.MissingParts)
	it := Item{Filename: a.Filename, Library: library, Folder: v.folder.Name, Added: a.Added.UTC(),
		Taken: a.Taken.UTC(), Confidence: m.Confidence, MissingParts: parts}
	if it.Confidence == "" {
		it.Confidence = photo.ConfidenceNone
	}
	if !m.Confidence.Present() {
		v.missing = append(v.missing, it)
		return
	}
	if a.Added.After(v.present[library]) {
		v.present[library] = a.Added
	}
	if slices.Contains(parts, photo.PartOriginal) {
		v.editedOnly = append(v.editedOnly, it)
	}
	if len(parts) > 0 {
		v.incomplete = append(v.incomplete, it)
	}
	if m.Confidence == photo.ConfidencePossible {
		v.uncertain = append(v.uncertain, it)
	}
}

// expectedParts keeps the missing parts the folder is meant to hold: the
// edited rendition only where the folder is declared to hold edits, the
// original not where it holds edited renditions only (icloudpd --size
// adjusted saves the edit instead of the original).
func (v *copyVerdict) expectedParts(parts []photo.Part) []photo.Part {
	var out []photo.Part
	for _, p := range parts {
		switch {
		case p == photo.PartEdited && v.folder.Renditions != RenditionsEdited && v.folder.Renditions != RenditionsBoth:
		case p == photo.PartOriginal && v.folder.Renditions == RenditionsEdited:
		default:
			out = append(out, p)
		}
	}
	return out
}

// computeLag sets the lag of the folder: per library, the added-time
// distance between its newest expected asset and its newest one present
// in the folder (from the same list the missing photos come from, so a
// copy of another library never hides a stalled one); the folder's lag is
// the largest of them.
func (v *copyVerdict) computeLag(libs []libraryExpectation) {
	type span struct{ newest, oldest time.Time }
	spans := map[string]*span{}
	var order []string
	for _, l := range libs {
		for _, a := range l.expected {
			sp := spans[l.name]
			if sp == nil {
				sp = &span{a.Added, a.Added}
				spans[l.name] = sp
				order = append(order, l.name)
			}
			if a.Added.After(sp.newest) {
				sp.newest = a.Added
			}
			if a.Added.Before(sp.oldest) {
				sp.oldest = a.Added
			}
		}
	}
	for _, lib := range order {
		sp, copied := spans[lib], v.present[lib]
		lag, atLeast := sp.newest.Sub(sp.oldest), true
		if !copied.IsZero() {
			lag, atLeast = max(sp.newest.Sub(copied), 0), false
		}
		if !v.lagKnown || lag > v.lag {
			v.lag, v.lagAtLeast, v.newestCopy = lag, atLeast, copied
		}
		v.lagKnown = true
	}
}

// copyStatus applies the thresholds to a folder verdict.
func (e *evaluator) copyStatus(v copyVerdict) Status {
	n := len(v.missing)
	switch {
	case n >= e.p.MissingCritical || (v.lagKnown && v.lag >= e.p.LagCritical):
		return StatusCritical
	case n >= e.p.MissingWarning, len(v.editedOnly) > 0:
		return StatusWarning
	case len(v.uncertain) > 0 && !v.renames():
		return StatusWarning
	}
	return StatusOK
}

// renames reports whether the folder does not keep Apple's file names, so
// that copies found by capture time only are expected there: its layout
// says so (RenamesFiles), or — for a layout that names no importer (auto,
// flat) — at least half of the copies present were found that way, which
// is what an importer that renames every file looks like (OneDrive's
// camera upload, Immich or PhotoPrism configured as auto). Otherwise a
// capture-time-only match in a folder that keeps names is suspicious (a
// burst neighbour, a different photo of the same second).
func (v copyVerdict) renames() bool {
	if v.folder.RenamesFiles {
		return true
	}
	if v.folder.Importer != "" {
		return false
	}
	present := v.expected - len(v.missing)
	return present > 0 && 2*len(v.uncertain) >= present
}

// newestPhotos is "newest photo" or "newest 50 photos".
func newestPhotos(n int) string {
	if n == 1 {
		return "newest photo"
	}
	return fmt.Sprintf("newest %d photos", n)
}

// describe writes the one-line summary of a folder verdict.
func (v copyVerdict) describe(grace time.Duration) string {
	var s string
	where := folderLabel(v.folder.Name, v.folder.Path)
	switch {
	case len(v.missing) > 0 && len(v.missing) == v.expected && v.expected > 1:
		s = fmt.Sprintf("None of the %s is in %s", newestPhotos(v.expected), where)
	case len(v.missing) > 0:
		verb := "are"
		if len(v.missing) == 1 {
			verb = "is"
		}
		s = fmt.Sprintf("%d of the %s %s not in %s", len(v.missing), newestPhotos(v.expected), verb, where)
	case len(v.editedOnly) > 0:
		n := v.expected - len(v.editedOnly)
		verb := "are"
		if n == 1 {
			verb = "is"
		}
		s = fmt.Sprintf("%d of the %s %s in %s", n, newestPhotos(v.expected), verb, where)
	case v.expected == 0 && v.withinGrace > 0:
		s = fmt.Sprintf("No photo is older than the %s grace period yet (%s)", fmtDur(grace), where)
	case v.expected == 1:
		s = "The newest photo is in " + where
	default:
		s = fmt.Sprintf("All %d of the newest photos are in %s", v.expected, where)
	}
	if v.lagKnown && v.lag > 0 {
		at := ""
		if v.lagAtLeast {
			at = "at least "
		}
		s += fmt.Sprintf(", %s%s behind iCloud", at, fmtDur(v.lag))
	}
	if n := len(v.uncertain); n > 0 {
		s += fmt.Sprintf("; %s matched only by capture time", plural(n, "photo"))
	}
	if n := len(v.editedOnly); n > 0 {
		s += fmt.Sprintf("; only the edited version is here for %s", plural(n, "photo"))
	}
	if n := len(v.incomplete) - len(v.editedOnly); n > 0 {
		s += fmt.Sprintf("; %s with a part missing", plural(n, "photo"))
	}
	return s
}

// combineCopyVerdicts merges the folder verdicts into one check result.
func combineCopyVerdicts(vs []copyVerdict) CheckResult {
	var statuses []Status
	var summaries, rems []string
	d := &Details{}
	for _, v := range vs {
		statuses = append(statuses, v.status)
		summaries = append(summaries, v.summary)
		d.Missing = append(d.Missing, v.missing...)
		d.Incomplete = append(d.Incomplete, v.incomplete...)
		d.Uncertain = append(d.Uncertain, v.uncertain...)
		if rem := v.remediation(); rem != "" {
			rems = append(rems, rem)
		}
		if v.withinGrace > 0 && v.status != StatusUnknown {
			d.Notes = append(d.Notes, fmt.Sprintf("%s: %s newer than the grace period not yet expected", capitalize(folderLabel(v.folder.Name, v.folder.Path)), plural(v.withinGrace, "photo")))
		}
	}
	if d.Missing == nil && d.Incomplete == nil && d.Uncertain == nil && d.Notes == nil {
		d = nil
	}
	return result(CheckLocalCopy, Worst(statuses...), capitalize(strings.Join(summaries, "; ")), strings.Join(rems, " "), d)
}

// remediation tells what to do about one folder's verdict.
func (v copyVerdict) remediation() string {
	switch {
	case v.status == StatusOK || v.status == StatusUnknown:
		return ""
	case len(v.missing) > 0:
		return localCopyRemediation(v.folder, v.newestCopy, v.lag > 0)
	case len(v.editedOnly) > 0:
		return fmt.Sprintf("The %s holds only the edited version of some photos, not the original. If the importer is meant to save edited versions (icloudpd --size adjusted), set the folder's `renditions: edited`; otherwise have it download the originals too (icloudpd --size original, or --size original --size adjusted with `renditions: both`).", folderRef(v.folder.Name, v.folder.Path))
	}
	return fmt.Sprintf("Some photos in %s were matched only by their capture time, not by name: open the listed files to confirm they are the same photos. If the importer renames files, set the folder's layout to the importer (immich, photoprism) or to auto, so that icloudmon expects it.", v.folder.Path)
}
