package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

// rowCountingKV counts the streams of saved rows of the folder index.
type rowCountingKV struct {
	*localindex.MemKV
	streams int
}

func (c *rowCountingKV) EachRow(ctx context.Context, ns, prefix string, fn func(string, []byte) error) error {
	c.streams++
	return c.MemKV.EachRow(ctx, ns, prefix, fn)
}

// TestAuditReadsTheFolderOncePerLibrary: the comparison goes through a
// library in batches; the folder's saved index is read once for the whole
// library, not once per batch (a 500 000-asset library is 123 batches).
func TestAuditReadsTheFolderOncePerLibrary(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	day := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	names := []string{"IMG_0001.HEIC", "IMG_0002.HEIC", "IMG_0003.HEIC", "IMG_0004.HEIC"}
	for i, n := range names[:3] { // IMG_0004 is missing
		dir := filepath.Join(root, day.Format("2006/01/02"))
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), make([]byte, 100+i), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kv := &rowCountingKV{MemKV: localindex.NewMemKV()}
	folder := &Folder{Name: "photos", Path: root, Importer: "icloudpd", KV: kv, Tolerance: 2 * time.Second}
	if fo, _ := folder.ObserveFolder(ctx, nil); fo.Health.Files != 3 {
		t.Fatalf("scan: %+v", fo.Health)
	}
	cmp := auditComparison{opts: &AuditOptions{}, lib: "personal", folders: []auditFolder{folder}}
	before := kv.streams
	for i, n := range names { // one asset per batch
		a := photo.Asset{ID: n, MasterID: "M" + n, Filename: n, Kind: photo.KindPhoto,
			Size: int64(100 + i), Taken: day, Added: day}
		cmp.batch = append(cmp.batch, a)
		cmp.meta = append(cmp.meta, checks.AuditMissing{ID: n, Filename: n})
		if err := cmp.flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if cmp.compared != 4 || len(cmp.missing) != 1 || cmp.missing[0].ID != "IMG_0004.HEIC" {
		t.Fatalf("compared %d, missing %+v; want 4 compared, IMG_0004.HEIC missing", cmp.compared, cmp.missing)
	}
	if got := kv.streams - before; got != 1 {
		t.Errorf("the folder's rows were read %d times for 4 batches, want once", got)
	}
}

// batchFolder is an auditFolder that holds every asset but those in
// missing, records the size of each batch, and fails from batch failAt on
// (0: never).
type batchFolder struct {
	missing map[string]bool
	sizes   []int
	failAt  int
}

func (f *batchFolder) matchAudit(_ context.Context, _ string, _ **localindex.Session, assets []photo.Asset) ([]localindex.Match, bool) {
	f.sizes = append(f.sizes, len(assets))
	if f.failAt > 0 && len(f.sizes) >= f.failAt {
		return nil, true // an answer of the wrong length: an error of the comparison
	}
	ms := make([]localindex.Match, len(assets))
	for i, a := range assets {
		ms[i] = localindex.Match{AssetID: a.ID, Confidence: photo.ConfidenceCertain}
		if f.missing[a.ID] {
			ms[i].Confidence = photo.ConfidenceNone
		}
	}
	return ms, true
}

// TestAuditRunStreamsInBatches: the mirror, read in a goroutine of its
// own, reaches the matcher in full batches in the order of the stream;
// excluded and skipped assets are counted as in a single loop, and an
// error of the matcher stops the stream and comes back.
func TestAuditRunStreamsInBatches(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.OpenMirror(ctx, "alice", "PrimarySync")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.StartMirrorFill(ctx, &m); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	const n = 2*auditBatch + 1000
	page := store.MirrorPage{Token: "t", Done: true}
	missing := map[string]bool{}
	compared, excluded := 0, 0
	for i := 0; i < n; i++ {
		mid := fmt.Sprintf("M%06d", i)
		page.Masters = append(page.Masters, store.MirrorMaster{ID: mid, Name: fmt.Sprintf("IMG_%06d.HEIC", i), Size: 100})
		a := store.MirrorAsset{ID: fmt.Sprintf("A%06d", i), MasterID: mid, Added: t0, Taken: t0}
		switch {
		case i%100 == 1:
			a.Flags = store.MirrorHidden // excluded
			excluded++
		case i%100 == 2:
			a.Flags = store.MirrorDeleted // not part of the library
		case i%1000 == 3:
			missing[a.ID] = true
			compared++
		default:
			compared++
		}
		page.Assets = append(page.Assets, a)
	}
	if err := db.ApplyMirrorPage(ctx, &m, page, t0); err != nil {
		t.Fatal(err)
	}
	f := &batchFolder{missing: missing}
	cmp := auditComparison{opts: &AuditOptions{}, now: t0.Add(48 * time.Hour), lib: "personal", folders: []auditFolder{f}}
	if err := cmp.run(ctx, db, m); err != nil {
		t.Fatal(err)
	}
	if cmp.compared != compared || cmp.excluded != excluded || len(cmp.missing) != len(missing) || len(missing) != 10 {
		t.Errorf("compared %d, excluded %d, missing %d; want %d, %d, %d", cmp.compared, cmp.excluded, len(cmp.missing),
			compared, excluded, len(missing))
	}
	if want := []int{auditBatch, auditBatch, compared - 2*auditBatch}; !slices.Equal(f.sizes, want) {
		t.Errorf("batches %v, want %v", f.sizes, want)
	}
	failing := &batchFolder{failAt: 2}
	cmp = auditComparison{opts: &AuditOptions{}, now: t0.Add(48 * time.Hour), lib: "personal", folders: []auditFolder{failing}}
	if err := cmp.run(ctx, db, m); err == nil || !strings.Contains(err.Error(), "the matcher answered 0 of 4096 assets") {
		t.Errorf("a failing matcher: %v", err)
	}
	if len(failing.sizes) != 2 {
		t.Errorf("the matcher was asked %d times after it failed at the 2nd batch, want 2", len(failing.sizes))
	}
}

// TestAuditReadsTheFolderOncePerCycle: a folder that holds two libraries
// is read once for the comparison of both (a session serves every
// library), and each library still finds its own missing photo.
func TestAuditReadsTheFolderOncePerCycle(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	db, err := store.Open(filepath.Join(tmp, "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	root := filepath.Join(tmp, "photos")
	day := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	mirrors := map[string]store.MirrorLibrary{}
	for li, lib := range []string{"personal", "shared"} {
		m, err := db.OpenMirror(ctx, "alice", lib)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.StartMirrorFill(ctx, &m); err != nil {
			t.Fatal(err)
		}
		page := store.MirrorPage{Token: "t", Done: true}
		for i := 0; i < 5; i++ {
			name := fmt.Sprintf("IMG_%d%03d.HEIC", li, i)
			mid := "M" + name
			page.Masters = append(page.Masters, store.MirrorMaster{ID: mid, Name: name, Size: int64(1000 + 10*li + i)})
			page.Assets = append(page.Assets, store.MirrorAsset{ID: "A" + name, MasterID: mid, Added: day, Taken: day.Add(time.Duration(li*5+i) * time.Hour)})
			if i == 3 { // missing
				continue
			}
			dir := filepath.Join(root, day.Format("2006/01/02"))
			if err := os.MkdirAll(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 1000+10*li+i), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.ApplyMirrorPage(ctx, &m, page, day); err != nil {
			t.Fatal(err)
		}
		mirrors[lib] = m
	}
	kv := &rowCountingKV{MemKV: localindex.NewMemKV()}
	folder := &Folder{Name: "photos", Path: root, Importer: "icloudpd", KV: kv, Tolerance: 2 * time.Second}
	if fo, _ := folder.ObserveFolder(ctx, nil); fo.Health.Files != 8 {
		t.Fatalf("scan: %+v", fo.Health)
	}
	ic := &ICloud{Account: "alice", DB: db, Audit: &AuditOptions{}, mirrors: mirrors,
		Now: func() time.Time { return day.Add(72 * time.Hour) }}
	obs := checks.Observation{Audit: &checks.AuditObservation{Libraries: []checks.AuditLibrary{
		{Name: "personal", Filled: true}, {Name: "shared", Filled: true}}}}
	before := kv.streams
	ic.compareAudit(ctx, &obs, []FolderSource{folder}, time.Hour)
	for li, l := range obs.Audit.Libraries {
		want := fmt.Sprintf("AIMG_%d003.HEIC", li)
		if l.Error != "" || l.Compared != 5 || len(l.Missing) != 1 || l.Missing[0].ID != want {
			t.Errorf("%s: compared %d, missing %+v, error %q; want 5 compared, %s missing", l.Name, l.Compared, l.Missing, l.Error, want)
		}
	}
	if got := kv.streams - before; got != 1 {
		t.Errorf("the folder's rows were read %d times for two libraries, want once", got)
	}
}
