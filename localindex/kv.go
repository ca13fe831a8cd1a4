package localindex

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// KV is the persistence this package needs. Its method signatures are those
// of store.DB, so a *store.DB satisfies it without an adapter. The index of
// a folder is kept as one row per directory (see rows.go): EachRow streams
// them, WriteRows replaces the rows of changed directories in one
// transaction.
type KV interface {
	Get(ctx context.Context, ns, key string) (val []byte, ok bool, err error)
	Put(ctx context.Context, ns, key string, val []byte) error
	// EachRow calls fn for every key of ns starting with prefix, in key
	// order; val is only valid during the call.
	EachRow(ctx context.Context, ns, prefix string, fn func(key string, val []byte) error) error
	// WriteRows stores vals[i] under keys[i] in one transaction (all or
	// none); a nil vals[i] deletes keys[i].
	WriteRows(ctx context.Context, ns string, keys []string, vals [][]byte) error
}

// kvNamespace is the namespace of the folder indexes of format LIX2 (one
// blob per folder, key = folder path); an index found there is migrated to
// rows on Open.
const kvNamespace = "localindex"

// MemKV is an in-memory KV for tests and for runs without a data directory.
type MemKV struct {
	mu      sync.Mutex
	data    map[string][]byte
	puts    int
	written int64
}

// NewMemKV returns an empty in-memory KV.
func NewMemKV() *MemKV { return &MemKV{data: map[string][]byte{}} }

// Get returns a copy of the value stored under ns/key.
func (m *MemKV) Get(_ context.Context, ns, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[ns+"\x00"+key]
	if !ok {
		return nil, false, nil
	}
	return append([]byte(nil), v...), true, nil
}

// Put stores a copy of val under ns/key.
func (m *MemKV) Put(_ context.Context, ns, key string, val []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(ns, key, val)
	return nil
}

func (m *MemKV) put(ns, key string, val []byte) {
	m.puts++
	m.written += int64(len(key) + len(val))
	if val == nil {
		delete(m.data, ns+"\x00"+key)
		return
	}
	m.data[ns+"\x00"+key] = append([]byte{}, val...)
}

// EachRow calls fn for the keys of ns that start with prefix, in order.
func (m *MemKV) EachRow(_ context.Context, ns, prefix string, fn func(key string, val []byte) error) error {
	m.mu.Lock()
	full := ns + "\x00" + prefix
	var keys []string
	for k := range m.data {
		if strings.HasPrefix(k, full) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		vals[i] = append([]byte{}, m.data[k]...)
	}
	m.mu.Unlock()
	for i, k := range keys {
		if err := fn(k[len(ns)+1:], vals[i]); err != nil {
			return err
		}
	}
	return nil
}

// WriteRows applies the writes and deletes at once.
func (m *MemKV) WriteRows(_ context.Context, ns string, keys []string, vals [][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, k := range keys {
		m.put(ns, k, vals[i])
	}
	return nil
}

// Puts reports how many rows were written or deleted (tests use it to check
// that an unchanged folder is not rewritten).
func (m *MemKV) Puts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts
}

// BytesWritten reports the bytes of keys and values written so far (tests
// use it to check that a small change writes little).
func (m *MemKV) BytesWritten() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.written
}
