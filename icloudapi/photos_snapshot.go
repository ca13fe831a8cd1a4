package icloudapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// snapshotVersion is bumped when a stored PhotosSnapshot can no longer be
// reused as Previous.
const snapshotVersion = 1

// SnapshotOptions drive one PhotosSnapshot.
type SnapshotOptions struct {
	// Newest is how many newest-added assets to read per library (default 50).
	Newest int
	// Libraries selects libraries: "personal", "shared", "all" or zone
	// names (default personal).
	Libraries []string
	// DeletedPages is how many windows of Recently Deleted to read when it
	// holds more than 100 items (default 1: the window nearest to purge).
	DeletedPages int
	// Previous is the last successful snapshot of this account (nil on the
	// first cycle). Its zones, sync tokens and unchanged libraries are reused;
	// this is what keeps an unchanged cycle at two requests. A sync token
	// that CloudKit refuses is deleted from Previous.DBTokens (even when the
	// snapshot then fails), so a caller that keeps Previous never resends it.
	Previous *PhotosSnapshot
	// ZonesMaxAge is how long a zone list is reused (default 24 h).
	ZonesMaxAge time.Duration
	// Now is the clock (default: the Client's clock).
	Now func() time.Time
}

// Library is the state of one selected photo library.
type Library struct {
	Zone      Zone          `json:"zone"`
	Indexing  IndexingState `json:"indexing"`
	Newest    []photo.Asset `json:"newest"`           // newest added first; hidden and deleted left out
	Counts    Counts        `json:"counts"`           // -1 where iCloud gave no count
	Unpaired  int           `json:"unpaired"`         // asset records whose master never came (not invented)
	Filtered  int           `json:"filtered"`         // hidden or deleted entries skipped while reading Newest
	Complete  bool          `json:"complete"`         // the index ended before Newest was full
	SyncToken string        `json:"sync_token"`       // zone token returned with the listing
	ReadAt    time.Time     `json:"read_at"`          // when this library was last read from iCloud
	Skipped   string        `json:"skipped,omitzero"` // why Newest was not read (indexing, an error)
	// Error says why CloudKit could not answer for this library (a Shared
	// Library whose index refuses the query, a zone that is gone); the
	// other libraries of the snapshot are still read. ErrorCode is
	// CloudKit's serverErrorCode when there was one.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	// FullReadAt is when Newest was last read in full rather than by a
	// delta window (photos_delta.go); zero in snapshots of older versions,
	// where every read was a full one (see fullReadAt).
	FullReadAt time.Time `json:"full_read_at,omitzero"`
	// NewestLead is how many hidden or deleted entries lie above Newest[0]
	// in the added-date list; a delta window reads past them.
	NewestLead int `json:"newest_lead,omitempty"`
	// ZoneChanged is set when this snapshot's changes/database listed the
	// zone as changed, or had no token to ask with (a first cycle): the
	// audit mirror then asks changes/zone. Not stored.
	ZoneChanged bool `json:"-"`
	delta       bool // this cycle read Newest by a delta window
}

// PhotosSnapshot is what one cycle learned about an account's photos. It is
// JSON-serialisable so the agent can store it and pass it back as
// SnapshotOptions.Previous next time.
type PhotosSnapshot struct {
	Version       int       `json:"version"`
	TakenAt       time.Time `json:"taken_at"`
	Zones         []Zone    `json:"zones"` // every photo library found (for coverage checks)
	ZonesListedAt time.Time `json:"zones_listed_at"`
	Selection     []string  `json:"selection"`
	NewestN       int       `json:"newest_n"`
	Libraries     []Library `json:"libraries"`
	// RecentlyDeleted is the read window of the personal library's Recently
	// Deleted, soonest purge first; RecentlyDeletedCount is the total.
	RecentlyDeleted        []photo.Asset     `json:"recently_deleted"`
	RecentlyDeletedCount   int64             `json:"recently_deleted_count"`
	RecentlyDeletedPartial bool              `json:"recently_deleted_partial"`
	Storage                *StorageUsage     `json:"storage,omitempty"`
	StorageReadAt          time.Time         `json:"storage_read_at,omitzero"` // when Storage was read from iCloud
	StorageError           string            `json:"storage_error,omitempty"`
	DBTokens               map[string]string `json:"db_tokens"` // database → changes/database sync token
	// Owner identifies the account the snapshot was read from (a hash of
	// Apple's dsid, not the dsid itself). A Previous of another owner is
	// never reused.
	Owner    string `json:"owner,omitempty"`
	Changed  bool   `json:"changed"`  // a library was (re)read from iCloud
	Requests int    `json:"requests"` // POSTs this snapshot cost
}

