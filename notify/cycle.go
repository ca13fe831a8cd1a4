package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// Cycle is one check cycle as healthchecks.io and Uptime Kuma see it: Start
// pings /start, Done or Failed reports the outcome. All pings of a cycle
// carry the same run id.
type Cycle struct {
	n       *Notifier
	account string
	rid     string
	started time.Time
}

// Start begins a cycle: it pings healthchecks /start with a new run id.
// account names the account of a per-account cycle ("" for a cycle over
// all accounts); it replaces "{account}" in the ping URLs.
func (n *Notifier) Start(ctx context.Context, account string) (*Cycle, []Result) {
	c := &Cycle{n: n, account: account, rid: newRunID(), started: n.now()}
	if n.hc == nil {
		return c, nil
	}
	r := n.pingResult(ctx, "healthchecks", func(ctx context.Context) error {
		return n.hc.ping(ctx, account, "/start", c.rid, "")
	})
	n.logResults("start ping", []Result{r}, "account", account)
	return c, []Result{r}
}

// RunID is the healthchecks run id (rid) of the cycle.
func (c *Cycle) RunID() string { return c.rid }

// Done ends a cycle that produced rep: it runs Notify, then pings
// healthchecks (success when rep is ok, otherwise /<exit code> 1, 2 or 3,
// with the summary as log body) and pushes to Uptime Kuma (down when rep is
// critical). The error is Notify's.
func (c *Cycle) Done(ctx context.Context, rep checks.Report) ([]Result, error) {
	results, err := c.n.Notify(ctx, rep)
	suffix := ""
	if rep.Status != checks.StatusOK {
		suffix = "/" + strconv.Itoa(rep.Status.Value())
	}
	up := rep.Status != checks.StatusCritical
	results = append(results, c.finish(ctx, suffix, up, reportSummary(rep), headline(rep))...)
	return results, err
}

// Failed ends a cycle that produced no report (the agent could not run it
// at all): healthchecks /fail with the error as log body, Uptime Kuma down.
// cause must not contain secrets; it is sent as is.
func (c *Cycle) Failed(ctx context.Context, cause error) []Result {
	text := "icloudmon cycle failed"
	if cause != nil {
		text += ": " + cause.Error()
	}
	return c.finish(ctx, "/fail", false, text, text)
}

// finish sends the end-of-cycle pings.
func (c *Cycle) finish(ctx context.Context, suffix string, up bool, body, short string) []Result {
	var results []Result
	n := c.n
	if n.hc != nil {
		results = append(results, n.pingResult(ctx, "healthchecks", func(ctx context.Context) error {
			return n.hc.ping(ctx, c.account, suffix, c.rid, body)
		}))
	}
	if n.kuma != nil {
		took := n.now().Sub(c.started)
		results = append(results, n.pingResult(ctx, "uptime_kuma", func(ctx context.Context) error {
			return n.kuma.push(ctx, c.account, up, short, took)
		}))
	}
	n.logResults("end ping", results, "account", c.account)
	return results
}

// reportSummary is the log body of a healthchecks ping: the overall status,
// then one line per account and per check that is not ok.
func reportSummary(rep checks.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "icloudmon: %s at %s\n", rep.Status, rep.CheckedAt.UTC().Format(time.RFC3339))
	for _, a := range rep.Accounts {
		fmt.Fprintf(&b, "%s: %s\n", a.Name, a.Status)
		for _, ch := range a.Checks {
			if ch.Status != checks.StatusOK {
				fmt.Fprintf(&b, "  %s %s: %s\n", ch.ID, ch.Status, ch.Summary)
			}
		}
	}
	return b.String()
}

// headline is the one-line Uptime Kuma message: the status and the worst
// check's summary.
func headline(rep checks.Report) string {
	var worst *checks.CheckResult
	account := ""
	for _, a := range rep.Accounts {
		for i := range a.Checks {
			ch := &a.Checks[i]
			if ch.Status != checks.StatusOK && (worst == nil || ch.Status.WorseThan(worst.Status)) {
				worst, account = ch, a.Name
			}
		}
	}
	if worst == nil {
		return rep.Status.String()
	}
	return fmt.Sprintf("%s: %s %s: %s", rep.Status, account, worst.ID, worst.Summary)
}
