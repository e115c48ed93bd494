package pipeline

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/furrowdata/furrow/enrich"
	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/shuffle"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
)

// Batching of the enrich map task: records are read in batches that the
// enrich workers process in parallel and hand back in input order.
const (
	batchRecords = 256
	batchBytes   = 1 << 20
)

// enrichStage is the map stage of `furrow enrich` and `furrow run`: raw
// collector records → enriched events (TSV, to the exchange) + bad rows.
type enrichStage struct {
	j        *job
	format   collector.Format
	resolver *iglu.Resolver
	reg      *enrichment.Registry
	proc     *enrich.Processor
	pending  []string
	// cpu holds one token per enrich worker allowed to run: it bounds the
	// CPU-heavy work to Parallelism however many tasks run at once.
	cpu chan struct{}
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

func newEnrichStage(ctx context.Context, j *job) (*enrichStage, error) {
	c := &j.cfg
	format, err := collector.Lookup(c.InputFormat)
	if err != nil {
		return nil, fmt.Errorf("--input-format: %w", err)
	}
	resolver, err := newResolver(ctx, c)
	if err != nil {
		return nil, err
	}
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
		pending: reg.Pending(), cpu: make(chan struct{}, c.Parallelism),
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
	r, err := s.j.in.OpenRange(ctx, o.Key, 0, 8)
	if err != nil {
		return false, err
	}
	defer r.Close()
	_, codec, err := collector.Decompress(r)
	if err != nil {
		return false, err
	}
	return codec == collector.CodecNone, nil
}

// recBatch is a batch of input records and, once processed, its results.
type recBatch struct {
	data  []byte
	ends  []int
	lines []int64

	out   []byte // good events as TSV lines, concatenated
	outs  []int  // end offset of each line in out
	parts []int  // partition of each line
	bad   []event.BadRow
	c     Counters
}

// mapTask enriches one split.
func (s *enrichStage) mapTask(ctx context.Context, task int, split Split, out shuffle.MapOutput, c *Counters) error {
	j := s.j
	var rr collector.RecordReader
	var body io.ReadCloser
	var err error
	if split.Whole() {
		body, err = j.in.OpenRange(ctx, split.Key, 0, -1)
	} else {
		body, err = j.in.OpenRange(ctx, split.Key, split.Offset, -1)
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", j.in.URL(split.Key), err)
	}
	defer body.Close()
	cr := &countingReader{r: body, n: &c.BytesIn, p: j.progress}
	if split.Whole() {
		dr, _, err := collector.Decompress(cr)
		if err != nil {
			return permanent(fmt.Errorf("decompressing %s: %w", j.in.URL(split.Key), err))
		}
		rr = s.format.NewReader(dr)
	} else {
		rr = collector.NewLineSplitReader(cr, split.Offset, split.Offset+split.Length)
	}
	if split.Offset == 0 {
		c.Files++
	}
	bad := newBadWriter(j.bad, fmt.Sprintf("part-m-%05d", task))
	defer bad.Abort()
	parts := out
	nParts := j.partitions

	var readErr error
	next := func() (*recBatch, bool, error) {
		if readErr != nil {
			return nil, false, nil
		}
		b := &recBatch{}
		for len(b.ends) < batchRecords && len(b.data) < batchBytes {
			rec, err := rr.Next()
			if err == io.EOF {
				readErr = io.EOF
				break
			}
			if err != nil {
				return nil, false, fmt.Errorf("reading %s after record %d: %w", j.in.URL(split.Key), lastLine(b, c), err)
			}
			b.data = append(b.data, rec.Data...)
			b.ends = append(b.ends, len(b.data))
			b.lines = append(b.lines, rec.Line)
		}
		if len(b.ends) == 0 {
			return nil, false, nil
		}
		return b, true, nil
	}
	work := func(_ int, b *recBatch) {
		s.cpu <- struct{}{}
		defer func() { <-s.cpu }()
		s.process(ctx, b, nParts)
	}
	consume := func(b *recBatch) error {
		start := 0
		for i, end := range b.outs {
			if err := parts.Add(b.parts[i], b.out[start:end]); err != nil {
				return err
			}
			start = end
		}
		for _, row := range b.bad {
			if err := bad.Write(ctx, row, c); err != nil {
				return err
			}
		}
		c.Add(&b.c)
		j.progress.AddEvents(b.c.Good)
		return nil
	}
	if err := orderedParallel(ctx, j.cfg.Parallelism, 2*j.cfg.Parallelism, next, work, consume); err != nil {
		return err
	}
	return bad.Close(ctx)
}

func lastLine(b *recBatch, c *Counters) int64 {
	if n := len(b.lines); n > 0 {
		return b.lines[n-1]
	}
	return c.LinesIn
}

// process enriches one batch: every record becomes discarded, good events
// or bad rows; a record that yields nothing is reported as a bad row, never
// silently lost.
func (s *enrichStage) process(ctx context.Context, b *recBatch, nParts int) {
	var res enrich.Result
	start := 0
	for i, end := range b.ends {
		data := b.data[start:end]
		start = end
		res.Reset()
		s.proc.Process(ctx, data, &res)
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
			b.out = event.AppendTSV(b.out, e)
			b.outs = append(b.outs, len(b.out))
			b.parts = append(b.parts, shuffle.Partition([]byte(e.Fields[event.EventID]), nParts))
			b.c.Good++
		}
		b.bad = append(b.bad, res.Bad...)
	}
}
