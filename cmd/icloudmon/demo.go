package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/secret"
)

type demoFlags struct {
	scenario string
	listen   string
	dataDir  string
	once     bool
	verbose  bool
}

func newDemoCmd(c *cli) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole agent against a built-in fake iCloud and a generated folder (no Apple ID needed)",
		Long: "demo starts a fake iCloud in this process with a generated library, writes matching\n" +
			"local folders (icloudpd layout, one per library: photos and shared-library), and runs the\n" +
			"daemon against them: scheduler, status page,\n" +
			"/metrics and /healthz. --scenario shows what icloudmon detects: healthy, stalled (no\n" +
			"uploads for ten days), behind (the importer stopped), storage (iCloud nearly full), deleted\n" +
			"(a photo without a local copy is purged tomorrow), reauth (Apple asks for a 2FA code)\n" +
			"or gaps (a few photos from 2019 and 2021 were never copied: only the whole-library audit,\n" +
			"library_audit, finds them; the status page charts them by month and lists them as CSV).\n" +
			"With --once it runs one cycle, prints the report and exits like verify.\n" +
			"Notifications are printed by a webhook inside the demo; with --config FILE they go to\n" +
			"the notify: targets of FILE instead (its accounts are ignored), so you can see a real\n" +
			"message arrive on your phone: icloudmon demo --once --scenario behind --config my.yml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return c.demo(ctx, f)
		},
	}
	cmd.Flags().StringVar(&f.scenario, "scenario", "healthy", "what to show: "+strings.Join(demo.Scenarios, ", "))
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:9877", "address of the status page and /metrics")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "where to put the generated folder and state (default: a temporary directory, removed at exit)")
	cmd.Flags().BoolVar(&f.once, "once", false, "run one cycle, print the report and exit with verify's exit code")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "log every step")
	return cmd
}

func (c *cli) demo(ctx context.Context, f demoFlags) error {
	start := time.Now()
	dir, cleanup, err := demoDir(f.dataDir)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	defer cleanup()
	d, err := demo.Start(demo.Options{Scenario: f.scenario, Dir: dir})
	if err != nil {
		return withExit(exitUnknown, err)
	}
	defer d.Close()
	cfg, err := demoConfig(d, dir, f.listen)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	out := &lockedWriter{w: c.stdout}
	where, stopNotify, err := demoNotify(ctx, cfg, c.configPath, dir, d.Server.CertificatePEM(), out)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	defer stopNotify()
	log := demoLogger(c.stderr, f.verbose)
	seedDemoHistory(ctx, d, cfg, log)
	bo := buildOptions{sessions: credstore.ModeFile, minGap: 10 * time.Second}
	if f.once {
		return c.demoOnce(ctx, cfg, log, bo, out)
	}
	fmt.Fprintf(out, "notifications are %s\n", where)
	if f.scenario == "reauth" {
		go c.echoDemoCodes(ctx, d, out)
	}
	opts := daemonOptions{build: bo, reload: func() (*configs.Config, error) { return cfg, nil },
		started: func(addr string, dm *daemon) { c.demoStarted(ctx, cfg, addr, dm, start, dir, out) }}
	if err := runDaemon(ctx, cfg, log, opts); err != nil {
		return withExit(exitUnknown, err)
	}
	return nil
}

// seedDemoHistory gives the demo the 30 days of history a running daemon
// would have, so that the status page charts show the scenario's story
// (the stall, the lag, the filling storage) from the start. A failure only
// leaves the charts short.
func seedDemoHistory(ctx context.Context, d *demo.Demo, cfg *configs.Config, log *slog.Logger) {
	db, err := openStore(cfg)
	if err == nil {
		err = d.SeedHistory(ctx, db, demo.Account)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		log.Warn("could not seed the demo's history; the charts start empty", "err", err)
	}
}

