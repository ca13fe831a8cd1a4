package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestKeyValue(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	steps := []struct {
		op       string // put, del
		ns, key  string
		val      []byte
		wantList map[string][]Entry
	}{
		{op: "put", ns: "index", key: "b", val: []byte("2")},
		{op: "put", ns: "index", key: "a", val: []byte("1")},
		{op: "put", ns: "alert", key: "a", val: []byte("fired")},
		{op: "put", ns: "index", key: "b", val: []byte("22")}, // overwrite
		{op: "put", ns: "index", key: "empty", val: nil},
		{op: "del", ns: "index", key: "missing"}, // deleting nothing is fine
		{op: "del", ns: "index", key: "a"},
	}
	for _, s := range steps {
		var err error
		if s.op == "put" {
			err = db.Put(ctx, s.ns, s.key, s.val)
		} else {
			err = db.Delete(ctx, s.ns, s.key)
		}
		if err != nil {
			t.Fatalf("%s %s/%s: %v", s.op, s.ns, s.key, err)
		}
	}
	want := map[string][]Entry{
		"index": {{Key: "b", Value: []byte("22")}, {Key: "empty", Value: []byte{}}},
		"alert": {{Key: "a", Value: []byte("fired")}},
		"other": nil,
	}
	for ns, w := range want {
		got, err := db.List(ctx, ns)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("List(%s) -want +got:\n%s", ns, diff)
		}
	}
	gets := []struct {
		ns, key string
		val     string
		ok      bool
	}{
		{"index", "b", "22", true}, {"index", "a", "", false}, {"alert", "a", "fired", true},
		{"alert", "b", "", false}, {"index", "empty", "", true},
	}
	for _, g := range gets {
		val, ok, err := db.Get(ctx, g.ns, g.key)
		if err != nil || ok != g.ok || string(val) != g.val || (ok && val == nil) {
			t.Errorf("Get(%s, %s) = %q, %v, %v; want %q, %v", g.ns, g.key, val, ok, err, g.val, g.ok)
		}
	}
}

func TestDeleteNamespaceKeepsOthers(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	for i := range 3 {
		must(t, db.Put(ctx, "index", fmt.Sprint(i), []byte("x")))
	}
	must(t, db.Put(ctx, "alert", "alice/auth", []byte("fired")))
	n, err := db.DeleteNamespace(ctx, "index")
	if err != nil || n != 3 {
		t.Fatalf("DeleteNamespace = %d, %v; want 3", n, err)
	}
	if l, _ := db.List(ctx, "index"); len(l) != 0 {
		t.Errorf("index still has %d entries", len(l))
	}
	if _, ok, _ := db.Get(ctx, "alert", "alice/auth"); !ok {
		t.Error("DeleteNamespace(index) removed alert state")
	}
}

