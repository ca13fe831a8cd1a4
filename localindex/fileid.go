package localindex

import "io/fs"

// fileID identifies a directory (device and inode) for loop detection.
type fileID struct{ dev, ino uint64 }

// entryStat is what the scan needs of a directory entry.
type entryStat struct {
	size, mtime int64       // mtime in unix nanoseconds
	mode        fs.FileMode // type bits only
}
