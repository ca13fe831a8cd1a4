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

# ---------------------------------------------------------------- helpers

VALIDATE_421 = {"method": "POST", "path": "/setup/ws/1/validate", "status": 421, "note": "stale web session (Misdirected Request)"}
LOGIN_421 = {"method": "POST", "path": "/setup/ws/1/accountLogin", "status": 421, "note": "session token expired too"}
AUTHORIZE = {"method": "GET", "path": "/appleauth/auth/authorize/signin", "status": 200, "note": "optional idmsa priming"}
INIT_OK = {"method": "POST", "path": "/appleauth/auth/signin/init", "status": 200, "body": "../../testdata/signin-init.json",
           "headers": {"scnt": "scnt-1234567890"}, "note": "recorded signin/init (failed_auth.yml)"}

def auth_case(name, exchanges, summary, readme, status="critical", exit_code=2, password=True, session=True):
    CASES[name] = {
        "exchanges": exchanges,
        "case": dict(base_case("icloudpd"), password=password, session=dict(SESSION) if session else None),
        "local": {"photos": copies(P5)},
        "expect": {"exit": exit_code, "status": status, "checks": {"auth": status}, "summaries": {"auth": summary}},
        "readme": readme,
    }

def cloud_case(name, readme, exit_code, status, checks, assets=P5, local=None, layout="icloudpd", account=None,
               case=None, summaries=None, **kw):
    c = base_case(layout, **(account or {}))
    c.update(case or {})
    e = expect(exit_code, status, **checks)
    if summaries:
        e["summaries"] = summaries
    if not isinstance(local, dict):  # a dict names several folders
        local = {"photos": copies(assets) if local is None else local}
    d = {"assets": assets, "case": c, "local": local,
         "expect": e, "readme": readme}
    d.update(kw)
    CASES[name] = d

# ---------------------------------------------------------------- auth

auth_case("auth-password-rejected", [VALIDATE_421, LOGIN_421, AUTHORIZE, INIT_OK,
    {"method": "POST", "path": "/appleauth/auth/signin/complete", "status": 401, "body": "../../testdata/signin-complete-401.json",
     "note": "recorded 401 -20101 (failed_auth.yml)"}], "rejected", """
# auth-password-rejected

The saved session no longer works (validate and the accountLogin replay answer 421), a
password is stored, the sign-in budget is unused, so one SRP attempt is made; Apple answers
`signin/complete` with the recorded 401 `-20101` of icloudpd's `failed_auth.yml`.

- auth **critical**: "Apple rejected the stored password". Only one attempt: the replay server
  fails the case on any further request. Exit 2.
""")

auth_case("auth-2fa-409-after-signin", [VALIDATE_421, LOGIN_421, AUTHORIZE, INIT_OK,
    {"method": "POST", "path": "/appleauth/auth/signin/complete", "status": 409, "body": "responses/complete-409.json",
     "headers": {"X-Apple-ID-Session-Id": "sess-1234567890", "scnt": "scnt-1234567890"}, "note": "2FA challenge"}],
    "two-factor", """
# auth-2fa-409-after-signin

Session stale, password stored, SRP is tried and `signin/complete` answers 409 with
`authType: hsa2` and trusted devices (the shape of icloud-auth.md §1.1): Apple wants a code.

- auth **critical**: "Apple needs a new two-factor sign-in". verify never asks for or sends a
  code, so no further request may follow (the replay fails the case otherwise). Exit 2.
""")

# `icloudmon login` answered by Apple's 2026 wrappings of a right code, then a
# verify run on the session it saved (case.json "login").
BOOT_ARGS_HTML = """<!DOCTYPE html><html><head><title>Sign in</title></head><body>
<script type="application/json" class="boot_args">
{"direct":{"authType":"hsa2","authUserType":"hsa2","hasTrustedDevices":true,"authInitialRoute":"auth/verify/phone",
"twoSV":{"phoneNumberVerification":{"trustedPhoneNumbers":[{"id":1,"numberWithDialCode":"+1 (\u2022\u2022\u2022) \u2022\u2022\u2022-\u2022\u202212",
"obfuscatedNumber":"(\u2022\u2022\u2022) \u2022\u2022\u2022-\u2022\u202212","lastTwoDigits":"12","pushMode":"sms"}]},
"securityCode":{"length":6,"tooManyCodesSent":false,"tooManyCodesValidated":false,"securityCodeLocked":false,"securityCodeCooldown":false},
"authFactors":["robocall","sms","generatedcode"],"sourceAppId":1159}}}
</script>
</body></html>
"""
CODE = "314159"
VALID = {"code": CODE, "tooManyCodesSent": False, "tooManyCodesValidated": False, "securityCodeLocked": False,
         "securityCodeCooldown": False, "valid": True}
PHONES = {"trustedPhoneNumbers": [{"numberWithDialCode": "+1 (\u2022\u2022\u2022) \u2022\u2022\u2022-\u2022\u202212", "pushMode": "sms",
          "obfuscatedNumber": "(\u2022\u2022\u2022) \u2022\u2022\u2022-\u2022\u202212", "lastTwoDigits": "12", "id": 1}],
          "securityCode": {"length": 6, "tooManyCodesSent": False, "tooManyCodesValidated": False,
                           "securityCodeLocked": False, "securityCodeCooldown": False}}
IDMSA = {"scnt": "scnt-2fa-1", "X-Apple-ID-Session-Id": "sess-2fa-1"}
MONTH = "Max-Age=2592000; Path=/; Secure; HttpOnly"

def login_case(name, status, answer, readme, answer_headers=None):
    login = [AUTHORIZE, INIT_OK,
            {"method": "POST", "path": "/appleauth/auth/signin/complete", "status": 409, "body": "responses/complete-409.json",
             "headers": dict(IDMSA, **{"X-Apple-Session-Token": "conformance-pre-2fa-token"}), "note": "2FA challenge"},
            {"method": "GET", "path": "/appleauth/auth", "status": 200, "body": "responses/auth-options.html",
             "headers": dict(IDMSA, **{"Content-Type": "text/html;charset=UTF-8"}), "note": "delivery options (boot_args)"},
            {"method": "PUT", "path": "/appleauth/auth/verify/trusteddevice/securitycode", "status": 202, "headers": IDMSA,
             "note": "push a code to the trusted devices"},
            {"method": "POST", "path": "/appleauth/auth/verify/trusteddevice/securitycode", "status": status,
             "body": "responses/verify-code.json", "contains": CODE, "headers": dict(IDMSA, **(answer_headers or {})),
             "note": "the right code, answered %d with securityCode.valid" % status},
            {"method": "GET", "path": "/appleauth/auth/2sv/trust", "status": 204,
             "headers": dict(IDMSA, **{"X-Apple-TwoSV-Trust-Token": "conformance-new-trust-token",
                                       "X-Apple-Session-Token": "conformance-post-2fa-token"}),
             "note": "trust: the trust token and the session token for accountLogin"},
            {"method": "POST", "path": "/setup/ws/1/accountLogin", "status": 200, "body": "../../testdata/validate-ok.json",
             "contains": "conformance-post-2fa-token",
             "cookies": ["X-APPLE-WEBAUTH-TOKEN=\"v=2:t=after-2fa\"; " + MONTH, "X-APPLE-WEBAUTH-USER=\"v=1:s=1:d=12345678901\"; " + MONTH,
                         "X-APPLE-DS-WEB-SESSION-TOKEN=after-2fa; " + MONTH, "X-APPLE-WEBAUTH-HSA-TRUST=after-2fa; Max-Age=7776000; Path=/; Secure; HttpOnly"],
             "note": "the post-2FA session token, never the pre-2FA one"}]
    CASES[name] = {
        "assets": P5,
        "before": login,
        "files": {"responses/complete-409.json": {"authType": "hsa2", "trustedDevices": [], "trustedPhoneNumbers": PHONES["trustedPhoneNumbers"],
                                                  "securityCode": PHONES["securityCode"], "noTrustedDevices": False},
                  "responses/auth-options.html": BOOT_ARGS_HTML,
                  "responses/verify-code.json": answer},
        "case": dict(base_case("icloudpd"), password=True, session=None, login={"code": CODE, "exit": 0}),
        "local": {"photos": copies(P5)},
        "expect": expect(0, "ok"),
        "readme": readme,
    }

login_case("auth-2fa-code-409-valid-no-token", 409,
    {"trustedDeviceCount": 1, "securityCode": VALID, "phoneNumberVerification": PHONES,
     "authenticationType": "hsa2", "hsa2Account": True}, """
# auth-2fa-code-409-valid-no-token

`icloudmon login` with no saved session: SRP, `signin/complete` 409 (2FA), the delivery options,
the push to the trusted devices (202), then the right code, which Apple answers **409 with
`securityCode.valid: true` and no `X-Apple-Session-Token`**. This is the answer reported in
rclone/rclone#9730 (Aug 2026, device and SMS paths, an account without ADP), the body shape
shown there (`securityCode.valid`, `authenticationType: hsa2`, `hsa2Account: true`).

- login exits 0: per docs/checks.md (auth, "two-factor answers") a 2xx, 409 or 412 answer whose
  body says `securityCode.valid: true` is success; `2sv/trust` with the current session gives
  the trust token and a new session token, and `accountLogin` must carry that new token (the
  replay requires `conformance-post-2fa-token` in its body; the pre-2FA token of the 409 answer
  to `signin/complete` is never replayed).
- Then verify on the saved session: every check ok as in
  [healthy-icloudpd-default](../healthy-icloudpd-default/) (the cookies of `accountLogin` expire
  in 30 days). Exit 0.
""")

login_case("auth-2fa-code-412-valid", 412,
    {"trustedDeviceCount": 1, "otherTrustedDeviceClass": "iPhone", "securityCode": VALID,
     "phoneNumberVerification": PHONES}, """
# auth-2fa-code-412-valid

As [auth-2fa-code-409-valid-no-token](../auth-2fa-code-409-valid-no-token/), but Apple answers the
right code **412 Precondition Failed** with `securityCode.valid: true` (and no session token):
the answer and body shape reported in icloud-photos-downloader/icloud_photos_downloader#1026
(`trustedDeviceCount`, `otherTrustedDeviceClass`, `securityCode.valid: true`,
`phoneNumberVerification`).

- login exits 0 (docs/checks.md, auth, "two-factor answers": 412 + `valid: true` is success),
  then `2sv/trust` and `accountLogin` with the new session token.
- verify on the saved session: every check ok. Exit 0.
""")

auth_case("auth-security-key-only", [VALIDATE_421, LOGIN_421, AUTHORIZE, INIT_OK,
    {"method": "POST", "path": "/appleauth/auth/signin/complete", "status": 409, "body": "responses/complete-409-fsa.json",
     "note": "2FA challenge with a security key (fsaChallenge, keyNames)"}],
    "security key", """
# auth-security-key-only

As auth-2fa-409-after-signin, but the 409 carries `fsaChallenge` and `keyNames`: the account
only signs in with a hardware security key.

- auth **critical**: "the Apple ID requires a hardware security key". Exit 2.
""")

auth_case("auth-account-locked", [VALIDATE_421, LOGIN_421, AUTHORIZE,
    {"method": "POST", "path": "/appleauth/auth/signin/init", "status": 400, "body": "../../testdata/signin-init-locked.json",
     "note": "serviceErrors -20209 (icloud-auth.md §7.1)"}], "locked", """
# auth-account-locked

Session stale, password stored; `signin/init` answers with the `-20209` service error
("This Apple Account has been locked for security reasons", icloud-auth.md §7.1).

- auth **critical**: "the Apple ID is locked". Exit 2.
""")

auth_case("auth-throttled-503-retry-after", [VALIDATE_421, LOGIN_421, AUTHORIZE,
    {"method": "POST", "path": "/appleauth/auth/signin/init", "status": 503, "body": "../../testdata/signin-init-503.txt",
     "headers": {"Retry-After": "3600"}, "note": "recorded 503 (failed_auth_503.yml) with Retry-After"}],
    "throttled", """
# auth-throttled-503-retry-after

Session stale, password stored; `signin/init` answers the recorded 503 "Service Temporary
Unavailable" of icloudpd's `failed_auth_503.yml`, with `Retry-After: 3600`.

- auth **unknown**: "Apple is limiting sign-ins (throttled)" is unknown at first and only turns
  warning when the last successful check is more than 24 h old; this is the first cycle of a
  fresh data_dir, so there is no older success to age. Never critical. No retry within the
  cycle (the replay fails the case on a second init).
- Overall unknown, exit 3.
""", status="unknown", exit_code=3)

auth_case("auth-450-no-password", [
    {"method": "POST", "path": "/setup/ws/1/validate", "status": 450, "note": "450: re-auth required"},
    {"method": "POST", "path": "/setup/ws/1/accountLogin", "status": 450, "note": "450 again"}],
    "no password", """
# auth-450-no-password

A saved session whose web session and session token Apple refuses with 450 (pyicloud: re-auth
required), and no password stored.

- auth **critical**: "the session expired and no password is stored". Exit 2.
""", password=False)

auth_case("auth-adp-web-access-off", [
    {"method": "POST", "path": "/setup/ws/1/validate", "status": 200, "body": "../../testdata/validate-adp.json",
     "note": "recorded validate with iCDPEnabled true"}], "web access", """
# auth-adp-web-access-off

The recorded validate answer with `iCDPEnabled: true` (Advanced Data Protection on, top level
and in dsInfo; icloud-auth.md §7.4).

- auth **critical**: "iCloud web access to this account is turned off". Exit 2.
""")

auth_case("auth-terms-not-accepted", [
    {"method": "POST", "path": "/setup/ws/1/validate", "status": 200, "body": "../../testdata/validate-terms.json",
     "note": "validate with termsUpdateNeeded true"}], "terms", """
# auth-terms-not-accepted

The validate answer carries `termsUpdateNeeded: true` (icloud-auth.md §7.6).

- auth **critical**: "new iCloud terms must be accepted". Exit 2.
""")

auth_case("auth-china-domain-to-use", [VALIDATE_421,
    {"method": "POST", "path": "/setup/ws/1/accountLogin", "status": 200, "body": "../../testdata/accountlogin-domaintouse-cn.json",
     "note": "wrong region: only domainToUse, no dsInfo"}], "region", """
# auth-china-domain-to-use

A mainland-China Apple ID configured as `region: global`: accountLogin answers only
`{"domainToUse": "iCloud.com.cn"}` (icloud-auth.md §6).

- auth **critical**: "the account belongs to the other iCloud region"; the summary or
  remediation names the region setting. Exit 2.
""")

CASES["auth-cloudkit-503-retry-after"] = {
    "exchanges": [
        {"method": "POST", "path": "/setup/ws/1/validate", "status": 200, "body": "../../testdata/validate-ok.json", "note": "session fine"},
        {"method": "POST", "path": "/database/1/com.apple.photos.cloud/production/private/zones/list", "status": 503,
         "headers": {"Retry-After": "3600"}, "note": "CloudKit 503 with a long Retry-After"}],
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5)},
    "expect": {"exit": 3, "status": "unknown", "checks": {"auth": "unknown", "icloud_upload": "unknown", "local_copy": "unknown"}},
    "readme": """
# auth-cloudkit-503-retry-after

The session validates, but CloudKit answers the first Photos read with 503 and
`Retry-After: 3600` (longer than any wait within a cycle).

- auth **unknown**: Apple limiting requests is passing trouble: unknown at first (no older
  success exists), never critical.
- icloud_upload **unknown**: "the library could not be listed".
- local_copy **unknown**: "iCloud could not be listed".
- Exit 3.
""",
}

CASES["auth-cloudkit-throttled-body"] = {
    "exchanges": [
        {"method": "POST", "path": "/setup/ws/1/validate", "status": 200, "body": "../../testdata/validate-ok.json", "note": "session fine"},
        {"method": "POST", "path": "/database/1/com.apple.photos.cloud/production/private/zones/list", "status": 200,
         "body": "../../testdata/ck-throttled.json", "note": "body-level THROTTLED, retryAfter 3600"}],
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5)},
    "expect": {"exit": 3, "status": "unknown", "checks": {"auth": "unknown", "icloud_upload": "unknown", "local_copy": "unknown"}},
    "readme": """
# auth-cloudkit-throttled-body

CloudKit answers 200 with a body-level `serverErrorCode: THROTTLED` and `retryAfter: 3600`
(icloud-photos.md §6: retryable, but the wait is far beyond a cycle).

- auth **unknown** (throttled: unknown at first, never critical); icloud_upload and
  local_copy **unknown** (iCloud could not be listed). Exit 3.
""",
}

