package photo

import "time"

// Kind is what an asset is, as far as matching a local copy goes. The
// values are stored (the saved Photos snapshot), so they never change.
type Kind string

// Asset kinds. A RAW photo is KindPhoto with Asset.RAW set; a screenshot is
// KindPhoto with Asset.Screenshot set.
const (
	KindPhoto     Kind = "photo"
	KindVideo     Kind = "video"
	KindLivePhoto Kind = "live_photo" // a still plus a short video part (Asset.LiveVideo)
	KindOther     Kind = "other"      // unknown UTI and no photo/video hint; kept, not dropped
)

// Part names a component of an asset that a local copy may lack. The
// values appear in report JSON (missing_parts), so they never change.
type Part string

// Asset parts.
const (
	PartOriginal  Part = "original"   // the original file
	PartLiveVideo Part = "live_video" // the video half of a Live Photo
	PartEdited    Part = "edited"     // the rendered edit
	PartAlternate Part = "alternate"  // second original of a RAW+JPEG pair
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

// Asset is one photo library entry as iCloud describes it (a CPLAsset
// paired with its CPLMaster). The JSON form is the saved Photos snapshot's.
type Asset struct {
	ID             string         `json:"id"`        // CPLAsset recordName; unique within the account, keys Match
	MasterID       string         `json:"master_id"` // CPLMaster recordName (content fingerprint; same in every zone)
	Library        string         `json:"library"`   // zone name: PrimarySync or SharedSync-…
	Filename       string         `json:"filename"`  // original file name (IMG_4012.HEIC); may be a fallback
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
	Added          time.Time      `json:"added"`               // entered the iCloud library (server time)
	Taken          time.Time      `json:"taken,omitzero"`      // capture instant (assetDate)
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

// Offset is the capture time zone east of UTC, and whether iCloud stated it.
func (a Asset) Offset() (time.Duration, bool) {
	if a.TZOffset == nil {
		return 0, false
	}
	return time.Duration(*a.TZOffset) * time.Second, true
}

// PartSize is the size in bytes of part p: 0 when the asset has no such
// part or iCloud did not state its size.
func (a Asset) PartSize(p Part) int64 {
	var r *Resource
	switch p {
	case PartOriginal:
		return max(a.Size, 0)
	case PartLiveVideo:
		r = a.LiveVideo
	case PartEdited:
		r = a.Edited
	case PartAlternate:
		r = a.Alternative
	}
	if r == nil {
		return 0
	}
	return max(r.Size, 0)
}
