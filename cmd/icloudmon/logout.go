package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
)

type logoutFlags struct {
	account     string
	forgetTrust bool
}

func newLogoutCmd(c *cli) *cobra.Command {
	var f logoutFlags
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Forget the iCloud session of an account (keeps the 2FA trust unless --forget-trust)",
		Long: "logout signs the account's web session out at Apple and forgets it. The 2FA trust is kept,\n" +
			"so the next `icloudmon login` needs no code; --forget-trust deletes the whole saved session,\n" +
			"trust included (the next sign-in asks for a code). Stop a running daemon first: it keeps\n" +
			"its own copy of the session and saves it after every check.",
		Args: cobra.NoArgs,
		RunE: c.withConfig(func(ctx context.Context, cfg *configs.Config) error {
			return c.logout(ctx, cfg, f)
		}),
	}
	cmd.Flags().StringVar(&f.account, "account", "", "account to sign out (may be omitted when only one is configured)")
	cmd.Flags().BoolVar(&f.forgetTrust, "forget-trust", false, "also delete the 2FA trust: the next sign-in needs a code")
	configs.AddFlags(cmd.Flags(), configs.FlagDataDir, configs.FlagLogLevel, configs.FlagLogFormat)
	return cmd
}

func (c *cli) logout(ctx context.Context, cfg *configs.Config, f logoutFlags) error {
	acct, _, client, sessions, err := c.openAccount(cfg, f.account)
	if err != nil {
		return withExit(exitUnknown, err)
	}
	blob, err := sessions.Load(ctx, acct.Name)
	if errors.Is(err, credstore.ErrNotFound) {
		fmt.Fprintf(c.stdout, "No saved session for account %s; nothing to do.\n", acct.Name)
		return nil
	}
	if err == nil {
		err = client.RestoreSession(blob)
	}
	if f.forgetTrust {
		if err == nil {
			if lerr := client.Logout(ctx); lerr != nil {
				fmt.Fprintf(c.stderr, "Apple could not be told about the sign-out (%v); deleting the session here anyway.\n", lerr)
			}
		}
		if err := sessions.Delete(ctx, acct.Name); err != nil {
			return withExit(exitUnknown, err)
		}
		fmt.Fprintf(c.stdout, "Deleted the saved session and 2FA trust of account %s; the next `icloudmon login` asks for a code.\n", acct.Name)
		return nil
	}
	if err != nil {
		return withExit(exitUnknown, fmt.Errorf("%w; use --forget-trust to delete it", err))
	}
	if err := client.Logout(ctx); err != nil {
		return withExit(exitUnknown, fmt.Errorf("signing account %s out at Apple failed, nothing was changed: %w "+
			"(try again, or use --forget-trust to delete the session here)", acct.Name, err))
	}
	if err := saveSession(ctx, client, sessions, acct.Name); err != nil {
		return withExit(exitUnknown, err)
	}
	fmt.Fprintf(c.stdout, "Signed account %s out. The 2FA trust is kept, so `icloudmon login` needs no code "+
		"(--forget-trust drops it too); checks fail until you sign in again.\n", acct.Name)
	return nil
}
