package checks

import (
	"fmt"
	"strings"
	"time"
)

// Remediation texts: written for the person who owns the iPhone, not for the
// operator. They name the exact Settings path or command and say what
// happens if nothing is done.

// loginHint tells how to sign in again, by command or web page.
func loginHint(account string) string {
	return fmt.Sprintf("run `icloudmon login --account %s` where icloudmon runs, or open the re-auth page /auth/%s of the icloudmon web page, and enter the code your iPhone shows", account, account)
}

// authRemediation tells what to do about a sign-in outcome (authTable).
func authRemediation(k AuthKind, account string) string {
	d, _ := lookupAuth(k)
	switch {
	case d.remedy != nil:
		return d.remedy(account)
	case d.advice != "":
		return d.advice
	}
	return "Run `icloudmon verify --account " + account + "` to see the full error."
}

// regionRemediation gives the exact configuration line for an account
// that Apple says belongs to the other iCloud region.
func regionRemediation(account, region string) string {
	if region == "" {
		return authRemediation(AuthWrongRegion, account)
	}
	where := "mainland China (icloud.com.cn)"
	if region != "china" {
		where = "the global iCloud (icloud.com)"
	}
	return fmt.Sprintf("Apple says this Apple ID belongs to %s. In the icloudmon configuration, under the account with `name: %s`, set the line `region: %s` (or ICLOUDMON_ACCOUNTS with \"region\": \"%s\"), then restart icloudmon; `icloudmon config check` shows the result. icloudmon does not sign in to this account again until the region is changed (or `icloudmon login` is run), so the Apple ID is not put at risk.",
		where, account, region, region)
}

// sessionKeepRemediation explains how to keep the session between runs.
func sessionKeepRemediation() string {
	return "icloudmon keeps the iCloud session in data_dir (/data in the container, file sessions/ and history.db); without it every run signs in with the password again. Mount a persistent volume there (`-v icloudmon-data:/data`, or a NAS folder), make it writable by the user icloudmon runs as (the image uses uid 65532: `chown -R 65532:65532 /path/to/data`), and check the log for \"could not save the session\". With the OS keychain, make sure the keyring is persistent and unlocked."
}

// sessionRemediation tells how to renew a session before it expires.
func sessionRemediation(account string, exp time.Time) string {
	return fmt.Sprintf("Sign in again before %s so that checking does not stop: %s. It takes a minute and resets the clock.", fmtTime(exp), loginHint(account))
}

// uploadStallRemediation is the iPhone checklist for an upload stall.
func uploadStallRemediation() string {
	return strings.Join([]string{
		"If photos were taken since then, the iPhone is not uploading. On the iPhone:",
		"1) open Photos › Library and scroll to the very bottom: if it says \"Paused\" (Low Power Mode) or \"Waiting for Wi-Fi\", plug the phone in, join Wi-Fi and leave Photos open for a while;",
		"2) check Settings › [your name] › iCloud › Photos: \"Sync this iPhone\" must be on;",
		"3) check that iCloud storage is not full (Settings › [your name] › iCloud).",
		"If nobody took photos, nothing is wrong and this clears with the next upload.",
	}, " ")
}

// storageRemediation explains how to free iCloud storage.
func storageRemediation(full bool) string {
	first := "iCloud Photos needs about 10 % free space to keep syncing reliably."
	if full {
		first = "iCloud storage is full, so the iPhone has stopped uploading photos."
	}
	return first + " On the iPhone open Settings › [your name] › iCloud › Manage Account Storage: delete old device backups or large files, or choose \"Change Storage Plan\" for more space."
}

// deletedRemediation explains how to save items before they are purged.
func deletedRemediation(earliest time.Time) string {
	when := "before they are purged"
	if !earliest.IsZero() {
		when = "before " + fmtTime(earliest)
	}
	return "If you want to keep them, open Photos › Albums › Recently Deleted on the iPhone and tap Recover, or let your importer download them " + when + ". After that iCloud deletes them for good."
}

// onlyCopyRemediation explains why an account without a folder warns.
const onlyCopyRemediation = "iCloud Photos keeps your devices in sync; it is not a backup. A photo deleted on one iPhone is deleted on every device and in iCloud, and 30 days later it is gone for good; a locked or lost Apple ID takes every photo with it. Keep a second copy that you own: let an importer (icloudpd, Immich, PhotoPrism, a Mac with Photos set to Download Originals) copy the library to a disk or NAS, then add that folder under `folders:` of this account so icloudmon checks the copy too."

