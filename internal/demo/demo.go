// Package demo is the fixture of `icloudmon demo` and of the tests that
// run the real agent against the fake iCloud: a generated library shaped
// by a scenario, the local import folders an importer would have written
// for it, the fake iCloud serving it, and 30 days of invented history for
// the charts.
//
// It is the only production package besides cmd that imports
// internal/fakeicloud (design §1); agent and web never import it.
//
// Imports: internal/fakeicloud, checks, history, store.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/history"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/store"
)

// Demo scenarios: each shows one thing icloudmon detects.
var Scenarios = []string{"healthy", "stalled", "behind", "storage", "deleted", "reauth", "gaps"}

// Demo account credentials. They only exist inside the fake iCloud.
const (
	Account  = "demo"
	AppleID  = "demo@example.com"
	Password = "demo-password-for-the-fake-icloud"
	// Assets is the size of the generated library.
	Assets = 400
)

// Options configure Start.
type Options struct {
	Scenario string
	// Dir receives the generated photo folder, the password file and the
	// fake's CA certificate.
	Dir string
	// Now anchors the generated library (default time.Now).
	Now time.Time
}

// Demo is a running fake iCloud with a generated library and generated
// local import folders (icloudpd layout, one per library, as two icloudpd
// runs would fill them) that match it as the scenario says.
type Demo struct {
	Server  *fakeicloud.Server
	Photos  *fakeicloud.PhotosHandler
	Library *fakeicloud.Library
	// PhotosDir holds the personal library, SharedDir the Shared Library.
	PhotosDir    string
	SharedDir    string
	PasswordFile string
	CAFile       string

	scenario string
	now      time.Time
}

// Start generates the library and the folder and starts the fake.
func Start(opts Options) (*Demo, error) {
	if !slices.Contains(Scenarios, opts.Scenario) {
		return nil, fmt.Errorf("unknown demo scenario %q; use one of %s", opts.Scenario, strings.Join(Scenarios, ", "))
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	anchor := now
	if opts.Scenario == "stalled" {
		anchor = now.Add(-10 * 24 * time.Hour) // nothing uploaded for ten days
	}
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 7, Assets: Assets, Now: anchor})
	d := &Demo{Library: lib, Photos: fakeicloud.NewPhotosHandler(lib),
		PhotosDir: filepath.Join(opts.Dir, "photos"), SharedDir: filepath.Join(opts.Dir, "shared-library"),
		scenario: opts.Scenario, now: now}
	skip, err := ApplyScenario(opts.Scenario, lib, now)
	if err != nil {
		return nil, err
	}
	if err := WriteFolder(d.PhotosDir, d.SharedDir, lib, skip); err != nil {
		return nil, err
	}
	d.Server = fakeicloud.New(fakeicloud.Options{Scenario: FakeScenario(opts.Scenario), Photos: d.Photos})
	if err := d.writeFiles(opts.Dir); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close stops the fake.
func (d *Demo) Close() {
	if d.Server != nil {
		d.Server.Close()
	}
}

// FakeScenario is the fake iCloud's account for a demo scenario: the demo
// credentials, and for "reauth" an Apple ID that asks for a 2FA code.
func FakeScenario(name string) fakeicloud.Scenario {
	sc := fakeicloud.Scenario{AppleID: AppleID, Password: Password}
	if name == "reauth" {
		sc.Require2FA, sc.HasTrustedDevices = true, true
		sc.Phones = []fakeicloud.Phone{{ID: 1, Number: "+1 (•••) •••-••42"}}
	}
	return sc
}

// ApplyScenario changes the library as the scenario says and returns the
// ids of assets that have no local copy.
func ApplyScenario(name string, lib *fakeicloud.Library, now time.Time) (map[string]bool, error) {
	skip := map[string]bool{}
	switch name {
	case "behind":
		// The importer stopped four days ago.
		for _, a := range allAssets(lib) {
			if a.Added.After(now.Add(-4 * 24 * time.Hour)) {
				skip[a.ID] = true
			}
		}
	case "storage":
		lib.SetStorage(199<<30, 200<<30)
	case "deleted":
		victim, ok := deletableAsset(lib)
		if !ok {
			return nil, errors.New("demo library has no asset to delete")
		}
		// Deleted 29 days ago: purged tomorrow, and the importer never got it.
		if err := lib.Delete(victim.ID, now.Add(-29*24*time.Hour)); err != nil {
			return nil, err
		}
		skip[victim.ID] = true
	case "gaps":
		// Old photos the importer skipped: the newest are all copied, so
		// only the whole-library audit (library_audit) finds them.
		for _, a := range GapPhotos() {
			skip[lib.Add(a).ID] = true
		}
	}
	return skip, nil
}

