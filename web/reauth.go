package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
)

// ReAuthenticator renews one account's session interactively; the web
// re-auth pages (/auth/<account>) drive it. Calls of one account never
// overlap (the handler serialises them).
type ReAuthenticator interface {
	// PasswordStored reports whether a password is available without
	// asking (the page then shows no password field).
	PasswordStored(ctx context.Context) bool
	// Start signs in with password ("" = the stored one). A nil challenge
	// with a nil error means no code was needed: the session is renewed.
	Start(ctx context.Context, password string) (*icloudapi.TwoFactorChallenge, error)
	// RequestCode asks Apple to deliver a code: phone 0 to the trusted
	// devices, otherwise by SMS to that trusted phone id (see
	// agent.SignInFlow.RequestCode).
	RequestCode(ctx context.Context, phone int) (agent.CodeRequest, error)
	// Submit sends the code. On success the new session is saved and the
	// daemon's next cycle uses it; icloudapi.ErrWrongCode means try again,
	// agent.ErrCodeFormat that the text was not a code.
	Submit(ctx context.Context, code string) error
}

// ReAuthenticators returns the re-authenticator of every account of a
// whose cloud source is an *agent.ICloud (agent.Agent.ReAuthFlows).
// newClient builds a fresh client for the named account (same Apple ID,
// endpoints and CA as the daemon's).
func ReAuthenticators(a *agent.Agent, newClient func(account string) (*icloudapi.Client, error)) map[string]ReAuthenticator {
	out := map[string]ReAuthenticator{}
	for name, r := range a.ReAuthFlows(newClient) {
		out[name] = r
	}
	return out
}

// ReAuthOptions configure NewReAuthHandler.
type ReAuthOptions struct {
	// Accounts maps account names to their re-authenticators.
	Accounts map[string]ReAuthenticator
	// CSRF returns the value of every form's csrf field (WebCSRF).
	CSRF func() string
	// Agent, if set, supplies why an account needs a new sign-in.
	Agent *agent.Agent
	// OnSuccess, if set, is called after a successful sign-in (e.g. to
	// queue a check with agent.Scheduler.Trigger).
	OnSuccess func(account string)
	Logger    *slog.Logger
	Now       func() time.Time
	// MaxPosts POSTs per account are allowed in PostWindow (default 5 per
	// 10 minutes); SignInGap is the shortest time between two password
	// sign-ins of an account (default 1 minute).
	MaxPosts   int
	PostWindow time.Duration
	SignInGap  time.Duration
}

// WebCSRF returns the CSRF field value that NewHandler's middleware
// expects for webToken.
func WebCSRF(webToken string) func() string {
	w := &webAuth{token: []byte(webToken)}
	return w.CSRF
}

// flowTTL is how long a started sign-in waits for its next step.
const flowTTL = 10 * time.Minute

type reauthHandler struct {
	opts ReAuthOptions
	log  *slog.Logger

	mu    sync.Mutex
	state map[string]*reauthState
}

// reauthState is one account's web sign-in. Its mutex serialises the
// account's Apple calls.
type reauthState struct {
	mu         sync.Mutex
	step       string // "" (start), "choose", "code" or "done"
	since      time.Time
	tf         *icloudapi.TwoFactorChallenge
	sentTo     string
	note       string // the code request was not confirmed (code step)
	flash      string // one-shot error for the next page
	posts      []time.Time
	lastSignIn time.Time
}

