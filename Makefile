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

bench:
	sh bench/run.sh

demo:
	$(GO) run ./cmd/icloudmon demo
