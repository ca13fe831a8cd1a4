// Package agent composes one check cycle per account (session → cloud
// snapshot → local snapshot → match → evaluate → record → notify), the
// scheduler that runs it, the /healthz state, and SignInFlow, the one
// interactive sign-in behind `login` and the web re-auth pages.
//
// Imports: icloudapi, localindex, checks, history, metrics, notify,
// credstore, store. It never imports configs, web or the demo: cmd
// translates the configuration into agent options, and package web shows
// the agent (it imports agent, not the other way).
package agent
