package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretForms(t *testing.T) {
	set, unset := New("hunter2"), Secret{}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "pw", set)
	tests := []struct {
		name, got, want string
	}{
		{"String", set.String(), "<secret>"},
		{"GoString", fmt.Sprintf("%#v", set), `secret.Secret("<secret>")`},
		{"Sprint", fmt.Sprint(set), "<secret>"},
		{"%d", fmt.Sprintf("%d", set), "<secret>"},
		{"%x", fmt.Sprintf("%x", set), "<secret>"},
		{"%q", fmt.Sprintf("%q", set), `"<secret>"`},
		{"%+v in a struct", fmt.Sprintf("%+v", struct{ S Secret }{set}), "{S:<secret>}"},
		{"slog", strings.TrimSpace(logs.String())[strings.Index(logs.String(), `"pw"`):], `"pw":"<secret>"}`},
		{"unset String", unset.String(), ""},
		{"Reveal", set.Reveal(), "hunter2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
			}
		})
	}
	if b, err := set.MarshalText(); err != nil || string(b) != "<secret>" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	var fromJSON string
	if b, err := json.Marshal(set); err != nil || json.Unmarshal(b, &fromJSON) != nil || fromJSON != "<secret>" {
		t.Errorf("json.Marshal = %q, %v", b, err)
	}
	if v, _ := set.MarshalYAML(); v != "<secret>" {
		t.Errorf("MarshalYAML = %v", v)
	}
	if !set.IsSet() || unset.IsSet() || !set.Equal(New("hunter2")) {
		t.Error("IsSet/Equal wrong")
	}
}
