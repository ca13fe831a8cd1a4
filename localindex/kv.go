package localindex

import (
	"context"
	"sync"
)

// KV is the persistence this package needs. Its method signatures are those
// of store.DB, so a *store.DB satisfies it without an adapter.
type KV interface {
	Get(ctx context.Context, ns, key string) (val []byte, ok bool, err error)
	Put(ctx context.Context, ns, key string, val []byte) error
}

// kvNamespace is the namespace under which folder indexes are stored.
const kvNamespace = "localindex"

// MemKV is an in-memory KV for tests and for runs without a data directory.
type MemKV struct {
	mu   sync.Mutex
	data map[string][]byte
	puts int
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
	m.data[ns+"\x00"+key] = append([]byte(nil), val...)
	m.puts++
	return nil
}

// Puts reports how many Put calls were made (tests use it to check that an
// unchanged folder is not rewritten).
func (m *MemKV) Puts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts
}
