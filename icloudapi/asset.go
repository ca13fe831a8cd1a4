package icloudapi

import (
	"strings"
	"time"
)

// Kind is what an asset is, as far as matching a local copy goes.
type Kind string

// Asset kinds. A RAW photo is KindPhoto with Asset.RAW set; a screenshot is
// KindPhoto with Asset.Screenshot set.
const (
	KindPhoto     Kind = "photo"
	KindVideo     Kind = "video"
	KindLivePhoto Kind = "live_photo"
	KindOther     Kind = "other" // unknown UTI and no photo/video hint; kept, not dropped
)

// FilenameSource says where Asset.Filename came from.
type FilenameSource string

// Filename sources. FilenameFallback means the master carried no name: the
// name is icloudpd's fallback (first 12 characters of the master id with
// non-alphanumerics replaced by "_", plus the extension of the UTI), which is
// also what icloudpd writes to disk for such assets.
const (
	FilenameEncoded  FilenameSource = "encrypted_bytes"
	FilenameString   FilenameSource = "string"
	FilenameFallback FilenameSource = "fallback"
	FilenameMissing  FilenameSource = ""
)

// Resource is one stored file of an asset other than the original: a Live
// Photo's video, the second original of a RAW+JPEG pair, or a rendered edit.
type Resource struct {
	UTI  string `json:"uti"`
	Size int64  `json:"size"` // bytes; -1 when iCloud did not say
}

// Asset is one library entry (a CPLAsset paired with its CPLMaster).
type Asset struct {
	ID             string         `json:"id"`        // CPLAsset recordName
	MasterID       string         `json:"master_id"` // CPLMaster recordName (content fingerprint; same in every zone)
	Library        string         `json:"library"`   // zone name: PrimarySync or SharedSync-…
	Filename       string         `json:"filename"`
	FilenameSource FilenameSource `json:"filename_source"`
	Size           int64          `json:"size"` // bytes of the original; -1 when unknown
	UTI            string         `json:"uti"`  // of the original, kept even when unknown to us
	Kind           Kind           `json:"kind"`
	RAW            bool           `json:"raw,omitempty"`
	Screenshot     bool           `json:"screenshot,omitempty"`
	Burst          bool           `json:"burst,omitempty"`
	LiveVideo      *Resource      `json:"live_video,omitempty"`  // Live Photo video
	Alternative    *Resource      `json:"alternative,omitempty"` // RAW+JPEG: the other original
	Edited         *Resource      `json:"edited,omitempty"`      // rendered edit (type may be HEIC despite the field name)
	AdjustmentType string         `json:"adjustment_type,omitempty"`
	Width          int            `json:"width,omitempty"`
	Height         int            `json:"height,omitempty"`
	Added          time.Time      `json:"added"`               // entered the iCloud library
	Taken          time.Time      `json:"taken,omitzero"`      // capture time (UTC instant)
	TZOffset       *int           `json:"tz_offset,omitempty"` // seconds east of UTC at capture; nil when unknown
	Hidden         bool           `json:"hidden,omitempty"`
	Favorite       bool           `json:"favorite,omitempty"`
	Deleted        bool           `json:"deleted,omitempty"` // in Recently Deleted
	Purge          time.Time      `json:"purge,omitzero"`    // when Recently Deleted purges it; zero when iCloud sent null
}

// TakenLocal is the capture time on the wall clock where it was taken
// (assetDate + timeZoneOffset). Without an offset it is the UTC instant.
func (a Asset) TakenLocal() time.Time {
	if a.TZOffset == nil {
		return a.Taken
	}
	return a.Taken.In(time.FixedZone("", *a.TZOffset))
}

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
