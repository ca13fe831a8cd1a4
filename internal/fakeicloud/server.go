package fakeicloud

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Phone is a trusted phone number of the fake account.
type Phone struct {
	ID     int
	Number string // e.g. "+1 (•••) •••-••12"; only the obfuscated form is served
	Mode   string // "sms" (default) or "voice"
}

// Fault makes an endpoint answer with Status (and optional Retry-After and
// body) for the next Times requests (0 = for ever).
type Fault struct {
	Status     int
	RetryAfter string
	Body       string
	Times      int
}

// Scenario is the fake account and the behaviour the tests ask for. It can
// be changed while the server runs with Server.Update.
type Scenario struct {
	AppleID    string // compared case-insensitively, like Apple does
	Password   string
	Protocol   string // "s2k" (default) or "s2k_fo"
	Iterations int    // PBKDF2 rounds (default 1000; Apple uses ~20000)
	Salt       []byte // fixed 16-byte salt (default: random per server)
	DSID       string // default "12345678901"

	Require2FA        bool    // signin/complete answers 409 unless a valid trust token is presented
	HasTrustedDevices bool    // a device push is possible
	Phones            []Phone // trusted numbers
	BridgeBootArgs    bool    // GET auth serves the 2026 bridgeInitiateData shape
	ConflictOnValid   bool    // a correct code is answered 2026-style: 409 {"securityCode":{"valid":true}}
	// PreconditionOnValid answers a correct code 412 with the 2FA body and
	// securityCode.valid:true (icloudpd#1026). It wins over ConflictOnValid.
	PreconditionOnValid bool
	// NoTokenOnValid leaves X-Apple-Session-Token out of the answer to a
	// correct code (rclone#9730: 409 + valid:true without a token, on the
	// device and the SMS path); 2sv/trust still issues one.
	NoTokenOnValid bool
	// HomeOrigin, when set, makes idmsa check Origin like Apple does
	// (icloud-photos-sync PR #1104): authorize/signin, signin/init and
	// signin/complete must come from the idmsa origin (this server's own),
	// every later idmsa call from HomeOrigin (e.g. "https://www.icloud.com")
	// and without X-Apple-Auth-Attributes; others are refused with 403.
	HomeOrigin string
	// PushFailStatus, when set, answers the 2FA push trigger (PUT
	// verify/trusteddevice/securitycode) with this status (405 and 412 are
	// seen in 2026). A code still reaches the devices, as when an older
	// device gets Apple's automatic push, so LastCode is set.
	PushFailStatus int
	// LeadingZeroSalt gives the account a random salt whose first byte is
	// 0x00 (unless Salt is set). B and S are then kept full width, so the
	// salt is the only leading zero a client sees.
	LeadingZeroSalt   bool
	Repair412         bool             // signin/complete answers 412 and needs repair/complete
	SecurityKeyOnly   bool             // the 409 carries fsaChallenge/keyNames
	Locked            bool             // signin/complete answers -20209
	WebAccessDisabled bool             // isWebAccessAllowed:false
	ADP               bool             // iCDPEnabled:true
	TermsNeeded       bool             // termsUpdateNeeded:true
	DomainToUse       string           // e.g. "iCloud.com.cn": accountLogin answers only that
	DomainToUseStatus int              // the status of that answer (default 302 without Location, as reported by users)
	MissingPCS        bool             // Photos paths answer 423 "Missing PCS cookies" (ADP)
	LeadingZeroB      int              // serve this many inits whose B has a leading zero byte
	Faults            map[string]Fault // by path, e.g. "/appleauth/auth/signin/init"

	SessionLifetime time.Duration // web session cookies (default 30 days)
	TrustLifetime   time.Duration // trust token and HSA-TRUST cookie (default 90 days)
	// UndatedCookies sends every session cookie without Expires (Apple
	// dates the web and trust cookies; a server that does not leaves the
	// client no expiry to forecast). Validity on the server is unchanged.
	UndatedCookies bool
}

