package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

// The whole-library audit (issue 20), data side: each cycle brings the
// metadata mirror of every monitored library up to date through CloudKit
// changes/zone — only when a fill is under way or changes/database (read
// by the snapshot anyway) said the zone changed, so a no-change cycle
// costs no request — within a request budget, and then compares every
// mirrored asset with the folders through the local_copy matcher.

// AuditOptions configure the audit of an account (configs.Audit); a nil
// *AuditOptions switches it off.
type AuditOptions struct {
	// RequestsPerDay refills the request bucket evenly over a day;
	// RequestsPerCycle is the most one cycle sends (and the bucket holds).
	RequestsPerDay, RequestsPerCycle int
	// IncludeHidden compares hidden items too.
	IncludeHidden bool
	// Since leaves out assets taken before it (zero: none).
	Since time.Time
	// ForegroundMax caps the requests of one foreground Audit per library
	// (default 20 000, about two million assets).
	ForegroundMax int
}

const (
	// auditBudgetNS keeps each account's request bucket across restarts
	// and one-shot runs (key: account).
	auditBudgetNS = "audit_budget"
	// defaultForegroundMax: see AuditOptions.ForegroundMax.
	defaultForegroundMax = 20_000
	// bucketSaveTimeout bounds saveBucket once the cycle's context ended.
	bucketSaveTimeout = 10 * time.Second
)

// auditBucket is the request budget: Tokens requests available at At.
type auditBucket struct {
	Tokens float64   `json:"tokens"`
	At     time.Time `json:"at"`
}

func (o *AuditOptions) rate() float64 { // requests per second
	return float64(max(o.RequestsPerDay, 1)) / 86400
}

func (o *AuditOptions) capacity() float64 { return float64(max(o.RequestsPerCycle, 1)) }

// refill brings the bucket to now.
func (b *auditBucket) refill(o *AuditOptions, now time.Time) {
	if b.At.IsZero() || now.Before(b.At) {
		b.Tokens, b.At = min(b.Tokens, o.capacity()), now
		return
	}
	b.Tokens = min(o.capacity(), b.Tokens+now.Sub(b.At).Seconds()*o.rate())
	b.At = now
}

// resumeAt is when the next request is allowed.
func (b *auditBucket) resumeAt(o *AuditOptions) time.Time {
	need := 1 - b.Tokens
	if need <= 0 {
		return b.At
	}
	return b.At.Add(time.Duration(math.Ceil(need/o.rate())) * time.Second)
}

func (c *ICloud) loadBucket(ctx context.Context, log *slog.Logger) auditBucket {
	b := auditBucket{Tokens: c.Audit.capacity()} // a new bucket is full
	data, ok, err := c.DB.Get(ctx, auditBudgetNS, c.Account)
	if err != nil {
		log.Warn("could not read the audit's request budget; assuming it is used up this cycle", "err", err)
		return auditBucket{At: c.now()}
	}
	if ok && json.Unmarshal(data, &b) != nil {
		log.Warn("the audit's request budget is unreadable; starting an empty one")
		b = auditBucket{At: c.now()}
	}
	b.refill(c.Audit, c.now())
	return b
}

// saveBucket stores the bucket also when the cycle's context has ended: a
// cycle that ran out of time (cycle_timeout) spent its requests all the
// same, and without them stored the next cycle would start again from the
// bucket of before, free to send as many.
func (c *ICloud) saveBucket(ctx context.Context, log *slog.Logger, b auditBucket) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bucketSaveTimeout)
	defer cancel()
	data, _ := json.Marshal(b)
	if err := c.DB.Put(ctx, auditBudgetNS, c.Account, data); err != nil {
		log.Warn("could not store the audit's request budget", "err", err)
	}
}

// foreground is a foreground audit (Agent.Audit): no daily pace, a
// progress report after every page.
type foreground struct {
	progress func(checks.AuditProgress)
	max      int
}

type foregroundKey struct{}

func foregroundOf(ctx context.Context) *foreground {
	f, _ := ctx.Value(foregroundKey{}).(*foreground)
	return f
}

