package fakeicloud

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
)

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1000000))
	return fmt.Sprintf("%06d", n.Int64())
}

// handleBootArgs serves GET auth: an HTML page whose boot_args carry the
// delivery options, in the old or the 2026 bridgeInitiateData shape.
func (s *Server) handleBootArgs(w http.ResponseWriter, r *http.Request) {
	f := s.lockFlow(w, r)
	if f == nil {
		return
	}
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.bootArgs())
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>Sign in</title></head><body>\n"+
		"<script type=\"application/json\" class=\"boot_args\">\n%s\n</script>\n</body></html>", b)
}

// bootArgsPhones is the phoneNumberVerification object of the account.
func (s *Server) bootArgsPhones() map[string]any {
	phones := []map[string]any{}
	for _, p := range s.sc.Phones {
		mode := p.Mode
		if mode == "" {
			mode = "sms"
		}
		phones = append(phones, map[string]any{"id": p.ID, "numberWithDialCode": p.Number, "obfuscatedNumber": p.Number,
			"lastTwoDigits": lastTwo(p.Number), "pushMode": mode})
	}
	return map[string]any{"trustedPhoneNumbers": phones}
}

func (s *Server) bootArgs() map[string]any {
	pnv := s.bootArgsPhones()
	twoSV := map[string]any{"securityCode": map[string]any{"length": 6, "tooManyCodesSent": false,
		"tooManyCodesValidated": false, "securityCodeLocked": false, "securityCodeCooldown": false},
		"authFactors": []string{"robocall", "sms", "generatedcode"}, "sourceAppId": 1159}
	route := "auth/verify/phone"
	if s.sc.BridgeBootArgs {
		route = "auth/bridge/step"
		twoSV["bridgeInitiateData"] = map[string]any{"phoneNumberVerification": pnv, "apnsTopic": "com.apple.idmsauthwidget",
			"apnsEnvironment": "prod", "webSocketUrl": "websocket.push.apple.com"}
	} else {
		twoSV["phoneNumberVerification"] = pnv
	}
	return map[string]any{"direct": map[string]any{"authType": "hsa2", "authUserType": "hsa2",
		"hasTrustedDevices": s.sc.HasTrustedDevices, "authInitialRoute": route, "twoSV": twoSV}}
}

// lockFlow locks the server, finds the request's sign-in flow and sets its
// idmsa headers. Without a flow (flowFor has answered) it returns nil with
// the server unlocked; else the caller unlocks s.mu.
func (s *Server) lockFlow(w http.ResponseWriter, r *http.Request) *flow {
	s.mu.Lock()
	f := s.flowFor(w, r)
	if f == nil {
		s.mu.Unlock()
		return nil
	}
	s.idmsaHeaders(w, r, f)
	return f
}

func lastTwo(n string) string {
	if len(n) < 2 {
		return n
	}
	return n[len(n)-2:]
}

// handleDevicePush is the 2026 way to get a code onto trusted devices.
func (s *Server) handleDevicePush(w http.ResponseWriter, r *http.Request) {
	f := s.lockFlow(w, r)
	if f == nil {
		return
	}
	defer s.mu.Unlock()
	if !f.needs2FA || !s.sc.HasTrustedDevices {
		writeJSON(w, http.StatusBadRequest, serviceErrors("-21670", "no trusted devices"))
		return
	}
	s.sendCode(f, "device")
	if s.sc.PushFailStatus != 0 {
		writeJSON(w, s.sc.PushFailStatus, map[string]any{})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"trustedDeviceCount": 1, "securityCode": map[string]any{"length": 6}})
}

func (s *Server) sendCode(f *flow, via string) {
	f.code, f.codeVia = newCode(), via
	s.state.lastCode = f.code
}

type phoneRequest struct {
	PhoneNumber struct {
		ID int `json:"id"`
	} `json:"phoneNumber"`
	SecurityCode *struct {
		Code string `json:"code"`
	} `json:"securityCode"`
	Mode string `json:"mode"`
}

