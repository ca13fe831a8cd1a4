package agent

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/store"
)

// memoWorld is a filled mirror of one library and a folder that holds all
// but one of its photos, compared the way a cycle does (scan, then
// compareAudit), as many times as a test likes; streams counts the reads
// of the mirror.
type memoWorld struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	m      store.MirrorLibrary
	root   string
	day    time.Time
	now    time.Time
	grace  time.Duration
	kv     localindex.KV
	folder *Folder
	extra  []*Folder // more folders, after folder
	// beforeCompare, when set, runs between the scans and the comparison
	beforeCompare func()
	ic            *ICloud
	opts          *AuditOptions
	streams       int
}

// memoDirTime is the mtime given to the folder's directories: long before
// the scans, so that no directory is listed again for being racy.
var memoDirTime = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

func newMemoWorld(t *testing.T) *memoWorld {
	ctx := context.Background()
	tmp := t.TempDir()
	db, err := store.Open(filepath.Join(tmp, "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	day := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	w := &memoWorld{t: t, ctx: ctx, db: db, root: filepath.Join(tmp, "photos"), day: day,
		now: day.Add(72 * time.Hour), grace: time.Hour, kv: localindex.NewMemKV(), opts: &AuditOptions{}}
	old := mirrorStream
	t.Cleanup(func() { mirrorStream = old })
	mirrorStream = func(d *store.DB, ctx context.Context, m store.MirrorLibrary, fn func(store.MirrorEntry) error) error {
		if d == db {
			w.streams++
		}
		return old(d, ctx, m, fn)
	}
	if w.m, err = db.OpenMirror(ctx, "alice", "personal"); err != nil {
		t.Fatal(err)
	}
	if err := db.StartMirrorFill(ctx, &w.m); err != nil {
		t.Fatal(err)
	}
	page := store.MirrorPage{Token: "t1", Done: true}
	for i := range 6 {
		name := w.asset(&page, i, day, 0)
		if i == 3 { // missing
			continue
		}
		w.writeLocal(name, i)
	}
	w.apply(page)
	w.reopen()
	return w
}

// asset adds asset i to page and returns its file name.
func (w *memoWorld) asset(page *store.MirrorPage, i int, added time.Time, flags int) string {
	name := fmt.Sprintf("IMG_%04d.HEIC", i)
	mid := "M" + name
	page.Masters = append(page.Masters, store.MirrorMaster{ID: mid, Name: name, Size: int64(1000 + i)})
	page.Assets = append(page.Assets, store.MirrorAsset{ID: "A" + name, MasterID: mid, Added: added,
		Taken: w.day.Add(time.Duration(i) * time.Hour), Flags: flags})
	return name
}

// writeLocal writes the local copy of asset i (its size is what matches).
func (w *memoWorld) writeLocal(name string, i int) {
	w.t.Helper()
	dir := filepath.Join(w.root, w.day.Format("2006/01/02"))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 1000+i), 0o600); err != nil {
		w.t.Fatal(err)
	}
	memoDirTime = memoDirTime.Add(time.Minute) // a change the next scan sees
	for d := dir; len(d) >= len(w.root); d = filepath.Dir(d) {
		if err := os.Chtimes(d, memoDirTime, memoDirTime); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *memoWorld) apply(page store.MirrorPage) {
	w.t.Helper()
	if err := w.db.ApplyMirrorPage(w.ctx, &w.m, page, w.day); err != nil {
		w.t.Fatal(err)
	}
}

// reopen starts afresh as a new process would (a one-shot verify): a new
// folder on the same saved index, a new ICloud on the same store.
func (w *memoWorld) reopen() {
	w.folder = &Folder{Name: "photos", Path: w.root, Importer: "icloudpd", KV: w.kv, Tolerance: 2 * time.Second}
	w.ic = &ICloud{Account: "alice", DB: w.db, Audit: w.opts, Now: func() time.Time { return w.now }}
}

