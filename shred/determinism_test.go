package shred_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/storage"
)

// snapshot returns every object of the store.
func snapshot(t testing.TB, st storage.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, k := range listKeys(t, st) {
		b, err := storage.ReadAll(testCtx(t), st, k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = b
	}
	return out
}

// TestRerunIsByteIdentical runs the same input twice per format (two
// partitions, fresh shredders so nothing is shared) and compares every file
// byte for byte: no wall clock, host or random value may reach the output.
func TestRerunIsByteIdentical(t *testing.T) {
	in := genInputs(50)
	in[9].originalID = genID(9)
	for _, f := range []shred.Format{shred.FormatLegacy, shred.FormatParquet, shred.FormatWideRow} {
		t.Run(string(f), func(t *testing.T) {
			var snaps []map[string][]byte
			for attempt := 0; attempt < 2; attempt++ {
				sh := newShredder(t, testRegistry(t), f.Typed())
				st, _ := newStore(t)
				for p, part := range [][]input{in[:25], in[25:]} {
					run(t, sh, shred.WriterConfig{Format: f, Store: st, Prefix: "out", Partition: p, BatchRows: 8, Shredder: sh}, part)
				}
				snaps = append(snaps, snapshot(t, st))
			}
			a, b := snaps[0], snaps[1]
			if len(a) == 0 || len(a) != len(b) {
				t.Fatalf("runs wrote %d and %d files", len(a), len(b))
			}
			for k, v := range a {
				if !bytes.Equal(v, b[k]) {
					t.Errorf("%s differs between runs", k)
				}
			}
		})
	}
}

// TestRetryOverwrites checks that a retried task writes the same names and
// so replaces its earlier output instead of adding files.
func TestRetryOverwrites(t *testing.T) {
	sh := newShredder(t, testRegistry(t), true)
	st, _ := newStore(t)
	cfg := shred.WriterConfig{Format: shred.FormatParquet, Store: st, Prefix: "out", Partition: 4, Shredder: sh}
	run(t, sh, cfg, genInputs(10))
	first := listKeys(t, st)
	run(t, sh, cfg, genInputs(10))
	if got := listKeys(t, st); strings.Join(got, ",") != strings.Join(first, ",") {
		t.Errorf("retry wrote %v, first attempt %v", got, first)
	}
	for _, k := range first {
		if !strings.Contains(k, "/part-00004-00000.parquet") {
			t.Errorf("unexpected file name %s", k)
		}
	}
}

// TestLegacyRollsFiles checks that the legacy writer cuts parts by size and
// that the lines survive intact across parts.
func TestLegacyRollsFiles(t *testing.T) {
	sh := newShredder(t, testRegistry(t), false)
	st, _ := newStore(t)
	in := genInputs(30)
	res := run(t, sh, shred.WriterConfig{Format: shred.FormatLegacy, Store: st, FileBytes: 4 << 10, Shredder: sh}, in)
	var atomicParts int
	for _, k := range res.stats.Files {
		if strings.HasPrefix(k, shred.LegacyAtomicDir+"/") {
			atomicParts++
		}
	}
	if atomicParts < 3 {
		t.Errorf("%d atomic parts, want several: %v", atomicParts, res.stats.Files)
	}
	got := readLines(t, st, shred.LegacyAtomicDir+"/")
	if len(got) != len(in) {
		t.Fatalf("%d atomic rows, want %d", len(got), len(in))
	}
	for i, l := range got {
		var ev event.Event
		if err := event.ParseTSV(in[i].line, &ev); err != nil {
			t.Fatal(err)
		}
		want := string(event.AppendTSVExcept(nil, &ev, event.Contexts, event.UnstructEvent, event.DerivedContexts))
		if l != want {
			t.Errorf("row %d:\n got %q\nwant %q", i, l, want)
		}
	}
	lines := readLines(t, st, shred.LegacyTypeDir(mustKey(t, "iglu:com.furrow.test/flat/jsonschema/1-0-0"))+"/")
	if int64(len(lines)) != res.stats.Types[shred.TypeKey{Schema: mustKey(t, "iglu:com.furrow.test/flat/jsonschema/1-0-0"), Entity: shred.Context}] {
		t.Errorf("%d flat lines, stats say %v", len(lines), res.stats.Types)
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["hierarchy"] == nil {
			t.Errorf("line %q: %v", l, err)
		}
	}
}

// TestLegacyTruncatesAsPostgresConstraints checks 0.13's truncation of
// atomic fields (in UTF-16 units) in the legacy layout.
func TestLegacyTruncatesAsPostgresConstraints(t *testing.T) {
	sh := newShredder(t, testRegistry(t), false)
	st, _ := newStore(t)
	ev := genEvent(1)
	ev.Fields[event.GeoRegion] = "CAX"                     // limit 2 in 0.13
	ev.Fields[event.GeoCountry] = "E\U0001F600"            // limit 2: cut inside a surrogate pair
	ev.Fields[event.BaseCurrency] = "\U0001F600xy"         // limit 3: a pair counts 2 units
	ev.Fields[event.PageTitle] = strings.Repeat("é", 2100) // 2000
	run(t, sh, shred.WriterConfig{Format: shred.FormatLegacy, Store: st, Shredder: sh}, lines(string(event.AppendTSV(nil, ev))))
	row := strings.Split(readLines(t, st, shred.LegacyAtomicDir+"/")[0], "\t")
	idx := func(f event.Field) int {
		for i, a := range shred.AtomicFields {
			if a == f {
				return i
			}
		}
		t.Fatalf("no atomic field %s", f)
		return -1
	}
	for f, want := range map[event.Field]string{
		event.GeoRegion:    "CA",
		event.GeoCountry:   "E?",
		event.BaseCurrency: "\U0001F600x",
		event.PageTitle:    strings.Repeat("é", 2000),
	} {
		if got := row[idx(f)]; got != want {
			t.Errorf("%s: got %q, want %q", f, got, want)
		}
	}
}

// failingStore fails every Create after the first n, to check that a writer
// reports storage failures and leaves nothing half-visible.
type failingStore struct {
	storage.Store
	n int
	// writes: the created writers fail every Write (a cancelled task's
	// storage) instead of Create failing.
	writes bool
}

func (f *failingStore) Create(ctx context.Context, key string) (storage.Writer, error) {
	if f.writes {
		w, err := f.Store.Create(ctx, key)
		if err != nil {
			return nil, err
		}
		return failingWriter{w}, nil
	}
	if f.n <= 0 {
		return nil, errors.New("injected create failure")
	}
	f.n--
	return f.Store.Create(ctx, key)
}

type failingWriter struct{ storage.Writer }

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("injected write failure") }

