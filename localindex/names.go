package localindex

import (
	"encoding/base64"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Kind is what a file or asset holds.
type Kind uint8

// Kinds. A Live Photo is a KindPhoto asset with a LiveVideoSize.
const (
	KindUnknown Kind = iota
	KindPhoto
	KindVideo
)

func (k Kind) String() string {
	switch k {
	case KindPhoto:
		return "photo"
	case KindVideo:
		return "video"
	}
	return "unknown"
}

var extKinds = map[string]Kind{
	"heic": KindPhoto, "heif": KindPhoto, "hif": KindPhoto, "jpg": KindPhoto, "jpeg": KindPhoto, "png": KindPhoto,
	"gif": KindPhoto, "webp": KindPhoto, "avif": KindPhoto, "jxl": KindPhoto, "tif": KindPhoto, "tiff": KindPhoto,
	"dng": KindPhoto, "cr2": KindPhoto, "cr3": KindPhoto, "crw": KindPhoto, "arw": KindPhoto, "raf": KindPhoto,
	"rw2": KindPhoto, "nrw": KindPhoto, "nef": KindPhoto, "pef": KindPhoto, "orf": KindPhoto, "ori": KindPhoto,
	"mov": KindVideo, "mp4": KindVideo, "m4v": KindVideo, "3gp": KindVideo, "avi": KindVideo, "mpg": KindVideo,
	"mpeg": KindVideo, "mkv": KindVideo,
}

// splitExt returns the stem and the lower-case extension without the dot.
func splitExt(name string) (string, string) {
	ext := path.Ext(name)
	if ext == "" || len(ext) > 6 {
		return name, ""
	}
	return name[:len(name)-len(ext)], lowerExt(ext[1:])
}

// extNames maps each known extension to itself, so that lowerExt returns
// the lower-cased form of a known extension without allocating it.
var extNames = func() map[string]string {
	m := make(map[string]string, len(extKinds))
	for e := range extKinds {
		m[e] = e
	}
	return m
}()

// lowerExt is strings.ToLower(ext) for an extension of at most 5 bytes
// (splitExt's limit): a known one comes from extNames, without the
// allocation of a new string per file name.
func lowerExt(ext string) string {
	var b [5]byte
	if len(ext) > len(b) {
		return strings.ToLower(ext)
	}
	for i := 0; i < len(ext); i++ {
		c := ext[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	if e, ok := extNames[string(b[:len(ext)])]; ok {
		return e // only ASCII letters and digits: the same as strings.ToLower
	}
	return strings.ToLower(ext)
}

// kindOf classifies a file name by extension.
func kindOf(name string) Kind {
	_, ext := splitExt(name)
	return extKinds[ext]
}

// fold lower-cases s and brings it to Unicode NFC (names from macOS are
// often NFD). ASCII names take a fast path.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.ToLower(norm.NFC.String(s))
		}
	}
	return strings.ToLower(s)
}

// localName is what a local file name says about the asset it holds.
type localName struct {
	keys      []string // folded stem, then each form with one more decoration removed
	ext       string
	kind      Kind
	edit      bool  // IMG_E…, -adjusted, _edited, -edited
	hevc      bool  // icloudpd Live Photo video of a HEIC
	dedupSize int64 // icloudpd -<size> de-dup suffix
	id7       string
}

// parseLocal strips the decorations import tools add to the original name:
// icloudpd (-<size>, _<id7>, _HEVC, -adjusted, -alternative, -original,
// -medium, -thumb), PhotoPrism clashes (.0001), Immich sequences (+1),
// Windows copies ( (1)), Finder copies ( 2), Mac/osxphotos edits (_edited) and IMG_E edits.
// Every intermediate form is a key, so a real name that merely looks
// decorated still matches itself.
func parseLocal(name string) localName {
	stem, ext := splitExt(name)
	return parseStem(stem, ext, nil)
}

// parseStem is parseLocal of a name already split by splitExt; the keys
// are appended to keys[:0] (a caller that only hashes them passes a buffer
// of its own).
func parseStem(stem, ext string, keys []string) localName {
	ln := localName{ext: ext, kind: extKinds[ext], keys: keys[:0]}
	s := fold(stem)
	ln.keys = append(ln.keys, s)
	for i := 0; i < 8; i++ {
		next, ok := ln.strip(s)
		if !ok {
			break
		}
		s = next
		ln.keys = append(ln.keys, s)
	}
	if e, ok := stripEditPrefix(s); ok {
		ln.edit = true
		ln.keys = append(ln.keys, e)
	}
	return ln
}

var wordSuffixes = []struct {
	suffix string
	edit   bool
}{
	{"-adjusted", true}, {"-alternative", false}, {"-original", false}, {"-medium", false},
	{"-thumb", false}, {"_edited", true}, {"-edited", true}, {" edited", true},
}

