#!/usr/bin/env python3
"""Multi-day conformance cases: one NAS over 30 simulated days, one verify a
day, with the verdict each day must have by the rules of docs/checks.md
(and issue 26). Writes multi/<name>/ (case.json, timeline.json, worlds/NN/
with the Apple-shaped answers of mkcase.py, README.md). Usage, from
test/conformance: `python3 tools/multicases.py` (`--pending` also writes
the cases waiting for a product change).

Every time is an offset from T0, the midnight that starts day 0 (see
multi_test.go); the cycle of day d runs at d days 12 h unless said.
"""
import json, os, shutil, sys

sys.path.insert(0, os.path.dirname(__file__))
import mkcase

mkcase.PK = "../../../../testdata/"  # from multi/<name>/worlds/NN/


def write_compact(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


# Thirty days of worlds: one line per file keeps the cases small.
mkcase.write = write_compact


def stable_id(a):
    """A record number that stays the asset's from day to day (CloudKit
    record names do not move when newer photos arrive)."""
    return int("".join(ch for ch in a["name"] if ch.isdigit()))


def page_template(case_dir, assets, z, token):
    """A page whose records are included from multi/<name>/records/, each
    record pair written once per case."""
    parts = []
    for a in assets:
        i = stable_id(a)
        name = "%s-%04d.json" % (z["zoneName"][:6], i)
        path = case_dir + "/records/" + name
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(",".join(json.dumps(r, separators=(",", ":")) for r in mkcase.pair(i, a, z)) + "\n")
        parts.append("{{include:../../records/%s}}" % name)
    return '{"records":[%s],"syncToken":"%s"}\n' % (",".join(parts), token)
DAYS = 30
CHECKS = ["auth", "session_expiry", "icloud_upload", "storage", "local_copy",
          "recently_deleted", "library_coverage", "folder", "indexing"]
RANK = {"ok": 0, "warning": 1, "unknown": 2, "critical": 3}
EXIT = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
LONG_SESSION = {"web_expires": "+45d", "trust_expires": "+50d"}


def rel(hours):
    """An offset from T0 in hours, as the replay and media writers read it."""
    return ("+%dm" if hours >= 0 else "-%dm") % round(abs(hours) * 60)


def expect(**non_ok):
    checks = {c: "ok" for c in CHECKS}
    checks.update({k: v for k, v in non_ok.items() if k != "summaries"})
    worst = max(checks.values(), key=lambda s: RANK[s])
    e = {"exit": EXIT[worst], "status": worst, "checks": checks}
    if non_ok.get("summaries"):
        e["summaries"] = non_ok["summaries"]
    return e


def photo(k, hour=9, name=None, size=None):
    """The photo taken on day k at hour-10min, added at hour."""
    added = k * 24 + hour
    return {"name": name or "IMG_%04d.HEIC" % (1100 + k), "kind": "heic",
            "size": size or 2000000 + (k + 50) * 1000, "added": rel(added), "taken": rel(added - 1 / 6), "k": k}


def uploads(day, quiet=lambda k: False, first=-12, hour=9, at=12):
    """The daily uploads from day `first` that exist at the cycle of `day`."""
    return [photo(k, hour) for k in range(first, day + 1)
            if not quiet(k) and k * 24 + hour <= day * 24 + at]


def newest(assets, n=8):
    return sorted(assets, key=lambda a: a["k"] * 24, reverse=True)[:n]


def copy(a, imported=1.0, name=None, size=None):
    """The importer's file of a, written `imported` hours after it was added."""
    h = float(a["added"][1:-1]) / 60 * (1 if a["added"][0] == "+" else -1)
    return {"path": "2026/12/01/" + (name or a["name"]), "kind": a["kind"], "size": size or a["size"],
            "mtime": rel(h + imported), "taken": a["taken"]}


def strip(a):
    return {k: v for k, v in a.items() if k != "k"}


MULTI, PENDING = {}, {}


def case(table, name, readme, days, account=None, session=LONG_SESSION, checks=None):
    """days(d) -> dict(assets, deleted, local, photos, folders, session,
    nas_skew, at, expect, why) for d in 0..DAYS-1."""
    table[name] = {"readme": readme, "days": days, "account": account or {}, "session": session,
                   "checks": checks}


def emit(name, c):
    d = "multi/" + name
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    spec = {"account": c["account"], "folders": [{"name": "photos", "layout": "icloudpd"}],
            "password": False, "session": c["session"]}
    if c["checks"]:
        spec["checks"] = c["checks"]
    mkcase.write(d + "/case.json", spec)
    worlds, steps, rows, pools, world_ex = {}, [], [], {}, {}
    for day in range(DAYS):
        w = c["days"](day)
        world = {"assets": [strip(a) for a in w.get("assets", [])],
                 "deleted": [strip(a) for a in w.get("deleted", [])],
                 "photos": w.get("photos", {}), "local": w.get("local", [])}
        if w.get("hidden_count") is not None:
            world["hidden_count"] = w["hidden_count"]
        key = json.dumps(world, sort_keys=True)
        if key not in worlds:
            wd = "worlds/%02d" % len(worlds)
            worlds[key] = wd
            exs = mkcase.photos_exchanges(d + "/" + wd, world, **world["photos"])
            # Replace the pages by templates of the case's record files.
            pz = mkcase.zone("PrimarySync", "_alice")
            pages = {"07-newest.json": (world["assets"], pz, "SYNC_TOKEN_301"),
                     "08-deleted.json": (world["deleted"], pz, "SYNC_TOKEN_302")}
            part = world["photos"].get("participant")
            if part:
                pages["11-shared-newest.json"] = (part["assets"], mkcase.zone(part["zone"], "_bob"), "SYNC_TOKEN_401")
            for fn, (assets, z, tok) in pages.items():
                fp = d + "/" + wd + "/responses/" + fn
                if os.path.exists(fp):
                    with open(fp, "w") as f:
                        f.write(page_template(d, assets, z, tok))
            # The request sequence rarely changes from world to world: the
            # case keeps each distinct one once (bodies are relative to the
            # world's directory).
            ekey = json.dumps(exs, sort_keys=True)
            if ekey not in pools:
                pools[ekey] = "exchanges/%02d.json" % len(pools)
                mkcase.write(d + "/" + pools[ekey], exs)
            world_ex[wd] = pools[ekey]
            mkcase.write(d + "/" + wd + "/local.json", {"photos": world["local"]})
        step = {"day": day, "world": worlds[key], "exchanges": world_ex[worlds[key]], "expect": w["expect"]}
        for k in ("at", "nas_skew", "folders", "session", "why"):
            if w.get(k):
                step[k] = w[k]
        steps.append(step)
        bad = ", ".join("%s %s" % (k, v) for k, v in sorted(w["expect"]["checks"].items()) if v != "ok") or "all ok"
        rows.append("| %d | %s | %s |" % (day, w.get("why", ""), bad))
    mkcase.write(d + "/timeline.json", {"days": steps})
    with open(d + "/README.md", "w") as f:
        f.write(c["readme"].strip() + "\n\n## Expected verdict per day\n\n| day | event | non-ok checks (exit follows the worst) |\n|---|---|---|\n")
        f.write("\n".join(rows) + "\n")


# ------------------------------------------------------------ 1. upload stall
def stall_quiet(k):
    return 10 <= k <= 16 or 24 <= k <= 27


def upload_stall(day):
    ups = uploads(day, stall_quiet)
    page = newest(ups)
    last = max(a["k"] for a in ups)
    gap = (day - last) * 24 + 3  # hours since the last upload at the noon cycle
    status = "critical" if gap >= 7 * 24 else "warning" if gap >= 3 * 24 else "ok"
    why = {10: "phone stops uploading", 17: "uploads resume", 24: "second stall", 28: "uploads resume"}.get(day, "")
    return {"assets": page, "local": [copy(a) for a in page], "why": why,
            "expect": expect(icloud_upload=status)}


case(MULTI, "upload-stall-ends", """
# upload-stall-ends

A phone that uploads one photo every morning (09:00) stops for 7 days (days 10-16), resumes, then
stops again for 4 days (days 24-27). icloudpd copies every photo within the hour.

- icloud_upload: the account's learned rhythm is one upload a day (Apple lists the 8 newest;
  from day 1 the history holds 8 gaps of 1 day), so the learned warning is 2 × 1 d, floored at `upload_warning` (3 d), and critical comes
  `upload_critical − upload_warning` (4 d) later. *Warning* once the last upload is 3 days
  old (day 12), *critical* at 7 days (day 16), ok again with the upload of day 17.
- The second stall must warn again at 3 days (day 26): the 8-day gap of the first stall was in
  alert, so it is not learned (docs/checks.md, *Alerts are left out*). Before issue 26 it was
  learned, lifted the warning to 7 days and days 26-27 were reported ok (missed incident).
- Every other check stays ok: the folder holds every photo, storage half free, session 45 days.
""", upload_stall)


# ------------------------------------------------------------ 2. importer paused
def importer_paused(day):
    ups = uploads(day)
    page = newest(ups)
    paused = 8 <= day <= 14
    # The folder keeps older files too: a folder that held only the page's
    # 8 would shrink by half during the pause (a "lost mount" to the
    # folder check), which a paused importer never does.
    local = [copy(a) for a in newest(ups, 16) if not (paused and a["k"] >= 8)]
    missing = [a for a in page if paused and a["k"] >= 8 and (day * 24 + 12) - (a["k"] * 24 + 9) >= 6]
    st = "warning" if missing else "ok"
    why = {8: "importer paused (container stopped)", 15: "importer resumed, catches up"}.get(day, "")
    return {"assets": page, "local": local, "why": why, "expect": expect(local_copy=st)}


case(MULTI, "importer-paused-resumed", """
# importer-paused-resumed

Daily uploads at 09:00 go on; the importer on the NAS stops on day 8 (its container was stopped)
and catches up on day 15 before the noon cycle.

- local_copy **warning** from day 9: the photo of day 8 is older than `grace` (6 h) and not in the
  folder (missing ≥ `missing_warning`, 1). The photo of the cycle's own day (3 h old) is within
  grace and never counts. Up to 6 photos are missing (day 14), below `missing_critical` (10),
  and the lag stays below `lag_critical` (7 d): warning, not critical. Ok again on day 15.
- icloud_upload ok throughout (the phone uploads), folder ok (the files already there stay).
""", importer_paused)


# ------------------------------------------------------------ 3. share mount point gone
def mount_gone(day):
    page = newest(uploads(day))
    gone = 12 <= day <= 14
    why = {12: "share unmounted, mount point removed", 15: "share mounted again"}.get(day, "")
    if gone:
        return {"assets": page, "local": [copy(a) for a in page], "folders": {"photos": "absent"}, "why": why,
                "expect": expect(folder="critical", local_copy="unknown")}
    return {"assets": page, "local": [copy(a) for a in page], "why": why, "expect": expect()}


case(MULTI, "share-mount-point-gone", """
# share-mount-point-gone

The network share holding the folder is unmounted on days 12-14 and its mount point is gone (the
configured path does not exist); it is mounted again on day 15.

- folder **critical** while the path is missing ("missing or unreadable → critical"), every day,
  not only the first.
- local_copy **unknown** while the folder cannot be scanned ("a folder that cannot be scanned
  makes its part unknown; the folder check says why").
- Ok again on day 15, with no left-over alert (the baseline was never replaced).
""", mount_gone)


# ------------------------------------------------------------ 4. share unmounted, empty mount point
def share_unmounted(day):
    page = newest(uploads(day))
    empty = 12 <= day <= 15
    why = {12: "share unmounted: empty mount point", 16: "share mounted again"}.get(day, "")
    if empty:
        return {"assets": page, "local": [copy(a) for a in page], "folders": {"photos": "empty"}, "why": why,
                "expect": expect(folder="critical", local_copy="warning")}
    return {"assets": page, "local": [copy(a) for a in page], "why": why, "expect": expect()}


case(MULTI, "share-unmounted-empty", """
# share-unmounted-empty

The share is unmounted on days 12-15 and leaves an empty mount point (the path exists, holds
nothing); it is mounted again on day 16.

- folder **critical** every day it is empty while the library has photos (issue 26: an empty
  folder while the library has photos is critical, "is the share mounted?"), not only on the
  first day: the empty folder never becomes the new baseline.
- local_copy **warning**: the 7 listed photos older than grace are missing (below
  `missing_critical`, 10; the lag is a lower bound of 6 days, below `lag_critical`).
- Ok again on day 16.
- The summary wording is not asserted: the folder check's text is being reworded (issue 26).
""", share_unmounted)


# ------------------------------------------------------------ 5. NAS clock jumps
def clock_jump(day):
    quiet = lambda k: 12 <= k <= 19
    ups = uploads(day, quiet)
    page = newest(ups)
    last = max(a["k"] for a in ups)
    gap = (day - last) * 24 + 3
    status = "critical" if gap >= 7 * 24 else "warning" if gap >= 3 * 24 else "ok"
    skewed = 8 <= day <= 21
    w = {"assets": page, "local": [copy(a) for a in page],
         "why": {8: "NAS clock jumps 10 days back", 12: "phone stops uploading", 20: "uploads resume",
                 22: "NAS clock fixed (NTP)"}.get(day, "")}
    sums = {}
    if skewed:
        w["nas_skew"] = "-10d"
        sums = {c: "the NAS clock is 10 days behind Apple's: check NTP" for c in
                ("icloud_upload", "session_expiry", "local_copy", "recently_deleted")}
    w["expect"] = expect(icloud_upload=status, summaries=sums)
    return w


case(MULTI, "nas-clock-jumps", """
# nas-clock-jumps

The NAS clock jumps 10 days back on day 8 (a dead RTC battery after a power cut) and is fixed on
day 22. Meanwhile the phone stops uploading on day 12 and resumes on day 20.

- Ages are computed on Apple's time (the `Date` header of its answers) when the NAS clock is more
  than 5 minutes off (docs/checks.md, *Whose clock: Apple's*): icloud_upload warns at 3 days
  (day 14) and is critical at 7 days (day 18) exactly as with a right clock, ok from day 20.
- While the clock is off (days 8-21) icloud_upload, session_expiry, local_copy and
  recently_deleted say "the NAS clock is 10 days behind Apple's: check NTP".
- Before issue 26 the NAS clock was trusted: day 8 on, the newest upload looked 10 days in the
  future ("clocks disagree" warning, a false alarm) and the stall was never critical.
""", clock_jump)


# ------------------------------------------------------------ 6. session nearing expiry
def session_renewed(day):
    page = newest(uploads(day))
    # web cookies expire at day 12 18:00 (day 0 noon + 12 d 6 h); renewed on day 13.
    left = 12 * 24 + 18 - (day * 24 + 12)
    st = "ok"
    if day < 13:
        st = "critical" if left < 24 else "warning" if left < 7 * 24 else "ok"
    w = {"assets": page, "local": [copy(a) for a in page], "expect": expect(session_expiry=st),
         "why": {6: "7 days left: warning", 12: "6 hours left: critical", 13: "`icloudmon login` renews the session"}.get(day, "")}
    if day == 13:
        w["session"] = {"web_expires": "+30d", "trust_expires": "+60d"}
    return w


case(MULTI, "session-expiry-renewed", """
# session-expiry-renewed

The saved session's web cookies expire 12 days 6 hours after day 0's cycle (the 2FA trust in
40 days). Nobody reacts to the warning until the last day; on day 13, before the cycle, a person
runs `icloudmon login`, which saves a session good for 30 more days.

- session_expiry **warning** when less than `session_warning` (7 d) is left: days 6-11.
- **critical** when less than `session_critical` (1 d) is left: day 12 (6 h left).
- Ok from day 13 (30 days left): renewing clears it without any other action.
""", session_renewed, session={"web_expires": "+12d6h", "trust_expires": "+40d"})


# ------------------------------------------------------------ 7. Recently Deleted countdown
def deleted_countdown(day):
    page = newest(uploads(day))
    gone = {"name": "IMG_0990.HEIC", "kind": "heic", "size": 1900000, "added": rel(-40 * 24),
            "taken": rel(-40 * 24 - 1), "deleted": True, "purge": rel(8 * 24 + 8), "k": -40}
    kept = {"name": "IMG_0991.HEIC", "kind": "heic", "size": 1910000, "added": rel(-39 * 24),
            "taken": rel(-39 * 24 - 1), "deleted": True, "purge": rel(45 * 24), "k": -39}
    deleted = []
    if day * 24 + 12 < 8 * 24 + 8:
        deleted.append(gone)
    if day >= 15:
        deleted.append(kept)
    left = 8 * 24 + 8 - (day * 24 + 12)
    st = "ok" if left <= 0 else "critical" if left < 48 else "warning" if left < 7 * 24 else "ok"
    local = [copy(a) for a in page] + [copy(kept, imported=24)]
    return {"assets": page, "deleted": deleted, "local": local, "expect": expect(recently_deleted=st),
            "why": {0: "a photo without a copy purges on day 8 08:00", 1: "under 7 days left",
                    6: "under 2 days left", 8: "purged by iCloud", 15: "a photo with a copy is deleted"}.get(day, "")}


case(MULTI, "recently-deleted-countdown", """
# recently-deleted-countdown

Recently Deleted holds a photo that no folder has, purged by iCloud on day 8 at 08:00. On day 15
another photo is deleted, one that the folder has.

- recently_deleted **warning** while the photo without a copy purges within `deleted_warning`
  (7 d): days 1-5; **critical** within `deleted_critical` (2 d): days 6-7. From day 8 iCloud has
  purged it (it is no longer listed): ok.
- The photo deleted on day 15 has a local copy (same name and size): "items that still have a
  local copy are safe and never alert", ok to the end.
""", deleted_countdown)


# ------------------------------------------------------------ 8. re-edit
EDITED, EDIT1, EDIT2, CLEANUP = 16, 17, 19, 21


def re_edit(day):
    page = newest(uploads(day))
    listed = any(a["k"] == EDITED for a in page)
    local = []
    for a in page:
        if a["k"] != EDITED:
            local.append(copy(a))
            continue
        if day < CLEANUP:
            local.append(copy(a))  # the original stays
        if day >= EDIT1:  # the importer writes the latest edited render beside it
            second = day >= EDIT2
            size = a["size"] + (7000 if second else 5000)
            when = ((EDIT2 if second else EDIT1) - EDITED) * 24
            local.append(copy(a, imported=when, name="IMG_E%s" % a["name"][4:], size=size))
    st = "warning" if day >= CLEANUP and listed else "ok"
    return {"assets": page, "local": local, "expect": expect(local_copy=st),
            "why": {EDIT1: "photo of day 16 edited: IMG_E render added", EDIT2: "edited again: render replaced",
                    CLEANUP: "original removed: only the edited render is left",
                    24: "the photo is no longer among the 8 newest"}.get(day, "")}


case(MULTI, "re-edit", """
# re-edit

The photo of day 16 is edited on the iPhone on day 17 and edited again on day 19; the importer
keeps the original and writes the edited render beside it (`IMG_E1116.HEIC`, another size),
replacing it after the second edit. On day 21 a clean-up removes the original: only the render
is left.

- local_copy ok on days 0-20: the original is there; an edit adds a file, it does not make the
  original missing, and a second edit changes nothing.
- local_copy **warning** on days 21-23: an edited-only rendition is not a copy of the original
  (issue 26: edited-only rendition = warning; docs/checks.md: "an asset counts as missing when
  no file matched or only its edit did"); one missing photo is `missing_warning` (1).
- From day 24 the photo is no longer among the 8 newest that Apple lists (the case's page
  size), so local_copy no longer looks at it: ok.
""", re_edit)


# ------------------------------------------------------------ 9. Shared Library photo moved
SHARED = "SharedSync-6E1C0494-1BF4-4928-BD07-3FD81633193E"


def shared_moved(day):
    ups = uploads(day)
    moved = day >= 15
    # the photo of day 11 is moved to the Shared Library on day 15
    personal = newest([a for a in ups if not (moved and a["k"] == 11)])
    shared = [{"name": "IMG_7001.HEIC", "kind": "heic", "size": 2500000, "added": rel(-2 * 24), "taken": rel(-2 * 24 - 1), "k": -2}]
    if moved:
        shared = [photo(11)] + shared
    local = [copy(a) for a in personal] + [copy(a) for a in shared]
    return {"assets": personal, "local": local,
            "photos": {"participant": {"zone": SHARED, "assets": [strip(a) for a in shared]}},
            "expect": expect(), "why": {15: "photo of day 11 moved to the Shared Library"}.get(day, "")}


case(MULTI, "shared-library-photo-moved", """
# shared-library-photo-moved

Alice takes part in Bob's Shared Library (`libraries: [personal, shared]`); icloudpd copies both
into the folder. On day 15 she moves the photo of day 11 from her personal library to the Shared
Library ("Move to Shared Library"): it leaves the personal zone and appears in the shared zone
with the same name, size and dates (assumed; the move keeps the original's resource).

- Every check ok every day: the photo still has its copy (local_copy matches it in the shared
  library), the personal library's newest upload is unchanged (the moved photo was not the
  newest), nothing is in Recently Deleted, every library is monitored (library_coverage ok).
""", shared_moved, account={"libraries": ["personal", "shared"]})


# ------------------------------------------------------------ 10. storage
def storage(day):
    page = newest(uploads(day))
    body, st = "storage-half-free.json", "ok"
    if 10 <= day <= 13:
        body, st = "storage-5pct-free.json", "warning"
    elif 14 <= day <= 17:
        body, st = "storage-1pct-free.json", "critical"
    return {"assets": page, "local": [copy(a) for a in page], "photos": {"storage": body},
            "expect": expect(storage=st),
            "why": {10: "5 % free", 14: "1 % free", 18: "a backup deleted: half free"}.get(day, "")}


case(MULTI, "storage-fills-and-frees", """
# storage-fills-and-frees

iCloud storage goes from half free to 5 % free on day 10 and 1 % on day 14; on day 18 an old
device backup is deleted and half is free again.

- storage **warning** below `storage_warning` (10 %): days 10-13; **critical** below
  `storage_critical` (2 %): days 14-17; ok again from day 18.
- Uploads go on throughout (the phone still has room): icloud_upload ok.
""", storage)


# ------------------------------------------------------------ 11. hidden items appear
def hidden_appear(day):
    page = newest(uploads(day))
    w = {"assets": page, "local": [copy(a) for a in page], "expect": expect()}
    if day >= 10:
        hid = [dict(photo(k, hour=20, name="IMG_%04d.HEIC" % (1300 + k)), hidden=True) for k in (7, 8)]
        w["assets"] = page + hid
    if day == 10:
        w["at"] = "11h"
        w["expect"] = expect(library_coverage="warning")
        w["why"] = "two photos hidden"
    return w


case(MULTI, "hidden-items-appear", """
# hidden-items-appear

On day 10 two photos are hidden on the iPhone (Photos › Hidden); icloudpd does not fetch hidden
items; `accounts[].hidden` is the default `notice`. The day-10 cycle runs at 11:00, so that the
day-11 cycle is more than a day later.

- library_coverage **warning** on day 10 only: "a warning for one day when hidden items appear or
  their number grows"; from day 11 ok with the count as a note. Days 0-9 have no hidden items.
- local_copy ok: hidden photos are not expected in the folder.
""", hidden_appear)


if __name__ == "__main__":
    table = dict(MULTI)
    if "--pending" in sys.argv:
        table.update(PENDING)
    for name, c in table.items():
        emit(name, c)
