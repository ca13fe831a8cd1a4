#!/usr/bin/env bash
# Container test: builds the Dockerfile and runs the image for real, without
# a Docker engine and without any registry.
#
#   bash test/container/run.sh
#
# How (docs/container.md has the details):
#   1. The Dockerfile's build image (docker.io/library/golang:1.26.x) cannot be
#      pulled here, so it is made locally: the Go release the Dockerfile pins
#      (fetched as a toolchain through the module proxy), a
#      static busybox for /bin/sh, the CA bundle and a minimal /etc/passwd,
#      imported with `podman import` and tagged with the same name.
#   2. `podman build --pull=never` builds the Dockerfile unchanged; modules
#      come from the Go proxy over the host network (or, with
#      ICLOUDMON_CTEST_MODULES=host, from this machine's module cache).
#   3. The image runs with runc as 65532 with a read-only root filesystem and
#      a named volume on /data: `version`, `config check` of the compose
#      file's config, the daemon (`run`) with the Docker HEALTHCHECK, and
#      `demo` checked from the host through a published port (/healthz,
#      /metrics, the status page).
#
# Everything lives in a temporary podman root that is removed at the end.
# Missing tools skip the test locally and fail it when CI=true.
#
# Environment:
#   ICLOUDMON_CTEST_MODULES=proxy|host  where `go mod download` gets modules
#   ICLOUDMON_CTEST_KEEP=1              keep the temporary directory (debugging)
#   ICLOUDMON_CTEST_WORK=DIR            use DIR and keep its image storage and
#                                       build cache between runs (development)
#   ICLOUDMON_CTEST_PLATFORMS="linux/arm/v7 linux/arm64"
#                                       also build these (cross-compiled, not
#                                       run) and check the binary's GOARCH/GOARM;
#                                       a few minutes each, so not in CI
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=localhost/icloudmon:ctest
# The build image the Dockerfile names (pinned to a patch release there); the
# stand-in made from this machine's Go is tagged with that name.
BUILD_IMAGE=docker.io/library/$(sed -n 's/^FROM .* \(golang:[^ ]*\) AS build$/\1/p' Dockerfile)
GO_WANT=go${BUILD_IMAGE##*:} # golang:1.26.10 -> go1.26.10
SUFFIX=$$
CTR_RUN=icloudmon-ctest-run-$SUFFIX
CTR_DEMO=icloudmon-ctest-demo-$SUFFIX
VOL_RUN=icloudmon-ctest-run-$SUFFIX
VOL_DEMO=icloudmon-ctest-demo-$SUFFIX

log() { printf '[container-test %3ds] %s\n' "$SECONDS" "$*"; }
fail() {
  printf '[container-test %3ds] FAIL: %s\n' "$SECONDS" "$*" >&2
  exit 1
}
skip() {
  if [ "${CI:-}" = true ]; then
    fail "$* (CI=true: the container test must run in CI; .ci/run installs what it needs)"
  fi
  printf '[container-test] SKIP: %s\n' "$*"
  exit 0
}

# --- prerequisites ---------------------------------------------------------

check_tools() {
  local t
  for t in podman runc curl tar python3; do
    command -v "$t" >/dev/null || skip "$t is not installed (apt-get install podman runc curl python3-yaml)"
  done
  [ "$(id -u)" = 0 ] || skip "needs root (podman with runc and CNI port publishing, as in CI)"
  command -v go >/dev/null || skip "go is not installed"
  # The stand-in build image holds the very Go release the Dockerfile pins,
  # fetched as a toolchain through the module proxy (as GOTOOLCHAIN does).
  GOROOT_HOST=$(GOTOOLCHAIN=$GO_WANT go env GOROOT 2>/dev/null) ||
    skip "cannot fetch the $GO_WANT toolchain the Dockerfile pins (GOTOOLCHAIN=$GO_WANT go version)"
  [ "$(GOTOOLCHAIN=$GO_WANT go env GOVERSION)" = "$GO_WANT" ] ||
    skip "GOTOOLCHAIN=$GO_WANT gives $(GOTOOLCHAIN=$GO_WANT go env GOVERSION), not $GO_WANT"
  BUSYBOX=${BUSYBOX:-$(command -v busybox || true)}
  [ -n "$BUSYBOX" ] || skip "busybox is not installed (apt-get install busybox-static)"
  if ldd "$BUSYBOX" >/dev/null 2>&1; then
    skip "$BUSYBOX is dynamically linked; a static one is needed (apt-get install busybox-static)"
  fi
  python3 -c 'import yaml' 2>/dev/null || skip "python3 cannot import yaml (apt-get install python3-yaml)"
}

# --- temporary podman storage ----------------------------------------------

setup_podman() {
  if [ -n "${ICLOUDMON_CTEST_WORK:-}" ]; then
    WORK=$ICLOUDMON_CTEST_WORK
    ICLOUDMON_CTEST_KEEP=1
    mkdir -p "$WORK"
  else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/icloudmon-ctest.XXXXXX")
  fi
  # buildah keeps RUN --mount=type=cache directories under TMPDIR.
  mkdir -p "$WORK/tmp"
  # Separate storage keeps the test away from /var/lib/containers; runc and
  # cgroupfs because crun cannot set rlimits here (dependencies.md §10).
  P=(podman --root "$WORK/root" --runroot "$WORK/run" --cgroup-manager=cgroupfs --runtime runc)
  # runc fails without explicit rlimits ("error setting rlimit type 7").
  LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
  # Without systemd podman cannot schedule the periodic HEALTHCHECK and logs
  # "unable to get systemd connection" (harmless): one-shot containers run
  # without the check; for the daemons the test runs the image's check
  # itself with `podman healthcheck run` and podman's stderr goes to a log.
  # podman's --read-only adds writable tmpfs on /tmp, /run and /var/tmp;
  # Docker's does not, and the agent must not need them. No capabilities and
  # no-new-privileges, as in configs/compose.yaml.
  RO=(--read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges)
  PLOG=$WORK/podman.log
  : >"$PLOG"
  trap cleanup EXIT
}

cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && [ -s "${PLOG:-}" ]; then
    echo "---- podman messages ($PLOG) ----" >&2
    grep -v 'systemd connection' "$PLOG" | tail -n 20 >&2
  fi
  if [ "$rc" != 0 ] && [ -n "${P:-}" ]; then
    for c in "$CTR_RUN" "$CTR_DEMO"; do
      if "${P[@]}" container exists "$c" 2>/dev/null; then
        echo "---- logs of $c ----" >&2
        "${P[@]}" logs "$c" 2>&1 | tail -n 40 >&2
      fi
    done
  fi
  if [ -n "${WORK:-}" ]; then
    "${P[@]}" rm --all --force --time 0 >/dev/null 2>&1
    "${P[@]}" volume rm --all --force >/dev/null 2>&1
    if [ "${ICLOUDMON_CTEST_KEEP:-}" = 1 ]; then
      echo "kept $WORK (podman --root $WORK/root --runroot $WORK/run)" >&2
    else
      "${P[@]}" rmi --all --force >/dev/null 2>&1
      # containers/storage keeps its overlay directory mounted on itself.
      awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}

