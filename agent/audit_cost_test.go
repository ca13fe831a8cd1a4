package agent

import (
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestAuditCycleCosts: with the audit on, a no-change cycle costs what it
// costs without (3 requests) and a cycle with one upload at most one
// request more (the changes/zone page with the new records).
func TestAuditCycleCosts(t *testing.T) {
	costs := func(audit *AuditOptions) (unchanged, upload int) {
		r := newRig(t, rigOptions{audit: audit})
		r.cycle() // sign-in, cold read, first fill
		r.clock.Advance(time.Hour)
		before := r.requests()
		r.cycle()
		unchanged = r.requests() - before
		r.clock.Advance(time.Hour)
		r.lib.Add(fakeicloud.Asset{Filename: "IMG_9001.HEIC", UTI: "public.heic", Size: 2_000_000, Added: r.clock.Now(), Taken: r.clock.Now()})
		before = r.requests()
		r.cycle()
		return unchanged, r.requests() - before
	}
	offSame, offUp := costs(nil)
	onSame, onUp := costs(&AuditOptions{RequestsPerDay: 500, RequestsPerCycle: 50})
	t.Logf("no change: %d requests without the audit, %d with; one upload: %d without, %d with", offSame, onSame, offUp, onUp)
	if onSame != offSame || onSame > 3 {
		t.Errorf("a no-change cycle costs %d requests with the audit, %d without (want equal, at most 3)", onSame, offSame)
	}
	if onUp > offUp+1 {
		t.Errorf("a cycle with one upload costs %d requests with the audit, %d without (want at most one more)", onUp, offUp)
	}
}
