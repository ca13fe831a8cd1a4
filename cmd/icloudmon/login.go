package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/metrics"
)

type loginFlags struct {
	account string
	sms     bool
	phone   int
}

func newLoginCmd(c *cli) *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to iCloud interactively (2FA code by trusted device or SMS) and save the session",
		Long: "login signs in with the account's password (from the configured sources, else it asks;\n" +
			"without a terminal it reads the first line of standard input), asks Apple for a two-factor\n" +
			"code on your trusted devices (or by SMS with --sms) and reads the code (without a terminal:\n" +
			"the next line of standard input). The session and the 2FA trust are saved where `run` finds\n" +
			"them, so later sign-ins need no code until Apple's trust expires (about 30 days).\n" +
			"Exit status 0 when signed in, 2 when Apple refused (wrong password or code, locked\n" +
			"account…), 3 on other errors.",
		Example: "  icloudmon login --account alice\n  icloudmon login --account alice --sms --phone 2\n" +
			"  echo 123456 | icloudmon login --account alice   # code typed into a pipe",
		Args: cobra.NoArgs,
		RunE: c.withConfig(func(ctx context.Context, cfg *configs.Config) error {
			return c.login(ctx, cfg, f)
		}),
	}
	cmd.Flags().StringVar(&f.account, "account", "", "account to sign in (may be omitted when only one is configured)")
	cmd.Flags().BoolVar(&f.sms, "sms", false, "send the code by SMS to a trusted phone number instead of the trusted devices")
	cmd.Flags().IntVar(&f.phone, "phone", 0, "id of the trusted phone number for --sms (listed by --sms; default: the first)")
	configs.AddFlags(cmd.Flags(), configs.FlagDataDir, configs.FlagLogLevel, configs.FlagLogFormat)
	return cmd
}

func (c *cli) login(ctx context.Context, cfg *configs.Config, f loginFlags) error {
	acct, log, client, sessions, err := c.openAccount(cfg, f.account)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	// The same sign-in as the web re-auth pages; it loads the saved
	// session (trust token, budget) and saves the new one whatever happens.
	flow := &agent.SignInFlow{Account: acct.Name, Sessions: sessions, Logger: log,
		NewClient: func() (*icloudapi.Client, error) { return client, nil }}
	in := c.prompter()
	pw, source, err := loginPassword(ctx, acct, in)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	tf, err := flow.Start(ctx, pw)
	if err == nil && tf != nil {
		err = c.twoFactor(ctx, flow, tf, f, in)
	}
	if err != nil {
		return loginFailure(acct.Name, source, err)
	}
	fmt.Fprintf(c.stdout, "Signed in to iCloud as account %s; the session is saved%s.\n", acct.Name, expiryText(client))
	return nil
}

// pickAccount returns the named account, or the only one when name is "".
func pickAccount(cfg *configs.Config, name string) (configs.Account, error) {
	names := make([]string, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		if a.Name == name || (name == "" && len(cfg.Accounts) == 1) {
			return a, nil
		}
		names[i] = a.Name
	}
	if name == "" {
		return configs.Account{}, fmt.Errorf("%d accounts are configured; choose one with --account (%s)", len(names), strings.Join(names, ", "))
	}
	return configs.Account{}, fmt.Errorf("no account named %q in the configuration (configured: %s)", name, strings.Join(names, ", "))
}

// openAccount picks the named account (see pickAccount) and builds its
// logger, its iCloud client (same settings as `run`) and the session store.
func (c *cli) openAccount(cfg *configs.Config, name string) (configs.Account, *slog.Logger, *icloudapi.Client, *credstore.SessionStore, error) {
	acct, err := pickAccount(cfg, name)
	if err != nil {
		return acct, nil, nil, nil, err
	}
	log := newLogger(cfg, c.stderr)
	roots, err := trustedRoots(cfg.TLS.CAFile)
	if err != nil {
		return acct, log, nil, nil, err
	}
	m, err := metrics.New(metrics.NewRegistry(), metrics.Options{})
	if err != nil {
		return acct, log, nil, nil, err
	}
	client, err := newICloudClient(acct, roots, log, m, cfg.DataDir)
	if err != nil {
		return acct, log, nil, nil, fmt.Errorf("account %s: %w", acct.Name, err)
	}
	sessions, err := credstore.NewSessionStore(cfg.DataDir, c.sessionMode, log)
	if err != nil {
		return acct, log, client, nil, err
	}
	return acct, log, client, sessions, nil
}