# --- 1. the build-stage image ------------------------------------------------

make_build_image() {
  if [ -n "${ICLOUDMON_CTEST_WORK:-}" ] && "${P[@]}" image exists "$BUILD_IMAGE"; then
    log "reusing $BUILD_IMAGE in $WORK"
    return
  fi
  log "making $BUILD_IMAGE from $GO_WANT at $GOROOT_HOST and $BUSYBOX"
  local fs=$WORK/buildfs
  rm -rf "$fs"
  mkdir -p "$fs/bin" "$fs/etc/ssl/certs" "$fs/go" "$fs/root" "$fs/tmp" "$fs/usr/local"
  chmod 1777 "$fs/tmp"
  cp "$BUSYBOX" "$fs/bin/busybox"
  "$fs/bin/busybox" --list | while read -r applet; do
    [ -e "$fs/bin/$applet" ] || ln -s busybox "$fs/bin/$applet"
  done
  cp /etc/ssl/certs/ca-certificates.crt "$fs/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$fs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$fs/etc/group"
  # The toolchain without its own tests, API lists and the sources of the
  # go command itself: building a program needs bin, pkg and the std sources.
  tar -cf - --owner=0 --group=0 -C "$fs" . \
    -C "$GOROOT_HOST/.." --exclude="$(basename "$GOROOT_HOST")/test" \
    --exclude="$(basename "$GOROOT_HOST")/api" --exclude="$(basename "$GOROOT_HOST")/src/cmd" \
    --transform "s,^$(basename "$GOROOT_HOST"),usr/local/go," "$(basename "$GOROOT_HOST")" |
    "${P[@]}" import \
      --change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV GOPATH=/go' --change 'ENV GOTOOLCHAIN=local' --change 'ENV HOME=/root' \
      --change 'WORKDIR /go' - "$BUILD_IMAGE" >"$WORK/import.log" 2>&1 ||
    fail "podman import of the build image failed: $(tail -n 5 "$WORK/import.log")"
  "${P[@]}" run --rm "${LIMITS[@]}" --network none "$BUILD_IMAGE" go version >/dev/null ||
    fail "the build image cannot run 'go version'"
}

