package icloudapi

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/photo"
)

// pyicloud fixtures: browser-derived shapes with sparse, untyped fields and
// CPLAsset before CPLMaster.
func TestDecodePyicloudFixtures(t *testing.T) {
	tests := []struct {
		file     string
		want     []photo.Asset
		unpaired int
	}{
		{"photos_live_photo_response.json", []photo.Asset{{
			ID: "ASSET_RECORD_ID_204", MasterID: "MASTER_RECORD_ID_204", Library: "PrimarySync",
			Filename: "live_photo.HEIC", FilenameSource: photo.FilenameEncoded, Size: 3456789, UTI: "public.heic", Kind: photo.KindLivePhoto,
			LiveVideo: &photo.Resource{UTI: "com.apple.quicktime-movie", Size: 456789}, Width: 4032, Height: 3024,
			Added: ms(1775666850000), Taken: ms(1775666800000),
		}}, 0},
		{"photos_video_only_response.json", []photo.Asset{{
			ID: "ASSET_RECORD_ID_205", MasterID: "MASTER_RECORD_ID_205", Library: "PrimarySync",
			Filename: "video_only.MOV", FilenameSource: photo.FilenameEncoded, Size: 5678901, UTI: "com.apple.quicktime-movie", Kind: photo.KindVideo,
			Added: ms(1775666950000), Taken: ms(1775666900000),
		}}, 0},
		{"photos_missing_counterparts_response.json", []photo.Asset{{
			ID: "ASSET_MATCHED_001", MasterID: "MASTER_MATCHED_001", Library: "PrimarySync",
			Filename: "matched_photo.jpg", FilenameSource: photo.FilenameEncoded, Size: -1, Kind: photo.KindOther,
			Added: ms(1775666700000), Taken: ms(1775666700000),
		}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, unpaired := pairPage(t, readTestdata(t, "pyicloud/"+tt.file), "PrimarySync")
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if unpaired != tt.unpaired {
				t.Errorf("unpaired = %d, want %d", unpaired, tt.unpaired)
			}
		})
	}
}

func TestDecodePyicloudSharedAndDeleted(t *testing.T) {
	shared, _ := pairPage(t, readTestdata(t, "pyicloud/photos_shared_library_all_photos_response.json"), "")
	if len(shared) != 1 || shared[0].Library != "SharedSync-6E1C0494-1BF4-4928-BD07-3FD81633193E" || shared[0].Size != 1789749 {
		t.Errorf("shared library asset = %+v", shared)
	}
	var q ckQueryResponse
	if err := json.Unmarshal(readTestdata(t, "pyicloud/photos_browser_mutations/photo_delete_response.json"), &q); err != nil {
		t.Fatal(err)
	}
	a := q.Records[0]
	if !a.Fields.IsDeleted.flag() || msTime(a.Fields.DateExpunged) != ms(1778258717590) {
		t.Errorf("delete answer: isDeleted %v dateExpunged %v", a.Fields.IsDeleted.flag(), msTime(a.Fields.DateExpunged))
	}
	var album ckQueryResponse // isDeleted as a JSON boolean must read as a flag, not fail
	if err := json.Unmarshal(readTestdata(t, "pyicloud/photos_album_create_response.json"), &album); err != nil {
		t.Fatal(err)
	}
	if album.Records[0].Fields.IsDeleted.flag() {
		t.Error("isDeleted false read as true")
	}
}

