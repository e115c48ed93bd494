package bench

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/furrowdata/furrow/bench/gen"
	"github.com/furrowdata/furrow/enrich"
	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/pipeline"
)

var quiet = slog.New(slog.NewTextHandler(bytes.NewBuffer(nil), nil))

// sampleEnricher builds the enrich path of `make run`: the sample's Iglu
// registry and the default enrichment set of testdata/enrichments (when
// present).
func sampleProcessor(b *testing.B, format string) *enrich.Processor {
	b.Helper()
	root := testservers.RepoRoot(b)
	cfg := iglu.DefaultConfig()
	cfg.Repositories = append(cfg.Repositories, iglu.Repository{Name: "sample", Priority: 0, Folder: filepath.Join(root, "testdata", "iglu")})
	resolver, err := iglu.NewResolver(cfg, iglu.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	reg := enrichment.Empty()
	if dir := filepath.Join(root, "testdata", "enrichments"); dirExists(dir) {
		b.Chdir(root)
		if reg, err = enrichment.LoadDir(context.Background(), dir, enrichment.Options{Resolver: resolver, Logger: quiet, Assets: enrichment.AssetOptions{CacheDir: b.TempDir(), LocalDir: filepath.Join(root, "testdata", "maxmind")}}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { reg.Close() })
	}
	etl := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	enr, err := enrich.New(enrich.Config{ETLTimestamp: etl}, resolver, reg, quiet)
	if err != nil {
		b.Fatal(err)
	}
	f, err := collector.Lookup(format)
	if err != nil {
		b.Fatal(err)
	}
	p, err := enrich.NewProcessor(enrich.ProcessorConfig{Format: f, Adapters: adapter.NewRegistry(resolver), Enricher: enr, ETLTimestamp: etl, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func dirExists(d string) bool {
	fi, err := os.Stat(d)
	return err == nil && fi.IsDir()
}

// BenchmarkEnrich measures the enrich map path per core — collector format,
// adapters, enricher with the default enrichment set, TSV encoding — on the
// generated sample mix (page views, pings, structured, self-describing events
// with contexts, transactions; POST batches for Tomcat; 4% broken lines).
// events/s is wall-clock; cpu-µs/event and events/cpu-s are process CPU time
// (getrusage, GC included), the per-core figure on a loaded machine.
//
//	go test ./bench -run '^$' -bench 'Enrich$' -benchmem -count 10
func BenchmarkEnrich(b *testing.B) {
	for _, format := range []string{"cloudfront", "clj-tomcat"} {
		b.Run(format, func(b *testing.B) {
			p := sampleProcessor(b, format)
			cfg := gen.DefaultConfig()
			cfg.Lines = 2000
			var data []byte
			if format == "cloudfront" {
				data = gen.CloudFront(cfg)
			} else {
				data = gen.Tomcat(cfg)
			}
			lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
			ctx := context.Background()
			// As the pipeline's enrich stage: events are encoded before the
			// next record, so the Result recycles them.
			res := enrich.Result{Recycle: true}
			var tsv []byte
			// One pass before the clock starts: what a job pays once (ua-
			// parser compiles a rule's pattern when an agent first needs
			// it; caches fill) stays out of the per-event figures.
			for _, l := range lines {
				res.Reset()
				p.Process(ctx, l, &res)
			}
			events := 0
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			clock := startCPU(b)
			for i := 0; i < b.N; i++ {
				for _, l := range lines {
					res.Reset()
					p.Process(ctx, l, &res)
					for _, e := range res.Events {
						tsv = appendTSV(tsv[:0], e)
					}
					events += len(res.Events) + len(res.Bad)
				}
			}
			b.StopTimer()
			clock.report(b, events)
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkEnrichJob measures `furrow enrich` end to end (planning, reading,
// decompression, enrich workers, shuffle, TSV writer, report) on one core;
// cpu-µs/event counts every goroutine of the job (reader, writer, GC).
//
//	go test ./bench -run '^$' -bench 'EnrichJob$' -benchmem -count 5
func BenchmarkEnrichJob(b *testing.B) {
	root := testservers.RepoRoot(b)
	b.Chdir(root)
	in := b.TempDir()
	cfg := gen.DefaultConfig()
	cfg.Lines = 20000
	data := gen.CloudFront(cfg)
	if err := os.WriteFile(filepath.Join(in, "cf.log"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	var enrichments string
	if d := filepath.Join(root, "testdata", "enrichments"); dirExists(d) {
		enrichments = d
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var events int64
	b.ResetTimer()
	clock := startCPU(b)
	for i := 0; i < b.N; i++ {
		out := b.TempDir()
		rep, err := pipeline.Run(context.Background(), pipeline.Config{
			Job: pipeline.JobEnrich, Input: in, InputFormat: "cloudfront",
			Output: filepath.Join(out, "good"), Bad: filepath.Join(out, "bad"),
			IgluConfig: filepath.Join(root, "testdata", "iglu-resolver.json"), Enrichments: enrichments,
			AssetsDir:   filepath.Join(root, "testdata", "maxmind"),
			Parallelism: 1, Partitions: 1, Logger: quiet,
		})
		if err != nil {
			b.Fatal(err)
		}
		events += rep.Good + rep.Bad
	}
	b.StopTimer()
	clock.report(b, int(events))
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