# CloudKit errors of a whole request come with the status of Apple's error table (CloudKit
# Web Services Reference, "Error Codes"); the bodies below have its shape
# {uuid, serverErrorCode, reason[, retryAfter]} (the live answers quoted in rclone PR #9234 and
# kei issue #704 add errorClass and error).

def ck_exchanges(status, body, note, revalidate=False, again=False):
    exs = [{"method": "POST", "path": "/setup/ws/1/validate", "status": 200, "body": "../../testdata/validate-ok.json", "note": "session fine"},
           {"method": "POST", "path": "/database/1/com.apple.photos.cloud/production/private/zones/list", "status": status,
            "body": "../../testdata/" + body, "note": note}]
    if revalidate:
        exs.append({"method": "POST", "path": "/setup/ws/1/validate", "status": 200, "body": "../../testdata/validate-ok.json",
                    "note": "one re-validation of the session"})
    if again:
        exs.append(dict(exs[1], note=note + ", again after the re-validation"))
    return exs

def ck_case(name, status, body, note, summary, readme, revalidate=False, again=False, exit_code=3, auth="unknown"):
    checks = {"auth": auth}
    if auth == "unknown":
        checks.update({"icloud_upload": "unknown", "local_copy": "unknown"})
    CASES[name] = {
        "exchanges": ck_exchanges(status, body, note, revalidate, again),
        "case": base_case("icloudpd"),
        "local": {"photos": copies(P5)},
        "expect": {"exit": exit_code, "status": auth if auth != "unknown" else "unknown", "checks": checks, "summaries": {"auth": summary}},
        "readme": readme,
    }

ck_case("ck-400-bad-request", 400, "ck-400-bad-request.json", "400 BAD_REQUEST", "BAD_REQUEST", """
# ck-400-bad-request

CloudKit refuses the first Photos read with HTTP **400** and the error document
`{uuid, serverErrorCode: BAD_REQUEST, reason}`: the status Apple's CloudKit Web Services error
table gives `BAD_REQUEST` ("The request was not valid"). Sources: Apple, *CloudKit Web Services
Reference*, "Error Codes"; the same status and body shape in rclone PR #9234 and kei issue #704
(`400` + `"serverErrorCode": "BAD_REQUEST"`).

- auth **unknown**: Apple answered with an error icloudmon cannot act on (docs/checks.md, auth:
  service errors are unknown, never critical); the summary names CloudKit's code.
- icloud_upload and local_copy **unknown**: iCloud could not be listed. Exit 3.
""")

ck_case("ck-401-authentication-failed", 401, "ck-401-authentication-failed.json", "401 AUTHENTICATION_FAILED",
        "AUTHENTICATION_FAILED", """
# ck-401-authentication-failed

CloudKit answers HTTP **401** `AUTHENTICATION_FAILED` (Apple's error table: "Authentication was
rejected", 401), also after icloudmon re-validated the session once. Source: Apple, *CloudKit
Web Services Reference*, "Error Codes"; icloudpd re-authenticates on a 401 (`download.py`).

- One re-validation, then the read is asked once more: no loop (the replay fails on any
  further request).
- auth **unknown** (a service error, not a blocker that needs a person); the summary names the
  code. icloud_upload and local_copy **unknown**. Exit 3.
""", revalidate=True, again=True)

ck_case("ck-403-access-denied", 403, "ck-403-access-denied.json", "403 ACCESS_DENIED",
        "private db access disabled", """
# ck-403-access-denied

CloudKit answers HTTP **403** `ACCESS_DENIED` "private db access disabled for this account"
(Apple's error table: 403). icloudpd and pyicloud call this answer throttling, docker-icloudpd
tells users to stop for 6-12 hours; kei reads it as web access being off. icloudmon re-validates
once: the account flags (`validate-ok.json`: web access allowed, no ADP) say it is not a block,
so it is throttling. Sources: Apple, *CloudKit Web Services Reference*, "Error Codes";
icloud-photos.md §6 (ICPD, PYI `_raise_error`; DIC `launcher.sh`; KEI `session.rs`).

- auth **unknown** (throttled: unknown at first, never critical); the summary quotes Apple's
  reason. icloud_upload and local_copy **unknown**. Exit 3.
""", revalidate=True)

ck_case("ck-421-authentication-required", 421, "ck-421-authentication-required.json", "421 AUTHENTICATION_REQUIRED",
        "AUTHENTICATION_REQUIRED", """
# ck-421-authentication-required

CloudKit answers HTTP **421** `AUTHENTICATION_REQUIRED` (Apple's error table: "The request
requires authentication but none was provided", 421), again after one re-validation. Sources:
Apple, *CloudKit Web Services Reference*, "Error Codes"; kei issue #199 quotes a 421 body
"Missing X-APPLE-WEBAUTH-USER cookie".

- One re-validation, one more try, then stop. auth **unknown**, naming the code;
  icloud_upload and local_copy **unknown**. Exit 3.
""", revalidate=True, again=True)

ck_case("ck-429-throttled", 429, "ck-429-throttled.json", "429 THROTTLED, retryAfter 3600", "THROTTLED", """
# ck-429-throttled

CloudKit answers HTTP **429** `THROTTLED` with `retryAfter: 3600` in the body and no
`Retry-After` header: the status of Apple's error table ("The request was throttled. Try the
request again later.", 429). Source: Apple, *CloudKit Web Services Reference*, "Error Codes".

- The body's wait (an hour) is longer than any wait within a cycle: no retry (the replay fails
  on a second request).
- auth **unknown** (throttled: unknown at first, never critical); icloud_upload and local_copy
  **unknown**. Exit 3.
""")

def zone_not_found_exchanges(d, c):
    import mkcase
    exs = mkcase.photos_exchanges(d, c)
    i = next(i for i, e in enumerate(exs) if "CheckIndexingState" in e.get("contains", ""))
    exs[i] = dict(exs[i], status=404, body="../../testdata/ck-404-zone-not-found.json",
                  note="404 ZONE_NOT_FOUND on the personal library")
    return exs[:i + 1]

CASES["ck-404-zone-not-found"] = {
    "assets": P5,
    "exchanges": zone_not_found_exchanges,
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5)},
    "expect": {"exit": 2, "status": "critical", "checks": {"auth": "critical"}, "summaries": {"auth": "setup"}},
    "readme": """
# ck-404-zone-not-found

The zones list names `PrimarySync`, but the first query on it answers HTTP **404**
`ZONE_NOT_FOUND` (Apple's error table: "The zone specified in the request was not found", 404;
rclone's live probe: `HTTP error 404 … ZONE_NOT_FOUND … Zone does not exist`). icloudpd,
pyicloud and kei map `ZONE_NOT_FOUND` to "iCloud not set up for the web". Sources: Apple,
*CloudKit Web Services Reference*, "Error Codes"; rclone `backend/iclouddrive/api/photos.go`
`isZoneNotFoundError`; icloud-photos.md §6.

- auth **critical**: "iCloud setup is not complete" (a blocker a person must clear). Exit 2.
""",
}

CASES["auth-setup-incomplete"] = {
    "assets": [], "photos": {"zones": "zones-private-custom-only.json"},
    "exchanges": [
        {"method": "POST", "path": "/setup/ws/1/validate", "status": 200, "body": "../../testdata/validate-ok.json", "note": "session fine"},
        {"method": "POST", "path": "/database/1/com.apple.photos.cloud/production/private/zones/list", "status": 200,
         "body": "../../testdata/zones-private-custom-only.json", "note": "no PrimarySync zone"},
        {"method": "POST", "path": "/database/1/com.apple.photos.cloud/production/shared/zones/list", "status": 200,
         "body": "../../testdata/zones-shared-empty.json", "note": "shared zones"}],
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5)},
    "expect": {"exit": 2, "status": "critical", "checks": {"auth": "critical"}, "summaries": {"auth": "setup"}},
    "readme": """
# auth-setup-incomplete

The session works but the private database has no `PrimarySync` zone (iCloud Photos never
set up for the web, or turned off).

- auth **critical**: "iCloud setup is not complete". Exit 2.
""",
}

# ---------------------------------------------------------------- cloud-side checks

cloud_case("upload-warning-4-days", """
# upload-warning-4-days

The newest photo reached iCloud 4 days ago; all photos are copied locally.

- icloud_upload **warning**: nothing new for `upload_warning` (3 d) but less than
  `upload_critical` (7 d); the adaptive rule has no history (fewer than 8 gaps), so the fixed
  thresholds apply.
- local_copy ok: all present, and the newest local copy is the newest iCloud photo (lag 0).
- Exit 1.
""", 1, "warning", {"icloud_upload": "warning"}, assets=photos(newest="-4d"))

cloud_case("upload-critical-8-days", """
# upload-critical-8-days

The newest photo reached iCloud 8 days ago; all photos are copied locally.

- icloud_upload **critical**: nothing new for `upload_critical` (7 d); fixed thresholds (no
  history).
- local_copy ok: all present, lag 0 (the lag compares the newest local copy with the newest
  iCloud photo, not with now). Exit 2.
""", 2, "critical", {"icloud_upload": "critical"}, assets=photos(newest="-8d"))

cloud_case("storage-warning-5pct", """
# storage-warning-5pct

storageUsageInfo: 190 GiB used of 200 GiB, 5 % free.

- storage **warning**: less than `storage_warning` (10 %) free, not less than
  `storage_critical` (2 %). Exit 1.
""", 1, "warning", {"storage": "warning"}, photos={"storage": "storage-5pct-free.json"})

cloud_case("storage-critical-1pct", """
# storage-critical-1pct

storageUsageInfo: 198 GiB used of 200 GiB, 1 % free.

- storage **critical**: less than `storage_critical` (2 %) free. Exit 2.
""", 2, "critical", {"storage": "critical"}, photos={"storage": "storage-1pct-free.json"})

cloud_case("session-expiry-warning-3d", """
# session-expiry-warning-3d

The saved web-session cookies expire in 3 days (the trust cookie in 25).

- session_expiry **warning**: the earliest of the web and trust cookies is less than
  `session_warning` (7 d) away, more than `session_critical` (1 d). Exit 1.
""", 1, "warning", {"session_expiry": "warning"}, case={"session": {"web_expires": "+3d", "trust_expires": "+25d"}})

cloud_case("session-expiry-critical-12h", """
# session-expiry-critical-12h

The 2FA trust cookie expires in 12 hours (the web cookies in 20 days).

- session_expiry **critical**: the earliest cookie is less than `session_critical` (1 d) away.
  Exit 2.
""", 2, "critical", {"session_expiry": "critical"}, case={"session": {"web_expires": "+20d", "trust_expires": "+12h"}})

P12 = photos(12)
cloud_case("local-copy-critical-10-missing", """
# local-copy-critical-10-missing

Twelve photos added 1-12 days ago; only the two oldest are in the folder.

- local_copy **critical**: at least `missing_critical` (10) of the newest photos older than
  `grace` have no local copy (also the newest local copy lags 10 d, more than `lag_critical`).
- Exit 2.
""", 2, "critical", {"local_copy": "critical"}, assets=P12, local=copies(P12[10:]))

cloud_case("local-copy-lag-critical", """
# local-copy-lag-critical

Twelve photos added 1-12 days ago; the folder holds only those added 9 days ago and earlier.
`missing_critical` is raised to 50 so that the count (8 missing) alone would only warn.

- local_copy **critical**: the newest local copy (added 9 d ago) is 8 days behind the newest
  iCloud photo (1 d ago): more than `lag_critical` (7 d).
- Exit 2.
""", 2, "critical", {"local_copy": "critical"}, assets=P12, local=copies(P12[8:]), case={"checks": {"missing_critical": 50}})

DEL = lambda purge, name="IMG_0090.HEIC": [{"name": name, "kind": "heic", "size": 1800000, "added": "-20d", "taken": "-20d10m",
                                            "deleted": True, "purge": purge}]
cloud_case("recently-deleted-warning-5d", """
# recently-deleted-warning-5d

Recently Deleted holds one photo (`dateExpunged` in 5 days) that no folder holds.

- recently_deleted **warning**: an item without a local copy is purged within
  `deleted_warning` (7 d), not within `deleted_critical` (2 d). Exit 1.
""", 1, "warning", {"recently_deleted": "warning"}, deleted=DEL("+5d"))

cloud_case("recently-deleted-near-purge", """
# recently-deleted-near-purge

Recently Deleted holds one photo purged in 20 hours that no folder holds.

- recently_deleted **critical**: purged within `deleted_critical` (2 d) without a local copy.
  Exit 2.
""", 2, "critical", {"recently_deleted": "critical"}, deleted=DEL("+20h"))

cloud_case("recently-deleted-protected", """
# recently-deleted-protected

Recently Deleted holds one photo purged in 20 hours, but the folder has its copy (same name
and size).

- recently_deleted **ok**: "Items that still have a local copy are safe and never alert".
  Exit 0.
""", 0, "ok", {}, deleted=DEL("+20h"),
    local=copies(P5) + [{"path": "2026/11/15/IMG_0090.HEIC", "kind": "heic", "size": 1800000, "mtime": "-20d", "taken": "-20d10m"}])

cloud_case("recently-deleted-unknown-purge", """
# recently-deleted-unknown-purge

Recently Deleted holds one photo without a `dateExpunged` field, not held by any folder.

- recently_deleted **warning**: "an item without a local copy ... or its purge date is
  unknown". Exit 1.
""", 1, "warning", {"recently_deleted": "warning"}, deleted=DEL(None))

cloud_case("hidden-notice-first-day", """
# hidden-notice-first-day

The counts batch reports 3 hidden items (`CPLAssetHiddenByAssetDate`); `hidden` is the
default `notice`, libraries `[personal]`, and this is the first cycle (no history).

- library_coverage **warning**: with `hidden: notice`, hidden items that no folder holds
  "first appear"; "without a record it is treated as new". Exit 1.
""", 1, "warning", {"library_coverage": "warning"}, hidden_count=3)

cloud_case("hidden-ignore", """
# hidden-ignore

3 hidden items, `hidden: ignore`.

- library_coverage **ok**: "`ignore`: never a warning; the count is still in the summary as a
  note". The summary mentions the hidden items. Exit 0.
""", 0, "ok", {}, hidden_count=3, account={"hidden": "ignore"}, summaries={"library_coverage": "hidden"})

cloud_case("hidden-warn", """
# hidden-warn

3 hidden items, `hidden: warn`.

- library_coverage **warning**: "`warn`: any hidden item without a folder warns on every
  cycle". Exit 1.
""", 1, "warning", {"library_coverage": "warning"}, hidden_count=3, account={"hidden": "warn"})

SHARED = "SharedSync-6E1C0494-1BF4-4928-BD07-3FD81633193E"
cloud_case("shared-library-owner-uncovered", """
# shared-library-owner-uncovered

The account owns an iCloud Shared Library (`SharedSync-…` zone in the private database, the
shape of pyicloud's `photos_shared_library_private_zones_response.json`); libraries is the
default `[personal]`.

- library_coverage **warning**: "a library is not covered" (its photos are not in the
  personal library). The summary names the zone. Exit 1.
""", 1, "warning", {"library_coverage": "warning"}, photos={"owner": True}, summaries={"library_coverage": "SharedSync"})

SP = [{"name": "IMG_7001.HEIC", "kind": "heic", "size": 2500000, "added": "-2d", "taken": "-2d30m"},
      {"name": "IMG_7000.HEIC", "kind": "heic", "size": 2400000, "added": "-3d", "taken": "-3d30m"}]
cloud_case("shared-library-participant-covered", """
# shared-library-participant-covered

The account takes part in someone else's Shared Library (`SharedSync-…` zone in the shared
database, owner `_bob`), `libraries: [personal, shared]`, and the folder holds the photos of
both libraries.

- library_coverage **ok**: every library is covered (no hidden items).
- local_copy **ok**: the newest photos of both monitored libraries are present. Exit 0.
""", 0, "ok", {}, account={"libraries": ["personal", "shared"]},
    photos={"participant": {"zone": SHARED, "assets": SP}}, local=copies(P5) + copies(SP))

def shared_index_exchanges(d, c):
    import mkcase
    z = mkcase.zone("PrimarySync", "_alice")
    assets = c["assets"]
    cb = mkcase.counts(len(assets), len(assets), 0, 0)
    cb["batch"] += mkcase.counts(2, 2)["batch"]  # the Shared Library: library and added-date counts
    mkcase.write(d + "/responses/05-counts.json", cb)
    mkcase.write(d + "/responses/07-newest.json", mkcase.page(assets, z, "SYNC_TOKEN_301"))
    ck = mkcase.CK + "private/"
    return [
        mkcase.ex("POST", "/setup/ws/1/validate", 200, mkcase.PK + "validate-ok.json", note="validate the saved session"),
        mkcase.ex("POST", ck + "zones/list", 200, mkcase.PK + "zones-private-owner.json", note="private zones: PrimarySync and an owned SharedSync"),
        mkcase.ex("POST", mkcase.CK + "shared/zones/list", 200, mkcase.PK + "zones-shared-empty.json", note="shared zones"),
        mkcase.ex("POST", ck + "changes/database", 200, mkcase.PK + "changes-private-owner.json", note="baseline changes"),
        mkcase.ex("POST", ck + "internal/records/query/batch", 200, "responses/05-counts.json", contains="HyperionIndexCountLookup", note="counts of both libraries"),
        mkcase.ex("POST", ck + "records/query", 200, mkcase.PK + "indexing-finished.json", contains="CheckIndexingState", note="indexing, personal"),
        mkcase.ex("POST", ck + "records/query", 200, "responses/07-newest.json", contains="CPLAssetAndMasterByAddedDate", note="newest, personal"),
        mkcase.ex("POST", ck + "records/query", 200, mkcase.PK + "indexing-finished.json", contains="CheckIndexingState", note="indexing, Shared Library (answered, as in kei #704)"),
        mkcase.ex("POST", ck + "records/query", 400, mkcase.PK + "ck-400-index-invalid.json", contains="CPLAssetAndMasterByAddedDate", note="400 Index has invalid data on the Shared Library"),
        mkcase.ex("POST", "/setup/ws/1/storageUsageInfo", 200, mkcase.PK + "storage-half-free.json", note="storage"),
    ]

cloud_case("shared-library-index-invalid", """
# shared-library-index-invalid

The account owns a Shared Library and monitors both libraries (`libraries: [personal, shared]`).
The personal library answers normally; the list query on the Shared Library answers HTTP
**400** `BAD_REQUEST` "Index has invalid data", while its `CheckIndexingState` succeeds. Sources:
rclone PR #9234 (live `400 … BAD_REQUEST … Index has invalid data` on a non-personal zone) and
`backend/iclouddrive/api/photos.go` `isSharedAlbumIndexError`; kei issue #704 (same body, the
whole account's sync aborted, `CheckIndexingState` of the zone succeeded); icloudpy issue #179
(same reason on `SharedSync-…`); Apple's error table gives `BAD_REQUEST` status 400.

- indexing **unknown**: library shared could not be listed; the summary quotes Apple's reason
  (docs/checks.md, indexing).
- local_copy **unknown**: the personal library's photos are all present, but the Shared
  Library could not be read, so "all copied" cannot be vouched for; the summary names it.
- auth, session_expiry, icloud_upload (the personal library), storage, recently_deleted,
  library_coverage and folder **ok**: one library's failure does not blind the others. Exit 3.
""", 3, "unknown", {"indexing": "unknown", "local_copy": "unknown"}, account={"libraries": ["personal", "shared"]},
    exchanges=shared_index_exchanges, summaries={"indexing": "Index has invalid data", "local_copy": "shared"})

cloud_case("shared-library-own-folder", """
# shared-library-own-folder

The account takes part in a Shared Library (`libraries: [personal, shared]`), and the Shared
Library is downloaded into a folder of its own (`photos` holds `[personal]`, `shared` holds
`[shared]`), as two icloudpd runs (`--library SharedSync-…` into another directory) do. The
newest Shared Library photo, IMG_7001.HEIC, is not in the shared folder; a file of that name and
size sits in the personal folder (a copy saved there by hand).

- local_copy **warning**: docs/checks.md, *local_copy* / *Which folder holds which library*: "a
  library is compared only with the folders that hold it", so IMG_7001 is missing from the
  shared folder ("1 of the newest 2 photos is not in …/shared") and the file in the personal
  folder does not stand in for it; the personal folder holds all 5 personal photos. One missing
  photo = `missing_warning` (1).
- library_coverage **ok**: each monitored library has a folder.
- The other checks ok. Exit 1. Before issue 26 a folder could not say which library it holds.
""", 1, "warning", {"local_copy": "warning"}, account={"libraries": ["personal", "shared"]},
    photos={"participant": {"zone": SHARED, "assets": SP}},
    case={"folders": [{"name": "photos", "layout": "icloudpd", "libraries": ["personal"]},
                      {"name": "shared", "layout": "icloudpd", "libraries": ["shared"]}]},
    local={"photos": copies(P5) + copies(SP[:1]), "shared": copies(SP[1:])},
    summaries={"local_copy": "1 of the newest 2 photos is not in"})

cloud_case("shared-library-participant-uncovered", """
# shared-library-participant-uncovered

The account takes part in a Shared Library (shared database) but `libraries` is `[personal]`.

- library_coverage **warning**: a library exists in iCloud that no folder covers. Exit 1.
""", 1, "warning", {"library_coverage": "warning"}, photos={"shared_zones": "zones-shared-participant.json"})

CASES["indexing-running"] = {
    "assets": P5, "photos": {"indexing": "indexing-running.json"},
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5)},
    "expect": {"exit": 3, "status": "unknown", "checks": {"indexing": "unknown", "auth": "ok", "folder": "ok"}},
    "readme": """
# indexing-running

CheckIndexingState answers `RUNNING` (40 %), the state pyicloud's
`photos_indexing_not_finished_response.json` shows before FINISHED.

- indexing **unknown**: "While it runs the other results are incomplete, so this check is
  unknown, never critical".
- auth ok (signed in), folder ok (exists with files). The library is not listed, so nothing
  here may claim ok about uploads or copies; overall unknown, exit 3.
""",
}

cloud_case("folder-missing", """
# folder-missing

The configured folder does not exist (a share that was not mounted).

- folder **critical**: "it does not exist".
- local_copy **unknown**: "the folder could not be scanned". Exit 2 (critical is worst).
""", 2, "critical", {"folder": "critical", "local_copy": "unknown"}, local=[],
    case={"folders": [{"name": "photos", "layout": "icloudpd", "absent": True}]})

cloud_case("folder-empty-mount-point", """
# folder-empty-mount-point

The configured folder exists but is empty, on the very first run (no earlier scan, so no "had
N files" baseline): what a NAS share that was not mounted leaves behind, an empty mount point.
iCloud has five photos in the personal library, which this folder should hold.

- folder **critical**: docs/checks.md, *folder*: "it is empty while a library it holds has
  photos" ("is the share mounted?"). Before issue 26 this was "ok, 0 files" on a first run.
- local_copy **warning**: all 5 newest photos (1-5 days old, past the 6 h grace) are missing,
  fewer than `missing_critical` (10), and the lag is at least 4 days, under `lag_critical` (7 d).
- The other checks ok. Exit 2 (critical is worst).
""", 2, "critical", {"folder": "critical", "local_copy": "warning"}, local=[],
    summaries={"folder": "is the share mounted?"})

