package outlets

import (
	"mime"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/notify"
)

// aiosmtpdPython is a python3 that can import aiosmtpd (Debian's
// python3-aiosmtpd installs it for /usr/bin/python3).
func aiosmtpdPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import aiosmtpd").Run() == nil {
			return path
		}
	}
	msg := "no python3 with aiosmtpd; apt-get install python3-aiosmtpd"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// A real SMTP server (aiosmtpd, delivering into a Maildir) receives the
// e-mails of a failing and a resolving cycle, each with a Message-ID, a
// Date and a declared transfer encoding.
func TestSMTPReceivesFailingAndResolvingCycle(t *testing.T) {
	py := aiosmtpdPython(t)
	dir := t.TempDir()
	maildir := filepath.Join(dir, "Maildir")
	port := freePort(t)
	out := start(t, dir, nil, py, "-m", "aiosmtpd", "-n", "-l", addr(port), "-c", "aiosmtpd.handlers.Mailbox", maildir)
	waitTCP(t, addr(port), 20*time.Second, out)

	sendFailingThenResolving(t, dir, notify.Options{
		URLs: []string{"smtp://" + addr(port) + "/?from=icloudmon@nas.example&fromname=icloudmon&to=parents@example.com"},
	})

	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	if len(files) != 2 {
		t.Fatalf("the Maildir holds %d messages, want 2\n%s", len(files), out.String())
	}
	var subjects []string
	var evidence strings.Builder
	dec := new(mime.WordDecoder)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("%s is not an RFC 5322 message: %v", f, err)
		}
		h := m.Header
		subj, _ := dec.DecodeHeader(h.Get("Subject"))
		subjects = append(subjects, subj)
		if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") {
			t.Errorf("%q: Message-ID %q", subj, id)
		}
		if _, err := h.Date(); err != nil {
			t.Errorf("%q: Date: %v", subj, err)
		}
		if h.Get("Content-Transfer-Encoding") != "quoted-printable" || !strings.Contains(strings.ToLower(h.Get("Content-Type")), "charset=utf-8") {
			t.Errorf("%q: Content-Type %q, Content-Transfer-Encoding %q", subj, h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"))
		}
		head, _, _ := strings.Cut(string(raw), "\n\n")
		evidence.WriteString(head + "\n\n")
	}
	sort.Strings(subjects)
	if want := []string{"icloudmon alice: CRITICAL, local copy", "icloudmon alice: resolved, local copy"}; strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Errorf("subjects %q, want %q", subjects, want)
	}
	t.Logf("headers as delivered:\n%s", evidence.String())
	if d := os.Getenv("ICLOUDMON_OUTLETS_EVIDENCE"); d != "" {
		_ = os.WriteFile(filepath.Join(d, "smtp-headers.txt"), []byte(evidence.String()), 0o600)
	}
}
