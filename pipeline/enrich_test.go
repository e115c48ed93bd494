package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/furrowdata/furrow/bench/gen"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage"
)

var testETL = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// enrichConfig returns a `furrow enrich` job over in, writing below dir.
func enrichConfig(t *testing.T, in, format, dir string) Config {
	t.Helper()
	root := testservers.RepoRoot(t)
	return Config{
		Job: JobEnrich, Input: in, InputFormat: format,
		Output: filepath.Join(dir, "good"), Bad: filepath.Join(dir, "bad"),
		IgluConfig:   filepath.Join(root, "testdata", "iglu-resolver.json"),
		ETLTimestamp: testETL, Partitions: 2, Parallelism: 2,
		SpillDir: t.TempDir(),
	}
}

// chdirRoot makes relative paths in the sample resolver config resolve.
func chdirRoot(t *testing.T) {
	t.Helper()
	t.Chdir(testservers.RepoRoot(t))
}

// tree returns every file below dir (relative path → content).
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEnrichSample(t *testing.T) {
	chdirRoot(t)
	for _, format := range []string{"cloudfront", "clj-tomcat"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			cfg := enrichConfig(t, filepath.Join("testdata", "sample", format), format, dir)
			rep, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("enrich: %v", err)
			}
			if !rep.Success || !rep.Conserved || rep.Good == 0 || rep.Bad == 0 || rep.LinesIn == 0 {
				t.Fatalf("report: %+v", rep)
			}
			files := tree(t, dir)
			if _, ok := files["good/_SUCCESS"]; !ok {
				t.Fatal("no _SUCCESS")
			}
			var js Report
			if err := json.Unmarshal(files["good/_run_report.json"], &js); err != nil || js.Good != rep.Good {
				t.Fatalf("run report on disk: %v (good %d, want %d)", err, js.Good, rep.Good)
			}
			// Every good line is a 131-field event with this run's etl_tstamp.
			var good, bad int64
			for name, b := range files {
				switch {
				case strings.HasPrefix(name, "good/part-"):
					for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
						var e event.Event
						if err := event.ParseTSV(line, &e); err != nil || event.CountTSVFields(line) != int(event.NumFields) {
							t.Fatalf("%s: bad enriched line: %v", name, err)
						}
						if e.Get(event.ETLTstamp) != "2026-11-02 10:00:00.000" || e.Get(event.EventID) == "" {
							t.Fatalf("%s: etl_tstamp %q event_id %q", name, e.Get(event.ETLTstamp), e.Get(event.EventID))
						}
						good++
					}
				case strings.HasPrefix(name, "bad/part-"):
					for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
						var row event.BadRow
						if err := json.Unmarshal([]byte(line), &row); err != nil || len(row.Errors) == 0 || row.FailureTstamp == "" {
							t.Fatalf("%s: bad row %q: %v", name, line, err)
						}
						bad++
					}
				}
			}
			if good != rep.Good || bad != rep.Bad {
				t.Fatalf("files hold %d good and %d bad, report says %d and %d", good, bad, rep.Good, rep.Bad)
			}
			if format == "clj-tomcat" && rep.BatchExtra == 0 {
				t.Fatal("the Tomcat sample has POST batches, but batch_extra is 0")
			}
		})
	}
}

// TestEnrichDeterministic runs the same job twice and compares every byte
// except the run report's timings.
func TestEnrichDeterministic(t *testing.T) {
	chdirRoot(t)
	var trees []map[string][]byte
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		cfg := enrichConfig(t, filepath.Join("testdata", "sample", "cloudfront"), "cloudfront", dir)
		cfg.Parallelism = 1 + i // scheduling must not matter
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		tr := tree(t, dir)
		delete(tr, "good/_run_report.json")
		trees = append(trees, tr)
	}
	if len(trees[0]) != len(trees[1]) {
		t.Fatalf("runs wrote %d and %d files", len(trees[0]), len(trees[1]))
	}
	for name, b := range trees[0] {
		if !bytes.Equal(b, trees[1][name]) {
			t.Fatalf("%s differs between identical runs", name)
		}
	}
}

// TestEnrichSplitsMatchWholeFiles cuts a large uncompressed log into many
// byte-range splits; the output must equal the one-split output.
func TestEnrichSplitsMatchWholeFiles(t *testing.T) {
	chdirRoot(t)
	in := t.TempDir()
	gc := gen.DefaultConfig()
	gc.Lines = 3000
	if err := os.WriteFile(filepath.Join(in, "big.log"), gen.CloudFront(gc), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(split int64) (*Report, string, []string) {
		dir := t.TempDir()
		cfg := enrichConfig(t, in, "cloudfront", dir)
		cfg.SplitSize = split
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var good bytes.Buffer
		var bad []string
		for name, b := range tree(t, dir) {
			if strings.HasPrefix(name, "bad/part-") {
				bad = append(bad, strings.Split(strings.TrimSpace(string(b)), "\n")...)
			}
		}
		for _, p := range []string{"part-00000", "part-00001"} {
			b, _ := os.ReadFile(filepath.Join(dir, "good", p))
			good.Write(b)
		}
		sort.Strings(bad)
		return rep, good.String(), bad
	}
	whole, wholeGood, wholeBad := run(1 << 30)
	split, splitGood, splitBad := run(50 << 10)
	if whole.MapTasks != 1 || split.MapTasks < 10 {
		t.Fatalf("map tasks: whole %d, split %d", whole.MapTasks, split.MapTasks)
	}
	if whole.LinesIn != split.LinesIn || whole.Good != split.Good || whole.Bad != split.Bad || whole.Discarded != split.Discarded {
		t.Fatalf("counts differ: whole %+v\nsplit %+v", whole.Counters, split.Counters)
	}
	if wholeGood != splitGood {
		t.Fatal("enriched output differs between one split and many")
	}
	if strings.Join(wholeBad, "\n") != strings.Join(splitBad, "\n") {
		t.Fatal("bad rows differ between one split and many")
	}
}

// flakyStore fails the first read of every object once, mid-stream.
type flakyStore struct {
	storage.Store
	opened atomic.Int64
}

type failingReader struct {
	io.ReadCloser
	left int
}

func (f *failingReader) Read(b []byte) (int, error) {
	if f.left <= 0 {
		return 0, errors.New("injected read failure")
	}
	if len(b) > f.left {
		b = b[:f.left]
	}
	n, err := f.ReadCloser.Read(b)
	f.left -= n
	return n, err
}

func (s *flakyStore) OpenRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	r, err := s.Store.OpenRange(ctx, key, off, n)
	if err != nil || s.opened.Add(1) > 1 {
		return r, err
	}
	return &failingReader{ReadCloser: r, left: 20 << 10}, nil
}