func (s *Server) handlePhoneSend(w http.ResponseWriter, r *http.Request) {
	var req phoneRequest
	if !decodeReq(w, r, &req) {
		return
	}
	f := s.lockFlow(w, r)
	if f == nil {
		return
	}
	defer s.mu.Unlock()
	if !f.needs2FA || !s.hasPhone(req.PhoneNumber.ID) || (req.Mode != "sms" && req.Mode != "voice") {
		writeJSON(w, http.StatusBadRequest, serviceErrors("-22421", "unknown phone number or mode"))
		return
	}
	s.sendCode(f, "phone:"+strconv.Itoa(req.PhoneNumber.ID))
	writeJSON(w, http.StatusOK, map[string]any{"trustedPhoneNumber": map[string]any{"id": req.PhoneNumber.ID},
		"securityCode": map[string]any{"length": 6}, "mode": req.Mode})
}

func (s *Server) hasPhone(id int) bool {
	for _, p := range s.sc.Phones {
		if p.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) handleDeviceVerify(w http.ResponseWriter, r *http.Request) {
	var req phoneRequest
	if decodeReq(w, r, &req) {
		s.verifyCode(w, r, req, "device", http.StatusNoContent)
	}
}

func (s *Server) handlePhoneVerify(w http.ResponseWriter, r *http.Request) {
	var req phoneRequest
	if decodeReq(w, r, &req) {
		s.verifyCode(w, r, req, "phone:"+strconv.Itoa(req.PhoneNumber.ID), http.StatusOK)
	}
}

// verifyCode accepts the code last sent by via; success rotates the session
// token and answers okStatus, or 409 {"valid":true} in the 2026 style.
func (s *Server) verifyCode(w http.ResponseWriter, r *http.Request, req phoneRequest, via string, okStatus int) {
	f := s.lockFlow(w, r)
	if f == nil {
		return
	}
	defer s.mu.Unlock()
	if req.SecurityCode == nil || f.code == "" || f.codeVia != via || req.SecurityCode.Code != f.code {
		f.attempted++
		writeJSON(w, http.StatusBadRequest, map[string]any{"hasError": true,
			"service_errors": []map[string]any{{"code": "-21669", "title": "Incorrect Verification Code", "message": "Incorrect verification code."}}})
		return
	}
	code := f.code
	f.verified, f.code = true, ""
	if !s.sc.NoTokenOnValid {
		s.issueSessionToken(w, f)
	}
	w.Header().Set("X-Apple-TwoSV-Trust-Eligible", "true")
	valid := map[string]any{"code": code, "tooManyCodesSent": false, "tooManyCodesValidated": false,
		"securityCodeLocked": false, "securityCodeCooldown": false, "valid": true}
	switch {
	case s.sc.PreconditionOnValid:
		// The shape of icloudpd#1026.
		writeJSON(w, http.StatusPreconditionFailed, map[string]any{"trustedDeviceCount": 1, "otherTrustedDeviceClass": "iPhone",
			"securityCode": valid, "phoneNumberVerification": s.bootArgsPhones()})
	case s.sc.ConflictOnValid:
		// The shape of rclone#9488 and #9730.
		writeJSON(w, http.StatusConflict, map[string]any{"authType": "hsa2", "securityCode": valid,
			"authenticationType": "hsa2", "hsa2Account": true})
	default:
		w.WriteHeader(okStatus)
	}
}

// handleTrust issues a trust token for a verified flow.
func (s *Server) handleTrust(w http.ResponseWriter, r *http.Request) {
	f := s.lockFlow(w, r)
	if f == nil {
		return
	}
	defer s.mu.Unlock()
	if !f.verified {
		writeJSON(w, http.StatusUnauthorized, serviceErrors("-21669", "not verified"))
		return
	}
	tok := randToken("HSARMTKNSRVX-")
	s.state.trust[tok] = s.now().Add(s.trustLifetime())
	w.Header().Set("X-Apple-TwoSV-Trust-Token", tok)
	s.issueSessionToken(w, f)
	w.WriteHeader(http.StatusNoContent)
}

// RevokeTrust forgets all trust tokens (as if they expired).
func (s *Server) RevokeTrust() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.state.trust)
}