// compare scans the folder and compares the library; it returns the
// result and whether the mirror was read.
func (w *memoWorld) compare() (checks.AuditLibrary, bool) {
	w.t.Helper()
	folders := []FolderSource{w.folder}
	for _, f := range append([]*Folder{w.folder}, w.extra...) {
		if fo, _ := f.ObserveFolder(w.ctx, nil); fo.Health.Files == 0 {
			w.t.Fatalf("scan of %s: %+v", f.Name, fo.Health)
		}
		if f != w.folder {
			folders = append(folders, f)
		}
	}
	if w.beforeCompare != nil {
		w.beforeCompare()
	}
	w.ic.mirrors = map[string]store.MirrorLibrary{"personal": w.m}
	obs := checks.Observation{Audit: &checks.AuditObservation{Libraries: []checks.AuditLibrary{{Name: "personal", Filled: true}}}}
	before := w.streams
	w.ic.compareAudit(w.ctx, &obs, folders, w.grace)
	l := obs.Audit.Libraries[0]
	if l.Error != "" {
		w.t.Fatalf("comparison: %s", l.Error)
	}
	if !l.LastComplete.Equal(w.now) {
		w.t.Fatalf("last complete %v, want now (%v)", l.LastComplete, w.now)
	}
	return l, w.streams != before
}

func missingIDs(l checks.AuditLibrary) []string {
	var ids []string
	for _, m := range l.Missing {
		ids = append(ids, m.ID)
	}
	return ids
}

// settled compares until a comparison keeps its memo (the first scans may
// still write rows) and returns the last result.
func (w *memoWorld) settled() checks.AuditLibrary {
	w.t.Helper()
	w.compare()
	for range 3 {
		if l, read := w.compare(); !read {
			return l
		}
	}
	w.t.Fatal("every comparison read the mirror again: no memo kept")
	return checks.AuditLibrary{}
}

// TestAuditMemoUnchangedLibraryIsNotComparedAgain: with nothing changed, a
// second comparison, in this process or the next, gives the same result
// without reading the mirror.
func TestAuditMemoUnchangedLibraryIsNotComparedAgain(t *testing.T) {
	w := newMemoWorld(t)
	first, read := w.compare()
	if !read || first.Compared != 6 || !reflect.DeepEqual(missingIDs(first), []string{"AIMG_0003.HEIC"}) {
		t.Fatalf("first comparison: read %v, compared %d, missing %v", read, first.Compared, missingIDs(first))
	}
	w.now = w.now.Add(time.Hour)
	second, read := w.compare()
	if read {
		t.Fatal("the second comparison read the mirror again, nothing changed")
	}
	second.LastComplete = first.LastComplete
	if !reflect.DeepEqual(second, first) {
		t.Fatalf("kept result differs:\n%+v\nwant\n%+v", second, first)
	}
	w.reopen() // a one-shot verify
	third, read := w.compare()
	third.LastComplete = first.LastComplete
	if read || !reflect.DeepEqual(third, first) {
		t.Fatalf("next process: read %v, result %+v, want %+v from the memo", read, third, first)
	}
}

// TestAuditMemoNewFileComparesAgain: a new file in the folder (a scan
// writes rows: a new nonce) makes the comparison run again, and the photo
// now found leaves the missing list.
func TestAuditMemoNewFileComparesAgain(t *testing.T) {
	w := newMemoWorld(t)
	if l := w.settled(); len(l.Missing) != 1 {
		t.Fatalf("missing %v", missingIDs(l))
	}
	w.writeLocal("IMG_0003.HEIC", 3)
	l, read := w.compare()
	if !read || len(l.Missing) != 0 || l.Compared != 6 {
		t.Fatalf("after the photo came: read %v, missing %v, compared %d", read, missingIDs(l), l.Compared)
	}
}

// TestAuditMemoMirrorPageComparesAgain: a page applied to the mirror (its
// rev goes up) makes the comparison run again.
func TestAuditMemoMirrorPageComparesAgain(t *testing.T) {
	w := newMemoWorld(t)
	w.settled()
	// the same sync token: only the rev tells the page apart
	page := store.MirrorPage{Token: "t1", Done: true}
	w.asset(&page, 7, w.day, 0) // not in the folder
	w.apply(page)
	l, read := w.compare()
	if !read || l.Compared != 7 || !reflect.DeepEqual(missingIDs(l), []string{"AIMG_0003.HEIC", "AIMG_0007.HEIC"}) {
		t.Fatalf("after a page: read %v, compared %d, missing %v", read, l.Compared, missingIDs(l))
	}
}

