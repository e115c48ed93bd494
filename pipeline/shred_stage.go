package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"time"

	"github.com/furrowdata/furrow/dedupe"
	"github.com/furrowdata/furrow/dedupe/dynamo"
	"github.com/furrowdata/furrow/enrich"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/shuffle"
)

// shredStage holds what the shred half of a job shares between its tasks:
// the Shredder and the optional cross-batch manifest.
type shredStage struct {
	j        *Job
	format   shred.Format
	manifest dedupe.Manifest
	closer   func()
	// restoreLimit undoes the soft memory limit the stage set (nil: none).
	restoreLimit func()
}

func newShredStage(ctx context.Context, j *Job) (*shredStage, error) {
	c := &j.cfg
	format, err := shred.ParseFormat(c.OutputFormat)
	if err != nil {
		return nil, fmt.Errorf("--format: %w", err)
	}
	if j.resolver == nil {
		if j.resolver, err = newResolver(ctx, c); err != nil {
			return nil, err
		}
	}
	if j.shredder, err = shred.New(j.resolver, shred.Config{FailureTstamp: j.etl, Typed: format.Typed(), Logger: c.Logger}); err != nil {
		return nil, err
	}
	s := &shredStage{j: j, format: format}
	s.restoreLimit = setMemoryLimit(c.memoryLimit())
	if c.DuplicateStorageConfig != "" {
		doc, err := LoadArg(ctx, "--duplicate-storage-config", c.DuplicateStorageConfig, c.Storage)
		if err != nil {
			return nil, err
		}
		mcfg, err := dynamo.ParseConfig(doc)
		if err != nil {
			return nil, fmt.Errorf("--duplicate-storage-config: %w", err)
		}
		m, err := dynamo.Open(ctx, mcfg, dynamo.Options{
			// The SDK's standard variable points the manifest at another
			// endpoint (DynamoDB Local, dynalite).
			Endpoint:    os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"),
			CreateTable: true,
			Logger:      c.Logger,
		})
		if err != nil {
			return nil, fmt.Errorf("--duplicate-storage-config: opening the DynamoDB manifest %s: %w", mcfg.Table, err)
		}
		s.manifest = m
	}
	return s, nil
}

func (s *shredStage) close() {
	if s.closer != nil {
		s.closer()
	}
	if s.restoreLimit != nil {
		s.restoreLimit()
	}
}

// setMemoryLimit sets the process's soft memory limit to limit unless one
// is already in force (GOMEMLIMIT, an embedding program, another job of a
// worker); the returned function restores the previous one if the limit is
// still this one.
func setMemoryLimit(limit int64) func() {
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		return nil
	}
	debug.SetMemoryLimit(limit)
	return func() {
		if debug.SetMemoryLimit(-1) == limit {
			debug.SetMemoryLimit(prev)
		}
	}
}

// mapTask reads enriched TSV (furrow shred): each line is parsed and its
// entities validated; good lines go to the exchange in the canonical
// 131-field layout, the others become bad rows with RDB Shredder's messages.
func (s *shredStage) mapTask(ctx context.Context, task int, split Split, out shuffle.MapOutput, c *Counters) error {
	return s.j.mapRecords(ctx, task, split, out, c, collector.NewLineReader, s.process)
}

func (s *shredStage) process(ctx context.Context, b *recBatch, nParts int) error {
	sh := s.j.shredder
	if b.out == nil {
		b.out = make([]byte, 0, len(b.data)) // most lines go through unchanged
	}
	start := 0
	var ev event.Event
	for _, end := range b.ends {
		line := string(b.data[start:end])
		start = end
		b.c.LinesIn++
		if err := shred.ParseLine(line, &ev); err != nil {
			b.bad = append(b.bad, sh.BadRow(line, err))
			continue
		}
		if _, err := sh.Shred(ctx, &ev, ""); err != nil {
			if _, ok := shred.AsError(err); !ok {
				return err
			}
			b.bad = append(b.bad, sh.BadRow(line, err))
			continue
		}
		if event.CountTSVFields(line) == int(event.NumFields) {
			b.out = append(b.out, line...)
		} else {
			b.out = event.AppendTSV(b.out, &ev) // older layouts → the 131 fields dedupe and writers expect
		}
		b.outs = append(b.outs, len(b.out))
		b.parts = append(b.parts, shuffle.Partition([]byte(ev.Fields[event.EventID]), nParts))
		b.c.Good++
	}
	return nil
}

