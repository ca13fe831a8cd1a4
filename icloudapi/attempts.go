package icloudapi

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"time"
)

// SignInRecord is where an account's SRP attempts are recorded for every
// process that may sign in to it (credstore.SignIns: a file in data_dir
// under a lock the kernel drops when the process ends). With one set in
// Options, an attempt is made only while holding Lock: the record is read
// (the decisions use what other processes recorded, not this process's
// copy), the attempt is written durably before signin/init is sent, and
// the outcome is written before the lock is released. So overlapping
// processes (a cron `verify` beside the daemon) take turns, and a password
// that Apple rejected for one of them is not sent by the next.
type SignInRecord interface {
	// Lock waits for exclusive use of the record across processes, or
	// until ctx ends.
	Lock(ctx context.Context) (unlock func(), err error)
	// Read returns the record written last, or nil when there is none.
	Read() ([]byte, error)
	// Write replaces the record durably before it returns.
	Write(b []byte) error
}

// signInRecordVersion is bumped when the record layout changes
// incompatibly.
const signInRecordVersion = 1

// signInRecord is the shared copy of the session's budget fields.
type signInRecord struct {
	Version  int            `json:"v"`
	Attempts []time.Time    `json:"srp_attempts,omitempty"`
	SignIns  []time.Time    `json:"srp_sign_ins,omitempty"`
	Rejected *pwFingerprint `json:"rejected_password,omitempty"`
}

// attempt is one SRP attempt: recorded (and, with a SignInRecord, holding
// its lock) from before anything is sent until finish.
type attempt struct {
	c      *Client
	at     time.Time
	unlock func() // nil without a SignInRecord

	answered  atomic.Bool // Apple answered a request of the attempt
	proofSent atomic.Bool // signin/complete (the password proof) was sent
}

type attemptKey struct{}

// track marks the requests made with the returned context as part of a.
func (a *attempt) track(ctx context.Context) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

// observeAttempt is called by the transport for every request.
func observeAttempt(ctx context.Context, endpoint string, code int) {
	a, ok := ctx.Value(attemptKey{}).(*attempt)
	if !ok {
		return
	}
	if endpoint == "signin_complete" {
		a.proofSent.Store(true)
	}
	if code != 0 {
		a.answered.Store(true)
	}
}

// reserveAttempt records an SRP attempt before any of its requests is
// sent. With a SignInRecord it takes the lock, adopts the shared budget
// state, applies the automatic sign-in rules to it (unless interactive)
// and writes the attempt; if that cannot be done no attempt is made.
func (c *Client) reserveAttempt(ctx context.Context, password string, interactive bool) (*attempt, error) {
	a := &attempt{c: c, at: c.now().UTC()}
	rec := c.opts.SignIns
	if rec == nil {
		c.mu.Lock()
		c.sess.Attempts = append(c.sess.Attempts, a.at)
		c.mu.Unlock()
		return a, nil
	}
	unlock, err := rec.Lock(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, unrecorded(err)
	}
	data, err := rec.Read()
	if err != nil {
		unlock()
		return nil, unrecorded(err)
	}
	own := c.adoptRecord(data)
	if !interactive {
		if err := c.mayAutoSignIn(password); err != nil {
			c.restoreBudget(own) // what another process did is not this client's
			unlock()
			return nil, err
		}
	}
	c.mu.Lock()
	c.sess.Attempts = append(c.sess.Attempts, a.at)
	c.mu.Unlock()
	if err := c.writeRecord(); err != nil {
		c.restoreBudget(own)
		unlock()
		return nil, unrecorded(err)
	}
	a.unlock = unlock
	return a, nil
}

// unrecorded is the refusal when the attempt cannot be recorded first.
func unrecorded(err error) error {
	e := newError(ErrSignInBudget, "signin", 0, "the sign-in attempt could not be recorded, so none was made: "+err.Error())
	e.Remediation = "make data_dir (/data) writable by icloudmon, on a local disk"
	return e
}

// finish ends the attempt: an attempt of which Apple answered nothing and
// that never sent the password proof (the network was down, the context
// ended before signin/init went out) is taken back, as it cannot count
// against the account; any other stays recorded as failed unless Apple
// accepted it. The outcome is written and the lock released.
func (a *attempt) finish() {
	c := a.c
	if !a.answered.Load() && !a.proofSent.Load() {
		c.mu.Lock()
		if i := slices.IndexFunc(c.sess.Attempts, a.at.Equal); i >= 0 {
			c.sess.Attempts = slices.Delete(c.sess.Attempts, i, i+1)
		}
		c.mu.Unlock()
	}
	if a.unlock == nil {
		return
	}
	if err := c.writeRecord(); err != nil {
		c.log.Warn("could not record the outcome of the sign-in attempt; it stays counted as failed", "err", err)
	}
	a.unlock()
}

// budgetState is a copy of the session's budget fields.
type budgetState struct {
	attempts, signIns []time.Time
	rejected          *pwFingerprint
}

// adoptRecord replaces the session's budget fields with the shared record
// and returns the replaced ones. Without a record yet (first use, or an
// older version) the session's own fields seed it; a damaged one is
// replaced by them too, with a warning.
func (c *Client) adoptRecord(data []byte) budgetState {
	c.mu.Lock()
	defer c.mu.Unlock()
	own := budgetState{slices.Clone(c.sess.Attempts), slices.Clone(c.sess.SignIns), c.sess.Rejected}
	if data == nil {
		return own
	}
	var r signInRecord
	if err := json.Unmarshal(data, &r); err != nil || r.Version != signInRecordVersion {
		c.log.Warn("the shared sign-in record is unreadable; using this process's own", "err", err, "version", r.Version)
		return own
	}
	c.sess.Attempts, c.sess.SignIns, c.sess.Rejected = r.Attempts, r.SignIns, r.Rejected
	return own
}

func (c *Client) restoreBudget(b budgetState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess.Attempts, c.sess.SignIns, c.sess.Rejected = b.attempts, b.signIns, b.rejected
}

// writeRecord writes the session's budget fields to the shared record.
func (c *Client) writeRecord() error {
	c.mu.Lock()
	c.sess.Attempts = withinWindow(c.sess.Attempts, c.now())
	c.sess.SignIns = withinWindow(c.sess.SignIns, c.now())
	r := signInRecord{Version: signInRecordVersion, Attempts: c.sess.Attempts, SignIns: c.sess.SignIns, Rejected: c.sess.Rejected}
	b, err := json.Marshal(&r)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.opts.SignIns.Write(b)
}