// updateMirrors brings the mirror of every library of snap up to date and
// sets obs.Audit (the comparison comes later, in compareAudit). snap is nil
// when iCloud could not be read this cycle: the stored mirrors are then
// reported as they are.
func (c *ICloud) updateMirrors(ctx context.Context, log *slog.Logger, snap *icloudapi.PhotosSnapshot, obs *checks.Observation, why string) {
	if c.Audit == nil || c.DB == nil {
		return
	}
	obs.Audit = &checks.AuditObservation{}
	c.mirrors = map[string]store.MirrorLibrary{}
	if snap == nil {
		libs, err := c.DB.MirrorLibraries(ctx, c.Account)
		if err != nil {
			log.Warn("could not read the audit mirror", "err", err)
		}
		for _, m := range libs {
			al := checks.AuditLibrary{Name: libraryName(icloudapi.Zone{Name: m.Library}), Error: why}
			c.setMirrorState(&al, m)
			obs.Audit.Libraries = append(obs.Audit.Libraries, al)
		}
		return
	}
	fg := foregroundOf(ctx)
	var bucket auditBucket
	if fg == nil {
		bucket = c.loadBucket(ctx, log)
		defer func() { c.saveBucket(ctx, log, bucket) }()
	}
	stop := ""            // why no more requests are sent this cycle
	var paused *time.Time // when the budget stopped them: when it allows the next request
	for i := range snap.Libraries {
		lib := &snap.Libraries[i]
		al := checks.AuditLibrary{Name: libraryName(lib.Zone), Expected: int(max(lib.Counts.Added, 0))}
		m, err := c.DB.OpenMirror(ctx, c.Account, lib.Zone.Name)
		if err != nil {
			al.Error = "the mirror could not be read from the state database: " + err.Error()
			obs.Audit.Libraries = append(obs.Audit.Libraries, al)
			continue
		}
		switch {
		case !m.Filling && m.Token != "" && !lib.ZoneChanged && fg == nil:
			// changes/database said the zone did not change: no request
		case paused != nil:
			// the budget is spent: this library waits like the one that
			// spent it (a pause, not a failure)
			al.Paused, al.ResumeAt = true, *paused
		case stop != "":
			al.Error = stop
		default:
			stop = c.syncMirror(ctx, log, &m, lib.Zone, &al, &bucket, fg)
			if al.Paused {
				paused = &al.ResumeAt
			}
		}
		c.setMirrorState(&al, m)
		obs.Audit.Libraries = append(obs.Audit.Libraries, al)
	}
}

// setMirrorState copies the stored state of a mirror into al.
func (c *ICloud) setMirrorState(al *checks.AuditLibrary, m store.MirrorLibrary) {
	al.Mirrored = m.Assets
	al.Filled = !m.Filled.IsZero()
	al.LastComplete = m.Compared
	c.mirrors[al.Name] = m
}

// syncMirror pages changes/zone until the zone is caught up, the budget
// is spent or iCloud refuses. It returns why the other libraries must not
// be asked this cycle ("" when they may).
func (c *ICloud) syncMirror(ctx context.Context, log *slog.Logger, m *store.MirrorLibrary, zone icloudapi.Zone,
	al *checks.AuditLibrary, bucket *auditBucket, fg *foreground) string {
	if !m.Filling && m.Token == "" {
		if err := c.DB.StartMirrorFill(ctx, m); err != nil {
			al.Error = err.Error()
			return ""
		}
		log.Info("filling the audit mirror of a library", "library", zone.Name)
	}
	requests, refused := 0, false
	for {
		if fg != nil && requests >= fg.max {
			al.Error = fmt.Sprintf("stopped after %d requests; run the audit again to continue", requests)
			return ""
		}
		if fg == nil {
			bucket.refill(c.Audit, c.now())
			if bucket.Tokens < 1 {
				al.Paused, al.ResumeAt = true, bucket.resumeAt(c.Audit)
				return "the audit's request budget is used up"
			}
			bucket.Tokens--
		}
		token := m.Token
		if m.Filling {
			token = m.FillToken
		}
		requests++
		page, err := c.Client.ZoneChanges(ctx, zone, token)
		if errors.Is(err, icloudapi.ErrSyncTokenRefused) && !refused {
			// CloudKit forgot the token: read the zone afresh (the old
			// rows serve until the fresh fill ends).
			refused = true
			log.Warn("iCloud refused the audit mirror's sync token; filling the mirror afresh", "library", zone.Name, "err", err)
			if err := c.DB.StartMirrorFill(ctx, m); err != nil {
				al.Error = err.Error()
				return ""
			}
			continue
		}
		if err != nil {
			al.Error = err.Error()
			if errors.Is(err, icloudapi.ErrThrottled) || errors.Is(err, icloudapi.ErrSessionExpired) || ctx.Err() != nil {
				c.noteBackoff(ctx, log, err)
				return "iCloud asked to wait: " + err.Error()
			}
			return ""
		}
		if err := c.DB.ApplyMirrorPage(ctx, m, mirrorPage(page), c.now()); err != nil {
			al.Error = err.Error()
			return ""
		}
		if fg != nil && fg.progress != nil {
			fg.progress(checks.AuditProgress{Library: al.Name, Mirrored: m.Assets, Expected: al.Expected, Requests: requests, Done: !page.MoreComing})
		}
		if !page.MoreComing {
			return ""
		}
	}
}

