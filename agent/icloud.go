package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/store"
)

// SessionStore keeps each account's opaque session blob (credstore).
type SessionStore interface {
	Load(ctx context.Context, account string) ([]byte, error)
	Save(ctx context.Context, account string, blob []byte) error
}

// PasswordFunc returns the account's password, or "" when none is stored.
// It is called only when a sign-in might be needed.
type PasswordFunc func(ctx context.Context) (string, error)

// snapshotNS is the store namespace of the last Photos snapshot per account
// (zones, sync tokens and unchanged libraries are reused from it).
const snapshotNS = "photos_snapshot"

// ICloud is the CloudSource of one account, backed by icloudapi.
type ICloud struct {
	Account   string
	Client    *icloudapi.Client
	Sessions  SessionStore
	Password  PasswordFunc
	DB        *store.DB
	Libraries []string
	Newest    int
	Logger    *slog.Logger
	// NoCache ignores the stored snapshot (verify --no-cache): every
	// library is read afresh.
	NoCache bool
	// OnSignIn, if set, is told the outcome of every cycle that made an
	// SRP sign-in attempt (icloudmon_signin_attempts_total).
	OnSignIn func(checks.AuthKind)

	// Audit switches the whole-library audit's mirror on (nil: off).
	Audit *AuditOptions

	// Now is the clock (default time.Now).
	Now func() time.Time

	restored   bool
	saveErr    error     // the last session save failed
	lostAt     time.Time // at start, the session saved then was gone
	savedNoted bool      // this process recorded a saved session
	pwReason   string    // why the last password lookup found none ("" = found)
	pwLogged   string    // the reason last logged, to log each change once

	backoffSeen bool // a back-off was stored or honoured by this process

	mirrors map[string]store.MirrorLibrary // this cycle's audit mirrors by library name

	// snapshotLoaded, if set, is called when ObserveCloud has read the
	// stored snapshot (tests).
	snapshotLoaded func()
}

// ObserveCloud implements CloudSource: restore the session, authenticate
// without a person, read the Photos snapshot, and save session and
// snapshot for the next cycle.
func (c *ICloud) ObserveCloud(ctx context.Context, obs *checks.Observation) *CloudAssets {
	log := c.logger()
	c.restore(ctx, log)
	if c.backedOff(ctx, log, obs) {
		c.updateMirrors(ctx, log, nil, obs, "iCloud asked to wait; the mirror is as of its last update")
		return nil // Apple asked to wait: not even the session is checked
	}
	defer c.saveSession(ctx, log)
	defer c.clockOffset(obs)
	// The stored snapshot is read while the session is validated: reading
	// it needs no session, and the first Photos request needs both. After
	// a failed sign-in it is not used; the read still ends in this cycle.
	prevc := make(chan *icloudapi.PhotosSnapshot, 1)
	go func() {
		prevc <- c.loadSnapshot(ctx, log)
		if c.snapshotLoaded != nil {
			c.snapshotLoaded()
		}
	}()
	loadedPrev := sync.OnceValue(func() *icloudapi.PhotosSnapshot { return <-prevc })
	defer loadedPrev()
	attempts := c.Client.SignInAttempts()
	signIns, lostAt := c.Client.SignIns(), c.lostAt
	err := c.Client.Authenticate(ctx, c.password(ctx, log))
	if c.OnSignIn != nil && c.Client.SignInAttempts() > attempts {
		c.OnSignIn(authObservation(err, c.now()).Kind)
	}
	if c.Client.SignIns() > signIns {
		c.noteSignIn(ctx, log)
		c.saveSession(ctx, log) // now, so that a failure is reported this cycle
	}
	notKept := c.sessionNotKept(ctx, lostAt)
	if notKept != "" {
		log.Warn("the iCloud session is not being kept between runs; keep data_dir (/data) on a persistent volume writable by icloudmon", "why", notKept)
	}
	if err != nil {
		c.fail(obs, err)
		c.noteBackoff(ctx, log, err)
		obs.Auth.SessionNotKept = notKept
		c.updateMirrors(ctx, log, nil, obs, "iCloud could not be read; the mirror is as of its last update")
		return nil
	}
	prev := loadedPrev()
	tokens := 0
	if prev != nil {
		tokens = len(prev.DBTokens)
	}
	snap, err := c.Client.PhotosSnapshot(ctx, icloudapi.SnapshotOptions{
		Newest: c.Newest, Libraries: c.Libraries, Previous: prev})
	if err != nil {
		if prev != nil && len(prev.DBTokens) < tokens {
			// CloudKit refused a stored sync token: keep the snapshot
			// without it, so that no later run sends it again.
			c.saveSnapshot(ctx, log, prev)
		}
		c.fail(obs, err)
		c.noteBackoff(ctx, log, err)
		c.updateMirrors(ctx, log, nil, obs, "iCloud could not be read; the mirror is as of its last update")
		return nil
	}
	c.clearBackoff(ctx, log)
	c.saveSnapshot(ctx, log, snap)
	obs.Auth = checks.AuthObservation{Kind: checks.AuthOK, SessionNotKept: notKept}
	c.sessionExpiry(obs)
	fillFromSnapshot(obs, snap)
	c.updateMirrors(ctx, log, snap, obs, "")
	return matchAssets(snap)
}

