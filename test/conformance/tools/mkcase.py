#!/usr/bin/env python3
"""Writes the Apple-shaped bodies of conformance cases (newest page, counts,
Recently Deleted) from a compact list of assets, in the record shape of the
recorded pages (icloudpd-extracted/real_2023_added_page.json: CPLMaster +
CPLAsset pairs). Expectations and READMEs are written by hand; this only
saves typing record JSON. Usage: from test/conformance, `python3 tools/mkcase.py`.
"""
import base64, json, os, sys

PK = "../../testdata/"
UTI = {"heic": "public.heic", "jpeg": "public.jpeg", "mov": "com.apple.quicktime-movie", "mp4": "public.mpeg-4"}

def zone(name, owner):
    return {"zoneName": name, "ownerRecordName": owner, "zoneType": "REGULAR_CUSTOM_ZONE"}

def pair(i, a, z):
    """a: dict name,kind,size,added,taken[,hidden,deleted,purge]"""
    m = "M%04d%s" % (i, z["zoneName"][:6])
    video = a["kind"] in ("mov", "mp4")
    master = {"recordName": m, "recordType": "CPLMaster", "fields": {
        "filenameEnc": {"value": base64.b64encode(a["name"].encode()).decode(), "type": "ENCRYPTED_BYTES"},
        "itemType": {"value": UTI[a["kind"]], "type": "STRING"},
        "dataClassType": {"value": 2 if video else 1, "type": "INT64"},
        "resOriginalRes": {"value": {"fileChecksum": m, "size": a["size"], "downloadURL": "{{SERVER}}/B/" + m + "/${f}"}, "type": "ASSETID"},
        "resOriginalFileType": {"value": UTI[a["kind"]], "type": "STRING"},
        "resOriginalWidth": {"value": 4032, "type": "INT64"}, "resOriginalHeight": {"value": 3024, "type": "INT64"},
        "resOriginalFingerprint": {"value": m, "type": "STRING"}},
        "recordChangeTag": "1s2f", "deleted": False, "zoneID": z}
    af = {"assetDate": {"value": "{{ms:%s}}" % a["taken"], "type": "TIMESTAMP"},
          "addedDate": {"value": "{{ms:%s}}" % a["added"], "type": "TIMESTAMP"},
          "timeZoneOffset": {"value": a.get("tz", 0), "type": "INT64"},
          "masterRef": {"value": {"recordName": m, "action": "DELETE_SELF", "zoneID": z}, "type": "REFERENCE"},
          "isHidden": {"value": 1 if a.get("hidden") else 0, "type": "INT64"},
          "isFavorite": {"value": 0, "type": "INT64"}, "assetSubtypeV2": {"value": 0, "type": "INT64"},
          "duration": {"value": 7 if video else 0, "type": "INT64"}}
    if a.get("edited_size"):
        # the rendered edit (resJPEGFullRes, on the CPLAsset; its type may be HEIC)
        ek = a.get("edited_kind", "jpeg")
        af["resJPEGFullRes"] = {"value": {"fileChecksum": m + "E", "size": a["edited_size"], "downloadURL": "{{SERVER}}/E/" + m + "/${f}"}, "type": "ASSETID"}
        af["resJPEGFullFileType"] = {"value": UTI[ek], "type": "STRING"}
        af["adjustmentType"] = {"value": "com.apple.photo", "type": "STRING"}
    if a.get("deleted"):
        af["isDeleted"] = {"value": 1, "type": "INT64"}
        if a.get("purge"):
            af["dateExpunged"] = {"value": "{{ms:%s}}" % a["purge"], "type": "TIMESTAMP"}
    asset = {"recordName": "A%04d-%s" % (i, z["zoneName"][:6]), "recordType": "CPLAsset", "fields": af,
             "recordChangeTag": "1s2g", "deleted": False, "zoneID": z}
    return [master, asset]

def page(assets, z, token):
    recs = []
    for i, a in enumerate(assets):
        recs += pair(i + (500 if a.get("deleted") else 0), a, z)
    return {"records": recs, "syncToken": token}

def zone_changes(assets, z, token):
    """One changes/zone answer holding the whole zone (moreComing false),
    in the shape of kei's docs/synctoken-reference.md "/changes/zone" and
    pyicloud's tests/fixtures/photos_zone_changes_response.json: the zone's
    records (CPLMaster and CPLAsset, interleaved), its new token and
    moreComing."""
    recs = []
    for i, a in enumerate(assets):
        recs += pair(i + (500 if a.get("deleted") else 0), a, z)
    return {"zones": [{"zoneID": z, "records": recs, "syncToken": token, "moreComing": False}]}

def counts(visible, added, hidden=None, deleted=None):
    """One batch entry per count asked; a Shared Library is asked only the
    library and added-date counts (so hidden and deleted are None)."""
    out = []
    for n in [x for x in (visible, added, hidden, deleted) if x is not None]:
        out.append({"records": [{"recordName": "COUNT", "recordType": "HyperionIndexCountLookup",
                                 "fields": {"itemCount": {"value": n, "type": "INT64"}}}]})
    return {"batch": out}

