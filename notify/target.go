package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/format"
	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
)

// Result is the outcome of one send to one target. Nothing in it is secret:
// Target names the target by service and position, never by URL, and Err
// has been scrubbed of URL parts.
type Result struct {
	// Notifier is the kind of target, the `notifier` label of
	// icloudmon_notifications_total: a shoutrrr service name ("ntfy",
	// "telegram", "generic"…), "webhook", "healthchecks" or "uptime_kuma".
	Notifier string
	// Target names the target for people: "ntfy#1" is the first URL of
	// notify.urls, "webhook", "healthchecks", "uptime_kuma".
	Target string
	// Account is the account the message was about ("" for pings and tests).
	Account string
	// Err is nil on success.
	Err      error
	Duration time.Duration
}

// Outcome is the `result` label of icloudmon_notifications_total:
// "success" or "failure".
func (r Result) Outcome() string {
	if r.Err != nil {
		return "failure"
	}
	return "success"
}

// target is one place messages go.
type target interface {
	notifier() string
	name() string
	send(ctx context.Context, m message) error
}

// shoutrrrTarget sends through one shoutrrr service URL.
type shoutrrrTarget struct {
	service     string
	label       string
	titleInText bool // the service shows no title: put it in the text
	pushHints   bool // the service has a per-message priority (pushPriority)
	rawURL      string
	opts        types.SenderOptions
	red         *redactor
}

// newShoutrrrTarget validates rawURL and prepares its service. index is the
// 1-based position in notify.urls, used in names and errors instead of the
// URL.
func newShoutrrrTarget(rawURL string, index int, client *http.Client, timeout time.Duration) (*shoutrrrTarget, error) {
	service := serviceName(rawURL)
	t := &shoutrrrTarget{
		service: service, label: fmt.Sprintf("%s#%d", service, index), rawURL: rawURL,
		opts: types.SenderOptions{HTTPClient: client, Timeout: timeout}, red: newRedactor(rawURL, false),
	}
	if skipsVerification(rawURL) {
		return nil, fmt.Errorf("notify.urls #%d (%s) asks to skip TLS certificate verification, which icloudmon never does; "+
			"remove that option and trust the server's CA with tls.ca_file instead", index, service)
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("notify.urls #%d (%s): %w; check the URL against the shoutrrr documentation "+
			"(https://nicholas-fedor.github.io/shoutrrr/)", index, service, err)
	}
	t.titleInText = untitled[service] || (service == "generic" && !hasQuery(rawURL, "template")) ||
		hasQuery(rawURL, "title") || hasQuery(rawURL, "subject") // the user's own title stays
	t.pushHints = pushPriority[service] != nil
	return t, nil
}

// signsInOnInit are services whose initialisation talks to the server
// (matrix logs in): New must not depend on them being reachable, so only
// their scheme is checked up front.
var signsInOnInit = map[string]bool{"matrix": true}

// validate checks the URL the way a send would parse it, without network
// traffic.
func (t *shoutrrrTarget) validate() error {
	if signsInOnInit[t.service] {
		_, err := (&router.ServiceRouter{}).NewService(t.service)
		return t.red.scrubErr(err)
	}
	_, err := t.newRouter()
	return err
}

// newRouter builds a fresh shoutrrr service for one send. Services keep
// per-send state (shoutrrr v0.17.0's ntfy adds the Title header to a shared
// header map on every send, so a reused service would repeat old titles);
// a fresh one per message is cheap (it parses the URL) and shares nothing.
func (t *shoutrrrTarget) newRouter() (*router.ServiceRouter, error) {
	r, err := router.NewWithOptions(nil, t.opts, t.rawURL)
	if err != nil {
		return nil, t.red.scrubErr(err)
	}
	return r, nil
}

// skipsVerification reports whether a shoutrrr URL turns TLS certificate
// verification off (ntfy and mqtt disabletlsverification, gotify
// insecureskipverify, smtp skiptlsverify).
func skipsVerification(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	for key, vals := range u.Query() {
		switch strings.ToLower(key) {
		case "disabletlsverification", "insecureskipverify", "skiptlsverify":
			for _, v := range vals {
				switch strings.ToLower(v) {
				case "", "no", "false", "0", "off":
				default:
					return true
				}
			}
		}
	}
	return false
}

// hasQuery reports whether rawURL has query parameter key (a generic
// webhook without "template" posts the bare text and drops the title).
func hasQuery(rawURL, key string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Query().Has(key)
}

// serviceName is the scheme of a shoutrrr URL without "+transport" (the
// `notifier` metric label); "invalid" when it has none.
func serviceName(rawURL string) string {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/@?") {
		return "invalid"
	}
	scheme, _, _ = strings.Cut(scheme, "+")
	return strings.ToLower(scheme)
}

func (t *shoutrrrTarget) notifier() string { return t.service }
func (t *shoutrrrTarget) name() string     { return t.label }

// untitled are the shoutrrr v0.17 services whose configuration has no
// title: they get the title as the first line of the text.
var untitled = map[string]bool{
	"googlechat": true, "hangouts": true, "rocketchat": true, "signal": true, "wecom": true,
	"pagerduty": true, "mqtt": true, "mqtts": true, "logger": true, "notifiarr": true,
}

