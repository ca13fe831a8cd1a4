# Thin aliases; .ci/run is the source of truth for CI.
GO ?= go

.PHONY: build test lint ci bench demo conformance

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/icloudmon ./cmd/icloudmon

test:
	$(GO) test -race ./...

conformance:
	$(GO) test -count=1 ./test/conformance/...

lint:
	gofmt -l $$(git ls-files '*.go')
	$(GO) vet ./...
	golangci-lint run ./...

ci:
	bash .ci/run

# make bench BENCH_LARGE=1 adds the large section (issue 25): libraries of
# BENCH_LARGE_SIZES assets with folders of about 0.7 and 1.0 million sparse
# files; it takes many minutes and about 1.3 million inodes under $TMPDIR.
BENCH_LARGE_SIZES ?= 500000,715000

bench:
	sh bench/run.sh $(if $(BENCH_LARGE),-large $(BENCH_LARGE_SIZES))

demo:
	$(GO) run ./cmd/icloudmon demo
