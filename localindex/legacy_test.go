package localindex

import (
	"bytes"
	"sort"
)

// encodeIndex writes the LIX2 blob exactly as icloudmon did before issue 25
// (its save), so that tests can give Open an index of the old format.
func encodeIndex(dirs map[string]*dirState, st persisted) []byte {
	var b bytes.Buffer
	b.Grow(encodedSize(dirs))
	b.WriteString(indexMagic)
	e := encoder{b: &b}
	e.int(st.lastScan)
	e.int(int64(st.lastFiles))
	e.int(int64(st.baseline))
	keys := make([]string, 0, len(dirs))
	for k := range dirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.int(int64(len(keys)))
	for _, k := range keys {
		e.dir(dirs[k])
	}
	return b.Bytes()
}

// encodedSize estimates the blob size, so the buffer grows once.
func encodedSize(dirs map[string]*dirState) int {
	n := 64
	for _, d := range dirs {
		n += len(d.rel) + 24 + 8*(len(d.subdirs)+len(d.links))
		for i := range d.files {
			n += len(d.files[i].name) + 24
		}
	}
	return n
}
