// Package browser holds the end-to-end tests that drive the status page and
// the web re-auth pages in a headless Chromium (Debian's chromium) through
// the Chrome DevTools protocol. It has no code of its own: run
// `go test ./test/browser/`. Without chromium the tests skip, unless
// CI=true, where they fail. Screenshots go to $ICLOUDMON_ARTIFACTS/browser
// (.ci/run sets it to ./artifacts) or to a temporary directory that is
// kept; their paths are logged. TestBrowserStatusPageScenarios takes one
// at 1280 and one at 390 px of every demo scenario (status-<scenario>-<px>).
package browser
