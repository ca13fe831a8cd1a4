// Package notify sends notifications (shoutrrr URLs, healthchecks.io and
// Uptime Kuma pings, a JSON webhook) and runs the alert state machine (fire,
// remind, resolve, quiet hours) whose state is persisted through an interface
// this package owns.
//
// Imports: checks (for the Report types) and shoutrrr.
package notify