func TestWriterReportsStorageFailure(t *testing.T) {
	for _, c := range []struct {
		f      shred.Format
		writes bool
	}{{shred.FormatLegacy, false}, {shred.FormatParquet, false}, {shred.FormatWideRow, false},
		{shred.FormatLegacy, true}, {shred.FormatParquet, true}, {shred.FormatWideRow, true}} {
		f := c.f
		name := string(f) + "/create"
		if c.writes {
			name = string(f) + "/write" // arrow-go panics when its first write fails: must be an error
		}
		t.Run(name, func(t *testing.T) {
			sh := newShredder(t, testRegistry(t), f.Typed())
			base, _ := newStore(t)
			st := &failingStore{Store: base, writes: c.writes}
			w, err := shred.NewWriter(shred.WriterConfig{Format: f, Store: st, Shredder: sh, BatchRows: 4})
			if err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			var werr error
			for i := 0; i < 20 && werr == nil; i++ {
				s, err := sh.Shred(ctx, genEvent(i), "")
				if err != nil {
					t.Fatal(err)
				}
				werr = w.Write(ctx, s)
			}
			if werr == nil {
				_, werr = w.Close(ctx)
			} else {
				w.Abort()
			}
			if werr == nil || !strings.Contains(werr.Error(), "injected") {
				t.Fatalf("got %v, want the injected failure", werr)
			}
		})
	}
}

