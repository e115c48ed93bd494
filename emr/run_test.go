package emr

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/storage"
)

// cleanRun stages, runs and archives the raw files below prefix with no
// fault, and returns every output.
func cleanRun(t *testing.T, e *minioEnv, prefix string, opts RunOptions) (*StagedReport, map[string][]byte) {
	t.Helper()
	e.putRaw(t, prefix, rawFiles())
	cfg := e.config(t, prefix, "")
	opts.Now = func() time.Time { return testRunTime }
	rep, err := RunStaged(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("staged run: %v", err)
	}
	return rep, e.outputs(t, prefix)
}

// TestStagedRun is a whole EmrEtlRunner-style run against MinIO, as a user
// whose IAM policy denies unencrypted writes: raw files move in →
// processing → archive/run=ID, the shredded output and the enriched TSV
// land in run=ID folders and are archived, every object carries SSE, and
// the lock is gone afterwards.
func TestStagedRun(t *testing.T) {
	e := newMinIOEnv(t)
	rep, out := cleanRun(t, e, "clean", RunOptions{Logger: testLogger(t)})
	if rep.RunID != testRunID || rep.Resumed {
		t.Fatalf("report: %+v", rep)
	}
	raw := rawFiles()
	run := "run=" + testRunID + "/"
	for name, b := range raw {
		if got := out["archive/raw/"+run+name]; !bytes.Equal(got, b) {
			t.Errorf("raw file %s was not archived intact (%d bytes)", name, len(got))
		}
	}
	var enrichedParts, shredded, bad int
	for k := range out {
		switch {
		case strings.HasPrefix(k, "logs/"), strings.HasPrefix(k, "etl/"), strings.HasPrefix(k, "data/enriched/good/"), strings.HasPrefix(k, "data/shredded/good/"):
			t.Errorf("%s left behind: in, processing and the good folders must be empty after a run", k)
		case strings.HasPrefix(k, "archive/enriched/"+run+"part-"):
			enrichedParts++
		case strings.HasPrefix(k, "archive/shredded/"+run):
			shredded++
		case strings.HasPrefix(k, "data/enriched/bad/"+run):
			bad++
		}
	}
	for _, marker := range []string{"archive/enriched/" + run + "_SUCCESS", "archive/shredded/" + run + "_SUCCESS", "archive/shredded/" + run + "shredding_complete.json"} {
		if _, ok := out[marker]; !ok {
			t.Errorf("%s missing", marker)
		}
	}
	if enrichedParts != 2 || shredded < 4 || bad == 0 {
		t.Errorf("enriched parts %d (want 2, one per partition), shredded objects %d, bad-row objects %d", enrichedParts, shredded, bad)
	}
	if len(rep.Jobs) != 1 || rep.Jobs[0].Job != pipeline.JobRun || !rep.Jobs[0].Success || rep.Jobs[0].Good == 0 {
		t.Fatalf("jobs: %+v", rep.Jobs)
	}
	for _, s := range rep.Steps {
		if s.Status != "done" {
			t.Errorf("step %s: %s", s.Step, s.Status)
		}
	}
	if st, err := ReadLock(context.Background(), "s3://etl/clean/furrow.lock", e.config(t, "clean", "").StorageOptions()); err != nil || st != nil {
		t.Errorf("lock after a successful run: %v %v", st, err)
	}

	// The archived enriched TSV is what `furrow enrich` makes of the same
	// raw files with the same etl_tstamp.
	in, dir := t.TempDir(), t.TempDir()
	for name, b := range raw {
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pipeline.Run(context.Background(), pipeline.Config{
		Job: pipeline.JobEnrich, Input: in, InputFormat: "cloudfront", Output: filepath.Join(dir, "good"), Bad: filepath.Join(dir, "bad"),
		IgluConfig: e.resolver, ETLTimestamp: testRunTime, Partitions: 2, Parallelism: 2, SpillDir: t.TempDir(),
	}); err != nil {
		t.Fatal(err)
	}
	var direct, staged []string
	for _, p := range []string{"part-00000", "part-00001"} {
		b, err := os.ReadFile(filepath.Join(dir, "good", p))
		if err != nil {
			t.Fatal(err)
		}
		direct = append(direct, strings.Split(strings.TrimSpace(string(b)), "\n")...)
		staged = append(staged, strings.Split(strings.TrimSpace(string(out["archive/enriched/"+run+p])), "\n")...)
	}
	if len(direct) == 0 || len(direct) != len(staged) {
		t.Fatalf("enriched lines: staged run %d, furrow enrich %d", len(staged), len(direct))
	}
	sortStrings(direct)
	sortStrings(staged)
	for i := range direct {
		if direct[i] != staged[i] {
			t.Fatalf("enriched line %d differs:\nstaged: %.200s\nenrich: %.200s", i, staged[i], direct[i])
		}
	}

	t.Run("nothing to do releases the lock", func(t *testing.T) {
		cfg := e.config(t, "clean", "")
		_, err := RunStaged(context.Background(), cfg, RunOptions{Logger: testLogger(t), Now: func() time.Time { return testRunTime.Add(time.Hour) }})
		if !errors.Is(err, ErrNoData) {
			t.Fatalf("err = %v, want ErrNoData", err)
		}
		if st, err := ReadLock(context.Background(), cfg.LockLocation(), cfg.StorageOptions()); err != nil || st != nil {
			t.Fatalf("a no-op run kept the lock: %v %v", st, err)
		}
	})
}

var jobTimes = regexp.MustCompile(`"(jobStarted|jobCompleted)":\s*"[^"]*"`)

// blankJobTimes returns a copy of tree with the job times of every
// shredding_complete.json blanked.
func blankJobTimes(tree map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(tree))
	for k, v := range tree {
		if strings.HasSuffix(k, "shredding_complete.json") {
			v = jobTimes.ReplaceAll(v, []byte(`"$1": ""`))
		}
		out[k] = v
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestStagedRunLock: while a run holds the lock a second run is refused,
// naming the holder; afterwards the lock is released.
func TestStagedRunLock(t *testing.T) {
	e := newMinIOEnv(t)
	e.putRaw(t, "lock", rawFiles())
	cfg := e.config(t, "lock", "")
	entered, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var firstErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, firstErr = RunStaged(context.Background(), cfg, RunOptions{Logger: testLogger(t),
			Now: func() time.Time { return testRunTime },
			Run: func(ctx context.Context, c pipeline.Config) (*pipeline.Report, error) {
				close(entered)
				<-release
				return pipeline.Run(ctx, c)
			},
		})
	}()
	<-entered
	_, err := RunStaged(context.Background(), e.config(t, "lock", ""), RunOptions{Logger: testLogger(t), Now: func() time.Time { return testRunTime.Add(time.Minute) }})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "run "+testRunID) || !strings.Contains(err.Error(), "--ignore-lock-on-start") {
		t.Fatalf("second run: err = %v, want ErrLocked naming run %s", err, testRunID)
	}
	close(release)
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("first run: %v", firstErr)
	}
	if st, err := ReadLock(context.Background(), cfg.LockLocation(), cfg.StorageOptions()); err != nil || st != nil {
		t.Fatalf("lock after the run: %v %v", st, err)
	}
}