func TestEnrichRetriedTaskCountsOnce(t *testing.T) {
	chdirRoot(t)
	clean := func(wrap bool) (*Report, map[string][]byte) {
		dir := t.TempDir()
		cfg := enrichConfig(t, filepath.Join("testdata", "sample", "cloudfront"), "cloudfront", dir)
		if wrap {
			cfg.WrapStore = func(role string, s storage.Store) storage.Store {
				if role == "input" {
					return &flakyStore{Store: s}
				}
				return s
			}
		}
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr := tree(t, dir)
		delete(tr, "good/_run_report.json")
		return rep, tr
	}
	want, wantTree := clean(false)
	got, gotTree := clean(true)
	if got.Retries != 1 {
		t.Fatalf("retries = %d, want 1", got.Retries)
	}
	if got.LinesIn != want.LinesIn || got.Good != want.Good || got.Bad != want.Bad {
		t.Fatalf("retried run counted %+v, clean run %+v", got.Counters, want.Counters)
	}
	for name, b := range wantTree {
		if !bytes.Equal(b, gotTree[name]) {
			t.Fatalf("%s differs after a retried task", name)
		}
	}
}

func TestEnrichEmptyInputAndBadConfig(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	cfg := enrichConfig(t, t.TempDir(), "cloudfront", dir)
	rep, err := Run(context.Background(), cfg)
	if err != nil || !rep.Success || rep.LinesIn != 0 {
		t.Fatalf("empty input: %v %+v", err, rep)
	}
	cfg.InputFormat = "syslog"
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--input-format") {
		t.Fatalf("unknown format: err = %v, want one naming --input-format", err)
	}
	err = (&Config{Job: JobEnrich}).Validate()
	for _, key := range []string{"--input-folder", "--output-folder", "--input-format", "--bad-folder"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Fatalf("Validate() = %v, want it to name %s", err, key)
		}
	}
}

// TestEnrichDerivedEventIDs: events whose tracker sent no eid get ids
// derived from their position, so re-runs agree and ids stay distinct.
func TestEnrichDerivedEventIDs(t *testing.T) {
	chdirRoot(t)
	in := t.TempDir()
	gc := gen.DefaultConfig()
	gc.Lines, gc.BadShare = 200, 0
	var lines []string
	for _, l := range strings.Split(string(gen.CloudFront(gc)), "\n") {
		if i := strings.Index(l, "&eid="); i >= 0 {
			l = l[:i] + l[i+len("&eid=")+36:]
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(filepath.Join(in, "noeid.log"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var outs []string
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		if _, err := Run(context.Background(), enrichConfig(t, in, "cloudfront", dir)); err != nil {
			t.Fatal(err)
		}
		var all []byte
		for _, p := range []string{"part-00000", "part-00001"} {
			b, _ := os.ReadFile(filepath.Join(dir, "good", p))
			all = append(all, b...)
		}
		outs = append(outs, string(all))
	}
	if outs[0] != outs[1] {
		t.Fatal("re-run without eids wrote different output")
	}
	ids := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(outs[0]), "\n") {
		var e event.Event
		if err := event.ParseTSV(l, &e); err != nil {
			t.Fatal(err)
		}
		id := e.Get(event.EventID)
		if id == "" || ids[id] {
			t.Fatalf("event id %q empty or repeated", id)
		}
		ids[id] = true
	}
	if len(ids) < 150 {
		t.Fatalf("only %d events", len(ids))
	}
}

// TestEnrichOverlongLineIsABadRow: a line beyond the collector's record
// limit becomes a bad row; the lines around it are enriched.
func TestEnrichOverlongLineIsABadRow(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 65 MiB line")
	}
	chdirRoot(t)
	in := t.TempDir()
	gc := gen.DefaultConfig()
	gc.Lines, gc.BadShare = 20, 0
	sample := strings.Split(strings.TrimSpace(string(gen.CloudFront(gc))), "\n")
	f, err := os.Create(filepath.Join(in, "big.log"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Join(sample[:10], "\n") + "\n")
	f.Write(bytes.Repeat([]byte("x"), 65<<20))
	f.WriteString("\n" + strings.Join(sample[10:], "\n") + "\n")
	f.Close()
	rep, err := Run(context.Background(), enrichConfig(t, in, "cloudfront", t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.LinesIn != int64(len(sample))+1 || rep.Bad != 1 || rep.Good != int64(len(sample))-2 {
		t.Fatalf("lines %d good %d bad %d discarded %d", rep.LinesIn, rep.Good, rep.Bad, rep.Discarded)
	}
}