// reduceTask deduplicates one partition and writes it: the optional
// enriched-TSV archive (before dedupe), then the shredded output.
func (s *shredStage) reduceTask(ctx context.Context, p int, read func(func([]byte) error) error, c *Counters) (_ *TaskOutput, err error) {
	j := s.j
	d, err := dedupe.New(dedupe.Config{
		MemoryBudget: j.cfg.dedupeBudget(), SpillDir: j.cfg.SpillDir,
		Manifest: s.manifest, ETLTime: j.etl, Logger: j.cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	bad := newBadWriter(j.bad, fmt.Sprintf("part-r-%05d", p), true)
	defer bad.Abort()
	var archive *lineWriter
	if j.cfg.WriteEnriched {
		archive = newLineWriter(j.out, fmt.Sprintf("enriched/part-%05d", p))
		defer archive.Abort()
	}
	err = read(func(rec []byte) error {
		if archive != nil {
			if err := archive.Write(ctx, rec); err != nil {
				return err
			}
		}
		if err := d.Add(rec); err != nil {
			if !errors.Is(err, dedupe.ErrMalformedLine) {
				return err
			}
			return bad.Write(ctx, j.shredder.BadRow(string(rec), err), c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w, err := shred.NewWriter(shred.WriterConfig{
		Format: s.format, Store: j.out, Partition: p, Shredder: j.shredder,
		RowGroupBytes: j.cfg.RowGroupBytes, // a job setting: the same on every node
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	dst, err := d.Finish(ctx, func(line []byte, dup *dedupe.Synthetic) error {
		ev := new(event.Event)
		text := string(line) // writers keep events until Close
		if err := shred.ParseLine(text, ev); err != nil {
			return bad.Write(ctx, j.shredder.BadRow(text, err), c)
		}
		orig := ""
		if dup != nil {
			orig = dup.OriginalEventID
		}
		// The map stage (process, or the enrich stage of furrow run)
		// validated every line with this Shredder before the shuffle:
		// ShredValidated splits it again without the Iglu validation.
		sh, err := j.shredder.ShredValidated(ctx, ev, orig)
		if err != nil {
			if _, ok := shred.AsError(err); !ok {
				return err
			}
			return bad.Write(ctx, j.shredder.BadRow(text, err), c)
		}
		c.Written++
		return w.Write(ctx, sh)
	})
	if err != nil {
		return nil, err
	}
	wst, err := w.Close(ctx)
	if err != nil {
		return nil, err
	}
	if archive != nil {
		if err := archive.Close(ctx); err != nil {
			return nil, err
		}
	}
	if err := bad.Close(ctx); err != nil {
		return nil, err
	}
	c.Duplicates += dst.NaturalDuplicates
	c.CrossBatch += dst.CrossBatchDuplicates
	c.Synthetic += dst.SyntheticDuplicates
	return &TaskOutput{Shred: &wst}, nil
}

// commit writes shredding_complete.json and, last, _SUCCESS.
func (s *shredStage) commit(ctx context.Context, rep *Report, outputs map[int]*TaskOutput) error {
	var total shred.Stats
	for _, o := range outputs {
		if o != nil && o.Shred != nil {
			total.Merge(*o.Shred)
		}
	}
	return shred.Commit(ctx, s.j.out, shred.Summary{
		Base: s.j.out.URL(""), Format: s.format, Stats: total,
		Bad: rep.Bad + rep.ShredBad, Duplicates: rep.Duplicates + rep.CrossBatch,
		JobStarted: rep.Started, JobCompleted: time.Now().UTC(),
		Artifact: "furrow", Version: enrich.Version,
	})
}
