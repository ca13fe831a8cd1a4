package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/notify"
)

func init() { addCommand(newConfigCmd) }

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

func configSource(cfg *configs.Config) string {
	if cfg.File == "" {
		return "the configuration (environment and defaults, no file)"
	}
	return "config file " + cfg.File
}
