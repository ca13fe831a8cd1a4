package notify

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxPingBody bounds the log body sent to healthchecks.io (it keeps the
// first 100 kB; short is kinder to its log view).
const maxPingBody = 10 << 10

// accountPlaceholder in a ping URL is replaced by the account name, so that
// agents running one cycle per account can give each its own check.
const accountPlaceholder = "{account}"

// healthchecks pings a healthchecks.io (or self-hosted Healthchecks) check:
// /start when a cycle begins, the plain URL on success, /<exit code> for a
// warning, critical or unknown verdict, /fail when the cycle itself failed,
// /log for a test. Every ping carries the run id (rid) of its cycle.
type healthchecks struct {
	base   string
	client *http.Client
	red    *redactor
}

// ping POSTs body to the check URL with suffix ("/start", "", "/fail",
// "/2", "/log") and the run id.
func (h *healthchecks) ping(ctx context.Context, account, suffix, rid, body string) error {
	u, err := url.Parse(strings.ReplaceAll(h.base, accountPlaceholder, url.PathEscape(account)))
	if err != nil {
		return fmt.Errorf("healthchecks: the ping URL does not parse; copy it again from healthchecks.io")
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + suffix
	if rid != "" {
		q := u.Query()
		q.Set("rid", rid)
		u.RawQuery = q.Encode()
	}
	body = truncate(body, maxPingBody)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("healthchecks: %w", h.red.scrubErr(err))
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", userAgent)
	return doRequest(h.client, req, "healthchecks", h.red)
}

// uptimeKuma pushes to an Uptime Kuma push monitor:
// ?status=up|down&msg=…&ping=<cycle milliseconds>.
type uptimeKuma struct {
	base   string
	client *http.Client
	red    *redactor
}

func (k *uptimeKuma) push(ctx context.Context, account string, up bool, msg string, took time.Duration) error {
	u, err := url.Parse(strings.ReplaceAll(k.base, accountPlaceholder, url.PathEscape(account)))
	if err != nil {
		return fmt.Errorf("uptime_kuma: the push URL does not parse; copy it again from Uptime Kuma")
	}
	q := u.Query()
	q.Set("status", map[bool]string{true: "up", false: "down"}[up])
	q.Set("msg", truncate(msg, 250))
	q.Set("ping", strconv.FormatInt(took.Milliseconds(), 10))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("uptime_kuma: %w", k.red.scrubErr(err))
	}
	req.Header.Set("User-Agent", userAgent)
	return doRequest(k.client, req, "uptime_kuma", k.red)
}

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// newRunID returns a random UUID (version 4) for healthchecks' rid.
func newRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
