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

// Job is a prepared job: its stores are open and its stages built. The
// same Job runs locally (Run) and on every node of a cluster: the
// coordinator plans it and commits it, workers run its map and reduce tasks.
// Its methods may be called concurrently for different tasks.
type Job struct {
	cfg      Config
	etl      time.Time
	in       storage.Store
	out      storage.Store
	bad      storage.Store
	progress *Progress

	partitions int // reduce partitions of this job
	// cpu holds one token per map worker allowed to run: it bounds the
	// CPU-heavy work to Parallelism however many tasks run at once.
	cpu chan struct{}

	resolver *iglu.Resolver
	shredder *shred.Shredder // shred and run: validates entities in the map stage

	enrich   *enrichStage // enrich and run
	shred    *shredStage  // shred and run
	mapFn    MapFunc
	reduceFn func(ctx context.Context, p int, read func(func([]byte) error) error, c *Counters) (*TaskOutput, error)
	canSplit func(context.Context, storage.ObjectInfo) (bool, error)
}

// TaskOutput is what a reduce task reports besides its counters: the
// statistics of the shredded files it wrote (shred and run jobs).
type TaskOutput struct {
	Shred *shred.Stats
}

// Prepare validates cfg, opens the job's stores and builds its stages
// (resolver, enrichments, shredder, manifest). A zero ETLTimestamp is set to
// now; cluster coordinators ship the resolved Config to workers so that all
// nodes agree on it and on the output folders.
func Prepare(ctx context.Context, cfg Config) (*Job, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if c.ETLTimestamp.IsZero() {
		c.ETLTimestamp = time.Now().UTC().Truncate(time.Millisecond)
	}
	j := &Job{cfg: c, etl: c.ETLTimestamp, cpu: make(chan struct{}, c.Parallelism), partitions: c.Partitions}
	j.progress = NewProgress(c.ProgressOut, time.Second)
	if err := j.prepare(ctx); err != nil {
		j.Close()
		return nil, err
	}
	return j, nil
}

// Config returns the job's configuration with defaults applied and the
// etl timestamp resolved.
func (j *Job) Config() Config { return j.cfg }

// OutputURL is where the job writes (for run jobs, the run=… folder).
func (j *Job) OutputURL() string { return j.out.URL("") }

// BadURL is where the job writes bad rows.
func (j *Job) BadURL() string { return j.bad.URL("") }

// Pending lists the enabled enrichments that are not implemented.
func (j *Job) Pending() []string {
	if j.enrich == nil {
		return nil
	}
	return j.enrich.pending
}

func (j *Job) prepare(ctx context.Context) error {
	c := &j.cfg
	var err error
	if j.in, err = j.openStore(ctx, "input", c.Input); err != nil {
		return fmt.Errorf("opening --input-folder: %w", err)
	}
	outURL := c.Output
	if c.Job == JobRun {
		outURL = strings.TrimSuffix(c.Output, "/") + "/run=" + j.etl.Format("2006-01-02-15-04-05")
	}
	if j.out, err = j.openStore(ctx, "output", outURL); err != nil {
		return fmt.Errorf("opening --output-folder: %w", err)
	}
	badURL := c.Bad
	if badURL == "" {
		badURL = strings.TrimSuffix(outURL, "/") + "/bad"
	} else if c.Job == JobRun {
		badURL = strings.TrimSuffix(c.Bad, "/") + "/run=" + j.etl.Format("2006-01-02-15-04-05")
	}
	if j.bad, err = j.openStore(ctx, "bad", badURL); err != nil {
		return fmt.Errorf("opening --bad-folder: %w", err)
	}
	switch c.Job {
	case JobEnrich:
		if j.enrich, err = newEnrichStage(ctx, j); err != nil {
			return err
		}
		j.mapFn, j.canSplit = j.enrich.mapTask, j.enrich.canSplit
		j.reduceFn = j.tsvReduce
	case JobShred:
		if j.shred, err = newShredStage(ctx, j); err != nil {
			return err
		}
		j.mapFn, j.canSplit = j.shred.mapTask, uncompressed(j)
		j.reduceFn = j.shred.reduceTask
	case JobRun:
		if j.enrich, err = newEnrichStage(ctx, j); err != nil {
			return err
		}
		if j.shred, err = newShredStage(ctx, j); err != nil {
			return err
		}
		j.mapFn, j.canSplit = j.enrich.mapTask, j.enrich.canSplit
		j.reduceFn = j.shred.reduceTask
	}
	return nil
}

// Plan lists the input and returns the map splits and the number of reduce
// partitions (Config.Partitions, or one per 256 MiB of input). Both depend
// only on the input and the configuration, so every run plans alike.
func (j *Job) Plan(ctx context.Context) ([]Split, int, error) {
	splits, err := Plan(ctx, j.in, "", PlanConfig{SplitSize: j.cfg.SplitSize, CanSplit: j.canSplit})
	if err != nil {
		return nil, 0, err
	}
	if len(splits) == 0 {
		j.cfg.Logger.Warn("no input files", "input", j.in.URL(""))
	}
	var total int64
	for _, s := range splits {
		if s.Offset == 0 {
			total += s.Size
		}
	}
	parts := j.cfg.Partitions
	if parts == 0 {
		parts = int(max(1, (total+partitionBytes-1)/partitionBytes))
	}
	j.partitions = parts
	return splits, parts, nil
}

// SetPartitions fixes the number of reduce partitions on a node that did
// not plan the job (a cluster worker).
func (j *Job) SetPartitions(n int) { j.partitions = n }

