// Command icloudmon verifies that iCloud Photos are really backed up: it
// reads the newest assets of each iCloud photo library, compares them with
// the local import folders and reports what it finds to people, dashboards
// and alert pipelines.
//
// This is the only package that maps errors to exit codes and prints for
// humans; every other package returns values and errors.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/secret"
)

// Exit codes follow the monitoring-plugin convention (design §4).
const (
	exitOK       = 0
	exitWarning  = 1
	exitCritical = 2
	exitUnknown  = 3
)

// cli carries what every subcommand needs: the standard streams, the
// global flags and the test seams (newCLI sets the real ones; tests
// replace them on their own cli, never in package state).
type cli struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	configPath string

	// isTerminal reports whether in is a terminal (and its descriptor).
	isTerminal func(in io.Reader) (fd int, ok bool)
	// sessionMode is where login keeps sessions: the same place as `run`
	// (the OS keychain when it works, else data_dir/sessions).
	sessionMode credstore.Mode
	// keychainSet and keychainDelete are the keychain calls of `password`.
	keychainSet    func(ctx context.Context, appleID string, pw secret.Secret) error
	keychainDelete func(ctx context.Context, appleID string) error
	// warmRoots starts loading the system's TLS roots (warmSystemRoots).
	warmRoots func()
	// oneShotGC sets the garbage collector up for a one-shot command
	// (deferGC).
	oneShotGC func()
}

// newCLI returns the cli of a real process on the given streams.
func newCLI(stdin io.Reader, stdout, stderr io.Writer) *cli {
	return &cli{stdin: stdin, stdout: stdout, stderr: stderr,
		isTerminal: stdinTerminal, sessionMode: credstore.ModeAuto,
		keychainSet: credstore.SetPassword, keychainDelete: credstore.DeletePassword,
		warmRoots: warmSystemRoots, oneShotGC: func() { deferGC(oneShotHeap) }}
}

// commands is every subcommand, each built by a function in a file of its
// own. A new command is one more entry here.
func (c *cli) commands() []*cobra.Command {
	return []*cobra.Command{
		newAuditCmd(c), newConfigCmd(c), newDemoCmd(c), newHealthcheckCmd(c), newLoginCmd(c), newLogoutCmd(c),
		newNotifyCmd(c), newPasswordCmd(c), newRunCmd(c), newVerifyCmd(c), newVersionCmd(c),
	}
}

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExit wraps err so that the command exits with code. A nil err with a
// non-zero code exits silently with that code (the command already printed
// what the user needs).
func withExit(code int, err error) error {
	return &exitError{code: code, err: err}
}

func newRootCmd(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "icloudmon",
		Short: "Verify that iCloud Photos are really backed up",
		Long: "icloudmon signs in to iCloud read-only, reads the newest photos of each library,\n" +
			"compares them with your local import folders and reports stalls, gaps, full\n" +
			"storage and sign-in problems.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.PersistentFlags().StringVar(&c.configPath, "config", "",
		"configuration file (YAML); also ICLOUDMON_CONFIG")
	// Every command inherits it: an unknown or bad flag names the
	// command's --help, which lists the flags it takes.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nrun '%s --help' for the flags of this command", err, cmd.CommandPath())
	})
	root.AddCommand(c.commands()...)
	return root
}

// run executes the command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newCLI(stdin, stdout, stderr).run(args)
}

// run executes the command line on c and returns the process exit code.
func (c *cli) run(args []string) int {
	stderr := c.stderr
	root := newRootCmd(c)
	root.SetArgs(args)
	// Every command's cmd.Context() is this context (never nil).
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "icloudmon: %v\n", ee.err)
		}
		return ee.code
	}
	// Usage errors (unknown command, bad flag) and anything unclassified are
	// UNKNOWN in the monitoring-plugin convention.
	msg := err.Error()
	if !strings.Contains(msg, "--help") {
		msg += "\nrun 'icloudmon --help' for the commands and their flags"
	}
	fmt.Fprintf(stderr, "icloudmon: %s\n", msg)
	return exitUnknown
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