// strip removes one decoration from the end of s.
func (ln *localName) strip(s string) (string, bool) {
	for _, w := range wordSuffixes {
		if strings.HasSuffix(s, w.suffix) && len(s) > len(w.suffix) {
			ln.edit = ln.edit || w.edit
			return s[:len(s)-len(w.suffix)], true
		}
	}
	if strings.HasSuffix(s, "_hevc") && len(s) > 5 {
		ln.hevc = true
		return s[:len(s)-5], true
	}
	if rest, digits, ok := cutNumber(s, "-"); ok {
		if ln.dedupSize == 0 {
			ln.dedupSize = atoi(digits)
		}
		return rest, true
	}
	for _, sep := range []string{"+", ".", " "} {
		if rest, _, ok := cutNumber(s, sep); ok {
			return rest, true
		}
	}
	if rest, ok := cutParenCopy(s); ok {
		return rest, true
	}
	if len(s) > 8 && s[len(s)-8] == '_' && isID7(s[len(s)-7:]) {
		ln.id7 = s[len(s)-7:]
		return s[:len(s)-8], true
	}
	return s, false
}

// cutNumber cuts sep+digits from the end of s.
func cutNumber(s, sep string) (string, string, bool) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || i < len(sep)+1 || s[i-len(sep):i] != sep || len(s)-i > 12 {
		return s, "", false
	}
	return s[:i-len(sep)], s[i:], true
}

// cutParenCopy cuts " (12)" from the end of s.
func cutParenCopy(s string) (string, bool) {
	if !strings.HasSuffix(s, ")") {
		return s, false
	}
	open := strings.LastIndex(s, " (")
	if open <= 0 || open+3 > len(s)-1 {
		return s, false
	}
	for _, c := range s[open+2 : len(s)-1] {
		if c < '0' || c > '9' {
			return s, false
		}
	}
	return s[:open], true
}

// isID7 accepts icloudpd's 7-character base64 id (folded) with at least one
// letter, so numeric counters are not mistaken for it.
func isID7(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '+':
		default:
			return false
		}
	}
	return letter
}

// stripEditPrefix turns img_e1234 into img_1234 (device edits).
func stripEditPrefix(s string) (string, bool) {
	us := strings.IndexByte(s, '_')
	if us < 2 || us > 5 || len(s) < us+6 || s[us+1] != 'e' {
		return s, false
	}
	for i := us + 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return s, false
		}
	}
	return s[:us+1] + s[us+2:], true
}

func atoi(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// cloudKeys are the keys an iCloud original name can appear under. They
// are made from the name exactly as Apple sends it (filenameEnc, often
// decomposed NFD when the photo came from a Mac), because that is what
// icloudpd works on (icloudpd src/icloudpd/paths.py, filename_policies.py):
//
//   - the name as received, folded (icloudpd --keep-unicode-in-filenames
//     writes it unchanged; fold brings both sides to NFC);
//   - with the characters <>:"/\|?* and NUL replaced by '_' (clean_filename);
//   - then with every non-ASCII character dropped (remove_unicode_chars,
//     icloudpd's default), once from the bytes as sent ("Cafe\u0301" gives
//     "Cafe") and once after NFC ("Café" gives "Caf"), since other tools
//     normalise first;
//
// and the stem is cut the way Python's os.path.splitext does, which ignores
// leading dots: a name made only of non-ASCII characters, "写真.JPG",
// becomes ".JPG", has no extension for Python, and icloudpd appends the
// type's extension again (calculate_asset_version_filename), saving
// ".JPG.JPG", whose local stem is ".JPG". A missing name becomes the first
// 12 characters of the master record name, as icloudpd does.
func cloudKeys(filename, masterID string) []string {
	if filename == "" {
		if masterID == "" {
			return nil
		}
		return []string{fold(cleanID(masterID))}
	}
	if plainName(filename) {
		// Nothing for icloudpd to clean or drop, and ASCII is its own
		// NFC: every form below is the Python stem of the name itself.
		stem, _ := splitExt(filename)
		k1, k2 := fold(stem), fold(pyStem(filename))
		switch {
		case k2 == "" || k2 == k1:
			k2 = ""
		case k1 == "":
			k1, k2 = k2, ""
		}
		switch {
		case k1 == "":
			return nil
		case k2 == "":
			return []string{k1}
		}
		return []string{k1, k2}
	}
	return cleanedKeys(filename)
}

// cleanedKeys are the keys of cloudKeys for a name with something to
// clean or normalize.
func cleanedKeys(filename string) []string {
	var keys []string
	add := func(k string) {
		if k != "" && !contains(keys, k) {
			keys = append(keys, k)
		}
	}
	stem, _ := splitExt(filename)
	add(fold(stem))
	cleaned := icloudpdClean(filename)
	add(fold(pyStem(cleaned)))
	add(fold(pyStem(dropNonASCII(cleaned))))
	add(fold(pyStem(dropNonASCII(norm.NFC.String(cleaned)))))
	return keys
}

// plainName: name is ASCII without a character icloudpdClean replaces.
func plainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf || c == 0 || strings.IndexByte(`<>:"/\|?*`, c) >= 0 {
			return false
		}
	}
	return true
}

