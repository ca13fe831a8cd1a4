package fakeicloud

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"
)

// OldPhotoFilename is the generated photo taken in 2009 but added to
// iCloud yesterday (a scan or an old camera import). It is the fifth newest
// asset by date added, so a newest-50 read by date added must include it,
// while a walk by date taken would miss it.
const OldPhotoFilename = "DSC_0427.JPG"

// GenOptions shape a generated library.
type GenOptions struct {
	Seed   uint64
	Assets int // personal library size (hidden and deleted included)
	// Shared is the Shared Library size (default Assets/10, at least 3).
	Shared int
	// Deleted is how many personal assets sit in Recently Deleted (default
	// Assets/100 clamped to 3..150).
	Deleted int
	// Now anchors the timeline (default time.Now).
	Now time.Time
}

// Generate builds a library from a seed: a realistic mix of HEIC, JPEG,
// PNG screenshots, MOV and MP4 videos, Live Photos, RAW and RAW+JPEG,
// edits, bursts, hidden items, bursts of uploads and quiet weeks, an old
// photo added yesterday, Recently Deleted and a Shared Library.
func Generate(opts GenOptions) *Library {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Shared <= 0 {
		opts.Shared = max(opts.Assets/10, 3)
	}
	if opts.Deleted <= 0 {
		opts.Deleted = min(max(opts.Assets/100, 3), 150)
	}
	now := opts.Now
	l := NewLibrary(func() time.Time { return now })
	rnd := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)) //nolint:gosec // reproducible test data from a seed, not a secret
	g := &gen{rnd: rnd, now: opts.Now, counter: 4000}
	primary, shared := l.zone(PrimaryZone), l.zone(SharedZone)
	added := opts.Now.Add(-30 * time.Minute)
	for i := 0; i < opts.Assets; i++ {
		added = g.nextAdded(i, added)
		a := g.asset(i, added, PrimaryZone)
		if i == 4 {
			g.oldPhoto(a)
		}
		l.insertGenerated(primary, a)
	}
	g.deleteSome(l, primary, opts.Deleted)
	g.fillShared(l, primary, shared, opts.Shared)
	l.seq++
	for _, z := range l.zones {
		z.seq = l.seq
	}
	return l
}

// insertGenerated appends in newest-first order (the generator walks back
// in time), keeping insertion O(1).
func (l *Library) insertGenerated(z *zone, a *Asset) {
	z.byAdded = append(z.byAdded, a)
	l.byID[a.ID] = a
}

type gen struct {
	rnd     *rand.Rand
	now     time.Time
	counter int
	burst   int // remaining assets of the current upload burst
	seq     uint64
}

// nextAdded walks back in time: uploads come in bursts (an import, a day
// out), separated by hours or days, with the odd quiet week or three.
func (g *gen) nextAdded(i int, prev time.Time) time.Time {
	fixed := []time.Duration{0, 90 * time.Minute, 4 * time.Hour, 8 * time.Hour, 10 * time.Hour}
	if i < len(fixed) {
		return prev.Add(-fixed[i])
	}
	if g.burst > 0 {
		g.burst--
		return prev.Add(-time.Duration(2+g.rnd.IntN(90)) * time.Second)
	}
	switch r := g.rnd.Float64(); {
	case r < 0.04:
		g.burst = 20 + g.rnd.IntN(180)
		return prev.Add(-time.Duration(1+g.rnd.IntN(48)) * time.Hour)
	case r < 0.06:
		return prev.Add(-time.Duration(7+g.rnd.IntN(15)) * 24 * time.Hour) // quiet weeks
	case r < 0.50:
		return prev.Add(-time.Duration(1+g.rnd.IntN(30)) * time.Minute)
	default:
		return prev.Add(-time.Duration(1+g.rnd.IntN(20)) * time.Hour)
	}
}

func (g *gen) id() (string, string) {
	g.seq++
	return fakeUUID(g.seq), fakeFingerprint(g.seq)
}

// asset draws one asset added at added.
func (g *gen) asset(i int, added time.Time, zoneName string) *Asset {
	a := &Asset{Zone: zoneName, Added: added, TZOffset: 3600}
	a.ID, a.MasterID = g.id()
	a.Taken = added.Add(-time.Duration(g.rnd.IntN(3600)) * time.Second)
	if g.rnd.IntN(20) == 0 {
		a.TZOffset = -25200 // a trip
	}
	g.kind(a)
	g.extras(a)
	return a
}

func (g *gen) kind(a *Asset) {
	g.counter = g.counter%9999 + 1
	base := fmt.Sprintf("IMG_%04d", g.counter)
	switch r := g.rnd.IntN(100); {
	case r < 45:
		g.photo(a, base+".HEIC", "public.heic", 2_500_000)
		if g.rnd.IntN(2) == 0 {
			a.LiveVideoSize, a.Subtype = int64(1_500_000+g.rnd.IntN(2_000_000)), 2
		}
	case r < 63:
		g.photo(a, base+".JPG", "public.jpeg", 3_000_000)
		if g.rnd.IntN(3) == 0 {
			a.LiveVideoSize, a.Subtype = int64(1_000_000+g.rnd.IntN(2_000_000)), 2
		}
	case r < 70:
		g.photo(a, base+".PNG", "public.png", 400_000)
		a.Subtype, a.AdjustmentType = 3, "ScreenshotServices"
		a.EditUTI, a.EditSize = "public.jpeg", a.Size/2
	case r < 81:
		g.video(a, base+".MOV", "com.apple.quicktime-movie")
	case r < 84:
		g.video(a, fakeUUID(g.seq+1<<40)+".MP4", "public.mpeg-4")
	case r < 86:
		g.photo(a, base+".DNG", "com.adobe.raw-image", 25_000_000)
	case r < 87:
		g.photo(a, base+".CR2", "com.canon.cr2-raw-image", 22_000_000)
		a.AltUTI, a.AltSize = "public.jpeg", int64(3_000_000+g.rnd.IntN(2_000_000))
	default:
		g.photo(a, fakeUUID(g.seq+1<<41)+".jpeg", "public.jpeg", 200_000) // saved from an app
	}
}

