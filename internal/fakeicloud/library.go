package fakeicloud

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Zone names of the fake account.
const (
	PrimaryZone = "PrimarySync"
	// SharedZone is the fake iCloud Shared Photo Library.
	SharedZone = "SharedSync-6E1C0494-1BF4-4928-BD07-3FD81633193E"
	// ShareLinkZone is an iCloud share link ("Cloud Master Moment") zone in
	// the shared database; clients must skip it.
	ShareLinkZone = "CMM-7A4E0C5B-2F0B-4C88-9C0A-1B6E7B7F3D21"
	ownerRecord   = "_0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	otherOwner    = "_a1b2c3d4e5f60718293a4b5c6d7e8f90"
)

// Asset is one library entry of the fake: a CPLAsset with its CPLMaster.
type Asset struct {
	ID       string // CPLAsset recordName
	MasterID string // CPLMaster recordName
	Zone     string
	Filename string
	// FilenameForm is how filenameEnc is served: "" (base64
	// ENCRYPTED_BYTES), "string" (plain STRING) or "missing".
	FilenameForm   string
	UTI            string
	Size           int64
	Width, Height  int
	Added, Taken   time.Time
	TZOffset       int    // seconds east of UTC
	LiveVideoSize  int64  // > 0: Live Photo with a MOV of this size
	AltUTI         string // RAW+JPEG: the second original
	AltSize        int64
	EditUTI        string // rendered edit, "" when not edited
	EditSize       int64
	AdjustmentType string
	Subtype        int // assetSubtypeV2: 2 Live, 3 screenshot
	BurstID        string
	Hidden         bool
	Favorite       bool
	Deleted        bool
	Expunge        time.Time // dateExpunged; zero with Deleted = served as null
	changeTag      int64
	// assetSeq and masterSeq are the library sequence numbers at which the
	// CPLAsset and the CPLMaster record last changed (0: generated, part of
	// the zone's first state); changes/zone serves records by them.
	assetSeq, masterSeq uint64
}

// video reports a video original.
func (a *Asset) video() bool {
	return a.UTI == "com.apple.quicktime-movie" || a.UTI == "public.mpeg-4"
}

// zone is one record zone with its two indexes.
type zone struct {
	name, owner, db string
	byAdded         []*Asset // rank 0 = newest added; hidden and deleted included
	deleted         []*Asset // rank 0 = most recently deleted (latest dateExpunged)
	seq             uint64   // library sequence number of the last change
	indexing        string
	gone            bool // removed: reported as deleted by changes/database
	// tombs are the records purged from the zone, served by changes/zone
	// as {recordName, recordType: null, deleted: true}.
	tombs []tomb
}

// Library is a fake iCloud Photos account: zones, indexes, sync tokens and
// storage numbers. It is safe for concurrent use; tests and the demo mutate
// it while a client reads it through PhotosHandler.
type Library struct {
	mu      sync.RWMutex
	zones   []*zone
	byID    map[string]*Asset
	seq     uint64
	salt    [8]byte
	total   int64
	other   int64 // storage used by backups, mail, docs
	fixedSt *[2]int64
	// stPhotos memoises the sum of asset sizes storage() walks, for the
	// library as it was at stKey (seq and asset count): at 500 000 assets
	// the walk costs the fake about 10 ms of CPU per request, taken from
	// the cores of the client a benchmark measures.
	stMu     sync.Mutex
	stKey    [2]uint64
	stPhotos int64
	split    bool
	now      func() time.Time
	// sharedIndexErrors: queries on zones other than PrimarySync answer
	// 400 BAD_REQUEST "Index has invalid data" (SetSharedIndexErrors).
	sharedIndexErrors bool
	// sharedExtraFields: records of zones other than PrimarySync carry
	// fields that desiredKeys did not ask for (SetSharedExtraFields).
	sharedExtraFields bool

	// zoneChangesEmpty and zoneChangesInfo: SetZoneChangesEmptyPages,
	// SetZoneChangesLibraryInfo.
	zoneChangesEmpty int
	zoneChangesInfo  bool

	cacheMu sync.Mutex // guards taken and changes; held under mu.RLock by queries
	taken   map[string]*takenCache
	changes map[string]*changesCache
}

// NewLibrary returns an empty library with a personal zone and an owned
// Shared Library, plus a share-link zone in the shared database.
func NewLibrary(now func() time.Time) *Library {
	if now == nil {
		now = time.Now
	}
	l := &Library{byID: map[string]*Asset{}, now: now, seq: 1, total: 200 << 30, other: 23 << 30}
	copy(l.salt[:], "icldmon1")
	l.zones = []*zone{
		{name: PrimaryZone, owner: ownerRecord, db: "private", indexing: "FINISHED"},
		{name: SharedZone, owner: ownerRecord, db: "private", indexing: "FINISHED"},
		{name: ShareLinkZone, owner: otherOwner, db: "shared", indexing: "FINISHED"},
	}
	return l
}

