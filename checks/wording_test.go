package checks

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// wrongPlural finds "1 photos", "newest 1 photos", "1 deleted items".
var wrongPlural = regexp.MustCompile(`(?:^|[^0-9.,])1 (?:[a-z-]+ )?(?:photos|items|files|assets|days|libraries|folders|copies|sign-ins|attempts)\b`)

// sameFigureTwice finds "50 of the newest 50": one figure per fact.
var sameFigureTwice = regexp.MustCompile(`\b(\d+) of the newest (\d+)\b`)

// doubledPhrase finds a sequence of three words said twice in one text.
func doubledPhrase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	seen := map[string]bool{}
	for i := 0; i+3 <= len(words); i++ {
		k := strings.Join(words[i:i+3], " ")
		if seen[k] {
			return k
		}
		seen[k] = true
	}
	return ""
}

// checkWording applies the wording rules of issue 23 to one check result:
// no check id or path in front, one statement per fact, right plurals.
func checkWording(t *testing.T, where string, c CheckResult) {
	t.Helper()
	for _, id := range AllChecks() {
		if strings.HasPrefix(c.Summary, string(id)) {
			t.Errorf("%s: summary leads with the check id %s: %q", where, id, c.Summary)
		}
	}
	if strings.HasPrefix(c.Summary, "/") || strings.HasPrefix(c.Remediation, "/") {
		t.Errorf("%s: text leads with a path: %q / %q", where, c.Summary, c.Remediation)
	}
	for _, text := range []string{c.Summary, c.Remediation} {
		if m := wrongPlural.FindString(text); m != "" {
			t.Errorf("%s: wrong plural %q in %q", where, m, text)
		}
	}
	for _, m := range sameFigureTwice.FindAllStringSubmatch(c.Summary, -1) {
		if m[1] == m[2] {
			t.Errorf("%s: %q says the same figure twice: %q", where, m[0], c.Summary)
		}
	}
	for _, part := range strings.Split(c.Summary, "; ") { // one part per folder or fact
		if d := doubledPhrase(part); d != "" {
			t.Errorf("%s: summary says %q twice: %q", where, d, c.Summary)
		}
	}
	for _, term := range []string{"two-factor", "does not exist", "locked", "security key", "rejected"} {
		if strings.Count(strings.ToLower(c.Summary), term) > 1 {
			t.Errorf("%s: summary says %q twice: %q", where, term, c.Summary)
		}
	}
}

// TestScenarioWording checks every summary and remediation of the golden
// scenarios (each check in each status they reach).
func TestScenarioWording(t *testing.T) {
	for _, sc := range scenarios() {
		for _, c := range evaluateScenario(sc).Checks {
			checkWording(t, sc.name+"/"+string(c.ID), c)
		}
	}
}

// realAuthMessages are the messages the agent passes on with each sign-in
// outcome (icloudapi's error texts), so that the summaries are tested with
// what users really see.
var realAuthMessages = map[AuthKind]string{
	AuthReauthRequired:   "Apple asks for a two-factor code",
	AuthPasswordRejected: "Apple rejected the password for this Apple ID",
	AuthPasswordMissing:  "the session expired and no password is stored",
	AuthLocked:           "Apple reports the account as locked",
	AuthSecurityKeyOnly:  "the account requires a security key for two-factor authentication",
	AuthSignInBudget:     "3 failed sign-ins in the last 24 hours",
	AuthServiceError:     "unexpected HTTP 500",
	AuthNetworkError:     "dial tcp: lookup setup.icloud.com: no such host",
}

func TestAuthSummaryNotDoubled(t *testing.T) {
	for k, msg := range realAuthMessages {
		obs := Observation{Account: "alice", Auth: AuthObservation{Kind: k, Message: msg}}
		a := Evaluate(obs, DefaultPolicy(), History{}, now)
		auth := a.Checks[0]
		if auth.ID != CheckAuth {
			t.Fatalf("first check is %s", auth.ID)
		}
		checkWording(t, string(k), auth)
	}
	// A figure or a new fact in the message is kept.
	for k, want := range map[AuthKind]string{AuthServiceError: "500", AuthSignInBudget: "3 failed", AuthNetworkError: "no such host"} {
		obs := Observation{Account: "alice", Auth: AuthObservation{Kind: k, Message: realAuthMessages[k]}}
		if s := Evaluate(obs, DefaultPolicy(), History{}, now).Checks[0].Summary; !strings.Contains(s, want) {
			t.Errorf("%s: summary %q lost %q", k, s, want)
		}
	}
}

