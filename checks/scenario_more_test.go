package checks

import (
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

func localCopyScenarios() []scenario {
	missing3 := healthyObs()
	for _, i := range []int{5, 10, 20} {
		missing3 = setMatch(missing3, i, photo.ConfidenceNone)
	}
	young := withAssets(healthyObs(), assetsEvery(50, now.Add(-time.Hour), time.Hour))
	for _, i := range []int{0, 1, 2} {
		young = setMatch(young, i, photo.ConfidenceNone)
	}
	missing12 := healthyObs()
	for i := 3; i < 15; i++ {
		missing12 = setMatch(missing12, i, photo.ConfidenceNone)
	}
	lagging := withAssets(healthyObs(), assetsEvery(50, now.Add(-day), 2*day))
	for i := range 4 {
		lagging = setMatch(lagging, i, photo.ConfidenceNone)
	}
	live := healthyObs()
	for _, i := range []int{2, 7} {
		live.Libraries[0].Newest[i].Kind = photo.KindLivePhoto
		live = setMatch(live, i, photo.ConfidenceCertain, photo.PartLiveVideo)
	}
	edited := setMatch(healthyObs(), 3, photo.ConfidenceLikely, photo.PartOriginal)
	edited.Libraries[0].Newest[3].Edited = &photo.Resource{UTI: "public.heic", Size: 1_800_000}
	edited.Folders[0].Matches[3].LocalPath = "2026/11/IMG_E4997.HEIC"
	editedDeclared := edited
	editedDeclared.Folders = []FolderObservation{edited.Folders[0]}
	editedDeclared.Folders[0].Renditions = RenditionsEdited
	editedBoth := editedDeclared
	editedBoth.Folders = []FolderObservation{edited.Folders[0]}
	editedBoth.Folders[0].Renditions = RenditionsBoth
	editNotFetched := setMatch(healthyObs(), 3, photo.ConfidenceCertain, photo.PartEdited)
	editNotFetched.Folders[0].Renditions = RenditionsEdited
	editNotExpected := setMatch(healthyObs(), 3, photo.ConfidenceCertain, photo.PartEdited)
	renamed := renamedCopy(healthyObs(), "icloudpd")
	autoRenamed := healthyObs()
	autoRenamed.Folders[0].Importer = "" // auto
	for i := range autoRenamed.Folders[0].Matches {
		autoRenamed = setMatch(autoRenamed, i, photo.ConfidencePossible)
	}
	autoFew := renamedCopy(healthyObs(), "") // auto
	immich := healthyObs()
	immich.Folders[0].Importer, immich.Folders[0].RenamesFiles = "immich", true
	for i := range immich.Folders[0].Matches {
		immich = setMatch(immich, i, photo.ConfidencePossible)
	}
	twoFolders := healthyObs()
	nas := healthyFolder(twoFolders.Libraries[0].Newest)
	nas.Name, nas.Path, nas.Importer = "nas", "/mnt/nas/photos", "photoprism"
	nas.ImporterHint = "Check that whatever feeds PhotoPrism still runs (its import or sync job, or the upload app on the iPhone) and look at its log."
	for i := range 12 {
		nas.Matches[i].Confidence = photo.ConfidenceNone
	}
	twoFolders.Folders = append(twoFolders.Folders, nas)
	noFolders := healthyObs()
	noFolders.Folders = nil
	return []scenario{
		{name: "missing_3_of_50_past_grace", obs: missing3, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusWarning}, verify: verifyFolderFacts(3)},
		{name: "missing_3_of_50_within_grace", obs: young, hist: healthyHist(), verify: verifyFolderFacts(0)},
		{name: "missing_12_of_50", obs: missing12, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusCritical}, verify: verifyFolderFacts(12)},
		{name: "importer_stuck_lag_8_days", obs: lagging, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusCritical}, verify: verifyLag(8 * day)},
		{name: "only_live_photo_video_missing", obs: live, hist: healthyHist(), verify: verifyFolderFacts(0)},
		{name: "only_edited_rendition_present", obs: edited, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusWarning}, verify: verifyEditedOnly(1)},
		{name: "only_edited_rendition_declared_edited", obs: editedDeclared, hist: healthyHist(), verify: verifyEditedOnly(0)},
		{name: "only_edited_rendition_declared_both", obs: editedBoth, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusWarning}, verify: verifyEditedOnly(1)},
		{name: "edited_rendition_not_fetched", obs: editNotFetched, hist: healthyHist(), verify: verifyIncomplete(1)},
		{name: "edited_rendition_not_expected", obs: editNotExpected, hist: healthyHist(), verify: verifyIncomplete(0)},
		{name: "renamed_copies_low_confidence", obs: renamed, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusWarning}, verify: verifyFolderFacts(0)},
		{name: "immich_layout_capture_time_matches", obs: immich, hist: healthyHist(), verify: verifyFolderFacts(0)},
		{name: "auto_layout_every_copy_renamed", obs: autoRenamed, hist: healthyHist(), verify: verifyFolderFacts(0)},
		{name: "auto_layout_few_copies_renamed", obs: autoFew, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusWarning}, verify: verifyFolderFacts(0)},
		{name: "two_folders_one_behind", obs: twoFolders, hist: healthyHist(),
			want: map[CheckID]Status{CheckLocalCopy: StatusCritical}},
		// A cloud-only account: the local checks have nothing to judge (ok,
		// marked not configured, so that `verify` follows the cloud checks
		// instead of sitting at unknown for ever), and library_coverage warns
		// that iCloud is the only copy.
		{name: "no_folder_configured", obs: noFolders, hist: healthyHist(),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusWarning}, verify: verifyCloudOnly},
	}
}

