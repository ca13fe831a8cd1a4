package checks

import (
	"slices"
	"time"
)

// shrinkAcceptAfter is how long a sharply lower folder file count must
// persist before it becomes the new baseline (files deleted on purpose).
// Until then the folder check stays critical, so a lost mount cannot turn
// "ok" by itself at the next cycle.
const shrinkAcceptAfter = 24 * time.Hour

// NewHistoryPoint derives what to persist from one cycle: the sign-in
// outcome, the added times of uploads not already in prev (the History the
// cycle was evaluated with), and the file counts of folders that were
// scanned successfully. Store the JSON of the point; feed stored points to
// BuildHistory next cycle.
func NewHistoryPoint(obs Observation, prev History, now time.Time) HistoryPoint {
	p := HistoryPoint{At: now.UTC(), Auth: obs.Auth.Kind, Owner: obs.Owner}
	seen := make(map[int64]bool, len(prev.Uploads))
	for _, t := range prev.Uploads {
		seen[t.UnixNano()] = true
	}
	e := evaluator{obs: obs}
	for _, l := range e.uploadLibraries() {
		for _, a := range l.Newest {
			if a.Added.IsZero() || seen[a.Added.UnixNano()] {
				continue
			}
			seen[a.Added.UnixNano()] = true
			p.Uploads = append(p.Uploads, a.Added.UTC())
		}
	}
	slices.SortFunc(p.Uploads, func(a, b time.Time) int { return a.Compare(b) })
	for _, f := range obs.Folders {
		if h := f.Health; h.Scanned && h.Exists && h.Readable {
			if p.FolderFiles == nil {
				p.FolderFiles = map[string]int{}
			}
			p.FolderFiles[f.Path] = h.Files
		}
	}
	for _, l := range obs.Libraries {
		if l.Monitored && l.HiddenCount != nil {
			if p.Hidden == nil {
				p.Hidden = map[string]int{}
			}
			p.Hidden[l.Name] = *l.HiddenCount
		}
	}
	return p
}

// OfOwner returns the points with what was learned from another iCloud
// account left out: a point recorded for an owner other than owner keeps
// only its folder file counts (folders belong to the path, not to the
// account). After the apple_id of an account was changed in the config, or
// a data dir of another account was restored, the other account's upload
// cadence, last sign-in and hidden counts must not steer this one's checks.
// Points without an owner (cycles that did not read iCloud, older
// versions) and an empty owner (iCloud not read now) keep everything.
func OfOwner(points []HistoryPoint, owner string) []HistoryPoint {
	if owner == "" {
		return points
	}
	out := make([]HistoryPoint, 0, len(points))
	for _, p := range points {
		if p.Owner != "" && p.Owner != owner {
			p = HistoryPoint{At: p.At, FolderFiles: p.FolderFiles}
		}
		out = append(out, p)
	}
	return out
}

// BuildHistory turns stored points (any order) into the History that
// Evaluate needs at time now: upload times within policy.UploadHistory
// (deduplicated), the last successful sign-in, and each folder's baseline
// file count. A sharp drop (policy.FolderShrink, or to zero) becomes the
// baseline only after it persisted for 24 hours.
func BuildHistory(points []HistoryPoint, policy Policy, now time.Time) History {
	policy = policy.sane()
	ps := slices.Clone(points)
	slices.SortStableFunc(ps, func(a, b HistoryPoint) int { return a.At.Compare(b.At) })
	h := History{}
	from := now.Add(-policy.UploadHistory)
	seen := map[int64]bool{}
	for _, p := range ps {
		if p.At.After(now) {
			continue
		}
		if p.Auth == AuthOK {
			h.LastSuccess = p.At.UTC()
		}
		if p.UploadAlert && !p.At.Before(from) {
			h.UploadAlerts = append(h.UploadAlerts, p.At.UTC())
		}
		for _, t := range p.Uploads {
			if t.Before(from) || t.After(now) || seen[t.UnixNano()] {
				continue
			}
			seen[t.UnixNano()] = true
			h.Uploads = append(h.Uploads, t.UTC())
		}
	}
	h.FolderFiles = folderBaselines(ps, policy.FolderShrink, now)
	h.HiddenBefore = hiddenBefore(ps, now)
	return h
}

// hiddenBefore returns, per library, the hidden count of the newest point
// at least HiddenNoticePeriod before now (points sorted by time).
func hiddenBefore(ps []HistoryPoint, now time.Time) map[string]int {
	var out map[string]int
	cut := now.Add(-HiddenNoticePeriod)
	for _, p := range ps {
		if p.At.After(cut) {
			break
		}
		for lib, n := range p.Hidden {
			if out == nil {
				out = map[string]int{}
			}
			out[lib] = n
		}
	}
	return out
}

// PruneHistory drops points older than policy.UploadHistory, keeping for
// every folder the newest point that mentions it, so that the agent's stored
// history stays bounded without losing folder baselines.
func PruneHistory(points []HistoryPoint, policy Policy, now time.Time) []HistoryPoint {
	policy = policy.sane()
	from := now.Add(-policy.UploadHistory)
	newest := map[string]int{}
	for i, p := range points {
		for path := range p.FolderFiles {
			if j, ok := newest[path]; !ok || p.At.After(points[j].At) {
				newest[path] = i
			}
		}
	}
	keep := map[int]bool{}
	for _, i := range newest {
		keep[i] = true
	}
	var out []HistoryPoint
	for i, p := range points {
		if !p.At.Before(from) || keep[i] {
			out = append(out, p)
		}
	}
	return out
}

// folderBaselines computes each folder's baseline count from sorted points.
func folderBaselines(ps []HistoryPoint, limit float64, now time.Time) map[string]int {
	type state struct {
		base    int
		pending time.Time // first point of an unaccepted sharp drop
	}
	states := map[string]*state{}
	for _, p := range ps {
		if p.At.After(now) {
			continue
		}
		for path, c := range p.FolderFiles {
			s, ok := states[path]
			switch {
			case !ok:
				states[path] = &state{base: c}
			case !dropped(s.base, c, limit):
				s.base, s.pending = c, time.Time{}
			case s.pending.IsZero():
				s.pending = p.At
			case p.At.Sub(s.pending) >= shrinkAcceptAfter:
				s.base, s.pending = c, time.Time{}
			}
		}
	}
	if len(states) == 0 {
		return nil
	}
	out := make(map[string]int, len(states))
	for path, s := range states {
		out[path] = s.base
	}
	return out
}

// dropped reports whether going from base to cur files is a sharp drop.
func dropped(base, cur int, limit float64) bool {
	return (base > 0 && cur == 0) || shrunk(base, cur, limit)
}