// icloudpdClean replaces the characters icloudpd's clean_filename replaces.
func icloudpdClean(name string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("<>:\"/\\|?*\x00", r) {
			return '_'
		}
		return r
	}, name)
}

// dropNonASCII is icloudpd's remove_unicode_chars: encode to UTF-8, decode
// as ASCII ignoring errors, which drops every non-ASCII character.
func dropNonASCII(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= utf8.RuneSelf {
			return -1
		}
		return r
	}, name)
}

// pyStem is the root of Python's os.path.splitext for a base name: the
// part before the last dot, unless only dots precede it (".JPG" has no
// extension and is its own root).
func pyStem(name string) string {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || strings.Trim(name[:dot], ".") == "" {
		return name
	}
	return name[:dot]
}

func cleanID(id string) string {
	if len(id) > 12 {
		id = id[:12]
	}
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, id)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nameTime reads a capture time written into a name, as PhotoPrism
// (20131012_155750_4286DBCD), Android and Pixel phones (IMG_20230615_123456,
// PXL_20230615_123456789) do. The result is a wall clock in UTC fields.
func nameTime(stem string) (time.Time, bool) {
	for i := 0; i+15 <= len(stem); i++ {
		if i > 0 && isDigit(stem[i-1]) {
			continue
		}
		s := stem[i:]
		if !allDigits(s[:8]) || (s[8] != '_' && s[8] != '-') || !allDigits(s[9:15]) {
			continue
		}
		t, err := time.Parse("20060102150405", s[:8]+s[9:15])
		if err == nil && validTime(t) {
			return t, true
		}
	}
	return time.Time{}, false
}

// dirDay reads a date from the folder path: icloudpd 2023/06/15, Immich
// 2023/2023-06-15, Mac exports "2023-06-15 …". Days since the Unix epoch.
// It runs for every directory a match looks at (80 000 at a million
// files), so it walks the path in place instead of splitting it.
func dirDay(rel string) (int32, bool) {
	for rest := rel; ; {
		p, after, more := strings.Cut(rest, "/")
		if len(p) >= 10 && p[4] == '-' && p[7] == '-' {
			if d, ok := ymd(p[0:4], p[5:7], p[8:10]); ok {
				return d, true
			}
		}
		if len(p) == 4 && allDigits(p) {
			mm, after2, ok2 := strings.Cut(after, "/")
			dd, _, _ := strings.Cut(after2, "/")
			if ok2 && len(mm) == 2 && len(dd) == 2 {
				if d, ok := ymd(p, mm, dd); ok {
					return d, true
				}
			}
		}
		if !more {
			return 0, false
		}
		rest = after
	}
}

// ymd is the day of year y, month m, day d, each all digits (4, 2 and 2),
// when that date exists (what time.Parse with 2006-01-02 accepts).
func ymd(y, m, d string) (int32, bool) {
	if !allDigits(y) || !allDigits(m) || !allDigits(d) {
		return 0, false
	}
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	if mi < 1 || mi > 12 || di < 1 {
		return 0, false
	}
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if t.Day() != di {
		return 0, false // 30 February and the like
	}
	return dayOf(t), true
}

func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) } //nolint:gosec // dates are validTime-bounded

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// id7 is icloudpd's name-id7 suffix: the first 7 characters of the base64
// of the master record name, folded like local names.
func id7(masterID string) string {
	if masterID == "" {
		return ""
	}
	enc := base64.StdEncoding.EncodeToString([]byte(masterID))
	if len(enc) < 7 {
		return ""
	}
	return fold(enc[:7])
}

// photoprismName reports whether stem is PhotoPrism's canonical name,
// YYYYMMDD_HHMMSS_ and the CRC32 of the file in 8 hex digits
// (pkg/fs/canonical.go), possibly followed by the ".00001" counter its
// import adds on a clash (internal/photoprism/import.go).
func photoprismName(stem string) bool {
	if len(stem) < 24 || (len(stem) > 24 && stem[24] != '.') {
		return false
	}
	if !allDigits(stem[:8]) || stem[8] != '_' || !allDigits(stem[9:15]) || stem[15] != '_' {
		return false
	}
	for i := 16; i < 24; i++ {
		c := stem[i]
		if !isDigit(c) && (c < 'A' || c > 'F') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
