package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/web"
)

// manualGap is the shortest time between two cycles of one account that
// "check now" may cause: Apple must never be hammered (design §7).
const manualGap = 10 * time.Minute

func newRunCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: check every account on a schedule and serve the status page and metrics",
		Long: "run checks every account once at start and then every interval, serves /metrics,\n" +
			"/healthz, the status page and the API, reloads the configuration on SIGHUP (a bad\n" +
			"configuration keeps the old one) and stops gracefully on SIGTERM. iCloud errors never\n" +
			"stop it: they are reported, not fatal.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return withExit(exitUnknown, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			opts := daemonOptions{hup: hup, reload: func() (*configs.Config, error) { return c.loadConfig(cmd) },
				build: buildOptions{repairStore: true}}
			if err := runDaemon(ctx, cfg, newLogger(cfg, c.stderr), opts); err != nil {
				return withExit(exitUnknown, err)
			}
			return nil
		},
	}
	configs.AddFlags(cmd.Flags())
	return cmd
}

// daemon is the running scheduler and the handler it serves.
type daemon struct {
	app     *app
	sched   *agent.Scheduler
	handler http.Handler
	cancel  context.CancelFunc
	flusher sync.WaitGroup // releases quiet-hours messages
}

// swapHandler lets a reload replace the whole HTTP handler atomically.
type swapHandler struct {
	mu sync.RWMutex
	h  http.Handler
}

func (s *swapHandler) set(h http.Handler) { s.mu.Lock(); s.h = h; s.mu.Unlock() }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	h.ServeHTTP(w, r)
}

// daemonOptions adapt runDaemon to `run` and `demo`.
type daemonOptions struct {
	// hup delivers SIGHUP; reload then loads the new configuration.
	hup    <-chan os.Signal
	reload func() (*configs.Config, error)
	build  buildOptions
	// started, if set, is called once the HTTP server listens.
	started func(addr string, d *daemon)
}

// runDaemon serves until ctx ends.
func runDaemon(ctx context.Context, cfg *configs.Config, log *slog.Logger, opts daemonOptions) error {
	d, err := startDaemon(ctx, cfg, log, opts.build)
	if err != nil {
		return err
	}
	handler := &swapHandler{h: d.handler}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		d.stop()
		return fmt.Errorf("cannot listen on %s (is another icloudmon running? change listen): %w", cfg.Listen, err)
	}
	srv := web.NewHTTPServer(handler, web.DefaultServerLimits)
	go func() {
		if err := srv.Serve(web.LimitListener(ln, web.DefaultServerLimits)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "err", err)
		}
	}()
	log.Info("icloudmon running", "listen", ln.Addr().String(), "accounts", len(cfg.Accounts), "interval", cfg.Interval)
	if opts.started != nil {
		opts.started(ln.Addr().String(), d)
	}
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdownCtx)
			d.stop()
			return nil
		case <-opts.hup:
			d, cfg = reloadDaemon(ctx, d, cfg, log, opts, handler)
		}
	}
}

// reloadDaemon swaps in a new configuration, or keeps the old one and says
// why.
func reloadDaemon(ctx context.Context, old *daemon, oldCfg *configs.Config, log *slog.Logger,
	opts daemonOptions, handler *swapHandler) (*daemon, *configs.Config) {
	cfg, err := opts.reload()
	if err != nil {
		log.Error("configuration reload failed; keeping the running configuration", "err", err)
		return old, oldCfg
	}
	if cfg.Listen != oldCfg.Listen {
		log.Warn("listen changed; restart icloudmon to move the HTTP server", "listen", oldCfg.Listen)
	}
	old.stop()
	d, err := startDaemon(ctx, cfg, log, opts.build)
	if err != nil {
		log.Error("configuration reload failed; restarting with the previous configuration", "err", err)
		if d, err = startDaemon(ctx, oldCfg, log, opts.build); err != nil {
			log.Error("the previous configuration cannot start either", "err", err)
			return old, oldCfg
		}
		handler.set(d.handler)
		return d, oldCfg
	}
	handler.set(d.handler)
	log.Info("configuration reloaded", "accounts", len(cfg.Accounts))
	return d, cfg
}

// startDaemon builds the agent and starts its scheduler.
func startDaemon(ctx context.Context, cfg *configs.Config, log *slog.Logger, bo buildOptions) (*daemon, error) {
	app, err := build(ctx, cfg, log, bo)
	if err != nil {
		return nil, err
	}
	token, err := webToken(cfg, log)
	if err != nil {
		app.Close()
		return nil, err
	}
	skipped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "icloudmon_skipped_runs_total",
		Help: "Check cycles not run because the previous cycle of the account was still running or ran moments ago.",
	}, []string{"account"})
	app.reg.MustRegister(skipped)
	sched := &agent.Scheduler{
		Interval: cfg.Interval, Jitter: float64(cfg.Jitter) / float64(cfg.Interval),
		Timeout: cfg.CycleTimeout, Cycle: app.agent.Cycle, MinGap: bo.manualGap(),
		OnSkip: func(account string) {
			skipped.WithLabelValues(account).Inc()
			log.Info("check run skipped: the previous one is still running or ran moments ago", "account", account)
		},
	}
	reauth, err := web.NewReAuthHandler(web.ReAuthOptions{
		Accounts: web.ReAuthenticators(app.agent, app.newClient), CSRF: web.WebCSRF(token),
		Agent: app.agent, Logger: log,
		OnSuccess: func(account string) { sched.TriggerAfterSignIn(account) },
	})
	if err != nil {
		app.Close()
		return nil, err
	}
	handler, err := web.NewHandler(web.ServerOptions{Agent: app.agent, Scheduler: sched,
		Gatherer: app.reg, WebToken: token, Logger: log, ReAuth: reauth})
	if err != nil {
		app.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	sched.Start(sctx, app.agent.AccountNames())
	d := &daemon{app: app, sched: sched, handler: handler, cancel: cancel}
	d.flusher.Go(func() { app.agent.RunNotifyFlusher(sctx, agent.FlushEvery) })
	return d, nil
}

// stop cancels running cycles, waits for them and closes the store.
func (d *daemon) stop() {
	d.cancel()
	d.sched.Wait()
	d.flusher.Wait()
	d.app.Close()
}

// webToken returns web.token, or the token generated into data_dir.
func webToken(cfg *configs.Config, log *slog.Logger) (string, error) {
	if cfg.Web.Token.IsSet() {
		return cfg.Web.Token.Reveal(), nil
	}
	path := filepath.Join(cfg.DataDir, "web-token")
	tok, created, err := web.LoadOrCreateWebToken(path)
	if err != nil {
		return "", err
	}
	if created {
		log.Info("generated a web token for the status page; open it once as /?token=<the token in this file>", "file", path)
	}
	return tok, nil
}
