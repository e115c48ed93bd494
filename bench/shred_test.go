package bench

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/bench/gen"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/storage"
)

// shredEvents is the input size of BenchmarkShredJob (one op = one job).
var shredEvents = flag.Int("shred-events", 20_000, "events per BenchmarkShredJob run (duplicates included)")

// benchETL is the etl timestamp of the generated events and of the jobs.
var benchETL = gen.DefaultEnrichedConfig().ETL

// sampleResolverConfig is testdata/iglu-resolver.json with an absolute
// path, so that jobs resolve the sample schemas from any working folder.
func sampleResolverConfig(tb testing.TB) string {
	tb.Helper()
	root := testservers.RepoRoot(tb)
	doc := `{"schema":"iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1","data":{"cacheSize":500,"repositories":[` +
		`{"name":"furrow sample schemas","priority":0,"vendorPrefixes":["com.furrowdata"],"connection":{"filesystem":{"path":"` +
		filepath.Join(root, "testdata", "iglu") + `"}}}]}}`
	p := filepath.Join(tb.TempDir(), "iglu-resolver.json")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// sampleShredder is the typed Shredder of `furrow shred --format parquet`
// over the sample schemas (testdata/iglu) and the embedded registry.
func sampleShredder(tb testing.TB) *shred.Shredder {
	tb.Helper()
	root := testservers.RepoRoot(tb)
	cfg := iglu.DefaultConfig()
	cfg.Repositories = append(cfg.Repositories, iglu.Repository{Name: "sample", Priority: 0, VendorPrefixes: []string{"com.furrowdata"}, Folder: filepath.Join(root, "testdata", "iglu")})
	resolver, err := iglu.NewResolver(cfg, iglu.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	sh, err := shred.New(resolver, shred.Config{FailureTstamp: benchETL, Typed: true, Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	return sh
}

// genLines returns the generated enriched lines of cfg (no newlines) and
// their size in bytes, newlines included.
func genLines(tb testing.TB, cfg gen.EnrichedConfig) ([]string, int64) {
	tb.Helper()
	data, st, err := gen.Enriched(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"), st.Bytes
}

// nullStore keeps nothing: the micro-benchmarks measure encoding, not a disk.
type nullStore struct{ storage.Store }

type nullWriter struct{}

func (nullWriter) Write(p []byte) (int, error) { return len(p), nil }
func (nullWriter) Close() error                { return nil }
func (nullWriter) Abort() error                { return nil }

func (nullStore) Create(context.Context, string) (storage.Writer, error) { return nullWriter{}, nil }
func (nullStore) URL(key string) string                                  { return "null:///" + key }

// runShred runs b.N events, cycling over lines, through ParseLine, Shred and
// (when format is not "") that format's writer, and reports events/s
// (wall), cpu-µs/event and events/cpu-s. b.SetBytes is the mean line size.
func runShred(b *testing.B, sh *shred.Shredder, format shred.Format, lines []string, bytes int64) {
	ctx := context.Background()
	var w shred.Writer
	if format != "" {
		var err error
		if w, err = shred.NewWriter(shred.WriterConfig{Format: format, Store: nullStore{}, Shredder: sh}); err != nil {
			b.Fatal(err)
		}
	}
	evs := make([]event.Event, len(lines)) // writers keep events until they flush
	b.SetBytes(bytes / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	clock := startCPU(b)
	for i := 0; i < b.N; i++ {
		j := i % len(lines)
		ev := &evs[j]
		if err := shred.ParseLine(lines[j], ev); err != nil {
			b.Fatal(err)
		}
		s, err := sh.Shred(ctx, ev, "")
		if err != nil {
			b.Fatal(err)
		}
		if w != nil {
			if err := w.Write(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
	}
	if w != nil {
		if _, err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	clock.report(b, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkShredParquetAtomic measures enriched TSV → typed atomic Parquet
// (zstd) on the generated events with their JSON fields emptied (no
// entities): parse, atomic checks, Arrow batches, Parquet encoding into a
// store that discards the bytes. MB/s is of TSV in (of the lines without
// their JSON fields, ~1.1 KB), events/s per core (one goroutine).
//
//	go test ./bench -run '^$' -bench 'ShredParquetAtomic$' -benchtime 200000x -count 5
func BenchmarkShredParquetAtomic(b *testing.B) {
	cfg := gen.DefaultEnrichedConfig()
	cfg.Events, cfg.UnstructShare = 20_000, 0
	lines, _ := genLines(b, cfg)
	var size int64
	var ev event.Event
	for i, l := range lines {
		if err := event.ParseTSV(l, &ev); err != nil {
			b.Fatal(err)
		}
		ev.Fields[event.Contexts], ev.Fields[event.DerivedContexts], ev.Fields[event.UnstructEvent] = "", "", ""
		lines[i] = string(event.AppendTSV(nil, &ev))
		size += int64(len(lines[i])) + 1
	}
	runShred(b, sampleShredder(b), shred.FormatParquet, lines, size)
}

// BenchmarkShred3Contexts measures generated events with three contexts
// each (page_context and user in contexts, ua_parser_context in
// derived_contexts; ~1.9 KB of TSV): "validate" is parse + JSON + Iglu
// validation + column checks (Shredder.Shred), "parquet" adds the Parquet
// writer (atomic + three entity datasets). One goroutine: events/s is per
// core.
//
//	go test ./bench -run '^$' -bench 'Shred3Contexts$' -benchtime 100000x -count 5
func BenchmarkShred3Contexts(b *testing.B) {
	cfg := gen.DefaultEnrichedConfig()
	cfg.Events, cfg.UnstructShare, cfg.NaturalDupShare, cfg.SyntheticDupShare = 20_000, 0, 0, 0
	lines, size := genLines(b, cfg)
	sh := sampleShredder(b)
	for _, f := range []shred.Format{"", shred.FormatParquet} {
		name := string(f)
		if name == "" {
			name = "validate"
		}
		b.Run(name, func(b *testing.B) { runShred(b, sh, f, lines, size) })
	}
}

// BenchmarkShredJob measures the whole `furrow shred --format parquet` path
// on one core (pipeline.Run, Job shred, Parallelism 1): reading, the map
// stage's parse and validation, the in-process shuffle, dedupe, the reduce
// stage's shredding and the Parquet files on local disk, the commit. The
// input is bench/gen's enriched TSV (3% natural, 0.5% synthetic duplicates,
// 10% self-describing events; ~1.9 KB per line); -shred-events sets its
// size. cpu-µs/event counts every goroutine of the job (GC included).
//
//	go test ./bench -run '^$' -bench 'ShredJob$' -benchtime 3x -count 5 -args -shred-events 200000
func BenchmarkShredJob(b *testing.B) {
	in := b.TempDir()
	cfg := gen.DefaultEnrichedConfig()
	cfg.Events = *shredEvents
	st, err := gen.WriteEnrichedFiles(in, cfg, 1_000_000)
	if err != nil {
		b.Fatal(err)
	}
	iglu := sampleResolverConfig(b)
	b.SetBytes(st.Bytes)
	b.ReportAllocs()
	b.ResetTimer()
	clock := startCPU(b)
	for i := 0; i < b.N; i++ {
		out := b.TempDir()
		rep, err := pipeline.Run(context.Background(), pipeline.Config{
			Job: pipeline.JobShred, Input: in, Output: filepath.Join(out, "good"), Bad: filepath.Join(out, "bad"),
			IgluConfig: iglu, OutputFormat: "parquet", ETLTimestamp: benchETL,
			Parallelism: 1, SpillDir: filepath.Join(out, "spill"), Logger: quiet,
		})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Bad+rep.ShredBad != 0 || rep.Duplicates != int64(st.Natural) {
			b.Fatalf("%d bad rows, %d duplicates (want 0 and %d)", rep.Bad+rep.ShredBad, rep.Duplicates, st.Natural)
		}
	}
	b.StopTimer()
	clock.report(b, b.N*st.Lines)
	b.ReportMetric(float64(b.N*st.Lines)/b.Elapsed().Seconds(), "events/s")
}

// TestGeneratedEventsShred checks that every generated line shreds with no
// bad row through the sample schemas: the benchmarks measure the good path.
func TestGeneratedEventsShred(t *testing.T) {
	cfg := gen.DefaultEnrichedConfig()
	cfg.Events = 5000
	lines, _ := genLines(t, cfg)
	sh := sampleShredder(t)
	entities := 0
	for i, l := range lines {
		s, bad, err := sh.ShredLine(context.Background(), l, "")
		if err != nil {
			t.Fatal(err)
		}
		if bad != nil {
			t.Fatalf("line %d: %s", i+1, bytes.TrimSpace(bad.AppendJSON(nil)))
		}
		entities += len(s.Entities)
	}
	if entities < 3*len(lines) {
		t.Fatalf("%d entities in %d events, want at least 3 each", entities, len(lines))
	}
}
