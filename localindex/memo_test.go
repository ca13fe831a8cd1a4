package localindex

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/photo"
)

// rowCountKV counts the reads of saved file rows ("f/").
type rowCountKV struct {
	*MemKV
	fileReads int
}

func (k *rowCountKV) EachRow(ctx context.Context, ns, prefix string, fn func(key string, val []byte) error) error {
	if strings.HasPrefix(prefix, filePrefix) {
		k.fileReads++
	}
	return k.MemKV.EachRow(ctx, ns, prefix, fn)
}

func (k *rowCountKV) Get(ctx context.Context, ns, key string) ([]byte, bool, error) {
	if strings.HasPrefix(key, filePrefix) {
		k.fileReads++
	}
	return k.MemKV.Get(ctx, ns, key)
}

// memoWorlds runs the same Match calls as new processes (a new Index on the
// same KV each time) with the match memo, and on an index that builds its
// lookups from every file and saves no memo (the code before issue 25).
type memoWorlds struct {
	t    *testing.T
	root string
	kv   *rowCountKV
	ref  *MemKV
}

// step opens both, scans, matches and compares; it returns whether the
// memo answered (no file row read) and whether the call read headers.
func (w *memoWorlds) step(assets []photo.Asset) (ms []Match, hit, reads bool) {
	t := w.t
	t.Helper()
	ref := openIndex(t, w.ref, w.root, Options{})
	ref.allCandidates = true
	scan(t, ref, false)
	want, err := ref.Match(context.Background(), assets, MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t, w.kv, w.root, Options{})
	scan(t, ix, false)
	before := w.kv.fileReads
	got, err := ix.Match(context.Background(), assets, MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("memo world vs whole index (-whole +memo):\n%s", diff)
	}
	return got, w.kv.fileReads == before, ix.Stats().MetaReads > 0
}

// settle repeats a call until it reads no header (the capture times it
// needs are cached); the call after that is answered by the memo.
func (w *memoWorlds) settle(assets []photo.Asset) {
	w.t.Helper()
	for i := 0; ; i++ {
		if _, _, reads := w.step(assets); !reads {
			return
		}
		if i == 5 {
			w.t.Fatal("matching still reads headers after 5 calls")
		}
	}
}

// TestMatchMemoLikeMatching (issue 25): a repeat Match over unchanged rows
// is answered by the saved result without reading the rows, and decides
// exactly as matching again; any change of the rows (a new file with a
// colliding name, capture times read), of the assets or a write by another
// process makes it match again.
func TestMatchMemoLikeMatching(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			root, assets, renamed := randomLibrary(t, seed, 25)
			w := &memoWorlds{t: t, root: root, kv: &rowCountKV{MemKV: NewMemKV()}, ref: NewMemKV()}
			if _, hit, _ := w.step(assets); hit {
				t.Fatal("the first call was answered by a memo")
			}
			w.settle(assets)
			ms, hit, _ := w.step(assets)
			if !hit {
				t.Fatal("a repeat over unchanged rows read the rows")
			}
			if _, hit, _ = w.step(assets); !hit {
				t.Fatal("the second repeat read the rows")
			}

			// A new file named like an asset that has no copy, with its
			// size, in a directory of the folder (IMG_0001 comes back
			// every 10 000 photos): the asset is found now.
			var a photo.Asset
			for i, m := range ms {
				if m.Confidence == photo.ConfidenceNone && assets[i].Filename != "" && !assets[i].Taken.IsZero() {
					a = assets[i]
					break
				}
			}
			if a.ID == "" {
				t.Fatal("the test data has no asset without a copy")
			}
			dir := "flat"
			writeFile(t, root, dir+"/"+a.Filename, make([]byte, a.Size), a.Taken)
			age(t, root, dir)
			ms2, hit, _ := w.step(assets)
			if hit {
				t.Fatal("the memo answered after a directory changed")
			}
			for _, m := range ms2 {
				if m.AssetID == a.ID && m.Confidence == photo.ConfidenceNone {
					t.Fatalf("asset %s (%s) not found after its copy was added: %+v", a.ID, a.Filename, m)
				}
			}
			w.settle(assets)
			if _, hit, _ = w.step(assets); !hit {
				t.Fatal("no memo after the change settled")
			}

			// Other assets (or one field of one asset) are matched again.
			if _, hit, _ = w.step(renamed); hit {
				t.Fatal("the memo answered for other assets")
			}
			w.settle(assets)
			bigger := append([]photo.Asset(nil), assets...)
			bigger[0].Size++
			if _, hit, _ = w.step(bigger); hit {
				t.Fatal("the memo answered for an asset of another size")
			}
		})
	}
}

