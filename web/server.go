package web

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/metrics"
)

// ServerOptions configures the HTTP handler of the daemon and the demo.
type ServerOptions struct {
	Agent *agent.Agent
	// Scheduler serves POST /api/check; nil answers 503 (no daemon).
	Scheduler *agent.Scheduler
	// Gatherer serves /metrics.
	Gatherer prometheus.Gatherer
	// WebToken protects everything but /metrics and /healthz.
	WebToken string
	// ReAuth serves the web re-auth pages /auth/<account>; nil leaves them
	// out.
	ReAuth http.Handler
	Logger *slog.Logger
}

type server struct {
	agent *agent.Agent
	// report is the last report (the agent's; tests give their own).
	report func() checks.Report
	sched  *agent.Scheduler
	auth   *webAuth
	log    *slog.Logger
}

// NewHandler returns the HTTP handler: /metrics and /healthz are open (a
// scrape or health check never triggers an Apple request); /, /api/* and
// /auth/* need the web token.
func NewHandler(opts ServerOptions) (http.Handler, error) {
	return newHandler(opts, nil)
}

// newHandler is NewHandler with the report read from report instead of
// the agent when report is not nil.
func newHandler(opts ServerOptions, report func() checks.Report) (http.Handler, error) {
	if opts.Agent == nil || opts.Gatherer == nil {
		return nil, fmt.Errorf("web: the HTTP handler needs an agent and a metrics gatherer")
	}
	auth, err := newWebAuth(opts.WebToken)
	if err != nil {
		return nil, err
	}
	s := &server{agent: opts.Agent, report: report, sched: opts.Scheduler, auth: auth, log: opts.Logger}
	if s.report == nil {
		s.report = opts.Agent.Report
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(opts.Gatherer, s.log))
	mux.Handle("GET /healthz", opts.Agent.Health())
	guarded := http.NewServeMux()
	guarded.HandleFunc("GET /{$}", s.serveStatusPage)
	guarded.HandleFunc("GET /api/status", s.serveStatus)
	guarded.HandleFunc("GET /api/audit.csv", s.serveAuditCSV)
	guarded.HandleFunc("POST /api/check", s.serveCheck)
	if opts.ReAuth != nil {
		guarded.Handle("/auth/", opts.ReAuth)
	}
	mux.Handle("/", auth.middleware(guarded))
	return securityHeaders(mux), nil
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin") // browsers then send a real Origin with form posts (no-referrer makes it "null")
		w.Header().Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// serveStatus answers /api/status with the report JSON of design §4.
func (s *server) serveStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.report())
}

// serveCheck queues a cycle (?account=NAME, or all accounts). Browsers are
// redirected back to the status page; API clients get JSON.
func (s *server) serveCheck(w http.ResponseWriter, r *http.Request) {
	account := r.FormValue("account")
	if account != "" && !s.agentKnows(account) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("no account named %q", account)})
		return
	}
	if s.sched == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "no scheduler runs in this process"})
		return
	}
	queued := s.sched.Trigger(account)
	if !isAPI(r) {
		notice := "skipped"
		if queued {
			notice = "queued"
		}
		http.Redirect(w, r, "/?notice="+notice, http.StatusSeeOther)
		return
	}
	code := http.StatusAccepted
	if !queued {
		code = http.StatusTooManyRequests
	}
	writeJSON(w, code, map[string]any{"queued": queued})
}

func (s *server) agentKnows(account string) bool {
	for _, n := range s.agent.AccountNames() {
		if n == account {
			return true
		}
	}
	return false
}

// isAPI tells script requests (bearer token or JSON accepted) from
// browser form posts.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