def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        if isinstance(obj, str):  # a recorded page (HTML), written as is
            f.write(obj)
            return
        json.dump(obj, f, indent=1)
        f.write("\n")

CK = "/database/1/com.apple.photos.cloud/production/"

def ex(method, path, status, body="", contains="", headers=None, note=""):
    e = {"method": method, "path": path, "status": status}
    if contains: e["contains"] = contains
    if headers: e["headers"] = headers
    if body: e["body"] = body
    if note: e["note"] = note
    return e

def photos_exchanges(d, c, owner=False, participant=None, indexing="indexing-finished.json", storage="storage-half-free.json", zones=None, shared_zones=None):
    """The request sequence of a first cycle (no stored snapshot) of the
    personal library; writes the case's responses/ files."""
    z = zone("PrimarySync", "_alice")
    assets = c.get("assets", [])
    deleted = c.get("deleted", [])
    visible = [a for a in assets if not a.get("hidden")]
    hidden = c.get("hidden_count", len([a for a in assets if a.get("hidden")]))
    cb = counts(len(visible), len(assets), hidden, len(deleted))
    if c.get("hidden_count_error"):
        cb["batch"][2] = {"serverErrorCode": "INTERNAL_ERROR", "reason": "index count unavailable"}
    write(d + "/responses/05-counts.json", cb)
    write(d + "/responses/07-newest.json", page(assets, z, "SYNC_TOKEN_301"))
    exs = [ex("POST", "/setup/ws/1/validate", 200, PK + c.get("validate", "validate-ok.json"), note="validate the saved session"),
           ex("POST", CK + "private/zones/list", 200, PK + (zones or ("zones-private-owner.json" if owner else "zones-private.json")), note="private zones"),
           ex("POST", CK + "shared/zones/list", 200, PK + (shared_zones or ("zones-shared-participant.json" if participant else "zones-shared-empty.json")), note="shared zones"),
           ex("POST", CK + "private/changes/database", 200, PK + ("changes-private-owner.json" if owner else "changes-private.json"), note="baseline changes")]
    if participant:
        exs.append(ex("POST", CK + "shared/changes/database", 200, PK + "changes-shared.json", note="baseline changes, shared db"))
    exs.append(ex("POST", CK + "private/internal/records/query/batch", 200, "responses/05-counts.json", contains="HyperionIndexCountLookup", note="counts"))
    if participant:
        pz = zone(participant["zone"], "_bob")
        pa = participant["assets"]
        write(d + "/responses/06-shared-counts.json", counts(len(pa), len(pa)))
        exs.append(ex("POST", CK + "shared/internal/records/query/batch", 200, "responses/06-shared-counts.json", contains="HyperionIndexCountLookup", note="shared counts"))
    exs.append(ex("POST", CK + "private/records/query", 200, PK + indexing, contains="CheckIndexingState", note="indexing state"))
    if indexing == "indexing-finished.json":
        exs.append(ex("POST", CK + "private/records/query", 200, "responses/07-newest.json", contains="CPLAssetAndMasterByAddedDate", note="newest by added date"))
        if deleted:
            write(d + "/responses/08-deleted.json", page(deleted, z, "SYNC_TOKEN_302"))
            exs.append(ex("POST", CK + "private/records/query", 200, "responses/08-deleted.json", contains="CPLAssetAndMasterDeletedByExpungedDate", note="Recently Deleted"))
    if participant:
        write(d + "/responses/11-shared-newest.json", page(pa, pz, "SYNC_TOKEN_401"))
        exs += [ex("POST", CK + "shared/records/query", 200, PK + "indexing-finished.json", contains="CheckIndexingState", note="shared indexing"),
                ex("POST", CK + "shared/records/query", 200, "responses/11-shared-newest.json", contains="CPLAssetAndMasterByAddedDate", note="shared newest")]
    exs.append(ex("POST", "/setup/ws/1/storageUsageInfo", 200, PK + storage, note="storage"))
    return exs

def emit(name, c):
    d = "cases/" + name
    os.makedirs(d, exist_ok=True)
    exs = c["exchanges"](d, c) if callable(c.get("exchanges")) else c.get("exchanges")
    if exs is None:
        # "before": exchanges of a run that precedes verify (case.json "login").
        exs = c.get("before", []) + photos_exchanges(d, c, **c.get("photos", {}))
    write(d + "/exchanges.json", exs)
    for rel, obj in c.get("files", {}).items():
        write(d + "/" + rel, obj)
    write(d + "/case.json", c["case"])
    if c.get("local") is not None:
        write(d + "/local.json", c["local"])
    write(d + "/expect.json", c["expect"])
    with open(d + "/README.md", "w") as f:
        f.write(c["readme"].strip() + "\n")

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    import cases
    table = cases.PENDING if "--pending" in sys.argv else cases.CASES
    for name, c in table.items():
        emit(name, c)
