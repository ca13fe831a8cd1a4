package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// serveArg starts the keep-alive mode: `benchrun serve ASSETS DIR` builds
// section 3's setup (a fake iCloud with a generated library, a matching
// icloudpd folder and a configuration with tls.ca_file) under DIR, prints
// how to run verify against it, and keeps the fake alive until it is
// interrupted. It is for profiling one verify by hand (strace, perf,
// GODEBUG), which section 3 cannot do while it tears the fake down.
const serveArg = "serve"

func serve(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchrun serve ASSETS DIR")
		return 2
	}
	assets, err := strconv.Atoi(args[0])
	if err != nil || assets <= 0 {
		fmt.Fprintf(os.Stderr, "benchrun serve: %q is not a positive number of assets\n", args[0])
		return 2
	}
	if err := os.MkdirAll(args[1], 0o750); err != nil { //nolint:gosec // the scratch directory given on the command line
		fmt.Fprintln(os.Stderr, "benchrun serve:", err)
		return 1
	}
	e, err := newCycleEnv(config{work: args[1]}, assets)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun serve:", err)
		return 1
	}
	defer e.srv.Close()
	fmt.Printf("assets=%d files=%d\nconfig=%s\nXDG_RUNTIME_DIR=%s\n", assets, e.files, e.cfgFile, e.dir)
	fmt.Printf("run: env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR=%s icloudmon verify --config %s\n", e.dir, e.cfgFile)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return 0
}
