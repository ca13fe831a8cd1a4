package notify

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
// healthchecks (success when ok, otherwise /<exit code> 1, 2 or 3, with the
// summary as log body) and pushes to Uptime Kuma (down when critical). When
// a ping URL has no "{account}", it is shared by the per-account cycles of
// all accounts, so it reports the worst status over the latest report of
// every account: one healthy account does not hide a failing one. The
// error is Notify's.
func (c *Cycle) Done(ctx context.Context, rep checks.Report) ([]Result, error) {
	results, err := c.n.Notify(ctx, rep)
	c.n.remember(rep)
	return append(results, c.finish(ctx, rep, nil)...), err
}

// Failed ends a cycle that produced no report (the agent could not run it
// at all): healthchecks /fail with the error as log body, Uptime Kuma down.
// cause must not contain secrets; it is sent as is.
func (c *Cycle) Failed(ctx context.Context, cause error) []Result {
	if cause == nil {
		cause = errors.New("no report")
	}
	return c.finish(ctx, checks.Report{}, cause)
}

// Interrupted ends a cycle that was stopped before it reached a verdict
// (shutdown or configuration reload): healthchecks gets a /log with the
// cycle's run id, so its /start has an explained end. It is not /fail: a
// restart or an upgrade is no failure and must not page anyone; and not a
// success: nothing was checked. If the agent does not come back,
// healthchecks raises its alert when the grace time after /start runs
// out, which is then true. Uptime Kuma is not pushed (its heartbeat
// timeout covers an agent that stays away).
func (c *Cycle) Interrupted(ctx context.Context, cause error) []Result {
	n := c.n
	if n.hc == nil {
		return nil
	}
	msg := "icloudmon cycle interrupted before a verdict (the agent is stopping or reloading its configuration); the next cycle reports"
	if cause != nil {
		msg += ": " + cause.Error()
	}
	r := n.pingResult(ctx, "healthchecks", func(ctx context.Context) error {
		return n.hc.ping(ctx, c.account, "/log", c.rid, msg)
	})
	n.logResults("end ping", []Result{r}, "account", c.account)
	return []Result{r}
}

// finish sends the end-of-cycle pings.
func (c *Cycle) finish(ctx context.Context, rep checks.Report, cause error) []Result {
	var results []Result
	n := c.n
	if n.hc != nil {
		results = append(results, n.pingResult(ctx, "healthchecks", func(ctx context.Context) error {
			return c.pingHealthchecks(ctx, rep, cause)
		}))
	}
	if n.kuma != nil {
		results = append(results, n.pingResult(ctx, "uptime_kuma", func(ctx context.Context) error {
			return c.pushKuma(ctx, rep, cause)
		}))
	}
	n.logResults("end ping", results, "account", c.account)
	return results
}

func (c *Cycle) pingHealthchecks(ctx context.Context, rep checks.Report, cause error) error {
	if cause != nil {
		return c.n.hc.ping(ctx, c.account, "/fail", c.rid, "icloudmon cycle failed: "+cause.Error())
	}
	status, others := c.n.overall(rep, perAccount(c.n.hc.base))
	suffix := ""
	if status != checks.StatusOK {
		suffix = "/" + strconv.Itoa(status.Value())
	}
	return c.n.hc.ping(ctx, c.account, suffix, c.rid, reportSummary(rep)+others)
}

func (c *Cycle) pushKuma(ctx context.Context, rep checks.Report, cause error) error {
	took := c.n.now().Sub(c.started)
	if cause != nil {
		return c.n.kuma.push(ctx, c.account, false, "icloudmon cycle failed: "+cause.Error(), took)
	}
	status, others := c.n.overall(rep, perAccount(c.n.kuma.base))
	msg := headline(rep)
	if others != "" {
		msg += "; " + strings.ReplaceAll(strings.TrimSpace(others), "\n", "; ")
	}
	return c.n.kuma.push(ctx, c.account, status != checks.StatusCritical, msg, took)
}

// perAccount reports whether a ping URL is specific to one account.
func perAccount(pingURL string) bool { return strings.Contains(pingURL, accountPlaceholder) }

// remember keeps each account's latest status for shared ping URLs.
func (n *Notifier) remember(rep checks.Report) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range rep.Accounts {
		n.lastStatus[a.Name] = a.Status
	}
}

// overall is the status a ping reports: rep's own for a per-account URL,
// otherwise the worst over the latest report of every account, with a line
// per other account that is not ok.
func (n *Notifier) overall(rep checks.Report, perAccountURL bool) (checks.Status, string) {
	if perAccountURL {
		return rep.Status, ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	in := map[string]bool{}
	for _, a := range rep.Accounts {
		in[a.Name] = true
	}
	status, others := rep.Status, ""
	for _, name := range sortedKeys(n.lastStatus) {
		st := n.lastStatus[name]
		if in[name] || st == checks.StatusOK {
			continue
		}
		status = checks.Worst(status, st)
		others += fmt.Sprintf("%s: %s (last cycle)\n", name, st)
	}
	return status, others
}

func sortedKeys(m map[string]checks.Status) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// reportSummary is the log body of a healthchecks ping: the overall status,
// then one line per account and per check that is not ok.
func reportSummary(rep checks.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "icloudmon: %s at %s\n", rep.Status, rep.CheckedAt.UTC().Format(time.RFC3339))
	for _, a := range rep.Accounts {
		fmt.Fprintf(&b, "%s: %s\n", a.Name, a.Status)
		for _, ch := range a.Checks {
			switch {
			case ch.Pending:
				fmt.Fprintf(&b, "  %s pending: %s\n", ch.ID, ch.Summary)
			case ch.Status != checks.StatusOK:
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
			if ch.Status != checks.StatusOK && !ch.Pending && (worst == nil || ch.Status.WorseThan(worst.Status)) {
				worst, account = ch, a.Name
			}
		}
	}
	if worst == nil {
		return rep.Status.String()
	}
	return fmt.Sprintf("%s: %s %s: %s", rep.Status, account, worst.ID, worst.Summary)
}
