// Package checks is the pure verdict engine: Observation + Policy + History +
// now → Report.
//
// Imports: the standard library and the shared vocabulary of package photo
// only. No I/O, no clock, no other project import.
//
// # Use
//
// Per account and cycle the agent calls
//
//	hist := checks.BuildHistory(storedPoints, policy, now)
//	acct := checks.Evaluate(obs, policy, hist, now)
//	point := checks.NewHistoryPoint(obs, hist, now) // store as JSON
//
// and per cycle checks.NewReport(now, accounts...) builds the Report whose
// JSON is the schema of docs/design.md §4 (the notify package derives
// status changes from successive Reports itself);
// checks.RenderText(report) is the human table of `verify`.
//
// # Adding a check
//
// checkTable (table.go) is the one list of checks: report order, AllChecks,
// the clock note and the plain names in notifications derive from it. A
// check on data the Observation already has is an evaluator method in a
// file of its own plus one row there; TestCheckTableDocumented then asks
// for its section in docs/checks.md and its row in design.md §3.
//
// # Statuses
//
// Every check yields ok, warning, critical or unknown; the account and the
// report take the worst, in the order ok < warning < unknown < critical
// (not knowing is worse than a known warning, a known emergency is worst).
// Absent data (nil pointers, zero times, Listed/Scanned/Matched false)
// makes a check unknown, never ok. The zero Status is unknown.
//
// # Decisions
//
//   - auth: every blocker (re-auth, password rejected or missing, locked,
//     password change, web access/ADP, terms, setup incomplete, wrong
//     region, security key only, sign-in budget) is critical with a
//     cause-specific remediation. Throttling, network and service errors are
//     unknown and become warning once the last successful sign-in is 24 h
//     old; they never become critical, so Apple's bursty 503s do not page.
//   - session_expiry: expired or < session_critical left → critical,
//     < session_warning → warning.
//   - storage: full (used ≥ total) or free < storage_critical → critical;
//     free < storage_warning → warning.
//   - local_copy: each folder must hold each of the newest `newest` assets
//     of every monitored library that are older than `grace`. An asset
//     counts as missing when no file matched or only its edit did (the
//     original is missing). A missing Live Photo video, edited rendition or
//     RAW alternate makes the asset "incomplete": listed and noted, status
//     unchanged (many importers skip those on purpose). "possible" matches
//     (capture time only) count as present and are listed as uncertain;
//     they raise a warning only in folders whose layout keeps Apple's names
//     (RenamesFiles false), where a name mismatch is suspicious, and for
//     layouts that name no importer (auto, flat) only when fewer than
//     half of the copies found are possible-only (a folder whose copies
//     are mostly renamed evidently renames, e.g. a OneDrive camera roll).
//     Missing ≥
//     missing_critical or lag ≥ lag_critical → critical; missing ≥
//     missing_warning → warning. Lag is the added-time distance between the
//     newest expected asset and the newest one present (a lower bound when
//     none is present). A folder that cannot be scanned or was not matched
//     makes its part unknown (the folder check says why).
//   - recently_deleted: items without a local copy (matcher confidence
//     below possible) by time left before purge: < deleted_critical (or
//     past due) → critical, < deleted_warning or unknown purge date →
//     warning. The page is ordered by purge date, so when it was truncated
//     and its last item purges within deleted_warning, unseen items may be
//     at risk and an otherwise ok result becomes unknown.
//   - library_coverage: libraries in iCloud that are not monitored (e.g. a
//     Shared Library) → warning. Hidden items no folder holds (unless
//     Observation.HiddenCovered) follow Observation.Hidden: notice (the
//     default) warns only while the count is above the count of a day ago
//     (History.HiddenBefore; no record = new), then is a note, so a healthy
//     library with a few hidden photos settles to ok; warn always warns;
//     ignore is a note. An uncounted hidden album (HiddenCount nil) is
//     unknown for a personal library or under warn, and a note otherwise.
//   - folder: missing or unreadable → critical; empty although it had
//     files, or lost at least folder_shrink of its files since the baseline
//     → critical. A sharp drop becomes the new baseline only after it
//     persisted 24 h (see BuildHistory), so a lost mount cannot look fine at
//     the next cycle; after a day the folder check accepts it while
//     local_copy keeps reporting every missing photo.
//   - indexing: a monitored library still indexing → unknown (results are
//     incomplete); the icloud_upload check is then unknown too.
//   - icloud_upload: see below. An empty library is unknown (nothing was
//     ever uploaded; iCloud Photos may be off). An added time more than
//     5 minutes in the future is clock skew → warning (ages and grace
//     periods are wrong until the clock is fixed). Assets without an added
//     time turn an ok into unknown (one of them might be the newest).
//     Capture times more than a day ahead only add a note (a device clock
//     is off; the matcher's capture-time rules suffer, uploads do not).
//   - local_copy with an empty listing is ok only when AssetCount says the
//     library is empty; otherwise unknown.
//
// # Adaptive upload-stall detection
//
// The current gap is g = now − (newest added time over the non-shared
// listed libraries; shared libraries are used only when there is no other).
// Upload times are the added times in History.Uploads plus those of the
// current observation, restricted to the last upload_history. Sorted, times
// less than one hour apart are joined into one upload event (so a holiday
// import of thousands of photos is one event). The gaps are the pauses
// between consecutive events (next event's first upload − previous event's
// last upload); the open gap g is not one of them. Nor is a closed gap
// during which the check was in alert on learned thresholds (a stored
// HistoryPoint.UploadAlert whose time lies after the gap's first event and
// at most one hour after the next one started): a stall that was reported
// is an incident, not the account's rhythm, and learning it would lift the
// thresholds until the next stall of the same length went unreported.
// Alerts of the cold start (fixed thresholds) do not exclude their gap, or
// a weekly photographer could never learn past the fixed 3-day warning.
// Only gaps of the same iCloud account count (OfOwner).
//
// With fewer than 8 gaps, or upload_adaptive false, the static rule applies:
// g ≥ upload_warning → warning, g ≥ upload_critical → critical. Otherwise,
// with q the upload_adaptive_quantile of the gaps (linear interpolation
// between order statistics, "type 7") and F = upload_adaptive_factor:
//
//	warnAt = clamp(F·q, upload_warning, upload_critical)
//	critAt = warnAt + (upload_critical − upload_warning)
//
// The static thresholds are floor and ceiling of the warning point: nobody
// is warned sooner than upload_warning (a night without photos is normal
// for anyone), and everybody is warned by upload_critical. So the ceiling
// of what learning can reach is
//
//	warnAt ≤ upload_critical,  critAt ≤ 2·upload_critical − upload_warning
//
// (7 d and 11 d with the defaults), whatever the history holds. Critical keeps
// the static distance behind the warning. With the defaults (3 d, 7 d,
// p99, ×2): a daily photographer (longest usual gap ~1.2 d) is warned at
// 3 d and critical at 7 d, so 4 quiet days are flagged; a weekly one
// (longest usual gap ~8 d) is warned at 7 d and critical at 11 d, so 4
// quiet days are not. This deviates from the design table's "critical >
// p99 × 2": applying the learned bound to the warning is what keeps a
// weekly photographer quiet after 4 days while a phone that stopped
// uploading is still critical within 11 days for anyone.
package checks
