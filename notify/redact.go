package notify

import (
	"errors"
	"net/url"
	"sort"
	"strings"
)

// redactedText replaces every secret fragment in error texts.
const redactedText = "<redacted>"

// minSecretLen is the shortest URL fragment that is treated as secret.
// Shorter fragments ("api", "v1") carry no secret and replacing them would
// only garble error messages.
const minSecretLen = 4

// redactor removes the parts of notification URLs (which are secrets:
// tokens, topics, passwords, webhook ids) from texts such as errors returned
// by shoutrrr or net/http, which embed request URLs.
type redactor struct {
	secrets []string // longest first, so that a URL is replaced before its parts
}

// notSecret are query values and words that URLs share with every error
// text; replacing them would hide nothing and garble the message.
var notSecret = map[string]bool{"http": true, "https": true, "json": true, "true": true, "false": true, "yes": true}

// newRedactor collects the secret fragments of rawURL: the whole URL, its
// user info, path segments and query values, and its host unless keepHost
// (an http(s) URL's host is an address worth showing; a shoutrrr URL's
// "host" is often a token or webhook id).
func newRedactor(rawURL string, keepHost bool) *redactor {
	seen := map[string]bool{}
	add := func(s string) {
		if len(s) >= minSecretLen && !notSecret[strings.ToLower(s)] {
			seen[s] = true
		}
	}
	add(rawURL)
	for _, f := range urlFragments(rawURL, keepHost) {
		add(f)
	}
	r := &redactor{}
	for s := range seen {
		r.secrets = append(r.secrets, s)
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

// urlFragments returns the parts of raw that may carry a secret, both raw
// and unescaped, because errors may show either form.
func urlFragments(raw string, keepHost bool) []string {
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: fall back to splitting on URL punctuation.
		return strings.FieldsFunc(raw, func(r rune) bool { return strings.ContainsRune(":/@?&=#", r) })
	}
	var out []string
	if u.User != nil {
		out = append(out, u.User.Username())
		if p, ok := u.User.Password(); ok {
			out = append(out, p, url.QueryEscape(p))
		}
	}
	if !keepHost {
		out = append(out, u.Host, u.Hostname())
	}
	out = append(out, u.Opaque, u.Path, u.EscapedPath(), u.RawQuery)
	out = append(out, strings.Split(u.Path, "/")...)
	out = append(out, strings.Split(u.EscapedPath(), "/")...)
	for _, vs := range u.Query() {
		for _, v := range vs {
			out = append(out, v, url.QueryEscape(v))
		}
	}
	return out
}

// scrub returns s with every secret fragment replaced.
func (r *redactor) scrub(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, redactedText)
	}
	return s
}

// scrubErr returns an error whose text has every secret fragment replaced.
// The original error is not kept in the chain (its text would leak through
// errors.Unwrap and %v of wrapping errors); sentinel matching is preserved
// for context cancellation and deadline errors.
func (r *redactor) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.scrub(err.Error()), timeout: isTimeout(err)}
}

// redactedError is an error whose text has been scrubbed of secrets.
type redactedError struct {
	msg     string
	timeout bool
}

func (e *redactedError) Error() string { return e.msg }

// Timeout reports whether the original error was a timeout.
func (e *redactedError) Timeout() bool { return e.timeout }

// isTimeout reports whether err is (or wraps) a timeout.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return true
	}
	return strings.Contains(err.Error(), "timed out") || strings.Contains(err.Error(), "deadline exceeded")
}
