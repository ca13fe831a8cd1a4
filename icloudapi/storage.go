package icloudapi

import (
	"context"
	"encoding/json"
)

// StorageUsage is the account's iCloud storage (setup storageUsageInfo).
type StorageUsage struct {
	Used       int64        `json:"used_bytes"`
	Total      int64        `json:"total_bytes"`
	OverQuota  bool         `json:"over_quota,omitempty"`
	AlmostFull bool         `json:"almost_full,omitempty"`
	ByMedia    []MediaUsage `json:"by_media,omitempty"`
}

// MediaUsage is the usage of one category (photos, backup, docs, mail, …).
type MediaUsage struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	Bytes int64  `json:"bytes"`
}

// FreeRatio is the free share of the total, 0 when the total is unknown.
func (s StorageUsage) FreeRatio() float64 {
	if s.Total <= 0 {
		return 0
	}
	free := s.Total - s.Used
	if free < 0 {
		free = 0
	}
	return float64(free) / float64(s.Total)
}

type storageResponse struct {
	Info *struct {
		Used  json.RawMessage `json:"usedStorageInBytes"`
		Total json.RawMessage `json:"totalStorageInBytes"`
	} `json:"storageUsageInfo"`
	ByMedia []struct {
		Key   string          `json:"mediaKey"`
		Label string          `json:"displayLabel"`
		Bytes json.RawMessage `json:"usageInBytes"`
	} `json:"storageUsageByMedia"`
	Quota struct {
		OverQuota  bool `json:"overQuota"`
		AlmostFull bool `json:"almost-full"`
	} `json:"quotaStatus"`
}

// storage POSTs storageUsageInfo on the account's setup host.
func (r *photosReader) storage(ctx context.Context) (*StorageUsage, error) {
	base, err := r.c.webservice("account")
	if err != nil {
		return nil, err
	}
	raw, err := r.postRaw(ctx, "storage", base+"/setup/ws/1/storageUsageInfo", nil)
	if err != nil {
		return nil, err
	}
	return decodeStorage(raw)
}

func decodeStorage(raw []byte) (*StorageUsage, error) {
	var r storageResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, newError(ErrProtocol, "storage", 0, "iCloud storage answered in an unexpected format: "+err.Error())
	}
	if r.Info == nil {
		return nil, newError(ErrProtocol, "storage", 0, "iCloud storage answer has no storageUsageInfo")
	}
	used, okU := rawInt(r.Info.Used)
	total, okT := rawInt(r.Info.Total)
	if !okU || !okT || total <= 0 || used < 0 {
		return nil, newError(ErrProtocol, "storage", 0, "iCloud storage answer has no usable used/total bytes")
	}
	s := &StorageUsage{Used: used, Total: total, OverQuota: r.Quota.OverQuota, AlmostFull: r.Quota.AlmostFull}
	for _, m := range r.ByMedia {
		n, _ := rawInt(m.Bytes)
		s.ByMedia = append(s.ByMedia, MediaUsage{Key: m.Key, Label: m.Label, Bytes: n})
	}
	return s, nil
}