// GapPhotos are the old personal photos that the "gaps" scenario adds to
// the library and leaves out of the folder, as an importer that fills no
// gaps (icloudpd --until-found) or a folder restored from an old backup
// would: taken and uploaded in 2019 and 2021, years below the newest
// photos that local_copy compares, so that the audit's chart of missing
// photos by month spans more than one year.
func GapPhotos() []fakeicloud.Asset {
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 14, 0, 0, time.UTC) }
	photo := func(name string, size int64, taken time.Time) fakeicloud.Asset {
		uti := "public.heic"
		if strings.HasSuffix(name, ".JPG") {
			uti = "public.jpeg"
		}
		return fakeicloud.Asset{Zone: fakeicloud.PrimaryZone, Filename: name, UTI: uti, Size: size,
			Width: 4032, Height: 3024, Taken: taken, Added: taken.Add(2 * time.Hour), TZOffset: 3600}
	}
	return []fakeicloud.Asset{
		photo("IMG_0412.JPG", 3_104_221, at(2019, time.March, 9, 11)),
		photo("IMG_0413.JPG", 2_981_774, at(2019, time.March, 9, 12)),
		photo("IMG_0951.HEIC", 2_402_310, at(2019, time.August, 17, 16)),
		photo("IMG_2207.HEIC", 2_655_018, at(2021, time.May, 2, 9)),
		photo("IMG_2208.HEIC", 2_590_467, at(2021, time.May, 2, 10)),
	}
}

// deletableAsset picks a visible personal asset well below the newest 50.
func deletableAsset(lib *fakeicloud.Library) (fakeicloud.Asset, bool) {
	newest := lib.Newest(fakeicloud.PrimaryZone, 120)
	if len(newest) < 120 {
		return fakeicloud.Asset{}, false
	}
	return newest[100], true
}

// allAssets lists every visible and deleted asset of both libraries.
func allAssets(lib *fakeicloud.Library) []fakeicloud.Asset {
	var out []fakeicloud.Asset
	for _, z := range []string{fakeicloud.PrimaryZone, fakeicloud.SharedZone} {
		out = append(out, lib.Newest(z, lib.Len(z))...)
		out = append(out, lib.RecentlyDeleted(z)...)
	}
	return out
}