# --- 2. podman build ----------------------------------------------------------

build_image() {
  VERSION=ctest-$(git rev-parse --short HEAD 2>/dev/null || echo none)
  COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  local modargs=(--network host)
  if [ "${ICLOUDMON_CTEST_MODULES:-proxy}" = host ]; then
    # Offline: serve this machine's module download cache as a file proxy.
    local cache
    cache=$(go env GOMODCACHE)/cache/download
    modargs=(--network none --volume "$cache:/goproxy:ro"
      --build-arg GOPROXY=file:///goproxy --build-arg GOSUMDB=off)
  fi
  log "podman build (modules: ${ICLOUDMON_CTEST_MODULES:-proxy}); the log is $WORK/build.log"
  # --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
  if ! TMPDIR=$WORK/tmp "${P[@]}" build --pull=never --format docker --platform "linux/$(go env GOARCH)" \
    "${LIMITS[@]}" "${modargs[@]}" \
    --build-arg VERSION="$VERSION" --build-arg COMMIT="$COMMIT" \
    -t "$IMAGE" . >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" >&2
    fail "podman build failed (last 40 lines above)"
  fi
  log "image built: $("${P[@]}" image inspect --format '{{.Size}}' "$IMAGE") bytes"
}

# --- 3. image configuration -----------------------------------------------------

inspect() { "${P[@]}" image inspect --format "$1" "$IMAGE"; }

expect_eq() { # what got want
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

check_image_config() {
  expect_eq "image user" "$(inspect '{{.Config.User}}')" "65532:65532"
  expect_eq "entrypoint" "$(inspect '{{json .Config.Entrypoint}}')" '["/icloudmon"]'
  expect_eq "cmd" "$(inspect '{{json .Config.Cmd}}')" '["run"]'
  expect_eq "volumes" "$(inspect '{{json .Config.Volumes}}')" '{"/data":{}}'
  expect_eq "exposed ports" "$(inspect '{{json .Config.ExposedPorts}}')" '{"9877/tcp":{}}'
  expect_eq "healthcheck" "$(inspect '{{json .Config.Healthcheck.Test}}')" '["CMD","/icloudmon","healthcheck"]'
  local env
  env=$(inspect '{{json .Config.Env}}')
  for want in ICLOUDMON_DATA_DIR=/data ICLOUDMON_LISTEN=:9877; do
    case "$env" in *"\"$want\""*) ;; *) fail "image env $env lacks $want" ;; esac
  done
  expect_eq "label version" "$(inspect '{{index .Config.Labels "org.opencontainers.image.version"}}')" "$VERSION"
  expect_eq "label revision" "$(inspect '{{index .Config.Labels "org.opencontainers.image.revision"}}')" "$COMMIT"
  expect_eq "label source" "$(inspect '{{index .Config.Labels "org.opencontainers.image.source"}}')" \
    "https://github.com/icloudmon/icloudmon"
  for l in title description licenses; do
    [ -n "$(inspect "{{index .Config.Labels \"org.opencontainers.image.$l\"}}")" ] || fail "label $l is empty"
  done
  log "image config: user, entrypoint, volume, port, healthcheck, env and OCI labels as expected"
}

# run_ro runs a throw-away container with runc rlimits and a read-only root.
run_ro() { "${P[@]}" run --rm "${LIMITS[@]}" --no-healthcheck "${RO[@]}" "$@"; }

check_version() {
  local out
  out=$(run_ro --network none "$IMAGE" version) || fail "'icloudmon version' failed in the container"
  case "$out" in
  "icloudmon $VERSION (commit $COMMIT, $GO_WANT linux/$(go env GOARCH))") ;;
  *) fail "version output '$out' lacks version $VERSION, commit $COMMIT or $GO_WANT" ;;
  esac
  log "version: $out"
  # A scratch image has no shell: nothing but the binary can run.
  if run_ro --network none --entrypoint /bin/sh "$IMAGE" -c true >/dev/null 2>&1; then
    fail "/bin/sh exists in the image; the final stage must be scratch"
  fi
}

