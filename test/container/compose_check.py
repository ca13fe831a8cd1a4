"""Checks configs/compose.yaml for the settings the documentation promises.

Usage: python3 compose_check.py COMPOSE_FILE OUT_CONFIG

Writes the icloudmon configuration embedded in the compose file to
OUT_CONFIG so that the container test can run `icloudmon config check` on it.
Exits 1 and names every problem when something is missing.
"""

import sys

import yaml


def problems(doc):
    svc = (doc.get("services") or {}).get("icloudmon")
    if not isinstance(svc, dict):
        return ["services.icloudmon is missing"]
    out = []

    def want(cond, msg):
        if not cond:
            out.append(msg)

    want(svc.get("read_only") is True, "services.icloudmon.read_only must be true")
    want(str(svc.get("user")) == "65532:65532", "services.icloudmon.user must be 65532:65532")
    want(svc.get("restart") == "unless-stopped", "services.icloudmon.restart must be unless-stopped")
    test = (svc.get("healthcheck") or {}).get("test")
    want(test == ["CMD", "/icloudmon", "healthcheck"], "healthcheck.test must be [CMD, /icloudmon, healthcheck]")
    want(any(str(p).endswith("9877:9877") for p in svc.get("ports") or []), "port 9877 must be published")
    vols = [str(v) for v in svc.get("volumes") or []]
    want(any(v.split(":")[1:2] == ["/data"] and not v.startswith(("/", ".")) for v in vols),
         "a named volume must be mounted on /data")
    want(any(v.endswith(":ro") and ":/photos/" in v for v in vols), "the photo folders must be mounted read-only (:ro)")
    for v in vols:
        if v.split(":")[0] in (doc.get("volumes") or {}):
            continue
        if not v.startswith(("/", ".")):
            out.append(f"volume {v} is not declared under the top-level volumes:")
    want("icloud_password" in (svc.get("secrets") or []), "the service must use the icloud_password secret")
    want("icloud_password" in (doc.get("secrets") or {}), "top-level secrets.icloud_password is missing")
    env = svc.get("environment") or {}
    want(env.get("ICLOUDMON_CONFIG") == "/config/icloudmon.yml", "environment ICLOUDMON_CONFIG must name the config")
    targets = [c.get("target") for c in svc.get("configs") or [] if isinstance(c, dict)]
    want("/config/icloudmon.yml" in targets, "configs must mount the icloudmon config at /config/icloudmon.yml")
    return out


def config_content(doc):
    return ((doc.get("configs") or {}).get("icloudmon") or {}).get("content")


def main():
    compose, out_config = sys.argv[1], sys.argv[2]
    with open(compose, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    errs = problems(doc)
    content = config_content(doc)
    if not content:
        errs.append("configs.icloudmon.content (the icloudmon configuration) is missing")
    else:
        cfg = yaml.safe_load(content)
        pw = [a.get("password", {}).get("file") for a in cfg.get("accounts", [])]
        if "/run/secrets/icloud_password" not in pw:
            errs.append("no account reads its password from /run/secrets/icloud_password")
        with open(out_config, "w", encoding="utf-8") as f:
            f.write(content)
    for e in errs:
        print(f"{compose}: {e}", file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