// TestAuditMemoGraceEnds: an asset kept out by the grace period is counted
// once it leaves the grace window; until then the memo stands.
func TestAuditMemoGraceEnds(t *testing.T) {
	w := newMemoWorld(t)
	page := store.MirrorPage{Token: "t2", Done: true}
	w.asset(&page, 8, w.now.Add(-w.grace/2), 0) // added half a grace period ago, not in the folder
	w.apply(page)
	l := w.settled()
	if l.Compared != 6 || l.Excluded != 1 || len(l.Missing) != 1 {
		t.Fatalf("inside the grace period: compared %d, excluded %d, missing %v", l.Compared, l.Excluded, missingIDs(l))
	}
	w.now = w.now.Add(w.grace / 4) // still inside
	if _, read := w.compare(); read {
		t.Fatal("compared again while the asset was still inside the grace period")
	}
	w.now = w.now.Add(w.grace / 4) // exactly grace after it was added: out
	l, read := w.compare()
	if !read || l.Compared != 7 || l.Excluded != 0 || !reflect.DeepEqual(missingIDs(l), []string{"AIMG_0003.HEIC", "AIMG_0008.HEIC"}) {
		t.Fatalf("after the grace period: read %v, compared %d, excluded %d, missing %v", read, l.Compared, l.Excluded, missingIDs(l))
	}
	if _, read := w.compare(); read {
		t.Fatal("nothing left in the grace period, nothing changed: compared again")
	}
	w.now = w.now.Add(-time.Minute) // the clock went back
	if _, read := w.compare(); !read {
		t.Fatal("the clock went back: the memo was used")
	}
}

// TestAuditMemoOptionsChangeComparesAgain: include_hidden switched on
// makes the comparison run again, and the hidden photo is looked for.
func TestAuditMemoOptionsChangeComparesAgain(t *testing.T) {
	w := newMemoWorld(t)
	page := store.MirrorPage{Token: "t2", Done: true}
	w.asset(&page, 9, w.day, store.MirrorHidden) // not in the folder
	w.apply(page)
	if l := w.settled(); l.Excluded != 1 || len(l.Missing) != 1 {
		t.Fatalf("hidden left out: excluded %d, missing %v", l.Excluded, missingIDs(l))
	}
	w.opts.IncludeHidden = true
	l, read := w.compare()
	if !read || l.Excluded != 0 || !reflect.DeepEqual(missingIDs(l), []string{"AIMG_0003.HEIC", "AIMG_0009.HEIC"}) {
		t.Fatalf("include_hidden: read %v, excluded %d, missing %v", read, l.Excluded, missingIDs(l))
	}
	w.grace = 2 * time.Hour
	if _, read := w.compare(); !read {
		t.Fatal("another grace period: the memo was used")
	}
}

// TestAuditMemoCorruptRowIgnored: a memo row that cannot be decoded is
// ignored: the library is compared again, with the result it has without
// a memo.
func TestAuditMemoCorruptRowIgnored(t *testing.T) {
	w := newMemoWorld(t)
	want := w.settled()
	v, ok, err := w.db.Get(w.ctx, auditMemoNS, auditMemoRow(w.m))
	if err != nil || !ok {
		t.Fatalf("no memo row: %v", err)
	}
	head := len(auditMemoMagic) + 32
	for name, bad := range map[string][]byte{
		"garbage":           []byte("not a memo"),
		"truncated":         v[:head+3],
		"implausible":       append(bytes.Clone(v[:head]), deflated(t, `{"At":"2024-05-04T10:00:00Z","Compared":0,"Missing":[{"ID":"x"}]}`)...),
		"not json":          append(bytes.Clone(v[:head]), deflated(t, `{"At":`)...),
		"json then garbage": append(bytes.Clone(v[:head]), deflated(t, `{"At":"2024-05-04T10:00:00Z","Compared":6} x`)...),
	} {
		if err := w.db.Put(w.ctx, auditMemoNS, auditMemoRow(w.m), bad); err != nil {
			t.Fatal(err)
		}
		l, read := w.compare()
		l.LastComplete = want.LastComplete
		if !read || !reflect.DeepEqual(l, want) {
			t.Fatalf("%s: read %v, result %+v, want %+v compared again", name, read, l, want)
		}
	}
}

// TestAuditMemoNoCache: verify --no-cache (every scan a full one, which
// writes every directory row: new nonces) compares again, with the same
// result.
func TestAuditMemoNoCache(t *testing.T) {
	w := newMemoWorld(t)
	want := w.settled()
	w.reopen()
	w.folder.FullScan = true
	l, read := w.compare()
	l.LastComplete = want.LastComplete
	if !read || !reflect.DeepEqual(l, want) {
		t.Fatalf("--no-cache: read %v, %+v, want %+v compared again", read, l, want)
	}
}

