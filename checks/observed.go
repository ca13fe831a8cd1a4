package checks

import (
	"slices"
	"time"
)

// observed collects the facts for metrics and the status page.
func (e *evaluator) observed() Observed {
	k := e.obs.Auth.Kind
	o := Observed{
		Up:             k == AuthOK,
		Auth:           k,
		ReauthRequired: k.NeedsLogin(),
		SessionExpiry:  utc(e.obs.SessionExpiry),
	}
	if off := e.obs.ClockOffset; off != nil {
		secs := off.Seconds()
		o.ClockOffsetSeconds = &secs
	}
	for _, l := range e.obs.Libraries {
		lf := libraryFacts(l)
		o.Libraries = append(o.Libraries, lf)
		o.ICloudNewestAdded = later(o.ICloudNewestAdded, lf.NewestAdded)
		o.ICloudNewestTaken = later(o.ICloudNewestTaken, lf.NewestTaken)
	}
	o.Folders = e.folderFacts()
	for _, f := range o.Folders {
		o.LocalNewest = later(o.LocalNewest, f.LocalNewest)
	}
	e.storageFacts(&o)
	e.deletedFacts(&o)
	o.Audit = auditFacts(e.obs.Audit)
	return o
}

// libraryFacts are the facts of one library.
func libraryFacts(l LibraryObservation) LibraryFacts {
	lf := LibraryFacts{Name: l.Name, Monitored: l.Monitored, Assets: l.AssetCount, Hidden: l.HiddenCount, Indexing: l.Indexing, Error: l.ReadError}
	for _, a := range l.Newest {
		lf.NewestAdded = later(lf.NewestAdded, a.Added)
		lf.NewestTaken = later(lf.NewestTaken, a.Taken)
	}
	return lf
}

// folderFacts are the facts of every folder; missing counts and lag only
// where the folder was really compared.
func (e *evaluator) folderFacts() []FolderFacts {
	libs := e.expectations()
	var verdicts []copyVerdict
	if slices.ContainsFunc(libs, func(l libraryExpectation) bool { return l.listed }) {
		verdicts = e.copyVerdicts(libs)
	}
	var out []FolderFacts
	for i, f := range e.obs.Folders {
		ff := FolderFacts{Name: f.Name, Path: f.Path}
		if f.Health.Scanned && f.Health.Exists && f.Health.Readable {
			n := f.Health.Files
			ff.Files = &n
			ff.LocalNewest = utc(f.Health.Newest)
		}
		if i < len(verdicts) && verdicts[i].judged {
			v := verdicts[i]
			n := len(v.missing)
			ff.Missing = &n
			if v.lagKnown {
				s := v.lag.Seconds()
				ff.LagSeconds = &s
			}
		}
		out = append(out, ff)
	}
	return out
}

// storageFacts fills the storage fields when usage was read.
func (e *evaluator) storageFacts(o *Observed) {
	s := e.obs.Storage
	if s == nil || s.Total <= 0 || s.Used < 0 {
		return
	}
	used, total, free := s.Used, s.Total, freeRatio(*s)
	o.StorageUsedBytes, o.StorageTotalBytes, o.StorageFreeRatio = &used, &total, &free
}

// deletedFacts fills the Recently Deleted fields when it was read.
func (e *evaluator) deletedFacts(o *Observed) {
	if e.obs.RecentlyDeleted == nil {
		return
	}
	f := summarizeDeleted(*e.obs.RecentlyDeleted)
	total, unprotected := f.total, len(f.unprotected)
	o.RecentlyDeleted, o.RecentlyDeletedUnprotected = &total, &unprotected
	o.RecentlyDeletedNextPurge = utc(f.nextPurge)
}

// later returns the later of two instants, in UTC.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b.UTC()
	}
	return utc(a)
}

// utc converts t to UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
