package agent

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
)

func writeFile(t *testing.T, path string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFolderObserveMatchesAndHealth(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0001.HEIC"), 1000)
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0003.JPG"), 3000)
	f := &Folder{Name: "alice", Path: root, Layout: "icloudpd", KV: localindex.NewMemKV(), Tolerance: 2 * time.Second}
	taken := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	assets := &CloudAssets{
		Newest: []localindex.CloudAsset{
			{ID: "a1", Filename: "IMG_0001.HEIC", Kind: localindex.KindPhoto, Size: 1000, Taken: taken, Added: taken},
			{ID: "a2", Filename: "IMG_0002.HEIC", Kind: localindex.KindPhoto, Size: 2000, Taken: taken, Added: taken},
		},
		Deleted: []localindex.CloudAsset{
			{ID: "d1", Filename: "IMG_0003.JPG", Kind: localindex.KindPhoto, Size: 3000, Taken: taken, Added: taken},
		},
	}
	fo, confs := f.ObserveFolder(t.Context(), assets)
	if !fo.Health.Scanned || !fo.Health.Exists || !fo.Health.Readable || fo.Health.Files != 2 {
		t.Fatalf("health %+v, want a readable folder with 2 files", fo.Health)
	}
	if !fo.Matched || len(fo.Matches) != 2 {
		t.Fatalf("matches %+v, want one per newest asset", fo.Matches)
	}
	if fo.Matches[0].Confidence != checks.ConfidenceCertain || fo.Matches[1].Confidence != checks.ConfidenceNone {
		t.Errorf("confidences %s, %s; want certain, none", fo.Matches[0].Confidence, fo.Matches[1].Confidence)
	}
	if len(confs) != 1 || confs[0] != checks.ConfidenceCertain {
		t.Errorf("deleted confidences %v, want [certain]", confs)
	}

	// Without cloud assets the folder is only health-checked.
	fo, confs = f.ObserveFolder(t.Context(), nil)
	if fo.Matched || confs != nil || fo.Health.Files != 2 {
		t.Errorf("health-only observation: matched=%v confs=%v files=%d", fo.Matched, confs, fo.Health.Files)
	}
}

func TestFolderMissingIsReported(t *testing.T) {
	f := &Folder{Name: "gone", Path: filepath.Join(t.TempDir(), "not-mounted"), KV: localindex.NewMemKV()}
	fo, _ := f.ObserveFolder(t.Context(), &CloudAssets{})
	if fo.Health.Exists || fo.Matched {
		t.Errorf("a missing folder: %+v, want Exists=false and no matching", fo.Health)
	}
}

// TestCheckMatchEditedRenditions: a folder holding only the edited
// version reports the photo found with its original missing (checks then
// says "only the edited version is here", never "missing"); an edit not
// copied is a missing part.
func TestCheckMatchEditedRenditions(t *testing.T) {
	edit := &localindex.FileMatch{Path: "2026/12/01/IMG_0001.JPG", Confidence: localindex.ConfidenceCertain}
	got := checkMatch(localindex.Match{AssetID: "A1", Edited: edit})
	want := checks.Match{AssetID: "A1", Confidence: checks.ConfidenceCertain, LocalPath: edit.Path,
		MissingParts: []checks.Part{checks.PartOriginal}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edited only: got %+v, want %+v", got, want)
	}
	orig := &localindex.FileMatch{Path: "2026/12/01/IMG_0002.HEIC", Confidence: localindex.ConfidenceCertain}
	got = checkMatch(localindex.Match{AssetID: "A2", Confidence: localindex.ConfidenceCertain, File: orig, EditedMissing: true})
	want = checks.Match{AssetID: "A2", Confidence: checks.ConfidenceCertain, LocalPath: orig.Path,
		MissingParts: []checks.Part{checks.PartEdited}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edit not copied: got %+v, want %+v", got, want)
	}
}