// TestMatchMemoNotAfterAnotherWriter: an index whose rows were rewritten by
// another process since it loaded them reads the rows, memo or not.
func TestMatchMemoNotAfterAnotherWriter(t *testing.T) {
	root, assets, _ := randomLibrary(t, 7, 25)
	w := &memoWorlds{t: t, root: root, kv: &rowCountKV{MemKV: NewMemKV()}, ref: NewMemKV()}
	w.settle(assets)
	stale := openIndex(t, w.kv, root, Options{})
	scan(t, stale, false)
	other := openIndex(t, w.kv, root, Options{})
	writeFile(t, root, "flat/IMG_9999.JPG", []byte("new"), past)
	age(t, root, "flat")
	if res := scan(t, other, false); res.FilesAdded != 1 {
		t.Fatalf("scan %+v", res)
	}
	before := w.kv.fileReads
	if _, err := stale.Match(context.Background(), assets, MatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if w.kv.fileReads == before {
		t.Error("an index loaded before another process's write used the memo")
	}
}

// TestStateRowGetsNonce: a state row saved before the memo existed (no
// nonce) gets one when the index is opened, the same state otherwise.
func TestStateRowGetsNonce(t *testing.T) {
	root, _ := bigTree(t, 3, 5)
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	ns := rowNamespace(ix.root)
	meta, _, _ := kv.Get(context.Background(), ns, metaKey)
	old := meta[:len(meta)-nonceLen-1]
	if metaNonce(old) != nil {
		t.Fatal("a state row without a nonce has one")
	}
	if err := kv.Put(context.Background(), ns, metaKey, old); err != nil {
		t.Fatal(err)
	}
	ix = openIndex(t, kv, root, Options{})
	meta, _, _ = kv.Get(context.Background(), ns, metaKey)
	if metaNonce(meta) == nil || ix.view == nil || string(metaNonce(meta)) != string(ix.view) {
		t.Fatalf("state row %x, view %x: want a nonce, the same", meta, ix.view)
	}
	if string(meta[:len(old)]) != string(old) {
		t.Errorf("state changed: %x → %x", old, meta)
	}
	if res := scan(t, ix, false); res.DirsListed != 0 || res.Files != 15 {
		t.Errorf("scan after the nonce %+v", res)
	}
}

// TestReopenedIndexDeletesGoneDirectories: an index loaded from the rows
// (whose set of saved directories is filled only when a save needs it)
// deletes the rows of a directory that is gone, and only those.
func TestReopenedIndexDeletesGoneDirectories(t *testing.T) {
	root, rels := bigTree(t, 2500, 1) // more than one block of summaries
	kv := NewMemKV()
	scan(t, openIndex(t, kv, root, Options{}), false)
	ix := openIndex(t, kv, root, Options{})
	if len(ix.dirs) < 2500 {
		t.Fatalf("loaded %d directories", len(ix.dirs))
	}
	gone := rels[2400]
	if err := os.RemoveAll(filepath.Join(root, filepath.FromSlash(gone))); err != nil {
		t.Fatal(err)
	}
	age(t, root, path.Dir(gone))
	if res := scan(t, ix, false); res.FilesRemoved != 1 {
		t.Fatalf("scan %+v", res)
	}
	ns := rowNamespace(ix.root)
	for _, rel := range []string{gone, rels[0], rels[2499]} {
		_, head := savedSummaries(t, kv, ns)[rel]
		_, files, _ := kv.Get(context.Background(), ns, filePrefix+rel)
		if want := rel != gone; head != want || files != want {
			t.Errorf("%s: rows %v/%v, want %v", rel, head, files, want)
		}
	}
	again := openIndex(t, kv, root, Options{})
	if res := scan(t, again, false); res.DirsListed != 0 || res.Files != 2499 {
		t.Errorf("scan of the reopened index %+v", res)
	}
}

// TestStateNonceFollowsTheSavedRows: the nonce StateNonce reports is the
// same for the same saved rows, in this process and the next, and changes
// when a scan writes rows; an index whose rows another process rewrote
// reports none.
func TestStateNonceFollowsTheSavedRows(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	writeFile(t, root, "2024/a.jpg", []byte("aaaa"), time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	old := time.Now().Add(-time.Hour) // directories listed long after their change (not racy)
	for _, d := range []string{root, filepath.Join(root, "2024")} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	n1, _, ok, err := ix.StateNonce(ctx)
	if err != nil || !ok || len(n1) != nonceLen {
		t.Fatalf("after the first scan: %x %v %v", n1, ok, err)
	}
	scan(t, ix, false) // nothing changed: no rows written
	if n, _, ok, _ := ix.StateNonce(ctx); !ok || !bytes.Equal(n, n1) {
		t.Fatalf("unchanged folder: nonce %x (ok %v), want %x", n, ok, n1)
	}
	other := openIndex(t, kv, root, Options{}) // the next process
	if n, _, ok, _ := other.StateNonce(ctx); !ok || !bytes.Equal(n, n1) {
		t.Fatalf("reopened: nonce %x (ok %v), want %x", n, ok, n1)
	}
	writeFile(t, root, "2024/b.jpg", []byte("bbbb"), time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC))
	scan(t, other, false)
	n2, _, ok, _ := other.StateNonce(ctx)
	if !ok || bytes.Equal(n2, n1) {
		t.Fatalf("after a new file: nonce %x (ok %v), want a new one (was %x)", n2, ok, n1)
	}
	if n, _, ok, _ := ix.StateNonce(ctx); ok {
		t.Fatalf("rows rewritten by another index: nonce %x reported, want none", n)
	}
}

// The memo's digest covers every field of photo.Asset and MatchOptions and
// the importer's renaming: changing any one of them (a field added to
// photo.Asset later too, by its kind) changes the digest, so that a memo
// never answers for other input. Equal input gives the equal digest.
func TestMemoDigestCoversEveryField(t *testing.T) {
	off := 3600
	base := photo.Asset{ID: "A", MasterID: "M", Library: "PrimarySync", Filename: "IMG_1.HEIC",
		FilenameSource: photo.FilenameSource("name"), Size: 10, UTI: "public.heic", Kind: photo.Kind("photo"),
		LiveVideo: &photo.Resource{UTI: "mov", Size: 1}, Alternative: &photo.Resource{UTI: "raw", Size: 2},
		Edited: &photo.Resource{UTI: "jpg", Size: 3}, AdjustmentType: "adj", Width: 4, Height: 5,
		Added: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Taken: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		TZOffset: &off, Purge: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)}
	ix := &Index{}
	mo := MatchOptions{Tolerance: 2 * time.Second, MaxHeaderReads: 100}
	nonce := []byte("nonce")
	digest := func(a photo.Asset, mo MatchOptions) [32]byte {
		return ix.memoDigest([]photo.Asset{{ID: "other"}, a}, mo, nonce)
	}
	want := digest(base, mo)
	clone := base
	if digest(clone, mo) != want {
		t.Fatal("the same input gives another digest")
	}
	seen := map[[32]byte]string{want: "base"}
	check := func(what string, got [32]byte) {
		t.Helper()
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: same digest as %s", what, prev)
		}
		seen[got] = what
	}
	at := reflect.TypeOf(base)
	for i := range at.NumField() {
		f := at.Field(i)
		for j, mutate := range mutations(t, f) {
			a := base
			v := reflect.ValueOf(&a).Elem().Field(i)
			mutate(v)
			check(fmt.Sprintf("photo.Asset.%s change %d", f.Name, j), digest(a, mo))
		}
	}
	mt := reflect.TypeOf(mo)
	for i := range mt.NumField() {
		f := mt.Field(i)
		for j, mutate := range mutations(t, f) {
			m := mo
			mutate(reflect.ValueOf(&m).Elem().Field(i))
			check(fmt.Sprintf("MatchOptions.%s change %d", f.Name, j), digest(base, m))
		}
	}
	ix.opts.RenamesFiles = true
	check("RenamesFiles", digest(base, mo))
	ix.opts.RenamesFiles = false
	a := base
	a.Added = a.Added.In(time.FixedZone("", 7200))
	check("Added in another zone", digest(a, mo))
}