// Options configure a Server.
type Options struct {
	Scenario Scenario
	// Photos, when set, serves the CloudKit Photos paths
	// (/database/1/com.apple.photos.cloud/...) and storage usage
	// (/setup/ws/1/storageUsageInfo). Requests reach it only with a valid
	// web session (else 401), like the real service.
	Photos http.Handler
	// Now is the clock for cookie and token expiry (default time.Now).
	Now func() time.Time
	// ClockOffset puts Apple's clock this far ahead of Now (negative:
	// behind), as seen by a NAS whose own clock is off: the Date header of
	// every answer and the expiry of the cookies and tokens handed out
	// follow Now()+ClockOffset. Zero (default): Date is Now(). Change it
	// while the server runs with SetClockOffset. The Photos handler keeps
	// its own clock; give a Library the same shifted clock when its dates
	// must be in Apple's time too.
	ClockOffset time.Duration
}

// Request is one entry of the request log.
type Request struct {
	Method string
	Path   string
	Status int
}

// Server is a TLS test server speaking Apple's auth, setup and (through
// Options.Photos) CloudKit protocols.
type Server struct {
	ts     *httptest.Server
	photos http.Handler
	now    func() time.Time // Apple's clock: base clock + offset
	offset atomic.Int64     // Options.ClockOffset, in nanoseconds

	mu    sync.Mutex
	sc    Scenario
	log   []Request
	state *authState
}

// New starts the server; Close it when done.
func New(opts Options) *Server {
	s := &Server{photos: opts.Photos, sc: opts.Scenario}
	base := opts.Now
	if base == nil {
		base = time.Now
	}
	s.offset.Store(int64(opts.ClockOffset))
	s.now = func() time.Time { return base().Add(time.Duration(s.offset.Load())) }
	s.state = newAuthState(&s.sc)
	s.ts = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL, e.g. https://127.0.0.1:PORT.
func (s *Server) URL() string { return s.ts.URL }

// AuthURL, SetupURL and HomeURL are the endpoint overrides for the client.
func (s *Server) AuthURL() string  { return s.ts.URL + "/appleauth/auth" }
func (s *Server) SetupURL() string { return s.ts.URL + "/setup/ws/1" }
func (s *Server) HomeURL() string  { return s.ts.URL }

// CertPool trusts the server's test certificate.
func (s *Server) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.ts.Certificate())
	return pool
}

// Client is an *http.Client that trusts the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close stops the server.
func (s *Server) Close() { s.ts.Close() }

// SetClockOffset moves Apple's clock to Options.Now()+d from the next
// answer on (see Options.ClockOffset).
func (s *Server) SetClockOffset(d time.Duration) { s.offset.Store(int64(d)) }

// Update changes the scenario under the server's lock.
func (s *Server) Update(f func(*Scenario)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.sc)
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Count returns how many requests reached path (method-insensitive).
func (s *Server) Count(path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// recorder captures the status for the request log.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// Apple stamps every answer, errors included, with its clock; without
	// this net/http would stamp the wall clock, not the test's clock.
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	rec := &recorder{ResponseWriter: w}
	s.route(rec, r)
	s.mu.Lock()
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Status: rec.status})
	s.mu.Unlock()
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if s.fault(w, r.URL.Path) {
		return
	}
	p := r.URL.Path
	if h, ok := s.authRoutes()[r.Method+" "+p]; ok {
		h(w, r)
		return
	}
	if s.photos != nil && (strings.HasPrefix(p, "/database/1/com.apple.photos.cloud/") || p == "/setup/ws/1/storageUsageInfo") {
		s.servePhotos(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, `{"error":"mutating endpoint not implemented by the fake"}`, http.StatusForbidden)
		return
	}
	http.NotFound(w, r)
}

// fault answers with a configured fault for path, if one is pending.
func (s *Server) fault(w http.ResponseWriter, path string) bool {
	s.mu.Lock()
	f, ok := s.sc.Faults[path]
	if ok && f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.sc.Faults, path)
		} else {
			s.sc.Faults[path] = f
		}
	}
	s.mu.Unlock()
	if !ok {
		return false
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
	return true
}

// servePhotos passes a request to the Photos handler if it carries a live
// web session cookie.
func (s *Server) servePhotos(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie("X-APPLE-WEBAUTH-TOKEN")
	if err != nil || !s.webSessionValid(ck.Value) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"reason": "no auth method found", "serverErrorCode": "AUTHENTICATION_FAILED"})
		return
	}
	s.mu.Lock()
	missingPCS := s.sc.MissingPCS
	s.mu.Unlock()
	if missingPCS {
		writeJSON(w, http.StatusLocked, map[string]any{"errorReason": "Missing PCS cookies from the request", "errorCode": 423})
		return
	}
	s.photos.ServeHTTP(w, r)
}
