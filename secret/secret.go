// Package secret holds the one type for values that must never be
// printed: passwords, tokens, notification URLs with credentials in them.
// configs (the configured secrets) and credstore (passwords and sessions)
// both use it.
//
// Imports: the standard library only; no project package.
package secret

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// redacted is what every printing form of a set Secret shows.
const redacted = "<secret>"

// Secret is a value that must never be printed. Every printing and
// marshalling form (fmt with any verb, slog, JSON, YAML, text) shows
// "<secret>", or "" when the secret is unset, so that people can tell a
// missing value from a set one. Reveal returns the value for the code that
// consumes it.
type Secret struct {
	value string
}

// New wraps s.
func New(s string) Secret { return Secret{value: s} }

// Reveal returns the secret value. Call it only where the value is used
// (an HTTP header, a sign-in, a keychain entry), never for printing.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret holds a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

// Equal reports whether two secrets hold the same value (used by go-cmp).
func (s Secret) Equal(o Secret) bool { return s.value == o.value }

func (s Secret) masked() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// String implements fmt.Stringer; it never returns the value.
func (s Secret) String() string { return s.masked() }

// GoString implements fmt.GoStringer for %#v; it never returns the value.
func (s Secret) GoString() string { return `secret.Secret("` + s.masked() + `")` }

// Format implements fmt.Formatter so that no verb (%d, %x, %+v …) can reach
// the value through reflection.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, s.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(s.masked()))
	default:
		_, _ = io.WriteString(f, s.masked())
	}
}

// LogValue implements slog.LogValuer; it never returns the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.masked()) }

// MarshalText implements encoding.TextMarshaler; it never returns the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }

// MarshalJSON implements json.Marshaler; it never returns the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.masked()) }

// MarshalYAML implements yaml.Marshaler; it never returns the value.
func (s Secret) MarshalYAML() (any, error) { return s.masked(), nil }
