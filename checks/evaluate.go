package checks

import "time"

// Evaluate judges one account: it runs every check of design §3 on obs with
// the thresholds of policy, the learned past in hist and the cycle time now,
// and returns the account's report. Checks come in table order
// (checkTable), library_audit only when obs.Audit is set; the account
// status is the worst status of the checks that are not Pending.
// Evaluate never fails: absent or contradictory data makes the affected
// check unknown, never ok.
//
// now is the time the cycle is judged at: CheckTime(obs, this machine's
// clock), so that ages are right on a NAS whose clock is off.
func Evaluate(obs Observation, policy Policy, hist History, now time.Time) AccountReport {
	e := evaluator{obs: obs, p: policy.sane(), hist: hist, now: now.UTC()}
	results := make([]CheckResult, 0, len(checkTable))
	for _, d := range checkTable {
		if d.only == nil || d.only(obs) {
			results = append(results, d.eval(&e))
		}
	}
	noteClock(obs, results)
	statuses := make([]Status, 0, len(results))
	for _, r := range results {
		if !r.Pending { // a pending check is shown, not counted (CheckResult.Pending)
			statuses = append(statuses, r.Status)
		}
	}
	return AccountReport{
		Name:     obs.Account,
		Status:   Worst(statuses...),
		Checks:   results,
		Observed: e.observed(),
	}
}

// NewReport assembles the multi-account report of one cycle: its status is
// the worst account status (unknown when there are no accounts) and
// CheckedAt is now in UTC.
func NewReport(now time.Time, accounts ...AccountReport) Report {
	statuses := make([]Status, len(accounts))
	for i, a := range accounts {
		statuses[i] = a.Status
	}
	if accounts == nil {
		accounts = []AccountReport{}
	}
	return Report{Status: Worst(statuses...), CheckedAt: now.UTC(), Accounts: accounts}
}

// evaluator carries the inputs of one Evaluate call.
type evaluator struct {
	obs  Observation
	p    Policy
	hist History
	now  time.Time
	// verdicts caches the per-folder local_copy verdicts.
	verdicts []copyVerdict
}

// result builds a CheckResult.
func result(id CheckID, s Status, summary, remediation string, d *Details) CheckResult {
	return CheckResult{ID: id, Status: s, Summary: summary, Remediation: remediation, Details: d}
}

// notConfigured is the result of a local check for an account without
// folders: ok, marked NotConfigured (see CheckResult.NotConfigured).
func notConfigured(id CheckID) CheckResult {
	r := result(id, StatusOK, "Not configured: no local folder is set for this account (iCloud is checked alone)", "", nil)
	r.NotConfigured = true
	return r
}

// notRead is the unknown result for a check whose data is absent; it names
// the sign-in problem when that is the reason.
func (e *evaluator) notRead(id CheckID, what string) CheckResult {
	reason := what + " could not be read this cycle"
	if k := e.obs.Auth.Kind; k != AuthOK {
		reason = "not checked: " + authShort(k)
	}
	return result(id, StatusUnknown, capitalize(reason), "", nil)
}

// sane replaces unusable policy values (zero, negative, out of range) with
// the defaults, so that a half-filled Policy can never disable a check by
// accident. Both storage ratios zero counts as unset. It validates
// nothing: configs rejects every value it would replace, so a loaded
// configuration is used as written (TestValidChecksAreEvaluatedAsWritten).
func (p Policy) sane() Policy {
	d := DefaultPolicy()
	fixDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fixDur(&p.Grace, d.Grace)
	fixDur(&p.UploadWarning, d.UploadWarning)
	fixDur(&p.UploadCritical, d.UploadCritical)
	fixDur(&p.UploadHistory, d.UploadHistory)
	fixDur(&p.SessionWarning, d.SessionWarning)
	fixDur(&p.SessionCritical, d.SessionCritical)
	fixDur(&p.LagCritical, d.LagCritical)
	fixDur(&p.DeletedWarning, d.DeletedWarning)
	fixDur(&p.DeletedCritical, d.DeletedCritical)
	if p.Newest <= 0 {
		p.Newest = d.Newest
	}
	if p.UploadAdaptiveQuantile <= 0 || p.UploadAdaptiveQuantile > 1 {
		p.UploadAdaptiveQuantile = d.UploadAdaptiveQuantile
	}
	if p.UploadAdaptiveFactor <= 0 {
		p.UploadAdaptiveFactor = d.UploadAdaptiveFactor
	}
	if p.MissingWarning <= 0 {
		p.MissingWarning = d.MissingWarning
	}
	if p.MissingCritical <= 0 {
		p.MissingCritical = d.MissingCritical
	}
	if p.StorageWarning <= 0 && p.StorageCritical <= 0 {
		p.StorageWarning, p.StorageCritical = d.StorageWarning, d.StorageCritical
	}
	if p.FolderShrink <= 0 || p.FolderShrink > 1 {
		p.FolderShrink = d.FolderShrink
	}
	return p
}
