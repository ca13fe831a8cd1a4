package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// holdWrite begins a write transaction on db and inserts a row that others
// must not see until commit.
func holdWrite(t testing.TB, db *DB) func() error {
	t.Helper()
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kv VALUES ('ns', 'held', x'01', 0)`); err != nil {
		t.Fatalf("insert: %v", err)
	}
	return tx.Commit
}

// readWhileLocked checks that a reader answers at once, without seeing the
// uncommitted row.
func readWhileLocked(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	val, ok, err := db.Get(ctx, "ns", "seed")
	if err != nil || !ok || string(val) != "v0" {
		t.Fatalf("reader during write transaction: %q, %v, %v", val, ok, err)
	}
	if _, ok, _ := db.Get(ctx, "ns", "held"); ok {
		t.Error("reader saw an uncommitted row")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("reads took %v while a writer held its transaction; want no waiting", d)
	}
}

// putAfterCommit runs db.Put while another writer holds the lock and checks
// that it waits for the commit and then succeeds.
func putAfterCommit(t *testing.T, db *DB, commit func() error) {
	t.Helper()
	errc := make(chan error, 1)
	start := time.Now()
	go func() { errc <- db.Put(context.Background(), "ns", "second-writer", []byte("ok")) }()
	time.Sleep(300 * time.Millisecond)
	if err := commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("second writer failed instead of waiting: %v", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > BusyTimeout {
		t.Errorf("second writer finished after %v; want it to wait for the commit (300ms)", d)
	}
}

func TestDaemonWriterAndCLIReaderHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	daemon, cli := openTwo(t, path)
	commit := holdWrite(t, daemon)
	readWhileLocked(t, cli)
	putAfterCommit(t, cli, commit)

	// The daemon writes in a loop while the CLI reads in a loop.
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() {
		for i := range 200 {
			if err := daemon.Put(ctx, "ns", fmt.Sprint("k", i), []byte("v")); err != nil {
				errs <- fmt.Errorf("daemon put %d: %w", i, err)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range 200 {
			if _, err := cli.List(ctx, "ns"); err != nil {
				errs <- fmt.Errorf("cli list %d: %w", i, err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if l, _ := cli.List(ctx, "ns"); len(l) != 203 {
		t.Errorf("cli sees %d entries, want 203", len(l))
	}
}

func openTwo(t *testing.T, path string) (*DB, *DB) {
	t.Helper()
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Put(context.Background(), "ns", "seed", []byte("v0")); err != nil {
		t.Fatal(err)
	}
	b, err := Open(path)
	if err != nil {
		t.Fatalf("second Open of a database in use: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

const helperEnv = "ICLOUDMON_STORE_TEST_DAEMON_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(daemonWriter(path))
	}
	os.Exit(m.Run())
}

// daemonWriter is the "daemon" process of
// TestDaemonWriterAndCLIReaderProcesses: it holds a write transaction, then
// writes in a loop.
func daemonWriter(path string) int {
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO kv VALUES ('ns', 'held', x'01', 0)`)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("holding")
	time.Sleep(700 * time.Millisecond)
	if err := tx.Commit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range 100 {
		if err := db.Put(ctx, "ns", fmt.Sprint("d", i), []byte("v")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println("done")
	return 0
}

// TestDaemonWriterAndCLIReaderProcesses runs the daemon side in a second
// process (this test binary, re-executed) and opens the CLI side while the
// daemon holds its write transaction.
func TestDaemonWriterAndCLIReaderProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	setup, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	must(t, setup.Put(context.Background(), "ns", "seed", []byte("v0")))
	setup.Close()

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	waitLine(t, lines, "holding")
	start := time.Now()
	cli, err := Open(path)
	if err != nil {
		t.Fatalf("CLI Open while the daemon process holds a write transaction: %v", err)
	}
	defer cli.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("CLI Open waited %v for the daemon's transaction; want no waiting", d)
	}
	readWhileLocked(t, cli)
	start = time.Now()
	if err := cli.Put(context.Background(), "ns", "cli", []byte("x")); err != nil {
		t.Errorf("CLI write while the daemon process held the lock: %v", err)
	}
	t.Logf("CLI write waited %v for the daemon process", time.Since(start))
	for range 50 { // read while the daemon process writes in a loop
		if _, err := cli.List(context.Background(), "ns"); err != nil {
			t.Fatalf("CLI read while the daemon process writes: %v", err)
		}
	}
	waitLine(t, lines, "done")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon process: %v", err)
	}
	if l, _ := cli.List(context.Background(), "ns"); len(l) != 103 {
		t.Errorf("after both processes: %d entries, want 103", len(l))
	}
}

func waitLine(t *testing.T, s *bufio.Scanner, want string) {
	t.Helper()
	var seen []string
	for s.Scan() {
		if s.Text() == want {
			return
		}
		seen = append(seen, s.Text())
	}
	t.Fatalf("helper process ended before %q; output: %q", want, seen)
}
