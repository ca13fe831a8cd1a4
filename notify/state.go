package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// errCorruptState marks a state record that cannot be decoded; the state is
// then rebuilt rather than blocking notifications forever.
var errCorruptState = errors.New("alert state is corrupt")

// KV is the persistence the alert state machine needs. *store.DB satisfies
// it; tests use an in-memory map.
type KV interface {
	Get(ctx context.Context, ns, key string) (val []byte, ok bool, err error)
	Put(ctx context.Context, ns, key string, val []byte) error
}

// Persistence format: namespace "notify", key "account/<account name>",
// value the JSON of accountState. One record per account, written once per
// cycle (and once per flush of deferred messages) BEFORE the message it
// decides is sent.
const (
	stateNamespace = "notify"
	stateKeyPrefix = "account/"
	stateVersion   = 1
)

// accountState is the persisted alert state of one account.
type accountState struct {
	Version int                    `json:"v"`
	Checks  map[string]*checkState `json:"checks"`
	// Final maps a check id to the deadline whose final reminder has been
	// sent or queued, so that it is sent once per deadline.
	Final map[string]time.Time `json:"final,omitempty"`
	// Pending are reasons held back by quiet hours, already coalesced.
	Pending []Reason  `json:"pending,omitempty"`
	Updated time.Time `json:"updated"`
}

// checkState is the persisted alert state of one (account, check).
type checkState struct {
	// Observed is the last known (not unknown) status seen.
	Observed string `json:"observed"`
	// UnknownSince is when the check became unknown, while that is held
	// back.
	UnknownSince time.Time `json:"unknown_since,omitzero"`
	// Announced is the status people were last told about ("" before the
	// check was first seen).
	Announced string `json:"announced"`
	// Notified is when the last message about this check was decided.
	Notified time.Time `json:"notified,omitzero"`
	// Changes are the times of observed status changes within the flap
	// window.
	Changes []time.Time `json:"changes,omitempty"`
	// Flapping is set while changes are held back; FlapWorst is the worst
	// status announced during the episode.
	Flapping  bool   `json:"flapping,omitempty"`
	FlapWorst string `json:"flap_worst,omitempty"`
}

func newAccountState() *accountState {
	return &accountState{Version: stateVersion, Checks: map[string]*checkState{}, Final: map[string]time.Time{}}
}

// check returns the state of id, creating it.
func (s *accountState) check(id string) *checkState {
	cs, ok := s.Checks[id]
	if !ok {
		cs = &checkState{}
		s.Checks[id] = cs
	}
	return cs
}

// loadState reads an account's state. A missing record gives a fresh state;
// a corrupt or newer-version record is an error that names what to do.
func loadState(ctx context.Context, kv KV, account string) (*accountState, error) {
	raw, ok, err := kv.Get(ctx, stateNamespace, stateKeyPrefix+account)
	if err != nil {
		return nil, fmt.Errorf("reading alert state of account %q: %w", account, err)
	}
	if !ok {
		return newAccountState(), nil
	}
	st := newAccountState()
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("%w: account %q: %v; it is rebuilt from this cycle, "+
			"current problems may be notified once more", errCorruptState, account, err)
	}
	if st.Version > stateVersion {
		return nil, fmt.Errorf("alert state of account %q was written by a newer icloudmon (format %d, this one reads %d); "+
			"upgrade icloudmon", account, st.Version, stateVersion)
	}
	if st.Checks == nil {
		st.Checks = map[string]*checkState{}
	}
	if st.Final == nil {
		st.Final = map[string]time.Time{}
	}
	return st, nil
}

// saveState writes an account's state.
func saveState(ctx context.Context, kv KV, account string, st *accountState) error {
	st.Version = stateVersion
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding alert state of account %q: %w", account, err)
	}
	if err := kv.Put(ctx, stateNamespace, stateKeyPrefix+account, raw); err != nil {
		return fmt.Errorf("saving alert state of account %q: %w; no notification was sent for it this cycle", account, err)
	}
	return nil
}
