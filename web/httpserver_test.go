package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveLimited starts NewHTTPServer over LimitListener on 127.0.0.1 with
// only 127.0.0.1 trusted: clients dialling from 127.0.0.2 stand for other
// hosts.
func serveLimited(t *testing.T, lim ServerLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim.Trusted = func(a net.Addr) bool { return a.(*net.TCPAddr).IP.Equal(net.IPv4(127, 0, 0, 1)) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("POST /api/check", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusUnauthorized)
	})
	srv := NewHTTPServer(mux, lim)
	go func() { _ = srv.Serve(LimitListener(ln, lim)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// dialFrom opens a TCP connection to addr from the local IP from.
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from %s (no 127.0.0.0/8 loopback routing here): %v", from, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// trickle sends a POST whose body never completes, one byte at a time
// until the server hangs up; it reports when that happened.
func trickle(c net.Conn, stop <-chan struct{}) <-chan time.Duration {
	done := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		_, _ = io.WriteString(c, "POST /api/check HTTP/1.1\r\nHost: nas\r\nContent-Length: 100000\r\n\r\n")
		go func() {
			_, _ = io.Copy(io.Discard, c) // returns when the server closes
			done <- time.Since(start)
		}()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	return done
}

// Issue 22 item 7: a body trickled byte by byte no longer holds a
// connection for ever: the read timeout closes it.
func TestTrickledBodyIsCutOff(t *testing.T) {
	addr := serveLimited(t, ServerLimits{ReadHeaderTimeout: time.Second, ReadTimeout: 300 * time.Millisecond,
		WriteTimeout: time.Second, IdleTimeout: time.Second})
	stop := make(chan struct{})
	defer close(stop)
	select {
	case took := <-trickle(dialFrom(t, "127.0.0.1", addr), stop):
		if took > 2*time.Second {
			t.Errorf("the trickling connection was closed after %v, want about the read timeout", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a connection trickling its body was still open after 5s")
	}
}

// Issue 22 item 7: connections from other hosts are capped, and the cap
// never locks out /healthz asked from the machine itself.
func TestHealthzAnswersWhileOthersHoldEveryConnection(t *testing.T) {
	addr := serveLimited(t, ServerLimits{ReadHeaderTimeout: time.Minute, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: time.Minute, MaxConns: 3})
	stop := make(chan struct{})
	defer close(stop)
	var held []<-chan time.Duration
	for range 3 {
		held = append(held, trickle(dialFrom(t, "127.0.0.2", addr), stop))
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them
	over := dialFrom(t, "127.0.0.2", addr)
	_ = over.SetReadDeadline(time.Now().Add(3 * time.Second))
	if n, err := over.Read(make([]byte, 1)); err == nil || n != 0 || strings.Contains(err.Error(), "timeout") {
		t.Errorf("a connection over the cap was not closed at once: n=%d err=%v", n, err)
	}
	for _, h := range held {
		select {
		case <-h:
			t.Fatal("a connection within the cap was closed")
		default:
		}
	}
	c := dialFrom(t, "127.0.0.1", addr)
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("/healthz from the machine itself: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz answered %s", resp.Status)
	}
}

func TestDefaultServerLimitsAreSet(t *testing.T) {
	l := DefaultServerLimits
	if l.ReadHeaderTimeout <= 0 || l.ReadTimeout <= 0 || l.WriteTimeout <= 0 || l.IdleTimeout <= 0 || l.MaxConns <= 0 {
		t.Errorf("a default limit is unset: %+v", l)
	}
	srv := NewHTTPServer(http.NotFoundHandler(), l)
	if srv.ReadTimeout != l.ReadTimeout || srv.MaxHeaderBytes == 0 {
		t.Errorf("server = read %v, max header %d", srv.ReadTimeout, srv.MaxHeaderBytes)
	}
}
