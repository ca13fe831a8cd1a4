package checks

// Transitions lists the check status changes from prev to cur, per account
// and check, in cur's order. A check that prev did not have (first report,
// new account) yields a transition with First set only when its status is
// not ok, so a healthy start notifies nobody. Resolved is set when a check
// returns to ok from warning, critical or unknown. Accounts that disappeared
// from cur yield nothing (they are no longer monitored).
func Transitions(prev, cur Report) []Transition {
	before := map[string]map[CheckID]Status{}
	for _, a := range prev.Accounts {
		m := map[CheckID]Status{}
		for _, c := range a.Checks {
			m[c.ID] = c.Status
		}
		before[a.Name] = m
	}
	var out []Transition
	for _, a := range cur.Accounts {
		for _, c := range a.Checks {
			from, ok := before[a.Name][c.ID]
			t := Transition{Account: a.Name, Check: c.ID, From: from, To: c.Status,
				Summary: c.Summary, Remediation: c.Remediation}
			switch {
			case !ok && c.Status == StatusOK:
				continue
			case !ok:
				t.First, t.From = true, StatusUnknown
			case from == c.Status:
				continue
			}
			t.Resolved = ok && c.Status == StatusOK
			out = append(out, t)
		}
	}
	return out
}
