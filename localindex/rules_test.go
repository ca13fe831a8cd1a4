package localindex

import (
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// TestMatchICloudPDNameCleaning follows icloudpd's own name building
// (src/icloudpd/paths.py clean_filename and remove_unicode_chars,
// src/pyicloud_ipd/asset_version.py calculate_asset_version_filename): the
// non-ASCII characters are dropped from the name as Apple sends it, and a
// stem made only of them leaves ".EXT", to which the extension is added
// again.
func TestMatchICloudPDNameCleaning(t *testing.T) {
	cjk := asset("写真.JPG", 1600002)
	cjkID7 := asset("写真.JPG", 1600003)
	cjkID7.MasterID = masterA
	files := []local{
		{rel: "2023/06/15/Cafe.JPG", size: 1600001},
		{rel: "2023/06/15/.JPG.JPG", size: 1600002},
		{rel: "2023/06/15/.JPG_QVk2Yyt.JPG", size: 1600003},
		{rel: "2023/06/15/.HEIC.HEIC", size: 1600004},
		{rel: "2023/06/15/Ele\u0301onore.HEIC", size: 1600005},
		{rel: "2023/06/15/a_b_c.JPG", size: 1600006},
		{rel: "2023/06/15/Caf.JPG", size: 1600007},
	}
	runMatchLayout(t, false /* icloudpd */, files, []matchCase{
		{"decomposed name, non-ASCII dropped from the bytes as sent", asset("Cafe\u0301.JPG", 1600001),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/Cafe.JPG"}},
		{"name of non-ASCII characters only: .JPG.JPG", cjk, want{conf: photo.ConfidenceCertain, path: "2023/06/15/.JPG.JPG"}},
		{"the same with name-id7", cjkID7, want{conf: photo.ConfidenceCertain, path: "2023/06/15/.JPG_QVk2Yyt.JPG"}},
		{"HEIC of non-ASCII characters only: .HEIC.HEIC", asset("東京.HEIC", 1600004),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/.HEIC.HEIC"}},
		{"--keep-unicode-in-filenames keeps the decomposed name", asset("Ele\u0301onore.HEIC", 1600005),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/Ele\u0301onore.HEIC"}},
		{"replaced characters", asset("a:b?c.JPG", 1600006), want{conf: photo.ConfidenceCertain, path: "2023/06/15/a_b_c.JPG"}},
		{"composed name, non-ASCII dropped", asset("Café.JPG", 1600007), want{conf: photo.ConfidenceCertain, path: "2023/06/15/Caf.JPG"}},
	})
}

// TestMatchPhotoPrismNamesInUTC: PhotoPrism names a file after TakenAt in
// UTC (internal/photoprism/mediafile.go CanonicalName, pkg/fs/canonical.go),
// the true instant when the photo has a location. With unreadable headers
// the name is the only witness of the time.
func TestMatchPhotoPrismNamesInUTC(t *testing.T) {
	m := time.Minute
	utcName := func(d time.Duration) string { return taken.Add(d).UTC().Format("20060102_150405") }
	wallName := func(d time.Duration) string { return taken.Add(tz + d).UTC().Format("20060102_150405") }
	files := []local{
		{rel: "originals/2023/06/" + utcName(0) + "_4286DBCD.jpg", size: 1700001},
		{rel: "originals/2023/06/" + wallName(5*m) + "_1A2B3C4D.jpg", size: 1700002},
		{rel: "originals/2023/06/" + utcName(10*m) + "_5E6F7A8B.00001.heic", size: 1700003},
		{rel: "originals/2023/06/IMG_" + utcName(15*m) + ".jpg", size: 1700004},
		{rel: "originals/2023/06/" + utcName(20*m) + "_99999999.jpg", size: 1799999},
	}
	runMatchLayout(t, true /* photoprism */, files, []matchCase{
		{"UTC name (photo with a location)", asset("IMG_2001.JPG", 1700001),
			want{conf: photo.ConfidencePossible, path: "originals/2023/06/" + utcName(0) + "_4286DBCD.jpg"}},
		{"wall clock name (photo without a time zone)", at(asset("IMG_2002.JPG", 1700002), 5*m),
			want{conf: photo.ConfidencePossible, path: "originals/2023/06/" + wallName(5*m) + "_1A2B3C4D.jpg"}},
		{"UTC name with the clash counter", at(asset("IMG_2003.HEIC", 1700003), 10*m),
			want{conf: photo.ConfidencePossible, path: "originals/2023/06/" + utcName(10*m) + "_5E6F7A8B.00001.heic"}},
		{"an Android name is a wall clock, not UTC", at(asset("IMG_2004.JPG", 1700004), 15*m), want{}},
		{"UTC name but another size: not this photo", at(asset("IMG_2005.JPG", 1700005), 20*m), want{}},
	})
}

// TestCaptureTimeNeedsSizeWitness: in layouts that rename files and keep
// their bytes (Immich, PhotoPrism), a capture-time-only match must agree
// in size with one of the asset's renditions.
func TestCaptureTimeNeedsSizeWitness(t *testing.T) {
	m := time.Minute
	exif := func(d time.Duration) []byte { return jpegWithExif(t, exifAt(d), "+02:00") }
	mov := func(d time.Duration) []byte { return movie("qt  ", taken.Add(d), "", false) }
	files := []local{
		// another device's photo of the same second
		{rel: "upload/u1/aa/bb/aabb0001-0000-4000-8000-000000000001.jpg", head: exif(0), size: 2100001},
		// the photo itself (original bytes) beside another device's
		{rel: "upload/u1/aa/bc/aabc0002-0000-4000-8000-000000000002.jpg", head: exif(5 * m), size: 2100099},
		{rel: "upload/u1/aa/bd/aabd0003-0000-4000-8000-000000000003.jpg", head: exif(5 * m), size: 2100002},
		// a video: the original and Immich's transcode
		{rel: "encoded-video/u1/cc/dd/ccdd0004-0000-4000-8000-000000000004.mp4", head: movie("isom", taken.Add(10*m), "", false), size: 800004},
		{rel: "upload/u1/cc/dd/ccdd0004-0000-4000-8000-000000000004.mov", head: mov(10 * m), size: 9000004},
		// only a transcode of another video
		{rel: "encoded-video/u1/ee/ff/eeff0005-0000-4000-8000-000000000005.mp4", head: movie("isom", taken.Add(15*m), "", false), size: 800005},
		// the edited rendition, recognised by its size
		{rel: "upload/u1/11/22/11220006-0000-4000-8000-000000000006.jpg", head: exif(20 * m), size: 1400006},
	}
	_, got := runMatchLayout(t, true /* immich */, files, []matchCase{
		{"another device's photo of the same second is not a copy", asset("IMG_3001.HEIC", 2400001), want{}},
		{"the copy of the same size wins", at(asset("IMG_3002.JPG", 2100002), 5*m),
			want{conf: photo.ConfidencePossible, path: "upload/u1/aa/bd/aabd0003-0000-4000-8000-000000000003.jpg"}},
		{"the original video, not the transcode", at(asset("IMG_3003.MOV", 9000004), 10*m),
			want{conf: photo.ConfidencePossible, path: "upload/u1/cc/dd/ccdd0004-0000-4000-8000-000000000004.mov"}},
		{"a transcode alone is not a copy", at(asset("IMG_3004.MOV", 9000005), 15*m), want{}},
		{"a file of the edited size is the edit", at(withEdit(asset("IMG_3005.HEIC", 2400006), 1400006), 20*m),
			want{edited: "upload/u1/11/22/11220006-0000-4000-8000-000000000006.jpg"}},
	})
	if got[4].EditedMissing || got[4].File != nil {
		t.Errorf("edited-only asset: EditedMissing=%v File=%v", got[4].EditedMissing, got[4].File)
	}
}

// TestEditedRenditions: icloudpd --size adjusted saves the edit under the
// original's name (pyicloud_ipd/utils.py disambiguate_filenames adds
// "-adjusted" only when the original is downloaded too); Windows imports
// bring the phone's IMG_E render. The size, or the IMG_E name, tells the
// rendition.
func TestEditedRenditions(t *testing.T) {
	jpg := jpegWithExif(t, exifDTO, "+02:00")
	files := []local{
		{rel: "2023/06/15/IMG_4001.JPG", size: 1300001},
		{rel: "2023/06/15/IMG_4002.HEIC", size: 2300002},
		{rel: "DCIM/202306__/IMG_E4003.HEIC", head: jpg, size: 1900003},
		{rel: "2023/06/15/IMG_4004.HEIC", head: jpg, size: 2300004},
	}
	_, got := runMatchLayout(t, false /* auto */, files, []matchCase{
		{"--size adjusted: the edit under the original's name", withEdit(asset("IMG_4001.HEIC", 2300001), 1300001),
			want{edited: "2023/06/15/IMG_4001.JPG"}},
		{"original only, edit in iCloud", withEdit(asset("IMG_4002.HEIC", 2300002), 1300002),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_4002.HEIC"}},
		{"IMG_E render although the record states no edit", asset("IMG_4003.HEIC", 2300003),
			want{edited: "DCIM/202306__/IMG_E4003.HEIC"}},
		{"same name, edited size, readable time: still the edit", withEdit(asset("IMG_4004.HEIC", 2300099), 2300004),
			want{edited: "2023/06/15/IMG_4004.HEIC"}},
	})
	if got[0].EditedMissing || !got[1].EditedMissing || got[2].EditedMissing {
		t.Errorf("EditedMissing = %v %v %v, want false true false", got[0].EditedMissing, got[1].EditedMissing, got[2].EditedMissing)
	}
}