# --- 4. compose file -------------------------------------------------------------

# check_compose parses configs/compose.yaml, checks the settings the README
# promises and runs `config check` in the image on its icloudmon config.
check_compose() {
  python3 test/container/compose_check.py configs/compose.yaml "$WORK/compose-config.yml" ||
    fail "configs/compose.yaml does not have the expected content"
  mkdir -p "$WORK/secrets" "$WORK/photos/alice"
  printf 'not-a-real-password\n' >"$WORK/secrets/icloud_password"
  printf 'not-a-real-web-token-0123456789abcdef\n' >"$WORK/secrets/web_token"
  chmod 0644 "$WORK/secrets/icloud_password" "$WORK/secrets/web_token"
  local out
  if ! out=$(run_ro --network none \
    -v "$WORK/compose-config.yml:/config/icloudmon.yml:ro" \
    -v "$WORK/secrets:/run/secrets:ro" -v "$WORK/photos:/photos:ro" \
    -e ICLOUDMON_CONFIG=/config/icloudmon.yml "$IMAGE" config check 2>&1); then
    printf '%s\n' "$out" >&2
    fail "'config check' rejects the config of configs/compose.yaml"
  fi
  case "$out" in *not-a-real-*) fail "config check printed a secret: $out" ;; esac
  log "compose.yaml: parses, has secret, volume, read-only, user, healthcheck; its config passes 'config check'"
}

# --- 5. the daemon and the HEALTHCHECK ------------------------------------------

# wait_until CMD... retries CMD for up to 60 s.
wait_until() {
  local i
  for i in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  return 1
}

running() { [ "$("${P[@]}" inspect --format '{{.State.Running}}' "$1")" = true ]; }

check_health() { # container
  local c=$1
  expect_eq "read-only root of $c" "$("${P[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$c")" true
  expect_eq "tmpfs mounts of $c (none: no writable /tmp)" "$("${P[@]}" inspect --format '{{len .HostConfig.Tmpfs}}' "$c")" 0
  "${P[@]}" healthcheck run "$c" 2>>"$PLOG" || fail "'podman healthcheck run $c' (the image's HEALTHCHECK) failed"
  expect_eq "health of $c" "$("${P[@]}" inspect --format '{{.State.Health.Status}}' "$c")" healthy
}

# check_volume_files vol file... checks that the agent (uid 65532) created
# these files in the volume and that the secrets among them are 0600.
check_volume_files() {
  local vol=$1 dir f
  shift
  dir=$("${P[@]}" volume inspect --format '{{.Mountpoint}}' "$vol")
  # The volume starts as a copy of the image's /data: owned by 65532, 0700.
  expect_eq "owner and mode of /data" "$(stat -c '%u:%g %a' "$dir")" "65532:65532 700"
  for f in "$@"; do
    [ -e "$dir/$f" ] || fail "the agent did not create /data/$f (volume $vol has: $(ls -A "$dir"))"
    expect_eq "owner of /data/$f" "$(stat -c %u:%g "$dir/$f")" 65532:65532
  done
  [ ! -e "$dir/web-token" ] || expect_eq "mode of /data/web-token" "$(stat -c %a "$dir/web-token")" 600
}

# check_daemon runs `icloudmon run` with one account whose Apple endpoints
# point at a closed local port, in a container without network: nothing can
# reach Apple, yet the daemon must serve /healthz and keep its state in /data.
check_daemon() {
  local account
  account='[{name: alice, apple_id: alice@example.com, password: {keyring: false, file: /run/secrets/icloud_password},
    endpoints: {auth: "https://127.0.0.1:9/appleauth/auth", setup: "https://127.0.0.1:9/setup/ws/1", home: "https://127.0.0.1:9"}}]'
  "${P[@]}" volume create "$VOL_RUN" >/dev/null
  "${P[@]}" run -d --name "$CTR_RUN" "${LIMITS[@]}" "${RO[@]}" --network none \
    -v "$VOL_RUN:/data" -v "$WORK/secrets:/run/secrets:ro" \
    -e ICLOUDMON_ACCOUNTS="$account" "$IMAGE" >/dev/null 2>>"$PLOG" ||
    fail "could not start 'icloudmon run': $(tail -n 5 "$PLOG")"
  wait_until "${P[@]}" exec "$CTR_RUN" /icloudmon healthcheck ||
    fail "'icloudmon run' did not become healthy within 60 s"
  # `docker exec -it icloudmon icloudmon login` (README) needs the binary on PATH.
  "${P[@]}" exec "$CTR_RUN" icloudmon version >/dev/null ||
    fail "'icloudmon' is not found on PATH by exec in the container"
  check_health "$CTR_RUN"
  running "$CTR_RUN" || fail "'icloudmon run' stopped"
  check_volume_files "$VOL_RUN" icloudmon.db web-token
  "${P[@]}" stop --time 20 "$CTR_RUN" >/dev/null 2>>"$PLOG"
  expect_eq "exit code of 'run' after SIGTERM" "$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$CTR_RUN")" 0
  "${P[@]}" rm "$CTR_RUN" >/dev/null 2>>"$PLOG"
  log "run: healthy (exec and HEALTHCHECK) as 65532 on a read-only root; state in /data; clean stop on SIGTERM"
}

