// Package notify sends notifications (shoutrrr URLs, healthchecks.io and
// Uptime Kuma pings, a JSON webhook) and runs the alert state machine (fire,
// remind, resolve, quiet hours) whose state is persisted through an interface
// this package owns.
//
// # Messages
//
// Notify takes the Report of a cycle and sends at most one message per
// account, to every target at once, each send bounded by a timeout: a slow
// or failing target never holds up the others or the cycle. A message
// collapses everything that is due for the account: status changes per
// check ("changed", "resolved"), reminders of checks still failing after
// remind_every, the final reminder on the last day before the session
// expires or before a Recently Deleted item without a local copy is purged
// (sent once per deadline, whatever reminders came before), and a single
// "flapping" note for a check that changes too often (its further changes
// are held back until it has been stable for the flap window, unless it
// gets worse). Each reason carries the check's summary, its remediation and
// a link to the status page or, for sign-in problems, the re-auth page.
//
// Quiet hours hold non-urgent reasons back; they are coalesced (a change
// that undid itself during the night disappears) and sent by the first
// Notify or Flush after quiet hours end. A change to critical breaks quiet
// hours when so configured; a final reminder breaks them only when its
// deadline would pass before they end.
//
// # Persistence and delivery guarantee
//
// The state lives in the KV namespace "notify" under the key
// "account/<name>", one JSON record per account (format version "v": 1):
// per check the last observed and the last announced status, when a message
// about it was last decided, recent change times (flap detection), the
// deadlines whose final reminder went out, and the reasons held back by
// quiet hours. The record is written BEFORE the message it decides is sent.
// The guarantee is therefore at most once per decision: a crash or restart
// between the write and the send loses that message instead of repeating
// it, and a restart or crash loop never repeats anything (reminders repeat
// what is still wrong, on their schedule). A failed send is counted in the
// results, logged and not retried. When the record cannot be written,
// nothing is sent for that account in that cycle.
//
// # Pings
//
// Start and Cycle.Done/Failed implement the healthchecks.io protocol (/start
// when a cycle begins; the plain URL for ok; /1, /2 or /3 for warning,
// critical and unknown; /fail when the cycle broke (the agent calls Failed
// when a cycle panics); /log when it was interrupted by a shutdown or
// reload (Interrupted: an explained end that pages nobody); a log body with
// the summary; one run id per cycle) and the Uptime Kuma push
// (status=up|down, msg, ping in milliseconds; down when the report is
// critical or the cycle failed). A ping URL may contain "{account}" to give
// each account its own check; without it, the URL is shared and every ping
// reports the worst latest status over all accounts.
//
// Notification URLs are secrets: they never appear in logs, errors or
// results, which name targets as "ntfy#1", "webhook", "healthchecks".
//
// Imports: checks (for the Report types) and shoutrrr.
package notify
