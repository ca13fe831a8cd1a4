package credstore

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

const redacted = "<secret>"

// Secret holds a password. Every printing form (fmt with any verb, slog,
// JSON, text) shows "<secret>", or "" when empty; Reveal returns the value
// for the one place that uses it.
type Secret struct {
	value string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the value. Use it only where the password is consumed.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s.value != "" }

func (s Secret) masked() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// String implements fmt.Stringer without the value.
func (s Secret) String() string { return s.masked() }

// GoString implements fmt.GoStringer without the value.
func (s Secret) GoString() string { return `credstore.Secret("` + s.masked() + `")` }

// Format implements fmt.Formatter so that no verb (%x, %q, %v…) prints the
// value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.masked())
}

// LogValue implements slog.LogValuer without the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.masked()) }

// MarshalText implements encoding.TextMarshaler without the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }

// MarshalJSON implements json.Marshaler without the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.masked()) }
