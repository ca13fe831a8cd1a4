package photo

// Confidence is how sure the matcher is that a local file is the asset. It
// is a string because report JSON shows it ("confidence": "likely"); the
// empty value is treated as ConfidenceNone.
type Confidence string

// Match confidences, weakest first (design §2 step 4).
const (
	ConfidenceNone     Confidence = "none"     // no local file found
	ConfidencePossible Confidence = "possible" // same capture time and kind, any name
	ConfidenceLikely   Confidence = "likely"   // same name stem, capture time within tolerance
	ConfidenceCertain  Confidence = "certain"  // same original name and size
)

// Present reports whether c counts as "a local copy exists" (possible,
// likely or certain).
func (c Confidence) Present() bool { return c.Rank() > 0 }

// Rank orders confidences: 0 for none (and the empty or an unknown value),
// then 1 possible, 2 likely, 3 certain.
func (c Confidence) Rank() int {
	switch c {
	case ConfidencePossible:
		return 1
	case ConfidenceLikely:
		return 2
	case ConfidenceCertain:
		return 3
	}
	return 0
}

// Match is the matcher's verdict for one cloud asset in one folder. It is
// keyed by AssetID, never by its position in a list.
type Match struct {
	// AssetID is Asset.ID of the cloud asset.
	AssetID string
	// Confidence of the best local candidate; ConfidenceNone if none.
	Confidence Confidence
	// MissingParts lists parts of the asset absent locally even though a
	// candidate was found (e.g. PartLiveVideo when only the still is there,
	// PartOriginal when only the IMG_E edit is there). Empty means every
	// part the matcher looked for is present.
	MissingParts []Part
	// LocalPath is the matched file relative to the folder; "" if none.
	LocalPath string
}