func (c *ICloud) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger.With("account", c.Account)
}

// restore loads the saved session once per process.
func (c *ICloud) restore(ctx context.Context, log *slog.Logger) {
	if c.restored {
		return
	}
	c.restored = true
	err := loadSession(ctx, c.Sessions, c.Account, c.Client)
	switch {
	case errors.Is(err, credstore.ErrNotFound):
		log.Info("no saved session; a sign-in is needed (run `icloudmon login`)")
		c.missingSession(ctx, log)
	case errors.Is(err, errSessionUnusable):
		log.Warn("the saved session could not be restored; a sign-in is needed", "err", err)
	case err != nil:
		log.Warn("could not load the saved session", "err", err)
	}
}

func (c *ICloud) saveSession(ctx context.Context, log *slog.Logger) {
	err := storeSession(ctx, c.Sessions, c.Account, c.Client)
	c.saveErr = err
	if err != nil {
		log.Error("could not save the session; the next start may need a new sign-in", "err", err)
		return
	}
	c.lostAt = time.Time{}
	c.noteSaved(ctx, log)
}

func (c *ICloud) password(ctx context.Context, log *slog.Logger) string {
	if c.Password == nil {
		return ""
	}
	pw, err := c.Password(ctx)
	c.pwReason = ""
	if err != nil {
		// Name each source that failed and why (missing, empty, not a
		// regular file, unreadable) with the fix that works here; logged
		// once per change, used by auth when a sign-in needed it.
		c.pwReason = err.Error()
		level := slog.LevelWarn
		var npe *credstore.NoPasswordError
		if errors.As(err, &npe) {
			c.pwReason = npe.Reason()
			if !brokenSource(npe) {
				level = slog.LevelInfo // none configured or set: `icloudmon login` alone is a valid setup
			}
		}
		if c.pwLogged != c.pwReason {
			c.pwLogged = c.pwReason
			log.Log(ctx, level, "no usable password; automatic sign-in is not possible until one is stored",
				"why", c.pwReason, "fix", credstore.PasswordHint(c.Account, credstore.InContainer()))
		}
	}
	return pw
}

// brokenSource reports whether a configured password source exists but
// cannot be used (a pipe, a device, an unreadable file, a keychain error).
func brokenSource(npe *credstore.NoPasswordError) bool {
	for _, e := range npe.Tried {
		if !errors.Is(e, credstore.ErrNotFound) {
			return true
		}
	}
	return false
}

// clockOffset records how far Apple's clock is from this machine's, from
// the Date header of the latest answer (of this cycle or, if none came,
// of an earlier one of this process).
func (c *ICloud) clockOffset(obs *checks.Observation) {
	if off, ok := c.Client.ClockOffset(); ok {
		obs.ClockOffset = &off
	}
}

func (c *ICloud) sessionExpiry(obs *checks.Observation) {
	if t, ok := c.Client.SessionExpiry(); ok {
		obs.SessionExpiry = t
	} else {
		obs.SessionUndated = c.Client.SessionUndated()
	}
}

