//go:build !unix

package localindex

import "io/fs"

// idOf has no inode numbers to offer here; maxDepth bounds loops instead.
func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }
