// Package storetest is the acceptance test every storage.Store backend must
// pass: listing order and prefixes, ranged reads, atomic create (nothing
// visible before Close, nothing after Abort), overwrite and delete.
package storetest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/furrowdata/furrow/storage"
)

// Run exercises s, which must be empty, and fails t on any deviation from the
// storage.Store contract.
func Run(t *testing.T, s storage.Store) {
	t.Helper()
	ctx := context.Background()

	put := func(key, body string) {
		t.Helper()
		if err := storage.WriteAll(ctx, s, key, []byte(body)); err != nil {
			t.Fatalf("writing %s: %v", key, err)
		}
	}
	list := func(prefix string) []string {
		t.Helper()
		var keys []string
		if err := s.List(ctx, prefix, func(o storage.ObjectInfo) error {
			keys = append(keys, o.Key)
			return nil
		}); err != nil {
			t.Fatalf("listing %q: %v", prefix, err)
		}
		return keys
	}
	equal := func(what string, got, want []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: got %q, want %q", what, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: got %q, want %q", what, got, want)
			}
		}
	}

	if got := list(""); len(got) != 0 {
		t.Fatalf("store not empty at start: %q", got)
	}
	put("in/b.txt", "bbb")
	put("in/a.txt", "0123456789")
	put("in/sub/c.txt", "c")
	put("in.txt", "x")
	put("other/d.txt", "d")

	equal("list in/", list("in/"), []string{"in/a.txt", "in/b.txt", "in/sub/c.txt"})
	equal("list in", list("in"), []string{"in.txt", "in/a.txt", "in/b.txt", "in/sub/c.txt"})
	equal("list all", list(""), []string{"in.txt", "in/a.txt", "in/b.txt", "in/sub/c.txt", "other/d.txt"})
	equal("list missing", list("nope/"), nil)

	info, err := s.Stat(ctx, "in/a.txt")
	if err != nil || info.Size != 10 || info.Key != "in/a.txt" {
		t.Fatalf("stat in/a.txt = %+v, %v; want size 10", info, err)
	}
	if _, err := s.Stat(ctx, "in/missing"); err == nil || !s.IsNotFound(err) {
		t.Fatalf("stat of a missing key: err = %v, want not-found", err)
	}
	if _, err := storage.Open(ctx, s, "in/missing"); err == nil || !s.IsNotFound(err) {
		t.Fatalf("open of a missing key: err = %v, want not-found", err)
	}

	read := func(key string, off, n int64) string {
		t.Helper()
		r, err := s.OpenRange(ctx, key, off, n)
		if err != nil {
			t.Fatalf("reading %s [%d,+%d): %v", key, off, n, err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("reading %s: %v", key, err)
		}
		return string(b)
	}
	if got := read("in/a.txt", 0, -1); got != "0123456789" {
		t.Fatalf("full read = %q", got)
	}
	if got := read("in/a.txt", 3, 4); got != "3456" {
		t.Fatalf("ranged read [3,+4) = %q, want 3456", got)
	}
	if got := read("in/a.txt", 7, -1); got != "789" {
		t.Fatalf("tail read from 7 = %q, want 789", got)
	}

	// Atomic create: invisible until Close.
	w, err := s.Create(ctx, "out/part-0")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	big := bytes.Repeat([]byte("furrow "), 1<<14)
	if _, err := w.Write(big); err != nil {
		t.Fatalf("write: %v", err)
	}
	equal("list out/ before close", list("out/"), nil)
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	equal("list out/ after close", list("out/"), []string{"out/part-0"})
	if got := read("out/part-0", 0, -1); got != string(big) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(big))
	}

	// Abort leaves nothing, and does not disturb an existing object.
	w, err = s.Create(ctx, "out/part-0")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, _ = w.Write([]byte("partial"))
	if err := w.Abort(); err != nil {
		t.Fatalf("abort: %v", err)
	}
	if got := read("out/part-0", 0, -1); got != string(big) {
		t.Fatalf("abort replaced the existing object (%d bytes)", len(got))
	}
	w, err = s.Create(ctx, "out/aborted")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, _ = w.Write([]byte("partial"))
	_ = w.Abort()
	equal("list out/ after abort", list("out/"), []string{"out/part-0"})

	// Overwrite replaces.
	put("out/part-0", "new")
	if got := read("out/part-0", 0, -1); got != "new" {
		t.Fatalf("overwrite: read %q", got)
	}

	// Delete, twice.
	for i := 0; i < 2; i++ {
		if err := s.Delete(ctx, "out/part-0"); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	equal("list out/ after delete", list("out/"), nil)
	if s.URL("x/y") == "" {
		t.Fatal("URL returned empty")
	}
}
