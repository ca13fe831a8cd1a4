package localindex

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/store"
)

// killingKV is the child's store: it announces each row write and kills its
// own process delay after the write began, while SQLite is inside the
// transaction.
type killingKV struct {
	*store.DB
	delay time.Duration
}

func (k killingKV) WriteRows(ctx context.Context, ns string, keys []string, vals [][]byte) error {
	fmt.Printf("BEGIN %d rows\n", len(keys))
	_ = os.Stdout.Sync()
	time.AfterFunc(k.delay, func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) })
	err := k.DB.WriteRows(ctx, ns, keys, vals)
	fmt.Println("END", err)
	_ = os.Stdout.Sync()
	return err
}

// TestCrashChild is the child process of TestCrashDuringWriteKeepsIndex; it
// does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	delay, err := time.ParseDuration(os.Getenv("LOCALINDEX_CRASH_DELAY"))
	if err != nil {
		return
	}
	// The parent runs the child in its work directory.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dbPath, root := filepath.Join(wd, store.FileName), filepath.Join(wd, "tree")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Open(context.Background(), killingKV{db, delay}, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ix.Scan(context.Background(), ScanOptions{})
	fmt.Println("SCANNED", err)
}

// TestCrashDuringWriteKeepsIndex kills a process in the middle of writing
// the index (every directory changed, thousands of rows) and checks that
// the store opens, the index loads without a warning and holds the state of
// the last completed save, and that a scan then brings it up to date.
func TestCrashDuringWriteKeepsIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	work := t.TempDir()
	root, rels := fillTree(t, filepath.Join(work, "tree"), 1500, 2)
	dbPath := filepath.Join(work, store.FileName)
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	scan(t, openIndex(t, db, root, Options{}), false)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, rel := range rels {
		writeFile(t, root, rel+"/IMG_NEW.JPG", []byte("n"), past)
	}
	age(t, root)
	killMidWrite(t, work, "a write", 2*time.Millisecond, 10*time.Millisecond, 30*time.Millisecond, 100*time.Millisecond)
	db, err = store.Open(dbPath)
	if err != nil {
		t.Fatalf("the store does not open after the crash: %v", err)
	}
	defer db.Close()
	ix := openIndex(t, db, root, Options{})
	if ix.loadWarn != "" || ix.FileCount() != 3000 {
		t.Fatalf("after the crash: warning %q, %d files; want the last saved index (3000 files)", ix.loadWarn, ix.FileCount())
	}
	res := scan(t, ix, false)
	if res.Files != 4500 || res.FilesAdded != 1500 || res.FilesKept != 3000 {
		t.Errorf("scan after the crash: %d files, %d added, %d kept; want 4500, 1500, 3000", res.Files, res.FilesAdded, res.FilesKept)
	}
	if again := scan(t, openIndex(t, db, root, Options{}), false); again.DirsListed != 0 || again.Files != 4500 {
		t.Errorf("after the recovery scan: listed %d, files %d; want 0, 4500", again.DirsListed, again.Files)
	}
}

func runCrashChild(t *testing.T, work string, delay time.Duration) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCrashChild$", "-test.count", "1")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "LOCALINDEX_CRASH_DELAY="+delay.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	err = cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	t.Logf("child with delay %s: %s (%v, signaled %v)", delay, strings.Join(lines, " | "), err, ws.Signaled())
	return strings.Join(lines, "\n") + "\nexit " + strconv.Itoa(cmd.ProcessState.ExitCode())
}

// toLIX3 rewrites the saved index of root in db as the LIX3 code left it:
// a summary row per directory ("h/<rel>") instead of the summary rows, and
// the state row under the LIX3 magic.
func toLIX3(t *testing.T, db *store.DB, root string) {
	t.Helper()
	ctx := context.Background()
	ns := rowNamespace(filepath.Clean(root))
	var keys []string
	var vals [][]byte
	err := db.EachRow(ctx, ns, chunkPrefix, func(key string, v []byte) error {
		keys, vals = append(keys, key), append(vals, nil)
		return eachChunkEntry(v, func(rel, head []byte) error {
			keys, vals = append(keys, headPrefix+string(rel)), append(vals, bytes.Clone(head))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	meta, _, err := db.Get(ctx, ns, metaKey)
	if err != nil {
		t.Fatal(err)
	}
	keys, vals = append(keys, metaKey), append(vals, append([]byte(rowsMagicLIX3), meta[len(rowsMagic):]...))
	if err := db.WriteRows(ctx, ns, keys, vals); err != nil {
		t.Fatal(err)
	}
}

// TestCrashDuringLIX3MigrationKeepsIndex kills a process in the middle of
// migrating a large LIX3 index (thousands of rows in one transaction) and
// checks that the store opens and the index loads without a warning,
// whichever side of the commit the kill fell on, with every directory: the
// next scan lists nothing.
func TestCrashDuringLIX3MigrationKeepsIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	work := t.TempDir()
	root, _ := fillTree(t, filepath.Join(work, "tree"), 3000, 1)
	dbPath := filepath.Join(work, store.FileName)
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	scan(t, openIndex(t, db, root, Options{}), false)
	toLIX3(t, db, root)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	killMidWrite(t, work, "the migration's write", time.Millisecond, 3*time.Millisecond, 10*time.Millisecond, 30*time.Millisecond)
	db, err = store.Open(dbPath)
	if err != nil {
		t.Fatalf("the store does not open after the crash: %v", err)
	}
	defer db.Close()
	ix := openIndex(t, db, root, Options{})
	if ix.loadWarn != "" || ix.FileCount() != 3000 {
		t.Fatalf("after the crash: warning %q, %d files; want the whole index (3000 files)", ix.loadWarn, ix.FileCount())
	}
	if res := scan(t, ix, false); res.DirsListed != 0 || res.Files != 3000 {
		t.Errorf("scan after the crash: listed %d, files %d; want 0, 3000", res.DirsListed, res.Files)
	}
	n := 0
	if err := db.EachRow(context.Background(), rowNamespace(ix.root), headPrefix, func(string, []byte) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("%d LIX3 summary rows left (%v)", n, err)
	}
}

// killMidWrite runs the crash child with each delay in turn until one run
// is killed between its BEGIN and its END (during what), and fails the
// test when none is.
func killMidWrite(t *testing.T, work, what string, delays ...time.Duration) {
	t.Helper()
	for _, delay := range delays {
		out := runCrashChild(t, work, delay)
		if strings.Contains(out, "BEGIN") && !strings.Contains(out, "END") {
			return
		}
	}
	t.Fatalf("the child was never killed during %s; make it larger", what)
}