// demoDir returns the working directory and how to clean it up.
func demoDir(dataDir string) (string, func(), error) {
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return "", nil, fmt.Errorf("creating --data-dir: %w", err)
		}
		abs, err := filepath.Abs(dataDir)
		return abs, func() {}, err
	}
	dir, err := os.MkdirTemp("", "icloudmon-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a temporary directory (set --data-dir): %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// demoConfig is an ordinary configuration pointing at the fake; it is also
// written to dir/icloudmon.yml so `verify --config` can be tried on it.
func demoConfig(d *demo.Demo, dir, listen string) (*configs.Config, error) {
	cfg := configs.Default()
	cfg.DataDir, cfg.Listen, cfg.Interval, cfg.Jitter = filepath.Join(dir, "data"), listen, configs.MinInterval, 0
	cfg.TLS.CAFile = d.CAFile
	cfg.Web.Token = secret.New(randomToken())
	acct := configs.DefaultAccount()
	acct.Name, acct.AppleID = demo.Account, demo.AppleID
	// The demo password is a file it wrote; the OS keychain is not asked (a
	// newcomer would otherwise see a warning about a keychain nobody set up).
	acct.Password.File, acct.Password.Keyring = d.PasswordFile, false
	acct.Endpoints = configs.Endpoints{Auth: d.Server.AuthURL(), Setup: d.Server.SetupURL(), Home: d.Server.HomeURL()}
	acct.Libraries = []string{configs.LibraryAll}
	// One folder per library, as two icloudpd runs fill them: each library
	// is compared only with its own folder.
	personal, shared := configs.DefaultFolder(), configs.DefaultFolder()
	personal.Path, personal.Name, personal.Layout = d.PhotosDir, "photos", configs.LayoutICloudPD
	personal.Libraries = []string{configs.LibraryPersonal}
	shared.Path, shared.Name, shared.Layout = d.SharedDir, "shared", configs.LayoutICloudPD
	shared.Libraries = []string{configs.LibraryShared}
	acct.Folders = []configs.Folder{personal, shared}
	cfg.Accounts = []configs.Account{acct}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	// The file is for `verify --config`: it carries no web token (YAML()
	// would print it as <secret>); a daemon started from it generates one.
	file := cfg
	file.Web.Token = secret.Secret{}
	if out, err := file.YAML(); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "icloudmon.yml"), out, 0o600)
	}
	return &cfg, nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func demoLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// demoOnce runs one cycle and exits like verify.
func (c *cli) demoOnce(ctx context.Context, cfg *configs.Config, log *slog.Logger, bo buildOptions, out io.Writer) error {
	app, err := build(ctx, cfg, log, bo)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	defer app.Close()
	rep, err := app.agent.RunCycle(ctx, demo.Account)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	report := checks.NewReport(time.Now(), rep)
	if err := writeReport(out, report, "text"); err != nil {
		return withExit(exitUnknown, err)
	}
	return exitFor(report.Status)
}

// demoStarted prints where to look, then the verdict of the first cycle.
func (c *cli) demoStarted(ctx context.Context, cfg *configs.Config, addr string, d *daemon, start time.Time, dir string, out io.Writer) {
	base, hint := clickableBase(addr)
	fmt.Fprintf(out, "icloudmon demo is running (started in %s)\n\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(out, "  status page  %s/?token=%s\n", base, cfg.Web.Token.Reveal())
	fmt.Fprintf(out, "  metrics      %s/metrics\n", base)
	fmt.Fprintf(out, "  health       %s/healthz\n", base)
	fmt.Fprintf(out, "  files        %s\n\n", dir)
	if hint != "" {
		fmt.Fprintf(out, "%s\n\n", hint)
	}
	go func() {
		for ctx.Err() == nil {
			if rep := d.app.agent.Report(); len(rep.Accounts) > 0 {
				fmt.Fprintf(out, "%s\nPress Ctrl-C to stop.\n", checks.RenderText(rep))
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
}

// clickableBase turns the address the server listens on into a URL a
// person can open: a wildcard listen (0.0.0.0, [::]) is not an address a
// browser can reach, so the URL uses 127.0.0.1 (this machine; with Docker's
// -p 9877:9877 also the host) and the hint says to use the machine's
// address from other devices.
func clickableBase(addr string) (base, hint string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr, ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "http://" + net.JoinHostPort("127.0.0.1", port), fmt.Sprintf("icloudmon listens on every address (%s): the links above work on this machine "+
			"(and on the Docker host with -p %s:%s); from another device use this machine's address, "+
			"e.g. http://<host-address>:%s/, where <host-address> is the NAS's or computer's name or IP on your network.", addr, port, port, port)
	}
	return "http://" + net.JoinHostPort(host, port), ""
}

// echoDemoCodes prints the 2FA codes the fake "sends", so the re-auth page
// can be tried.
func (c *cli) echoDemoCodes(ctx context.Context, d *demo.Demo, out io.Writer) {
	last := ""
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if code := d.Server.LastCode(); code != "" && code != last {
				last = code
				fmt.Fprintf(out, "demo: the fake iCloud sent the verification code %s\n", code)
			}
		}
	}
}