// Asset kinds in the mirror.
const (
	mirrorKindPhoto = iota
	mirrorKindVideo
	mirrorKindOther
)

func mirrorPage(p *icloudapi.ZoneChangesPage) store.MirrorPage {
	out := store.MirrorPage{Purged: p.Purged, Token: p.SyncToken, Done: !p.MoreComing}
	for _, x := range p.Masters {
		kind := mirrorKindPhoto
		switch x.Kind {
		case photo.KindVideo:
			kind = mirrorKindVideo
		case photo.KindOther:
			kind = mirrorKindOther
		}
		flags := 0
		if x.Deleted {
			flags |= store.MirrorDeleted
		}
		out.Masters = append(out.Masters, store.MirrorMaster{ID: x.RecordName, Name: x.Filename, Kind: kind,
			Size: x.Size, AltSize: x.AltSize, LiveSize: x.LiveSize, Fingerprint: x.Fingerprint, Flags: flags})
	}
	for _, x := range p.Assets {
		flags := 0
		if x.Hidden {
			flags |= store.MirrorHidden
		}
		if x.Deleted {
			flags |= store.MirrorDeleted
		}
		out.Assets = append(out.Assets, store.MirrorAsset{ID: x.RecordName, MasterID: x.MasterID, Added: x.Added, Taken: x.Taken,
			TZ: x.TZOffset, TZKnown: x.TZKnown, Flags: flags})
	}
	return out
}

// Audit brings the mirror of every monitored library of the account up to
// date in the foreground — no daily pace, but it stops when iCloud asks to
// wait and after AuditOptions.ForegroundMax requests per library — calling
// progress after each page, then compares it with the folders (which it
// scans). Nothing is recorded or notified. It must not run at the same
// time as a cycle of the same account in this process.
func (a *Agent) Audit(ctx context.Context, account string, progress func(checks.AuditProgress)) (*checks.AuditObservation, error) {
	acct, ok := a.account(account)
	if !ok {
		return nil, fmt.Errorf("no account named %q in the configuration", account)
	}
	ic, ok := acct.Cloud.(*ICloud)
	if !ok || ic.Audit == nil {
		return nil, fmt.Errorf("the whole-library audit is off for %s; set audit.enabled: true", account)
	}
	limit := ic.Audit.ForegroundMax
	if limit <= 0 {
		limit = defaultForegroundMax
	}
	ctx = context.WithValue(ctx, foregroundKey{}, &foreground{progress: progress, max: limit})
	obs := a.observe(ctx, acct)
	if err := ctx.Err(); err != nil {
		return obs.Audit, fmt.Errorf("audit of %s interrupted: %w", account, err)
	}
	if obs.Audit == nil {
		return nil, fmt.Errorf("the audit of %s could not read its mirror", account)
	}
	if obs.Auth.Kind != checks.AuthOK {
		msg := obs.Auth.Message
		if msg == "" {
			msg = string(obs.Auth.Kind)
		}
		return obs.Audit, fmt.Errorf("iCloud could not be read for %s (%s); the audit compared the mirror as of its last update", account, msg)
	}
	return obs.Audit, nil
}
