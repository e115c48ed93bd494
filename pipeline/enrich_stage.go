package pipeline

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/furrowdata/furrow/enrich"
	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/shuffle"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
)

// enrichStage is the map stage of `furrow enrich` and `furrow run`: raw
// collector records → enriched events (TSV, to the exchange) + bad rows.
type enrichStage struct {
	j        *Job
	format   collector.Format
	resolver *iglu.Resolver
	reg      *enrichment.Registry
	proc     *enrich.Processor
	pending  []string
	// results recycles the enrich.Result of batches, events included: an
	// event is encoded before its Result is reset (process).
	results sync.Pool
}

// newResolver builds the Iglu resolver from --iglu-config ("" = the
// embedded registry only).
func newResolver(ctx context.Context, c *Config) (*iglu.Resolver, error) {
	doc, err := LoadArg(ctx, "--iglu-config", c.IgluConfig, c.Storage)
	if err != nil {
		return nil, err
	}
	cfg := iglu.DefaultConfig()
	if doc != nil {
		if cfg, err = iglu.ParseConfig(doc); err != nil {
			return nil, fmt.Errorf("--iglu-config: %w", err)
		}
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: c.Logger})
	if err != nil {
		return nil, fmt.Errorf("--iglu-config: %w", err)
	}
	return r, nil
}

// loadEnrichments loads --enrichments: a local folder of JSON files, or a
// bundle given as base64, inline JSON or a location.
func loadEnrichments(ctx context.Context, c *Config, resolver *iglu.Resolver) (*enrichment.Registry, error) {
	if c.Enrichments == "" {
		return enrichment.Empty(), nil
	}
	cache := filepath.Join(os.TempDir(), "furrow-assets")
	if c.SpillDir != "" {
		cache = filepath.Join(c.SpillDir, "furrow-assets")
	}
	opts := enrichment.Options{
		Resolver: resolver,
		Logger:   c.Logger,
		Assets: enrichment.AssetOptions{
			CacheDir: cache,
			LocalDir: c.AssetsDir,
			Fetchers: map[string]enrichment.FetchFunc{
				"s3":   storageFetch(c.Storage),
				"hdfs": storageFetch(c.Storage),
			},
		},
	}
	if fi, err := os.Stat(c.Enrichments); err == nil && fi.IsDir() {
		reg, err := enrichment.LoadDir(ctx, c.Enrichments, opts)
		if err != nil {
			return nil, fmt.Errorf("--enrichments %s: %w", c.Enrichments, err)
		}
		return reg, nil
	}
	doc, err := LoadArg(ctx, "--enrichments", c.Enrichments, c.Storage)
	if err != nil {
		return nil, err
	}
	reg, err := enrichment.LoadBundle(ctx, doc, opts)
	if err != nil {
		return nil, fmt.Errorf("--enrichments: %w", err)
	}
	return reg, nil
}

// storageFetch serves enrichment assets from s3:// and hdfs:// locations.
func storageFetch(opts location.Options) enrichment.FetchFunc {
	return func(ctx context.Context, u *url.URL, w io.Writer) error {
		s, key, err := location.OpenObject(ctx, u.String(), opts)
		if err != nil {
			return err
		}
		defer s.Close()
		r, err := storage.Open(ctx, s, key)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(w, r)
		return err
	}
}

func newEnrichStage(ctx context.Context, j *Job) (*enrichStage, error) {
	c := &j.cfg
	format, err := collector.Lookup(c.InputFormat)
	if err != nil {
		return nil, fmt.Errorf("--input-format: %w", err)
	}
	resolver, err := newResolver(ctx, c)
	if err != nil {
		return nil, err
	}
	j.resolver = resolver
	reg, err := loadEnrichments(ctx, c, resolver)
	if err != nil {
		return nil, err
	}
	enricher, err := enrich.New(enrich.Config{ETLTimestamp: j.etl}, resolver, reg, c.Logger)
	if err != nil {
		reg.Close()
		return nil, err
	}
	proc, err := enrich.NewProcessor(enrich.ProcessorConfig{
		Format: format, Adapters: adapter.NewRegistry(resolver), Enricher: enricher,
		ETLTimestamp: j.etl, Logger: c.Logger,
	})
	if err != nil {
		reg.Close()
		return nil, err
	}
	return &enrichStage{
		j: j, format: format, resolver: resolver, reg: reg, proc: proc,
		pending: reg.Pending(),
	}, nil
}

func (s *enrichStage) close() {
	if s.reg != nil {
		s.reg.Close()
	}
}

// canSplit allows byte-range splits of uncompressed files of line formats.
func (s *enrichStage) canSplit(ctx context.Context, o storage.ObjectInfo) (bool, error) {
	if !s.format.Splittable() {
		return false, nil
	}
	return isUncompressed(ctx, s.j.in, o.Key)
}

// mapTask enriches one split.
func (s *enrichStage) mapTask(ctx context.Context, task int, split Split, out shuffle.MapOutput, c *Counters) error {
	return s.j.mapRecords(ctx, task, split, out, c, s.format.NewReader, s.process)
}

// process enriches one batch: every record becomes discarded, good events
// or bad rows; a record that yields nothing is reported as a bad row, never
// silently lost.
func (s *enrichStage) process(ctx context.Context, b *recBatch, nParts int) error {
	res, _ := s.results.Get().(*enrich.Result)
	if res == nil {
		res = &enrich.Result{Recycle: true}
	}
	defer func() {
		res.Reset()
		s.results.Put(res)
	}()
	start := 0
	for i, end := range b.ends {
		data := b.data[start:end]
		start = end
		res.Reset()
		s.proc.ProcessRecordAt(ctx, data, b.origin, b.lines[i], res)
		b.c.LinesIn++
		if res.Discarded > 0 && len(res.Events) == 0 && len(res.Bad) == 0 {
			b.c.Discarded++
			continue
		}
		n := len(res.Events) + len(res.Bad)
		if n == 0 {
			res.Bad = append(res.Bad, event.NewBadRow(s.format.BadLine(data), s.j.etl,
				fmt.Sprintf("record %d produced neither an event nor an error (furrow bug: please report)", b.lines[i])))
			n = 1
		}
		b.c.BatchExtra += int64(n - 1)
		for _, e := range res.Events {
			mark := len(b.out)
			b.out = event.AppendTSV(b.out, e)
			if s.j.shredder != nil {
				// furrow run: validate the entities before the shuffle, so
				// that only shreddable events reach dedupe and the manifest.
				if _, err := s.j.shredder.Shred(ctx, e, ""); err != nil {
					if _, ok := shred.AsError(err); !ok {
						return err
					}
					b.bad = append(b.bad, s.j.shredder.BadRow(string(b.out[mark:]), err))
					b.out = b.out[:mark]
					continue
				}
			}
			b.outs = append(b.outs, len(b.out))
			b.parts = append(b.parts, shuffle.Partition([]byte(e.Fields[event.EventID]), nParts))
			b.c.Good++
			b.c.countFilled(e)
		}
		b.bad = append(b.bad, res.Bad...)
	}
	return nil
}