# --- 6. the demo, checked from the host ------------------------------------------

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# check_demo runs `icloudmon demo` (fake iCloud in the process, generated
# folder in /data) on the default network with a published port, as
# `docker run -p` does, and checks it from the host.
check_demo() {
  local port url n
  port=$(free_port)
  "${P[@]}" volume create "$VOL_DEMO" >/dev/null
  "${P[@]}" run -d --name "$CTR_DEMO" "${LIMITS[@]}" "${RO[@]}" \
    -v "$VOL_DEMO:/data" -p "127.0.0.1:$port:9877" \
    "$IMAGE" demo --listen 0.0.0.0:9877 --data-dir /data >/dev/null 2>>"$PLOG" ||
    fail "could not start 'icloudmon demo': $(tail -n 5 "$PLOG")"
  url=http://127.0.0.1:$port
  wait_until curl -fsS -m 5 "$url/healthz" || fail "GET $url/healthz from the host did not answer 200 within 60 s"
  log "demo: $url/healthz answers 200 from the host"
  wait_until has_check_status "$url" ||
    fail "/metrics has no icloudmon_check_status series after 60 s: $(curl -sS -m 10 "$url/metrics" | grep '^icloudmon_' | head -n 20)"
  n=$(curl -fsS -m 10 "$url/metrics" | grep -c '^icloudmon_check_status{')
  log "demo: /metrics has $n icloudmon_check_status series"
  check_health "$CTR_DEMO"
  running "$CTR_DEMO" || fail "'icloudmon demo' stopped"
  check_status_page "$url"
  check_volume_files "$VOL_DEMO" data/icloudmon.db
  "${P[@]}" stop --time 20 "$CTR_DEMO" >/dev/null 2>>"$PLOG"
  expect_eq "exit code of 'demo' after SIGTERM" "$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$CTR_DEMO")" 0
  log "demo: HEALTHCHECK healthy as 65532 on a read-only root; clean stop on SIGTERM"
}

has_check_status() { # url
  local m
  m=$(curl -fsS -m 10 "$1/metrics") && grep -q '^icloudmon_check_status{' <<<"$m"
}

demo_logs() { "${P[@]}" logs "$CTR_DEMO" 2>&1; }

demo_verdict_printed() {
  local l
  l=$(demo_logs) && grep -q 'Press Ctrl-C to stop' <<<"$l"
}