// NewReAuthHandler serves the web re-auth pages under /auth/. Mount it
// behind NewHandler's token middleware (ServerOptions.ReAuth), which also
// checks the csrf field of every POST.
func NewReAuthHandler(opts ReAuthOptions) (http.Handler, error) {
	if opts.CSRF == nil {
		return nil, errors.New("web: the re-auth pages need the CSRF value (WebCSRF)")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxPosts <= 0 {
		opts.MaxPosts = 5
	}
	if opts.PostWindow <= 0 {
		opts.PostWindow = 10 * time.Minute
	}
	if opts.SignInGap <= 0 {
		opts.SignInGap = time.Minute
	}
	h := &reauthHandler{opts: opts, log: opts.Logger, state: map[string]*reauthState{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/{$}", h.serveIndex)
	mux.HandleFunc("GET /auth/{account}", h.servePage)
	mux.HandleFunc("POST /auth/{account}/start", h.post(h.start))
	mux.HandleFunc("POST /auth/{account}/send", h.post(h.send))
	mux.HandleFunc("POST /auth/{account}/verify", h.post(h.verify))
	mux.HandleFunc("POST /auth/{account}/cancel", h.post(h.cancel))
	return mux, nil
}

// lockAccount finds the account of the request's path and returns it with
// its state locked (the caller unlocks st.mu); an unknown account is
// answered 404 here and ok is false.
func (h *reauthHandler) lockAccount(w http.ResponseWriter, r *http.Request) (name string, ra ReAuthenticator, st *reauthState, ok bool) {
	name = r.PathValue("account")
	ra, ok = h.opts.Accounts[name]
	if !ok {
		http.Error(w, "no account named "+strconv.Quote(name)+" in the configuration", http.StatusNotFound)
		return name, nil, nil, false
	}
	h.mu.Lock()
	st = h.state[name]
	if st == nil {
		st = &reauthState{}
		h.state[name] = st
	}
	h.mu.Unlock()
	st.mu.Lock()
	return name, ra, st, true
}

// post wraps a POST step: unknown account, rate limit, then the step and a
// redirect back to the page (the page shows the outcome).
func (h *reauthHandler) post(step func(ctx context.Context, name string, ra ReAuthenticator, st *reauthState, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ra, st, ok := h.lockAccount(w, r)
		if !ok {
			return
		}
		defer st.mu.Unlock()
		now := h.opts.Now()
		if wait := st.allowPost(now, h.opts.MaxPosts, h.opts.PostWindow); wait > 0 {
			h.log.Warn("web sign-in rate limit reached", "account", name)
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			st.flash = fmt.Sprintf("Too many attempts. Wait %s before trying again: Apple locks accounts that see many failed sign-ins.", roundUp(wait))
			h.render(w, http.StatusTooManyRequests, h.pageData(r.Context(), name, ra, st))
			return
		}
		step(r.Context(), name, ra, st, r)
		// name is a configured account label (checked above): a local path.
		http.Redirect(w, r, "/auth/"+url.PathEscape(name), http.StatusSeeOther) //nolint:gosec // G710: see above
	}
}

// allowPost records a POST, or returns how long to wait (lock held).
func (st *reauthState) allowPost(now time.Time, maxPosts int, window time.Duration) time.Duration {
	kept := st.posts[:0]
	for _, t := range st.posts {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	st.posts = kept
	if len(kept) >= maxPosts {
		return kept[0].Add(window).Sub(now)
	}
	st.posts = append(st.posts, now)
	return 0
}

func roundUp(d time.Duration) string {
	if d <= time.Minute {
		return strconv.Itoa(int(d.Seconds())+1) + " seconds"
	}
	return strconv.Itoa(int(d.Minutes())+1) + " minutes"
}

func (st *reauthState) set(step string, now time.Time) {
	st.step, st.since, st.flash = step, now, ""
}

func (h *reauthHandler) start(ctx context.Context, name string, ra ReAuthenticator, st *reauthState, r *http.Request) {
	now := h.opts.Now()
	if wait := st.lastSignIn.Add(h.opts.SignInGap).Sub(now); !st.lastSignIn.IsZero() && wait > 0 {
		st.flash = fmt.Sprintf("Please wait %s: icloudmon signs in with a password at most once a minute.", roundUp(wait))
		return
	}
	st.lastSignIn = now
	tf, err := ra.Start(ctx, r.PostFormValue("password"))
	switch {
	case err != nil:
		st.set("", now)
		st.flash = h.failure(name, "sign-in", err)
	case tf == nil:
		h.succeeded(name, st, now)
	default:
		st.set("choose", now)
		st.tf = tf
	}
}

func (h *reauthHandler) send(ctx context.Context, name string, ra ReAuthenticator, st *reauthState, r *http.Request) {
	now := h.opts.Now()
	if st.expired(now) || st.step != "choose" && st.step != "code" {
		st.set("", now)
		st.flash = "The sign-in expired or was not started; start again."
		return
	}
	via := r.PostFormValue("via")
	phone, label, ok := st.delivery(via)
	if !ok {
		st.flash = "Choose where Apple should send the code."
		return
	}
	var req agent.CodeRequest
	if via != "have" {
		var err error
		if req, err = ra.RequestCode(ctx, phone); err != nil {
			st.flash = h.failure(name, "code request", err)
			return
		}
	}
	tf := st.tf
	st.set("code", now)
	st.tf, st.sentTo, st.note = tf, label, ""
	if req.Unconfirmed != nil {
		h.log.Warn("Apple did not confirm the code request; asking for the code anyway", "account", name, "err", req.Unconfirmed)
		st.sentTo = ""
		st.note = "Apple did not confirm the request for a code on your Apple devices. A code may still appear there; " +
			"if none arrives within a minute, start over and choose a text message."
		if len(tf.Phones) == 0 {
			st.note = "Apple did not confirm the request for a code on your Apple devices. A code may still appear there; " +
				"if none arrives within a minute, start over later."
		}
	}
}

// delivery parses the via field: "device", "sms:<id>" or "have" (a code
// is already at hand).
func (st *reauthState) delivery(via string) (phone int, label string, ok bool) {
	switch via {
	case "have":
		return 0, "", true
	case "device":
		return 0, "your trusted Apple devices", st.tf != nil && st.tf.HasTrustedDevices
	}
	rest, _ := strings.CutPrefix(via, "sms:")
	id, err := strconv.Atoi(rest)
	if err != nil || st.tf == nil {
		return 0, "", false
	}
	for _, p := range st.tf.Phones {
		if p.ID == id && id != 0 {
			return id, "the phone number " + p.PhoneLabel(), true
		}
	}
	return 0, "", false
}

func (h *reauthHandler) verify(ctx context.Context, name string, ra ReAuthenticator, st *reauthState, r *http.Request) {
	now := h.opts.Now()
	if st.expired(now) || st.step != "code" {
		st.set("", now)
		st.flash = "The sign-in expired or was not started; start again."
		return
	}
	code := r.PostFormValue("code")
	if strings.TrimSpace(code) == "" {
		st.flash = "Enter the code Apple sent."
		return
	}
	if err := ra.Submit(ctx, code); err != nil {
		st.flash = h.failure(name, "code", err)
		return
	}
	h.succeeded(name, st, now)
}

func (h *reauthHandler) cancel(_ context.Context, _ string, _ ReAuthenticator, st *reauthState, _ *http.Request) {
	st.set("", h.opts.Now())
	st.tf = nil
}

func (h *reauthHandler) succeeded(name string, st *reauthState, now time.Time) {
	st.set("done", now)
	st.tf = nil
	h.log.Info("web sign-in succeeded; the session is saved", "account", name)
	if h.opts.OnSuccess != nil {
		h.opts.OnSuccess(name)
	}
}

// failure logs err and returns the text for the page. icloudapi's errors
// never contain a secret; the password and the code are never part of them.
func (h *reauthHandler) failure(name, what string, err error) string {
	h.log.Warn("web sign-in step failed", "account", name, "step", what, "err", err)
	switch {
	case errors.Is(err, icloudapi.ErrWrongCode):
		return "Apple did not accept the code. Check it and try again; if it keeps failing, ask for a new code."
	case errors.Is(err, agent.ErrCodeFormat):
		return "That is not a verification code: enter the digits Apple sent (spaces are fine)."
	case errors.Is(err, icloudapi.ErrPasswordRejected):
		return "Apple rejected the password. Enter the current Apple ID password."
	case errors.Is(err, icloudapi.ErrNoPassword):
		return "No password is stored for this account: enter it."
	}
	return err.Error()
}

func (st *reauthState) expired(now time.Time) bool {
	return st.step != "" && now.Sub(st.since) > flowTTL
}

// reauthPage is the data of templates/reauth.html.
type reauthPage struct {
	Account      string
	Accounts     []string
	CSRF         string
	Step         string
	Reason       string
	NeedPassword bool
	HasDevices   bool
	Phones       []icloudapi.TrustedPhone
	CodeLength   int
	SentTo       string
	Note         string
	Error        string
}

func (h *reauthHandler) servePage(w http.ResponseWriter, r *http.Request) {
	name, ra, st, ok := h.lockAccount(w, r)
	if !ok {
		return
	}
	defer st.mu.Unlock()
	now := h.opts.Now()
	if st.expired(now) {
		st.set("", now)
		st.flash = "The sign-in expired; start again."
	}
	page := h.pageData(r.Context(), name, ra, st)
	if st.step == "done" {
		st.set("", now) // show the success once
	}
	h.render(w, http.StatusOK, page)
}

// pageData builds the page and consumes the one-shot message (lock held).
func (h *reauthHandler) pageData(ctx context.Context, name string, ra ReAuthenticator, st *reauthState) reauthPage {
	p := reauthPage{Account: name, CSRF: h.opts.CSRF(), Step: st.step, Error: st.flash, SentTo: st.sentTo, Note: st.note, CodeLength: 6}
	st.flash = ""
	if p.Step == "" {
		p.Reason = h.reason(name)
		p.NeedPassword = !ra.PasswordStored(ctx)
	}
	if st.tf != nil {
		p.HasDevices, p.Phones = st.tf.HasTrustedDevices, st.tf.Phones
		if st.tf.CodeLength > 0 {
			p.CodeLength = st.tf.CodeLength
		}
	}
	return p
}

// reason says why the account needs a new sign-in, from the last report.
func (h *reauthHandler) reason(name string) string {
	if h.opts.Agent == nil {
		return ""
	}
	for _, a := range h.opts.Agent.Report().Accounts {
		if a.Name != name {
			continue
		}
		if c, ok := a.Check(checks.CheckAuth); ok && c.Status != checks.StatusOK {
			return c.Summary
		}
		return "The last check found no sign-in problem; you can still renew the session here."
	}
	return "No check of this account has finished yet."
}

func (h *reauthHandler) serveIndex(w http.ResponseWriter, r *http.Request) {
	page := reauthPage{Step: "index", CSRF: h.opts.CSRF()}
	for name := range h.opts.Accounts {
		page.Accounts = append(page.Accounts, name)
	}
	slices.Sort(page.Accounts)
	h.render(w, http.StatusOK, page)
}

func (h *reauthHandler) render(w http.ResponseWriter, status int, page reauthPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	// Under "no-referrer" browsers send "Origin: null" with form posts,
	// which the CSRF check refuses; "same-origin" still sends no referrer
	// to other sites.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	if err := pages().ExecuteTemplate(w, "reauth.html", page); err != nil {
		h.log.Error("rendering the re-auth page", "err", err)
	}
}
