package fakeicloud

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"time"
)

const widgetKey = "d39ba9916b7251055b22c7f910e2ea796ee65e98b2ddecea8f5dde8d9d1a815d"

// flow is one signed-in idmsa conversation (X-Apple-ID-Session-Id).
type flow struct {
	id        string
	scnt      string
	needs2FA  bool
	repair    bool   // 412 answered; waiting for repair/complete
	verified  bool   // a 2FA code was accepted
	code      string // code last sent
	codeVia   string // "device" or "phone:<id>"
	attempted int    // wrong codes
}

type authState struct {
	salt     []byte
	srp      map[string]*srpSession // by the opaque c
	srpScnt  map[string]string
	flows    map[string]*flow // by session id
	tokens   map[string]*flow // session token → flow
	tokenExp map[string]time.Time
	trust    map[string]time.Time // trust token → expiry
	web      map[string]time.Time // web token → expiry
	lastCode string
}

func newAuthState(sc *Scenario) *authState {
	salt := sc.Salt
	if len(salt) == 0 {
		salt = randBytes(16)
		salt[0] |= 0x80 // a leading zero only when asked for (LeadingZeroSalt)
		if sc.LeadingZeroSalt {
			salt[0] = 0
		}
	}
	return &authState{salt: salt, srp: map[string]*srpSession{}, srpScnt: map[string]string{},
		flows: map[string]*flow{}, tokens: map[string]*flow{}, tokenExp: map[string]time.Time{},
		trust: map[string]time.Time{}, web: map[string]time.Time{}}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randToken(prefix string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(randBytes(24))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func serviceErrors(code, msg string) map[string]any {
	return map[string]any{"serviceErrors": []map[string]any{{"code": code, "message": msg, "suppressDismissal": false}}}
}

func (s *Server) authRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /appleauth/auth/authorize/signin":                   s.handleAuthorize,
		"POST /appleauth/auth/signin/init":                       s.handleInit,
		"POST /appleauth/auth/signin/complete":                   s.handleComplete,
		"POST /appleauth/auth/repair/complete":                   s.handleRepair,
		"GET /appleauth/auth":                                    s.handleBootArgs,
		"PUT /appleauth/auth/verify/trusteddevice/securitycode":  s.handleDevicePush,
		"POST /appleauth/auth/verify/trusteddevice/securitycode": s.handleDeviceVerify,
		"PUT /appleauth/auth/verify/phone":                       s.handlePhoneSend,
		"POST /appleauth/auth/verify/phone/securitycode":         s.handlePhoneVerify,
		"GET /appleauth/auth/2sv/trust":                          s.handleTrust,
		"POST /setup/ws/1/accountLogin":                          s.handleAccountLogin,
		"POST /setup/ws/1/validate":                              s.handleValidate,
		"POST /setup/ws/1/logout":                                s.handleLogout,
	}
}

// idmsaOK checks the constant idmsa headers every Apple web client sends.
func idmsaOK(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("X-Apple-Widget-Key") != widgetKey || r.Header.Get("X-Apple-OAuth-State") == "" {
		writeJSON(w, http.StatusBadRequest, serviceErrors("-20201", "missing widget key or state"))
		return false
	}
	return true
}

// signinOrigin checks, with Scenario.HomeOrigin set, that a call of the
// sign-in itself comes from the idmsa origin. Apple's exact refusal is not
// documented; the fake answers 403.
func (s *Server) signinOrigin(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	home := s.sc.HomeOrigin
	s.mu.Unlock()
	if home == "" || r.Header.Get("Origin") == "https://"+r.Host {
		return true
	}
	writeJSON(w, http.StatusForbidden, serviceErrors("-20201", "unexpected Origin "+r.Header.Get("Origin")))
	return false
}

// laterOrigin checks, with Scenario.HomeOrigin set, that an idmsa call
// after signin/complete comes from the home origin without
// X-Apple-Auth-Attributes (lock held).
func (s *Server) laterOrigin(w http.ResponseWriter, r *http.Request) bool {
	home := s.sc.HomeOrigin
	if home == "" || r.Header.Get("Origin") == home && r.Header.Get("X-Apple-Auth-Attributes") == "" {
		return true
	}
	writeJSON(w, http.StatusForbidden, serviceErrors("-20201", "unexpected Origin "+r.Header.Get("Origin")+" or auth attributes"))
	return false
}