// TestAuditMemoNotKeptAfterAHeaderRead: a comparison that read a file
// header whose answer was not written back to the index (here a file gone
// since the scan) depends on the file, not only on the saved rows: it
// keeps no memo.
func TestAuditMemoNotKeptAfterAHeaderRead(t *testing.T) {
	w := newMemoWorld(t)
	w.settled()
	kept, _, _ := w.db.Get(w.ctx, auditMemoNS, auditMemoRow(w.m))
	// a file of the missing photo's size under another name: the matcher
	// reads its header to compare capture times
	w.writeLocal("DSC_0003.HEIC", 3)
	if fo, _ := w.folder.ObserveFolder(w.ctx, nil); fo.Health.Files != 6 {
		t.Fatalf("scan: %+v", fo.Health)
	}
	if err := os.Remove(filepath.Join(w.root, w.day.Format("2006/01/02"), "DSC_0003.HEIC")); err != nil {
		t.Fatal(err)
	}
	reads := w.folder.index.Stats().MetaReads
	w.ic.mirrors = map[string]store.MirrorLibrary{"personal": w.m}
	obs := checks.Observation{Audit: &checks.AuditObservation{Libraries: []checks.AuditLibrary{{Name: "personal", Filled: true}}}}
	before := w.streams
	w.ic.compareAudit(w.ctx, &obs, []FolderSource{w.folder}, w.grace)
	if l := obs.Audit.Libraries[0]; w.streams == before || l.Error != "" || len(l.Missing) != 1 {
		t.Fatalf("after a scan that wrote rows: read %v, %+v", w.streams != before, l)
	}
	if w.folder.index.Stats().MetaReads == reads {
		t.Fatal("the comparison read no header: the test does not test what it says")
	}
	if now, _, _ := w.db.Get(w.ctx, auditMemoNS, auditMemoRow(w.m)); !bytes.Equal(now, kept) {
		t.Fatal("a comparison that read a header kept its result")
	}
}

// failingKV fails every stream of rows while fail is set.
type failingKV struct {
	*localindex.MemKV
	fail bool
}

func (k *failingKV) EachRow(ctx context.Context, ns, prefix string, fn func(string, []byte) error) error {
	if k.fail {
		return errors.New("injected read failure")
	}
	return k.MemKV.EachRow(ctx, ns, prefix, fn)
}

// TestAuditMemoNotKeptWhenAFolderFailed: a folder whose index could not be
// read for a batch leaves its photos to the other folders (here: missing
// from them); that result is not what the saved rows give, so it is not
// kept, and the next comparison finds the photos again.
func TestAuditMemoNotKeptWhenAFolderFailed(t *testing.T) {
	w := newMemoWorld(t)
	fk := &failingKV{MemKV: localindex.NewMemKV()}
	w.kv = fk
	w.reopen()
	other := filepath.Join(filepath.Dir(w.root), "other")
	if err := os.MkdirAll(other, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "notes.jpg"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(other, memoDirTime, memoDirTime); err != nil {
		t.Fatal(err)
	}
	w.extra = []*Folder{{Name: "other", Path: other, Importer: "icloudpd", KV: localindex.NewMemKV(), Tolerance: 2 * time.Second}}
	if l := w.settled(); !reflect.DeepEqual(missingIDs(l), []string{"AIMG_0003.HEIC"}) {
		t.Fatalf("two folders: missing %v", missingIDs(l))
	}
	page := store.MirrorPage{Token: "t2", Done: true}
	w.asset(&page, 7, w.day, 0) // not in the folder
	w.apply(page)
	w.beforeCompare = func() { fk.fail = true }
	if l, read := w.compare(); !read || len(l.Missing) != 7 {
		t.Fatalf("with the first folder failing: read %v, missing %v; want all 7 (the other folder holds none)", read, missingIDs(l))
	}
	w.beforeCompare = func() { fk.fail = false }
	l, read := w.compare()
	if !read || !reflect.DeepEqual(missingIDs(l), []string{"AIMG_0003.HEIC", "AIMG_0007.HEIC"}) {
		t.Fatalf("folder readable again: read %v, missing %v; want a new comparison and 2 missing", read, missingIDs(l))
	}
}

func deflated(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