CASES["no-folder-configured"] = {
    "assets": P5,
    "case": dict(base_case("icloudpd"), folders=[]),
    "local": None,
    "expect": {"exit": 1, "status": "warning",
               "checks": dict(ALL_OK, library_coverage="warning"),
               "summaries": {"folder": "Not configured", "local_copy": "Not configured",
                             "library_coverage": "iCloud is the only copy"}},
    "readme": """
# no-folder-configured

An account without folders (a family that relies on iCloud alone): the cloud-side checks judge,
the local ones have nothing to compare.

- folder and local_copy **ok**, summary "Not configured" (docs/checks.md, *folder* and
  *local_copy*: "no folder is configured for the account" is ok with `not_configured: true` in
  the JSON, not unknown). The status enum is a contract (metrics, exit codes, alert rules), so
  "not configured" is a flag on an ok result rather than a fifth status.
- library_coverage **warning**: "No local folder is configured: iCloud is the only copy"
  (docs/checks.md, *library_coverage*: an account without any folder warns that iCloud Photos
  syncs devices and is not a backup).
- auth, session_expiry, icloud_upload (newest 1 d ago), storage (50 % free), recently_deleted
  (empty), indexing: ok.
- Overall warning, exit 1: the exit code follows the cloud checks plus that warning.

**Why the expectation changed (issue 26).** Until then this case expected folder **unknown**,
overall unknown and exit 3. That verdict never cleared: no user action short of configuring a
folder made it go away, `verify` exited 3 ("could not check") for an account whose every cloud
check was fine, and library_coverage said "every iCloud library is covered by a local folder"
while there was none. An unknown that no one can clear is an alarm people learn to ignore; the
honest verdict is that the local checks are not configured and that iCloud holds the only copy.
""",
}

CASES["auth-2fa-409-after-signin"]["files"] = {"responses/complete-409.json": {
    "authType": "hsa2", "trustedDevices": [], "trustedPhoneNumbers": [{"id": 1, "obfuscatedNumber": "(•••) •••-••12", "pushMode": "sms", "numberWithDialCode": "+1 (•••) •••-••12"}],
    "securityCode": {"length": 6, "tooManyCodesSent": False, "tooManyCodesValidated": False, "securityCodeLocked": False, "securityCodeCooldown": False},
    "noTrustedDevices": False, "supportsRecovery": True}}
CASES["auth-security-key-only"]["files"] = {"responses/complete-409-fsa.json": {
    "authType": "hsa2", "keyNames": ["YubiKey 5C"], "fsaChallenge": {"challenge": "Y2hhbGxlbmdl", "keyHandles": ["a2V5"], "rpId": "apple.com"},
    "trustedPhoneNumbers": [], "noTrustedDevices": True}}

# ---------------------------------------------------------------- importer layouts

def renamed_case(name, layout, path, readme, kinds=None, local_extra=None, account=None, exit_code=0, status="ok", checks=None,
                 same_size=False):
    """Renamed copies; converted (another size) unless same_size: the importer keeps the bytes."""
    assets = photos() if kinds is None else kinds
    files = []
    for a in assets:
        size = a["size"] if same_size else a["size"] + 12345
        files.append({"path": path(a), "kind": a["kind"], "size": size, "mtime": a["added"], "taken": a["taken"]})
    cloud_case(name, readme, exit_code, status, checks or {}, assets=assets, local=files + (local_extra or []), layout=layout, account=account)

def stamp(a, fmt):
    # the capture wall clock is only known at run time, so renamed files carry a fixed
    # name; matching happens by capture time read from their headers
    return fmt % int(a["name"][4:8])

renamed_case("windows-apple-devices", "windows", lambda a: "DCIM/202612__/" + a["name"].replace(".HEIC", ".JPG"), """
# windows-apple-devices

Windows "Apple Devices" / Photos import (`layout: windows`) with the iPhone's default
*Transfer to Mac or PC: Automatic*: the HEIC originals arrive converted to JPEG, in
`DCIM/YYYYMM__/IMG_NNNN.JPG`, with another size and the original capture time in EXIF.

- local_copy **ok**: in a folder whose layout renames files (`windows`), a file with another
  name but the same capture time "counts as present with a note" (and design §2.4 tolerates
  `.JPG` for converted HEIC).
- Every other check ok. Exit 0.
""")
for f in CASES["windows-apple-devices"]["local"]["photos"]:
    f["kind"] = "jpeg"

cloud_case("mac-photos-export-originals", """
# mac-photos-export-originals

Mac Photos / osxphotos export of the originals (`layout: osxphotos`): `2026/December/NAME`
with Apple's names and sizes.

- local_copy **ok**: matched by name and size. Every check ok; exit 0.
""", 0, "ok", {}, layout="osxphotos", local=copies(P5, path=lambda a: "2026/December/" + a["name"]))

renamed_case("mac-photos-export-current", "osxphotos", lambda a: "Export/" + a["name"].replace(".HEIC", ".jpeg"), """
# mac-photos-export-current

Mac Photos "Export N Photos" without "Export Unmodified Original" (`layout: osxphotos`): the
HEIC originals were converted to JPEG (`IMG_0005.jpeg`, another size), the capture time
stays in EXIF.

- local_copy **ok**: the folder's layout renames/re-encodes files, so a same-capture-time
  file counts as present (with a note). Exit 0.
""", kinds=[dict(a, kind="heic") for a in P5])
# the exported files are JPEGs: fix the kind of the local files
for f in CASES["mac-photos-export-current"]["local"]["photos"]:
    f["kind"] = "jpeg"

renamed_case("immich-upload-layout", "immich", lambda a: "upload/7c3f9a2e-5b1d-4e8a-9f0c-2d6b8e4a1c3f/%02x/%02x/%08x-4c1d-4e8a-9f0c-2d6b8e4a1c3f.heic" % (
    int(a["name"][4:8]) % 256, int(a["name"][4:8]) // 256, int(a["name"][4:8])), """
# immich-upload-layout

Immich upload storage (`upload/<user-uuid>/<xx>/<yy>/<asset-uuid>.heic`, `layout: immich`):
UUID names, Apple's sizes (Immich stores the bytes it was given and checks size and checksum
when it moves them: immich `server/src/cores/storage.core.ts`), capture time in EXIF.

- local_copy **ok**: `immich` renames files, so capture-time matches count as present when
  the size agrees with one of the photo's versions (docs/checks.md, *Matches by capture time
  only*). Exit 0.
""", same_size=True)

cloud_case("immich-library-layout", """
# immich-library-layout

Immich library with the default storage template (`library/<user>/YYYY/YYYY-MM-DD/NAME`,
`layout: immich`), keeping Apple's names and sizes.

- local_copy **ok**: matched by name and size. Exit 0.
""", 0, "ok", {}, layout="immich", local=copies(P5, path=lambda a: "library/admin/2026/2026-12-01/" + a["name"]))

MIXED = [{"name": "IMG_0210.MOV", "kind": "mov", "size": 9000000, "added": "-1d", "taken": "-1d20m"},
         {"name": "IMG_0209.JPG", "kind": "jpeg", "size": 3000000, "added": "-2d", "taken": "-2d20m"},
         {"name": "IMG_0208.HEIC", "kind": "heic", "size": 2000000, "added": "-3d", "taken": "-3d20m"}]
renamed_case("photoprism-originals", "photoprism", lambda a: "originals/2026/12/2026120%d_101500_%08X.%s" % (
    int(a["name"][4:8]) - 200, int(a["name"][4:8]) * 7919, {"mov": "mov", "jpeg": "jpg", "heic": "heic"}[a["kind"]]), """
# photoprism-originals

PhotoPrism originals after import (`originals/YYYY/MM/YYYYMMDD_HHMMSS_<crc>.ext`,
`layout: photoprism`): a video, a JPEG and a HEIC, renamed, with their capture times in the
MOV movie header and in EXIF.

- local_copy **ok**: `photoprism` renames files; capture time, kind and size match (the import
  moves or copies the file unchanged: photoprism `internal/photoprism/import_worker.go`).
  Exit 0.
""", kinds=MIXED, same_size=True)

cloud_case("google-photos-takeout", """
# google-photos-takeout

A Google Photos Takeout (`Takeout/Google Photos/Photos from 2026/NAME` plus the
`NAME.supplemental-metadata.json` sidecars), `layout: flat`: original names and sizes.

- local_copy **ok**: matched by name and size; the JSON sidecars are extra files, not
  photos of the library. Exit 0.
""", 0, "ok", {}, layout="flat", local=copies(P5, path=lambda a: "Takeout/Google Photos/Photos from 2026/" + a["name"]) + [
    {"path": "Takeout/Google Photos/Photos from 2026/" + a["name"] + ".supplemental-metadata.json", "kind": "bin", "size": 900, "mtime": a["added"]} for a in P5])

renamed_case("onedrive-camera-roll", "auto", lambda a: "Pictures/Camera Roll/2026/12/202612%02d_101500%03d_iOS.heic" % (
    int(a["name"][4:8]), int(a["name"][4:8])), """