func TestCommitWritesSuccessLast(t *testing.T) {
	st, _ := newStore(t)
	rec := &recordingStore{Store: st}
	sum := shred.Summary{
		Prefix: "run=2024-01-01-00-00-00", Base: "s3://bucket/run=2024-01-01-00-00-00/", Format: shred.FormatParquet,
		Compression: "zstd", Bad: 2, Duplicates: 3, Artifact: "furrow", Version: "test",
		JobStarted: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), JobCompleted: time.Date(2024, 1, 1, 0, 5, 0, 0, time.UTC),
	}
	var a, b shred.Stats
	sh := newShredder(t, testRegistry(t), true)
	for i := 0; i < 6; i++ {
		s, err := sh.Shred(testCtx(t), genEvent(i), "")
		if err != nil {
			t.Fatal(err)
		}
		w, _ := shred.NewWriter(shred.WriterConfig{Format: shred.FormatParquet, Store: st, Prefix: sum.Prefix, Partition: i, Shredder: sh})
		if err := w.Write(testCtx(t), s); err != nil {
			t.Fatal(err)
		}
		stats, err := w.Close(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			a.Merge(stats)
		} else {
			b.Merge(stats)
		}
	}
	sum.Stats.Merge(a)
	sum.Stats.Merge(b)
	if err := shred.Commit(testCtx(t), rec, sum); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.created, ","); got != sum.Prefix+"/shredding_complete.json,"+sum.Prefix+"/_SUCCESS" {
		t.Errorf("commit wrote %s", got)
	}
	doc, err := storage.ReadAll(testCtx(t), st, sum.Prefix+"/shredding_complete.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Base  string `json:"base"`
		Types []struct {
			SchemaKey, Format, SnowplowEntity string
			Count                             int64
		} `json:"types"`
		Timestamps struct{ Min, Max, JobStarted string } `json:"timestamps"`
		Count      struct{ Good, Bad, Duplicates int64 } `json:"count"`
		Files      []string                              `json:"files"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.Count.Good != 6 || d.Count.Bad != 2 || d.Count.Duplicates != 3 {
		t.Errorf("counts %+v", d.Count)
	}
	if d.Timestamps.Min != "2024-03-01T12:00:00.000Z" || d.Timestamps.Max != "2024-03-01T12:00:06.185Z" {
		t.Errorf("timestamps %+v", d.Timestamps)
	}
	var clicks int64
	for _, ty := range d.Types {
		if ty.SchemaKey == "iglu:com.furrow.test/click/jsonschema/1-0-0" {
			clicks = ty.Count
			if ty.SnowplowEntity != "SELF_DESCRIBING_EVENT" || ty.Format != "PARQUET" {
				t.Errorf("click type %+v", ty)
			}
		}
	}
	if clicks != 3 || len(d.Files) != len(sum.Stats.Files) || len(d.Files) < 6 {
		t.Errorf("clicks %d, files %v", clicks, d.Files)
	}
	// the document depends only on the summary
	again, _ := sum.CompleteJSON()
	if !bytes.Equal(again, doc) {
		t.Error("shredding_complete.json is not deterministic")
	}
}

// recordingStore records the order of completed writes.
type recordingStore struct {
	storage.Store
	created []string
}

type recWriter struct {
	storage.Writer
	s   *recordingStore
	key string
}

func (w *recWriter) Close() error {
	err := w.Writer.Close()
	if err == nil {
		w.s.created = append(w.s.created, w.key)
	}
	return err
}

func (r *recordingStore) Create(ctx context.Context, key string) (storage.Writer, error) {
	w, err := r.Store.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &recWriter{Writer: w, s: r, key: key}, nil
}

// TestConcurrentPartitions runs four partitions at once through one shared
// Shredder (as a worker does) and compares every file with a sequential
// run: plans and parser scratch are shared safely and do not depend on
// which partition asked first.
func TestConcurrentPartitions(t *testing.T) {
	in := genInputs(80)
	parts := [][]input{in[:20], in[20:40], in[40:60], in[60:]}
	for _, f := range []shred.Format{shred.FormatParquet, shred.FormatWideRow} {
		t.Run(string(f), func(t *testing.T) {
			seq, _ := newStore(t)
			sh := newShredder(t, testRegistry(t), true)
			for p, part := range parts {
				run(t, sh, shred.WriterConfig{Format: f, Store: seq, Partition: p, BatchRows: 8, Shredder: sh}, part)
			}
			par, _ := newStore(t)
			sh = newShredder(t, testRegistry(t), true)
			t.Run("partitions", func(t *testing.T) { // returns once every parallel partition is done
				for p, part := range parts {
					t.Run(strconv.Itoa(p), func(t *testing.T) {
						t.Parallel()
						run(t, sh, shred.WriterConfig{Format: f, Store: par, Partition: p, BatchRows: 8, Shredder: sh}, part)
					})
				}
			})
			a, b := snapshot(t, seq), snapshot(t, par)
			if len(a) != len(b) {
				t.Fatalf("%d files sequentially, %d concurrently", len(a), len(b))
			}
			for k, v := range a {
				if !bytes.Equal(v, b[k]) {
					t.Errorf("%s differs", k)
				}
			}
		})
	}
}