func TestPutMany(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	must(t, db.Put(ctx, "index", "a", []byte("old")))
	in := []Entry{{Key: "a", Value: []byte("new")}, {Key: "b", Value: nil}, {Key: "c", Value: []byte("3")}}
	must(t, db.PutMany(ctx, "index", in))
	got, err := db.List(ctx, "index")
	must(t, err)
	want := []Entry{{Key: "a", Value: []byte("new")}, {Key: "b", Value: []byte{}}, {Key: "c", Value: []byte("3")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List after PutMany -want +got:\n%s", diff)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.PutMany(ctx2, "index", []Entry{{Key: "d"}}); err == nil {
		t.Error("PutMany with canceled context succeeded")
	}
	if _, ok, _ := db.Get(ctx, "index", "d"); ok {
		t.Error("failed PutMany left an entry")
	}
}

func TestEmptyNamespaceIsRejected(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	if err := db.Put(ctx, "", "k", nil); err == nil {
		t.Error("Put with empty namespace succeeded")
	}
	if _, _, err := db.Get(ctx, "", "k"); err == nil {
		t.Error("Get with empty namespace succeeded")
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	add := func(account string, day int, data string) {
		t.Helper()
		at := base.Add(time.Duration(day) * 24 * time.Hour).In(time.FixedZone("X", 3600))
		if err := db.AppendHistory(ctx, account, at, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	add("alice", 3, "d3")
	add("alice", 1, "d1")
	add("bob", 2, "bob2")
	add("alice", 2, "d2a")
	add("alice", 2, "d2b") // same time: kept in append order
	day := func(d int) time.Time { return base.Add(time.Duration(d) * 24 * time.Hour) }

	got, err := db.History(ctx, "alice", day(2))
	if err != nil {
		t.Fatal(err)
	}
	want := []HistoryPoint{{day(2), []byte("d2a")}, {day(2), []byte("d2b")}, {day(3), []byte("d3")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("History(alice, day 2) -want +got:\n%s", diff)
	}
	if all, _ := db.History(ctx, "alice", time.Time{}); len(all) != 4 {
		t.Errorf("History since zero time = %d points, want 4", len(all))
	}

	n, err := db.PruneHistory(ctx, day(2))
	if err != nil || n != 1 {
		t.Fatalf("PruneHistory = %d, %v; want 1 (alice day 1)", n, err)
	}
	if all, _ := db.History(ctx, "alice", time.Time{}); len(all) != 3 {
		t.Errorf("after prune alice has %d points, want 3", len(all))
	}
	if b, _ := db.History(ctx, "bob", time.Time{}); len(b) != 1 {
		t.Errorf("prune removed bob's newer point")
	}
}

func TestReports(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	if _, _, ok, err := db.LastReport(ctx, "alice"); ok || err != nil {
		t.Fatalf("LastReport on empty db: ok=%v err=%v", ok, err)
	}
	t1 := time.Date(2026, 11, 22, 10, 0, 0, 123, time.UTC)
	t2 := t1.Add(time.Hour)
	must(t, db.SaveReport(ctx, "alice", t1, []byte(`{"n":1}`)))
	must(t, db.SaveReport(ctx, "bob", t1, []byte(`{"bob":1}`)))
	if err := db.SaveReport(ctx, "alice", t2, []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	at, data, ok, err := db.LastReport(ctx, "alice")
	if err != nil || !ok || !at.Equal(t2) || string(data) != `{"n":2}` {
		t.Errorf("LastReport(alice) = %v, %s, %v, %v; want %v, {\"n\":2}", at, data, ok, err, t2)
	}
	if _, data, _, _ := db.LastReport(ctx, "bob"); string(data) != `{"bob":1}` {
		t.Errorf("LastReport(bob) = %s", data)
	}
}

func TestCanceledContext(t *testing.T) {
	db := newDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Put(ctx, "ns", "k", nil); err == nil {
		t.Error("Put with a canceled context succeeded")
	}
}

func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	val := make([]byte, 200)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := db.Put(ctx, "index", fmt.Sprint(i%10000), val); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutMany1000(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	entries := make([]Entry, 1000)
	for i := range entries {
		entries[i] = Entry{Key: fmt.Sprint(i), Value: make([]byte, 200)}
	}
	b.ReportAllocs()
	for b.Loop() {
		must(b, db.PutMany(ctx, "index", entries))
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	for i := range 10000 {
		must(b, db.Put(ctx, "index", fmt.Sprint(i), make([]byte, 200)))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok, err := db.Get(ctx, "index", fmt.Sprint(i%10000)); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkAppendHistory(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	data := make([]byte, 300)
	at := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := db.AppendHistory(ctx, "alice", at.Add(time.Duration(i)*time.Second), data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen100k measures Open (integrity check, version check) of a
// database holding 100,000 index entries of 200 bytes.
func BenchmarkOpen100k(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), FileName)
	db, err := Open(path)
	must(b, err)
	entries := make([]Entry, 10000)
	for round := range 10 {
		for i := range entries {
			entries[i] = Entry{Key: fmt.Sprint(round, "/", i), Value: make([]byte, 200)}
		}
		must(b, db.PutMany(ctx, "index", entries))
	}
	must(b, db.Close())
	b.ResetTimer()
	for b.Loop() {
		db, err := Open(path)
		must(b, err)
		must(b, db.Close())
	}
}
