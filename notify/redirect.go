package notify

import (
	"errors"
	"net/http"
)

// errDowngrade: a redirect led from https to plain http.
var errDowngrade = errors.New("redirect from https to plain http refused (the message would travel unencrypted)")

// noDowngrade follows redirects like net/http does, except from https to
// http: a notification or ping URL configured with https never sends its
// message (or the token in its URL) in clear because of a redirect.
func noDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return errDowngrade
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}
