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
)

// Exit codes follow the monitoring-plugin convention (design §4).
const (
	exitOK       = 0
	exitWarning  = 1
	exitCritical = 2
	exitUnknown  = 3
)

// cli carries what every subcommand needs: the standard streams and the
// global flags. Subcommands register themselves in init() through
// addCommand, so each command lives in its own file.
type cli struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	configPath string
}

var commandFactories []func(*cli) *cobra.Command

// addCommand registers a subcommand factory; call it from init().
func addCommand(f func(*cli) *cobra.Command) {
	commandFactories = append(commandFactories, f)
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
	for _, f := range commandFactories {
		root.AddCommand(f(c))
	}
	return root
}

// run executes the command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
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
