package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/furrowdata/furrow/enrich"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/shuffle"
	"github.com/furrowdata/furrow/storage"
)

// partitionBytes is the input volume per reduce partition when --partitions
// is 0.
const partitionBytes = 256 << 20

// job is one running job: its configuration, stores and stages.
type job struct {
	cfg      Config
	etl      time.Time
	in       storage.Store
	out      storage.Store
	bad      storage.Store
	outURL   string
	badURL   string
	progress *Progress
	rep      *Report

	partitions int // reduce partitions of this job
	// cpu holds one token per map worker allowed to run: it bounds the
	// CPU-heavy work to Parallelism however many tasks run at once.
	cpu chan struct{}

	resolver *iglu.Resolver
	shredder *shred.Shredder // shred and run: validates entities in the map stage

	enrich *enrichStage // enrich and run
	shred  *shredStage  // shred and run
}

// Run runs one job and returns its report. The report is also written as
// JSON to <output>/_run_report.json, and a successful job ends by writing
// <output>/_SUCCESS; a failed job never writes _SUCCESS.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	start := time.Now()
	j := &job{cfg: c, etl: c.ETLTimestamp, cpu: make(chan struct{}, c.Parallelism)}
	if j.etl.IsZero() {
		j.etl = start.UTC().Truncate(time.Millisecond)
	}
	j.rep = &Report{
		Job: c.Job, Version: enrich.Version, Input: c.Input, InputFormat: c.InputFormat,
		ETLTimestamp: j.etl.Format("2006-01-02 15:04:05.000"), Started: start.UTC(),
	}
	j.progress = NewProgress(c.ProgressOut, time.Second)
	err := j.run(ctx)
	j.progress.Stop()
	j.rep.Finished = time.Now().UTC()
	j.rep.Elapsed = time.Since(start).Seconds()
	if j.rep.Elapsed > 0 {
		j.rep.EventsPerSec = float64(j.rep.Good) / j.rep.Elapsed
	}
	if err == nil && !j.rep.Conserved {
		err = fmt.Errorf("conservation check failed: %s", j.rep.Conservation)
	}
	j.rep.Success = err == nil
	if err != nil {
		j.rep.Failure = err.Error()
	}
	if j.out != nil {
		// The report is written even for a failed job; the commit marker
		// (_SUCCESS, after shredding_complete.json for shredded output) only
		// for a good one, and last.
		if werr := storage.WriteAll(context.WithoutCancel(ctx), j.out, "_run_report.json", j.rep.JSON()); werr != nil && err == nil {
			err = fmt.Errorf("writing run report: %w", werr)
		}
		if err == nil {
			if j.shred != nil {
				err = j.shred.commit(ctx, start)
			} else {
				err = storage.WriteAll(ctx, j.out, "_SUCCESS", nil)
			}
			if err != nil {
				err = fmt.Errorf("committing %s: %w", j.out.URL(""), err)
				j.rep.Success, j.rep.Failure = false, err.Error()
				_ = storage.WriteAll(context.WithoutCancel(ctx), j.out, "_run_report.json", j.rep.JSON())
			}
		}
	}
	if j.enrich != nil {
		j.enrich.close()
	}
	if j.shred != nil {
		j.shred.close()
	}
	for _, s := range []storage.Store{j.in, j.out, j.bad} {
		if s != nil {
			s.Close()
		}
	}
	return j.rep, err
}

func (j *job) run(ctx context.Context) error {
	c := &j.cfg
	var err error
	if j.in, err = j.openStore(ctx, "input", c.Input); err != nil {
		return fmt.Errorf("opening --input-folder: %w", err)
	}
	j.outURL = c.Output
	if c.Job == JobRun {
		j.outURL = strings.TrimSuffix(c.Output, "/") + "/run=" + j.etl.Format("2006-01-02-15-04-05")
	}
	if j.out, err = j.openStore(ctx, "output", j.outURL); err != nil {
		return fmt.Errorf("opening --output-folder: %w", err)
	}
	j.badURL = c.Bad
	if j.badURL == "" {
		j.badURL = strings.TrimSuffix(j.outURL, "/") + "/bad"
	} else if c.Job == JobRun {
		j.badURL = strings.TrimSuffix(c.Bad, "/") + "/run=" + j.etl.Format("2006-01-02-15-04-05")
	}
	if j.bad, err = j.openStore(ctx, "bad", j.badURL); err != nil {
		return fmt.Errorf("opening --bad-folder: %w", err)
	}
	j.rep.Output, j.rep.BadOutput = j.out.URL(""), j.bad.URL("")

	var mapFn MapFunc
	var reduceFn ReduceFunc
	var canSplit func(context.Context, storage.ObjectInfo) (bool, error)
	switch c.Job {
	case JobEnrich:
		if j.enrich, err = newEnrichStage(ctx, j); err != nil {
			return err
		}
		mapFn, canSplit = j.enrich.mapTask, j.enrich.canSplit
		reduceFn = j.tsvReduce
	case JobShred:
		if j.shred, err = newShredStage(ctx, j); err != nil {
			return err
		}
		mapFn, canSplit = j.shred.mapTask, uncompressed(j)
		reduceFn = j.shred.reduceTask
	case JobRun:
		if j.enrich, err = newEnrichStage(ctx, j); err != nil {
			return err
		}
		if j.shred, err = newShredStage(ctx, j); err != nil {
			return err
		}
		mapFn, canSplit = j.enrich.mapTask, j.enrich.canSplit
		reduceFn = j.shred.reduceTask
	}
	if j.enrich != nil {
		j.rep.Pending = j.enrich.pending
	}

	splits, err := Plan(ctx, j.in, "", PlanConfig{SplitSize: c.SplitSize, CanSplit: canSplit})
	if err != nil {
		return err
	}
	if len(splits) == 0 {
		c.Logger.Warn("no input files", "input", j.in.URL(""))
	}
	var total int64
	for _, s := range splits {
		if s.Offset == 0 {
			total += s.Size
		}
	}
	parts := c.Partitions
	if parts == 0 {
		parts = int(max(1, (total+partitionBytes-1)/partitionBytes))
	}
	j.partitions = parts
	j.rep.MapTasks, j.rep.Partitions = len(splits), parts
	x, err := shuffle.NewLocal(shuffle.LocalConfig{Partitions: parts, MemoryBudget: c.MemoryBudget, SpillDir: c.SpillDir})
	if err != nil {
		return err
	}
	defer x.Close()

	eng := &Engine{Parallelism: c.Parallelism, Logger: c.Logger, Progress: j.progress}
	j.progress.Start()
	mc, mr, err := eng.RunMaps(ctx, splits, x, mapFn)
	j.rep.Counters.Add(&mc)
	j.rep.Retries += mr
	if err != nil {
		return err
	}
	rc, rr, err := eng.RunReduces(ctx, x, func(ctx context.Context, p int, read func(func([]byte) error) error, c *Counters) error {
		if err := reduceFn(ctx, p, read, c); err != nil {
			return err
		}
		x.ReleasePartition(p) // its blocks are no longer needed once its outputs are written
		return nil
	})
	j.rep.Counters.Add(&rc)
	j.rep.Retries += rr
	j.rep.ShuffledRaw = x.Stats().RawBytes
	if err != nil {
		return err
	}
	j.rep.checkConservation(true)
	return nil
}

// tsvReduce writes a partition's records as an enriched TSV part file.
func (j *job) tsvReduce(ctx context.Context, p int, read func(func([]byte) error) error, c *Counters) error {
	w := newLineWriter(j.out, fmt.Sprintf("part-%05d", p))
	err := read(func(rec []byte) error {
		c.Written++
		return w.Write(ctx, rec)
	})
	if err != nil {
		w.Abort()
		return err
	}
	return w.Close(ctx)
}

// countingReader counts bytes read into a task's counters and the progress.
type countingReader struct {
	r io.Reader
	n *int64
	p *Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	*c.n += int64(n)
	c.p.AddBytes(int64(n))
	return n, err
}

// uncompressed allows byte-range splits of uncompressed inputs.
func uncompressed(j *job) func(context.Context, storage.ObjectInfo) (bool, error) {
	return func(ctx context.Context, o storage.ObjectInfo) (bool, error) {
		return isUncompressed(ctx, j.in, o.Key)
	}
}
