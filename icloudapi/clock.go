package icloudapi

import (
	"net/http"
	"sync"
	"time"
)

// appleClock remembers how far Apple's clock is from this machine's, as
// measured from the Date header that every Apple answer carries (RFC 9110
// §6.6.1). A NAS whose clock is days off would otherwise judge every age
// (how long nothing reached iCloud, session expiry, purge countdown) wrongly.
type appleClock struct {
	mu       sync.Mutex
	offset   time.Duration // Apple's time minus ours
	measured time.Time     // our time of the measurement; zero: none yet
}

// note records the offset stated by an answer's Date header, received at
// our time at. Answers without a Date, or with one that does not parse,
// are ignored. The header has a resolution of one second and is stamped
// before the body is sent, so the offset is exact to a few seconds, far
// below the tolerance the checks apply.
func (a *appleClock) note(h http.Header, at time.Time) {
	v := h.Get("Date")
	if v == "" {
		return
	}
	t, err := http.ParseTime(v)
	if err != nil || t.IsZero() {
		return
	}
	a.mu.Lock()
	a.offset, a.measured = t.Sub(at), at
	a.mu.Unlock()
}

// ClockOffset returns Apple's clock minus this machine's clock, from the
// Date header of the latest answer received (whatever its status), and
// false when no answer carried a usable Date yet. A positive offset means
// this machine's clock is behind Apple's.
func (c *Client) ClockOffset() (time.Duration, bool) {
	c.clock.mu.Lock()
	defer c.clock.mu.Unlock()
	return c.clock.offset, !c.clock.measured.IsZero()
}
