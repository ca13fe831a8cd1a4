package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestChinaAccountIsToldTheRegionLine: a mainland-China Apple ID signed in
// through the global endpoints gets {"domainToUse":"iCloud.com.cn"} (a 302
// without Location). auth is critical with the exact line to set, and no
// further request reaches Apple over a day of cycles and a restart.
func TestChinaAccountIsToldTheRegionLine(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.server.Update(func(sc *fakeicloud.Scenario) { sc.DomainToUse = "iCloud.com.cn" })
	rep := r.cycle()
	c, _ := rep.Check(checks.CheckAuth)
	if c.Status != checks.StatusCritical {
		t.Fatalf("auth %s (%s), want critical", c.Status, c.Summary)
	}
	if !strings.Contains(c.Summary, "other iCloud region") || !strings.Contains(c.Summary, "iCloud.com.cn") {
		t.Errorf("summary %q", c.Summary)
	}
	if !strings.Contains(c.Remediation, "`region: china`") || !strings.Contains(c.Remediation, "`name: "+demo.Account+"`") {
		t.Errorf("remediation does not give the config line: %q", c.Remediation)
	}
	first := r.requests()
	runCycles(r, 12*time.Hour)
	r.build(rigOptions{}) // a restart
	run := runCycles(r, 12*time.Hour)
	if n := r.requests() - first; n != 0 {
		t.Errorf("%d requests to Apple after it named the region, want 0", n)
	}
	last := run.reports[len(run.reports)-1]
	if got := status(last, checks.CheckAuth); got != "critical" {
		t.Errorf("after a day: auth %s, want critical", got)
	}
}
