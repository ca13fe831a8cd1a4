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
