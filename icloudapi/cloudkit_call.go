package icloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ckPoster is what the Photos reads need from the Client: authenticated,
// read-only, retrying, size-limited JSON POSTs, the service URLs from
// accountLogin, and a one-shot re-validation after a 401/421. *Client
// satisfies it; tests may substitute a recorder.
type ckPoster interface {
	postJSON(ctx context.Context, endpoint string, rawURL string, body any, out any) error
	webservice(name string) (string, error)
	revalidate(ctx context.Context) error
}

const (
	photosContainer = "/database/1/com.apple.photos.cloud/production/"
	// queryParams asks CloudKit for enum names and the current sync token.
	// rclone, kei and pyicloud send them on every database call, including
	// changes/database (and rclone and pyicloud on zones/list).
	queryParams = "?remapEnums=true&getCurrentSyncToken=true"
	// bodyRetries is how often a retryable body-level error is retried.
	bodyRetries = 2
	// maxBodyRetryWait caps the wait for a body-level retryAfter; longer
	// waits are returned to the caller as ErrThrottled.
	maxBodyRetryWait = 30 * time.Second
)

// ckEnvelope is a decoded CloudKit answer that may carry body-level errors.
type ckEnvelope interface {
	reset()
	bodyError() *ckBodyError
	// shapeOK reports whether the answer has the fields this request must
	// return (a schema-drifted answer must not read as "empty library").
	shapeOK() bool
}

// photosReader performs the CloudKit reads of one snapshot.
type photosReader struct {
	c           ckPoster
	ck          string // ckdatabasews base URL
	requests    int    // POSTs issued by this reader (HTTP retries not included)
	revalidated bool
	sleep       func(context.Context, time.Duration) error
}

func newPhotosReader(c ckPoster) (*photosReader, error) {
	ck, err := c.webservice("ckdatabasews")
	if err != nil {
		return nil, err
	}
	return &photosReader{c: c, ck: ck, sleep: sleepCtx}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dbURL is the URL of a path under the private or shared database.
func (r *photosReader) dbURL(db, path string) string {
	return r.ck + photosContainer + db + "/" + path + queryParams
}

// call POSTs body and decodes the answer into out. Retryable body-level
// errors are retried with a short backoff; other body errors are classified.
// A CloudKit error document at an HTTP error status is classified by its
// serverErrorCode like a body-level one (the HTTP client has already retried
// 429 and 5xx answers within its own limits).
func (r *photosReader) call(ctx context.Context, endpoint, url string, body any, out ckEnvelope) error {
	for attempt := 0; ; attempt++ {
		raw, err := r.postRaw(ctx, endpoint, url, body)
		var se *ckStatusError
		if errors.As(err, &se) && !errors.Is(err, ErrSessionExpired) && ctx.Err() == nil {
			return r.classify(ctx, endpoint, &se.be)
		}
		if err != nil {
			return err
		}
		if err := decodeCK(endpoint, raw, out); err != nil {
			return err
		}
		be := out.bodyError()
		if be == nil {
			return nil
		}
		if ckRetryable[be.Code] && attempt < bodyRetries && be.RetryAfter <= maxBodyRetryWait {
			if err := r.sleep(ctx, backoff(attempt, be.RetryAfter)); err != nil {
				return err
			}
			continue
		}
		return r.classify(ctx, endpoint, be)
	}
}

// postRaw POSTs and returns the raw JSON answer. A 401/421 triggers one
// re-validation of the session per snapshot, then the request is repeated.
func (r *photosReader) postRaw(ctx context.Context, endpoint, url string, body any) (json.RawMessage, error) {
	for {
		var raw json.RawMessage
		r.requests++
		err := r.c.postJSON(ctx, endpoint, url, body, &raw)
		if errors.Is(err, ErrSessionExpired) && !r.revalidated {
			r.revalidated = true
			if verr := r.c.revalidate(ctx); verr != nil {
				return nil, verr
			}
			continue
		}
		return raw, err
	}
}

// decodeCK decodes a CloudKit answer and checks its shape.
func decodeCK(endpoint string, raw []byte, out ckEnvelope) error {
	out.reset() // a retried answer must not inherit fields of the previous one
	if err := json.Unmarshal(raw, out); err != nil {
		return newError(ErrProtocol, endpoint, 0, "iCloud Photos answered in an unexpected format: "+err.Error())
	}
	if out.bodyError() == nil && !out.shapeOK() {
		return newError(ErrProtocol, endpoint, 0, "iCloud Photos answered without the expected fields (the format may have changed)")
	}
	return nil
}

// classify maps a final body error. For ACCESS_DENIED it re-validates the
// session once: accountLogin's flags tell web-access/ADP blocks apart from
// throttling (the validate answer fails with ErrWebAccessDisabled then).
func (r *photosReader) classify(ctx context.Context, endpoint string, be *ckBodyError) error {
	blocked := false
	if be.Code == "ACCESS_DENIED" && !r.revalidated {
		r.revalidated = true
		blocked = errors.Is(r.c.revalidate(ctx), ErrWebAccessDisabled)
	}
	return be.classify(endpoint, blocked)
}

// bodyRetryBase is the first wait before retrying a retryable body-level
// error without a retryAfter hint; it doubles per attempt.
var bodyRetryBase = time.Second

func backoff(attempt int, hint time.Duration) time.Duration {
	if hint > 0 {
		return hint
	}
	return bodyRetryBase << attempt
}

// body error extraction per answer type -------------------------------------

func topError(code, reason string, retryAfter json.RawMessage) *ckBodyError {
	if code == "" {
		return nil
	}
	e := &ckBodyError{Code: code, Reason: reason}
	if secs, ok := rawInt(retryAfter); ok && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}

func (q *ckQueryResponse) reset() { *q = ckQueryResponse{} }
func (b *ckBatchResponse) reset() { *b = ckBatchResponse{} }
func (z *ckZonesResponse) reset() { *z = ckZonesResponse{} }

// itemsError is the body error of an answer whose items (records, zones) may
// each fail on their own: the top-level error first, else the first item's.
func itemsError[T any, P interface {
	*T
	failure() (code, reason string)
}](top *ckBodyError, items []T) *ckBodyError {
	if top != nil {
		return top
	}
	for i := range items {
		if code, reason := P(&items[i]).failure(); code != "" {
			return &ckBodyError{Code: code, Reason: reason}
		}
	}
	return nil
}

func (r *ckRecord) failure() (code, reason string)    { return r.ServerErrorCode, r.Reason }
func (z *ckZoneEntry) failure() (code, reason string) { return z.ServerErrorCode, z.Reason }

func (q *ckQueryResponse) bodyError() *ckBodyError {
	return itemsError(topError(q.ServerErrorCode, q.Reason, q.RetryAfter), q.Records)
}

func (q *ckQueryResponse) shapeOK() bool { return q.Records != nil }

// bodyError of a batch looks at the top level only: per-entry errors are
// judged by the caller, entry by entry (a count iCloud cannot give is -1).
func (b *ckBatchResponse) bodyError() *ckBodyError {
	return topError(b.ServerErrorCode, b.Reason, b.RetryAfter)
}

func (b *ckBatchResponse) shapeOK() bool { return b.Batch != nil }

func (z *ckZonesResponse) bodyError() *ckBodyError {
	return itemsError(topError(z.ServerErrorCode, z.Reason, z.RetryAfter), z.Zones)
}

func (z *ckZonesResponse) shapeOK() bool { return z.Zones != nil }
