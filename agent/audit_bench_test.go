//go:build unix

package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/store"
)

// BenchmarkAuditCompare times the comparison of a filled mirror of n assets
// with a folder holding n-3 of them (n from ICLOUDMON_AUDIT_ASSETS, default
// 5 000): streaming the mirror out of SQLite and matching it through the
// local_copy matcher. Two assets in five are Live Photos whose video is in
// the folder too, so 500 000 assets make the 700 000 local files.
// The folder scan is not timed (every cycle does it anyway). Sparse files:
// the tree costs no disk blocks. ICLOUDMON_AUDIT_DIR keeps the store and
// the tree in that directory, and a later run with the same n reuses them
// (filling and creating 700 000 files takes minutes). compare-s and
// compare-cpu-s are those of the whole comparison (the memo is dropped
// before each); repeat-s and repeat-cpu-s those of one more with nothing
// changed, which the comparison memo (audit_memo.go) answers; delta-s and
// delta-cpu-s those of the first comparison after a one-asset delta
// (auditBenchDelta). ICLOUDMON_AUDIT_REPEAT=r names the photos as iPhones
// do, IMG_0001… up to r and again (r 9999: at 500 000 assets each name
// has some 70 files, as in `icloudmon run`'s folder); by default no two
// assets share a name.
func BenchmarkAuditCompare(b *testing.B) {
	n := 5_000
	if s := os.Getenv("ICLOUDMON_AUDIT_ASSETS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 10 {
			b.Fatalf("ICLOUDMON_AUDIT_ASSETS=%q: want a number of at least 10", s)
		}
		n = v
	}
	repeat := 0
	if s := os.Getenv("ICLOUDMON_AUDIT_REPEAT"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 100 || v > 9999 {
			b.Fatalf("ICLOUDMON_AUDIT_REPEAT=%q: want a number of names from 100 to 9999 (a day's folder holds about 85 photos, which must not share a name)", s)
		}
		repeat = v
	}
	ctx := context.Background()
	tmp := os.Getenv("ICLOUDMON_AUDIT_DIR")
	if tmp == "" {
		tmp = b.TempDir()
	} else {
		sub := strconv.Itoa(n)
		if repeat > 0 {
			sub += "-r" + strconv.Itoa(repeat)
		}
		tmp = filepath.Join(tmp, sub)
		if err := os.MkdirAll(tmp, 0o750); err != nil {
			b.Fatal(err)
		}
	}
	root := filepath.Join(tmp, "photos")
	db, err := store.Open(filepath.Join(tmp, "icloudmon.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	m, err := db.OpenMirror(ctx, "alice", "PrimarySync")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	files := n - 3
	for i := 0; i < n; i++ {
		if auditBenchLive(i) && (i%3 != 1 || i > 9) {
			files++
		}
	}
	filled := false
	if m.Filled.IsZero() || m.Assets != n {
		fillAuditBench(ctx, b, db, &m, root, n, repeat, t0)
		filled = true
	}
	folder := &Folder{Name: "photos", Path: root, Importer: "icloudpd", KV: db, Tolerance: 2 * time.Second}
	if fo, _ := folder.ObserveFolder(ctx, nil); !fo.Health.Exists || fo.Health.Files != files {
		b.Fatalf("scan: %+v", fo.Health)
	}
	ic := &ICloud{Account: "alice", DB: db, Audit: &AuditOptions{RequestsPerDay: 500, RequestsPerCycle: 50},
		Now: func() time.Time { return t0.Add(24 * time.Hour) }}
	var obs checks.Observation
	if filled && repeat > 0 {
		// The names of the three missing assets have files of other
		// dates: the first comparison reads their headers (and caches
		// them), so it stores no memo, as in a daemon's first cycle. The
		// comparisons timed below are those of the cycles after it.
		ic.mirrors = map[string]store.MirrorLibrary{"personal": m}
		obs = checks.Observation{Audit: &checks.AuditObservation{Libraries: []checks.AuditLibrary{{Name: "personal", Filled: true}}}}
		ic.compareAudit(ctx, &obs, []FolderSource{folder}, 6*time.Hour)
	}
	var took, cpu time.Duration
	scanHWM := procStatusMB("VmHWM")
	for b.Loop() {
		ic.mirrors = map[string]store.MirrorLibrary{"personal": m}
		obs = checks.Observation{Audit: &checks.AuditObservation{Libraries: []checks.AuditLibrary{{Name: "personal", Filled: true}}}}
		if err := db.Delete(ctx, auditMemoNS, auditMemoRow(m)); err != nil { // the whole comparison, also in a later run on the same store
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuTime()
		ic.compareAudit(ctx, &obs, []FolderSource{folder}, 6*time.Hour)
		took, cpu = time.Since(start), cpuTime()-cpu0
	}
	streams := 0
	stream := mirrorStream
	defer func() { mirrorStream = stream }()
	mirrorStream = func(d *store.DB, ctx context.Context, m store.MirrorLibrary, fn func(store.MirrorEntry) error) error {
		streams++
		return stream(d, ctx, m, fn)
	}
	ic.mirrors = map[string]store.MirrorLibrary{"personal": m}
	again := checks.Observation{Audit: &checks.AuditObservation{Libraries: []checks.AuditLibrary{{Name: "personal", Filled: true}}}}
	start, cpu0 := time.Now(), cpuTime()
	ic.compareAudit(ctx, &again, []FolderSource{folder}, 6*time.Hour)
	repeatTook, repeatCPU := time.Since(start), cpuTime()-cpu0
	if a := again.Audit.Libraries[0]; streams != 0 || a.Compared != n || len(a.Missing) != 3 {
		b.Fatalf("repeat: mirror read %d times (want none: the memo answers), compared %d, %d missing", streams, a.Compared, len(a.Missing))
	}
	b.ReportMetric(repeatTook.Seconds(), "repeat-s")
	b.ReportMetric(repeatCPU.Seconds(), "repeat-cpu-s")
	deltaTook, deltaCPU := auditBenchDelta(ctx, b, ic, folder, db, &m, n)
	b.ReportMetric(deltaTook.Seconds(), "delta-s")
	b.ReportMetric(deltaCPU.Seconds(), "delta-cpu-s")
	b.ReportMetric(scanHWM, "scan-hwm-MB")
	b.ReportMetric(procStatusMB("VmHWM"), "hwm-MB")
	b.ReportMetric(procStatusMB("VmRSS"), "rss-after-MB")
	cpu0, rows := cpuTime(), 0
	if err := db.EachMirrorAsset(ctx, m, func(store.MirrorEntry) error { rows++; return nil }); err != nil || rows != n {
		b.Fatalf("streaming the mirror: %d rows, %v", rows, err)
	}
	b.ReportMetric((cpuTime() - cpu0).Seconds(), "stream-cpu-s")
	l := obs.Audit.Libraries[0]
	if l.Error != "" || l.Compared != n || len(l.Missing) != 3 {
		b.Fatalf("compared %d of %d, %d missing (want 3), error %q", l.Compared, n, len(l.Missing), l.Error)
	}
	b.ReportMetric(took.Seconds(), "compare-s")
	b.ReportMetric(cpu.Seconds(), "compare-cpu-s")
	b.ReportMetric(float64(took.Microseconds())/float64(n), "µs/asset")
}

// auditBenchDelta times the first comparison after a one-asset delta: an
// upload (a new master and asset, added an hour ago, so inside the grace
// period and not looked for in the folder) lands in the middle of the
// mirror, and the library is compared again (the memo misses: the rev
// changed). The upload is then purged and the mirror read once, so that
// the store is left as it was found (a later run reuses it, and its
// compare-s is again that of an unchanged mirror).
func auditBenchDelta(ctx context.Context, b *testing.B, ic *ICloud, folder *Folder, db *store.DB, m *store.MirrorLibrary, n int) (took, cpu time.Duration) {
	b.Helper()
	now := ic.now()
	mid, id := "AZUPLOAD"+strings.Repeat("0", 20), fmt.Sprintf("%08d-0000-4000-8000-000000000001", n/2)
	up := store.MirrorPage{Token: "t-up",
		Masters: []store.MirrorMaster{{ID: mid, Name: "IMG_UPLOAD.HEIC", Size: 2_000_000}},
		Assets:  []store.MirrorAsset{{ID: id, MasterID: mid, Added: now.Add(-time.Hour), Taken: now.Add(-2 * time.Hour)}}}
	if err := db.ApplyMirrorPage(ctx, m, up, now); err != nil {
		b.Fatal(err)
	}
	ic.mirrors = map[string]store.MirrorLibrary{"personal": *m}
	obs := checks.Observation{Audit: &checks.AuditObservation{Libraries: []checks.AuditLibrary{{Name: "personal", Filled: true}}}}
	start, cpu0 := time.Now(), cpuTime()
	ic.compareAudit(ctx, &obs, []FolderSource{folder}, 6*time.Hour)
	took, cpu = time.Since(start), cpuTime()-cpu0
	if a := obs.Audit.Libraries[0]; a.Error != "" || a.Compared != n || len(a.Missing) != 3 || a.Excluded != 1 {
		b.Fatalf("after the upload: compared %d of %d, excluded %d (want 1), %d missing (want 3), error %q",
			a.Compared, n, a.Excluded, len(a.Missing), a.Error)
	}
	if err := db.ApplyMirrorPage(ctx, m, store.MirrorPage{Token: "t", Purged: []string{id, mid}}, now); err != nil {
		b.Fatal(err)
	}
	ic.mirrors = map[string]store.MirrorLibrary{"personal": *m}
	if err := db.EachMirrorAsset(ctx, *m, func(store.MirrorEntry) error { return nil }); err != nil {
		b.Fatal(err)
	}
	return took, cpu
}

// cpuTime is the CPU time (user + system) of this process so far: on a
// shared machine it says more than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// auditBenchLive: asset i of BenchmarkAuditCompare is a Live Photo.
func auditBenchLive(i int) bool { return i%5 < 2 }

// fillAuditBench fills the mirror with n assets and creates the folder's
// files: every asset's original and Live Photo video but three originals
// (and their videos) among the first ten. With repeat > 0 the names come
// back every repeat photos.
func fillAuditBench(ctx context.Context, b *testing.B, db *store.DB, m *store.MirrorLibrary, root string, n, repeat int, t0 time.Time) {
	b.Helper()
	if err := os.RemoveAll(root); err != nil {
		b.Fatal(err)
	}
	if err := db.StartMirrorFill(ctx, m); err != nil {
		b.Fatal(err)
	}
	create := func(p string, size int64) {
		f, err := os.Create(p)
		if err == nil {
			err = f.Truncate(size)
			_ = f.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	var page store.MirrorPage
	for i := 0; i < n; i++ {
		taken := t0.Add(-time.Duration(i) * 17 * time.Minute)
		stem := fmt.Sprintf("IMG_%06d", i)
		if repeat > 0 {
			stem = fmt.Sprintf("IMG_%04d", 1+i%repeat)
		}
		size := int64(1_000_000 + i)
		mid := fmt.Sprintf("AZ%026d", i)
		mm := store.MirrorMaster{ID: mid, Name: stem + ".HEIC", Size: size}
		if auditBenchLive(i) {
			mm.LiveSize = 3_000_000 + int64(i)
		}
		page.Masters = append(page.Masters, mm)
		page.Assets = append(page.Assets, store.MirrorAsset{ID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), MasterID: mid,
			Added: taken.Add(time.Hour), Taken: taken, TZKnown: true})
		if i%3 != 1 || i > 9 { // three assets missing
			dir := filepath.Join(root, taken.Format("2006/01/02"))
			if err := os.MkdirAll(dir, 0o750); err != nil {
				b.Fatal(err)
			}
			create(filepath.Join(dir, mm.Name), size)
			if mm.LiveSize > 0 {
				create(filepath.Join(dir, stem+".MOV"), mm.LiveSize)
			}
		}
		if len(page.Assets) == 5000 || i == n-1 {
			page.Token, page.Done = "t", i == n-1
			if err := db.ApplyMirrorPage(ctx, m, page, t0); err != nil {
				b.Fatal(err)
			}
			page = store.MirrorPage{}
		}
	}
}

// procStatusMB reads a memory line of /proc/self/status (VmRSS, VmHWM) in
// MB; 0 where there is none.
func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return float64(kb) / 1000
			}
		}
	}
	return 0
}