func cloudScenarios() []scenario {
	shared := healthyObs()
	shared.Libraries = append(shared.Libraries, LibraryObservation{
		Name: "shared", Zone: "SharedSync-6D7E8F90-1A2B-4C3D-9E8F-00112233AABB", Shared: true, Indexing: IndexingFinished})
	hidden := healthyObs()
	hidden.Libraries[0].HiddenCount = ptr(23)
	withHidden := func(mode HiddenMode) Observation {
		o := healthyObs()
		o.Libraries[0].HiddenCount, o.Hidden = ptr(23), mode
		return o
	}
	hiddenBefore := func(n int) History {
		h := healthyHist()
		h.HiddenBefore = map[string]int{"personal": n}
		return h
	}
	hiddenCovered := withHidden(HiddenWarn)
	hiddenCovered.HiddenCovered = true
	sharedUncounted := healthyObs()
	sharedUncounted.Libraries = append(sharedUncounted.Libraries, LibraryObservation{Name: "shared", Zone: "SharedSync-1",
		Shared: true, Monitored: true, Indexing: IndexingFinished, Listed: true, AssetCount: ptr(0), Newest: []photo.Asset{}})
	sharedUncountedWarn := sharedUncounted
	sharedUncountedWarn.Hidden = HiddenWarn
	personalUncounted := healthyObs()
	personalUncounted.Libraries[0].HiddenCount = nil
	del1 := healthyObs()
	del1.RecentlyDeleted.Items = append(del1.RecentlyDeleted.Items, DeletedItem{ID: "del-3", Filename: "IMG_4990.HEIC",
		Library: "personal", Added: now.Add(-2 * day), Taken: now.Add(-2 * day), PurgeAt: now.Add(day), LocalCopy: photo.ConfidenceNone})
	del1copy := healthyObs()
	del1copy.RecentlyDeleted.Items[0].PurgeAt = now.Add(day)
	del5 := healthyObs()
	del5.RecentlyDeleted.Items[1].PurgeAt, del5.RecentlyDeleted.Items[1].LocalCopy = now.Add(5*day), ""
	truncated := healthyObs()
	truncated.RecentlyDeleted.Items[0].PurgeAt = now.Add(3 * day)
	truncated.RecentlyDeleted.Items[1].PurgeAt = now.Add(4 * day)
	truncated.RecentlyDeleted.Total = ptr(230)
	indexing := healthyObs()
	indexing.Libraries[0].Indexing, indexing.Libraries[0].IndexingProgress = IndexingRunning, 42
	empty := healthyObs()
	empty.Libraries[0].Newest, empty.Libraries[0].AssetCount = []photo.Asset{}, ptr(0)
	empty.RecentlyDeleted.Items = nil
	empty.Folders[0].Matches, empty.Folders[0].Health.Files, empty.Folders[0].Health.Newest = nil, 0, time.Time{}
	emptyUncounted := healthyObs()
	emptyUncounted.Libraries[0].Newest, emptyUncounted.Libraries[0].AssetCount = nil, nil
	phoneClock := healthyObs()
	for i := range 3 {
		phoneClock.Libraries[0].Newest[i].Taken = now.Add(400 * day)
	}
	onlyShared := healthyObs()
	onlyShared.Libraries[0].Monitored = false
	onlyShared.Libraries = append(onlyShared.Libraries, LibraryObservation{Name: "shared", Zone: "SharedSync-1", Shared: true,
		Monitored: true, Indexing: IndexingFinished, Listed: true, Newest: onlyShared.Libraries[0].Newest,
		AssetCount: ptr(400), HiddenCount: ptr(0)})
	return []scenario{
		{name: "phone_clock_wrong_taken_in_future", obs: phoneClock, hist: healthyHist(),
			verify: func(t testingT, a AccountReport) {
				t.Helper()
				if c, _ := a.Check(CheckICloudUpload); c.Details == nil || len(c.Details.Notes) != 1 {
					t.Errorf("no note about capture times in the future: %+v", c.Details)
				}
			}},
		{name: "personal_library_not_monitored", obs: onlyShared, hist: healthyHist(),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusWarning}},
		{name: "shared_library_not_covered", obs: shared, hist: healthyHist(),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusWarning}},
		{name: "hidden_items_not_covered", obs: hidden, hist: healthyHist(),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusWarning}},
		{name: "hidden_items_already_reported", obs: hidden, hist: hiddenBefore(23), verify: verifyCoverageNote("23 hidden items")},
		{name: "hidden_items_fewer_than_yesterday", obs: hidden, hist: hiddenBefore(30), verify: verifyCoverageNote("23 hidden items")},
		{name: "hidden_items_grew", obs: hidden, hist: hiddenBefore(20),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusWarning}},
		{name: "hidden_items_rule_warn", obs: withHidden(HiddenWarn), hist: hiddenBefore(23),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusWarning}},
		{name: "hidden_items_rule_ignore", obs: withHidden(HiddenIgnore), hist: healthyHist(), verify: verifyCoverageNote("hidden: ignore")},
		{name: "hidden_items_covered", obs: hiddenCovered, hist: healthyHist()},
		{name: "hidden_uncounted_in_shared_library", obs: sharedUncounted, hist: healthyHist()},
		{name: "hidden_uncounted_in_shared_library_rule_warn", obs: sharedUncountedWarn, hist: healthyHist(),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusUnknown}},
		{name: "hidden_uncounted_in_personal_library", obs: personalUncounted, hist: healthyHist(),
			want: map[CheckID]Status{CheckLibraryCoverage: StatusUnknown}},
		{name: "recently_deleted_1_day_left_no_copy", obs: del1, hist: healthyHist(),
			want: map[CheckID]Status{CheckRecentlyDeleted: StatusCritical}},
		{name: "recently_deleted_1_day_left_with_copy", obs: del1copy, hist: healthyHist()},
		{name: "recently_deleted_5_days_left_no_copy", obs: del5, hist: healthyHist(),
			want: map[CheckID]Status{CheckRecentlyDeleted: StatusWarning}},
		{name: "recently_deleted_first_page_only", obs: truncated, hist: healthyHist(),
			want: map[CheckID]Status{CheckRecentlyDeleted: StatusUnknown}},
		{name: "library_indexing", obs: indexing, hist: healthyHist(),
			want: map[CheckID]Status{CheckIndexing: StatusUnknown, CheckICloudUpload: StatusUnknown}},
		{name: "account_with_no_photos", obs: empty, hist: History{LastSuccess: now.Add(-time.Hour)},
			want: map[CheckID]Status{CheckICloudUpload: StatusUnknown}},
		{name: "empty_listing_without_count", obs: emptyUncounted, hist: healthyHist(),
			want: map[CheckID]Status{CheckICloudUpload: StatusUnknown, CheckLocalCopy: StatusUnknown}},
		{name: "session_expires_in_3_days", obs: sessionIn(3 * day), hist: healthyHist(),
			want: map[CheckID]Status{CheckSessionExpiry: StatusWarning}},
		{name: "session_expires_in_12_hours", obs: sessionIn(12 * time.Hour), hist: healthyHist(),
			want: map[CheckID]Status{CheckSessionExpiry: StatusCritical}},
		{name: "session_expired", obs: sessionIn(-time.Hour), hist: healthyHist(),
			want: map[CheckID]Status{CheckSessionExpiry: StatusCritical}},
	}
}