func (d *Demo) writeFiles(dir string) error {
	d.PasswordFile = filepath.Join(dir, "demo-password")
	d.CAFile = filepath.Join(dir, "fake-icloud-ca.pem")
	if err := os.WriteFile(d.PasswordFile, []byte(Password+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing the demo password file: %w", err)
	}
	if err := os.WriteFile(d.CAFile, d.Server.CertificatePEM(), 0o600); err != nil {
		return fmt.Errorf("writing the fake's certificate: %w", err)
	}
	return nil
}

// WriteFolder lays the library out as icloudpd does by default
// (YYYY/MM/DD/<original name>, Live Photo videos as <stem>_HEVC.MOV), with
// sparse files of the right sizes, skipping the assets in skip. The Shared
// Library goes to a folder of its own, as a second icloudpd run
// (--library SharedSync-…) would put it.
func WriteFolder(root, sharedRoot string, lib *fakeicloud.Library, skip map[string]bool) error {
	for _, a := range allAssets(lib) {
		if skip[a.ID] {
			continue
		}
		base := root
		if a.Zone == fakeicloud.SharedZone {
			base = sharedRoot
		}
		wall := a.Taken.UTC().Add(time.Duration(a.TZOffset) * time.Second)
		dir := filepath.Join(base, wall.Format("2006/01/02"))
		if err := SparseFile(dir, a.Filename, a.Size, a.Added); err != nil {
			return err
		}
		if a.LiveVideoSize > 0 {
			stem := strings.TrimSuffix(a.Filename, filepath.Ext(a.Filename))
			if err := SparseFile(dir, stem+"_HEVC.MOV", a.LiveVideoSize, a.Added); err != nil {
				return err
			}
		}
	}
	return nil
}

// SparseFile creates dir/name with size bytes (a hole) and mtime at; on a
// name clash with another size it uses icloudpd's "-<size>" suffix.
func SparseFile(dir, name string, size int64, at time.Time) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("creating the demo folder: %w", err)
	}
	path := filepath.Join(dir, name)
	if fi, err := os.Stat(path); err == nil && fi.Size() != size {
		ext := filepath.Ext(name)
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), size, ext))
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating a demo photo: %w", err)
	}
	if err := f.Truncate(size); err != nil {
		_ = f.Close()
		return fmt.Errorf("sizing a demo photo: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(path, at, at)
}

// Seeded history: what a daemon would have recorded over the last 30 days,
// one cycle every demoSeedStep.
const (
	demoSeedDays = 30
	demoSeedStep = 6 * time.Hour
	// demoImporterStopped is when the "behind" scenario's importer stopped.
	demoImporterStopped = 4 * 24 * time.Hour
)

// SeedHistory records the 30 days of cycles a daemon would have run before
// the demo started, so that the status page charts tell each scenario's
// story at once: uploads a day with the stall's empty days, the copy lag
// that grows since the importer stopped, the storage that fills up. The
// invented points steer no check: their uploads are DrawnUploads (not
// learned), they state no sign-in outcome, folder count or hidden count,
// so every scenario's verdict is the one of a fresh install. It does
// nothing when account already has history (a demo restarted with
// --data-dir).
func (d *Demo) SeedHistory(ctx context.Context, db *store.DB, account string) error {
	from := d.now.Add(-demoSeedDays * 24 * time.Hour)
	old, err := db.History(ctx, account, from.Add(-time.Hour))
	if err != nil {
		return err
	}
	if len(old) > 0 {
		return nil
	}
	var own, all []fakeicloud.Asset
	for _, z := range []string{fakeicloud.PrimaryZone, fakeicloud.SharedZone} {
		assets := d.Library.Newest(z, d.Library.Len(z))
		all = append(all, assets...)
		if z == fakeicloud.PrimaryZone {
			own = assets
		}
	}
	used, total := d.Library.Storage()
	for at := from.Add(demoSeedStep); at.Before(d.now); at = at.Add(demoSeedStep) {
		rec := history.Record{HistoryPoint: checks.HistoryPoint{At: at.UTC()}, Status: checks.StatusOK.String()}
		for _, a := range own {
			if a.Added.After(at.Add(-demoSeedStep)) && !a.Added.After(at) {
				rec.DrawnUploads = append(rec.DrawnUploads, a.Added.UTC())
			}
		}
		slices.SortFunc(rec.DrawnUploads, func(a, b time.Time) int { return a.Compare(b) })
		rec.ICloudNewestAdded = newestAddedBy(all, at)
		rec.LocalNewest = rec.ICloudNewestAdded
		if stop := d.now.Add(-demoImporterStopped); d.scenario == "behind" && at.After(stop) {
			rec.LocalNewest = newestAddedBy(all, stop)
		}
		u := demoStorageUsed(d.scenario, used, total, d.now.Sub(at))
		rec.StorageUsed, rec.StorageTotal = &u, &total
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := db.AppendHistory(ctx, account, at, data); err != nil {
			return err
		}
	}
	return nil
}

// newestAddedBy is the latest added time at or before t.
func newestAddedBy(assets []fakeicloud.Asset, t time.Time) time.Time {
	var out time.Time
	for _, a := range assets {
		if !a.Added.After(t) && a.Added.After(out) {
			out = a.Added.UTC()
		}
	}
	return out
}

// demoStorageUsed is the storage used ago before the demo's now: in the
// "storage" scenario it filled from 80 % to today's level over the 30
// days; otherwise it grew slowly (2 % of today's use a month).
func demoStorageUsed(scenario string, used, total int64, ago time.Duration) int64 {
	frac := ago.Hours() / (demoSeedDays * 24)
	if scenario == "storage" {
		start := total * 8 / 10
		return used - int64(float64(used-start)*frac)
	}
	return used - int64(float64(used)*0.02*frac)
}
