package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/secret"
)

// lockedWriter serialises writes from the demo's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// demoNotify sets the demo's notification targets. With --config, the
// notify: section of that file (and its tls.ca_file, for a self-hosted
// server) is used, so a newcomer sees a real message arrive on the phone
// before setting up an account; the rest of the file (accounts, folders)
// is ignored. Without it, a webhook inside the demo prints every message
// it receives on out. It returns a description for the banner and what
// to stop at exit.
func demoNotify(ctx context.Context, cfg *configs.Config, path string, dir string, caPEM []byte, out io.Writer) (string, func(), error) {
	if path == "" {
		url, stop, err := startDemoReceiver(ctx, out)
		if err != nil {
			return "", nil, err
		}
		cfg.Notify.WebhookURL = secret.New(url)
		return "printed here by the demo's own webhook (pass --config with a notify: section to send them to your phone)", stop, nil
	}
	user, err := configs.Load(path, nil)
	if user == nil {
		return "", nil, fmt.Errorf("demo --config: %w", err)
	}
	var ps configs.Problems
	if errors.As(err, &ps) {
		var ours configs.Problems
		for _, p := range ps {
			if strings.HasPrefix(p.Key, "notify") || strings.HasPrefix(p.Key, "tls") {
				ours = append(ours, p)
			}
		}
		if len(ours) > 0 {
			return "", nil, fmt.Errorf("demo --config: %w", ours)
		}
	} else if err != nil {
		return "", nil, fmt.Errorf("demo --config: %w", err)
	}
	n := user.Notify
	if len(n.URLs) == 0 && !n.WebhookURL.IsSet() && !n.HealthchecksURL.IsSet() && !n.UptimeKumaURL.IsSet() {
		return "", nil, fmt.Errorf("demo --config %s has no notify: targets; set notify.urls (e.g. an ntfy topic) or leave --config out", path)
	}
	cfg.Notify = n
	if user.TLS.CAFile != "" {
		// The demo's own fake iCloud CA plus the file's CA, for a
		// notification server behind a home CA.
		extra, err := os.ReadFile(user.TLS.CAFile)
		if err != nil {
			return "", nil, fmt.Errorf("demo --config: tls.ca_file: %w", err)
		}
		bundle := filepath.Join(dir, "ca-bundle.pem")
		pem := append(append(append([]byte(nil), caPEM...), '\n'), extra...)
		if err := os.WriteFile(bundle, pem, 0o600); err != nil { //nolint:gosec // G703: bundle is in the demo's own directory
			return "", nil, err
		}
		cfg.TLS.CAFile = bundle
	}
	return "sent to the notify: targets of " + path, func() {}, nil
}

// startDemoReceiver serves a webhook on 127.0.0.1 that prints the title
// and text of every message it gets.
func startDemoReceiver(ctx context.Context, out io.Writer) (string, func(), error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the demo's webhook: %w", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Title   string `json:"title"`
			Message string `json:"message"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&ev); err != nil {
			http.Error(w, "not an icloudmon event", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(out, "\ndemo: notification received\n  %s\n  %s\n\n", ev.Title, strings.ReplaceAll(ev.Message, "\n", "\n  "))
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/demo-webhook", func() { _ = srv.Close() }, nil
}