func sessionIn(d time.Duration) Observation {
	o := healthyObs()
	o.SessionExpiry = now.Add(d)
	return o
}

func authScenarios() []scenario {
	var out []scenario
	for _, k := range []AuthKind{AuthReauthRequired, AuthPasswordRejected, AuthPasswordMissing, AuthLocked,
		AuthPasswordChangeRequired, AuthWebAccessDisabled, AuthTermsNotAccepted, AuthSetupIncomplete,
		AuthWrongRegion, AuthSecurityKeyOnly, AuthSignInBudget} {
		out = append(out, scenario{name: "auth_" + string(k), obs: blocked(k, ""), hist: healthyHist(),
			want: unknownCloud(map[CheckID]Status{CheckAuth: StatusCritical}), verify: verifyReauth(k.NeedsLogin())})
	}
	throttled := blocked(AuthThrottled, "HTTP 503 Service Temporarily Unavailable")
	throttled.Auth.RetryAfter = now.Add(30 * time.Minute)
	old := healthyHist()
	old.LastSuccess = now.Add(-50 * time.Hour)
	return append(out,
		scenario{name: "auth_throttled_recently", obs: throttled, hist: healthyHist(),
			want: unknownCloud(map[CheckID]Status{CheckAuth: StatusUnknown}), verify: verifyReauth(false)},
		scenario{name: "auth_throttled_for_2_days", obs: throttled, hist: old,
			want: unknownCloud(map[CheckID]Status{CheckAuth: StatusWarning}), verify: verifyReauth(false)},
		scenario{name: "auth_network_error", obs: blocked(AuthNetworkError, "dial tcp: lookup setup.icloud.com: no such host"), hist: healthyHist(),
			want: unknownCloud(map[CheckID]Status{CheckAuth: StatusUnknown})},
		scenario{name: "auth_service_error_first_run", obs: blocked(AuthServiceError, "unexpected HTTP 500"), hist: History{},
			want: unknownCloud(map[CheckID]Status{CheckAuth: StatusUnknown})},
		// Nothing observed and no folder configured: the cloud checks are
		// unknown, the local ones not configured, and the only-copy warning
		// stands (it follows from the configuration alone).
		scenario{name: "nothing_observed", obs: Observation{Account: "alice"},
			want: unknownCloud(map[CheckID]Status{CheckAuth: StatusUnknown, CheckLocalCopy: StatusOK,
				CheckFolder: StatusOK, CheckLibraryCoverage: StatusWarning})},
	)
}

