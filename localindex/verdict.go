package localindex

import "github.com/icloudmon/icloudmon/photo"

// Verdict is the match as the checks judge it: the confidence, the local
// path and the parts the folder lacks. When only the edited rendition was
// found, the asset counts as found (with the edit's confidence and path)
// and PartOriginal is missing; what that means for a folder that is meant
// to hold edits is for the checks to decide.
func (m Match) Verdict() photo.Match {
	out := photo.Match{AssetID: m.AssetID, Confidence: m.Confidence}
	if out.Confidence == "" {
		out.Confidence = photo.ConfidenceNone
	}
	if m.File != nil {
		out.LocalPath = m.File.Path
	}
	if m.LiveVideoMissing {
		out.MissingParts = append(out.MissingParts, photo.PartLiveVideo)
	}
	if m.File == nil && m.Edited != nil {
		out.Confidence, out.LocalPath = m.Edited.Confidence, m.Edited.Path
		out.MissingParts = append(out.MissingParts, photo.PartOriginal)
	}
	if m.File != nil && m.EditedMissing {
		out.MissingParts = append(out.MissingParts, photo.PartEdited)
	}
	return out
}