// idmsaCookie sets the idmsa routing cookie every answer carries.
func (s *Server) idmsaCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: "aasp", Value: hex.EncodeToString(randBytes(8)), Domain: host(r), Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func host(r *http.Request) string {
	h := r.Host
	if i := strings.LastIndex(h, ":"); i > 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return h
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if !idmsaOK(w, r) || !s.signinOrigin(w, r) {
		return
	}
	s.idmsaCookie(w, r)
	w.Header().Set("scnt", randToken("scnt-"))
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	_, _ = w.Write([]byte("<html><body>sign in</body></html>"))
}

type initRequest struct {
	A           string   `json:"a"`
	AccountName string   `json:"accountName"`
	Protocols   []string `json:"protocols"`
}

func (s *Server) handleInit(w http.ResponseWriter, r *http.Request) {
	var req initRequest
	if !idmsaOK(w, r) || !s.signinOrigin(w, r) || !decodeReq(w, r, &req) {
		return
	}
	pubA, ok := decodeB64Int(req.A)
	if !ok || !contains(req.Protocols, s.protocol()) {
		writeJSON(w, http.StatusBadRequest, serviceErrors("-20101", "bad init request"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.newInitSession(req.AccountName, pubA)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, serviceErrors("-20101", "bad A"))
		return
	}
	c := "d-" + hex.EncodeToString(randBytes(8)) + ":MSA"
	scnt := randToken("scnt-")
	s.state.srp[c], s.state.srpScnt[c] = sess, scnt
	s.idmsaCookie(w, r)
	w.Header().Set("scnt", scnt)
	writeJSON(w, http.StatusOK, map[string]any{"iteration": s.iterations(), "salt": base64.StdEncoding.EncodeToString(sess.salt),
		"protocol": s.protocol(), "b": base64.StdEncoding.EncodeToString(sess.pubB.Bytes()), "c": c})
}

// newInitSession derives the verifier; an unknown account gets a random
// one, so the answer does not reveal whether the account exists.
func (s *Server) newInitSession(account string, pubA *big.Int) (*srpSession, error) {
	password := s.sc.Password
	if !strings.EqualFold(strings.TrimSpace(account), s.sc.AppleID) {
		password = hex.EncodeToString(randBytes(16))
	}
	v, err := verifier(password, s.protocol(), s.state.salt, s.iterations())
	if err != nil {
		return nil, err
	}
	leadingZero := s.sc.LeadingZeroB > 0
	if leadingZero {
		s.sc.LeadingZeroB--
	}
	// Apple hashes its canonical (lower-case) account name into M1.
	sess, err := newSRPSession(strings.ToLower(s.sc.AppleID), s.state.salt, v, pubA, leadingZero)
	for err == nil && s.sc.LeadingZeroSalt && !leadingZero && len(sess.premaster().Bytes()) < srpLen {
		sess, err = newSRPSession(strings.ToLower(s.sc.AppleID), s.state.salt, v, pubA, false)
	}
	return sess, err
}

func (s *Server) protocol() string {
	if s.sc.Protocol == "" {
		return "s2k"
	}
	return s.sc.Protocol
}

func (s *Server) iterations() int {
	if s.sc.Iterations <= 0 {
		return 1000
	}
	return s.sc.Iterations
}

type completeRequest struct {
	AccountName string   `json:"accountName"`
	C           string   `json:"c"`
	M1          string   `json:"m1"`
	M2          string   `json:"m2"`
	RememberMe  bool     `json:"rememberMe"`
	TrustTokens []string `json:"trustTokens"`
}

func (s *Server) handleComplete(w http.ResponseWriter, r *http.Request) {
	var req completeRequest
	if !idmsaOK(w, r) || !s.signinOrigin(w, r) || !decodeReq(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, scnt := s.state.srp[req.C], s.state.srpScnt[req.C]
	delete(s.state.srp, req.C)
	delete(s.state.srpScnt, req.C)
	m1, err1 := base64.StdEncoding.DecodeString(req.M1)
	m2, err2 := base64.StdEncoding.DecodeString(req.M2)
	switch {
	case sess == nil || r.Header.Get("scnt") != scnt:
		writeJSON(w, http.StatusBadRequest, serviceErrors("-20283", "stale sign-in context"))
	case s.sc.Locked:
		writeJSON(w, http.StatusForbidden, serviceErrors("-20209", "This Apple Account has been locked for security reasons."))
	case err1 != nil || err2 != nil || !sess.verify(m1, m2):
		w.Header().Set("X-Apple-I-Rscd", "401")
		writeJSON(w, http.StatusUnauthorized, serviceErrors("-20101", "Enter the email or phone number and password for your Apple Account."))
	default:
		s.signedIn(w, r, req.TrustTokens)
	}
}

// signedIn answers a correct proof: 200, 409 (2FA) or 412 (repair).
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, trustTokens []string) {
	f := &flow{id: randToken("sid-"), needs2FA: s.sc.Require2FA && !s.trustedAny(trustTokens), repair: s.sc.Repair412}
	s.state.flows[f.id] = f
	s.idmsaHeaders(w, r, f)
	s.issueSessionToken(w, f)
	w.Header().Set("X-Apple-ID-Account-Country", "USA")
	switch {
	case f.repair:
		writeJSON(w, http.StatusPreconditionFailed, map[string]any{"authType": "sa"})
	case f.needs2FA:
		w.Header().Set("X-Apple-I-Rscd", "409")
		writeJSON(w, http.StatusConflict, s.challengeBody())
	default:
		writeJSON(w, http.StatusOK, map[string]any{"authType": "hsa2"})
	}
}

func (s *Server) challengeBody() map[string]any {
	body := map[string]any{"authType": "hsa2", "securityCode": map[string]any{"length": 6}}
	if s.sc.SecurityKeyOnly {
		body["fsaChallenge"] = map[string]any{"challenge": "Y2hhbGxlbmdl", "keyHandles": []string{"a2V5"}, "rpId": "apple.com"}
		body["keyNames"] = []string{"YubiKey 5C"}
	}
	return body
}

// idmsaHeaders rotates scnt and echoes the flow's session id.
func (s *Server) idmsaHeaders(w http.ResponseWriter, r *http.Request, f *flow) {
	f.scnt = randToken("scnt-")
	w.Header().Set("scnt", f.scnt)
	w.Header().Set("X-Apple-ID-Session-Id", f.id)
	w.Header().Set("X-Apple-Auth-Attributes", "attrs-"+f.id)
	s.idmsaCookie(w, r)
}

func (s *Server) issueSessionToken(w http.ResponseWriter, f *flow) {
	tok := randToken("st-")
	s.state.tokens[tok] = f
	s.state.tokenExp[tok] = s.now().Add(s.sessionLifetime())
	w.Header().Set("X-Apple-Session-Token", tok)
}

func (s *Server) trustedAny(tokens []string) bool {
	for _, t := range tokens {
		if exp, ok := s.state.trust[t]; ok && s.now().Before(exp) {
			return true
		}
	}
	return false
}

// flowFor finds the conversation of a follow-up idmsa request and checks
// that the client echoed the newest scnt.
func (s *Server) flowFor(w http.ResponseWriter, r *http.Request) *flow {
	if !idmsaOK(w, r) {
		return nil
	}
	f := s.state.flows[r.Header.Get("X-Apple-ID-Session-Id")]
	if f == nil || r.Header.Get("scnt") != f.scnt {
		writeJSON(w, http.StatusUnauthorized, serviceErrors("-20283", "unknown or stale session"))
		return nil
	}
	if !s.laterOrigin(w, r) {
		return nil
	}
	return f
}

func (s *Server) handleRepair(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flowFor(w, r)
	if f == nil {
		return
	}
	if !f.repair {
		writeJSON(w, http.StatusBadRequest, serviceErrors("-20101", "nothing to repair"))
		return
	}
	f.repair = false
	s.idmsaHeaders(w, r, f)
	s.issueSessionToken(w, f)
	writeJSON(w, http.StatusOK, map[string]any{})
}

func decodeReq(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, serviceErrors("-20101", "malformed request"))
		return false
	}
	return true
}

func decodeB64Int(s string) (*big.Int, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) sessionLifetime() time.Duration {
	if s.sc.SessionLifetime > 0 {
		return s.sc.SessionLifetime
	}
	return 30 * 24 * time.Hour
}

func (s *Server) trustLifetime() time.Duration {
	if s.sc.TrustLifetime > 0 {
		return s.sc.TrustLifetime
	}
	return 90 * 24 * time.Hour
}

// LastCode is the newest 2FA code the fake "sent" ("" if none).
func (s *Server) LastCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.lastCode
}