func (g *gen) photo(a *Asset, name, uti string, size int) {
	a.Filename, a.UTI = name, uti
	a.Size = int64(size/2 + g.rnd.IntN(size))
	a.Width, a.Height = 4032, 3024
}

func (g *gen) video(a *Asset, name, uti string) {
	a.Filename, a.UTI = name, uti
	a.Size = int64(5_000_000 + g.rnd.IntN(200_000_000))
	a.Width, a.Height = 1920, 1080
}

// extras: edits, favourites, hidden, bursts and the odd file name form.
func (g *gen) extras(a *Asset) {
	if !a.video() && a.EditUTI == "" && g.rnd.IntN(12) == 0 {
		a.AdjustmentType, a.EditUTI = "com.apple.photo", a.UTI
		if a.UTI != "public.heic" {
			a.EditUTI = "public.jpeg"
		}
		a.EditSize = a.Size * 9 / 10
	}
	if a.video() && g.rnd.IntN(15) == 0 {
		a.AdjustmentType, a.EditUTI, a.EditSize = "com.apple.video", "com.apple.quicktime-movie", a.Size/2
	}
	a.Favorite = g.rnd.IntN(20) == 0
	a.Hidden = g.rnd.IntN(100) == 0
	if g.burst > 0 && !a.video() && g.rnd.IntN(10) == 0 {
		a.BurstID = fakeUUID(uint64(g.burst) << 32)
	}
	switch g.rnd.IntN(200) {
	case 0:
		a.FilenameForm = "string"
	case 1:
		a.FilenameForm = "missing"
	}
}

// oldPhoto turns a into a photo taken in 2009 and added yesterday.
func (g *gen) oldPhoto(a *Asset) {
	*a = Asset{ID: a.ID, MasterID: a.MasterID, Zone: a.Zone, Added: a.Added, Filename: OldPhotoFilename,
		UTI: "public.jpeg", Size: 2_847_114, Width: 3008, Height: 2000, TZOffset: 7200,
		Taken: time.Date(2009, 6, 14, 10, 27, 3, 0, time.UTC)}
}

// deleteSome moves n personal assets (not among the newest 60) to
// Recently Deleted, deleted over the last 30 days; one has no purge date.
func (g *gen) deleteSome(l *Library, z *zone, n int) {
	if len(z.byAdded) <= 60 {
		return
	}
	for i := 0; i < n; i++ {
		a := z.byAdded[60+g.rnd.IntN(len(z.byAdded)-60)]
		if a.Deleted {
			continue
		}
		a.Deleted = true
		if i != n/2 {
			a.Expunge = g.now.Add(-time.Duration(g.rnd.IntN(30*24*60)) * time.Minute).Add(30 * 24 * time.Hour)
		}
		insertDeleted(z, a)
	}
}

// fillShared: the Shared Library holds copies of some personal photos
// (same master id) and contributions of another member.
func (g *gen) fillShared(l *Library, primary, shared *zone, n int) {
	added := g.now.Add(-3 * time.Hour)
	copied := map[string]bool{} // a master is in the Shared Library once
	for i := 0; i < n; i++ {
		added = added.Add(-time.Duration(1+g.rnd.IntN(48)) * time.Hour)
		a := g.asset(i+5, added, SharedZone)
		if len(primary.byAdded) > 0 && g.rnd.IntN(2) == 0 {
			src := primary.byAdded[g.rnd.IntN(len(primary.byAdded))]
			if copied[src.MasterID] {
				l.insertGenerated(shared, a) // drawn twice: a contribution instead
				continue
			}
			copied[src.MasterID] = true
			*a = *src
			a.Zone, a.Added, a.Hidden, a.Deleted, a.Expunge = SharedZone, added, false, false, time.Time{}
			a.ID, _ = g.id() // a new CPLAsset pointing at the same master
		}
		l.insertGenerated(shared, a)
	}
}

// fakeUUID formats a deterministic upper-case UUID.
func fakeUUID(n uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], n*0x9e3779b97f4a7c15)
	binary.BigEndian.PutUint64(b[8:], n^0xd1b54a32d192ed03)
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fakeFingerprint looks like a master recordName: 28 base64 characters
// starting with "A".
func fakeFingerprint(n uint64) string {
	var b [21]byte
	b[0] = 0x01
	binary.BigEndian.PutUint64(b[1:9], n*0xbf58476d1ce4e5b9)
	binary.BigEndian.PutUint64(b[9:17], n^0x94d049bb133111eb)
	var tail [8]byte
	binary.BigEndian.PutUint64(tail[:], n)
	copy(b[17:], tail[4:])
	return base64.StdEncoding.EncodeToString(b[:])
}
