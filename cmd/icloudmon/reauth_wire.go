package main

import (
	"fmt"
	"net/http"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/icloudapi"
)

// reauthHandler serves the web re-auth pages /auth/<account> of the
// daemon's accounts (ServerOptions.ReAuth). Each sign-in runs on a new
// client built like the daemon's (same endpoints, CA and request metrics)
// and, on success, saves the session and hands it to the daemon's client,
// so the next cycle uses it. sched, if not nil, is asked for a check right
// after a success (skipped when one ran less than MinGap ago).
func (rt *app) reauthHandler(webToken string, sched *agent.Scheduler) (http.Handler, error) {
	roots, err := extraRoots(rt.cfg.TLS.CAFile)
	if err != nil {
		return nil, err
	}
	newClient := func(name string) (*icloudapi.Client, error) {
		for _, a := range rt.cfg.Accounts {
			if a.Name == name {
				return newICloudClient(a, roots, rt.log, rt.metrics)
			}
		}
		return nil, fmt.Errorf("no account named %q in the configuration", name)
	}
	opts := agent.ReAuthOptions{Accounts: agent.ReAuthenticators(rt.agent, newClient),
		CSRF: agent.WebCSRF(webToken), Agent: rt.agent, Logger: rt.log}
	if sched != nil {
		opts.OnSuccess = func(account string) { sched.Trigger(account) }
	}
	return agent.NewReAuthHandler(opts)
}