// Library returns the selected library with the given zone name.
func (s *PhotosSnapshot) Library(zone string) *Library {
	if s == nil {
		return nil
	}
	for i := range s.Libraries {
		if s.Libraries[i].Zone.Name == zone {
			return &s.Libraries[i]
		}
	}
	return nil
}

// PhotosSnapshot reads the Photos state of the signed-in account: zones
// (cached), changes/database with the stored sync token, CheckIndexingState
// until FINISHED, the newest N assets by date added per selected library,
// counts, Recently Deleted with purge times and the storage usage. With a
// Previous snapshot an unchanged account costs 2 requests and a changed one
// at most 6 (personal library plus an owned Shared Library, Newest ≤ 100),
// whatever the library size. A Shared Library the account only takes part
// in lives in the shared database, whose own changes/database adds one
// request per cycle (and its count batch one per changed cycle). All
// requests are reads.
func (c *Client) PhotosSnapshot(ctx context.Context, opts SnapshotOptions) (*PhotosSnapshot, error) {
	if opts.Now == nil {
		opts.Now = c.now
	}
	owner := c.snapshotOwner()
	if p := opts.Previous; p != nil {
		switch age := opts.Now().Sub(p.TakenAt); {
		case owner == "" || p.Owner != owner:
			c.log.Info("the stored Photos snapshot is of another account (or from an older icloudmon); reading the libraries afresh")
			opts.Previous = nil
		case age > previousMaxAge || age < -time.Hour:
			c.log.Info("the stored Photos snapshot is too old to trust; reading the libraries afresh", "taken_at", p.TakenAt)
			opts.Previous = nil
		}
	}
	s, err := takeSnapshot(ctx, c, opts)
	if s != nil {
		s.Owner = owner
	}
	return s, err
}

// previousMaxAge bounds how old a Previous snapshot may be and still be
// reused: older state (a restored backup, a data dir that sat unused) is
// read afresh rather than trusted.
const previousMaxAge = 7 * 24 * time.Hour

// snapshotOwner names the signed-in account for PhotosSnapshot.Owner.
func (c *Client) snapshotOwner() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess.DSID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("icloudmon-snapshot-owner\x00" + c.sess.DSID))
	return hex.EncodeToString(sum[:12])
}

func takeSnapshot(ctx context.Context, c ckPoster, opts SnapshotOptions) (*PhotosSnapshot, error) {
	r, err := newPhotosReader(c)
	if err != nil {
		return nil, err
	}
	b := newBuild(r, opts)
	if err := b.run(ctx); err != nil {
		return nil, err
	}
	b.s.Requests = r.requests
	return b.s, nil
}

// build is the state of one snapshot being taken.
type build struct {
	r        *photosReader
	opts     SnapshotOptions
	now      time.Time
	prev     *PhotosSnapshot
	s        *PhotosSnapshot
	selected []Zone
	changed  map[string]bool
	baseline map[string]bool // databases read without a token
	// reuseStorage: this cycle re-lists zones and carries storage over.
	reuseStorage bool
}

