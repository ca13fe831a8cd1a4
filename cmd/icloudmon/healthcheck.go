package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/configs"
)

func newHealthcheckCmd(c *cli) *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Ask the local daemon's /healthz (exit 0 healthy, 1 not); for Docker HEALTHCHECK",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				// The configuration is only needed for the listen address; a
				// broken file must not make a running daemon look unhealthy,
				// so the listen address of a configuration with problems
				// elsewhere (from the file, ICLOUDMON_LISTEN or --listen)
				// still counts.
				listen := configs.Default().Listen
				if cfg, _ := configs.Load(c.configPath, cmd.Flags()); cfg != nil && cfg.Listen != "" {
					listen = cfg.Listen
				}
				url = healthzURL(listen)
			}
			return c.healthcheck(cmd.Context(), url)
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "health URL (default: http://127.0.0.1:<listen port>/healthz)")
	configs.AddFlags(cmd.Flags(), configs.FlagListen)
	return cmd
}

// healthzURL turns a listen address (":9877", "0.0.0.0:9877") into a URL
// on the loopback interface.
func healthzURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + "/healthz"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}

func (c *cli) healthcheck(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return withExit(1, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return withExit(1, fmt.Errorf("the daemon does not answer at %s: %w", url, err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(c.stdout, "%s", body)
	if resp.StatusCode != http.StatusOK {
		return withExit(1, fmt.Errorf("unhealthy: %s answered %s", url, resp.Status))
	}
	return nil
}
