package checks

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Adaptive upload-stall constants (see the package documentation).
const (
	// burstWindow joins uploads less than this apart into one upload event
	// (a holiday import of 2,000 photos is one event, not 1,999 tiny gaps).
	burstWindow = time.Hour
	// minGaps is how many gaps between upload events are needed before the
	// learned thresholds replace the static ones (cold start).
	minGaps = 8
	// skewTolerance is how far in the future an added time may lie before
	// it is reported as clock skew.
	skewTolerance = 5 * time.Minute
)

// uploadThresholds is the outcome of learning an account's upload rhythm.
type uploadThresholds struct {
	warn, crit time.Duration
	adaptive   bool
	events     int
	gaps       int
	alerted    int           // gaps left out because the check was in alert then
	usual      time.Duration // the policy quantile of the learned gaps
}

// uploadLibraries returns the listed libraries whose uploads say something
// about this person's devices: non-shared ones, or all listed ones if the
// account only has shared libraries listed.
func (e *evaluator) uploadLibraries() []LibraryObservation {
	var own, any []LibraryObservation
	for _, l := range e.obs.Libraries {
		if !l.Listed {
			continue
		}
		any = append(any, l)
		if !l.Shared {
			own = append(own, l)
		}
	}
	if len(own) > 0 {
		return own
	}
	return any
}

// upload judges how long ago the newest asset reached iCloud.
func (e *evaluator) upload() CheckResult {
	libs := e.uploadLibraries()
	if len(libs) == 0 {
		return e.notRead(CheckICloudUpload, "the newest photos")
	}
	for _, l := range libs {
		if l.Indexing == IndexingRunning || l.Indexing == IndexingOther {
			return result(CheckICloudUpload, StatusUnknown,
				"iCloud is still indexing library "+l.Name+"; the upload age cannot be judged yet", "", nil)
		}
	}
	newest := newestAdded(libs)
	if newest.IsZero() && hasAssets(libs) {
		return result(CheckICloudUpload, StatusUnknown,
			"iCloud listed photos without the date they were added: Apple's answer format may have changed",
			"Nothing to do on the iPhone. If this persists, check for an icloudmon update.", nil)
	}
	if newest.IsZero() {
		return result(CheckICloudUpload, StatusUnknown, "The photo library is empty: nothing has been uploaded to iCloud yet",
			"If this person takes photos, turn on iCloud Photos on the iPhone: Settings › [your name] › iCloud › Photos › Sync this iPhone.", nil)
	}
	if skew := newest.Sub(e.now); skew > skewTolerance {
		return result(CheckICloudUpload, StatusWarning,
			fmt.Sprintf("iCloud reports a photo added %s in the future (%s): clocks disagree", fmtDur(skew), fmtTime(newest)),
			"Check that the clock of the machine running icloudmon is right (NTP time sync); until it is, ages and grace periods are wrong.", nil)
	}
	r := e.judgeGap(newest, e.learn(libs))
	if n := takenInFuture(libs, e.now); n > 0 {
		r.Details.Notes = append(r.Details.Notes, fmt.Sprintf("%s dated more than a day in the future: the camera's or iPhone's clock may be wrong (Settings › General › Date & Time › Set Automatically); matching by capture time is then unreliable", plural(n, "photo")))
	}
	if n := undated(libs); n > 0 && r.Status == StatusOK {
		r.Status = StatusUnknown
		r.Summary += fmt.Sprintf("; but %s had no added date", plural(n, "asset"))
	}
	return r
}

// takenInFuture counts assets whose capture time is more than a day ahead
// of now: a device clock that is off, not an upload problem.
func takenInFuture(libs []LibraryObservation, now time.Time) int {
	n := 0
	for _, l := range libs {
		for _, a := range l.Newest {
			if a.Taken.Sub(now) > day {
				n++
			}
		}
	}
	return n
}

// undated counts listed assets without an added time (malformed records):
// one of them might be the newest, so an ok cannot be vouched for.
func undated(libs []LibraryObservation) int {
	n := 0
	for _, l := range libs {
		for _, a := range l.Newest {
			if a.Added.IsZero() {
				n++
			}
		}
	}
	return n
}

// judgeGap compares the current gap since the newest upload with th.
func (e *evaluator) judgeGap(newest time.Time, th uploadThresholds) CheckResult {
	gap := max(e.now.Sub(newest), 0)
	d := &Details{Upload: &UploadDetails{
		GapSeconds: gap.Seconds(), Adaptive: th.adaptive, Events: th.events, Gaps: th.gaps, AlertedGaps: th.alerted,
		UsualGapSeconds: th.usual.Seconds(), WarningAfterSeconds: th.warn.Seconds(), CriticalAfterSeconds: th.crit.Seconds(),
	}}
	summary := fmt.Sprintf("Newest photo reached iCloud %s ago (%s)", fmtDur(gap), fmtTime(newest))
	status := StatusOK
	switch {
	case gap >= th.crit:
		status = StatusCritical
	case gap >= th.warn:
		status = StatusWarning
	}
	if th.adaptive {
		summary += fmt.Sprintf("; usually at most %s between uploads", fmtDur(th.usual))
	} else if th.gaps < minGaps {
		d.Notes = append(d.Notes, fmt.Sprintf("Still learning this account's upload rhythm (%d of %d gaps seen): using the fixed thresholds", th.gaps, minGaps))
	}
	if th.alerted > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%s during which this check was in alert %s left out of the learned rhythm", plural(th.alerted, "gap"), map[bool]string{true: "is", false: "are"}[th.alerted == 1]))
	}
	if status == StatusOK {
		return result(CheckICloudUpload, status, summary, "", d)
	}
	return result(CheckICloudUpload, status, summary, uploadStallRemediation(), d)
}