// TestFolderSummaryNotDoubled uses localindex's reasons.
func TestFolderSummaryNotDoubled(t *testing.T) {
	for _, tc := range []struct{ problem, reason, want string }{
		{problemMissing, "folder does not exist: is the disk or network share mounted?",
			`Folder "alice" does not exist: is the disk or network share mounted?`},
		{problemUnreadable, "folder cannot be read (permission denied): check permissions of the user running icloudmon",
			`Folder "alice" cannot be read (permission denied): check permissions of the user running icloudmon`},
	} {
		t.Run(tc.problem, func(t *testing.T) {
			got := folderProblemText(FolderProblem{Folder: "alice", Path: "/photos/alice", Problem: tc.problem, Error: tc.reason})
			if got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.problem, got, tc.want)
			}
		})
	}
}

func TestPlurals(t *testing.T) {
	for n, want := range map[int]string{0: "0 libraries", 1: "1 library", 2: "2 libraries"} {
		if got := plural(n, "library"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
	v := copyVerdict{folder: FolderObservation{Name: "photos", Path: "/tmp/x/photos"}, expected: 1, judged: true}
	if got := v.describe(time.Hour); got != `The newest photo is in folder "photos"` {
		t.Errorf("one expected photo: %q", got)
	}
	v.missing = []Item{{Filename: "IMG_1.HEIC"}}
	if got := v.describe(time.Hour); got != `1 of the newest photo is not in folder "photos"` && wrongPlural.MatchString(got) {
		t.Errorf("one missing of one: %q", got)
	}
}

// TestTerminalSafe: a file name with ESC and a newline (possible from a
// Mac or a Shared Library participant) cannot drive the terminal or forge
// a report line of its own.
func TestTerminalSafe(t *testing.T) {
	evil := "IMG_1.HEIC\x1b[2J\x1b]0;pwned\x07\nicloudmon: OK at 2026-01-01 00:00 UTC\r\u202eGPJ.exe"
	a := AccountReport{Name: "alice\nicloudmon: OK", Status: StatusCritical, Checks: []CheckResult{{
		ID: CheckLocalCopy, Status: StatusCritical, Summary: "1 of the newest photo is not in folder \"x\nicloudmon: OK\"",
		Remediation: "run the importer", Details: &Details{Missing: []Item{{Filename: evil, Library: "lib\x1b[31m", Folder: "f\n"}}},
	}}}
	out := RenderText(NewReport(now, a))
	if strings.ContainsAny(out, "\x1b\r\x07\u202e") {
		t.Errorf("control characters reach the terminal:\n%q", out)
	}
	for i, line := range strings.Split(out, "\n") {
		if i > 0 && strings.Contains(strings.TrimSpace(line), "icloudmon: OK") && strings.HasPrefix(strings.TrimSpace(line), "icloudmon:") {
			t.Errorf("line %d forges a report line: %q", i, line)
		}
	}
	if !strings.Contains(out, `IMG_1.HEIC\x1b[2J`) {
		t.Errorf("the name is not shown escaped:\n%s", out)
	}
}

// TestPasswordFixInRemediation: the agent's fix for where icloudmon runs
// (a Docker secret in a container) replaces the keychain command.
func TestPasswordFixInRemediation(t *testing.T) {
	obs := Observation{Account: "alice", Auth: AuthObservation{Kind: AuthPasswordMissing,
		Message:     "file /run/secrets/alice_icloud: the file is empty",
		PasswordFix: "put the password in a Docker secret"}}
	c := Evaluate(obs, DefaultPolicy(), History{}, now).Checks[0]
	if !strings.Contains(c.Summary, "file /run/secrets/alice_icloud: the file is empty") ||
		!strings.Contains(c.Remediation, "put the password in a Docker secret") || strings.Contains(c.Remediation, "password set") {
		t.Errorf("summary %q, remediation %q", c.Summary, c.Remediation)
	}
	checkWording(t, "password_missing", c)
}
