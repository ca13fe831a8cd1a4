package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/services/email/smtp"
	"github.com/wneessen/go-mail"
)

// mailTarget sends smtp:// URLs with go-mail instead of shoutrrr's smtp
// service, which writes no Message-ID and an 8-bit body without a
// Content-Transfer-Encoding (strict relays and spam filters penalise both)
// and cannot trust tls.ca_file. The URL keeps shoutrrr's syntax, parsed by
// shoutrrr itself: smtp://user:pass@host:port/?from=…&to=a,b
// [&fromname=…][&encryption=auto|none|explicittls|implicittls]
// [&usestarttls=no][&requirestarttls=yes][&clienthost=…][&subject=…].
type mailTarget struct {
	label string
	cfg   smtp.Config
	roots *x509.CertPool
	red   *redactor
}

func newMailTarget(rawURL string, index int, roots *x509.CertPool) (*mailTarget, error) {
	red := newRedactor(rawURL, false)
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("notify.urls #%d (smtp): the URL does not parse; check it against CONFIGURATION.md", index)
	}
	svc := &smtp.Service{}
	if err := svc.Initialize(u, nil); err != nil {
		return nil, fmt.Errorf("notify.urls #%d (smtp): %w; check the URL against CONFIGURATION.md", index, red.scrubErr(err))
	}
	if svc.Config.FromAddress == "" || len(svc.Config.ToAddresses) == 0 {
		return nil, fmt.Errorf("notify.urls #%d (smtp): the URL needs from= and to= (smtp://user:pass@host:587/?from=icloudmon@example.com&to=me@example.com)", index)
	}
	if svc.Config.Auth == smtp.AuthTypes.OAuth2 {
		return nil, fmt.Errorf("notify.urls #%d (smtp): auth=OAuth2 is not supported; use a password (app password)", index)
	}
	return &mailTarget{label: fmt.Sprintf("smtp#%d", index), cfg: *svc.Config, roots: roots, red: red}, nil
}

func (t *mailTarget) notifier() string { return "smtp" }
func (t *mailTarget) name() string     { return t.label }

// send delivers m as a plain-text UTF-8 e-mail with Message-ID, Date and a
// quoted-printable body.
func (t *mailTarget) send(ctx context.Context, m message) error {
	msg := mail.NewMsg(mail.WithEncoding(mail.EncodingQP), mail.WithCharset(mail.CharsetUTF8))
	if err := msg.FromFormat(t.cfg.FromName, t.cfg.FromAddress); err != nil {
		return fmt.Errorf("%s: from= is not an e-mail address: %w", t.label, err)
	}
	if err := msg.To(t.cfg.ToAddresses...); err != nil {
		return fmt.Errorf("%s: to= holds an invalid address: %w", t.label, err)
	}
	subject := m.Title
	if t.cfg.Subject != "" {
		subject = t.cfg.Subject
	}
	msg.Subject(subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetUserAgent(userAgent)
	switch m.Priority {
	case "high":
		msg.SetImportance(mail.ImportanceHigh)
	case "low":
		msg.SetImportance(mail.ImportanceLow)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Body)

	opts := t.options()
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, mail.WithTimeout(time.Until(dl)))
	}
	client, err := mail.NewClient(t.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("%s: %w", t.label, t.red.scrubErr(err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("%s: %w", t.label, t.red.scrubErr(err))
	}
	return nil
}

// options maps the shoutrrr settings onto go-mail. TLS is verified
// against the system roots plus tls.ca_file; it is never switched off
// (skiptlsverify is refused before this point).
func (t *mailTarget) options() []mail.Option {
	c := t.cfg
	opts := []mail.Option{
		mail.WithPort(int(c.Port)), mail.WithHELO(c.ClientHost),
		mail.WithTLSConfig(&tls.Config{ServerName: c.Host, RootCAs: t.roots, MinVersion: tls.VersionTLS12}),
	}
	implicit := c.Encryption == smtp.EncMethods.ImplicitTLS || (c.Encryption == smtp.EncMethods.Auto && c.Port == 465)
	switch {
	case implicit:
		opts = append(opts, mail.WithSSL())
	case c.Encryption == smtp.EncMethods.None || !c.UseStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case c.Encryption == smtp.EncMethods.ExplicitTLS || c.RequireStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	switch c.Auth {
	case smtp.AuthTypes.Plain:
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	case smtp.AuthTypes.CRAMMD5:
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthCramMD5), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	return opts
}
