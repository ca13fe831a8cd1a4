package icloudapi

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRestyLoggerHidesURLs(t *testing.T) {
	var buf bytes.Buffer
	l := restyLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Warnf("%v, Attempt %d", `Post "https://p01-ckdatabasews.icloud.com/database/1/x?dsid=123456789&clientId=abc": context canceled`, 1)
	out := buf.String()
	if strings.Contains(out, "dsid") || strings.Contains(out, "123456789") || !strings.Contains(out, "<url>") {
		t.Errorf("resty line not scrubbed: %s", out)
	}
}
