package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
)

// backoffNS is the store namespace of each account's pending back-off from
// Apple (beside the Photos snapshot), so that separate `verify` processes
// started by cron honour it as the daemon does.
const backoffNS = "icloud_backoff"

// Stored back-off bounds: a throttling answer that names no wait (a bare
// 503, CAS_OP_LOCK, …) still keeps the next runs away for a while; none is
// kept longer than a day, whatever Apple says.
const (
	defaultBackoff = 30 * time.Minute
	maxBackoff     = 24 * time.Hour
)

// storedBackoff is what a throttled cycle leaves for the next ones.
type storedBackoff struct {
	Until   time.Time `json:"until"`
	Since   time.Time `json:"since"`
	Code    string    `json:"code,omitempty"` // CloudKit serverErrorCode, if any
	Message string    `json:"message"`
}

// backedOff reports whether a stored back-off is still running. The cycle
// then sends nothing to Apple and reports the throttling again.
func (c *ICloud) backedOff(ctx context.Context, log *slog.Logger, obs *checks.Observation) bool {
	data, ok, err := c.DB.Get(ctx, backoffNS, c.Account)
	if err != nil {
		log.Warn("could not read the stored back-off from Apple", "err", err)
		return false
	}
	if !ok {
		return false
	}
	var b storedBackoff
	if err := json.Unmarshal(data, &b); err != nil {
		log.Warn("stored back-off unreadable; ignoring it", "err", err)
		return false
	}
	c.backoffSeen = true // a success clears it, even when it has ended
	now := c.now()
	// A back-off that ended, or one that would end further ahead than any
	// we store (a clock that jumped back), is not honoured.
	if !now.Before(b.Until) || b.Until.Sub(now) > maxBackoff {
		return false
	}
	log.Info("Apple asked to wait; no request is sent until the back-off ends", "until", b.Until, "code", b.Code)
	obs.Auth = checks.AuthObservation{Kind: checks.AuthThrottled, RetryAfter: b.Until,
		Message: b.Message + " (since " + b.Since.UTC().Format(time.RFC3339) + "; icloudmon sends nothing to Apple until then)"}
	c.sessionExpiry(obs)
	return true
}

// noteBackoff stores the back-off asked for by a throttling answer (429,
// 503, THROTTLED, TRY_AGAIN_LATER, ACCESS_DENIED that is not an ADP or
// web-access block).
func (c *ICloud) noteBackoff(ctx context.Context, log *slog.Logger, err error) {
	if !errors.Is(err, icloudapi.ErrThrottled) {
		return
	}
	wait := defaultBackoff
	b := storedBackoff{Since: c.now(), Message: err.Error()}
	var ae *icloudapi.Error
	if errors.As(err, &ae) {
		if ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		b.Code = ae.Code
		if ae.Message != "" {
			b.Message = ae.Message
		}
	}
	b.Until = b.Since.Add(min(wait, maxBackoff))
	data, _ := json.Marshal(b)
	if err := c.DB.Put(ctx, backoffNS, c.Account, data); err != nil {
		log.Warn("could not store the back-off from Apple; the next run may ask again too early", "err", err)
		return
	}
	c.backoffSeen = true
	log.Warn("Apple is limiting requests; backing off", "until", b.Until, "code", b.Code)
}

// clearBackoff forgets a back-off after a successful cycle.
func (c *ICloud) clearBackoff(ctx context.Context, log *slog.Logger) {
	if !c.backoffSeen {
		return
	}
	if err := c.DB.Delete(ctx, backoffNS, c.Account); err != nil {
		log.Warn("could not clear the stored back-off", "err", err)
		return
	}
	c.backoffSeen = false
}