// SetSharedParticipant moves the Shared Library to the shared database, as
// seen by a participant rather than its owner.
func (l *Library) SetSharedParticipant(participant bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	z := l.zone(SharedZone)
	if z == nil {
		return
	}
	z.db, z.owner = "private", ownerRecord
	if participant {
		z.db, z.owner = "shared", otherOwner
	}
	l.touch(z)
}

// SetSharedIndexErrors makes every records/query on a zone other than
// PrimarySync, except CheckIndexingState, answer 400 BAD_REQUEST "Index has
// invalid data", as rclone (PR #9234), kei (issue #704) and icloudpy (issue
// #179) users see on Shared Library and shared-album zones. Off by default.
func (l *Library) SetSharedIndexErrors(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sharedIndexErrors = on
}

// SetSharedExtraFields makes the records of zones other than PrimarySync
// carry fields that the query's desiredKeys did not list, as the SharedSync
// records recorded in icloudpd's tests/vcr_cassettes/listing_photos.yml do
// (contributors, importDate, mediaMetaDataEnc and others: about 2 kB more per
// CPLMaster, 0.8 kB per CPLAsset). Off by default: PrimarySync answers
// never carry unlisted fields in the recordings.
func (l *Library) SetSharedExtraFields(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sharedExtraFields = on
}

// ForgetSyncTokens makes the library refuse every sync token it issued so
// far: changes/database answers them 400 BAD_REQUEST "Unknown sync
// continuation type", as CloudKit does for a token it cannot use (kei,
// docs/synctoken-reference.md). Tokens issued afterwards are accepted.
func (l *Library) ForgetSyncTokens() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.salt[7]++
}

// RemoveSharedLibrary removes the Shared Library zone, as when its owner
// deletes it or the participant leaves it.
func (l *Library) RemoveSharedLibrary() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if z := l.zone(SharedZone); z != nil {
		z.gone, z.byAdded, z.deleted = true, nil, nil
		l.touch(z)
	}
}

// SetSplitPages makes list pages hold one record fewer than asked for, so
// the last master of a page has its asset on the next page.
func (l *Library) SetSplitPages(split bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.split = split
}

// SetIndexing sets the CheckIndexingState answer of a zone.
func (l *Library) SetIndexing(zoneName, state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if z := l.zone(zoneName); z != nil {
		z.indexing = state
	}
}

// SetStorage pins the storage numbers (bytes); by default they follow the
// library's size.
func (l *Library) SetStorage(used, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fixedSt = &[2]int64{used, total}
}

// Storage returns the used and total bytes the fake reports as the
// account's iCloud storage.
func (l *Library) Storage() (used, total int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, used, total = l.storage()
	return used, total
}

func (l *Library) zone(name string) *zone {
	for _, z := range l.zones {
		if z.name == name && !z.gone {
			return z
		}
	}
	return nil
}

// touch records a mutation of z: new zone and database sync tokens.
func (l *Library) touch(z *zone) {
	l.seq++
	z.seq = l.seq
}

// Add puts an asset into its zone (PrimarySync when Zone is empty). Missing
// ids are generated. It returns the stored copy.
func (l *Library) Add(a Asset) Asset {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.Zone == "" {
		a.Zone = PrimaryZone
	}
	z := l.zone(a.Zone)
	if z == nil {
		panic(fmt.Sprintf("fakeicloud: unknown zone %q", a.Zone))
	}
	l.seq++
	if a.ID == "" {
		a.ID = fakeUUID(1<<50 + l.seq)
	}
	if a.MasterID == "" {
		a.MasterID = fakeFingerprint(1<<50 + l.seq)
	}
	p := &a
	l.insert(z, p)
	l.touch(z)
	p.assetSeq, p.masterSeq = z.seq, z.seq
	return *p
}

// insert places a into the zone's indexes (lock held).
func (l *Library) insert(z *zone, a *Asset) {
	i := sort.Search(len(z.byAdded), func(i int) bool { return z.byAdded[i].Added.Before(a.Added) })
	z.byAdded = append(z.byAdded, nil)
	copy(z.byAdded[i+1:], z.byAdded[i:])
	z.byAdded[i] = a
	if a.Deleted {
		insertDeleted(z, a)
	}
	l.byID[a.ID] = a
}

func insertDeleted(z *zone, a *Asset) {
	i := sort.Search(len(z.deleted), func(i int) bool { return expungeBefore(z.deleted[i], a) })
	z.deleted = append(z.deleted, nil)
	copy(z.deleted[i+1:], z.deleted[i:])
	z.deleted[i] = a
}