// learn derives the warning and critical gap thresholds from history and
// the current observation (see the package documentation for the math).
func (e *evaluator) learn(libs []LibraryObservation) uploadThresholds {
	static := uploadThresholds{warn: e.p.UploadWarning, crit: e.p.UploadCritical}
	times := slices.Clone(e.hist.Uploads)
	for _, l := range libs {
		for _, a := range l.Newest {
			times = append(times, a.Added)
		}
	}
	events := uploadEvents(times, e.now.Add(-e.p.UploadHistory), e.now)
	gaps, alerted := learnableGaps(events, e.hist.UploadAlerts)
	static.events, static.gaps, static.alerted = len(events), len(gaps), alerted
	if !e.p.UploadAdaptive || len(gaps) < minGaps {
		return static
	}
	q := quantile(gaps, e.p.UploadAdaptiveQuantile)
	learned := time.Duration(float64(q) * e.p.UploadAdaptiveFactor)
	warn := min(max(learned, e.p.UploadWarning), e.p.UploadCritical)
	return uploadThresholds{
		warn: warn, crit: warn + (e.p.UploadCritical - e.p.UploadWarning), adaptive: true,
		events: len(events), gaps: len(gaps), alerted: alerted, usual: q,
	}
}

// learnableGaps returns the gaps between events during which the check
// was not in alert, and how many were left out because it was. An alert
// belongs to a gap when the cycle ran after the gap's first upload event
// ended and no later than burstWindow after the next one started (an
// upload becomes visible a little after its added time).
func learnableGaps(evs []event, alerts []time.Time) ([]time.Duration, int) {
	var gaps []time.Duration
	left := 0
	for i := 1; i < len(evs); i++ {
		from, to := evs[i-1].end, evs[i].start
		if slices.ContainsFunc(alerts, func(t time.Time) bool { return t.After(from) && !t.After(to.Add(burstWindow)) }) {
			left++
			continue
		}
		gaps = append(gaps, to.Sub(from))
	}
	return gaps, left
}

// UploadAlerted reports whether rep's icloud_upload is in alert (warning
// or critical) on learned thresholds; store it in the cycle's
// HistoryPoint.UploadAlert. Alerts on the fixed thresholds of the cold
// start are not recorded: a family that photographs once a week would
// otherwise never get past the fixed 3-day warning.
func UploadAlerted(rep AccountReport) bool {
	c, ok := rep.Check(CheckICloudUpload)
	return ok && (c.Status == StatusWarning || c.Status == StatusCritical) &&
		c.Details != nil && c.Details.Upload != nil && c.Details.Upload.Adaptive
}

// event is a run of uploads with no pause of burstWindow or more.
type event struct{ start, end time.Time }

// uploadEvents sorts the added times within [from, to], drops duplicates
// and joins uploads closer than burstWindow into events.
func uploadEvents(times []time.Time, from, to time.Time) []event {
	in := make([]time.Time, 0, len(times))
	for _, t := range times {
		if !t.IsZero() && !t.Before(from) && !t.After(to) {
			in = append(in, t)
		}
	}
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	var evs []event
	for _, t := range in {
		if n := len(evs); n > 0 && t.Sub(evs[n-1].end) < burstWindow {
			evs[n-1].end = t
			continue
		}
		evs = append(evs, event{start: t, end: t})
	}
	return evs
}

// eventGaps returns the pauses between consecutive events: the next
// event's first upload minus the previous event's last upload.
func eventGaps(evs []event) []time.Duration {
	var gaps []time.Duration
	for i := 1; i < len(evs); i++ {
		gaps = append(gaps, evs[i].start.Sub(evs[i-1].end))
	}
	return gaps
}

// quantile returns the q-quantile of ds by linear interpolation between
// the order statistics (the "type 7" definition of R and NumPy).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	h := float64(len(s)-1) * q
	lo := int(math.Floor(h))
	hi := min(lo+1, len(s)-1)
	frac := h - float64(lo)
	return s[lo] + time.Duration(frac*float64(s[hi]-s[lo]))
}

// newestAdded is the latest added time over the libraries' newest assets.
func newestAdded(libs []LibraryObservation) time.Time {
	var t time.Time
	for _, l := range libs {
		for _, a := range l.Newest {
			if a.Added.After(t) {
				t = a.Added
			}
		}
	}
	return t
}

// hasAssets reports whether any library listed at least one asset.
func hasAssets(libs []LibraryObservation) bool {
	for _, l := range libs {
		if len(l.Newest) > 0 {
			return true
		}
	}
	return false
}
