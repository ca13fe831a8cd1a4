package configs

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"2s", 2 * time.Second, true},
		{"7d", 7 * day, true},
		{"2w", 14 * day, true},
		{"1d12h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"1w1d", 8 * day, true},
		{"-1h", -time.Hour, true},
		{" 6h ", 6 * time.Hour, true},
		{"0s", 0, true},
		{"", 0, false},
		{"6", 0, false},
		{"6 hours", 0, false},
		{"d", 0, false},
		{"1y", 0, false},
		{"1..5d", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0s", time.Hour: "1h", 90 * time.Minute: "1h30m", 7 * day: "7d", 2 * time.Second: "2s",
		36 * time.Hour: "36h", 10 * time.Minute: "10m", 1500 * time.Millisecond: "1.5s", 61 * time.Second: "1m1s",
	}
	for d, want := range tests {
		got := FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(got); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, d)
		}
	}
}

func TestParseQuietHours(t *testing.T) {
	tests := []struct {
		in         string
		start, end time.Duration
		ok         bool
	}{
		{"22:00-07:00", 22 * time.Hour, 7 * time.Hour, true},
		{"12:30 - 13:45", 12*time.Hour + 30*time.Minute, 13*time.Hour + 45*time.Minute, true},
		{"00:00-23:59", 0, 23*time.Hour + 59*time.Minute, true},
		{"22-7", 0, 0, false},
		{"24:00-07:00", 0, 0, false},
		{"22:00", 0, 0, false},
		{"08:00-08:00", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, e, err := ParseQuietHours(tc.in)
			if (err == nil) != tc.ok || s != tc.start || e != tc.end {
				t.Errorf("ParseQuietHours(%q) = %v, %v, %v", tc.in, s, e, err)
			}
		})
	}
	s, e, ok := Notify{QuietHours: "22:00-07:00"}.QuietWindow()
	if !ok || s != 22*time.Hour || e != 7*time.Hour {
		t.Errorf("QuietWindow = %v %v %v", s, e, ok)
	}
	if _, _, ok := (Notify{}).QuietWindow(); ok {
		t.Error("QuietWindow of empty quiet_hours is ok")
	}
}

func TestFolderName(t *testing.T) {
	tests := map[string]string{
		"/photos/Alice iPhone":   "alice_iphone",
		"/photos/alice/":         "alice",
		"/mnt/Fotos/Größe":       "gr__e",
		"/":                      "folder",
		"/volume1/photo/2024-01": "2024-01",
	}
	for in, want := range tests {
		if got := FolderName(in); got != want {
			t.Errorf("FolderName(%q) = %q, want %q", in, got, want)
		}
	}
}