# onedrive-camera-roll

A OneDrive camera roll (`Pictures/Camera Roll/YYYY/MM/YYYYMMDD_HHMMSSmmm_iOS.heic`) with the
folder left at `layout: auto`: every copy is renamed, with its capture time in EXIF.

- local_copy **ok**: for `auto`, "when at least half of the copies found are capture-time-only
  matches, the importer evidently renames files (a OneDrive camera roll ...) and they count as
  present with a note". Here all five are. Exit 0.
""")

def one_renamed(layout):
    files = copies(P5)
    files[2] = dict(files[2], path="2026/12/01/holiday.heic", size=P5[2]["size"] + 777)
    return files

cloud_case("icloudpd-renamed-suspicious", """
# icloudpd-renamed-suspicious

`layout: icloudpd`; four copies keep Apple's names and sizes, one (IMG_0003) exists only as
`holiday.heic` with another size but the same capture time.

- local_copy **warning**: "photos were matched only by capture time in a folder whose layout
  does not rename files"; "For `icloudpd`, it is suspicious and warns". Exit 1.
""", 1, "warning", {"local_copy": "warning"}, local=one_renamed("icloudpd"))

cloud_case("auto-few-renamed", """
# auto-few-renamed

`layout: auto`; four of five copies keep Apple's names, one is renamed (same capture time).

- local_copy **warning**: for `auto`, "when only a few are [capture-time-only matches], those
  few warn, because a folder that keeps Apple's names has no reason to rename them"
  (1 of 5 is less than half). Exit 1.
""", 1, "warning", {"local_copy": "warning"}, layout="auto", local=one_renamed("auto"))

# ---------------------------------------------------------------- naming rules (docs/checks.md, local_copy)

NA = photos()
NA[0] = dict(NA[0], name="Cafe\u0301.HEIC")   # decomposed (NFD), as Photos on a Mac sends it
NA[1] = dict(NA[1], name="写真.JPG", kind="jpeg")
NA[2] = dict(NA[2], name="東京.HEIC")
NA[3] = dict(NA[3], name="a:b?.HEIC")
NA_DEFAULT = ["Cafe.HEIC", ".JPG.JPG", ".HEIC.HEIC", "a_b_.HEIC", "IMG_0001.HEIC"]
NA_KEEP = ["Cafe\u0301.HEIC", "写真.JPG", "東京.HEIC", "a_b_.HEIC", "IMG_0001.HEIC"]

def named(assets, names, d="2026/12/01/"):
    return [{"path": d + n, "kind": a["kind"], "size": a["size"], "mtime": a["added"], "taken": a["taken"]}
            for a, n in zip(assets, names)]

cloud_case("icloudpd-non-ascii-names", """
# icloudpd-non-ascii-names

icloudpd with its default name cleaning (`layout: icloudpd`). Apple sends the names as
`filenameEnc`; icloudpd replaces `<>:"/\\|?*` and NUL by `_` (`clean_filename`) and drops
every non-ASCII character from the name as received, without normalising it
(`remove_unicode_chars`, icloud-photos-downloader `src/icloudpd/paths.py`, applied in
`src/icloudpd/base.py` `build_filename_cleaner`). It then cuts the extension with Python's
`os.path.splitext` and appends the type's extension (`src/pyicloud_ipd/asset_version.py`
`calculate_asset_version_filename`):

| name sent by Apple | saved by icloudpd |
|---|---|
| `Cafe\u0301.HEIC` (decomposed, NFD) | `Cafe.HEIC` |
| `写真.JPG` | `.JPG.JPG` (`.JPG` has no extension for Python) |
| `東京.HEIC` | `.HEIC.HEIC` |
| `a:b?.HEIC` | `a_b_.HEIC` |
| `IMG_0001.HEIC` | `IMG_0001.HEIC` |

Each copy has Apple's size.

- local_copy **ok**: docs/checks.md, *How icloudpd names files*: the names are derived from
  the bytes Apple sends, as icloudpd does, and matched with the size. Exit 0.
""", 0, "ok", {}, assets=NA, local=named(NA, NA_DEFAULT))

cloud_case("icloudpd-keep-unicode", """
# icloudpd-keep-unicode

icloudpd with `--keep-unicode-in-filenames` (`layout: icloudpd`): the cleaner is the identity
(icloud-photos-downloader `src/icloudpd/base.py` `build_filename_cleaner`), so the names are
written as received: `Cafe\u0301.HEIC` stays decomposed, `写真.JPG` and `東京.HEIC` keep their
characters; only `a:b?.HEIC` still becomes `a_b_.HEIC` (`clean_filename` always applies).

