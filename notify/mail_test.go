package notify

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"mime"
	"net"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/icloudmon/icloudmon/checks"
)

// fakeSMTP is a minimal SMTP server (RFC 5321 happy path, no STARTTLS)
// that keeps the DATA of every message.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	data []string
	rcpt []string
}

func newFakeSMTP(t *testing.T, tlsConf *tls.Config) *fakeSMTP {
	t.Helper()
	var ln net.Listener
	var err error
	if tlsConf != nil {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsConf)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	go f.serve()
	t.Cleanup(func() { _ = ln.Close() })
	return f
}

func (f *fakeSMTP) port() string { _, p, _ := net.SplitHostPort(f.ln.Addr().String()); return p }

func (f *fakeSMTP) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.session(c)
	}
}

func (f *fakeSMTP) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-fake\r\n250-8BITMIME\r\n250 SMTPUTF8")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			f.mu.Lock()
			f.rcpt = append(f.rcpt, strings.TrimSpace(line[8:]))
			f.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.data = append(f.data, b.String())
			f.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default: // MAIL FROM, RSET, NOOP, HELO
			say("250 ok")
		}
	}
}

func (f *fakeSMTP) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.data...)
}

// Issue 22 item 8: e-mails carry a Message-ID, a Date and a declared
// transfer encoding for their UTF-8 text.
func TestMailHasMessageIDAndTransferEncoding(t *testing.T) {
	srv := newFakeSMTP(t, nil)
	n, _ := newNotifier(t, Options{URLs: []string{
		"smtp://127.0.0.1:" + srv.port() + "/?from=icloudmon@nas.example&fromname=icloudmon&to=mum@example.com,dad@example.com&usestarttls=no",
	}})
	res, err := n.Notify(t.Context(), rep(one(checks.CheckAuth, checks.StatusCritical)))
	if err != nil || len(res) != 1 || res[0].Err != nil || res[0].Notifier != "smtp" {
		t.Fatalf("results %+v, err %v", res, err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("the SMTP server got %d messages, want 1 (one message, two recipients)", len(msgs))
	}
	m, err := mail.ReadMessage(strings.NewReader(msgs[0]))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, msgs[0])
	}
	h := m.Header
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.Contains(id, "@") {
		t.Errorf("Message-ID = %q, want <…@…>", id)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if cte := h.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding = %q, want quoted-printable", cte)
	}
	if ct := h.Get("Content-Type"); !strings.Contains(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "utf-8") {
		t.Errorf("Content-Type = %q", ct)
	}
	dec := new(mime.WordDecoder)
	if subj, _ := dec.DecodeHeader(h.Get("Subject")); subj != "icloudmon alice: CRITICAL, sign-in" {
		t.Errorf("Subject = %q", subj)
	}
	if h.Get("Importance") != "High" && h.Get("X-Priority") == "" {
		t.Errorf("a critical message is not marked important: %v", h)
	}
	srv.mu.Lock()
	rcpt := append([]string(nil), srv.rcpt...)
	srv.mu.Unlock()
	if len(rcpt) != 2 {
		t.Errorf("recipients %v, want both", rcpt)
	}
	for _, line := range strings.Split(msgs[0], "\r\n") {
		if len(line) > 998 {
			t.Errorf("a line of %d bytes", len(line))
		}
	}
}

// Issue 22 item 1 for e-mail: a mail server behind a private CA works with
// tls.ca_file (RootCAs) and fails without it.
func TestMailTrustsRootCAs(t *testing.T) {
	ca := httptest.NewUnstartedServer(nil)
	ca.StartTLS()
	defer ca.Close()
	srv := newFakeSMTP(t, &tls.Config{Certificates: ca.TLS.Certificates, MinVersion: tls.VersionTLS12})
	u := "smtp://127.0.0.1:" + srv.port() + "/?from=icloudmon@nas.example&to=mum@example.com&encryption=implicittls"
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	n, _ := newNotifier(t, Options{URLs: []string{u}, RootCAs: pool})
	if res := n.Test(t.Context()); len(res) != 1 || res[0].Err != nil {
		t.Fatalf("with the CA: %+v", res)
	}
	n2, _ := newNotifier(t, Options{URLs: []string{u}})
	if res := n2.Test(t.Context()); len(res) != 1 || res[0].Err == nil {
		t.Fatalf("without the CA the server was trusted: %+v", res)
	}
	if got := len(srv.messages()); got != 1 {
		t.Errorf("the server got %d messages, want only the one sent with the CA", got)
	}
}
