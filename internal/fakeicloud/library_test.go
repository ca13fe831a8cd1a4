package fakeicloud

import (
	"testing"
	"time"
)

var genNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestGenerateMix(t *testing.T) {
	l := Generate(GenOptions{Seed: 7, Assets: 1000, Now: genNow})
	if n := l.Len(PrimaryZone); n != 1000 {
		t.Fatalf("personal library has %d assets, want 1000", n)
	}
	if n := l.Len(SharedZone); n != 100 {
		t.Errorf("shared library has %d assets, want 100", n)
	}
	z := l.zone(PrimaryZone)
	seen := map[string]int{}
	for i, a := range z.byAdded {
		if i > 0 && a.Added.After(z.byAdded[i-1].Added) {
			t.Fatalf("rank %d added after rank %d: index not newest first", i, i-1)
		}
		seen[a.UTI]++
		for cond, name := range map[bool]string{a.LiveVideoSize > 0: "live", a.AltUTI != "": "raw+jpeg", a.EditUTI != "": "edit",
			a.Subtype == 3: "screenshot", a.BurstID != "": "burst", a.Hidden: "hidden", a.Deleted: "deleted",
			a.FilenameForm == "string": "name-string", a.FilenameForm == "missing": "name-missing"} {
			if cond {
				seen[name]++
			}
		}
	}
	for _, want := range []string{"public.heic", "public.jpeg", "public.png", "com.apple.quicktime-movie", "public.mpeg-4",
		"com.adobe.raw-image", "com.canon.cr2-raw-image", "live", "raw+jpeg", "edit", "screenshot", "burst", "hidden", "deleted",
		"name-string", "name-missing"} {
		if seen[want] == 0 {
			t.Errorf("generated library has no %s (mix %v)", want, seen)
		}
	}
	if seen["deleted"] != 10 {
		t.Errorf("%d deleted, want 10 (1%% of 1000)", seen["deleted"])
	}
}

func TestGenerateOldPhotoAddedYesterday(t *testing.T) {
	l := Generate(GenOptions{Seed: 1, Assets: 500, Now: genNow})
	newest := l.Newest(PrimaryZone, 50)
	idx := -1
	for i, a := range newest {
		if a.Filename == OldPhotoFilename {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("%s not among the newest 50 by date added", OldPhotoFilename)
	}
	a := newest[idx]
	if age := genNow.Sub(a.Added); age < 20*time.Hour || age > 30*time.Hour {
		t.Errorf("added %v before now, want about a day", age)
	}
	if a.Taken.Year() != 2009 {
		t.Errorf("taken %v, want 2009", a.Taken)
	}
	older := 0
	for _, b := range l.Newest(PrimaryZone, 1000) {
		if b.Taken.After(a.Taken) {
			older++
		}
	}
	if older < 400 {
		t.Errorf("only %d assets taken after the old photo; a by-date-taken walk would find it", older)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(GenOptions{Seed: 42, Assets: 300, Now: genNow}).Newest(PrimaryZone, 300)
	b := Generate(GenOptions{Seed: 42, Assets: 300, Now: genNow}).Newest(PrimaryZone, 300)
	c := Generate(GenOptions{Seed: 43, Assets: 300, Now: genNow}).Newest(PrimaryZone, 300)
	if len(a) != len(b) || a[10].ID != b[10].ID || a[10].Size != b[10].Size {
		t.Error("same seed gave different libraries")
	}
	if a[10].Size == c[10].Size && a[20].Size == c[20].Size {
		t.Error("different seeds gave the same library")
	}
}

func TestMutationsChangeTokensAndIndexes(t *testing.T) {
	l := Generate(GenOptions{Seed: 3, Assets: 200, Now: genNow})
	before := l.token(l.seq)
	added := l.Add(Asset{Filename: "IMG_9999.HEIC", UTI: "public.heic", Size: 1234, Added: genNow, Taken: genNow})
	if l.token(l.seq) == before {
		t.Error("Add left the sync token unchanged")
	}
	if got := l.Newest(PrimaryZone, 1)[0]; got.ID != added.ID {
		t.Errorf("newest = %s, want the added %s", got.Filename, added.Filename)
	}
	deletedBefore := len(l.RecentlyDeleted(PrimaryZone))
	if err := l.Delete(added.ID, genNow); err != nil {
		t.Fatal(err)
	}
	rd := l.RecentlyDeleted(PrimaryZone)
	if len(rd) != deletedBefore+1 || rd[0].ID != added.ID || !rd[0].Expunge.Equal(genNow.Add(30*24*time.Hour)) {
		t.Errorf("Recently Deleted head = %+v (of %d)", rd[0], len(rd))
	}
	if l.Newest(PrimaryZone, 1)[0].ID == added.ID {
		t.Error("a deleted asset is still reported as newest")
	}
	if err := l.Purge(added.ID); err != nil {
		t.Fatal(err)
	}
	if len(l.RecentlyDeleted(PrimaryZone)) != deletedBefore || l.Len(PrimaryZone) != 200 {
		t.Error("Purge did not remove the asset from both indexes")
	}
	if err := l.Hide("no-such-id", true); err == nil {
		t.Error("Hide of an unknown id succeeded")
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		Generate(GenOptions{Seed: 9, Assets: 100_000, Now: genNow})
	}
}

// A photo is in the Shared Library once: the generator never copies the
// same personal master into it twice (two assets of one master in one
// zone would make a folder that holds the library miss one of them).
func TestGenerateSharedLibraryHoldsEachMasterOnce(t *testing.T) {
	for _, seed := range []uint64{1, 7, 42} {
		lib := Generate(GenOptions{Seed: seed, Assets: 400, Now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)})
		seen := map[string]string{}
		for _, a := range lib.Newest(SharedZone, lib.Len(SharedZone)) {
			if prev, dup := seen[a.MasterID]; dup {
				t.Errorf("seed %d: shared assets %s and %s point at the same master %s", seed, prev, a.ID, a.MasterID)
			}
			seen[a.MasterID] = a.ID
		}
	}
}