func folderScenarios() []scenario {
	missing := healthyObs()
	missing.Folders[0].Health = FolderHealth{Scanned: true, Error: "stat /photos/alice: no such file or directory"}
	unreadable := healthyObs()
	unreadable.Folders[0].Health = FolderHealth{Scanned: true, Exists: true, Error: "open /photos/alice: permission denied"}
	emptied := healthyObs()
	emptied.Folders[0].Health.Files, emptied.Folders[0].Health.Newest = 0, time.Time{}
	for i := range emptied.Folders[0].Matches {
		emptied = setMatch(emptied, i, photo.ConfidenceNone)
	}
	shrunk := healthyObs()
	shrunk.Folders[0].Health.Files = 5000
	small := healthyObs()
	small.Folders[0].Health.Files = 11000
	notScanned := healthyObs()
	notScanned.Folders[0].Health = FolderHealth{}
	firstEmpty := healthyObs()
	firstEmpty.Folders[0].Health.Files, firstEmpty.Folders[0].Health.Newest = 0, time.Time{}
	for i := range firstEmpty.Folders[0].Matches {
		firstEmpty = setMatch(firstEmpty, i, photo.ConfidenceNone)
	}
	return []scenario{
		{name: "folder_missing", obs: missing, hist: healthyHist(),
			want: map[CheckID]Status{CheckFolder: StatusCritical, CheckLocalCopy: StatusUnknown}},
		{name: "folder_unreadable", obs: unreadable, hist: healthyHist(),
			want: map[CheckID]Status{CheckFolder: StatusCritical, CheckLocalCopy: StatusUnknown}},
		{name: "folder_empty_after_being_full", obs: emptied, hist: healthyHist(),
			want: map[CheckID]Status{CheckFolder: StatusCritical, CheckLocalCopy: StatusCritical}},
		{name: "folder_shrunk_by_more_than_half", obs: shrunk, hist: healthyHist(),
			want: map[CheckID]Status{CheckFolder: StatusCritical}},
		{name: "folder_shrunk_a_little", obs: small, hist: healthyHist()},
		{name: "folder_not_scanned", obs: notScanned, hist: healthyHist(),
			want: map[CheckID]Status{CheckFolder: StatusUnknown, CheckLocalCopy: StatusUnknown}},
		// An empty mount point on the first run: no baseline yet, but the
		// library has photos, so the folder is critical (issue 26).
		{name: "folder_empty_on_first_run", obs: firstEmpty, hist: History{LastSuccess: now.Add(-time.Hour)},
			want: map[CheckID]Status{CheckLocalCopy: StatusCritical, CheckFolder: StatusCritical}},
	}
}

