"""Compact description of the conformance cases; tools/mkcase.py writes
them into cases/<name>/. Expectations come from docs/checks.md (see each
README), never from running the agent."""

SESSION = {"web_expires": "+20d", "trust_expires": "+25d"}
ALL_OK = {c: "ok" for c in ["auth", "session_expiry", "icloud_upload", "storage", "local_copy",
                            "recently_deleted", "library_coverage", "folder", "indexing"]}

def photos(n=5, start=1, kind="heic", newest="-1d"):
    """n assets added a day apart from `newest` back, taken 10 min before."""
    out = []
    base = int(newest.lstrip("-").rstrip("d"))
    ext = {"heic": "HEIC", "jpeg": "JPG", "mov": "MOV"}[kind]
    for i in range(n):
        day = base + i
        out.append({"name": "IMG_%04d.%s" % (start + n - 1 - i, ext), "kind": kind, "size": 2000000 + 1000 * i,
                    "added": "-%dd" % day, "taken": "-%dd10m" % day})
    return out

def copies(assets, path=lambda a: "2026/12/01/" + a["name"], name=None, size=None):
    """Local files holding assets: same name and size unless renamed."""
    out = []
    for a in assets:
        f = {"path": path(a) if name is None else path(a).rsplit("/", 1)[0] + "/" + name(a),
             "kind": a["kind"], "size": a["size"] if size is None else size(a),
             "mtime": a["added"], "taken": a["taken"]}
        out.append(f)
    return out

def base_case(layout="icloudpd", **account):
    c = {"account": account, "folders": [{"name": "photos", "layout": layout}], "password": False, "session": dict(SESSION)}
    return c

def expect(exit_code, status, **checks):
    e = dict(ALL_OK)
    e.update(checks)
    return {"exit": exit_code, "status": status, "checks": e}

P5 = photos()
CASES = {}

CASES["healthy-icloudpd-default"] = {
    "assets": P5,
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5, path=lambda a: "2026/12/01/" + a["name"])},
    "expect": expect(0, "ok"),
    "readme": """
# healthy-icloudpd-default

icloudpd's default layout (`YYYY/MM/DD/NAME`), five photos added to iCloud 1-5 days ago, every
one present locally under Apple's name with Apple's `resOriginalRes.size`.

- auth ok: the saved session validates (recorded `validate` answer, `hsaTrustedBrowser: true`).
- session_expiry ok: the cookies expire in 20 days, more than `session_warning` (7 d).
- icloud_upload ok: the newest photo was added 1 day ago, less than `upload_warning` (3 d).
- storage ok: 50 % free, above `storage_warning` (10 %).
- local_copy ok: all newest photos older than `grace` (6 h) are matched by name and size.
- recently_deleted ok: Recently Deleted is empty (count 0).
- library_coverage ok: only the personal library exists; no hidden items.
- folder ok: exists, readable, holds files. indexing ok: `FINISHED`.
- Exit 0: every check ok.
""",
}

CASES["icloudpd-folder-structure-none"] = {
    "assets": P5,
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5, path=lambda a: a["name"])},
    "expect": expect(0, "ok"),
    "readme": """
# icloudpd-folder-structure-none

icloudpd with `--folder-structure none`: every file directly in the folder, under Apple's name.
Rule (local_copy): matched by file name and size, any tree. All checks ok as in
[healthy-icloudpd-default](../healthy-icloudpd-default/); exit 0.
""",
}

CASES["local-copy-one-missing"] = {
    "assets": P5,
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5[1:])},
    "expect": dict(expect(1, "warning", local_copy="warning"), summaries={"local_copy": "1"}),
    "readme": """
# local-copy-one-missing

The newest photo (added a day ago, so older than `grace`, 6 h) has no local copy; the four
others are present by name and size.

- local_copy **warning**: "at least `missing_warning` (1) of those photos has no local copy";
  fewer than `missing_critical` (10), and the newest local copy (added 2 d ago) lags iCloud by
  1 day, less than `lag_critical` (7 d).
- Every other check ok (see healthy-icloudpd-default). Exit 1 = WARNING.
""",
}

CASES["auth-no-password"] = {
    "exchanges": [],
    "case": dict(base_case("icloudpd"), session=None),
    "local": {"photos": copies(P5)},
    "expect": {"exit": 2, "status": "critical", "checks": {"auth": "critical"},
               "summaries": {"auth": "no password"}},
    "readme": """
# auth-no-password

No saved session at all and no password source that holds a password (the configured
environment variable is unset). Nothing can be sent to Apple: the replay server expects no
request.

- auth **critical**: docs/checks.md, auth, "the session expired and no password is stored".
- Exit 2 = CRITICAL (critical is the worst status).
""",
}

CASES["auth-2fa-required"] = {
    "exchanges": [
        {"method": "POST", "path": "/setup/ws/1/validate", "status": 421, "note": "stale web session"},
        {"method": "POST", "path": "/setup/ws/1/accountLogin", "status": 200, "body": "../../testdata/accountlogin-2fa-required.json",
         "note": "recorded accountLogin of auth_requires_2fa.yml: hsaVersion 2, hsaChallengeRequired true"},
    ],
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5)},
    "expect": {"exit": 2, "status": "critical", "checks": {"auth": "critical"},
               "summaries": {"auth": "two-factor"}},
    "readme": """
# auth-2fa-required

The saved web session is stale (`validate` answers 421, which Apple uses for an expired
login token), and the accountLogin replay with the saved tokens returns the recorded
icloudpd answer `auth_requires_2fa.yml`: `hsaVersion: 2`, `hsaChallengeRequired: true`,
`hsaTrustedBrowser: false`, i.e. the two-factor trust expired.

- auth **critical**: "Apple needs a new two-factor sign-in" (the session or device trust
  expired). The agent must not send a code or try SRP (no password is stored anyway).
- Exit 2.
""",
}
