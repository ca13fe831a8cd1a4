package icloudapi

import (
	"context"
	"errors"
	"slices"
	"time"
)

// libraries re-reads the selected libraries that changed (or were never
// read) and carries the others over from the previous snapshot.
func (b *build) libraries(ctx context.Context) error {
	var stale []Zone
	kept := map[string]Library{}
	for _, z := range b.selected {
		if old := b.reusable(z); old != nil {
			kept[z.Name] = *old
			continue
		}
		stale = append(stale, z)
	}
	read, err := b.readLibraries(ctx, stale)
	if err != nil {
		return err
	}
	for _, z := range b.selected {
		lib, ok := kept[z.Name]
		if ok {
			lib.Zone = z
		} else {
			lib = read[z.Name]
		}
		lib.ZoneChanged = b.changed[z.Name] || b.baseline[z.Database]
		b.s.Libraries = append(b.s.Libraries, lib)
	}
	return nil
}

// libraryMaxAge bounds how long a library is carried over on the word of
// changes/database alone. Once a day it is read again, so a token that a
// server answers "no change" to by mistake (a zone Apple reset, a restored
// data dir), or a drifted snapshot, is not reported as current for longer
// than a day. It costs one changed cycle (about 5 requests) a day.
const libraryMaxAge = 24 * time.Hour

// reusable returns the previous state of z when nothing says it changed
// and it was read within libraryMaxAge.
func (b *build) reusable(z Zone) *Library {
	if b.prev == nil || b.prev.NewestN != b.opts.Newest || b.changed[z.Name] || b.baseline[z.Database] {
		return nil
	}
	old := b.prev.Library(z.Name)
	switch {
	case old != nil && old.Error != "":
		if age := b.now.Sub(old.ReadAt); age >= 0 && age < failedLibraryRetry {
			return old // refused recently: report it unreadable without asking again yet
		}
		return nil
	case old == nil || !old.Indexing.Finished():
		return nil // still indexing: ask again (costs requests only while iCloud indexes)
	case b.now.Sub(old.fullReadAt()) >= libraryMaxAge || old.ReadAt.After(b.now.Add(time.Hour)):
		return nil // read in full long ago (or in the future by a clock jump): read again
	}
	return old
}

// fullReadAt is when Newest was last read in full.
func (l *Library) fullReadAt() time.Time {
	if l.FullReadAt.IsZero() {
		return l.ReadAt
	}
	return l.FullReadAt
}