// mutations returns the changes the digest test makes to a field of kind
// f.Type; a kind it does not know fails the test, so that a new field
// cannot go unchecked.
func mutations(t *testing.T, f reflect.StructField) []func(reflect.Value) {
	t.Helper()
	switch {
	case f.Type == reflect.TypeOf(time.Time{}):
		return []func(reflect.Value){
			func(v reflect.Value) { v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Nanosecond))) },
			func(v reflect.Value) { v.Set(reflect.ValueOf(time.Time{})) },
		}
	case f.Type.Kind() == reflect.String:
		return []func(reflect.Value){func(v reflect.Value) { v.SetString(v.String() + "x") }}
	case f.Type.Kind() == reflect.Bool:
		return []func(reflect.Value){func(v reflect.Value) { v.SetBool(!v.Bool()) }}
	case f.Type.Kind() >= reflect.Int && f.Type.Kind() <= reflect.Int64:
		return []func(reflect.Value){func(v reflect.Value) { v.SetInt(v.Int() + 1) }}
	case f.Type.Kind() == reflect.Pointer:
		out := []func(reflect.Value){func(v reflect.Value) { v.Set(reflect.Zero(f.Type)) }}
		elem := f.Type.Elem()
		switch {
		case elem.Kind() >= reflect.Int && elem.Kind() <= reflect.Int64:
			out = append(out, func(v reflect.Value) {
				p := reflect.New(elem)
				p.Elem().SetInt(v.Elem().Int() + 1)
				v.Set(p)
			})
		case elem.Kind() == reflect.Struct:
			for k := range elem.NumField() {
				for _, m := range mutations(t, elem.Field(k)) {
					out = append(out, func(v reflect.Value) {
						p := reflect.New(elem)
						p.Elem().Set(v.Elem())
						m(p.Elem().Field(k))
						v.Set(p)
					})
				}
			}
		default:
			t.Fatalf("field %s: the digest test cannot change a %s", f.Name, f.Type)
		}
		return out
	}
	t.Fatalf("field %s: the digest test cannot change a %s", f.Name, f.Type)
	return nil
}