func newBuild(r *photosReader, opts SnapshotOptions) *build {
	if opts.Newest <= 0 {
		opts.Newest = 50
	}
	if len(opts.Libraries) == 0 {
		opts.Libraries = []string{"personal"}
	}
	if opts.ZonesMaxAge <= 0 {
		opts.ZonesMaxAge = 24 * time.Hour
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	prev := opts.Previous
	if prev != nil && prev.Version != snapshotVersion {
		prev = nil
	}
	s := &PhotosSnapshot{Version: snapshotVersion, TakenAt: now().UTC(), Selection: slices.Clone(opts.Libraries),
		NewestN: opts.Newest, DBTokens: map[string]string{}}
	return &build{r: r, opts: opts, now: s.TakenAt, prev: prev, s: s, changed: map[string]bool{}, baseline: map[string]bool{}}
}

func (b *build) run(ctx context.Context) error {
	if err := b.zones(ctx); err != nil {
		return err
	}
	b.selected = selectZones(b.s.Zones, b.opts.Libraries)
	if b.wantsPersonal() && !slices.ContainsFunc(b.selected, Zone.Personal) {
		err := newError(ErrNotActivated, "ck_zones", 0, "iCloud has no personal photo library (PrimarySync) for this account")
		err.Remediation = notActivatedHelp
		return err
	}
	if err := b.changes(ctx); err != nil {
		return err
	}
	if err := b.libraries(ctx); err != nil {
		return err
	}
	return b.storage(ctx)
}

func (b *build) wantsPersonal() bool {
	return slices.Contains(b.opts.Libraries, "personal") || slices.Contains(b.opts.Libraries, "all")
}

// zones reuses the previous zone list. The private database reports new
// and deleted zones through changes/database; zones shared with the account
// appear only in the shared database's list, which is read again when the
// list is older than ZonesMaxAge. That cycle reuses the previous storage
// numbers instead of reading them, so it stays within the request budget.
func (b *build) zones(ctx context.Context) error {
	p := b.prev
	if p == nil || len(p.Zones) == 0 {
		return b.listAll(ctx, dbPrivate, dbShared)
	}
	if b.now.Sub(p.ZonesListedAt) < b.opts.ZonesMaxAge {
		b.s.Zones, b.s.ZonesListedAt = slices.Clone(p.Zones), p.ZonesListedAt
		return nil
	}
	b.s.Zones = slices.DeleteFunc(slices.Clone(p.Zones), func(z Zone) bool { return z.Database == dbShared })
	b.reuseStorage = p.Storage != nil
	return b.listAll(ctx, dbShared)
}

func (b *build) listAll(ctx context.Context, dbs ...string) error {
	for _, db := range dbs {
		zones, err := b.r.listZones(ctx, db)
		if err != nil {
			return err
		}
		b.s.Zones = append(b.s.Zones, zones...)
	}
	b.s.ZonesListedAt = b.now
	return nil
}

// selectZones picks the libraries asked for, personal first.
func selectZones(zones []Zone, libs []string) []Zone {
	var out []Zone
	for _, z := range zones {
		for _, l := range libs {
			if l == "all" || l == z.Name || l == "personal" && z.Personal() || l == "shared" && z.SharedLibrary() {
				out = append(out, z)
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Personal() && !out[j].Personal() })
	return out
}

// changes asks changes/database of each database that holds a selected
// library which zones changed since the stored token.
func (b *build) changes(ctx context.Context) error {
	for _, db := range databases(b.selected) {
		token := ""
		if b.prev != nil {
			token = b.prev.DBTokens[db]
		}
		entries, next, err := b.r.dbChanges(ctx, db, token)
		if token != "" && isBadToken(err) {
			// CloudKit refused the token (400 BAD_REQUEST: it forgot it, or
			// it is corrupt): start a fresh baseline now, and drop the token
			// from Previous too, so that a caller keeping Previous after a
			// failed snapshot never sends it again.
			delete(b.prev.DBTokens, db)
			token = ""
			entries, next, err = b.r.dbChanges(ctx, db, "")
		}
		if err != nil {
			return err
		}
		b.s.DBTokens[db] = next
		b.baseline[db] = token == ""
		b.noteChanged(db, entries)
	}
	return nil
}

func (b *build) noteChanged(db string, entries []ckZoneEntry) {
	for _, e := range entries {
		name := e.ZoneID.ZoneName
		b.changed[name] = true
		if e.Deleted { // e.g. the Shared Library was left or removed
			gone := func(z Zone) bool { return z.Name == name }
			b.s.Zones, b.selected = slices.DeleteFunc(b.s.Zones, gone), slices.DeleteFunc(b.selected, gone)
			continue
		}
		if !photoZone(e) || slices.ContainsFunc(b.s.Zones, func(z Zone) bool { return z.Name == name }) {
			continue
		}
		z := Zone{Name: e.ZoneID.ZoneName, Owner: e.ZoneID.OwnerRecordName, Type: e.ZoneID.ZoneType, Database: db}
		b.s.Zones = append(b.s.Zones, z) // a library created since the zone list was read
		if len(selectZones([]Zone{z}, b.opts.Libraries)) == 1 {
			b.selected = append(b.selected, z)
		}
	}
}

func isBadToken(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "BAD_REQUEST"
}

func databases(zones []Zone) []string {
	var dbs []string
	for _, z := range zones {
		if !slices.Contains(dbs, z.Database) {
			dbs = append(dbs, z.Database)
		}
	}
	sort.Strings(dbs)
	return dbs
}
