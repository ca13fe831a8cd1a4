package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/configs"
)

type auditFlags struct {
	account string
	output  string
}

// auditor is what `icloudmon audit` needs of the agent: the accounts, and
// Audit, which brings the metadata mirror of one account up to date in the
// foreground (reporting progress) and compares it with the folders; a nil
// observation means the audit is off for that account. agent.Agent
// provides Audit with the whole-library mirror (issue 20).
type auditor interface {
	AccountNames() []string
	Audit(ctx context.Context, account string, progress func(checks.AuditProgress)) (*checks.AuditObservation, error)
}

func newAuditCmd(c *cli) *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List every photo in iCloud that is in no local folder (exit 0 none, 1 some, 3 unknown)",
		Long: "audit brings the list of every photo and video of each library up to date now, in the\n" +
			"foreground (a progress bar on a terminal; the first run of a large library can take a\n" +
			"while and resumes where it stopped if interrupted), compares it with the local folders\n" +
			"and lists every missing file with its taken and added dates, size and library.\n" +
			"--output csv writes one row per file with a header, for spreadsheets and scripts.\n" +
			"Exit codes: 0 nothing missing, 1 some photos missing, 3 unknown (the list is not\n" +
			"complete, an error, the audit is off, or a configuration or usage error).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch f.output {
			case "text", "json", "csv":
			default:
				return withExit(exitUnknown, fmt.Errorf("--output must be text, json or csv, not %q", f.output))
			}
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return withExit(exitUnknown, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			app, err := build(ctx, cfg, newLogger(cfg, c.stderr), buildOptions{only: f.account, noNotify: true})
			if err != nil {
				return withExit(exitUnknown, err)
			}
			defer app.Close()
			r := auditRun{out: c.stdout, errw: c.stderr, tty: isTTY(c.stderr), format: f.output, now: clockNow}
			return r.run(ctx, app.agent)
		},
	}
	cmd.Flags().StringVar(&f.account, "account", "", "audit only this account (default: all)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text, json or csv")
	configs.AddFlags(cmd.Flags(), configs.FlagDataDir, configs.FlagLogLevel, configs.FlagLogFormat)
	return cmd
}

// isTTY reports whether w is a terminal (for the progress bar; NO_COLOR
// does not matter here).
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// auditRun is one `icloudmon audit`: where it writes and how.
type auditRun struct {
	out, errw io.Writer
	tty       bool // errw is a terminal: draw a progress bar
	format    string
	now       func() time.Time
}

// auditReport is the JSON of `icloudmon audit --output json` (docs/design.md §4).
type auditReport struct {
	Status    checks.Status  `json:"status"`
	CheckedAt time.Time      `json:"checked_at"`
	Accounts  []auditAccount `json:"accounts"`
}

// auditAccount is one account's audit: the library_audit verdict, the
// facts per library and every missing asset (checks.Item field names).
type auditAccount struct {
	Name        string        `json:"name"`
	Status      checks.Status `json:"status"`
	Summary     string        `json:"summary"`
	Remediation string        `json:"remediation,omitempty"`
	Error       string        `json:"error,omitempty"`
	// Notes are what else the verdict says (another library still
	// filling or failing, a paused update).
	Notes     []string            `json:"notes,omitempty"`
	Libraries []checks.AuditFacts `json:"libraries,omitempty"`
	Missing   []checks.Item       `json:"missing"`
}

