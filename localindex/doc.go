// Package localindex keeps an incremental index of the local import folders
// (icloudpd, Windows import, Immich, PhotoPrism, Mac exports, flat folders),
// reads capture times from image and video headers, and matches cloud assets
// against local files with a stated confidence.
//
// Imports: no project package but the shared vocabulary of package photo
// (assets, confidences, verdicts). Persistence goes through a small interface
// this package owns (KV, the Get/Put of store.DB); the store package
// implements it.
//
// # Scanning
//
// Open returns the Index of one folder; Index.Scan refreshes it. A directory
// whose mtime did not change since the last scan is not listed again, and a
// file whose size and mtime did not change keeps its cached capture time. The
// summary of every directory is kept in memory between cycles, so a warm
// rescan costs one stat per directory. The files live on disk, one row per
// directory, and the summaries in rows of up to 32 directories (namespace
// "localindex3:<folder>", format LIX5, rows.go and chunks.go): a changed
// directory rewrites its files row and the one summary row that holds it,
// in one transaction with the folder state. Match streams the rows once per call and builds its lookups
// from the files the call's assets can match (candidates.go). A call that
// read no file header saves its result beside the rows, and a later call
// with the same input over rows that were not written since returns it
// (memo.go: every write of directory rows gives the folder state row a new
// nonce). The earlier formats (LIX2, one blob; LIX3, a summary row per
// directory) are migrated on Open.
//
// Trade-off: a file rewritten in place keeps its directory's mtime, so the
// incremental scan does not notice it; ScanOptions.Full lists everything and
// should run periodically (e.g. daily). Directories changed within two
// seconds of a scan are listed again next time, so a change in the same
// timestamp tick is not lost. Permission errors, dangling links and symlink
// loops are reported per path in ScanResult.Errors, never fatal. Junk
// (DefaultIgnore) and Options.Ignore patterns are skipped.
//
// # Capture times
//
// ReadCapture reads JPEG, HEIC/HEIF, TIFF/DNG/CR2/CR3 EXIF (own bounded
// readers: JPEG segments, BMFF boxes, PNG chunks, two TIFF IFDs), PNG
// eXIf, and MOV/MP4 (com.apple.quicktime.creationdate from moov/meta
// keys+ilst, then mvhd). Every loop of these readers advances and is
// capped, and all reads of one file go through a byte budget
// (Options.MaxHeaderBytes; seeking over image and video data is free) and a
// time limit. The matcher reads headers lazily, only for files the name and
// size rules cannot decide; a sound file without a usable header falls back
// to a time in its name, then to its mtime, and the Capture says which. A
// file whose headers cannot be read within the bounds (damaged, truncated,
// half-written: ErrHeaderUnreadable) gets no time at all: it is matched by
// name and size only, cached as such until it changes, and listed by
// Index.UnreadableHeaders.
//
// # Matching
//
// Index.Match decides, for each photo.Asset, in three passes over all assets
// (so a file matched strongly to one asset is never handed to another):
// certain = same name (icloudpd, Windows, Immich, PhotoPrism, Mac decorations
// removed, case-insensitive, NFC) and same byte size; likely = same name stem
// and capture time within the tolerance; possible = capture time within the
// tolerance and same kind, any name (UUID and PhotoPrism names). Live Photo
// videos and edited renditions are reported beside the original.
package localindex
