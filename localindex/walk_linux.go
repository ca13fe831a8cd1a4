package localindex

import (
	"encoding/binary"
	"os"
	"path"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// direntBufSize is the getdents64 buffer of one directory read: 32 KiB, as
// glibc's readdir (and so find(1)) uses; a directory of a few hundred
// entries is read in one call.
const direntBufSize = 32 << 10

var direntBufs = sync.Pool{New: func() any { b := make([]byte, direntBufSize); return &b }}

// Offsets in struct linux_dirent64 (man 2 getdents): d_ino u64, d_off s64,
// d_reclen u16, d_type u8, d_name NUL-terminated.
const (
	direntInoOff    = 0
	direntReclenOff = 16
	direntTypeOff   = 18
	direntNameOff   = 19
)

// readDir adds the entries of the open directory f to d. The entry types
// come with the names from getdents64 (d_type), so only what the index
// needs is stat'ed: regular files (size and mtime) with one fstatat each,
// relative to the open directory. Subdirectories are stat'ed once when
// they are entered (child), symlinks are followed (symlink), and other
// types (sockets, FIFOs, devices) are skipped without a syscall. A file
// system that does not fill in d_type (DT_UNKNOWN) gets an fstatat per
// entry, as before.
func (w *walker) readDir(d *dirState, f *os.File, t *tally) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	dirPath := f.Name()
	var rerr error
	cerr := rc.Control(func(fd uintptr) {
		for {
			n, err := unix.Getdents(int(fd), buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				rerr = &os.PathError{Op: "readdirent", Path: dirPath, Err: err}
				return
			}
			if n <= 0 {
				return
			}
			w.dirents(d, int(fd), dirPath, buf[:n], t)
		}
	})
	if cerr != nil {
		return cerr
	}
	return rerr
}

// dirents handles one getdents64 answer.
func (w *walker) dirents(d *dirState, fd int, dirPath string, buf []byte, t *tally) {
	if d.files == nil {
		d.files = make([]fileEntry, 0, records(buf)) // most entries are files: one allocation
	}
	for len(buf) >= direntNameOff {
		reclen := int(binary.NativeEndian.Uint16(buf[direntReclenOff:]))
		if reclen < direntNameOff || reclen > len(buf) {
			return // a malformed record: stop rather than read garbage
		}
		rec := buf[:reclen]
		buf = buf[reclen:]
		if binary.NativeEndian.Uint64(rec[direntInoOff:]) == 0 {
			continue // a deleted entry
		}
		raw := rec[direntNameOff:]
		for i, c := range raw {
			if c == 0 {
				raw = raw[:i]
				break
			}
		}
		if string(raw) == "." || string(raw) == ".." {
			continue
		}
		name := string(raw)
		if w.ix.ign.skip(d.rel, name) {
			continue
		}
		switch rec[direntTypeOff] {
		case unix.DT_DIR:
			d.subdirs = append(d.subdirs, name)
		case unix.DT_LNK:
			w.symlink(d, name, t)
		case unix.DT_REG, unix.DT_UNKNOWN:
			st, err := fstatat(fd, dirPath, name)
			if err != nil {
				t.fail(path.Join(d.rel, name), "stat", err)
				continue
			}
			w.add(d, name, st, t)
		}
	}
}

// records counts the records of a getdents64 answer.
func records(buf []byte) int {
	n := 0
	for len(buf) >= direntNameOff {
		reclen := int(binary.NativeEndian.Uint16(buf[direntReclenOff:]))
		if reclen < direntNameOff || reclen > len(buf) {
			break
		}
		buf = buf[reclen:]
		n++
	}
	return n
}

// fstatat lstats name inside the open directory fd.
func fstatat(fd int, dirPath, name string) (entryStat, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return entryStat{}, &os.PathError{Op: "stat", Path: filepath.Join(dirPath, name), Err: err}
	}
	return entryStat{size: st.Size, mtime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), mode: modeType(st.Mode)}, nil //nolint:unconvert // Mtim fields are int32 on 32-bit platforms
}
