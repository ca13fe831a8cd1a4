package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/configs"
)

func newNotifyCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{Use: "notify", Short: "Notification targets", Args: cobra.NoArgs}
	test := &cobra.Command{
		Use:   "test",
		Short: "Send a test message to every configured notification target and report each result",
		Long: "test sends a test message to every notify.urls entry and the webhook, a log ping to\n" +
			"healthchecks.io and an \"up\" push to Uptime Kuma, and prints one line per target. It\n" +
			"does not change the alert state. Exit 0 when every target accepted it, 2 when one failed,\n" +
			"3 when nothing is configured or the configuration is invalid.",
		Args: cobra.NoArgs,
		RunE: c.withConfig(c.notifyTest),
	}
	configs.AddFlags(test.Flags(), configs.FlagDataDir, configs.FlagLogLevel, configs.FlagLogFormat)
	cmd.AddCommand(test)
	return cmd
}

func (c *cli) notifyTest(ctx context.Context, cfg *configs.Config) error {
	db, err := openStore(cfg)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	defer db.Close()
	roots, err := trustedRoots(cfg.TLS.CAFile)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	n, err := newNotifier(cfg, db, newLogger(cfg, c.stderr), roots)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	results := n.Test(ctx)
	if len(results) == 0 {
		return withExit(exitUnknown, errors.New("no notification target is configured; set notify.urls, notify.webhook_url, notify.healthchecks_url or notify.uptime_kuma_url"))
	}
	failed := 0
	for _, r := range results {
		line := fmt.Sprintf("%-14s ok (%s)", r.Target, r.Duration.Round(1e6))
		if r.Err != nil {
			failed++
			line = fmt.Sprintf("%-14s FAILED: %v", r.Target, r.Err)
		}
		fmt.Fprintln(c.stdout, line)
	}
	if failed > 0 {
		return withExit(exitCritical, fmt.Errorf("%d of %d notification targets failed", failed, len(results)))
	}
	return nil
}