// fail records why the cloud side could not be read.
func (c *ICloud) fail(obs *checks.Observation, err error) {
	obs.Auth = authObservation(err, c.now())
	if obs.Auth.Kind == checks.AuthPasswordMissing && c.pwReason != "" {
		obs.Auth.Message = c.pwReason
		obs.Auth.PasswordFix = credstore.PasswordHint(c.Account, credstore.InContainer())
	}
	c.sessionExpiry(obs)
	if obs.Auth.Kind.NeedsLogin() {
		// A person may now run `icloudmon login`, which saves a new
		// session: read the store again next cycle instead of keeping
		// (and saving back) this process's stale one.
		c.restored = false
	}
}

func (c *ICloud) loadSnapshot(ctx context.Context, log *slog.Logger) *icloudapi.PhotosSnapshot {
	if c.NoCache {
		return nil
	}
	data, ok, err := c.DB.Get(ctx, snapshotNS, c.Account)
	if err != nil || !ok {
		if err != nil {
			log.Warn("previous snapshot unavailable; reading the library afresh", "err", err)
		}
		return nil
	}
	var snap icloudapi.PhotosSnapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		log.Warn("previous snapshot unreadable; reading the library afresh", "err", err)
		return nil
	}
	return &snap
}

func (c *ICloud) saveSnapshot(ctx context.Context, log *slog.Logger, snap *icloudapi.PhotosSnapshot) {
	data, err := json.Marshal(snap)
	if err == nil {
		err = c.DB.Put(ctx, snapshotNS, c.Account, data)
	}
	if err != nil {
		log.Warn("could not store the snapshot; the next cycle reads the library afresh", "err", err)
	}
}

// authKinds maps icloudapi's error kinds to the checks' auth outcomes.
var authKinds = []struct {
	err  error
	kind checks.AuthKind
}{
	{icloudapi.ErrReauthRequired, checks.AuthReauthRequired},
	{icloudapi.ErrPasswordRejected, checks.AuthPasswordRejected},
	{icloudapi.ErrAccountLocked, checks.AuthLocked},
	{icloudapi.ErrWebAccessDisabled, checks.AuthWebAccessDisabled},
	{icloudapi.ErrTermsNotAccepted, checks.AuthTermsNotAccepted},
	{icloudapi.ErrWrongRegion, checks.AuthWrongRegion},
	{icloudapi.ErrSecurityKeyOnly, checks.AuthSecurityKeyOnly},
	{icloudapi.ErrNotActivated, checks.AuthSetupIncomplete},
	{icloudapi.ErrThrottled, checks.AuthThrottled},
	{icloudapi.ErrSignInBudget, checks.AuthSignInBudget},
	{icloudapi.ErrNoPassword, checks.AuthPasswordMissing},
	{icloudapi.ErrProtocol, checks.AuthServiceError},
	{icloudapi.ErrSessionExpired, checks.AuthServiceError},
}

// authObservation classifies a sign-in or read error at now (the time a
// throttling answer's wait counts from). Anything that is not one of
// icloudapi's kinds is a network or service problem, never "ok".
func authObservation(err error, now time.Time) checks.AuthObservation {
	if err == nil {
		return checks.AuthObservation{Kind: checks.AuthOK}
	}
	obs := checks.AuthObservation{Kind: checks.AuthNetworkError, Message: err.Error()}
	for _, k := range authKinds {
		if errors.Is(err, k.err) {
			obs.Kind = k.kind
			break
		}
	}
	var httpErr *icloudapi.HTTPError
	if obs.Kind == checks.AuthNetworkError && errors.As(err, &httpErr) {
		obs.Kind = checks.AuthServiceError
	}
	var apiErr *icloudapi.Error
	if errors.As(err, &apiErr) {
		// Apple's words only: the checks add their own remediation.
		if apiErr.Message != "" {
			obs.Message = apiErr.Message
		}
		if apiErr.RetryAfter > 0 {
			obs.RetryAfter = now.Add(apiErr.RetryAfter)
		}
		if obs.Kind == checks.AuthWrongRegion && apiErr.Domain != "" {
			obs.Region = icloudapi.RegionOf(apiErr.Domain)
		}
	}
	return obs
}
