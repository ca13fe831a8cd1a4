package localindex

import (
	"io/fs"
	"os"
	"path/filepath"
)

// fileID identifies a directory (device and inode) for loop detection.
type fileID struct{ dev, ino uint64 }

// entryStat is what the scan needs of a directory entry.
type entryStat struct {
	size, mtime int64       // mtime in unix nanoseconds
	mode        fs.FileMode // type bits only
}

// statFunc stats a name in the directory being listed, without following
// symlinks.
type statFunc func(name string) (entryStat, error)

// lstatIn returns a statFunc using os.Lstat on paths inside dir.
func lstatIn(dir string) statFunc {
	return func(name string) (entryStat, error) {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return entryStat{}, err
		}
		return entryStat{size: fi.Size(), mtime: fi.ModTime().UnixNano(), mode: fi.Mode().Type()}, nil
	}
}
