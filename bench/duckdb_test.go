package bench

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/furrowdata/furrow/bench/gen"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// TestShredVersusDuckDB is the comparison of issue 4: the whole
// `furrow shred --format parquet` path (read, validate, shuffle, dedupe,
// shred, Parquet) against DuckDB doing
// SELECT DISTINCT ON (event_id, event_fingerprint) … COPY … TO parquet
// (bench/duckdb_shred.mjs) on the same generated enriched TSV, on the same
// machine, in one run: furrow with --parallelism 1 and 2, DuckDB with
// SET threads=1 and its default threads. Each engine runs as its own
// process, timed from start to exit (wall) with its CPU time (user+sys,
// from the kernel) and peak RSS; the table shows input lines per second
// and furrow's throughput as a multiple of DuckDB's at the same thread
// count (the goal is ≥ 1.5). It checks that both kept the same number of
// rows.
//
// It is opt-in: FURROW_BENCH_DUCKDB is the number of events (duplicates
// included). FURROW_BENCH_REPEAT runs every configuration that many times
// (best wall time reported); FURROW_BENCH_DIR keeps the generated input
// there (reused when present) instead of a temporary folder.
//
//	npm install   # once, at the repository root: @duckdb/node-api
//	FURROW_BENCH_DUCKDB=1000000 go test ./bench -run TestShredVersusDuckDB -v -timeout 60m
func TestShredVersusDuckDB(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("FURROW_BENCH_DUCKDB"))
	if n <= 0 {
		t.Skip("skipping: set FURROW_BENCH_DUCKDB=<events> to compare furrow shred with DuckDB")
	}
	repeat, _ := strconv.Atoi(os.Getenv("FURROW_BENCH_REPEAT"))
	repeat = max(repeat, 1)
	root := testservers.RepoRoot(t)
	node, err := exec.LookPath("node")
	if err != nil {
		testservers.Missing(t, "node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@duckdb", "node-api")); err != nil {
		testservers.Missing(t, "@duckdb/node-api is not installed (run npm install at the repository root)")
	}

	work := t.TempDir()
	in := os.Getenv("FURROW_BENCH_DIR")
	if in == "" {
		in = filepath.Join(work, "enriched")
	}
	cfg := gen.DefaultEnrichedConfig()
	cfg.Events = n
	st, err := ensureEnriched(in, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("input: %d lines (%d natural, %d synthetic duplicates), %.1f MB in %s", st.Lines, st.Natural, st.Synthetic, float64(st.Bytes)/1e6, in)

	bin := filepath.Join(work, "furrow")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/furrow")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building furrow: %v\n%s", err, out)
	}
	iglu := sampleResolverConfig(t)
	wantRows := int64(st.Lines - st.Natural)

	type result struct {
		name    string
		threads int
		runs    []run
		inner   []float64 // DuckDB: seconds of the COPY statement itself
	}
	var results []*result
	furrow := func(p int) *result {
		r := &result{name: "furrow shred", threads: p}
		for i := 0; i < repeat; i++ {
			out := filepath.Join(work, fmt.Sprintf("furrow-%d", p))
			os.RemoveAll(out)
			cmd := exec.Command(bin, "shred", "--input-folder", in, "--output-folder", filepath.Join(out, "good"),
				"--bad-folder", filepath.Join(out, "bad"), "--iglu-config", iglu, "--format", "parquet",
				"--parallelism", strconv.Itoa(p), "--spill-dir", filepath.Join(out, "spill"),
				"--etl-timestamp", event.FormatTimestamp(cfg.ETL))
			res := timed(t, cmd)
			var rep struct {
				Written  int64 `json:"written"`
				Bad      int64 `json:"bad"`
				ShredBad int64 `json:"shred_bad"`
			}
			doc, err := os.ReadFile(filepath.Join(out, "good", "_run_report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(doc, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Written != wantRows || rep.Bad+rep.ShredBad != 0 {
				t.Fatalf("furrow wrote %d events and %d bad rows, want %d and 0", rep.Written, rep.Bad+rep.ShredBad, wantRows)
			}
			r.runs = append(r.runs, res)
			os.RemoveAll(out)
		}
		return r
	}
	duck := func(threads int) *result {
		r := &result{name: "duckdb", threads: threads}
		for i := 0; i < repeat; i++ {
			out := filepath.Join(work, fmt.Sprintf("duckdb-%d", threads))
			cmd := exec.Command(node, filepath.Join(root, "bench", "duckdb_shred.mjs"), "--input", in, "--output", out,
				"--threads", strconv.Itoa(threads))
			cmd.Dir = root
			res := timed(t, cmd)
			var rep struct {
				Threads int     `json:"threads"`
				Rows    int64   `json:"rows_written"`
				Wall    float64 `json:"wall_s"`
			}
			if err := json.Unmarshal(bytes.TrimSpace(res.stdout), &rep); err != nil {
				t.Fatalf("duckdb_shred.mjs printed %q: %v", res.stdout, err)
			}
			if rep.Rows != wantRows {
				t.Fatalf("duckdb wrote %d rows, want %d", rep.Rows, wantRows)
			}
			r.threads = rep.Threads
			r.inner = append(r.inner, rep.Wall)
			r.runs = append(r.runs, res)
			os.RemoveAll(out)
		}
		return r
	}
	uptime := func() string { b, _ := os.ReadFile("/proc/loadavg"); return strings.TrimSpace(string(b)) }
	t.Logf("load average before: %s", uptime())
	results = append(results, furrow(1), duck(1), furrow(2), duck(0))
	t.Logf("load average after: %s", uptime())

	best := func(r *result) run {
		return slices.MinFunc(r.runs, func(a, b run) int { return cmp.Compare(a.wall, b.wall) })
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d lines, %.1f MB of enriched TSV (best of %d)\n", st.Lines, float64(st.Bytes)/1e6, repeat)
	fmt.Fprintf(&b, "%-13s %7s %8s %11s %8s %13s %11s %8s\n", "engine", "threads", "wall s", "lines/s", "cpu s", "cpu-µs/line", "lines/cpu-s", "max RSS")
	for _, r := range results {
		x := best(r)
		fmt.Fprintf(&b, "%-13s %7d %8.2f %11.0f %8.2f %13.1f %11.0f %6.0fMB", r.name, r.threads, x.wall.Seconds(),
			float64(st.Lines)/x.wall.Seconds(), x.cpu.Seconds(), float64(x.cpu.Microseconds())/float64(st.Lines),
			float64(st.Lines)/x.cpu.Seconds(), float64(x.maxRSS)/(1<<20))
		if r.inner != nil {
			fmt.Fprintf(&b, "  (COPY alone %.2f s)", slices.Min(r.inner))
		}
		b.WriteByte('\n')
	}
	for i := 0; i+1 < len(results); i += 2 {
		f, d := best(results[i]), best(results[i+1])
		fmt.Fprintf(&b, "furrow --parallelism %d vs DuckDB threads=%d: %.2f× DuckDB's throughput (goal ≥ 1.5), %.2f× its lines per CPU-second\n",
			results[i].threads, results[i+1].threads, d.wall.Seconds()/f.wall.Seconds(), d.cpu.Seconds()/f.cpu.Seconds())
	}
	t.Log(b.String())
}

// run is one timed process.
type run struct {
	wall, cpu time.Duration
	maxRSS    int64 // bytes
	stdout    []byte
}

// timed runs cmd and measures it.
func timed(t *testing.T, cmd *exec.Cmd) run {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.Bytes())
	}
	wall := time.Since(start)
	ps := cmd.ProcessState
	r := run{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), stdout: stdout.Bytes()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	return r
}