# check_status_page uses the token the demo printed: the healthy scenario
# must say "ok" in /api/status; the page must refuse requests without it.
check_status_page() {
  local url=$1 token status page
  wait_until demo_verdict_printed || fail "the demo printed no verdict within 60 s"
  token=$(demo_logs | sed -n 's/.*[?]token=\([0-9A-Za-z]*\).*/\1/p' | sed -n 1p)
  [ -n "$token" ] || fail "the demo printed no status page URL with a token"
  status=$(curl -fsS -m 10 -H "Authorization: Bearer $token" "$url/api/status" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') || fail "GET /api/status with the demo token failed"
  expect_eq "overall status of the healthy demo" "$status" ok
  page=$(curl -fsS -m 10 -L -b "$WORK/cookies" -c "$WORK/cookies" "$url/?token=$token") ||
    fail "the status page with ?token= did not answer 200"
  grep -qi '<html' <<<"$page" || fail "the status page opened with ?token= is not HTML"
  grep -q 'demo' <<<"$page" || fail "the status page does not name the demo account"
  expect_eq "status page without token" "$(curl -s -o /dev/null -w '%{http_code}' -m 10 "$url/")" 401
  log "demo: /api/status says ok with the printed token; the status page opens with it and refuses without"
}

# check_demo_once runs one cycle of a failing scenario on a tmpfs /data
# (podman gives the tmpfs the image's mode 0700; U makes 65532 its owner):
# verify's exit code 2 (critical) must come through the container.
check_demo_once() {
  local rc=0 out
  out=$(run_ro --network none --tmpfs /data:rw,size=64m,U \
    "$IMAGE" demo --once --scenario stalled --data-dir /data 2>&1) || rc=$?
  [ "$rc" = 2 ] || fail "'demo --once --scenario stalled' exited $rc, want 2 (critical):
$out"
  log "demo --once --scenario stalled: exit 2 (critical) on a tmpfs /data"
}

# --- 7. optional: other platforms ------------------------------------------------

# check_platform builds the image for another platform (the build stage runs
# natively and cross-compiles) and checks the image's platform and the Go
# build settings stamped into its binary.
check_platform() { # os/arch[/variant]
  local plat=$1 os arch variant img=localhost/icloudmon:ctest-${1//\//-} ctr info
  IFS=/ read -r os arch variant <<<"$plat"
  log "podman build --platform $plat; the log is $WORK/build-${plat//\//-}.log"
  TMPDIR=$WORK/tmp "${P[@]}" build --pull=never --format docker --platform "$plat" "${LIMITS[@]}" \
    --network host --build-arg BUILDPLATFORM="linux/$(go env GOARCH)" \
    --build-arg VERSION="$VERSION" --build-arg COMMIT="$COMMIT" \
    -t "$img" . >"$WORK/build-${plat//\//-}.log" 2>&1 ||
    fail "podman build --platform $plat failed: $(tail -n 20 "$WORK/build-${plat//\//-}.log")"
  expect_eq "platform of $img" "$("${P[@]}" image inspect --format '{{.Os}}/{{.Architecture}}' "$img")" "$os/$arch"
  ctr=$("${P[@]}" create --platform "$plat" "$img")
  "${P[@]}" cp "$ctr:/icloudmon" "$WORK/icloudmon-$arch$variant" >/dev/null
  "${P[@]}" rm "$ctr" >/dev/null
  info=$(go version -m "$WORK/icloudmon-$arch$variant")
  grep -q "GOARCH=$arch\$" <<<"$info" || fail "the $plat binary is not GOARCH=$arch: $info"
  if [ "$arch" = arm ] && [ -n "$variant" ]; then
    grep -q "GOARM=${variant#v}\$" <<<"$info" || fail "the $plat binary is not GOARM=${variant#v}: $info"
  fi
  grep -q 'CGO_ENABLED=0$' <<<"$info" || fail "the $plat binary is not static (CGO_ENABLED=0)"
  log "$plat: image $os/$arch, binary $(grep -oE 'GO(ARCH|ARM)=[^[:space:]]*' <<<"$info" | tr '\n' ' ')"
}

main() {
  check_tools
  setup_podman
  make_build_image
  build_image
  check_image_config
  check_version
  check_compose
  check_daemon
  check_demo
  check_demo_once
  local plat
  for plat in ${ICLOUDMON_CTEST_PLATFORMS:-}; do
    check_platform "$plat"
  done
  log "PASS"
}

main "$@"
