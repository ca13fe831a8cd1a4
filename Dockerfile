# icloudmon: a static Go binary on an empty (scratch) image.
#
#   docker build -t icloudmon .
#   docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 \
#     --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) -t icloudmon .
#
# The build stage always runs on the build machine's own platform and
# cross-compiles for the target, so multi-arch builds need no emulation.
# The image runs as 65532:65532, works with a read-only root filesystem and
# writes only to the /data volume. test/container/run.sh builds and runs it.

# The Go version is pinned to a patch release with the known standard-library
# fixes (govulncheck in .ci/run; keep release.yml's GO_VERSION the same).
FROM --platform=$BUILDPLATFORM golang:1.26.10 AS build
WORKDIR /src

# Modules first: this layer stays cached until go.mod or go.sum change.
# A module proxy of your own: --build-arg GOPROXY=https://goproxy.example.net
ARG GOPROXY
ARG GOSUMDB
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .

# Set by BuildKit and buildah from --platform (default: the build machine's).
ARG TARGETOS
ARG TARGETARCH
ARG TARGETVARIANT
ARG VERSION=dev
ARG COMMIT=unknown

# The cache mount keeps compiled packages between builds (BuildKit, buildah).
# CGO_ENABLED=0 makes a static binary that needs no libc; -tags timetzdata
# embeds the time-zone database (quiet hours use local time, set TZ).
# TARGETVARIANT is "v7" for linux/arm/v7 (GOARM=7) and "v2"/"v3" for
# amd64 micro-architecture levels (GOAMD64).
RUN --mount=type=cache,target=/root/.cache/go-build \
    set -eu; \
    os="${TARGETOS:-linux}"; arch="${TARGETARCH:-$(go env GOARCH)}"; variant="${TARGETVARIANT:-}"; \
    if [ "$arch" = arm ] && [ -n "$variant" ]; then export GOARM="${variant#v}"; fi; \
    if [ "$arch" = amd64 ] && [ -n "$variant" ]; then export GOAMD64="$variant"; fi; \
    CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" \
      GOCACHE=/root/.cache/go-build go build -trimpath -buildvcs=false -tags timetzdata \
        -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" \
        -o /out/icloudmon ./cmd/icloudmon; \
    mkdir -p /out/rootfs && mkdir -m 0700 /out/rootfs/data

FROM scratch

ARG VERSION=dev
ARG COMMIT=unknown
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="icloudmon" \
      org.opencontainers.image.description="Read-only agent that verifies iCloud Photos are really backed up: stalled uploads, lagging local copies, full storage, expiring sign-ins" \
      org.opencontainers.image.source="https://github.com/icloudmon/icloudmon" \
      org.opencontainers.image.url="https://github.com/icloudmon/icloudmon" \
      org.opencontainers.image.documentation="https://github.com/icloudmon/icloudmon#readme" \
      org.opencontainers.image.licenses="$LICENSES" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$COMMIT"

# Root certificates for TLS to Apple and to notification targets.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/icloudmon /icloudmon
# /data must exist in the image, owned by 65532 with mode 0700: Docker and
# podman copy owner and mode into a new named volume, so the agent can write
# to it and nobody else can read it. (Copying the parent keeps the mode.)
COPY --from=build --chown=65532:65532 /out/rootfs/ /

# TMPDIR: the root filesystem is read-only and there is no /tmp, so the rare
# temporary file (e.g. a large SQLite sort) goes to the volume.
# PATH=/ lets `docker exec -it icloudmon icloudmon login` find the binary.
ENV ICLOUDMON_DATA_DIR=/data \
    ICLOUDMON_LISTEN=:9877 \
    TMPDIR=/data \
    PATH=/

USER 65532:65532
WORKDIR /data
VOLUME /data
EXPOSE 9877

# No shell or curl in the image: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["/icloudmon", "healthcheck"]

ENTRYPOINT ["/icloudmon"]
CMD ["run"]