// ensureEnriched generates cfg into dir unless dir already holds that input
// (the stamp file beside it, dir + ".json", matches).
func ensureEnriched(dir string, cfg gen.EnrichedConfig) (gen.EnrichedStats, error) {
	dir = filepath.Clean(dir)
	stamp := dir + ".json"
	want, _ := json.Marshal(cfg)
	if doc, err := os.ReadFile(stamp); err == nil {
		var saved struct {
			Config json.RawMessage
			Stats  gen.EnrichedStats
		}
		if json.Unmarshal(doc, &saved) == nil && bytes.Equal(saved.Config, want) {
			return saved.Stats, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return gen.EnrichedStats{}, err
	}
	st, err := gen.WriteEnrichedFiles(dir, cfg, 1_000_000)
	if err != nil {
		return st, err
	}
	doc, _ := json.Marshal(map[string]any{"Config": json.RawMessage(want), "Stats": st})
	return st, os.WriteFile(stamp, doc, 0o644)
}

// TestDuckDBColumnsMatchEvent checks that duckdb_shred.mjs declares the 131
// enriched-event columns in TSV order with the types furrow's atomic Parquet
// gives them.
func TestDuckDBColumnsMatchEvent(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testservers.RepoRoot(t), "bench", "duckdb_shred.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\['([a-z_]+)', '([A-Z0-9(),]+)'\]`).FindAllStringSubmatch(string(src), -1)
	if len(m) != event.NumFields {
		t.Fatalf("duckdb_shred.mjs declares %d columns, want %d", len(m), event.NumFields)
	}
	for i, f := range event.Fields() {
		want := map[event.Kind]string{event.KindInt: "INTEGER", event.KindDouble: "DOUBLE", event.KindDecimal: "DECIMAL(18,2)",
			event.KindBool: "BOOLEAN", event.KindTimestamp: "TIMESTAMP"}[f.Kind()]
		if want == "" || f == event.SeValue {
			want = map[bool]string{true: "DOUBLE", false: "VARCHAR"}[f == event.SeValue]
		}
		if m[i][1] != f.Name() || m[i][2] != want {
			t.Errorf("column %d: %s %s, want %s %s", i, m[i][1], m[i][2], f.Name(), want)
		}
	}
}
