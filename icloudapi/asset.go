package icloudapi

import (
	"strings"

	"github.com/icloudmon/icloudmon/photo"
)

// Extension is the usual file extension (upper case, no dot) for a UTI, or
// "" when the UTI is unknown.
func Extension(uti string) string {
	return utiInfo[uti].ext
}

type utiKind struct {
	ext   string
	kind  photo.Kind
	isRAW bool
}

// utiInfo lists the UTIs seen in iCloud Photos (icloudpd photos.py
// ITEM_TYPES and asset_version.py; icloud-photos-sync file-type.ts).
var utiInfo = map[string]utiKind{
	"public.heic":                 {"HEIC", photo.KindPhoto, false},
	"public.heif":                 {"HEIF", photo.KindPhoto, false},
	"public.jpeg":                 {"JPG", photo.KindPhoto, false},
	"public.png":                  {"PNG", photo.KindPhoto, false},
	"public.tiff":                 {"TIFF", photo.KindPhoto, false},
	"com.compuserve.gif":          {"GIF", photo.KindPhoto, false},
	"org.webmproject.webp":        {"WEBP", photo.KindPhoto, false},
	"public.avif":                 {"AVIF", photo.KindPhoto, false},
	"public.jpeg-xl":              {"JXL", photo.KindPhoto, false},
	"public.mpo-image":            {"MPO", photo.KindPhoto, false},
	"com.apple.quicktime-movie":   {"MOV", photo.KindVideo, false},
	"public.mpeg-4":               {"MP4", photo.KindVideo, false},
	"com.apple.m4v-video":         {"M4V", photo.KindVideo, false},
	"public.3gpp":                 {"3GP", photo.KindVideo, false},
	"public.avi":                  {"AVI", photo.KindVideo, false},
	"public.mpeg":                 {"MPG", photo.KindVideo, false},
	"com.adobe.raw-image":         {"DNG", photo.KindPhoto, true},
	"com.canon.cr2-raw-image":     {"CR2", photo.KindPhoto, true},
	"com.canon.cr3-raw-image":     {"CR3", photo.KindPhoto, true},
	"com.canon.crw-raw-image":     {"CRW", photo.KindPhoto, true},
	"com.sony.arw-raw-image":      {"ARW", photo.KindPhoto, true},
	"com.fuji.raw-image":          {"RAF", photo.KindPhoto, true},
	"com.panasonic.rw2-raw-image": {"RW2", photo.KindPhoto, true},
	"com.nikon.nrw-raw-image":     {"NRW", photo.KindPhoto, true},
	"com.nikon.raw-image":         {"NEF", photo.KindPhoto, true},
	"com.pentax.raw-image":        {"PEF", photo.KindPhoto, true},
	"com.olympus.raw-image":       {"ORF", photo.KindPhoto, true},
	"com.olympus.or-raw-image":    {"ORF", photo.KindPhoto, true},
}

// isRAWUTI reports a RAW image type, including RAW UTIs not in the table.
func isRAWUTI(uti string) bool {
	return utiInfo[uti].isRAW || strings.Contains(uti, "raw-image")
}

// kindOf decides photo or video from the UTI, then from dataClassType
// (1 photo, 2 video in every recorded response).
func kindOf(uti string, dataClass int64, hasClass bool) photo.Kind {
	if k := utiInfo[uti].kind; k != "" {
		return k
	}
	switch {
	case isRAWUTI(uti), strings.HasPrefix(uti, "public.") && strings.Contains(uti, "image"):
		return photo.KindPhoto
	case strings.Contains(uti, "movie"), strings.Contains(uti, "video"):
		return photo.KindVideo
	case hasClass && dataClass == 1:
		return photo.KindPhoto
	case hasClass && dataClass == 2:
		return photo.KindVideo
	}
	return photo.KindOther
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
