package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// ServerLimits bound what one client can hold of the daemon's HTTP server.
// Without them a few hundred unauthenticated connections that send a
// request body one byte at a time keep their file descriptors for ever,
// and under a container's descriptor limit /healthz stops answering, so
// Docker restarts a healthy agent.
type ServerLimits struct {
	// ReadHeaderTimeout bounds reading the request line and headers;
	// ReadTimeout the whole request including its body; WriteTimeout the
	// answer (a re-auth sign-in talks to Apple within it); IdleTimeout a
	// kept-alive connection between requests.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxConns caps the connections open at once from other hosts; a
	// connection over the cap is closed at once. Connections from the
	// machine itself (Trusted) are never refused, so the container's
	// HEALTHCHECK (icloudmon healthcheck, over 127.0.0.1) always gets in.
	MaxConns int
	// Trusted reports whether a remote address is exempt from MaxConns;
	// nil means loopback addresses.
	Trusted func(net.Addr) bool
}

// DefaultServerLimits are the limits of `run` and `demo`.
var DefaultServerLimits = ServerLimits{
	ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
	WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxConns: 64,
}

// maxHeaderBytes bounds request headers (the status page needs a few kB).
const maxHeaderBytes = 64 << 10

// NewHTTPServer returns the daemon's HTTP server for h with lim's timeouts.
func NewHTTPServer(h http.Handler, lim ServerLimits) *http.Server {
	return &http.Server{
		Handler: h, ReadHeaderTimeout: lim.ReadHeaderTimeout, ReadTimeout: lim.ReadTimeout,
		WriteTimeout: lim.WriteTimeout, IdleTimeout: lim.IdleTimeout, MaxHeaderBytes: maxHeaderBytes,
	}
}

// LimitListener wraps ln so that at most lim.MaxConns connections from
// untrusted addresses are open at once; more are closed as soon as they
// are accepted. MaxConns <= 0 returns ln unchanged.
func LimitListener(ln net.Listener, lim ServerLimits) net.Listener {
	if lim.MaxConns <= 0 {
		return ln
	}
	trusted := lim.Trusted
	if trusted == nil {
		trusted = isLoopback
	}
	return &limitListener{Listener: ln, max: lim.MaxConns, trusted: trusted}
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

type limitListener struct {
	net.Listener
	max     int
	trusted func(net.Addr) bool
	mu      sync.Mutex
	open    int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.trusted(c.RemoteAddr()) {
			return c, nil
		}
		l.mu.Lock()
		full := l.open >= l.max
		if !full {
			l.open++
		}
		l.mu.Unlock()
		if full {
			_ = c.Close()
			continue
		}
		return &countedConn{Conn: c, release: l.release}, nil
	}
}

func (l *limitListener) release() {
	l.mu.Lock()
	l.open--
	l.mu.Unlock()
}

// countedConn gives its slot back once, on the first Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