// send delivers m. Services whose configuration has no title get the title
// as the first line of the text instead (also when a service refuses the
// title parameter, which it does before any request is made).
func (t *shoutrrrTarget) send(ctx context.Context, m message) error {
	var err error
	if t.titleInText {
		err = t.route(ctx, m.Title+"\n\n"+m.Body, nil)
	} else {
		err = t.route(ctx, m.Body, t.params(m))
		if errors.Is(err, format.ErrInvalidConfigKey) {
			err = t.route(ctx, m.Title+"\n\n"+m.Body, nil)
		}
	}
	var te *types.TargetError
	if errors.As(err, &te) && te.Err != nil {
		err = te.Err // drop the router's "<service>: " prefix; the label says it
	}
	if err != nil {
		return fmt.Errorf("%s: %w", t.label, t.red.scrubErr(err))
	}
	return nil
}

// params are the per-message parameters: the title, ntfy's click link,
// and the service's own priority (pushPriority) unless the user's URL sets
// that key.
func (t *shoutrrrTarget) params(m message) *types.Params {
	p := types.Params{types.TitleKey: m.Title}
	if !t.pushHints {
		return &p
	}
	if t.service == "ntfy" && m.Click != "" && !hasQuery(t.rawURL, "click") {
		p["click"] = m.Click
	}
	key, value := pushPriority[t.service](m.Priority)
	if value != "" && !hasQuery(t.rawURL, key) {
		p[key] = value
	}
	return &p
}

// pushPriority maps a message's priority ("high" for critical news and
// final reminders, "" for the rest, "low" for all-resolved messages) to
// the parameter of each service that has one; "" leaves the service's
// default.
//   - ntfy: high / low (its 1–5 scale; high vibrates longer).
//   - gotify: 8 / 5 / 2. The Gotify Android app shows priority 0 without
//     any notification, 1–3 silently, 4–7 with sound and 8–10 as a
//     high-priority pop-up; shoutrrr's default is 0.
//   - pushover: 1 (high: bypasses the user's quiet hours) / -1 (quiet);
//     never 2, which needs acknowledgement parameters.
//   - telegram: resolved messages arrive silently (notification=no).
var pushPriority = map[string]func(level string) (key, value string){
	"ntfy": func(level string) (string, string) { return "priority", level },
	"gotify": func(level string) (string, string) {
		return "priority", map[string]string{"high": "8", "": "5", "low": "2"}[level]
	},
	"pushover": func(level string) (string, string) {
		return "priority", map[string]string{"high": "1", "low": "-1"}[level]
	},
	"telegram": func(level string) (string, string) {
		return "notification", map[string]string{"low": "no"}[level]
	},
}

// route sends through the router, which enforces its own timeout; ctx
// cancellation returns at once (the send then finishes in the background,
// bounded by the HTTP client's timeout).
func (t *shoutrrrTarget) route(ctx context.Context, text string, params *types.Params) error {
	done := make(chan error, 1)
	go func() {
		r, err := t.newRouter() // inside: a matrix sign-in is bounded by ctx too
		if err != nil {
			done <- err
			return
		}
		done <- errors.Join(r.Send(text, params)...)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// webhookTarget POSTs the JSON Event to a URL.
type webhookTarget struct {
	url    string
	client *http.Client
	red    *redactor
}

func (t *webhookTarget) notifier() string { return "webhook" }
func (t *webhookTarget) name() string     { return "webhook" }

func (t *webhookTarget) send(ctx context.Context, m message) error {
	body, err := json.Marshal(m.Event)
	if err != nil {
		return fmt.Errorf("webhook: encoding event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", t.red.scrubErr(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return doRequest(t.client, req, "webhook", t.red)
}

// userAgent identifies icloudmon to webhook and ping receivers.
const userAgent = "icloudmon"

// doRequest performs req and turns a non-2xx answer into an error.
func doRequest(client *http.Client, req *http.Request, label string, red *redactor) error {
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", label, red.scrubErr(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: the server answered %s; check the URL and the receiver's logs", label, resp.Status)
	}
	return nil
}

// validateHTTPURL checks that raw is an absolute http(s) URL, without
// repeating it in the error.
func validateHTTPURL(raw, key string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s is not an http:// or https:// URL; copy it again from the service", key)
	}
	return nil
}

// fanOut sends m to every target at once, each bounded by timeout, and
// returns one result per target in target order. A slow or failing target
// never delays the others beyond the timeout.
func fanOut(ctx context.Context, targets []target, m message, account string, timeout time.Duration) []Result {
	results := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = sendOne(ctx, t, m, account, timeout)
		}()
	}
	wg.Wait()
	return results
}

// sendOne sends m to t within timeout.
func sendOne(ctx context.Context, t target, m message, account string, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	err := t.send(ctx, m)
	return Result{Notifier: t.notifier(), Target: t.name(), Account: account, Err: err, Duration: time.Since(start)}
}
