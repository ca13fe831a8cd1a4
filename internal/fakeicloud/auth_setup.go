package fakeicloud

import (
	"net/http"
	"time"
)

type accountLoginRequest struct {
	AccountCountryCode string `json:"accountCountryCode"`
	DSWebAuthToken     string `json:"dsWebAuthToken"`
	ExtendedLogin      bool   `json:"extended_login"`
	TrustToken         string `json:"trustToken"`
}

func (s *Server) handleAccountLogin(w http.ResponseWriter, r *http.Request) {
	var req accountLoginRequest
	if !decodeReq(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.state.tokens[req.DSWebAuthToken]
	exp := s.state.tokenExp[req.DSWebAuthToken]
	switch {
	case s.sc.DomainToUse != "":
		// Apple answers a sign-in from the wrong region with nothing but
		// the domain to use, seen with a 302 that has no Location
		// (issue 15; icloudpd and pyicloud read the field in any status).
		status := s.sc.DomainToUseStatus
		if status == 0 {
			status = http.StatusFound
		}
		writeJSON(w, status, map[string]any{"domainToUse": s.sc.DomainToUse})
	case f == nil || !s.now().Before(exp) || f.repair:
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "error": "Invalid Session Token"})
	case f.needs2FA && !f.verified && !s.trustedAny([]string{req.TrustToken}):
		s.loginCookies(w, r, false)
		writeJSON(w, http.StatusOK, s.accountBody(r, false))
	case s.sc.TermsNeeded:
		writeJSON(w, http.StatusOK, map[string]any{"termsUpdateNeeded": true, "dsInfo": map[string]any{"dsid": s.dsid()}})
	default:
		s.loginCookies(w, r, true)
		writeJSON(w, http.StatusOK, s.accountBody(r, true))
	}
}

func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie("X-APPLE-WEBAUTH-TOKEN")
	if err != nil || !s.webSessionValid(ck.Value) {
		writeJSON(w, http.StatusMisdirectedRequest, map[string]any{"success": false, "error": "Missing X-APPLE-WEBAUTH-TOKEN cookie"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.accountBody(r, true))
}

// handleLogout ends the web session; trust tokens survive (trustBrowser).
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie("X-APPLE-WEBAUTH-TOKEN"); err == nil {
		s.mu.Lock()
		delete(s.state.web, ck.Value)
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

func (s *Server) webSessionValid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.state.web[token]
	return ok && s.now().Before(exp)
}

// ExpireWebSessions invalidates every web session (validate answers 421),
// while session and trust tokens stay valid for an accountLogin replay.
func (s *Server) ExpireWebSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.state.web)
}

// ExpireSessionTokens invalidates every session token, so that only a full
// SRP sign-in (with a trust token) restores access.
func (s *Server) ExpireSessionTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.state.web)
	clear(s.state.tokens)
}

func (s *Server) dsid() string {
	if s.sc.DSID != "" {
		return s.sc.DSID
	}
	return "12345678901"
}

// loginCookies sets the .icloud.com cookies of accountLogin: quoted values,
// realistic lifetimes; the web token only once 2FA is satisfied.
func (s *Server) loginCookies(w http.ResponseWriter, r *http.Request, full bool) {
	now := s.now()
	set := func(name, value string, expires time.Time) {
		if s.sc.UndatedCookies {
			expires = time.Time{}
		}
		http.SetCookie(w, &http.Cookie{Name: name, Value: value, Quoted: true, Domain: host(r), Path: "/",
			Expires: expires, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	set("X-APPLE-WEBAUTH-USER", "v=1:s=0:d="+s.dsid(), now.Add(s.sessionLifetime()))
	set("X-APPLE-WEBAUTH-LOGIN", "v=1:t="+randToken(""), time.Time{})
	if !full {
		set("X-APPLE-WEBAUTH-HSA-LOGIN", "v=2:t="+randToken(""), time.Time{})
		return
	}
	web := "v=2:t=" + randToken("")
	s.state.web[web] = now.Add(s.sessionLifetime())
	set("X-APPLE-WEBAUTH-TOKEN", web, time.Time{})
	set("X-APPLE-DS-WEB-SESSION-TOKEN", randToken(""), now.Add(s.sessionLifetime()))
	set("X-APPLE-WEBAUTH-VALIDATE", "v=1:t="+randToken(""), time.Time{})
	set("X-APPLE-WEBAUTH-HSA-TRUST", "v=1:t="+randToken(""), now.Add(s.trustLifetime()))
	set("X_APPLE_WEB_KB-FAKE", "v=1:t="+randToken(""), now.Add(60*24*time.Hour))
	http.SetCookie(w, &http.Cookie{Name: "X-APPLE-WEBAUTH-HSA-LOGIN", Value: "", Domain: host(r), Path: "/",
		Expires: time.Unix(0, 0), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (s *Server) accountBody(r *http.Request, trusted bool) map[string]any {
	base := "https://" + r.Host
	ws := map[string]any{
		"ckdatabasews": map[string]any{"url": base, "status": "active", "pcsRequired": true},
		"account":      map[string]any{"url": base, "status": "active"},
	}
	return map[string]any{
		"dsInfo": map[string]any{"dsid": s.dsid(), "appleId": s.sc.AppleID, "hsaVersion": 2, "hsaEnabled": true,
			"iCDPEnabled": s.sc.ADP, "isWebAccessAllowed": !s.sc.WebAccessDisabled, "hasICloudQualifyingDevice": true,
			"locked": false, "countryCode": "USA"},
		"webservices":          ws,
		"hsaChallengeRequired": !trusted,
		"hsaTrustedBrowser":    trusted,
		"iCDPEnabled":          s.sc.ADP,
		"isExtendedLogin":      true,
		"pcsEnabled":           true,
		"version":              2,
	}
}
