package icloudapi

import (
	"strings"

	"github.com/icloudmon/icloudmon/photo"
)

// The asset vocabulary lives in package photo, shared with localindex and
// checks. These names are aliases of it, kept so that code written against
// icloudapi.Asset (tests, branches being merged) still compiles; new code
// uses the photo names.
type (
	Asset          = photo.Asset
	Kind           = photo.Kind
	Resource       = photo.Resource
	FilenameSource = photo.FilenameSource
)

// Asset kinds and filename sources (see package photo).
const (
	KindPhoto     = photo.KindPhoto
	KindVideo     = photo.KindVideo
	KindLivePhoto = photo.KindLivePhoto
	KindOther     = photo.KindOther

	FilenameEncoded  = photo.FilenameEncoded
	FilenameString   = photo.FilenameString
	FilenameFallback = photo.FilenameFallback
	FilenameMissing  = photo.FilenameMissing
)

// Extension is the usual file extension (upper case, no dot) for a UTI, or
// "" when the UTI is unknown.
func Extension(uti string) string {
	return utiInfo[uti].ext
}

type utiKind struct {
	ext   string
	kind  Kind
	isRAW bool
}

// utiInfo lists the UTIs seen in iCloud Photos (icloudpd photos.py
// ITEM_TYPES and asset_version.py; icloud-photos-sync file-type.ts).
var utiInfo = map[string]utiKind{
	"public.heic":                 {"HEIC", KindPhoto, false},
	"public.heif":                 {"HEIF", KindPhoto, false},
	"public.jpeg":                 {"JPG", KindPhoto, false},
	"public.png":                  {"PNG", KindPhoto, false},
	"public.tiff":                 {"TIFF", KindPhoto, false},
	"com.compuserve.gif":          {"GIF", KindPhoto, false},
	"org.webmproject.webp":        {"WEBP", KindPhoto, false},
	"public.avif":                 {"AVIF", KindPhoto, false},
	"public.jpeg-xl":              {"JXL", KindPhoto, false},
	"public.mpo-image":            {"MPO", KindPhoto, false},
	"com.apple.quicktime-movie":   {"MOV", KindVideo, false},
	"public.mpeg-4":               {"MP4", KindVideo, false},
	"com.apple.m4v-video":         {"M4V", KindVideo, false},
	"public.3gpp":                 {"3GP", KindVideo, false},
	"public.avi":                  {"AVI", KindVideo, false},
	"public.mpeg":                 {"MPG", KindVideo, false},
	"com.adobe.raw-image":         {"DNG", KindPhoto, true},
	"com.canon.cr2-raw-image":     {"CR2", KindPhoto, true},
	"com.canon.cr3-raw-image":     {"CR3", KindPhoto, true},
	"com.canon.crw-raw-image":     {"CRW", KindPhoto, true},
	"com.sony.arw-raw-image":      {"ARW", KindPhoto, true},
	"com.fuji.raw-image":          {"RAF", KindPhoto, true},
	"com.panasonic.rw2-raw-image": {"RW2", KindPhoto, true},
	"com.nikon.nrw-raw-image":     {"NRW", KindPhoto, true},
	"com.nikon.raw-image":         {"NEF", KindPhoto, true},
	"com.pentax.raw-image":        {"PEF", KindPhoto, true},
	"com.olympus.raw-image":       {"ORF", KindPhoto, true},
	"com.olympus.or-raw-image":    {"ORF", KindPhoto, true},
}

// isRAWUTI reports a RAW image type, including RAW UTIs not in the table.
func isRAWUTI(uti string) bool {
	return utiInfo[uti].isRAW || strings.Contains(uti, "raw-image")
}

// kindOf decides photo or video from the UTI, then from dataClassType
// (1 photo, 2 video in every recorded response).
func kindOf(uti string, dataClass int64, hasClass bool) Kind {
	if k := utiInfo[uti].kind; k != "" {
		return k
	}
	switch {
	case isRAWUTI(uti), strings.HasPrefix(uti, "public.") && strings.Contains(uti, "image"):
		return KindPhoto
	case strings.Contains(uti, "movie"), strings.Contains(uti, "video"):
		return KindVideo
	case hasClass && dataClass == 1:
		return KindPhoto
	case hasClass && dataClass == 2:
		return KindVideo
	}
	return KindOther
}

// fallbackFilename is icloudpd's name for a master without filenameEnc.
func fallbackFilename(masterID, uti string) string {
	base := []rune(masterID)
	if len(base) > 12 {
		base = base[:12]
	}
	for i, r := range base {
		if !isAlnum(r) {
			base[i] = '_'
		}
	}
	if ext := Extension(uti); ext != "" {
		return string(base) + "." + ext
	}
	return string(base)
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
