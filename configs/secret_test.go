package configs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretNeverPrinted(t *testing.T) {
	cleanEnv(t)
	cfg, err := Load("testdata/good.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Web.Token.IsSet() || cfg.Web.Token.Reveal() != "web-token-s3cr3t-value" {
		t.Fatal("good.yml did not load its web token; the test would prove nothing")
	}
	var outputs []string
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(out))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, *cfg), fmt.Sprintf(verb, cfg.Web.Token))
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ys, err := yaml.Marshal(cfg.Notify)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(js), string(ys))
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("cfg", "token", cfg.Web.Token, "notify", cfg.Notify)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("cfg", "token", cfg.Web.Token, "notify", cfg.Notify)
	outputs = append(outputs, logs.String())
	for i, o := range outputs {
		if strings.Contains(o, "s3cr3t") {
			t.Errorf("output %d shows a secret: %s", i, o)
		}
	}
	if !strings.Contains(string(out), "token: <secret>") {
		t.Errorf("YAML output does not mark the token as <secret>:\n%s", out)
	}
}

func TestSecretForms(t *testing.T) {
	set, unset := NewSecret("hunter2"), Secret{}
	tests := []struct {
		name, got, want string
	}{
		{"String", set.String(), "<secret>"},
		{"GoString", fmt.Sprintf("%#v", set), `configs.Secret("<secret>")`},
		{"Sprint", fmt.Sprint(set), "<secret>"},
		{"%d", fmt.Sprintf("%d", set), "<secret>"},
		{"%q", fmt.Sprintf("%q", set), `"<secret>"`},
		{"%+v in a struct", fmt.Sprintf("%+v", struct{ S Secret }{set}), "{S:<secret>}"},
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
	if !set.IsSet() || unset.IsSet() || !set.Equal(NewSecret("hunter2")) {
		t.Error("IsSet/Equal wrong")
	}
}