// readLibraries reads counts (one batch per database), then indexing state,
// newest assets and, for the personal library, Recently Deleted.
func (b *build) readLibraries(ctx context.Context, stale []Zone) (map[string]Library, error) {
	b.carryDeleted(stale)
	if len(stale) == 0 {
		return nil, nil
	}
	b.s.Changed = true
	counts, failed := map[string]Counts{}, map[string]error{}
	for _, db := range databases(stale) {
		zones := zonesIn(stale, db)
		c, bad, err := b.r.counts(ctx, db, zones)
		if err != nil && zoneFailure(ctx, err) && !slices.ContainsFunc(zones, Zone.Personal) {
			// e.g. the shared database, which holds only Shared Libraries
			bad = map[string]error{}
			for _, z := range zones {
				bad[z.Name] = err
			}
			c, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			counts[k] = v
		}
		for k, v := range bad {
			failed[k] = v
		}
	}
	out := make(map[string]Library, len(stale))
	for _, z := range stale {
		lib, err := Library{}, failed[z.Name]
		if err == nil {
			lib, err = b.readLibrary(ctx, z, counts[z.Name])
		}
		if err != nil {
			// The personal library, and anything that concerns the whole
			// account, fails the snapshot; a Shared Library that CloudKit
			// refuses to answer is reported as unreadable beside the others.
			if z.Personal() || !zoneFailure(ctx, err) {
				return nil, err
			}
			out[z.Name] = b.failedLibrary(z, err)
			continue
		}
		out[z.Name] = lib
		if z.Personal() && lib.delta {
			// a delta cycle: only additions, Recently Deleted is as before
			b.s.RecentlyDeleted = b.prev.RecentlyDeleted
			b.s.RecentlyDeletedCount = b.prev.RecentlyDeletedCount
			b.s.RecentlyDeletedPartial = b.prev.RecentlyDeletedPartial
			continue
		}
		if z.Personal() && lib.Indexing.Finished() {
			if err := b.readDeleted(ctx, z, counts[z.Name].Deleted); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func zonesIn(zones []Zone, db string) []Zone {
	var out []Zone
	for _, z := range zones {
		if z.Database == db {
			out = append(out, z)
		}
	}
	return out
}

// failedLibraryRetry is how long a library that CloudKit refused to answer
// is carried over (reported unreadable) before it is asked again, unless
// changes/database reports a change in it: an index Apple lacks on a zone
// does not appear within minutes, and each try costs requests.
const failedLibraryRetry = 6 * time.Hour

// failedLibrary records a library that could not be read, with why.
func (b *build) failedLibrary(z Zone, err error) Library {
	lib := Library{Zone: z, Counts: Counts{Visible: -1, Added: -1, Hidden: -1, Deleted: -1}, ReadAt: b.now, Error: err.Error()}
	var e *Error
	if errors.As(err, &e) {
		lib.ErrorCode = e.Code
		if e.Message != "" {
			lib.Error = e.Message
		}
	}
	lib.Skipped = "iCloud could not list this library: " + lib.Error
	return lib
}

// readLibrary checks indexing (once, until FINISHED) and reads the newest.
func (b *build) readLibrary(ctx context.Context, z Zone, c Counts) (Library, error) {
	lib := Library{Zone: z, Counts: c, ReadAt: b.now}
	if old := b.prev.Library(z.Name); old != nil && old.Indexing.Finished() {
		lib.Indexing = old.Indexing
	} else {
		st, err := b.r.indexing(ctx, z)
		if err != nil {
			return lib, err
		}
		lib.Indexing = st
	}
	if !lib.Indexing.Finished() {
		lib.Skipped = "iCloud is still indexing this library (" + lib.Indexing.State + ")"
		return lib, nil
	}
	lib.FullReadAt = b.now
	var res newestResult
	var err error
	if old, k := b.deltaBase(z, c); old != nil {
		var delta bool
		res, delta, err = b.r.newestDelta(ctx, z, b.opts.Newest, old, k)
		if delta {
			lib.FullReadAt, lib.delta = old.fullReadAt(), true
		}
	} else {
		hint := 0
		if old := b.prev.Library(z.Name); old != nil {
			hint = old.Filtered
		}
		res, err = b.r.newest(ctx, z, b.opts.Newest, hint)
	}
	if err != nil {
		return lib, err
	}
	lib.Newest, lib.Unpaired, lib.Filtered = res.assets, res.unpaired, res.filtered
	lib.Complete, lib.SyncToken, lib.NewestLead = res.exhausted, res.token, res.lead
	return lib, nil
}

// readDeleted reads Recently Deleted of the personal library. A count of
// 0 costs no request; an unknown count (-1) reads the first window.
func (b *build) readDeleted(ctx context.Context, z Zone, count int64) error {
	b.s.RecentlyDeleted, b.s.RecentlyDeletedCount, b.s.RecentlyDeletedPartial = nil, count, false
	if count == 0 {
		return nil
	}
	pages := max(b.opts.DeletedPages, 1)
	assets, err := b.r.recentlyDeleted(ctx, z, count, pages)
	if err != nil {
		return err
	}
	b.s.RecentlyDeleted = assets
	if count < 0 {
		b.s.RecentlyDeletedCount = int64(len(assets))
		b.s.RecentlyDeletedPartial = len(assets) >= pageAssets
	} else {
		b.s.RecentlyDeletedPartial = int64(len(assets)) < count
	}
	return nil
}

// carryDeleted keeps the previous Recently Deleted when the personal
// library is not re-read.
func (b *build) carryDeleted(stale []Zone) {
	if b.prev == nil || slices.ContainsFunc(stale, Zone.Personal) {
		return
	}
	b.s.RecentlyDeleted = b.prev.RecentlyDeleted
	b.s.RecentlyDeletedCount = b.prev.RecentlyDeletedCount
	b.s.RecentlyDeletedPartial = b.prev.RecentlyDeletedPartial
}

// storage is read every cycle (a full iCloud is what stops devices from
// syncing new photos, so an unchanged library is no reason to skip it),
// except in the cycle that re-lists the shared zones, which carries the
// previous numbers over. Failures that concern the whole session stop the
// snapshot; others are reported beside it.
func (b *build) storage(ctx context.Context) error {
	if b.reuseStorage {
		b.s.Storage, b.s.StorageReadAt = b.prev.Storage, b.prev.StorageReadAt
		return nil
	}
	st, err := b.r.storage(ctx)
	switch {
	case err == nil:
		b.s.Storage, b.s.StorageReadAt = st, b.now
		return nil
	case ctx.Err() != nil, errors.Is(err, ErrSessionExpired), errors.Is(err, ErrThrottled), errors.Is(err, ErrWebAccessDisabled):
		return err
	}
	b.s.StorageError = err.Error()
	return nil
}
