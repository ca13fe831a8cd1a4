package localindex

import (
	"bytes"
	"encoding/binary"
	"errors"
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

// direntScratch is the reusable memory of one directory read: the getdents64
// buffer, and the names of the regular files of one answer, gathered so
// that they become one string (one allocation per answer instead of one
// per file).
type direntScratch struct {
	buf   []byte
	names []byte
	ends  []nameEnd
}

// nameEnd: the file at d.files[idx] is named by names[previous end:end].
type nameEnd struct{ idx, end int }

var direntBufs = sync.Pool{New: func() any { return &direntScratch{buf: make([]byte, direntBufSize)} }}

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
	sc := direntBufs.Get().(*direntScratch)
	defer direntBufs.Put(sc)
	buf := sc.buf
	dirPath := f.Name()
	var rerr error
	cerr := rc.Control(func(fd uintptr) {
		for {
			n, err := unix.Getdents(int(fd), buf)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				rerr = &os.PathError{Op: "readdirent", Path: dirPath, Err: err}
				return
			}
			if n <= 0 {
				return
			}
			w.dirents(d, int(fd), dirPath, buf[:n], sc, t)
		}
	})
	if cerr != nil {
		return cerr
	}
	return rerr
}

// dirents handles one getdents64 answer. A regular file is stat'ed by
// the NUL-terminated name in the answer itself (no path, no copy), and
// the names of the files that are kept are copied into one string for the
// whole answer. They are substrings of it: they live as long as the
// directory's files are in memory (until its rows are saved), so a name
// that is kept longer (the summary's newest file) is cloned.
func (w *walker) dirents(d *dirState, fd int, dirPath string, buf []byte, sc *direntScratch, t *tally) {
	if d.files == nil {
		d.files = make([]fileEntry, 0, records(buf)) // most entries are files: one allocation
	}
	sc.names, sc.ends = sc.names[:0], sc.ends[:0]
	for len(buf) >= direntNameOff {
		reclen := int(binary.NativeEndian.Uint16(buf[direntReclenOff:]))
		if reclen < direntNameOff || reclen > len(buf) {
			break // a malformed record: stop rather than read garbage
		}
		rec := buf[:reclen]
		buf = buf[reclen:]
		if binary.NativeEndian.Uint64(rec[direntInoOff:]) == 0 {
			continue // a deleted entry
		}
		raw := rec[direntNameOff:]
		nul := bytes.IndexByte(raw, 0)
		if nul < 0 {
			continue // no terminating NUL: not a name fstatat can take
		}
		raw = raw[:nul]
		if string(raw) == "." || string(raw) == ".." {
			continue
		}
		if w.ix.ign.skipBytes(d.rel, raw) {
			continue
		}
		switch rec[direntTypeOff] {
		case unix.DT_DIR:
			d.subdirs = append(d.subdirs, string(raw))
		case unix.DT_LNK:
			w.symlink(d, string(raw), t)
		case unix.DT_REG, unix.DT_UNKNOWN:
			var st unix.Stat_t
			if err := fstatatNUL(fd, &rec[direntNameOff], &st); err != nil {
				t.fail(path.Join(d.rel, string(raw)), "stat", &os.PathError{Op: "stat", Path: filepath.Join(dirPath, string(raw)), Err: err})
				continue
			}
			es := entryStat{size: st.Size, mtime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), mode: modeType(st.Mode)} //nolint:unconvert // Mtim fields are int32 on 32-bit platforms
			if !es.mode.IsRegular() {
				w.add(d, string(raw), es, t) // DT_UNKNOWN: a directory, link or other type
				continue
			}
			t.statted++
			d.files = append(d.files, fileEntry{size: es.size, mtime: es.mtime})
			sc.names = append(sc.names, raw...)
			sc.ends = append(sc.ends, nameEnd{idx: len(d.files) - 1, end: len(sc.names)})
		}
	}
	if len(sc.ends) == 0 {
		return
	}
	all, start := string(sc.names), 0
	for _, e := range sc.ends {
		d.files[e.idx].name = all[start:e.end]
		start = e.end
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

// statDir stats the path in abs, which ends with a NUL byte that is not
// part of it, following symlinks: os.Stat without the allocations of its
// path copy and FileInfo, as the warm rescan stats every directory.
func statDir(abs []byte) (dirStat, error) {
	var st unix.Stat_t
	for {
		err := statNUL(&abs[0], &st)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return dirStat{}, &os.PathError{Op: "stat", Path: string(abs[:len(abs)-1]), Err: err}
		}
		break
	}
	return dirStat{
		mtime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), //nolint:unconvert // Mtim fields are int32 on 32-bit platforms
		id:    fileID{dev: uint64(st.Dev), ino: st.Ino},     //nolint:unconvert // Dev is uint32 on some platforms
		hasID: true,
		isDir: st.Mode&unix.S_IFMT == unix.S_IFDIR,
	}, nil
}
