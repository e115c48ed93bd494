package emr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
)

// Step names, as EmrEtlRunner's --skip and --resume-from took them.
const (
	StepStaging         = "staging"
	StepEnrich          = "enrich"
	StepShred           = "shred"
	StepArchiveRaw      = "archive_raw"
	StepArchiveEnriched = "archive_enriched"
	StepArchiveShredded = "archive_shredded"
)

// StepNames lists furrow's steps in run order.
var StepNames = []string{StepStaging, StepEnrich, StepShred, StepArchiveRaw, StepArchiveEnriched, StepArchiveShredded}

// foreignSteps are EmrEtlRunner steps furrow has nothing to do for
// (loading, Elasticsearch, Stream Enrich staging): accepted in --skip and
// --resume-from so that existing invocations keep working.
var foreignSteps = []string{"elasticsearch", "rdb_load", "consistency_check", "load_manifest_check", "analyze", "staging_stream_enrich"}

// resumables are EmrEtlRunner's --resume-from values.
var resumables = []string{StepEnrich, StepShred, "elasticsearch", StepArchiveRaw, "rdb_load", "analyze", StepArchiveEnriched, StepArchiveShredded}

// Sentinel errors of a staged run. Both are no-ops in EmrEtlRunner's
// sense: the run did nothing and releases its lock.
var (
	// ErrNoData: there are no raw files to process.
	ErrNoData = errors.New("emr: no data to process")
	// ErrNotEmpty: a folder that must be empty before a step is not (a
	// previous run did not finish).
	ErrNotEmpty = errors.New("emr: folder not empty")
)

// Archive modes of archive_enriched and archive_shredded (EmrEtlRunner's):
// "pipeline" archives this run's folder, "recover" the latest run= folder
// found (when the step that writes it did not run), "skip" nothing.
const (
	ArchivePipeline = "pipeline"
	ArchiveRecover  = "recover"
	ArchiveSkip     = "skip"
)

// StepPlan is which steps a run performs.
type StepPlan struct {
	Staging, Enrich, Shred, ArchiveRaw bool
	ArchiveEnriched, ArchiveShredded   string // ArchivePipeline, ArchiveRecover or ArchiveSkip
}

// PlanSteps decides the steps from --skip and --resume-from exactly as
// EmrEtlRunner's Runner.get_steps did (the two are mutually exclusive).
func PlanSteps(skip []string, resumeFrom string) (StepPlan, error) {
	known := append(slices.Clone(StepNames), foreignSteps...)
	var errs []error
	for _, s := range skip {
		if !slices.Contains(known, s) {
			errs = append(errs, fmt.Errorf("--skip: %q is not one of %s", s, strings.Join(known, ", ")))
		}
	}
	if resumeFrom != "" && !slices.Contains(resumables, resumeFrom) {
		errs = append(errs, fmt.Errorf("--resume-from: %q is not one of %s", resumeFrom, strings.Join(resumables, ", ")))
	}
	if resumeFrom != "" && len(skip) > 0 {
		errs = append(errs, errors.New("--resume-from and --skip are mutually exclusive"))
	}
	if len(errs) > 0 {
		return StepPlan{}, errors.Join(errs...)
	}
	from := func(steps ...string) bool { return resumeFrom == "" || slices.Contains(steps, resumeFrom) }
	skipped := func(s string) bool { return slices.Contains(skip, s) }
	p := StepPlan{
		Staging:    resumeFrom == "" && !skipped(StepStaging),
		Enrich:     from(StepEnrich) && !skipped(StepEnrich),
		Shred:      from(StepEnrich, StepShred) && !skipped(StepShred),
		ArchiveRaw: from(StepEnrich, StepShred, "elasticsearch", StepArchiveRaw) && !skipped(StepArchiveRaw),
	}
	archiveEnriched := from(StepEnrich, StepShred, "elasticsearch", StepArchiveRaw, "rdb_load", "consistency_check", "analyze", StepArchiveEnriched) && !skipped(StepArchiveEnriched)
	archiveShredded := !skipped(StepArchiveShredded)
	p.ArchiveEnriched, p.ArchiveShredded = ArchiveSkip, ArchiveSkip
	if archiveEnriched {
		p.ArchiveEnriched = ArchiveRecover
		if p.Enrich {
			p.ArchiveEnriched = ArchivePipeline
		}
	}
	if archiveShredded {
		p.ArchiveShredded = ArchiveRecover
		if p.Shred {
			p.ArchiveShredded = ArchivePipeline
		}
	}
	return p, nil
}