// TestStagedRunResume injects a failure into each step in turn: the run
// fails naming the step, keeps its lock (a plain rerun is refused), leaves
// every file where the resumed run (--ignore-lock-on-start, started later)
// finds it, and the resumed run's output is byte-identical to a clean run's.
func TestStagedRunResume(t *testing.T) {
	e := newMinIOEnv(t)
	_, want := cleanRun(t, e, "ref", RunOptions{Logger: testLogger(t)})
	for _, tc := range []struct {
		name, role, step string
		creates, deletes int64 // successes before failing; -1: never fail
	}{
		{"staging", "raw.in", StepStaging, -1, 1},
		{"enrich", "output", StepEnrich, 2, -1},
		{"publish_enriched", "enriched.good", StepEnrich, 1, -1},
		{"archive_raw", "raw.archive", StepArchiveRaw, 1, -1},
		{"archive_enriched", "enriched.archive", StepArchiveEnriched, 1, -1},
		{"archive_shredded", "shredded.archive", StepArchiveShredded, 3, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e.putRaw(t, tc.name, rawFiles())
			var armed atomic.Bool
			armed.Store(true)
			var failed atomic.Int64
			wrap := func(role string, s storage.Store) storage.Store {
				if role != tc.role {
					return s
				}
				f := &faultStore{Store: s, armed: &armed, failedCreate: &failed}
				if tc.creates >= 0 {
					f.creates = new(atomic.Int64)
					f.creates.Store(tc.creates)
				}
				if tc.deletes >= 0 {
					f.deletes = new(atomic.Int64)
					f.deletes.Store(tc.deletes)
				}
				return f
			}
			cfg := e.config(t, tc.name, "")
			// One file at a time, so that a move fails half-way (the
			// first files moved, the next failing): the resumed run must
			// continue it without losing or duplicating a file.
			cfg.Furrow.MoveConcurrency = 1
			// One task at a time while failing: a write failing under a
			// concurrent reduce task's Parquet file start panics in
			// arrow (shred/pqfile.go, reported to the shred owner).
			_, err := RunStaged(ctx, cfg, RunOptions{Logger: testLogger(t), WrapStore: wrap, Now: func() time.Time { return testRunTime },
				Base: pipeline.Config{Parallelism: 1}})
			if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "step "+tc.step) || !strings.Contains(err.Error(), "--ignore-lock-on-start") {
				t.Fatalf("first run: err = %v, want the injected failure in step %s", err, tc.step)
			}
			st, err := ReadLock(ctx, cfg.LockLocation(), cfg.StorageOptions())
			if err != nil || st == nil || st.Failed != tc.step || st.RunID != testRunID {
				t.Fatalf("lock after the failure: %v %v", st, err)
			}
			if _, err := RunStaged(ctx, e.config(t, tc.name, ""), RunOptions{Logger: testLogger(t), Now: func() time.Time { return testRunTime.Add(time.Minute) }}); !errors.Is(err, ErrLocked) {
				t.Fatalf("a plain rerun after a failure: err = %v, want ErrLocked", err)
			}
			armed.Store(false)
			rep, err := RunStaged(ctx, e.config(t, tc.name, ""), RunOptions{Logger: testLogger(t),
				IgnoreLockOnStart: true, WrapStore: wrap,
				Now: func() time.Time { return testRunTime.Add(3 * time.Hour) },
			})
			if err != nil {
				t.Fatalf("resumed run: %v", err)
			}
			if rep.RunID != testRunID || !rep.Resumed {
				t.Fatalf("resumed run: id %s resumed %v, want the failed run's id %s", rep.RunID, rep.Resumed, testRunID)
			}
			// shredding_complete.json names its own location: compare it
			// as if the run had written below the reference's prefix.
			// Its jobStarted/jobCompleted are wall-clock times (as RDB
			// Shredder's): blanked on both sides.
			got := e.outputs(t, tc.name)
			for k, v := range got {
				got[k] = bytes.ReplaceAll(v, []byte("/"+tc.name+"/"), []byte("/ref/"))
			}
			sameTree(t, blankJobTimes(got), blankJobTimes(want))
		})
	}
}

