package localindex

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/photo"
)

// TestSessionMatchesLikeMatch: a Session matching a library batch by batch
// decides every batch exactly as Match does, and reads the folder's rows
// once for all batches where Match reads them once per batch.
func TestSessionMatchesLikeMatch(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			root, assets, renamed := randomLibrary(t, seed, 20)
			batches := [][]photo.Asset{assets[:40], assets[40:90], assets[90:], renamed[:70], renamed[70:]}
			var got [2][]Match
			var streams [2]int
			for i, session := range []bool{false, true} {
				kv := &countingKV{MemKV: NewMemKV()}
				ix := openIndex(t, kv, root, Options{})
				scan(t, ix, false)
				s := ix.Session(MatchOptions{})
				before := kv.streams
				for _, b := range batches {
					var ms []Match
					var err error
					if session {
						ms, err = s.Match(context.Background(), b)
					} else {
						ms, err = ix.Match(context.Background(), b, MatchOptions{})
					}
					if err != nil {
						t.Fatal(err)
					}
					got[i] = append(got[i], ms...)
				}
				streams[i] = kv.streams - before
			}
			if diff := cmp.Diff(got[0], got[1]); diff != "" {
				t.Errorf("session vs Match per batch (-Match +session):\n%s", diff)
			}
			if streams[0] != len(batches) || streams[1] != 1 {
				t.Errorf("rows read %d times by Match and %d by the session over %d batches, want %d and 1",
					streams[0], streams[1], len(batches), len(batches))
			}
		})
	}
}

// TestSessionRereadsAfterScan: a scan that changes a directory between two
// batches makes the session read the rows again and see the new file.
func TestSessionRereadsAfterScan(t *testing.T) {
	root, rels := bigTree(t, 5, 3)
	kv := &countingKV{MemKV: NewMemKV()}
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	s := ix.Session(MatchOptions{})
	match := func(name string, want photo.Confidence, wantStream bool) {
		t.Helper()
		before := kv.streams
		ms, err := s.Match(context.Background(), []photo.Asset{{ID: name, Filename: name, Kind: photo.KindPhoto, Size: 1}})
		if err != nil || ms[0].Confidence != want {
			t.Fatalf("%s: %v %+v, want %v", name, err, ms, want)
		}
		if streamed := kv.streams > before; streamed != wantStream {
			t.Errorf("%s: rows read %v, want %v", name, streamed, wantStream)
		}
	}
	match("IMG_0004.JPG", photo.ConfidenceCertain, true)
	match("IMG_0999.JPG", photo.ConfidenceNone, false)
	writeFile(t, root, rels[2]+"/IMG_0999.JPG", []byte("x"), past)
	age(t, root, rels[2])
	scan(t, ix, false)
	match("IMG_0999.JPG", photo.ConfidenceCertain, true)
}
