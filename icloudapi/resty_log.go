package icloudapi

import (
	"fmt"
	"log/slog"
	"regexp"
)

// urlPattern matches URLs in resty's log lines; they carry the dsid and
// client id in their query, which stay out of logs.
var urlPattern = regexp.MustCompile(`https?://[^\s"]+`)

// restyLogger adapts resty's logger to slog at debug level, with URLs
// reduced to "<url>".
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) line(format string, v ...any) string {
	return urlPattern.ReplaceAllString(fmt.Sprintf(format, v...), "<url>")
}

func (r restyLogger) Errorf(format string, v ...any) { r.l.Debug("http: " + r.line(format, v...)) }
func (r restyLogger) Warnf(format string, v ...any)  { r.l.Debug("http: " + r.line(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) { r.l.Debug("http: " + r.line(format, v...)) }