func TestDecodePyicloudZonesAndIndexing(t *testing.T) {
	names := func(file string) []string {
		var z ckZonesResponse
		if err := decodeCK("t", readTestdata(t, "pyicloud/"+file), &z); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range z.Zones {
			if photoZone(e) {
				out = append(out, e.ZoneID.ZoneName)
			}
		}
		return out
	}
	if d := cmp.Diff([]string{"SharedSync-6E1C0494-1BF4-4928-BD07-3FD81633193E", "PrimarySync"}, names("photos_shared_library_private_zones_response.json")); d != "" {
		t.Errorf("owner's private zones (-want +got):\n%s", d)
	}
	if got := names("photos_shared_library_shared_zones_response.json"); len(got) != 0 {
		t.Errorf("shared zones = %v, want none", got)
	}
	if d := cmp.Diff([]string{"PrimarySync"}, names("photos_zones_list_response.json")); d != "" {
		t.Errorf("zones/list: custom zones must be skipped (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"PrimarySync"}, names("photos_database_changes_response.json")); d != "" {
		t.Errorf("changes/database (-want +got):\n%s", d)
	}
	q := decodePage(t, readTestdata(t, "pyicloud/photos_indexing_not_finished_response.json"))
	if st, _ := q.Records[0].Fields.CheckIndexingState.str(); st != "NOT_FINISHED" {
		t.Errorf("indexing state = %q", st)
	}
}

// TestPairingAcrossPages splits the real 2023 page so that masters and
// their assets land on different pages, in both directions, and with a
// master repeated: the pairs must be the same as from the whole page.
func TestPairingAcrossPages(t *testing.T) {
	q := decodePage(t, cassetteAnswer(t, "download_autodelete_photos_part1", "private/records/query", idxAdded, 0))
	whole := newPairer("PrimarySync")
	whole.add(q.Records)
	want, _ := whole.assets()

	var masters, assets []ckRecord
	for _, r := range q.Records {
		if r.RecordType == recMaster {
			masters = append(masters, r)
		} else {
			assets = append(assets, r)
		}
	}
	pages := [][]ckRecord{
		append(append([]ckRecord{}, masters[:60]...), assets[:40]...),   // 20 masters wait for their assets
		append(append([]ckRecord{}, assets[40:80]...), masters[90:]...), // 20 assets wait for masters 60..79
		append(append([]ckRecord{}, masters[55:90]...), assets[75:]...), // overlap: repeated masters and assets
	}
	p := newPairer("PrimarySync")
	for _, pg := range pages {
		p.add(pg)
	}
	got, unpaired := p.assets()
	if unpaired != 0 {
		t.Errorf("unpaired = %d", unpaired)
	}
	byID := func(as []photo.Asset) map[string]photo.Asset {
		m := map[string]photo.Asset{}
		for _, a := range as {
			m[a.ID] = a
		}
		return m
	}
	if len(got) != len(want) {
		t.Fatalf("%d pairs across pages, %d from the whole page", len(got), len(want))
	}
	if d := cmp.Diff(byID(want), byID(got)); d != "" {
		t.Errorf("(-whole +split):\n%s", d)
	}
	ordered, _ := visibleNewest(got, 100)
	if d := cmp.Diff(want, ordered); d != "" {
		t.Errorf("sorting the split result by added date must give the index order (-want +got):\n%s", d)
	}
}

// TestMakeAssetKinds covers what the recordings lack or only hint at: RAW,
// RAW+JPEG, unknown UTIs (kept), videos by dataClassType, edited videos,
// bursts, a hidden asset and a null purge date.
func TestMakeAssetKinds(t *testing.T) {
	master := func(fields string) string {
		return `{"recordName":"M1","recordType":"CPLMaster","fields":{"filenameEnc":{"value":"SU1HXzAwMDEuRE5H","type":"ENCRYPTED_BYTES"},` + fields + `}}`
	}
	asset := func(fields string) string {
		return `{"recordName":"A1","recordType":"CPLAsset","fields":{"masterRef":{"value":{"recordName":"M1"},"type":"REFERENCE"},` +
			`"addedDate":{"value":1700000000000,"type":"TIMESTAMP"}` + fields + `}}`
	}
	res := func(name, uti string, size int) string {
		return `"` + name + `Res":{"value":{"size":` + fmt.Sprint(size) + `,"fileChecksum":"x"},"type":"ASSETID"},"` + name + `FileType":{"value":"` + uti + `","type":"STRING"}`
	}
	tests := []struct {
		name          string
		master, asset string
		check         func(photo.Asset) bool
	}{
		{"raw", res("resOriginal", "com.adobe.raw-image", 25), "", func(a photo.Asset) bool { return a.RAW && a.Kind == photo.KindPhoto && a.Size == 25 }},
		{"raw+jpeg", res("resOriginal", "com.canon.cr2-raw-image", 20) + "," + res("resOriginalAlt", "public.jpeg", 3), "",
			func(a photo.Asset) bool {
				return a.RAW && *a.Alternative == photo.Resource{UTI: "public.jpeg", Size: 3}
			}},
		{"jpeg+raw alt", res("resOriginal", "public.jpeg", 3) + "," + res("resOriginalAlt", "com.sony.arw-raw-image", 20), "",
			func(a photo.Asset) bool { return a.RAW && a.UTI == "public.jpeg" }},
		{"unknown uti kept", res("resOriginal", "com.example.holo-image", 9), "", func(a photo.Asset) bool { return a.UTI == "com.example.holo-image" && a.Kind == photo.KindOther }},
		{"unknown video by class", res("resOriginal", "com.example.clip", 9) + `,"dataClassType":{"value":2,"type":"INT64"}`, "",
			func(a photo.Asset) bool { return a.Kind == photo.KindVideo }},
		{"edited video", res("resOriginal", "com.apple.quicktime-movie", 9), "," + res("resVidFull", "com.apple.quicktime-movie", 5) + `,"adjustmentType":{"value":"com.apple.video","type":"STRING"}`,
			func(a photo.Asset) bool {
				return a.Edited != nil && a.Edited.Size == 5 && a.AdjustmentType == "com.apple.video"
			}},
		{"burst hidden", res("resOriginal", "public.heic", 9), `,"burstId":{"value":"B1","type":"STRING"},"isHidden":{"value":1,"type":"INT64"}`,
			func(a photo.Asset) bool { return a.Burst && a.Hidden }},
		{"deleted with null purge", res("resOriginal", "public.heic", 9), `,"isDeleted":{"value":1,"type":"INT64"},"dateExpunged":{"value":null,"type":"TIMESTAMP"}`,
			func(a photo.Asset) bool { return a.Deleted && a.Purge.IsZero() }},
		{"size missing", `"itemType":{"value":"public.png","type":"STRING"}`, "", func(a photo.Asset) bool { return a.Size == -1 && a.UTI == "public.png" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"records":[` + master(tt.master) + `,` + asset(tt.asset) + `]}`
			as, unpaired := pairPage(t, []byte(body), "PrimarySync")
			if len(as) != 1 || unpaired != 0 {
				t.Fatalf("%d assets, %d unpaired from %s", len(as), unpaired, body)
			}
			if !tt.check(as[0]) {
				t.Errorf("asset = %+v", as[0])
			}
		})
	}
}