// RunOptions are the command-line side of a staged run.
type RunOptions struct {
	// Skip and ResumeFrom are EmrEtlRunner's --skip and --resume-from.
	Skip       []string
	ResumeFrom string
	// IgnoreLockOnStart takes over an existing lock and continues the run
	// it records (same run id, completed steps skipped).
	IgnoreLockOnStart bool
	// Lock overrides furrow.lock.
	Lock string

	// Base is the template of every pipeline job: RunStaged sets the
	// locations, formats, configs and ETL timestamp from furrow.yml and
	// keeps every other field (cluster settings, progress output). Its
	// Partitions, Parallelism, MemoryBudget, SplitSize and SpillDir, when
	// set, override furrow.yml's (command-line flags win).
	Base pipeline.Config
	// Run runs one job; nil = pipeline.Run.
	Run func(context.Context, pipeline.Config) (*pipeline.Report, error)
	// WrapStore wraps every store the run opens: the move steps' stores
	// (roles "raw.in", "raw.processing", "raw.archive", "enriched.good",
	// "enriched.bad", "enriched.archive", "shredded.good",
	// "shredded.archive") and, unless Base sets its own, the jobs' stores
	// ("input", "output", "bad"). Failure injection in tests.
	WrapStore func(role string, s storage.Store) storage.Store
	// Now gives the run's timestamp (default time.Now).
	Now func() time.Time
	// Logger receives the run's progress (default: Base.Logger, else slog.Default()).
	Logger *slog.Logger
}

