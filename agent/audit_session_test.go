package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/photo"
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
	cmp := auditComparison{ctx: ctx, opts: &AuditOptions{}, lib: "personal", folders: []auditFolder{folder}}
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