- local_copy **ok**: docs/checks.md, *How icloudpd names files* ("the name is written as
  received ... both forms match"). Exit 0.
""", 0, "ok", {}, assets=NA, local=named(NA, NA_KEEP))

PP = [dict(a, tz=7200) for a in photos()]
cloud_case("photoprism-utc-names", """
# photoprism-utc-names

PhotoPrism originals (`layout: photoprism`) of five photos taken in a UTC+2 zone
(`timeZoneOffset: 7200`) with a location. PhotoPrism names each file after its capture time
in UTC, `YYYYMMDD_HHMMSS_<CRC32>.heic` (photoprism `internal/photoprism/mediafile.go`
`CanonicalName` → `pkg/fs/canonical.go`; `TakenAt` is UTC, with the zone of the GPS position:
`internal/meta/exif.go`). The files' headers cannot be read (`kind: bin`), so the names are
the only witness of the time; the sizes are Apple's (the import keeps the bytes).

- local_copy **ok**: docs/checks.md, *PhotoPrism names*: the time in a canonical name matches
  the capture instant (UTC) or the wall clock; with the size as second witness (*Matches by
  capture time only*) each file counts as present in a renaming layout. Read as local wall
  clocks, all five would be two hours off and missing. Exit 0.
""", 0, "ok", {}, assets=PP, layout="photoprism",
    local=[{"path": "originals/2026/12/{{utc:%s}}_%08X.heic" % (a["taken"], 0x4286DBC0 + i), "kind": "bin", "size": a["size"],
            "mtime": a["added"]} for i, a in enumerate(PP)])

IM = photos(4, start=2) + [{"name": "IMG_0001.MOV", "kind": "mov", "size": 9000000, "added": "-5d", "taken": "-5d10m"}]
cloud_case("immich-not-a-stand-in", """
# immich-not-a-stand-in

An Immich library (`layout: immich`). Three photos are in `upload/…/<uuid>.heic` with Apple's
sizes (Immich keeps the uploaded bytes: immich `server/src/cores/storage.core.ts` checks size
and checksum when it moves a file). The newest photo, IMG_0005, is not there, but another
family member's photo taken in the same second is (another size). The video IMG_0001.MOV is
only there as Immich's transcode, `encoded-video/<user>/xx/yy/<id>.mp4` (another size).

- local_copy **warning**: docs/checks.md, *Matches by capture time only*: in a renaming layout
  a capture-time-only match needs the size of one of the photo's versions, so neither file
  stands in; 2 of the newest 5 are missing, at least `missing_warning` (1) and fewer than
  `missing_critical` (10); the newest copy lags by 1 day, less than `lag_critical`. Exit 1.
""", 1, "warning", {"local_copy": "warning"}, assets=IM, layout="immich", summaries={"local_copy": "2 of the newest 5"},
    local=[{"path": "upload/7c3f9a2e-5b1d-4e8a-9f0c-2d6b8e4a1c3f/a%d/b%d/a%d0b%d000-4c1d-4e8a-9f0c-2d6b8e4a1c3f.heic" % (i, i, i, i),
            "kind": "heic", "size": a["size"], "mtime": a["added"], "taken": a["taken"]} for i, a in enumerate(IM[1:4])] + [
        {"path": "upload/0d9e8f7a-1111-4e8a-9f0c-2d6b8e4a1c3f/c1/c2/c1c20000-4c1d-4e8a-9f0c-2d6b8e4a1c3f.heic",
         "kind": "heic", "size": 2700000, "mtime": IM[0]["added"], "taken": IM[0]["taken"]},
        {"path": "encoded-video/7c3f9a2e-5b1d-4e8a-9f0c-2d6b8e4a1c3f/e1/e2/e1e20000-4c1d-4e8a-9f0c-2d6b8e4a1c3f.mp4",
         "kind": "mp4", "size": 3000000, "mtime": IM[4]["added"], "taken": IM[4]["taken"]}])

AD = photos()
for i in (0, 2):
    AD[i] = dict(AD[i], edited_size=AD[i]["size"] - 600000, edited_kind="jpeg")
AD_LOCAL = [{"path": "2026/12/01/" + a["name"].replace(".HEIC", ".JPG"), "kind": "jpeg", "size": a["edited_size"],
             "mtime": a["added"], "taken": a["taken"]} if a.get("edited_size") else
            {"path": "2026/12/01/" + a["name"], "kind": a["kind"], "size": a["size"], "mtime": a["added"], "taken": a["taken"]}
            for a in AD]

cloud_case("icloudpd-size-adjusted", """
# icloudpd-size-adjusted

icloudpd with `--size adjusted` (`layout: icloudpd`, folder `renditions: edited`). Two of the
five photos were edited on the iPhone (`resJPEGFullRes`, JPEG); icloudpd saves their edited
version under the original's name with the JPEG extension (`IMG_0005.JPG`), adding
`-adjusted` only when the original is downloaded too, and falls back to the original for
unedited photos (icloud-photos-downloader `src/pyicloud_ipd/utils.py`
`disambiguate_filenames`, `src/icloudpd/base.py` `download_builder`).

- local_copy **ok**: docs/checks.md, *Edited versions*: a file of the edited version's size is
  the edited version; in a folder declared `renditions: edited` it counts as the copy. Exit 0.
""", 0, "ok", {}, assets=AD, local=AD_LOCAL, case={"folders": [{"name": "photos", "layout": "icloudpd", "renditions": "edited"}]})

cloud_case("icloudpd-size-adjusted-undeclared", """
# icloudpd-size-adjusted-undeclared

The folder of [icloudpd-size-adjusted](../icloudpd-size-adjusted/) (icloudpd `--size
adjusted`: two photos only as their edited version, under the original's name), with the
folder's `renditions` left at the default, `original`.

- local_copy **warning**: docs/checks.md, *Edited versions*: "a photo of which only the edited
  version is here is reported as 'only the edited version is here' (warning ...), never as
  missing". Exit 1.
""", 1, "warning", {"local_copy": "warning"}, assets=AD, local=AD_LOCAL,
    summaries={"local_copy": "only the edited version is here"})

renamed_case("windows-edited-renders", "windows", lambda a: "DCIM/202612__/" + a["name"].replace("IMG_", "IMG_E"), """
# windows-edited-renders

Windows "Apple Devices" import of photos edited on the iPhone (`layout: windows`): the folder
holds only the edited renders `IMG_ENNNN.HEIC` (another size than the originals), with the
original capture time in EXIF; the originals are not there.

- local_copy **warning**: docs/checks.md, *Edited versions*: an `IMG_E…` file with the photo's
  capture time is its edited version and never stands in for the original; with the
  default `renditions: original` each is reported as "only the edited version is here"
  (warning), neither ok nor missing. Exit 1.
""", exit_code=1, status="warning", checks={"local_copy": "warning"})
CASES["windows-edited-renders"]["expect"]["summaries"] = {"local_copy": "only the edited version is here for 5 photos"}

# ---------------------------------------------------------------- unknown states

cloud_case("session-expiry-undated", """
# session-expiry-undated

The saved web and trust cookies carry no expiry (browser session cookies), so the session's
end cannot be forecast; the session itself still validates.

- session_expiry **ok**, with a summary saying that Apple's cookies state no expiry date and no
  advance warning is possible (docs/checks.md, session_expiry: "the sign-in works and none of the
  session's cookies states an expiry date"). An unknown here would never clear: it is the
  server's answer, not something the user can change, so `verify` would exit 3 for ever. The
  failure it cannot forecast is still caught: `auth` turns critical when Apple asks for a new
  sign-in.
- Everything else ok; overall ok, exit 0.
""", 0, "ok", {}, case={"session": {"web_expires": "", "trust_expires": ""}})

CASES["storage-unreadable"] = {
    "assets": P5, "photos": {"storage": "storage-malformed.json"},
    "case": base_case("icloudpd"),
    "local": {"photos": copies(P5)},
    "expect": expect(3, "unknown", storage="unknown"),
    "readme": """
# storage-unreadable

storageUsageInfo answers 200 without `storageUsageInfo` (a changed or partial answer).

- storage **unknown**: the free share cannot be judged and "missing data is never reported as
  ok" (docs/checks.md, status table). The Photos reads worked, so every other check is judged
  as in healthy-icloudpd-default (ok). Overall unknown, exit 3.
""",
}

cloud_case("hidden-count-unreadable", """
# hidden-count-unreadable

The counts batch answers every count of the personal library except the hidden count
(`CPLAssetHiddenByAssetDate` entry carries a `serverErrorCode`).

- library_coverage **unknown**: "the hidden count could not be read for a personal library".
  Overall unknown, exit 3.
""", 3, "unknown", {"library_coverage": "unknown"}, hidden_count_error=True)

# ---------------------------------------------------------------- pending
# Cases whose verdict the product does not meet yet (see README.md, Pending). They are
# written with `python3 tools/mkcase.py --pending` for a local run; move them into CASES
# once the product is fixed.

PENDING = {}


def audit_exchanges(d, c):
    """A first cycle with the whole-library audit on: the usual snapshot,
    then one changes/zone page with every record of the personal library."""
    import mkcase
    newest = c["assets"][:5]
    exs = mkcase.photos_exchanges(d, dict(c, assets=newest))
    # the counts are of the whole library (8), the newest page holds the 5 asked
    mkcase.write(d + "/responses/05-counts.json", mkcase.counts(len(c["assets"]), len(c["assets"]), 0, 0))
    mkcase.write(d + "/responses/09-zone-changes.json", mkcase.zone_changes(c["assets"], mkcase.zone("PrimarySync", "_alice"), "SYNC_TOKEN_501"))
    exs.append(mkcase.ex("POST", mkcase.CK + "private/changes/zone", 200, "responses/09-zone-changes.json",
                         contains="PrimarySync", note="audit mirror: the whole zone, one page"))
    return exs

OLD3 = [{"name": "IMG_%04d.HEIC" % (1000 + i), "kind": "heic", "size": 1500000 + 777 * i,
         "added": "-%dd" % (400 + 30 * i), "taken": "-%dd3h" % (400 + 30 * i)} for i in range(3)]

CASES["audit-old-photo-missing"] = {
    "assets": P5 + OLD3,
    "exchanges": audit_exchanges,
    "case": dict(base_case("icloudpd"), checks={"newest": 5}, audit={"enabled": True}),
    "local": {"photos": copies(P5 + [OLD3[0], OLD3[2]], path=lambda a: "2026/12/01/" + a["name"])},
    "expect": expect(0, "ok"),
    "readme": """
# audit-old-photo-missing

The whole-library audit (issue 20) on a library of eight photos: the five newest (added 1-5 days
ago) and three old ones (added 400, 430 and 460 days ago). The folder holds all but the old
`IMG_1001.HEIC`. `checks.newest` is 5, so the newest-N read never sees the old photos.

Exchanges: the first-cycle snapshot of [healthy-icloudpd-default](../healthy-icloudpd-default/)
(counts of 8, a newest page of 5), then **one `changes/zone`** request for `PrimarySync` answered
with every CPLMaster and CPLAsset record of the zone, a `syncToken` and `moreComing: false`, in the
shape of kei's `docs/synctoken-reference.md` ("/changes/zone") and pyicloud's
`tests/fixtures/photos_zone_changes_response.json`. The strict replay fails the case if the agent
does not ask it, asks it twice, or asks anything else after it.

- local_copy ok: the five newest photos are all present; the missing photo is not among them
  (docs/checks.md, local_copy looks at the newest `checks.newest` assets only).
- Every other check ok as in healthy-icloudpd-default. Exit 0.
- library_audit (docs/checks.md, once its evaluation lands) must say warning with one photo
  missing (`IMG_1001.HEIC`); add it to expect.json then.
""",
}