// run audits every account, prints the result and returns the exit.
func (r auditRun) run(ctx context.Context, au auditor) error {
	var accounts []auditAccount
	for _, name := range au.AccountNames() {
		accounts = append(accounts, r.audit(ctx, au, name))
	}
	rep := auditReport{Status: checks.StatusUnknown, CheckedAt: r.now().UTC(), Accounts: accounts}
	if len(accounts) > 0 {
		statuses := make([]checks.Status, len(accounts))
		for i, a := range accounts {
			statuses[i] = a.Status
		}
		rep.Status = checks.Worst(statuses...)
	}
	var err error
	switch r.format {
	case "json":
		enc := json.NewEncoder(r.out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "csv":
		err = writeAuditCSV(r.out, rep)
	default:
		_, err = io.WriteString(r.out, renderAudit(rep))
	}
	if err != nil {
		return withExit(exitUnknown, err)
	}
	return exitFor(rep.Status)
}

// audit runs the audit of one account and judges it. Anything short of
// a complete comparison is unknown here: the person asked for the
// answer, and a pending list is not one.
func (r auditRun) audit(ctx context.Context, au auditor, name string) auditAccount {
	acc := auditAccount{Name: name, Status: checks.StatusUnknown, Missing: []checks.Item{}}
	p := newProgress(r.errw, r.tty, name)
	obs, err := au.Audit(ctx, name, p.report)
	p.finish()
	switch {
	case err != nil:
		acc.Error = err.Error()
		acc.Summary = "The audit could not run: " + err.Error()
		if ctx.Err() != nil {
			acc.Summary = "The audit was interrupted; the next run continues where it stopped"
		}
		return acc
	case obs == nil:
		acc.Summary = "The whole-library audit is off for this account (see the audit settings in CONFIGURATION.md)"
		return acc
	}
	c := checks.EvaluateAudit(*obs)
	acc.Status, acc.Summary, acc.Remediation = c.Status, c.Summary, c.Remediation
	if c.Pending {
		acc.Summary += " (run icloudmon audit again to continue)"
	}
	acc.Libraries = checks.AuditFactsOf(obs)
	if c.Details != nil {
		acc.Notes = c.Details.Notes
		if c.Details.Missing != nil {
			acc.Missing = c.Details.Missing
		}
	}
	return acc
}

// writeAuditCSV writes one row per missing asset, after the header.
func writeAuditCSV(w io.Writer, rep auditReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(checks.AuditCSVHeader); err != nil {
		return err
	}
	for _, a := range rep.Accounts {
		for _, it := range a.Missing {
			if err := cw.Write(checks.AuditCSVRecord(a.Name, it)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// renderAudit is the text output: per account the verdict, the libraries
// and a table of EVERY missing asset (no cap, unlike verify).
func renderAudit(rep auditReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "icloudmon audit: %s at %s\n", strings.ToUpper(rep.Status.String()), rep.CheckedAt.Format("2006-01-02 15:04 UTC"))
	if len(rep.Accounts) == 0 {
		b.WriteString("\nNo account was audited.\n")
	}
	for _, a := range rep.Accounts {
		fmt.Fprintf(&b, "\n%s: %s\n  %s\n", checks.TerminalSafe(a.Name), strings.ToUpper(a.Status.String()), checks.TerminalSafe(a.Summary))
		for _, l := range a.Libraries {
			fmt.Fprintf(&b, "  %s\n", checks.TerminalSafe(libraryLine(l)))
		}
		for _, n := range a.Notes {
			fmt.Fprintf(&b, "  note: %s\n", checks.TerminalSafe(n))
		}
		if len(a.Missing) > 0 {
			fmt.Fprintf(&b, "\n  missing (%d):\n", len(a.Missing))
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "    TAKEN\tADDED\tSIZE\tLIBRARY\tFILE")
			for _, it := range a.Missing {
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", shortTime(it.Taken), shortTime(it.Added), sizeText(it.Size),
					checks.TerminalSafe(it.Library), checks.TerminalSafe(it.Filename))
			}
			_ = tw.Flush() // writes to a strings.Builder cannot fail
		}
		if a.Remediation != "" {
			fmt.Fprintf(&b, "\n  what to do: %s\n", checks.TerminalSafe(a.Remediation))
		}
	}
	return b.String()
}

// libraryLine describes one library's audit facts.
func libraryLine(l checks.AuditFacts) string {
	s := "library " + l.Library + ": "
	switch {
	case !l.Filled && l.FillRatio != nil:
		s += fmt.Sprintf("list %d %% filled (%d of %d)", int(*l.FillRatio*100), l.Mirrored, *l.Expected)
	case !l.Filled:
		s += fmt.Sprintf("list filling (%d so far)", l.Mirrored)
	default:
		s += fmt.Sprintf("%d listed, %d compared, %d left out", l.Mirrored, l.Compared, l.Excluded)
		if l.Missing != nil {
			s += fmt.Sprintf(", %d missing", *l.Missing)
		}
	}
	if l.Paused {
		s += ", paused by the request budget"
		if !l.ResumeAt.IsZero() {
			s += " until " + shortTime(l.ResumeAt) + " UTC"
		}
	}
	if l.Error != "" {
		s += ", error: " + l.Error
	}
	return s
}

func shortTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func sizeText(n int64) string {
	if n <= 0 {
		return "-"
	}
	return checks.FormatBytes(n)
}

// progress shows how the foreground fill goes: a bar redrawn in place on
// a terminal, otherwise a plain line per 10 % (or per 10,000 assets when
// Apple's count is unknown) and one when a library is done.
type progress struct {
	w       io.Writer
	tty     bool
	account string
	drawn   bool           // a bar is on the current terminal line
	last    map[string]int // per library, the last step printed (non-TTY)
}

func newProgress(w io.Writer, tty bool, account string) *progress {
	return &progress{w: w, tty: tty, account: account, last: map[string]int{}}
}

const barWidth = 30

func (p *progress) report(pr checks.AuditProgress) {
	lib := checks.TerminalSafe(pr.Library)
	account := checks.TerminalSafe(p.account)
	var pct int
	if pr.Expected > 0 {
		pct = min(pr.Mirrored*100/pr.Expected, 100)
	}
	if p.tty {
		line := fmt.Sprintf("%s/%s ", account, lib)
		if pr.Expected > 0 {
			full := pct * barWidth / 100
			line += fmt.Sprintf("[%s%s] %3d %% %d/%d", strings.Repeat("#", full), strings.Repeat(".", barWidth-full), pct, pr.Mirrored, pr.Expected)
		} else {
			line += fmt.Sprintf("%d listed", pr.Mirrored)
		}
		line += fmt.Sprintf(", %d requests", pr.Requests)
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.drawn = true
		if pr.Done {
			fmt.Fprintln(p.w)
			p.drawn = false
		}
		return
	}
	step := pr.Mirrored / 10000
	if pr.Expected > 0 {
		step = pct / 10
	}
	prev, seen := p.last[pr.Library]
	if seen && step == prev && !pr.Done {
		return
	}
	p.last[pr.Library] = step
	switch {
	case pr.Done:
		fmt.Fprintf(p.w, "audit %s/%s: up to date, %d listed, %d requests\n", account, lib, pr.Mirrored, pr.Requests)
	case pr.Expected > 0:
		fmt.Fprintf(p.w, "audit %s/%s: %d %% listed (%d of %d), %d requests\n", account, lib, pct, pr.Mirrored, pr.Expected, pr.Requests)
	default:
		fmt.Fprintf(p.w, "audit %s/%s: %d listed, %d requests\n", account, lib, pr.Mirrored, pr.Requests)
	}
}

// finish ends a bar left on the line (an error or interruption).
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
