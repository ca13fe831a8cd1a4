package checks

import (
	"fmt"
	"strings"
	"time"
)

// ClockTolerance is how far this machine's clock may be from Apple's
// before ages are judged on Apple's time and the offset is reported. The
// Date header Apple stamps on every answer has a resolution of a second;
// a few minutes either way change no verdict of day-scale thresholds.
const ClockTolerance = 5 * time.Minute

// clockOff returns the measured offset (Apple minus this machine) and
// whether it is beyond ClockTolerance.
func clockOff(obs Observation) (time.Duration, bool) {
	if obs.ClockOffset == nil {
		return 0, false
	}
	off := *obs.ClockOffset
	return off, off > ClockTolerance || off < -ClockTolerance
}

// CheckTime is the time a cycle is judged at: local (this machine's clock
// at the cycle) moved to Apple's time when obs.ClockOffset is beyond
// ClockTolerance, else local. Pass it as now to BuildHistory, Evaluate and
// NewHistoryPoint, so that ages (upload stall, lag, grace, session expiry,
// days to purge) and the history's time line stay right on a NAS whose
// clock is wrong. Without a measurement this cycle, local is used.
func CheckTime(obs Observation, local time.Time) time.Time {
	if off, beyond := clockOff(obs); beyond {
		return local.Add(off)
	}
	return local
}

// clockSentence says how this machine's clock is off, e.g. "the NAS clock
// is 10 days behind Apple's: check NTP".
func clockSentence(off time.Duration) string {
	dir := "behind"
	if off < 0 {
		dir = "ahead of"
	}
	return fmt.Sprintf("the NAS clock is %s %s Apple's: check NTP", fmtDur(off.Round(time.Minute)), dir)
}

// noteClock tells, on every check that judges an age, that the ages were
// computed on Apple's time because this machine's clock is off. The
// statuses stay what the ages on Apple's time say.
func noteClock(obs Observation, results []CheckResult) {
	off, beyond := clockOff(obs)
	if !beyond {
		return
	}
	s := clockSentence(off)
	for i := range results {
		if !judgesAges(results[i].ID) {
			continue
		}
		results[i].Summary += "; " + s + " (ages computed on Apple's time)"
		if results[i].Details == nil {
			results[i].Details = &Details{}
		}
		results[i].Details.Notes = append(results[i].Details.Notes,
			"The clock of the machine running icloudmon is "+fmtDur(off.Round(time.Minute))+" off: ages and grace periods were computed on Apple's time (from the Date header of its answers). Turn on time sync (NTP) on the NAS; other tools there (importers, TLS) suffer from a wrong clock too.")
	}
}

// ClockNotice returns, from a report's facts, the measured offset of
// Apple's clock from this machine's and the sentence that tells people
// about it ("The NAS clock is 10 days behind Apple's: check NTP…"), or
// zero and "" when it is within ClockTolerance or was not measured. The
// status page shows it above the account's checks.
func ClockNotice(o Observed) (time.Duration, string) {
	if o.ClockOffsetSeconds == nil {
		return 0, ""
	}
	off := time.Duration(*o.ClockOffsetSeconds * float64(time.Second))
	obs := Observation{ClockOffset: &off}
	if _, beyond := clockOff(obs); !beyond {
		return 0, ""
	}
	s := clockSentence(off)
	return off, strings.ToUpper(s[:1]) + s[1:] + " (time sync). Ages are computed on Apple's time until it is fixed."
}