// TestStagedRunSkipAndResumeFrom runs the steps in two invocations the way
// EmrEtlRunner users did: --skip shred,archive_enriched (enrich into
// enriched.good/run=ID), then --resume-from shred (shred the latest run=
// folder, archive both).
func TestStagedRunSkipAndResumeFrom(t *testing.T) {
	e := newMinIOEnv(t)
	ctx := context.Background()
	e.putRaw(t, "split", rawFiles())
	cfg := e.config(t, "split", "")
	now := func() time.Time { return testRunTime }
	rep, err := RunStaged(ctx, cfg, RunOptions{Logger: testLogger(t), Skip: []string{"shred", "archive_enriched"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Jobs) != 1 || rep.Jobs[0].Job != pipeline.JobEnrich {
		t.Fatalf("first invocation jobs: %+v", rep.Jobs)
	}
	mid := e.outputs(t, "split")
	run := "run=" + testRunID + "/"
	if _, ok := mid["data/enriched/good/"+run+"_SUCCESS"]; !ok {
		t.Fatalf("enrich did not leave enriched.good/%s_SUCCESS: %v", run, keysOf(mid))
	}
	rep, err = RunStaged(ctx, e.config(t, "split", ""), RunOptions{Logger: testLogger(t), ResumeFrom: StepShred, Now: func() time.Time { return testRunTime.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Jobs) != 1 || rep.Jobs[0].Job != pipeline.JobShred || !rep.Jobs[0].Success {
		t.Fatalf("second invocation jobs: %+v", rep.Jobs)
	}
	out := e.outputs(t, "split")
	for _, k := range []string{"archive/enriched/" + run + "part-00000", "archive/shredded/" + run + "_SUCCESS", "archive/shredded/" + run + "shredding_complete.json"} {
		if _, ok := out[k]; !ok {
			t.Errorf("%s missing after --resume-from shred: %v", k, keysOf(out))
		}
	}
	for k := range out {
		if strings.HasPrefix(k, "data/enriched/good/") || strings.HasPrefix(k, "data/shredded/good/") {
			t.Errorf("%s left in a good folder", k)
		}
	}
}

// TestStagingRefusesNonEmptyProcessing: EmrEtlRunner's DirectoryNotEmpty
// is a no-op error that releases the lock.
func TestStagingRefusesNonEmptyProcessing(t *testing.T) {
	e := newMinIOEnv(t)
	ctx := context.Background()
	e.putRaw(t, "busy", rawFiles())
	cfg := e.config(t, "busy", "")
	proc, err := (&stagedRun{sopts: cfg.StorageOptions()}).open(ctx, "raw.processing", cfg.AWS.S3.Buckets.Raw.Processing)
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.WriteAll(ctx, proc, "leftover.log", []byte("x\n")); err != nil {
		t.Fatal(err)
	}
	proc.Close()
	_, err = RunStaged(ctx, cfg, RunOptions{Logger: testLogger(t), Now: func() time.Time { return testRunTime }})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "raw.processing") {
		t.Fatalf("err = %v, want ErrNotEmpty naming raw.processing", err)
	}
	if st, err := ReadLock(ctx, cfg.LockLocation(), cfg.StorageOptions()); err != nil || st != nil {
		t.Fatalf("lock kept after a no-op: %v %v", st, err)
	}
}

// TestStagedRunLocalFolders: the same run on plain folders (file://), the
// lock created with link(2).
func TestStagedRunLocalFolders(t *testing.T) {
	root := t.TempDir()
	in := filepath.Join(root, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range rawFiles() {
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc := strings.NewReplacer("ROOT", root, "RESOLVER", resolverFile(t)).Replace(`
aws:
  s3:
    buckets:
      raw: {in: ROOT/in, processing: ROOT/processing, archive: ROOT/archive/raw}
      enriched: {good: ROOT/enriched/good, bad: ROOT/enriched/bad, archive: ROOT/archive/enriched}
      shredded: {good: ROOT/shredded/good, bad: ROOT/shredded/bad, archive: ROOT/archive/shredded}
collectors: {format: cloudfront}
enrich: {resolver: RESOLVER}
furrow: {partitions: 2, parallelism: 2}
`)
	cfg, err := Parse([]byte(doc), "local.yml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunStaged(context.Background(), cfg, RunOptions{Logger: testLogger(t), Now: func() time.Time { return testRunTime }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RunID != testRunID {
		t.Fatal(rep.RunID)
	}
	for _, p := range []string{
		"archive/raw/run=" + testRunID + "/E2SAMPLE.2026-11-02-08.f0",
		"archive/enriched/run=" + testRunID + "/part-00001",
		"archive/shredded/run=" + testRunID + "/_SUCCESS",
	} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "processing.lock")); !os.IsNotExist(err) {
		t.Errorf("lock left: %v", err)
	}
	if ents, _ := os.ReadDir(in); len(ents) != 0 {
		t.Errorf("%d files left in raw.in", len(ents))
	}
}