func saveSession(ctx context.Context, client *icloudapi.Client, sessions *credstore.SessionStore, name string) error {
	blob, err := client.MarshalSession()
	if err == nil {
		err = sessions.Save(ctx, name, blob)
	}
	if err != nil {
		return fmt.Errorf("the session of account %s could not be saved (is data_dir writable?): %w", name, err)
	}
	return nil
}

// loginPassword returns the password from the configured sources, else
// asks for it. source says where it came from (for messages).
func loginPassword(ctx context.Context, acct configs.Account, in *prompter) (pw, source string, err error) {
	found, err := credstore.LookupPassword(ctx, passwordOptions(acct))
	if err == nil {
		return found.Value.Reveal(), found.Source, nil
	}
	if !errors.Is(err, credstore.ErrNotFound) {
		return "", "", err
	}
	pw, rerr := in.secret(fmt.Sprintf("Apple ID password of %s: ", acct.Name))
	if rerr != nil || pw == "" {
		return "", "", fmt.Errorf("%w; or give it on standard input (first line)", err)
	}
	if in.tty {
		return pw, "the terminal", nil
	}
	return pw, "standard input", nil
}

// twoFactor gets a code delivered, reads it and submits it.
func (c *cli) twoFactor(ctx context.Context, flow *agent.SignInFlow, tf *icloudapi.TwoFactorChallenge, f loginFlags, in *prompter) error {
	if err := c.requestCode(ctx, flow, tf, f); err != nil {
		return err
	}
	tries := 1
	if in.tty {
		tries = 3
	}
	for try := 1; ; try++ {
		line, err := in.ask(fmt.Sprintf("Verification code (%d digits): ", tf.CodeLength))
		if err != nil {
			return fmt.Errorf("no verification code was read from standard input (%w); type it on the next line after the password, or run login in a terminal", err)
		}
		if err = flow.Submit(ctx, line); err == nil {
			return nil
		}
		retry := errors.Is(err, icloudapi.ErrWrongCode) || errors.Is(err, agent.ErrCodeFormat)
		if errors.Is(err, icloudapi.ErrWrongCode) && try >= tries {
			return fmt.Errorf("%w; run `icloudmon login` again for a new code", err)
		}
		if try >= tries || !retry {
			return err
		}
		fmt.Fprintf(c.stderr, "%v. Try again (%d left).\n", err, tries-try)
	}
}

