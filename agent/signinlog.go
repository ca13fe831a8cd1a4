package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// signInLogNS keeps, per account and outside the secret session blob, when
// a session was last saved and when the password was last used to sign in.
// It lets the agent notice sessions that are not kept between runs (a
// /data that is not persistent for the sessions, a keychain that forgets,
// a session file that cannot be written) and say so, instead of silently
// signing in on every run. It holds no secret.
const signInLogNS = "signin_log"

type signInLog struct {
	SavedAt time.Time   `json:"session_saved_at,omitzero"`
	SignIns []time.Time `json:"sign_ins,omitempty"`
}

// notKeptAfter accepted sign-ins in 24 h mean the session is evidently not
// kept: a kept session needs one about every month. Two can be honest (the
// first sign-in and one after Apple revoked the tokens), three are not.
const notKeptAfter = 3

func (c *ICloud) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *ICloud) readSignInLog(ctx context.Context) signInLog {
	var l signInLog
	if c.DB == nil {
		return l
	}
	if data, ok, err := c.DB.Get(ctx, signInLogNS, c.Account); err == nil && ok {
		_ = json.Unmarshal(data, &l) // a damaged log only loses the hint
	}
	return l
}

func (c *ICloud) writeSignInLog(ctx context.Context, log *slog.Logger, l signInLog) {
	if c.DB == nil {
		return
	}
	data, err := json.Marshal(l)
	if err == nil {
		err = c.DB.Put(ctx, signInLogNS, c.Account, data)
	}
	if err != nil {
		log.Debug("could not store the sign-in log", "err", err)
	}
}

// recent returns the sign-ins of the 24 hours before now.
func (l signInLog) recent(now time.Time) []time.Time {
	var out []time.Time
	for _, t := range l.SignIns {
		if now.Sub(t) < 24*time.Hour {
			out = append(out, t)
		}
	}
	return out
}

// noteSignIn records an accepted sign-in of this cycle.
func (c *ICloud) noteSignIn(ctx context.Context, log *slog.Logger) {
	l := c.readSignInLog(ctx)
	l.SignIns = append(l.recent(c.now()), c.now().UTC())
	c.writeSignInLog(ctx, log, l)
}

// noteSaved records, once per process, that a session was saved: the
// record only has to say that one was (see missingSession).
func (c *ICloud) noteSaved(ctx context.Context, log *slog.Logger) {
	if c.savedNoted {
		return
	}
	c.savedNoted = true
	l := c.readSignInLog(ctx)
	l.SavedAt = c.now().UTC()
	c.writeSignInLog(ctx, log, l)
}

// sessionNotKept explains why sessions are evidently not kept between
// runs, or returns "".
func (c *ICloud) sessionNotKept(ctx context.Context, lostAt time.Time) string {
	switch {
	case c.saveErr != nil:
		return fmt.Sprintf("the session could not be saved (%v)", c.saveErr)
	case !lostAt.IsZero():
		return "the saved session was gone at start although one was saved on " + lostAt.UTC().Format("2006-01-02 15:04 MST")
	}
	if n := len(c.readSignInLog(ctx).recent(c.now())); n >= notKeptAfter {
		return fmt.Sprintf("%d sign-ins with the password in the last 24 hours, where a kept session needs about one a month", n)
	}
	return ""
}

// missingSession is called when no session was found at start.
func (c *ICloud) missingSession(ctx context.Context, log *slog.Logger) {
	if l := c.readSignInLog(ctx); !l.SavedAt.IsZero() {
		c.lostAt = l.SavedAt
		log.Warn("the saved session is gone although one was saved before; is data_dir (/data) on a persistent, writable volume?",
			"saved_at", l.SavedAt)
	}
}
