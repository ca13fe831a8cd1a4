package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/secret"
)

func newPasswordCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "password",
		Short: "Store or delete an account's Apple ID password in the OS keychain",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newPasswordSubCmd(c, "set",
		"Store the Apple ID password in the OS keychain (read without echo, or from standard input's first line)",
		c.passwordSet))
	cmd.AddCommand(newPasswordSubCmd(c, "delete", "Delete the Apple ID password from the OS keychain", c.passwordDelete))
	return cmd
}

func newPasswordSubCmd(c *cli, use, short string, run func(context.Context, configs.Account) error) *cobra.Command {
	var account string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + ".\nThe keychain entry is the service \"icloudmon\" with the Apple ID as user. Where no OS\n" +
			"keychain exists (containers, servers without a desktop session) use password.file (for\n" +
			"example a Docker secret under /run/secrets) or password.env instead.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig(cmd)
			if err != nil {
				return withExit(exitUnknown, err)
			}
			acct, err := pickAccount(cfg, account)
			if err != nil {
				return withExit(exitUnknown, err)
			}
			ctx := cmd.Context()
			return run(ctx, acct)
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "account (may be omitted when only one is configured)")
	return cmd
}

func (c *cli) passwordSet(ctx context.Context, acct configs.Account) error {
	in := c.prompter()
	pw, err := in.secret(fmt.Sprintf("Apple ID password of %s: ", acct.Name))
	if err == nil && in.tty {
		var again string
		if again, err = in.secret("Again, to confirm: "); err == nil && again != pw {
			return withExit(exitUnknown, errors.New("the two passwords differ; nothing was stored"))
		}
	}
	if err != nil || pw == "" {
		return withExit(exitUnknown, errors.New("no password was given (type it, or pipe it as the first line of standard input); nothing was stored"))
	}
	if err := c.keychainSet(ctx, acct.AppleID, secret.New(pw)); err != nil {
		return withExit(exitUnknown, keychainHint(err))
	}
	fmt.Fprintf(c.stdout, "Stored the password of account %s in the OS keychain.\n", acct.Name)
	if !acct.Password.Keyring {
		fmt.Fprintf(c.stdout, "Note: password.keyring is false for account %s, so icloudmon does not look there; set it to true.\n", acct.Name)
	}
	return nil
}

func (c *cli) passwordDelete(ctx context.Context, acct configs.Account) error {
	err := c.keychainDelete(ctx, acct.AppleID)
	switch {
	case errors.Is(err, credstore.ErrNotFound):
		fmt.Fprintf(c.stdout, "No password of account %s is stored in the OS keychain; nothing to delete.\n", acct.Name)
		return nil
	case err != nil:
		return withExit(exitUnknown, keychainHint(err))
	}
	fmt.Fprintf(c.stdout, "Deleted the password of account %s from the OS keychain.\n", acct.Name)
	return nil
}

// keychainHint adds what to do when there is no usable keychain.
func keychainHint(err error) error {
	if !errors.Is(err, credstore.ErrKeychainUnavailable) {
		return err
	}
	return fmt.Errorf("%w\nWithout an OS keychain, put the password in a file only icloudmon can read and set "+
		"accounts[].password.file to it (with Docker or Podman: a secret, mounted under /run/secrets/), "+
		"or set accounts[].password.env to the name of an environment variable that holds it", err)
}
