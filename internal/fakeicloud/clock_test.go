package fakeicloud

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func dateOf(t *testing.T, s *Server, path string) time.Time {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL()+path, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		t.Fatalf("%s answered %d without a usable Date header (%q): %v", path, resp.StatusCode, resp.Header.Get("Date"), err)
	}
	return d
}

// The fake stamps every answer (errors and faults included) with its own
// clock, not the wall clock, and the ClockOffset knob moves that clock.
func TestDateHeaderFollowsClockAndOffset(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(Options{Scenario: Scenario{AppleID: "a@example.com", Password: "pw",
		Faults: map[string]Fault{"/setup/ws/1/accountLogin": {Status: 503, Times: 1}}},
		Now: func() time.Time { return base }})
	defer s.Close()
	for _, p := range []string{"/setup/ws/1/validate", "/setup/ws/1/accountLogin", "/nothing"} {
		if got := dateOf(t, s, p); !got.Equal(base) {
			t.Errorf("%s: Date %v, want the fake's clock %v (knob off)", p, got, base)
		}
	}
	s.SetClockOffset(10 * 24 * time.Hour)
	if got, want := dateOf(t, s, "/setup/ws/1/validate"), base.Add(10*24*time.Hour); !got.Equal(want) {
		t.Errorf("with ClockOffset 10d: Date %v, want %v", got, want)
	}
	s2 := New(Options{Scenario: Scenario{AppleID: "a@example.com"}, Now: func() time.Time { return base },
		ClockOffset: -3 * time.Hour})
	defer s2.Close()
	if got, want := dateOf(t, s2, "/setup/ws/1/validate"), base.Add(-3*time.Hour); !got.Equal(want) {
		t.Errorf("Options.ClockOffset -3h: Date %v, want %v", got, want)
	}
}

// Cookies and tokens are dated and checked on Apple's clock: the server's
// clock (used for every expiry) is the base clock plus the offset.
func TestClockOffsetMovesTheServerClock(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(Options{Scenario: Scenario{AppleID: "a@example.com"}, Now: func() time.Time { return base },
		ClockOffset: 40 * 24 * time.Hour})
	defer s.Close()
	if got, want := s.now(), base.Add(40*24*time.Hour); !got.Equal(want) {
		t.Fatalf("server clock %v, want %v", got, want)
	}
}
