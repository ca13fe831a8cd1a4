package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func collectRows(t *testing.T, db *DB, ns, prefix string) []string {
	t.Helper()
	var got []string
	must(t, db.EachRow(context.Background(), ns, prefix, func(k string, v []byte) error {
		got = append(got, k+"="+string(v))
		return nil
	}))
	return got
}

func TestWriteRowsAndEachRowByPrefix(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	must(t, db.WriteRows(ctx, "ix", []string{"h/a", "f/a", "h/b", "m", "h/\xff"}, [][]byte{[]byte("1"), []byte("2"), []byte("3"), []byte("4"), []byte("5")}))
	must(t, db.Put(ctx, "other", "h/a", []byte("x")))
	if got, want := fmt.Sprint(collectRows(t, db, "ix", "h/")), "[h/a=1 h/b=3 h/\xff=5]"; got != want {
		t.Errorf("prefix h/: %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(collectRows(t, db, "ix", "")), "[f/a=2 h/a=1 h/b=3 h/\xff=5 m=4]"; got != want {
		t.Errorf("whole namespace: %q, want %q", got, want)
	}
	// nil deletes, empty stores an empty value
	must(t, db.WriteRows(ctx, "ix", []string{"h/a", "h/b", "nope"}, [][]byte{nil, {}, nil}))
	if got, want := fmt.Sprint(collectRows(t, db, "ix", "h/")), "[h/b= h/\xff=5]"; got != want {
		t.Errorf("after delete: %q, want %q", got, want)
	}
	stop := errors.New("stop")
	n := 0
	err := db.EachRow(ctx, "ix", "", func(string, []byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn error: got %v after %d rows, want stop after 1", err, n)
	}
}

func TestPrefixEnd(t *testing.T) {
	for in, want := range map[string]string{"h/": "h0", "a\xff": "b", "\xff\xff": "", "": ""} {
		got, ok := prefixEnd(in)
		if got != want || ok != (want != "") {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