// StepReport is one step's outcome.
type StepReport struct {
	Step    string        `json:"step"`
	Status  string        `json:"status"` // done, skipped, already done
	Detail  string        `json:"detail,omitempty"`
	Files   int64         `json:"files,omitempty"`
	Bytes   int64         `json:"bytes,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
}

// StagedReport is what a staged run did.
type StagedReport struct {
	RunID   string             `json:"run_id"`
	Lock    string             `json:"lock"`
	Resumed bool               `json:"resumed"`
	Steps   []StepReport       `json:"steps"`
	Jobs    []*pipeline.Report `json:"jobs,omitempty"`
}

// Summary renders the report for the terminal.
func (r *StagedReport) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run=%s", r.RunID)
	if r.Resumed {
		b.WriteString(" (resumed)")
	}
	b.WriteString("\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "  %-17s %-12s", s.Step, s.Status)
		if s.Files > 0 {
			fmt.Fprintf(&b, " %d files, %s", s.Files, pipeline.HumanBytes(s.Bytes))
		}
		if s.Detail != "" {
			fmt.Fprintf(&b, " %s", s.Detail)
		}
		if s.Elapsed > 0 {
			fmt.Fprintf(&b, " (%s)", s.Elapsed.Round(time.Millisecond))
		}
		b.WriteString("\n")
	}
	for _, j := range r.Jobs {
		b.WriteString(j.Summary())
	}
	return b.String()
}

// RunIDLayout formats run ids and run= folders.
const RunIDLayout = "2006-01-02-15-04-05"

var runFolder = regexp.MustCompile(`^run=(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})/`)

// stagedRun is one RunStaged call.
type stagedRun struct {
	cfg   *Config
	opts  RunOptions
	plan  StepPlan
	log   *slog.Logger
	sopts location.Options
	sse   sseHeaders
	lock  *Lock
	state LockState
	runID string
	rep   *StagedReport
	conc  int

	shredRunID string // the run= folder shred read (== runID unless shred ran alone)
	current    string // the step in progress, for the failure record
}

// RunStaged runs furrow.yml's pipeline the way EmrEtlRunner did (see the
// package documentation): lock, staging, enrich and shred, archiving. A
// failure keeps the lock, recording the failed step, and leaves every file
// where a resumed run (IgnoreLockOnStart) finds it.
func RunStaged(ctx context.Context, cfg *Config, opts RunOptions) (*StagedReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	plan, err := PlanSteps(opts.Skip, opts.ResumeFrom)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = opts.Base.Logger
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Run == nil {
		opts.Run = pipeline.Run
	}
	r := &stagedRun{
		cfg: cfg, opts: opts, plan: plan, log: opts.Logger,
		sopts: cfg.StorageOptions(), conc: cfg.Furrow.MoveConcurrency,
	}
	r.sopts.Logger = opts.Logger
	r.sse = sseOf(r.sopts.S3)
	lockURL := opts.Lock
	if lockURL == "" {
		lockURL = cfg.LockLocation()
	}
	r.rep = &StagedReport{Lock: lockURL}

	if opts.IgnoreLockOnStart {
		prev, err := ReadLock(ctx, lockURL, r.sopts)
		if err != nil {
			return nil, err
		}
		st := LockState{}
		if prev != nil && prev.RunID != "" {
			st = LockState{RunID: prev.RunID, Started: prev.Started, Done: prev.Done}
			r.rep.Resumed = true
			r.log.Info("ignoring the run lock: resuming its run", "lock", lockURL, "previous", prev.String(), "done", prev.Done)
		} else {
			st = r.freshState()
			r.log.Info("ignoring the run lock on start", "lock", lockURL, "found", prev != nil)
		}
		if r.lock, err = TakeOverLock(ctx, lockURL, r.sopts, st); err != nil {
			return nil, err
		}
	} else {
		if r.lock, err = AcquireLock(ctx, lockURL, r.sopts, r.freshState()); err != nil {
			if errors.Is(err, ErrLocked) {
				return nil, fmt.Errorf("%w\nanother run is in progress, or a failed run left the lock: once no run is in progress, resume with --ignore-lock-on-start", err)
			}
			return nil, err
		}
	}
	r.state = r.lock.State()
	r.runID = r.state.RunID
	r.shredRunID = r.runID
	r.rep.RunID = r.runID
	r.log.Info("run started", "run", r.runID, "lock", lockURL)

	err = r.run(ctx)
	if err == nil {
		if rerr := r.lock.Release(context.WithoutCancel(ctx)); rerr != nil {
			return r.rep, fmt.Errorf("run %s succeeded but the lock was not released: %w", r.runID, rerr)
		}
		r.log.Info("run completed", "run", r.runID)
		return r.rep, nil
	}
	if (errors.Is(err, ErrNoData) || errors.Is(err, ErrNotEmpty)) && len(r.state.Done) == 0 {
		// EmrEtlRunner: "unlock on no-op".
		if rerr := r.lock.Release(context.WithoutCancel(ctx)); rerr != nil {
			r.log.Warn("releasing the run lock", "lock", lockURL, "error", rerr)
		}
		return r.rep, err
	}
	st := r.state
	st.Failed, st.Error = r.current, err.Error()
	if uerr := r.lock.Update(context.WithoutCancel(ctx), st); uerr != nil {
		r.log.Warn("recording the failure in the run lock", "lock", lockURL, "error", uerr)
	}
	r.lock.Close()
	return r.rep, fmt.Errorf("run %s: step %s: %w\nthe run lock %s is kept; once the cause is fixed, resume the run with: furrow run --config %s --ignore-lock-on-start",
		r.runID, r.current, err, lockURL, orDefault(cfg.Source, "furrow.yml"))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (r *stagedRun) freshState() LockState {
	now := r.opts.Now().UTC().Truncate(time.Second)
	return LockState{RunID: now.Format(RunIDLayout), Started: now}
}

func (r *stagedRun) done(step string) bool { return slices.Contains(r.state.Done, step) }

// markDone records completed steps in the lock.
func (r *stagedRun) markDone(ctx context.Context, steps ...string) error {
	st := r.state
	st.Done = slices.Clone(st.Done)
	for _, s := range steps {
		if !slices.Contains(st.Done, s) {
			st.Done = append(st.Done, s)
		}
	}
	if err := r.lock.Update(ctx, st); err != nil {
		return err
	}
	r.state = r.lock.State()
	return nil
}

func (r *stagedRun) report(s StepReport) { r.rep.Steps = append(r.rep.Steps, s) }

// open opens a configured location for one of the run's roles.
func (r *stagedRun) open(ctx context.Context, role, loc string) (storage.Store, error) {
	s, err := location.Open(ctx, loc, r.sopts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", role, err)
	}
	if r.opts.WrapStore != nil {
		s = r.opts.WrapStore(role, s)
	}
	return s, nil
}

// run performs the planned steps in order.
func (r *stagedRun) run(ctx context.Context) error {
	type unit struct {
		name    string
		enabled bool
		fn      func(context.Context) error
	}
	b := &r.cfg.AWS.S3.Buckets
	units := []unit{
		{StepStaging, r.plan.Staging, r.staging},
		{"enrich+shred", r.plan.Enrich || r.plan.Shred, r.pipeline},
		{StepArchiveRaw, r.plan.ArchiveRaw, r.archiveRaw},
		{StepArchiveEnriched, r.plan.ArchiveEnriched != ArchiveSkip, func(ctx context.Context) error {
			return r.archiveRun(ctx, StepArchiveEnriched, r.plan.ArchiveEnriched, "enriched.good", b.Enriched.Good, "enriched.archive", b.Enriched.Archive, r.runID)
		}},
		{StepArchiveShredded, r.plan.ArchiveShredded != ArchiveSkip, func(ctx context.Context) error {
			return r.archiveRun(ctx, StepArchiveShredded, r.plan.ArchiveShredded, "shredded.good", b.Shredded.Good, "shredded.archive", b.Shredded.Archive, r.shredRunID)
		}},
	}
	for _, u := range units {
		if !u.enabled {
			if u.name == "enrich+shred" {
				r.report(StepReport{Step: StepEnrich, Status: "skipped", Detail: "--skip/--resume-from"})
				r.report(StepReport{Step: StepShred, Status: "skipped", Detail: "--skip/--resume-from"})
			} else {
				r.report(StepReport{Step: u.name, Status: "skipped", Detail: "--skip/--resume-from"})
			}
			continue
		}
		r.current = u.name
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := u.fn(ctx); err != nil {
			return err
		}
	}
	r.current = ""
	return nil
}

// staging moves the raw files from every raw.in to raw.processing.
func (r *stagedRun) staging(ctx context.Context) error {
	if r.done(StepStaging) {
		r.report(StepReport{Step: StepStaging, Status: "already done"})
		return nil
	}
	start := time.Now()
	b := &r.cfg.AWS.S3.Buckets
	proc, err := r.open(ctx, "raw.processing", b.Raw.Processing)
	if err != nil {
		return err
	}
	defer proc.Close()
	keep := r.rawFilter()
	empty, err := isEmpty(ctx, proc, "", nil)
	if err != nil {
		return err
	}
	if !empty && !r.rep.Resumed {
		return fmt.Errorf("%w: cannot safely stage raw files: %s (aws.s3.buckets.raw.processing) is not empty: a previous run did not finish; resume it with --ignore-lock-on-start, or --skip staging to process what is there",
			ErrNotEmpty, b.Raw.Processing)
	}
	var st moveStats
	for i, in := range b.Raw.In {
		src, err := r.open(ctx, "raw.in", in)
		if err != nil {
			return err
		}
		err = move(ctx, src, "", proc, "", keep, r.conc, r.sse, &st)
		src.Close()
		if err != nil {
			return fmt.Errorf("staging aws.s3.buckets.raw.in[%d]: %w", i, err)
		}
	}
	if st.files.Load() == 0 && empty {
		return fmt.Errorf("%w: no raw files in %s since the last run", ErrNoData, strings.Join(b.Raw.In, ", "))
	}
	r.log.Info("staged raw files", "files", st.files.Load(), "bytes", st.bytes.Load(), "to", b.Raw.Processing)
	if err := r.markDone(ctx, StepStaging); err != nil {
		return err
	}
	r.report(StepReport{Step: StepStaging, Status: "done", Files: st.files.Load(), Bytes: st.bytes.Load(), Elapsed: time.Since(start)})
	return nil
}

// rawFilter selects the raw files staging moves: not hidden (_SUCCESS,
// .crc, …) and, for the Clojure collector, only Tomcat access logs (as
// EmrEtlRunner's --srcPattern did).
func (r *stagedRun) rawFilter() func(string) bool {
	tomcat := r.cfg.Collectors.Format == "clj-tomcat"
	return func(rel string) bool {
		if storage.IsHidden(rel) {
			return false
		}
		return !tomcat || tomcatLog.MatchString(rel)
	}
}

var tomcatLog = regexp.MustCompile(`localhost_access_log.*\.txt`)

// pipeline runs enrich and/or shred as one pipeline job.
func (r *stagedRun) pipeline(ctx context.Context) error {
	enrich := r.plan.Enrich && !r.done(StepEnrich)
	shred := r.plan.Shred && !r.done(StepShred)
	for _, s := range []struct {
		step      string
		planned   bool
		remaining bool
	}{{StepEnrich, r.plan.Enrich, enrich}, {StepShred, r.plan.Shred, shred}} {
		switch {
		case !s.planned:
			r.report(StepReport{Step: s.step, Status: "skipped", Detail: "--skip/--resume-from"})
		case !s.remaining:
			r.report(StepReport{Step: s.step, Status: "already done"})
		}
	}
	r.current = StepShred
	if enrich {
		r.current = StepEnrich
	}
	switch {
	case enrich && shred:
		return r.enrichShred(ctx)
	case enrich:
		return r.enrichOnly(ctx)
	case shred:
		return r.shredOnly(ctx)
	}
	return nil
}

// job starts a pipeline job from the template.
func (r *stagedRun) job(kind string) pipeline.Config {
	c := r.opts.Base
	f := &r.cfg.Furrow
	c.Job = kind
	c.Storage = r.sopts
	c.IgluConfig = r.cfg.Enrich.Resolver
	c.OutputFormat = r.cfg.Shred.Format
	c.DuplicateStorageConfig = r.cfg.Shred.DuplicateStorage
	if c.Partitions == 0 {
		c.Partitions = f.Partitions
	}
	if c.Parallelism == 0 {
		c.Parallelism = f.Parallelism
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = int64(f.MemoryBudget)
	}
	if c.SplitSize == 0 {
		c.SplitSize = int64(f.SplitSize)
	}
	if c.SpillDir == "" {
		c.SpillDir = f.SpillDir
	}
	if c.Logger == nil {
		c.Logger = r.log
	}
	if c.WrapStore == nil {
		c.WrapStore = r.opts.WrapStore
	}
	return c
}

// enrichArg returns enrich.enrichments as the pipeline takes it: a folder
// location ending in "/" (s3://bucket/enrichments/) is read and handed
// over as one enrichments bundle, as EmrEtlRunner built it from its
// --enrichments folder.
func (r *stagedRun) enrichArg(ctx context.Context) (string, error) {
	e := r.cfg.Enrich.Enrichments
	if e == "" || !strings.HasSuffix(e, "/") || !strings.Contains(e, "://") || strings.HasPrefix(e, "file://") {
		return e, nil
	}
	return BundleFromFolder(ctx, e, r.sopts)
}

// BundleFromFolder reads every *.json of a folder location and returns the
// enrichments bundle (iglu:com.snowplowanalytics.snowplow/enrichments/
// jsonschema/1-0-0) holding them, in name order.
func BundleFromFolder(ctx context.Context, folder string, opts location.Options) (string, error) {
	s, err := location.Open(ctx, folder, opts)
	if err != nil {
		return "", fmt.Errorf("enrich.enrichments: %w", err)
	}
	defer s.Close()
	var keys []string
	if err := s.List(ctx, "", func(o storage.ObjectInfo) error {
		if strings.HasSuffix(o.Key, ".json") && !strings.Contains(o.Key, "/") {
			keys = append(keys, o.Key)
		}
		return nil
	}); err != nil {
		return "", fmt.Errorf("enrich.enrichments: listing %s: %w", folder, err)
	}
	sort.Strings(keys)
	items := make([]json.RawMessage, 0, len(keys))
	for _, k := range keys {
		b, err := storage.ReadAll(ctx, s, k)
		if err != nil {
			return "", fmt.Errorf("enrich.enrichments: reading %s: %w", s.URL(k), err)
		}
		if !json.Valid(b) {
			return "", fmt.Errorf("enrich.enrichments: %s is not valid JSON", s.URL(k))
		}
		items = append(items, b)
	}
	doc, err := json.Marshal(map[string]any{
		"schema": "iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0",
		"data":   items,
	})
	if err != nil {
		return "", err
	}
	return string(doc), nil
}

// checkGood refuses to write into a good folder that holds other runs'
// output (EmrEtlRunner's "Cannot safely add … step: … is not empty") and
// clears a half-written folder of this run. It reports whether this run's
// folder is already complete (has _SUCCESS).
func (r *stagedRun) checkGood(ctx context.Context, key, loc, runID string) (complete bool, err error) {
	s, err := r.open(ctx, key, loc)
	if err != nil {
		return false, err
	}
	defer s.Close()
	mine := "run=" + runID + "/"
	var other string
	err = s.List(ctx, "", func(o storage.ObjectInfo) error {
		if !strings.HasPrefix(o.Key, mine) {
			other = o.Key
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return false, fmt.Errorf("listing %s: %w", loc, err)
	}
	if other != "" {
		return false, fmt.Errorf("%w: aws.s3.buckets.%s (%s) holds %s from another run: archive it first (furrow run --config … --resume-from %s)",
			ErrNotEmpty, key, loc, s.URL(other), archiveStepOf(key))
	}
	if _, err := s.Stat(ctx, mine+"_SUCCESS"); err == nil {
		return true, nil
	} else if !s.IsNotFound(err) {
		return false, fmt.Errorf("checking %s: %w", s.URL(mine+"_SUCCESS"), err)
	}
	n, err := deleteAll(ctx, s, mine, r.conc)
	if err != nil {
		return false, err
	}
	if n > 0 {
		r.log.Warn("removed the partial output of an earlier attempt", "folder", s.URL(mine), "files", n)
	}
	return false, nil
}

func archiveStepOf(key string) string {
	if strings.HasPrefix(key, "shredded") {
		return StepArchiveShredded
	}
	return StepArchiveEnriched
}

// clearRun removes this run's folder below loc (bad rows of a failed attempt).
func (r *stagedRun) clearRun(ctx context.Context, role, loc, runID string) error {
	s, err := r.open(ctx, role, loc)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = deleteAll(ctx, s, "run="+runID+"/", r.conc)
	return err
}

func (r *stagedRun) requireRaw(ctx context.Context) error {
	b := &r.cfg.AWS.S3.Buckets
	proc, err := r.open(ctx, "raw.processing", b.Raw.Processing)
	if err != nil {
		return err
	}
	defer proc.Close()
	empty, err := isEmpty(ctx, proc, "", func(rel string) bool { return !storage.IsHidden(rel) })
	if err != nil {
		return err
	}
	if empty {
		return fmt.Errorf("%w: no raw files in %s (aws.s3.buckets.raw.processing), can't run enrich", ErrNoData, b.Raw.Processing)
	}
	return nil
}

func (r *stagedRun) etl() (time.Time, error) {
	t, err := time.Parse(RunIDLayout, r.runID)
	if err != nil {
		return time.Time{}, fmt.Errorf("run id %q in the lock is not %s", r.runID, RunIDLayout)
	}
	return t.UTC(), nil
}

func (r *stagedRun) runJob(ctx context.Context, c pipeline.Config) (*pipeline.Report, error) {
	rep, err := r.opts.Run(ctx, c)
	if rep != nil {
		r.rep.Jobs = append(r.rep.Jobs, rep)
	}
	if err != nil {
		return rep, fmt.Errorf("furrow %s: %w", c.Job, err)
	}
	return rep, nil
}

// enrichShred is `furrow run`: raw.processing → shredded.good/run=ID, the
// enriched TSV moved on to enriched.good/run=ID.
func (r *stagedRun) enrichShred(ctx context.Context) error {
	start := time.Now()
	b := &r.cfg.AWS.S3.Buckets
	write := *r.cfg.Furrow.WriteEnriched
	complete, err := r.checkGood(ctx, "shredded.good", b.Shredded.Good, r.runID)
	if err != nil {
		return err
	}
	detail := ""
	if complete {
		// The job finished in an earlier attempt; only publishing the
		// enriched TSV may be left (enriched.good/run=ID may hold part of
		// it: it must not be cleared).
		detail = "output of an earlier attempt is complete"
	} else {
		if _, err := r.checkGood(ctx, "enriched.good", b.Enriched.Good, r.runID); err != nil {
			return err
		}
		if err := r.requireRaw(ctx); err != nil {
			return err
		}
		if err := r.clearRun(ctx, "enriched.bad", b.Enriched.Bad, r.runID); err != nil {
			return err
		}
		etl, err := r.etl()
		if err != nil {
			return err
		}
		c := r.job(pipeline.JobRun)
		c.Input, c.InputFormat = b.Raw.Processing, r.cfg.Collectors.Format
		c.Output, c.Bad = b.Shredded.Good, b.Enriched.Bad
		c.ETLTimestamp, c.WriteEnriched = etl, write
		if c.Enrichments, err = r.enrichArg(ctx); err != nil {
			return err
		}
		if _, err := r.runJob(ctx, c); err != nil {
			return err
		}
	}
	var files, bytes int64
	if write {
		// The job archived the enriched TSV as <run>/enriched/: publish it
		// where EmrEtlRunner kept it.
		src, err := r.open(ctx, "shredded.good", b.Shredded.Good)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := r.open(ctx, "enriched.good", b.Enriched.Good)
		if err != nil {
			return err
		}
		defer dst.Close()
		mine := "run=" + r.runID + "/"
		var st moveStats
		if err := move(ctx, src, mine+"enriched/", dst, mine, nil, r.conc, r.sse, &st); err != nil {
			return fmt.Errorf("moving the enriched TSV to aws.s3.buckets.enriched.good: %w", err)
		}
		files, bytes = st.files.Load(), st.bytes.Load()
		if ok, err := isEmpty(ctx, dst, mine, nil); err != nil {
			return err
		} else if ok {
			r.log.Warn("the run wrote no enriched TSV", "expected", src.URL(mine+"enriched/"))
		} else if _, err := dst.Stat(ctx, mine+"_SUCCESS"); dst.IsNotFound(err) {
			if err := storage.WriteAll(ctx, dst, mine+"_SUCCESS", nil); err != nil {
				return fmt.Errorf("writing %s: %w", dst.URL(mine+"_SUCCESS"), err)
			}
		}
	}
	if err := r.markDone(ctx, StepEnrich, StepShred); err != nil {
		return err
	}
	r.report(StepReport{Step: StepEnrich, Status: "done", Detail: detail, Files: files, Bytes: bytes})
	r.report(StepReport{Step: StepShred, Status: "done", Detail: detail, Elapsed: time.Since(start)})
	return nil
}

// enrichOnly is `furrow enrich` into enriched.good/run=ID.
func (r *stagedRun) enrichOnly(ctx context.Context) error {
	start := time.Now()
	b := &r.cfg.AWS.S3.Buckets
	complete, err := r.checkGood(ctx, "enriched.good", b.Enriched.Good, r.runID)
	if err != nil {
		return err
	}
	detail := "output of an earlier attempt is complete"
	if !complete {
		detail = ""
		if err := r.requireRaw(ctx); err != nil {
			return err
		}
		if err := r.clearRun(ctx, "enriched.bad", b.Enriched.Bad, r.runID); err != nil {
			return err
		}
		etl, err := r.etl()
		if err != nil {
			return err
		}
		c := r.job(pipeline.JobEnrich)
		c.Input, c.InputFormat = b.Raw.Processing, r.cfg.Collectors.Format
		c.Output = runChild(b.Enriched.Good, r.runID)
		c.Bad = runChild(b.Enriched.Bad, r.runID)
		c.ETLTimestamp = etl
		if c.Enrichments, err = r.enrichArg(ctx); err != nil {
			return err
		}
		if _, err := r.runJob(ctx, c); err != nil {
			return err
		}
	}
	if err := r.markDone(ctx, StepEnrich); err != nil {
		return err
	}
	r.report(StepReport{Step: StepEnrich, Status: "done", Detail: detail, Elapsed: time.Since(start)})
	return nil
}

// shredOnly is `furrow shred` of enriched.good/run=ID (this run's, else the
// latest there) into shredded.good/run=ID.
func (r *stagedRun) shredOnly(ctx context.Context) error {
	start := time.Now()
	b := &r.cfg.AWS.S3.Buckets
	id, err := r.latestRun(ctx, "enriched.good", b.Enriched.Good, r.runID)
	if err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: no run= folder in %s (aws.s3.buckets.enriched.good) to shred", ErrNoData, b.Enriched.Good)
	}
	r.shredRunID = id
	complete, err := r.checkGood(ctx, "shredded.good", b.Shredded.Good, id)
	if err != nil {
		return err
	}
	detail := "run=" + id
	if complete {
		detail += "; output of an earlier attempt is complete"
	} else {
		if err := r.clearRun(ctx, "shredded.bad", b.Shredded.Bad, id); err != nil {
			return err
		}
		c := r.job(pipeline.JobShred)
		c.Input = runChild(b.Enriched.Good, id)
		c.Output = runChild(b.Shredded.Good, id)
		c.Bad = runChild(b.Shredded.Bad, id)
		if _, err := r.runJob(ctx, c); err != nil {
			return err
		}
	}
	if err := r.markDone(ctx, StepShred); err != nil {
		return err
	}
	r.report(StepReport{Step: StepShred, Status: "done", Detail: detail, Elapsed: time.Since(start)})
	return nil
}

// runChild is loc/run=ID.
func runChild(loc, id string) string {
	return strings.TrimRight(loc, "/") + "/run=" + id
}

// latestRun returns prefer if loc holds run=prefer/, else the latest run=
// folder in loc ("" if none): EmrEtlRunner's get_latest_run_id.
func (r *stagedRun) latestRun(ctx context.Context, role, loc, prefer string) (string, error) {
	s, err := r.open(ctx, role, loc)
	if err != nil {
		return "", err
	}
	defer s.Close()
	var ids []string
	err = s.List(ctx, "", func(o storage.ObjectInfo) error {
		if m := runFolder.FindStringSubmatch(o.Key); m != nil {
			if len(ids) == 0 || ids[len(ids)-1] != m[1] {
				ids = append(ids, m[1])
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("listing %s: %w", loc, err)
	}
	if slices.Contains(ids, prefer) {
		return prefer, nil
	}
	if len(ids) == 0 {
		return "", nil
	}
	slices.Sort(ids)
	return ids[len(ids)-1], nil
}

// archiveRaw moves raw.processing into raw.archive/run=ID.
func (r *stagedRun) archiveRaw(ctx context.Context) error {
	if r.done(StepArchiveRaw) {
		r.report(StepReport{Step: StepArchiveRaw, Status: "already done"})
		return nil
	}
	start := time.Now()
	b := &r.cfg.AWS.S3.Buckets
	src, err := r.open(ctx, "raw.processing", b.Raw.Processing)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := r.open(ctx, "raw.archive", b.Raw.Archive)
	if err != nil {
		return err
	}
	defer dst.Close()
	var st moveStats
	if err := move(ctx, src, "", dst, "run="+r.runID+"/", nil, r.conc, r.sse, &st); err != nil {
		return fmt.Errorf("archiving raw files: %w", err)
	}
	if err := r.markDone(ctx, StepArchiveRaw); err != nil {
		return err
	}
	r.report(StepReport{Step: StepArchiveRaw, Status: "done", Files: st.files.Load(), Bytes: st.bytes.Load(), Elapsed: time.Since(start),
		Detail: "to " + runChild(b.Raw.Archive, r.runID)})
	return nil
}

// archiveRun moves good/run=ID into archive/run=ID.
func (r *stagedRun) archiveRun(ctx context.Context, step, mode, goodRole, good, archiveRole, archive, id string) error {
	if r.done(step) {
		r.report(StepReport{Step: step, Status: "already done"})
		return nil
	}
	start := time.Now()
	if mode == ArchiveRecover {
		latest, err := r.latestRun(ctx, goodRole, good, "")
		if err != nil {
			return err
		}
		id = latest
	}
	detail := ""
	var st moveStats
	if id == "" {
		detail = "nothing to archive in " + good
	} else {
		src, err := r.open(ctx, goodRole, good)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := r.open(ctx, archiveRole, archive)
		if err != nil {
			return err
		}
		defer dst.Close()
		prefix := "run=" + id + "/"
		if err := move(ctx, src, prefix, dst, prefix, nil, r.conc, r.sse, &st); err != nil {
			return fmt.Errorf("archiving %s: %w", src.URL(prefix), err)
		}
		detail = "to " + runChild(archive, id)
		if st.files.Load() == 0 {
			detail = "nothing to archive in " + runChild(good, id)
		}
	}
	if err := r.markDone(ctx, step); err != nil {
		return err
	}
	r.report(StepReport{Step: step, Status: "done", Detail: detail, Files: st.files.Load(), Bytes: st.bytes.Load(), Elapsed: time.Since(start)})
	return nil
}