// MapTask runs one attempt of map task `task` over split, adding good
// records to out and writing the task's bad rows. The caller commits or
// aborts out.
func (j *Job) MapTask(ctx context.Context, task int, split Split, out shuffle.MapOutput, c *Counters) error {
	return j.mapFn(ctx, task, split, out, c)
}

// ReduceTask runs reduce task p over the records read yields.
func (j *Job) ReduceTask(ctx context.Context, p int, read func(func([]byte) error) error, c *Counters) (*TaskOutput, error) {
	return j.reduceFn(ctx, p, read, c)
}

// Progress returns the job's live progress counters.
func (j *Job) Progress() *Progress { return j.progress }

// Finish ends a job whose tasks all ran: it checks conservation, writes the
// run report to <output>/_run_report.json (also for a failed job) and, for a
// good job only, the commit markers — shredding_complete.json (shred, run)
// and, last, _SUCCESS. outputs are the reduce tasks' outputs by partition;
// taskErr is the first task error, if any. It returns the job's error.
func (j *Job) Finish(ctx context.Context, rep *Report, outputs map[int]*TaskOutput, taskErr error) error {
	err := taskErr
	rep.Output, rep.BadOutput, rep.Pending = j.OutputURL(), j.BadURL(), j.Pending()
	rep.Finished = time.Now().UTC()
	rep.Elapsed = rep.Finished.Sub(rep.Started).Seconds()
	if rep.Elapsed > 0 {
		rep.EventsPerSec = float64(rep.Good) / rep.Elapsed
	}
	if err == nil {
		rep.checkConservation(true)
		if !rep.Conserved {
			err = fmt.Errorf("conservation check failed: %s", rep.Conservation)
		}
	}
	rep.Success, rep.Failure = err == nil, ""
	if err != nil {
		rep.Failure = err.Error()
	}
	if werr := storage.WriteAll(context.WithoutCancel(ctx), j.out, "_run_report.json", rep.JSON()); werr != nil && err == nil {
		err = fmt.Errorf("writing run report: %w", werr)
	}
	if err != nil {
		return err
	}
	if j.shred != nil {
		err = j.shred.commit(ctx, rep, outputs)
	} else {
		err = storage.WriteAll(ctx, j.out, "_SUCCESS", nil)
	}
	if err != nil {
		err = fmt.Errorf("committing %s: %w", j.out.URL(""), err)
		rep.Success, rep.Failure = false, err.Error()
		_ = storage.WriteAll(context.WithoutCancel(ctx), j.out, "_run_report.json", rep.JSON())
	}
	return err
}

// NewReport starts the report of a job run.
func (j *Job) NewReport(started time.Time) *Report {
	c := &j.cfg
	return &Report{
		Job: c.Job, Version: enrich.Version, Input: c.Input, InputFormat: c.InputFormat,
		ETLTimestamp: j.etl.Format("2006-01-02 15:04:05.000"), Started: started.UTC(),
	}
}

// Close releases the job's stores and stages.
func (j *Job) Close() {
	j.progress.Stop()
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
}

// Run runs one job on this process (the in-process exchange) and returns
// its report. The report is also written as JSON to
// <output>/_run_report.json, and a successful job ends by writing
// <output>/_SUCCESS; a failed job never writes _SUCCESS.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	start := time.Now()
	j, err := Prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	rep := j.NewReport(start)
	outputs, err := j.runLocal(ctx, rep)
	err = j.Finish(ctx, rep, outputs, err)
	return rep, err
}

// runLocal plans the job and runs its stages over the in-process exchange.
func (j *Job) runLocal(ctx context.Context, rep *Report) (map[int]*TaskOutput, error) {
	c := &j.cfg
	splits, parts, err := j.Plan(ctx)
	if err != nil {
		return nil, err
	}
	rep.MapTasks, rep.Partitions = len(splits), parts
	x, err := shuffle.NewLocal(shuffle.LocalConfig{Partitions: parts, MemoryBudget: c.shuffleBudget(), SpillDir: c.SpillDir})
	if err != nil {
		return nil, err
	}
	defer x.Close()

	eng := &Engine{Parallelism: c.Parallelism, Logger: c.Logger, Progress: j.progress}
	j.progress.Start()
	defer j.progress.Stop()
	mc, mr, err := eng.RunMaps(ctx, splits, x, j.MapTask)
	rep.Counters.Add(&mc)
	rep.Retries += mr
	if err != nil {
		return nil, err
	}
	outputs := newOutputSet()
	rc, rr, err := eng.RunReduces(ctx, x, func(ctx context.Context, p int, read func(func([]byte) error) error, c *Counters) error {
		out, err := j.ReduceTask(ctx, p, read, c)
		if err != nil {
			return err
		}
		outputs.set(p, out)
		x.ReleasePartition(p) // its blocks are no longer needed once its outputs are written
		return nil
	})
	rep.Counters.Add(&rc)
	rep.Retries += rr
	rep.ShuffledRaw = x.Stats().RawBytes
	return outputs.all(), err
}

// tsvReduce writes a partition's records as an enriched TSV part file.
func (j *Job) tsvReduce(ctx context.Context, p int, read func(func([]byte) error) error, c *Counters) (*TaskOutput, error) {
	w := newLineWriter(j.out, fmt.Sprintf("part-%05d", p))
	err := read(func(rec []byte) error {
		c.Written++
		return w.Write(ctx, rec)
	})
	if err != nil {
		w.Abort()
		return nil, err
	}
	return &TaskOutput{}, w.Close(ctx)
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
func uncompressed(j *Job) func(context.Context, storage.ObjectInfo) (bool, error) {
	return func(ctx context.Context, o storage.ObjectInfo) (bool, error) {
		return isUncompressed(ctx, j.in, o.Key)
	}
}
