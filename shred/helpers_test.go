package shred_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/local"
)

var etl = time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// resolverFromConfig builds a resolver from a resolver-config document.
func resolverFromConfig(t testing.TB, doc []byte) *iglu.Resolver {
	t.Helper()
	cfg, err := iglu.ParseConfig(doc)
	if err != nil {
		t.Fatalf("parsing resolver config: %v", err)
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("building resolver: %v", err)
	}
	return r
}

// testRegistry serves shred/testdata/iglu over HTTP on 127.0.0.1 and returns
// a resolver for it (plus Iglu's built-in registry).
func testRegistry(t testing.TB) *iglu.Resolver {
	t.Helper()
	return resolverFromConfig(t, iglutest.ResolverConfigJSON(iglutest.Serve(t, filepath.Join("testdata", "iglu"))))
}

func newShredder(t testing.TB, reg shred.Registry, typed bool) *shred.Shredder {
	t.Helper()
	s, err := shred.New(reg, shred.Config{FailureTstamp: etl, Typed: typed, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newStore(t testing.TB) (*local.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// result is what one run of lines through a shredder and writer produced.
type result struct {
	bad   []event.BadRow
	stats shred.Stats
}

// input is one event for a run: a TSV line and, for synthetic duplicates,
// the original event id.
type input struct {
	line       string
	originalID string
}

func lines(ls ...string) []input {
	out := make([]input, len(ls))
	for i, l := range ls {
		out[i] = input{line: l}
	}
	return out
}

// run shreds the inputs into cfg's writer (Store/Shredder set by the caller).
func run(t testing.TB, sh *shred.Shredder, cfg shred.WriterConfig, in []input) result {
	t.Helper()
	ctx := testCtx(t)
	w, err := shred.NewWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var res result
	for _, in := range in {
		var ev event.Event
		if err := shred.ParseLine(in.line, &ev); err != nil {
			res.bad = append(res.bad, sh.BadRow(in.line, err))
			continue
		}
		s, err := sh.Shred(ctx, &ev, in.originalID)
		if err != nil {
			if _, ok := shred.AsError(err); !ok {
				w.Abort()
				t.Fatalf("shred: %v", err)
			}
			res.bad = append(res.bad, sh.BadRow(in.line, err))
			continue
		}
		if err := w.Write(ctx, s); err != nil {
			w.Abort()
			t.Fatalf("write: %v", err)
		}
	}
	res.stats, err = w.Close(ctx)
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	return res
}

// readLines returns the lines of every file under dir in the store, in key
// order.
func readLines(t testing.TB, st storage.Store, dir string) []string {
	t.Helper()
	var out []string
	err := st.List(testCtx(t), dir, func(o storage.ObjectInfo) error {
		b, err := storage.ReadAll(testCtx(t), st, o.Key)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if l != "" || len(b) > 0 {
				out = append(out, l)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// listKeys returns every key in the store.
func listKeys(t testing.TB, st storage.Store) []string {
	t.Helper()
	var keys []string
	if err := st.List(testCtx(t), "", func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// sharedDir returns ../shared (relative to the repository root), skipping
// the test when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("../shared is not available (%s): the peer conformance fixtures and Iglu Central live there", dir)
	}
	return dir
}
