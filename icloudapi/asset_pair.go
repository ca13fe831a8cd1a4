package icloudapi

import (
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// Record types of the Photos CloudKit container.
const (
	recMaster = "CPLMaster"
	recAsset  = "CPLAsset"
)

// pairer joins CPLAsset records to their CPLMaster by masterRef across pages:
// a master may arrive on an earlier page than its asset (several assets can
// share one master), and an asset may arrive before its master. Masters are
// remembered for the whole walk; assets wait until their master shows up.
type pairer struct {
	zone     string
	masters  map[string]*ckRecord
	pending  []*ckRecord
	seen     map[string]bool
	out      []photo.Asset
	malformd int // records without the fields needed to use them
}

func newPairer(zone string) *pairer {
	return &pairer{zone: zone, masters: map[string]*ckRecord{}, seen: map[string]bool{}}
}

// add takes one page of records (in any order).
func (p *pairer) add(recs []ckRecord) {
	var assets []*ckRecord
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Deleted || r.RecordName == "":
			// hard-deleted tombstone or nameless record: nothing to pair
		case r.RecordType == recMaster:
			p.masters[r.RecordName] = r
		case r.RecordType == recAsset:
			assets = append(assets, r)
		}
	}
	waiting := p.pending
	p.pending = nil
	for _, a := range append(waiting, assets...) {
		p.pair(a)
	}
}

func (p *pairer) pair(a *ckRecord) {
	ref, ok := a.Fields.MasterRef.ref()
	if !ok {
		p.malformd++
		return
	}
	m := p.masters[ref.RecordName]
	if m == nil {
		p.pending = append(p.pending, a)
		return
	}
	if p.seen[a.RecordName] {
		return // the same index entry again (overlapping pages)
	}
	p.seen[a.RecordName] = true
	p.out = append(p.out, makeAsset(m, a, p.zone))
}

// assets returns the pairs found so far, in index order, and how many asset
// records are still without a master (reported, never invented).
func (p *pairer) assets() ([]photo.Asset, int) {
	return p.out, len(p.pending) + p.malformd
}

// makeAsset builds the model from a master and an asset record.
func makeAsset(m, a *ckRecord, zone string) photo.Asset {
	mf, af := &m.Fields, &a.Fields
	if zone == "" && a.ZoneID != nil {
		zone = a.ZoneID.ZoneName
	}
	x := photo.Asset{ID: a.RecordName, MasterID: m.RecordName, Library: zone}
	x.UTI, _ = mf.ResOriginalFileType.str()
	if x.UTI == "" {
		x.UTI, _ = mf.ItemType.str()
	}
	x.Filename, x.FilenameSource = mf.FilenameEnc.text()
	if x.Filename == "" {
		x.Filename, x.FilenameSource = fallbackFilename(m.RecordName, x.UTI), photo.FilenameFallback
	}
	x.Size = -1
	if _, size, ok := mf.ResOriginalRes.asset(); ok {
		x.Size = size
	}
	class, hasClass := mf.DataClassType.int64()
	x.Kind = kindOf(x.UTI, class, hasClass)
	x.Width, x.Height = intField(mf.ResOriginalWidth), intField(mf.ResOriginalHeight)
	setResources(&x, mf, af)
	setAssetFields(&x, mf, af)
	return x
}

// setResources fills the Live Photo video, the RAW+JPEG alternative and the
// rendered edit (looked up on the asset first, then on the master).
func setResources(x *photo.Asset, mf, af *ckFields) {
	x.LiveVideo = resource(mf.ResOriginalVidComplRes, mf.ResOriginalVidComplFileType)
	if x.LiveVideo != nil && x.Kind == photo.KindPhoto {
		x.Kind = photo.KindLivePhoto
	}
	x.Alternative = resource(mf.ResOriginalAltRes, mf.ResOriginalAltFileType)
	x.RAW = isRAWUTI(x.UTI) || x.Alternative != nil && isRAWUTI(x.Alternative.UTI)
	for _, f := range []*ckFields{af, mf} {
		if x.Edited = resource(f.ResJPEGFullRes, f.ResJPEGFullFileType); x.Edited != nil {
			return
		}
		if x.Edited = resource(f.ResVidFullRes, f.ResVidFullFileType); x.Edited != nil {
			return
		}
	}
}

func setAssetFields(x *photo.Asset, mf, af *ckFields) {
	x.AdjustmentType, _ = af.AdjustmentType.str()
	sub, _ := af.AssetSubtypeV2.int64()
	x.Screenshot = sub == 3 || x.AdjustmentType == "ScreenshotServices"
	burst, _ := af.BurstID.str()
	x.Burst = burst != ""
	x.Added = msTime(af.AddedDate)
	x.Taken = msTime(af.AssetDate)
	if off, ok := af.TimeZoneOffset.int64(); ok && off > -86400 && off < 86400 {
		o := int(off)
		x.TZOffset = &o
	}
	x.Hidden = af.IsHidden.flag()
	x.Favorite = af.IsFavorite.flag()
	x.Deleted = af.IsDeleted.flag() || mf.IsDeleted.flag()
	if x.Purge = msTime(af.DateExpunged); x.Purge.IsZero() {
		x.Purge = msTime(mf.DateExpunged)
	}
}

func resource(res, uti ckValue) *photo.Resource {
	_, size, ok := res.asset()
	if !ok {
		return nil
	}
	t, _ := uti.str()
	return &photo.Resource{UTI: t, Size: size}
}

func intField(v ckValue) int {
	n, ok := v.int64()
	if !ok || n < 0 || n > 1<<31-1 {
		return 0
	}
	return int(n)
}

// msTime reads a TIMESTAMP (ms since the Unix epoch); absent, null or
// implausible values give the zero time.
func msTime(v ckValue) time.Time {
	ms, ok := v.int64()
	const maxMS = 253402300799999 // 9999-12-31
	if !ok || ms <= 0 || ms > maxMS {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
