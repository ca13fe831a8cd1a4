package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/notify"
)

func newConfigCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the configuration",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newConfigCheckCmd(c))
	return cmd
}

func newConfigCheckCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it with secrets as <secret>",
		Long: "check loads the configuration (file, ICLOUDMON_* environment, flags), reports every\n" +
			"problem at once and prints the effective configuration as YAML with every secret\n" +
			"shown as <secret>. Exit status 0 when it is valid, 3 when it is not.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return withExit(exitUnknown, err)
			}
			if err := checkLikeRun(cfg); err != nil {
				return withExit(exitUnknown, err)
			}
			out, err := cfg.YAML()
			if err != nil {
				return withExit(exitUnknown, fmt.Errorf("printing the configuration: %w", err))
			}
			if _, err := fmt.Fprintf(c.stdout, "# %s is valid; effective configuration, secrets hidden:\n%s",
				configSource(cfg), out); err != nil {
				return withExit(exitUnknown, err)
			}
			if _, err := io.WriteString(c.stdout, passwordReport(cmd.Context(), cfg)); err != nil {
				return withExit(exitUnknown, err)
			}
			return nil
		},
	}
	configs.AddFlags(cmd.Flags())
	return cmd
}

// checkLikeRun refuses what `run` refuses beyond the configuration's own
// rules: a tls.ca_file without a certificate, and notification URLs that
// their service cannot parse or that switch TLS verification off. Nothing
// is sent.
func checkLikeRun(cfg *configs.Config) error {
	roots, err := extraRoots(cfg.TLS.CAFile)
	if err != nil {
		return fmt.Errorf("cannot load the configuration: %w%s", err, docHint)
	}
	if err := notify.Check(notifyOptions(cfg, nil, roots)); err != nil {
		return fmt.Errorf("cannot load the configuration: %w%s", err, docHint)
	}
	return nil
}

// loadConfig loads and validates the configuration for a subcommand: the
// file of --config (or ICLOUDMON_CONFIG), the ICLOUDMON_* environment, and
// the command's flags that name configuration keys (see configs.AddFlags).
// Every problem is in the returned error, one per line; callers exit with
// exitUnknown.
// withConfig is the RunE of a command that needs only the loaded
// configuration: a configuration error exits with exitUnknown.
func (c *cli) withConfig(run func(ctx context.Context, cfg *configs.Config) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := c.loadConfig(cmd)
		if err != nil {
			return withExit(exitUnknown, err)
		}
		return run(cmd.Context(), cfg)
	}
}

func (c *cli) loadConfig(cmd *cobra.Command) (*configs.Config, error) {
	cfg, err := configs.Load(c.configPath, cmd.Flags())
	if err != nil {
		return nil, configError(err)
	}
	return cfg, nil
}

// configError renders the problems of Load: a single one on the line, more
// than one listed one per line, each with its place, key and fix.
func configError(err error) error {
	var ps configs.Problems
	if !errors.As(err, &ps) || len(ps) == 1 {
		return fmt.Errorf("cannot load the configuration: %w%s", err, docHint)
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = "  - " + p.Error()
	}
	return fmt.Errorf("cannot load the configuration (%d problems):\n%s%s", len(ps), strings.Join(lines, "\n"), docHint)
}

// docHint ends every configuration error.
const docHint = "\nsee CONFIGURATION.md for every key"

// passwordReport says, per account, which password source supplies the
// password, or which sources failed and why with the fix that works where
// icloudmon runs, and every note (a file readable by every user). It
// never shows the password. A missing password does not make the
// configuration invalid: `icloudmon login` alone is a valid setup.
func passwordReport(ctx context.Context, cfg *configs.Config) string {
	if ctx == nil {
		ctx = context.Background()
	}
	var b strings.Builder
	for _, a := range cfg.Accounts {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		pw, err := credstore.LookupPassword(lctx, passwordOptions(a))
		cancel()
		var npe *credstore.NoPasswordError
		switch {
		case err == nil:
			fmt.Fprintf(&b, "# password of account %s: found (%s)\n", a.Name, pw.Source)
		case errors.As(err, &npe):
			fmt.Fprintf(&b, "# password of account %s: none usable: %s\n#   icloudmon cannot sign in by itself when the session expires; to fix: %s\n",
				a.Name, npe.Reason(), credstore.PasswordHint(a.Name, credstore.InContainer()))
		default:
			fmt.Fprintf(&b, "# password of account %s: lookup failed: %v\n", a.Name, err)
		}
		for _, n := range pw.Notes {
			if err == nil || npe == nil || !strings.Contains(npe.Reason(), n) {
				fmt.Fprintf(&b, "# warning: %s\n", n)
			}
		}
	}
	return b.String()
}

func configSource(cfg *configs.Config) string {
	if cfg.File == "" {
		return "the configuration (environment and defaults, no file)"
	}
	return "config file " + cfg.File
}
