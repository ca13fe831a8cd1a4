package icloudapi

import (
	"context"
	"encoding/json"
	"fmt"
)

// SnapshotKV is the part of the agent's key/value store (store.DB) that
// the snapshot cache uses; *store.DB satisfies it without an adapter.
type SnapshotKV interface {
	Get(ctx context.Context, ns, key string) (val []byte, ok bool, err error)
	Put(ctx context.Context, ns, key string, val []byte) error
}

// snapshotNS is the store namespace of saved Photos snapshots.
const snapshotNS = "icloudapi.photos_snapshot"

// LoadPhotosSnapshot returns the snapshot saved for account, or nil when
// there is none or it was written by an incompatible version. A stored
// value that cannot be read is reported; the caller can go on with nil
// (the next snapshot then reads everything once).
func LoadPhotosSnapshot(ctx context.Context, kv SnapshotKV, account string) (*PhotosSnapshot, error) {
	b, ok, err := kv.Get(ctx, snapshotNS, account)
	if err != nil || !ok {
		return nil, err
	}
	var s PhotosSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("saved iCloud Photos state of %s is unreadable (it will be read again from iCloud): %w", account, err)
	}
	if s.Version != snapshotVersion {
		return nil, nil
	}
	return &s, nil
}

// SavePhotosSnapshot stores s as the Previous of account's next snapshot.
func SavePhotosSnapshot(ctx context.Context, kv SnapshotKV, account string, s *PhotosSnapshot) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode iCloud Photos state: %w", err)
	}
	return kv.Put(ctx, snapshotNS, account, b)
}
