package checks

import (
	"time"
)

// scenario is one named situation with its expected verdict.
type scenario struct {
	name   string
	obs    Observation
	hist   History
	policy *Policy // nil = DefaultPolicy
	// want lists the expected non-ok statuses; every other check must be ok.
	want map[CheckID]Status
	// verify makes further assertions on the account report.
	verify func(t testingT, a AccountReport)
}

// testingT is the subset of *testing.T the verify funcs use.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
}

// unknownCloud marks every check that needs cloud data as unknown.
func unknownCloud(extra map[CheckID]Status) map[CheckID]Status {
	m := map[CheckID]Status{
		CheckSessionExpiry: StatusUnknown, CheckICloudUpload: StatusUnknown, CheckStorage: StatusUnknown,
		CheckLocalCopy: StatusUnknown, CheckRecentlyDeleted: StatusUnknown, CheckLibraryCoverage: StatusUnknown,
		CheckIndexing: StatusUnknown,
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func scenarios() []scenario {
	var s []scenario
	s = append(s, uploadScenarios()...)
	s = append(s, storageScenarios()...)
	s = append(s, localCopyScenarios()...)
	s = append(s, cloudScenarios()...)
	s = append(s, authScenarios()...)
	s = append(s, folderScenarios()...)
	return s
}

func uploadScenarios() []scenario {
	daily4, dailyHist4 := stalled(4*day, day, 4*time.Hour)
	weekly4, weeklyHist4 := stalled(4*day, 7*day, day)
	daily8, dailyHist8 := stalled(8*day, day, 4*time.Hour)
	weekly9, weeklyHist9 := stalled(9*day, 7*day, day)
	weekly12, weeklyHist12 := stalled(12*day, 7*day, day)
	holiday := withAssets(healthyObs(), burst(50, now.Add(-4*day), 40*time.Minute))
	weeklyBurst, weeklyBurstHist := stalled(5*day, 7*day, day)
	weeklyBurst = withAssets(weeklyBurst, burst(50, now.Add(-5*day), 30*time.Minute))
	firstRun := withAssets(healthyObs(), assetsEvery(5, now.Add(-day), 2*day))
	static4 := withAssets(healthyObs(), assetsEvery(5, now.Add(-4*day), 2*day))
	noAdaptive := DefaultPolicy()
	noAdaptive.UploadAdaptive = false
	skew := healthyObs()
	skew.Libraries[0].Newest[0].Added = now.Add(3 * time.Hour)
	skew.Libraries[0].Newest[0].Taken = now.Add(26 * time.Hour)
	return []scenario{
		{name: "healthy", obs: healthyObs(), hist: healthyHist(), verify: verifyAdaptive(true)},
		{name: "stalled_4d_daily_photographer", obs: daily4, hist: dailyHist4,
			want: map[CheckID]Status{CheckICloudUpload: StatusWarning}, verify: verifyAdaptive(true)},
		{name: "stalled_4d_weekly_photographer", obs: weekly4, hist: weeklyHist4, verify: verifyAdaptive(true)},
		{name: "stalled_8d_daily_photographer", obs: daily8, hist: dailyHist8,
			want: map[CheckID]Status{CheckICloudUpload: StatusCritical}},
		{name: "stalled_9d_weekly_photographer", obs: weekly9, hist: weeklyHist9,
			want: map[CheckID]Status{CheckICloudUpload: StatusWarning}},
		{name: "stalled_12d_weekly_photographer", obs: weekly12, hist: weeklyHist12,
			want: map[CheckID]Status{CheckICloudUpload: StatusCritical}},
		{name: "stalled_4d_static_policy", obs: daily4, hist: dailyHist4, policy: &noAdaptive,
			want: map[CheckID]Status{CheckICloudUpload: StatusWarning}, verify: verifyAdaptive(false)},
		{name: "holiday_burst_then_silence_first_run", obs: holiday, hist: History{},
			want: map[CheckID]Status{CheckICloudUpload: StatusWarning}, verify: verifyEvents(1, 0)},
		{name: "holiday_burst_weekly_photographer", obs: weeklyBurst, hist: weeklyBurstHist, verify: verifyAdaptive(true)},
		{name: "first_run_without_history", obs: firstRun, hist: History{}, verify: verifyAdaptive(false)},
		{name: "first_run_stalled_4d", obs: static4, hist: History{},
			want: map[CheckID]Status{CheckICloudUpload: StatusWarning}, verify: verifyAdaptive(false)},
		{name: "clock_skew_added_in_future", obs: skew, hist: healthyHist(),
			want: map[CheckID]Status{CheckICloudUpload: StatusWarning}},
	}
}

func storageScenarios() []scenario {
	return []scenario{
		{name: "storage_91_percent", obs: storageUsed(healthyObs(), 0.91), hist: healthyHist(),
			want: map[CheckID]Status{CheckStorage: StatusWarning}},
		{name: "storage_95_percent", obs: storageUsed(healthyObs(), 0.95), hist: healthyHist(),
			want: map[CheckID]Status{CheckStorage: StatusWarning}},
		{name: "storage_99_percent", obs: storageUsed(healthyObs(), 0.99), hist: healthyHist(),
			want: map[CheckID]Status{CheckStorage: StatusCritical}},
		{name: "storage_full", obs: storageUsed(healthyObs(), 1.0), hist: healthyHist(),
			want: map[CheckID]Status{CheckStorage: StatusCritical}},
	}
}