// coverageRemediation explains how to cover uncovered libraries.
func coverageRemediation(shared, other, hidden, unheld bool) string {
	var parts []string
	if unheld {
		parts = append(parts, "Every folder of this account names its libraries (`libraries:` of the folder), and none names this one, so its photos are compared with no folder. Add it to the `libraries:` of the folder your importer downloads it to, or add a folder for it.")
	}
	if other {
		parts = append(parts, "A photo library of this account is not checked and probably not backed up. Add it to `libraries:` of this account in the icloudmon configuration and make sure your importer downloads it.")
	}
	if shared {
		parts = append(parts, "Photos in an iCloud Shared Library are not in the personal library, so an importer of the personal library never sees them. Add the library to `libraries:` of this account (e.g. `libraries: [personal, shared]`) and make your importer download it too (icloudpd: `--library SharedSync-…` with the zone name shown).")
	}
	if hidden {
		parts = append(parts, "Hidden photos (Photos › Albums › Hidden) are skipped by most importers, so they are probably not backed up. Unhide the ones you want to keep, or make your importer include hidden items and add `hidden` to `libraries:` of this account. If they are hidden on purpose and need no copy, nothing is to be done: this is reported once, when hidden items appear (`hidden: ignore` for the account silences it, `hidden: warn` keeps warning).")
	}
	return strings.Join(parts, " ")
}

// folderRemediation explains a folder problem.
func folderRemediation(p FolderProblem) string {
	path := "the " + folderRef(p.Folder, p.Path)
	switch {
	case p.Problem == problemMissing:
		return fmt.Sprintf("%s does not exist where icloudmon runs. If it is on a NAS or USB disk, check that it is mounted, and (in Docker) that it is listed under `volumes:` of the icloudmon container.", capitalize(path))
	case p.Problem == problemUnreadable:
		return fmt.Sprintf("Give the user icloudmon runs as read access to %s (in Docker: the container's user id); a read-only mount is enough.", path)
	case p.Problem == problemPartly:
		return "Give the user icloudmon runs as read access to the sub-directories named (in Docker: the container's user id; on the NAS e.g. `chmod -R a+rX`), or add them to the folder's `ignore:` if they hold no photos. Photos in them cannot be found, so they may be reported missing."
	case p.Problem == problemEmptied && (p.PreviousFiles == nil || *p.PreviousFiles == 0):
		return fmt.Sprintf("%s holds no files although it should hold a copy of the photos. This usually means a disk or network share is not mounted and the empty mount point is seen instead: check the mount (NAS share, USB disk, `mount` output; in Docker, `volumes:` of the icloudmon container) before an importer starts filling the wrong place. If the importer has simply not run yet, this clears after its first run.", capitalize(path))
	}
	return fmt.Sprintf("%s lost most of its files since the last check. This usually means a disk or network share is no longer mounted and the mount point is empty: check the mount (NAS share, USB disk, `mount` output) before an importer starts filling the wrong place. If you deleted the files on purpose, this clears by itself within a day.", capitalize(path))
}

// localCopyRemediation names the importer that seems stuck (the newest
// photos are missing) or that skipped some photos (older ones are missing).
func localCopyRemediation(f FolderObservation, newestCopy time.Time, stuck bool) string {
	importer := "the importer"
	if f.Importer != "" {
		importer = "the importer (" + f.Importer + ")"
	}
	if !stuck {
		return fmt.Sprintf("%s that fills %s is running but skipped the photos listed. Look in its log for errors about these files (download errors, unsupported formats, full disk) and run it again; if you deleted them locally on purpose, restore them from iCloud.", capitalize(importer), f.Path)
	}
	since := ""
	if !newestCopy.IsZero() {
		since = fmt.Sprintf(": the newest photo it copied reached iCloud %s", fmtTime(newestCopy))
	}
	hint := f.ImporterHint
	if hint == "" {
		hint = "Check that it is running and still signed in to iCloud: its log usually says why (e.g. an expired session that needs a new 2FA code)."
	}
	return fmt.Sprintf("%s that fills %s seems stuck%s. %s Also check that %s is really the mounted disk it writes to (the folder check reports a missing or empty mount).", capitalize(importer), f.Path, since, hint, f.Path)
}
