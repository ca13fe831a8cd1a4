// Package outlets tests icloudmon's outlets against the real servers people
// run at home, started by the tests themselves: a Gotify server and an SMTP
// server (python3-aiosmtpd) receive the messages of a failing and a
// resolving cycle, and a live Prometheus with Alertmanager scraping demo
// agents fires the shipped alerts for broken scenarios and none for a
// healthy one.
//
// Each test looks for its server program (gotify-server, /usr/bin/python3
// with aiosmtpd, prometheus and prometheus-alertmanager); without it the
// test is skipped with a message locally and fails in CI (CI=true), where
// .ci/run installs them. Every test bounds its own time.
package outlets