// expungeBefore: x sorts after a in the deleted index (rank 0 = latest
// dateExpunged; unknown dates last).
func expungeBefore(x, a *Asset) bool {
	if x.Expunge.IsZero() {
		return true
	}
	return !a.Expunge.IsZero() && x.Expunge.Before(a.Expunge)
}

// Delete moves an asset to Recently Deleted at time at (purge = at + 30 d).
func (l *Library) Delete(id string, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, z, err := l.find(id)
	if err != nil || a.Deleted {
		return err
	}
	a.Deleted, a.Expunge = true, at.Add(30*24*time.Hour)
	a.changeTag++
	insertDeleted(z, a)
	l.touch(z)
	a.assetSeq, a.masterSeq = z.seq, z.seq // both records carry isDeleted
	return nil
}

// Hide sets or clears the hidden flag.
func (l *Library) Hide(id string, hidden bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, z, err := l.find(id)
	if err != nil {
		return err
	}
	a.Hidden = hidden
	a.changeTag++
	l.touch(z)
	a.assetSeq = z.seq // isHidden is a CPLAsset field: the master is unchanged
	return nil
}

// Purge removes an asset for good (what Recently Deleted does after 30 d).
func (l *Library) Purge(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, z, err := l.find(id)
	if err != nil {
		return err
	}
	z.byAdded = removeAsset(z.byAdded, a)
	z.deleted = removeAsset(z.deleted, a)
	delete(l.byID, id)
	l.touch(z)
	z.tombs = append(z.tombs, tomb{name: a.ID, seq: z.seq, tag: a.changeTag + 3})
	if !masterUsed(z, a.MasterID) {
		z.tombs = append(z.tombs, tomb{name: a.MasterID, seq: z.seq, tag: 3})
	}
	return nil
}

func removeAsset(list []*Asset, a *Asset) []*Asset {
	for i, x := range list {
		if x == a {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

func (l *Library) find(id string) (*Asset, *zone, error) {
	a := l.byID[id]
	if a == nil {
		return nil, nil, fmt.Errorf("fakeicloud: no asset %q", id)
	}
	return a, l.zone(a.Zone), nil
}

// Newest returns copies of the n newest-added visible assets of a zone
// (what a correct client must report).
func (l *Library) Newest(zoneName string, n int) []Asset {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Asset
	z := l.zone(zoneName)
	for i := 0; z != nil && i < len(z.byAdded) && len(out) < n; i++ {
		if a := z.byAdded[i]; !a.Hidden && !a.Deleted {
			out = append(out, *a)
		}
	}
	return out
}

// HiddenCount is the number of hidden (not deleted) assets of a zone.
func (l *Library) HiddenCount(zoneName string) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := 0
	if z := l.zone(zoneName); z != nil {
		for _, a := range z.byAdded {
			if a.Hidden && !a.Deleted {
				n++
			}
		}
	}
	return n
}

// RecentlyDeleted returns copies of a zone's Recently Deleted, most
// recently deleted first.
func (l *Library) RecentlyDeleted(zoneName string) []Asset {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Asset
	if z := l.zone(zoneName); z != nil {
		for _, a := range z.deleted {
			out = append(out, *a)
		}
	}
	return out
}

// Len is the number of assets in a zone (hidden and deleted included).
func (l *Library) Len(zoneName string) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if z := l.zone(zoneName); z != nil {
		return len(z.byAdded)
	}
	return 0
}

// Find returns a copy of the first asset with the given file name.
func (l *Library) Find(filename string) (Asset, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, z := range l.zones {
		for _, a := range z.byAdded {
			if a.Filename == filename {
				return *a, true
			}
		}
	}
	return Asset{}, false
}

// token encodes a sequence number the way CloudKit tokens look (base64 of
// an opaque binary blob).
func (l *Library) token(seq uint64) string {
	var b [17]byte
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:9], seq)
	copy(b[9:], l.salt[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// parseToken returns the sequence number of a token of this library.
func (l *Library) parseToken(tok string) (uint64, bool) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(b) != 17 || b[0] != 1 || string(b[9:]) != string(l.salt[:]) {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[1:9]), true
}

// storage returns used and total bytes (lock held for reading).
func (l *Library) storage() (photos, used, total int64) {
	key := [2]uint64{l.seq, uint64(len(l.byID))}
	l.stMu.Lock()
	if l.stKey == key {
		photos = l.stPhotos
	} else {
		for _, z := range l.zones {
			if z.owner != ownerRecord {
				continue
			}
			for _, a := range z.byAdded {
				photos += a.Size + a.LiveVideoSize + a.AltSize + a.EditSize
			}
		}
		l.stKey, l.stPhotos = key, photos
	}
	l.stMu.Unlock()
	if l.fixedSt != nil {
		return min(photos, l.fixedSt[0]), l.fixedSt[0], l.fixedSt[1]
	}
	return photos, photos + l.other, l.total
}
