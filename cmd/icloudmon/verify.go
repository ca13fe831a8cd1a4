package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/configs"
)

type verifyFlags struct {
	account string
	output  string
	noCache bool
	notify  bool
}

func newVerifyCmd(c *cli) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Run one check cycle now and print the report (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
		Long: "verify signs in (never asking for a code: if Apple wants one, the auth check is critical),\n" +
			"reads the newest photos of each library, compares them with the local folders and prints\n" +
			"the report. Exit codes follow the monitoring-plugin convention: 0 OK, 1 WARNING,\n" +
			"2 CRITICAL, 3 UNKNOWN (also for configuration and usage errors).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.output != "text" && f.output != "json" {
				return withExit(exitUnknown, fmt.Errorf("--output must be text or json, not %q", f.output))
			}
			c.warmRoots()
			c.oneShotGC()
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return withExit(exitUnknown, err)
			}
			return c.verify(cmd.Context(), cfg, f)
		},
	}
	cmd.Flags().StringVar(&f.account, "account", "", "check only this account (default: all)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "ignore cached iCloud snapshots and rescan folders fully")
	cmd.Flags().BoolVar(&f.notify, "notify", false, "also send notifications and pings like the daemon does")
	configs.AddFlags(cmd.Flags(), configs.FlagDataDir, configs.FlagLogLevel, configs.FlagLogFormat)
	return cmd
}

func (c *cli) verify(ctx context.Context, cfg *configs.Config, f verifyFlags) error {
	// The cycle's time limit covers the folder scans, which start while
	// the rest is built (scanEarly).
	ctx, cancel := context.WithTimeout(ctx, cfg.CycleTimeout)
	defer cancel()
	app, err := build(ctx, cfg, newLogger(cfg, c.stderr),
		buildOptions{only: f.account, noCache: f.noCache, noNotify: !f.notify, scanEarly: true, noLastReports: true})
	if err != nil {
		return withExit(exitUnknown, err)
	}
	defer app.Close()
	var reports []checks.AccountReport
	for _, name := range app.agent.AccountNames() {
		rep, err := app.agent.RunCycle(ctx, name)
		if err != nil {
			return withExit(exitUnknown, err)
		}
		reports = append(reports, rep)
	}
	report := checks.NewReport(clockNow(), reports...)
	if err := writeReport(c.stdout, report, f.output); err != nil {
		return withExit(exitUnknown, err)
	}
	return exitFor(report.Status)
}

// exitFor maps the overall status to the monitoring-plugin exit code; the
// report already said everything, so nothing more is printed.
func exitFor(s checks.Status) error {
	if code := s.Value(); code != exitOK {
		return withExit(code, nil)
	}
	return nil
}

func writeReport(w io.Writer, r checks.Report, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	text := checks.RenderText(r)
	if isTerminal(w) {
		text = colorize(text)
	}
	_, err := io.WriteString(w, text)
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""
}

var (
	// statusSpots are the places RenderText puts a status: the headline,
	// account headings, table rows and detail headings.
	statusSpots = regexp.MustCompile(`(?m)^(icloudmon: [A-Z]+|\S[^\n]*: [A-Z]+$|  \S+\s+(ok|warning|critical|unknown)\s|  \S+: [A-Z]+$)`)
	statusWord  = regexp.MustCompile(`(?i)\b(ok|warning|critical|unknown)\b`)
	colours     = map[string]string{"ok": "32", "warning": "33", "critical": "31", "unknown": "90"}
)

// colorize colours the status words of the text report for a terminal.
func colorize(text string) string {
	return statusSpots.ReplaceAllStringFunc(text, func(spot string) string {
		return statusWord.ReplaceAllStringFunc(spot, func(word string) string {
			return "\x1b[" + colours[strings.ToLower(word)] + "m" + word + "\x1b[0m"
		})
	})
}
