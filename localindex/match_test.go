package localindex

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// Times used across the matcher tests: taken 2023-06-15 10:34:56 UTC in a
// UTC+2 zone (wall clock 12:34:56), added an hour later.
var (
	taken   = time.Date(2023, 6, 15, 10, 34, 56, 0, time.UTC)
	tz      = 2 * time.Hour
	added   = taken.Add(time.Hour)
	exifDTO = "2023:06:15 12:34:56"
)

// local is one file of the matcher test tree. Files are sparse: the header
// is written and the file extended to size.
type local struct {
	rel   string
	head  []byte
	size  int64
	mtime time.Time
}

func writeSized(t *testing.T, root string, l local) {
	t.Helper()
	p := writeFile(t, root, l.rel, l.head, time.Time{})
	if l.size > int64(len(l.head)) {
		if err := os.Truncate(p, l.size); err != nil {
			t.Fatal(err)
		}
	}
	mt := l.mtime
	if mt.IsZero() {
		mt = taken
	}
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
}

// want is the expected verdict for one asset.
type want struct {
	conf         photo.Confidence
	path         string
	video        string
	videoMissing bool
	edited       string
}

type matchCase struct {
	name  string
	asset photo.Asset
	want  want
}

func asset(name string, size int64) photo.Asset {
	return photo.Asset{ID: "A-" + name, MasterID: "M" + name, Filename: name, Kind: cloudKind(name), Size: size,
		Added: added, Taken: taken, TZOffset: offset(tz)}
}

// cloudKind is the kind iCloud states for an asset with this file name.
func cloudKind(name string) photo.Kind {
	switch kindOf(name) {
	case KindPhoto:
		return photo.KindPhoto
	case KindVideo:
		return photo.KindVideo
	}
	return photo.KindOther
}

// offset is a capture offset as iCloud states it (seconds east of UTC).
func offset(d time.Duration) *int {
	s := int(d / time.Second)
	return &s
}

func live(a photo.Asset, videoSize int64) photo.Asset {
	a.LiveVideo = &photo.Resource{Size: videoSize}
	return a
}

func withEdit(a photo.Asset, size int64) photo.Asset {
	a.Edited = &photo.Resource{Size: size}
	return a
}

func runMatch(t *testing.T, files []local, cases []matchCase) *Index {
	t.Helper()
	ix, _ := runMatchLayout(t, false, files, cases)
	return ix
}

// runMatchLayout matches the cases in a folder whose layout renames files
// or not.
func runMatchLayout(t *testing.T, renames bool, files []local, cases []matchCase) (*Index, []Match) {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		writeSized(t, root, f)
	}
	ix := openIndex(t, NewMemKV(), root, Options{RenamesFiles: renames})
	scan(t, ix, false)
	assets := make([]photo.Asset, len(cases))
	for i, c := range cases {
		assets[i] = c.asset
	}
	got, err := ix.Match(context.Background(), assets, MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkMatch(t, got[i], c.want) })
	}
	return ix, got
}

func checkMatch(t *testing.T, m Match, w want) {
	t.Helper()
	if w.conf == "" {
		w.conf = photo.ConfidenceNone // a case that expects nothing found
	}
	path := func(f *FileMatch) string {
		if f == nil {
			return ""
		}
		return f.Path
	}
	reason := ""
	if m.File != nil {
		reason = m.File.Reason
	}
	if m.Confidence != w.conf || path(m.File) != w.path {
		t.Errorf("got %s %q (%s), want %s %q", m.Confidence, path(m.File), reason, w.conf, w.path)
	}
	if path(m.LiveVideo) != w.video || m.LiveVideoMissing != w.videoMissing {
		t.Errorf("live video %q missing=%v, want %q missing=%v", path(m.LiveVideo), m.LiveVideoMissing, w.video, w.videoMissing)
	}
	if path(m.Edited) != w.edited {
		t.Errorf("edited %q, want %q", path(m.Edited), w.edited)
	}
}

// masterA is the master record name of icloudpd's test data; its id7 is
// QVk2Yyt.
const masterA = "AY6c+BsE0jjaXx9tmVGJM1D2VcEO"