// requestCode asks Apple to deliver a code by trusted device or SMS. A
// push that Apple does not confirm is reported, and the code still asked
// for: it may reach the devices anyway.
func (c *cli) requestCode(ctx context.Context, flow *agent.SignInFlow, tf *icloudapi.TwoFactorChallenge, f loginFlags) error {
	sms := f.sms || f.phone != 0
	if !sms && !tf.HasTrustedDevices {
		if len(tf.Phones) == 0 {
			return errNoDelivery
		}
		fmt.Fprintln(c.stderr, "This account has no trusted Apple device; the code is sent by SMS instead.")
		sms = true
	}
	if !sms {
		req, err := flow.RequestCode(ctx, 0)
		if err != nil {
			return err
		}
		if req.Unconfirmed != nil {
			fmt.Fprintf(c.stderr, "Apple did not confirm the request for a code on your trusted Apple devices (%v).\n"+
				"A code may still appear there; if none arrives, stop with Ctrl-C and run `icloudmon login --sms`.\n", req.Unconfirmed)
			return nil
		}
		fmt.Fprintln(c.stderr, "Apple is showing a verification code on your trusted Apple devices (allow the sign-in if asked).")
		return nil
	}
	phone, err := choosePhone(c.stderr, tf.Phones, f.phone)
	if err != nil {
		return err
	}
	if _, err := flow.RequestCode(ctx, phone.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Apple sent a verification code by SMS to %s.\n", phone.PhoneLabel())
	return nil
}

var errNoDelivery = errors.New("no trusted device and no trusted phone number is offered by Apple for this account; " +
	"sign in once at https://www.icloud.com and check the account's trusted devices and phone numbers")

// choosePhone lists the trusted numbers and returns the one with id (the
// first when id is 0).
func choosePhone(w io.Writer, phones []icloudapi.TrustedPhone, id int) (icloudapi.TrustedPhone, error) {
	if len(phones) == 0 {
		return icloudapi.TrustedPhone{}, errors.New("no trusted phone number is listed by Apple for this account; run login without --sms to use a trusted device")
	}
	fmt.Fprintln(w, "Trusted phone numbers:")
	for _, p := range phones {
		fmt.Fprintf(w, "  --phone %-3d %s\n", p.ID, p.PhoneLabel())
	}
	for _, p := range phones {
		if id == 0 || p.ID == id {
			return p, nil
		}
	}
	return icloudapi.TrustedPhone{}, fmt.Errorf("no trusted phone number has the id %d; use one of the ids listed above", id)
}

// refusals are the errors for which login exits 2: Apple said no.
var refusals = []error{icloudapi.ErrPasswordRejected, icloudapi.ErrAccountLocked, icloudapi.ErrWrongCode,
	icloudapi.ErrSecurityKeyOnly, icloudapi.ErrWebAccessDisabled, icloudapi.ErrTermsNotAccepted,
	icloudapi.ErrWrongRegion, icloudapi.ErrReauthRequired, errNoDelivery}

func loginFailure(name, source string, err error) error {
	if errors.Is(err, icloudapi.ErrPasswordRejected) {
		err = fmt.Errorf("%w; the password came from %s", err, source)
	}
	err = fmt.Errorf("sign-in of account %s failed: %w", name, err)
	for _, r := range refusals {
		if errors.Is(err, r) {
			return withExit(exitCritical, err)
		}
	}
	return withExit(exitUnknown, err)
}

func expiryText(client *icloudapi.Client) string {
	if t, ok := client.SessionExpiry(); ok {
		return "; Apple will ask for a new sign-in around " + t.Local().Format("2006-01-02")
	}
	return ""
}

// prompter reads answers: from the terminal (prompting on stderr, secrets
// without echo) or, without a terminal, one line of standard input each.
type prompter struct {
	r   *bufio.Reader
	out io.Writer
	tty bool
	fd  int
}

// stdinTerminal reports whether in is a terminal (cli.isTerminal).
func stdinTerminal(in io.Reader) (fd int, ok bool) {
	f, isFile := in.(*os.File)
	if !isFile {
		return 0, false
	}
	fd = int(f.Fd()) //nolint:gosec // G115: file descriptors fit in an int
	return fd, term.IsTerminal(fd)
}

// prompter reads from c.stdin and prompts on c.stderr.
func (c *cli) prompter() *prompter {
	fd, tty := c.isTerminal(c.stdin)
	return &prompter{r: bufio.NewReader(c.stdin), out: c.stderr, tty: tty, fd: fd}
}

// secret reads a password: without echo on a terminal.
func (p *prompter) secret(prompt string) (string, error) {
	if !p.tty {
		return p.line()
	}
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(p.fd)
	fmt.Fprintln(p.out)
	return string(b), err
}

// ask prompts on a terminal and reads one line.
func (p *prompter) ask(prompt string) (string, error) {
	if p.tty {
		fmt.Fprint(p.out, prompt)
	}
	return p.line()
}

// line reads one line without its line ending; a last line without one
// counts.
func (p *prompter) line() (string, error) {
	s, err := p.r.ReadString('\n')
	if errors.Is(err, io.EOF) && s != "" {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r"), nil
}