// verifyCoverageNote checks that library_coverage is ok and names the
// uncovered hidden items in a note.
func verifyCoverageNote(want string) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		c, _ := a.Check(CheckLibraryCoverage)
		if c.Details == nil || len(c.Details.Notes) != 1 || !strings.Contains(c.Details.Notes[0], want) || !strings.Contains(c.Summary, want) {
			t.Errorf("library_coverage %q, details %+v: want a note with %q", c.Summary, c.Details, want)
		}
	}
}

// renamedCopy makes four of the newest photos capture-time-only matches in
// a folder whose layout names the given importer ("" for auto).
func renamedCopy(o Observation, importer string) Observation {
	o.Folders[0].Importer = importer
	for _, i := range []int{1, 4, 9, 16} {
		o = setMatch(o, i, photo.ConfidencePossible)
	}
	return o
}

// verifyCloudOnly checks the report of an account without folders.
func verifyCloudOnly(t testingT, a AccountReport) {
	t.Helper()
	for _, id := range []CheckID{CheckFolder, CheckLocalCopy} {
		c, _ := a.Check(id)
		if !c.NotConfigured || !strings.HasPrefix(c.Summary, "Not configured") {
			t.Errorf("%s: not_configured=%v summary %q, want marked not configured", id, c.NotConfigured, c.Summary)
		}
	}
	c, _ := a.Check(CheckLibraryCoverage)
	if c.NotConfigured || !strings.Contains(c.Summary, "iCloud is the only copy") || !strings.Contains(c.Remediation, "not a backup") {
		t.Errorf("library_coverage %q (%s), want the only-copy warning", c.Summary, c.Remediation)
	}
	if a.Status != StatusWarning {
		t.Errorf("account %s, want warning (the cloud checks are ok)", a.Status)
	}
}