func TestMatchICloudPD(t *testing.T) {
	jpg := jpegWithExif(t, exifDTO, "+02:00")
	old := jpegWithExif(t, "2015:03:01 09:00:00", "")
	files := []local{
		{rel: "2023/06/15/IMG_7409.JPG", size: 1884695},
		{rel: "2023/06/15/IMG_0101.HEIC", size: 2345678},
		{rel: "2023/06/15/IMG_0101_HEVC.MOV", size: 3294075},
		{rel: "2023/06/15/IMG_0102.JPG", size: 2011334},
		{rel: "2023/06/15/IMG_0102.MOV", size: 2870112},
		{rel: "2015/03/01/IMG_7410.JPG", head: old, size: 1520331, mtime: time.Date(2015, 3, 1, 9, 0, 0, 0, time.UTC)},
		{rel: "2023/06/15/IMG_7410-1884699.JPG", size: 1884699},
		{rel: "2023/06/15/IMG_7411_QVk2Yyt.JPG", size: 1000000},
		{rel: "2023/06/15/FullSizeRender.HEIC", size: 1733221},
		{rel: "2023/06/15/FullSizeRender_HEVC-4559592.MOV", size: 4559592},
		{rel: "2023/06/15/IMG_1234.HEIC", size: 2222001},
		{rel: "2023/06/15/IMG_1234-adjusted.HEIC", size: 2399112},
		{rel: "2023/06/15/IMG_1235.HEIC", size: 2222002},
		{rel: "2023/06/15/IMG_1235.JPG", size: 1400112},
		{rel: "2023/06/15/IMG_7412.CR2", size: 25123456},
		{rel: "2023/06/15/IMG_7413-medium.JPG", head: jpg, size: 664594},
		{rel: "2023/06/15/IMG_7414-original.JPG", size: 1733002},
		{rel: "2023/06/15/IMG__7415.JPG", size: 1733003},
		{rel: "2023/06/16/IMG_7416.JPG", head: jpg, size: 901223},
		{rel: "2023/06/15/AY6c_BsE0jja.JPG", size: 1733004},
		{rel: "2023/06/14/IMG_7417.JPG", size: 1733005},
		{rel: "2023/06/15/IMG_7418.JPG", size: 1733006},
		{rel: "2023/06/15/IMG_7418.JPG.xmp", size: 1200},
		{rel: "2023/06/15/IMG_7419.JPG", size: 1884611},
	}
	id7Asset := asset("IMG_7411.JPG", 1000000)
	id7Asset.MasterID = masterA
	otherID7 := asset("IMG_7411.JPG", 1000000)
	otherID7.MasterID = "BQ" + masterA[2:]
	nameless := asset("", 1733004)
	nameless.MasterID, nameless.Kind = masterA, photo.KindPhoto
	raw := asset("IMG_7412.JPG", 3100200)
	raw.Alternative = &photo.Resource{Size: 25123456}
	cases := []matchCase{
		{"original name and size", asset("IMG_7409.JPG", 1884695), want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_7409.JPG"}},
		{"live HEIC with _HEVC.MOV", live(asset("IMG_0101.HEIC", 2345678), 3294075),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_0101.HEIC", video: "2023/06/15/IMG_0101_HEVC.MOV"}},
		{"live JPG with .MOV", live(asset("IMG_0102.JPG", 2011334), 2870112),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_0102.JPG", video: "2023/06/15/IMG_0102.MOV"}},
		{"-<size> de-dup suffix beside an older namesake", asset("IMG_7410.JPG", 1884699),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_7410-1884699.JPG"}},
		{"name-id7 suffix of this asset", id7Asset, want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_7411_QVk2Yyt.JPG"}},
		{"name-id7 suffix of another asset", otherID7, want{}},
		{"FullSizeRender live with _HEVC-<size>", live(asset("FullSizeRender.HEIC", 1733221), 4559592),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/FullSizeRender.HEIC", video: "2023/06/15/FullSizeRender_HEVC-4559592.MOV"}},
		{"-adjusted HEIC edit", withEdit(asset("IMG_1234.HEIC", 2222001), 2399112),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_1234.HEIC", edited: "2023/06/15/IMG_1234-adjusted.HEIC"}},
		{"HEIC original with JPEG edit", withEdit(asset("IMG_1235.HEIC", 2222002), 1400112),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_1235.HEIC", edited: "2023/06/15/IMG_1235.JPG"}},
		{"RAW+JPEG: only the RAW alternative", raw, want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_7412.CR2"}},
		{"-medium size with capture time", asset("IMG_7413.JPG", 1884600), want{conf: photo.ConfidenceLikely, path: "2023/06/15/IMG_7413-medium.JPG"}},
		{"legacy -original", asset("IMG_7414.JPG", 1733002), want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_7414-original.JPG"}},
		{"non-ASCII stripped", asset("IMG_中文_7415.JPG", 1733003), want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG__7415.JPG"}},
		{"HEIC converted to JPG, next day's folder", asset("IMG_7416.HEIC", 2900000), want{conf: photo.ConfidenceLikely, path: "2023/06/16/IMG_7416.JPG"}},
		{"missing filenameEnc", nameless, want{conf: photo.ConfidenceCertain, path: "2023/06/15/AY6c_BsE0jja.JPG"}},
		{"folder a day earlier (TZ of the downloader)", asset("IMG_7417.JPG", 1733005), want{conf: photo.ConfidenceCertain, path: "2023/06/14/IMG_7417.JPG"}},
		{"xmp sidecar is not a copy", asset("IMG_7418.JPG", 1733006), want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_7418.JPG"}},
		{"live photo whose video is missing", live(asset("IMG_7419.JPG", 1884611), 3000000),
			want{conf: photo.ConfidenceCertain, path: "2023/06/15/IMG_7419.JPG", videoMissing: true}},
		{"counter wrap: same name, other size, old capture time", asset("IMG_7410.JPG", 1520000),
			want{}},
	}
	runMatch(t, files, cases)
}

func TestMatchWindowsMacFlat(t *testing.T) {
	jpg := jpegWithExif(t, exifDTO, "+02:00")
	files := []local{
		{rel: "DCIM/100APPLE/IMG_1300.HEIC", size: 2100300},
		{rel: "DCIM/100APPLE/IMG_1300.AAE", size: 900},
		{rel: "DCIM/100APPLE/IMG_E1300.JPG", size: 1700400},
		{rel: "DCIM/100APPLE/IMG_E1301.JPG", head: jpg, size: 1700401},
		{rel: "DCIM/100APPLE/IMG_1302.MOV", size: 3300500},
		{rel: "Export/IMG_1600.heic", size: 2100600},
		{rel: "Export/IMG_1600_edited.jpeg", size: 1100600},
		{rel: "Export/IMG_1601.jpeg", head: jpg, size: 1100601},
		{rel: "flat/IMG_1700.MOV", size: 45000700},
		{rel: "flat/Café.JPG", size: 1500800},
	}
	nfd := asset("Cafe\u0301.JPG", 1500800)
	cases := []matchCase{
		{"windows import original and IMG_E edit", withEdit(asset("IMG_1300.HEIC", 2100300), 1700400),
			want{conf: photo.ConfidenceCertain, path: "DCIM/100APPLE/IMG_1300.HEIC", edited: "DCIM/100APPLE/IMG_E1300.JPG"}},
		{"only the IMG_E edit: the original is not there", withEdit(asset("IMG_1301.HEIC", 2100301), 1700401),
			want{edited: "DCIM/100APPLE/IMG_E1301.JPG"}},
		{"windows live photo video", live(asset("IMG_1302.HEIC", 2100302), 3300500),
			want{conf: photo.ConfidenceNone, video: "DCIM/100APPLE/IMG_1302.MOV"}},
		{"mac export lower-case heic and _edited jpeg", withEdit(asset("IMG_1600.HEIC", 2100600), 1100600),
			want{conf: photo.ConfidenceCertain, path: "Export/IMG_1600.heic", edited: "Export/IMG_1600_edited.jpeg"}},
		{"mac export edited .jpeg only", asset("IMG_1601.HEIC", 2100601), want{conf: photo.ConfidenceLikely, path: "Export/IMG_1601.jpeg"}},
		{"flat video", asset("IMG_1700.MOV", 45000700), want{conf: photo.ConfidenceCertain, path: "flat/IMG_1700.MOV"}},
		{"NFD cloud name, NFC local name", nfd, want{conf: photo.ConfidenceCertain, path: "flat/Café.JPG"}},
	}
	ix := runMatch(t, files, cases)
	if n := ix.FileCount(); n != 9 {
		t.Errorf("FileCount = %d, want 9 (.AAE ignored)", n)
	}
}

// at shifts an asset's capture (and added) time by d.
func at(a photo.Asset, d time.Duration) photo.Asset {
	a.Taken, a.Added = a.Taken.Add(d), a.Added.Add(d)
	return a
}

// exifAt is the EXIF wall clock of an asset shifted by d.
func exifAt(d time.Duration) string { return taken.Add(tz + d).Format("2006:01:02 15:04:05") }

func TestMatchImmichPhotoPrism(t *testing.T) {
	upload := added.Add(20 * time.Minute)
	m := time.Minute
	files := []local{
		{rel: "upload/5f1c/c5/3b/c53b0510-8e3a-4c1b-9d4e-2a7f0c1d9e11.jpg", head: jpegWithExif(t, exifAt(0), "+02:00"), size: 2400100, mtime: upload},
		{rel: "upload/5f1c/aa/bb/aabb0512-8e3a-4c1b-9d4e-2a7f0c1d9e13.jpg", head: jpegWithExif(t, exifAt(5*m), "+02:00"), size: 2400101, mtime: upload},
		{rel: "upload/5f1c/c5/3c/c53c0511-8e3a-4c1b-9d4e-2a7f0c1d9e12.mov", head: movie("qt  ", taken.Add(20*m), "", false), size: 3100200, mtime: upload},
		{rel: "upload/5f1c/c5/3d/c53d0511-8e3a-4c1b-9d4e-2a7f0c1d9e14.mov",
			head: movie("qt  ", time.Time{}, taken.Add(5*m+tz+time.Second).Format("2006-01-02T15:04:05")+"+0200", false), size: 3100201, mtime: upload},
		{rel: "library/admin/2023/2023-06-15/IMG_1500+1.HEIC", size: 2500300},
		{rel: "library/admin/2023/2023-06-15/IMG_1500.HEIC", size: 2500999},
		{rel: "originals/2023/06/20230615_124456_4286DBCD.jpg", head: jpegWithExif(t, exifAt(10*m), ""), size: 1300400, mtime: upload},
		{rel: "originals/2023/06/20230615_104956_9A1B2C3D.0001.png", head: pngWithExif(t, "", ""), size: 800500, mtime: upload},
		{rel: "originals/2023/06/20230615_110456_11111111.mov", head: movie("qt  ", taken.Add(30*m), "", false), size: 5000600, mtime: upload},
	}
	png := at(asset("IMG_1520.PNG", 800999), 15*m)
	png.TZOffset = nil // PhotoPrism named it in UTC; without an offset the cloud time is compared as UTC
	cases := []matchCase{
		{"immich UUID name by capture time", asset("IMG_1510.HEIC", 2400999),
			want{conf: photo.ConfidencePossible, path: "upload/5f1c/c5/3b/c53b0510-8e3a-4c1b-9d4e-2a7f0c1d9e11.jpg"}},
		{"immich live video by capture time (quicktime date one second later)", live(at(asset("IMG_1511.HEIC", 2400998), 5*m), 3100999),
			want{conf: photo.ConfidencePossible, path: "upload/5f1c/aa/bb/aabb0512-8e3a-4c1b-9d4e-2a7f0c1d9e13.jpg",
				video: "upload/5f1c/c5/3d/c53d0511-8e3a-4c1b-9d4e-2a7f0c1d9e14.mov"}},
		{"immich storage template with sequence suffix", asset("IMG_1500.HEIC", 2500300),
			want{conf: photo.ConfidenceCertain, path: "library/admin/2023/2023-06-15/IMG_1500+1.HEIC"}},
		{"photoprism canonical name, EXIF without offset", at(asset("IMG_1530.JPG", 1300999), 10*m),
			want{conf: photo.ConfidencePossible, path: "originals/2023/06/20230615_124456_4286DBCD.jpg"}},
		{"photoprism .0001 clash, time from the name", png,
			want{conf: photo.ConfidencePossible, path: "originals/2023/06/20230615_104956_9A1B2C3D.0001.png"}},
		{"photoprism video by mvhd", at(asset("IMG_1540.MOV", 5000999), 30*m),
			want{conf: photo.ConfidencePossible, path: "originals/2023/06/20230615_110456_11111111.mov"}},
		{"nothing at that time", at(asset("IMG_1550.HEIC", 2000000), 45*m), want{}},
	}
	runMatch(t, files, cases)
}

// TestRepeatingNamesNeverFalselyMatch: FullSizeRender and wrapped counters
// repeat; only size or capture time may decide.
func TestRepeatingNamesNeverFalselyMatch(t *testing.T) {
	otherDay := func(d string) []byte { return jpegWithExif(t, d, "+02:00") }
	old := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	files := []local{
		{rel: "a/FullSizeRender.jpg", head: otherDay("2020:01:01 10:00:00"), size: 1200001, mtime: old},
		{rel: "b/FullSizeRender.jpg", head: otherDay("2021:05:05 10:00:00"), size: 1200002, mtime: old},
		{rel: "c/FullSizeRender.jpg", head: jpegWithExif(t, exifDTO, "+02:00"), size: 1200003, mtime: old},
		{rel: "2014/IMG_0001.JPG", head: otherDay("2014:02:02 10:00:00"), size: 2100000, mtime: old},
		{rel: "2017/IMG_0001.JPG", head: otherDay("2017:02:02 10:00:00"), size: 2100004, mtime: old},
	}
	cases := []matchCase{
		{"FullSizeRender by size", asset("FullSizeRender.jpg", 1200002), want{conf: photo.ConfidenceCertain, path: "b/FullSizeRender.jpg"}},
		{"FullSizeRender by capture time", asset("FullSizeRender.jpg", 1299999), want{conf: photo.ConfidenceLikely, path: "c/FullSizeRender.jpg"}},
		{"counter wrap: same name and size is still certain", asset("IMG_0001.JPG", 2100004), want{conf: photo.ConfidenceCertain, path: "2017/IMG_0001.JPG"}},
		{"counter wrap: new IMG_0001 not copied", asset("IMG_0001.JPG", 2100099), want{}},
	}
	runMatch(t, files, cases)
}

func TestMatchKindMustAgree(t *testing.T) {
	mov := movie("qt  ", taken, "2023-06-15T12:34:56+0200", false)
	files := []local{{rel: "x/3f2a9d1e-aaaa-bbbb-cccc-000000000001.mov", head: mov, size: 900000, mtime: added}}
	runMatch(t, files, []matchCase{
		{"a video at the same second is not the photo", asset("IMG_2000.HEIC", 2000000), want{}},
	})
}

// TestMetadataCachedAndReReadAfterChange: headers are read once; a file
// whose size or mtime changed is read again; the cache survives a restart.
func TestMetadataCachedAndReReadAfterChange(t *testing.T) {
	root := t.TempDir()
	jpg := jpegWithExif(t, exifDTO, "+02:00")
	writeSized(t, root, local{rel: "u/aaaa0001.jpg", head: jpg, size: 5000, mtime: added})
	writeSized(t, root, local{rel: "u/aaaa0002.jpg", head: jpegWithExif(t, "2023:06:15 12:40:00", "+02:00"), size: 5000, mtime: added})
	age(t, root)
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	a := []photo.Asset{asset("IMG_3000.HEIC", 1)}
	matchOnce := func(ix *Index) Match {
		t.Helper()
		got, err := ix.Match(context.Background(), a, MatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got[0]
	}
	if m := matchOnce(ix); m.Confidence != photo.ConfidencePossible || ix.Stats().MetaReads != 2 {
		t.Fatalf("first match: %+v, reads %d (want possible, 2 reads)", m, ix.Stats().MetaReads)
	}
	matchOnce(ix)
	if r := ix.Stats().MetaReads; r != 2 {
		t.Errorf("second match read %d headers in total, want still 2 (cached)", r)
	}
	// Touch one file: a full scan drops its cached time; only it is re-read.
	p := filepath.Join(root, "u/aaaa0002.jpg")
	if err := os.Chtimes(p, added.Add(time.Minute), added.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	scan(t, ix, true)
	matchOnce(ix)
	if r := ix.Stats().MetaReads; r != 3 {
		t.Errorf("after touching one file: %d reads in total, want 3", r)
	}
	// A restarted agent reads the cache from the store.
	ix2 := openIndex(t, kv, root, Options{})
	scan(t, ix2, false)
	if m := matchOnce(ix2); m.Confidence != photo.ConfidencePossible || ix2.Stats().MetaReads != 0 {
		t.Errorf("after restart: %+v, reads %d (want possible, 0 reads)", m, ix2.Stats().MetaReads)
	}
}

func TestMatchBudgetMarksIncomplete(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 5; i++ {
		writeSized(t, root, local{rel: filepath.Join("u", string(rune('a'+i))+".jpg"), head: jpegWithExif(t, "2001:01:01 00:00:00", ""), size: 100, mtime: added})
	}
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	got, err := ix.Match(context.Background(), []photo.Asset{asset("IMG_1.HEIC", 1)}, MatchOptions{MaxHeaderReads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Incomplete || got[0].Confidence != photo.ConfidenceNone || ix.Stats().MetaReads != 2 {
		t.Errorf("got %+v with %d reads; want none, incomplete, 2 reads", got[0], ix.Stats().MetaReads)
	}
}

func TestMatchWithoutCaptureTimeReadsNoHeaders(t *testing.T) {
	root := t.TempDir()
	writeSized(t, root, local{rel: "IMG_4000.JPG", head: jpegWithExif(t, exifDTO, ""), size: 5000})
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	a := asset("IMG_4000.JPG", 4999)
	a.Taken = time.Time{}
	got, err := ix.Match(context.Background(), []photo.Asset{a}, MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Confidence != photo.ConfidenceNone || ix.Stats().MetaReads != 0 {
		t.Errorf("got %+v after %d header reads; want none and no reads", got[0], ix.Stats().MetaReads)
	}
}
