package cluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/furrowdata/furrow/bench/gen"
	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/transport"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// These tests run the real thing: the furrow binary built from ./cmd/furrow,
// `furrow worker` processes and a `furrow run --cluster` coordinator on
// 127.0.0.1, mutual TLS from a CA made in the test, the output folder on the
// local disk that every process shares.

const testETL = "1793613600000" // 2026-11-02 10:00:00 UTC

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// furrowBinary builds ./cmd/furrow once per test binary.
func furrowBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the multi-process cluster tests")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "furrow-cluster-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "furrow")
		args := []string{"build", "-o", buildBin}
		if os.Getenv("FURROW_CLUSTER_TEST_RACE") != "" {
			args = append(args, "-race") // the processes under the race detector
		}
		cmd := exec.Command("go", append(args, "./cmd/furrow")...)
		cmd.Dir = testservers.RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/furrow: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// proc is a furrow process whose output the test reads.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu             sync.Mutex
	stdout, stderr bytes.Buffer
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startProc(t *testing.T, name, dir string, env []string, args ...string) *proc {
	t.Helper()
	return startProcIn(t, "", name, dir, env, args...)
}

// startProcIn starts furrow inside network namespace ns ("" = this one).
func startProcIn(t *testing.T, ns, name, dir string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	if ns == "" {
		p.cmd = exec.Command(furrowBinary(t), args...)
	} else {
		p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns, furrowBinary(t)}, args...)...)
	}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = lockedWriter{&p.mu, &p.stdout}
	p.cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t, 30*time.Second)
		if strings.Contains(p.errText(), "WARNING: DATA RACE") {
			t.Errorf("%s: the race detector found a data race", p.name)
		}
		if t.Failed() || os.Getenv("FURROW_TEST_LOGS") != "" {
			t.Logf("--- %s stderr:\n%s", p.name, p.errText())
		}
	})
	return p
}

func (p *proc) outText() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stdout.String() }
func (p *proc) errText() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stderr.String() }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits at most d, then SIGKILLs.
func (p *proc) stop(t *testing.T, d time.Duration) {
	if p.exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(d):
		t.Errorf("%s did not stop within %s of SIGTERM; killing it", p.name, d)
		p.cmd.Process.Kill()
		<-p.done
	}
}

// wait waits for the process to exit (at most d) and returns its exit code.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s did not finish within %s\nstderr:\n%s", p.name, d, p.errText())
	}
	return p.cmd.ProcessState.ExitCode()
}

// eventually polls cond every 20ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// workerProc is a running `furrow worker`.
type workerProc struct {
	*proc
	nodeName, listen, gossip, metrics string
}

var readyLine = regexp.MustCompile(`furrow worker ready: name=(\S+) listen=(\S+) gossip=(\S+) metrics=(\S*)`)

func startWorker(t *testing.T, name, bundle, join string, env ...string) *workerProc {
	t.Helper()
	args := []string{"worker", "--listen", "127.0.0.1:0", "--gossip", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
		"--tls-bundle", bundle, "--spill-dir", t.TempDir(), "--gossip-profile", "local", "--parallelism", "2",
		"--node-name", name, "--drain-timeout", "20s"}
	if join != "" {
		args = append(args, "--join", join)
	}
	w := &workerProc{proc: startProc(t, name, t.TempDir(), env, args...)}
	eventually(t, 30*time.Second, name+" ready", func() bool {
		if w.exited() {
			t.Fatalf("%s exited: %v\n%s", name, w.err, w.errText())
		}
		m := readyLine.FindStringSubmatch(w.outText())
		if m == nil {
			return false
		}
		w.nodeName, w.listen, w.gossip, w.metrics = m[1], m[2], m[3], m[4]
		return true
	})
	return w
}

// metric reads one sample of the worker's plain-HTTP /metrics.
func (w *workerProc) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + w.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, name+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, name)), 64)
			return v
		}
	}
	return 0
}

// testCluster is a CA, its bundle and running workers.
type testCluster struct {
	bundle  string
	mtls    *transport.MTLS
	workers []*workerProc
}

func newTestCluster(t *testing.T, n int, env ...string) *testCluster {
	t.Helper()
	dir, _ := transporttest.NodeBundleDir(t)
	b, err := transport.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := transport.NewMTLS(b, transport.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCluster{bundle: dir, mtls: mt}
	for i := 0; i < n; i++ {
		join := ""
		if i > 0 {
			join = tc.workers[0].gossip
		}
		tc.workers = append(tc.workers, startWorker(t, fmt.Sprintf("w%d", i+1), dir, join, env...))
	}
	// Every worker sees every other.
	client := newControlClient(mt)
	defer client.close()
	eventually(t, 30*time.Second, "workers see each other", func() bool {
		for _, w := range tc.workers {
			st, err := tc.status(client, w)
			if err != nil || len(st.Members) != n {
				return false
			}
		}
		return true
	})
	return tc
}

func (tc *testCluster) status(client *controlClient, w *workerProc) (*statusReply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var st statusReply
	err := client.call(ctx, http.MethodGet, w.listen, pathStatus, nil, &st)
	return &st, err
}

// jobInput writes a few thousand generated lines in several files and the
// job's configuration (enrichments folder, Iglu resolver with an absolute
// registry path), and returns the run flags shared by both runs.
func jobInput(t *testing.T, format string, files, lines int) []string {
	t.Helper()
	root := testservers.RepoRoot(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	for i := 0; i < files; i++ {
		gc := gen.DefaultConfig()
		gc.Seed, gc.Lines = int64(100+i), lines
		gc.Start = gc.Start.Add(time.Duration(i) * time.Hour)
		var data []byte
		name := fmt.Sprintf("part-%02d.log", i)
		if format == "cloudfront" {
			data = gen.CloudFront(gc)
			name = fmt.Sprintf("E2TEST.2026-11-02-%02d.%08x", i, i)
		} else {
			data = gen.Tomcat(gc)
		}
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	enr := filepath.Join(dir, "enrichments")
	os.MkdirAll(enr, 0o755)
	os.WriteFile(filepath.Join(enr, "anon_ip.json"), []byte(`{"schema":"iglu:com.snowplowanalytics.snowplow/anon_ip/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow","name":"anon_ip","enabled":true,"parameters":{"anonOctets":2}}}`), 0o644)
	os.WriteFile(filepath.Join(enr, "fingerprint.json"), []byte(`{"schema":"iglu:com.snowplowanalytics.snowplow/event_fingerprint_config/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow","name":"event_fingerprint_config","enabled":true,"parameters":{"excludeParameters":["cv","nuid","eid","stm"],"hashAlgorithm":"MD5"}}}`), 0o644)
	resolver := fmt.Sprintf(`{"schema":"iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1","data":{"cacheSize":500,"repositories":[{"name":"test schemas","priority":0,"vendorPrefixes":["com.furrowdata"],"connection":{"filesystem":{"path":%q}}}]}}`,
		filepath.Join(root, "testdata", "iglu"))
	igluPath := filepath.Join(dir, "resolver.json")
	os.WriteFile(igluPath, []byte(resolver), 0o644)
	return []string{"--input-folder", in, "--input-format", format, "--iglu-config", igluPath, "--enrichments", enr,
		"--etl-timestamp", testETL, "--partitions", "4", "--split-size", "64KB", "--parallelism", "2", "--write-enriched"}
}

// snapshot returns every file below dir except the run report, with
// shredding_complete.json's run-specific keys (processing times, base
// location) removed. Hidden temporary files of interrupted writes
// (storage/local's .furrow-tmp-*, never listed by readers) are returned
// separately.
func snapshot(t *testing.T, dir string) (files map[string][]byte, temps []string) {
	t.Helper()
	files = map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(fi.Name(), ".furrow-tmp-") {
			temps = append(temps, rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch fi.Name() {
		case "_run_report.json":
			return nil
		case "shredding_complete.json":
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil {
				return fmt.Errorf("%s: %v", rel, err)
			}
			delete(v, "base")
			if ts, ok := v["timestamps"].(map[string]any); ok {
				delete(ts, "jobStarted")
				delete(ts, "jobCompleted")
			}
			b, _ = json.Marshal(v)
		}
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, temps
}

func sameOutput(t *testing.T, want, got string) int {
	t.Helper()
	a, ta := snapshot(t, want)
	b, tb := snapshot(t, got)
	if len(ta) > 0 {
		t.Fatalf("single-node run left temporary files: %v", ta)
	}
	if len(tb) > 0 {
		t.Logf("clustered output holds %d hidden temporary files of writes interrupted by a killed worker (readers never list them): %v", len(tb), tb)
	}
	var names []string
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := b[n]; !ok {
			t.Errorf("clustered output lacks %s", n)
			continue
		}
		if !bytes.Equal(a[n], b[n]) {
			t.Errorf("%s differs: single-node %d bytes, clustered %d bytes", n, len(a[n]), len(b[n]))
		}
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			t.Errorf("clustered output has an extra file %s", n)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return len(a)
}

func readReport(t *testing.T, out string) map[string]any {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(out, "run=*", "_run_report.json"))
	if len(matches) != 1 {
		t.Fatalf("%d run reports under %s", len(matches), out)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func hasSuccess(out string) bool {
	m, _ := filepath.Glob(filepath.Join(out, "run=*", "_SUCCESS"))
	return len(m) > 0
}

// singleNode runs `furrow run` on this process alone.
func singleNode(t *testing.T, flags []string, format string) (string, time.Duration) {
	t.Helper()
	out := t.TempDir()
	start := time.Now()
	p := startProc(t, "furrow run (single node)", t.TempDir(), nil, append([]string{"run", "--output-folder", out, "--format", format}, flags...)...)
	if code := p.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("single-node run exited %d:\n%s", code, p.errText())
	}
	return out, time.Since(start)
}

func (tc *testCluster) coordinator(t *testing.T, out, format string, flags []string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"run", "--cluster", "--join", tc.workers[0].gossip, "--tls-bundle", tc.bundle,
		"--gossip-profile", "local", "--min-workers", strconv.Itoa(len(tc.workers)), "--worker-wait", "30s",
		"--output-folder", out, "--format", format}, flags...)
	args = append(args, extra...)
	return startProc(t, "coordinator", t.TempDir(), nil, args...)
}

// TestClusterMatchesSingleNode: three workers and a coordinator write the
// same bytes as a single-node run, for Parquet and the legacy layout, from
// CloudFront and Clojure-collector input.
func TestClusterMatchesSingleNode(t *testing.T) {
	tc := newTestCluster(t, 3)
	for _, c := range []struct{ format, input string }{{"parquet", "cloudfront"}, {"legacy", "clj-tomcat"}} {
		t.Run(c.format, func(t *testing.T) {
			flags := jobInput(t, c.input, 5, 1500)
			want, took1 := singleNode(t, flags, c.format)
			got := t.TempDir()
			start := time.Now()
			co := tc.coordinator(t, got, c.format, flags)
			if code := co.wait(t, 3*time.Minute); code != 0 {
				t.Fatalf("clustered run exited %d:\n%s", code, co.errText())
			}
			tookN := time.Since(start)
			n := sameOutput(t, want, got)
			rep := readReport(t, got)
			if rep["success"] != true || rep["conserved"] != true || rep["partitions"] != 4.0 {
				t.Fatalf("clustered report: success %v conserved %v partitions %v", rep["success"], rep["conserved"], rep["partitions"])
			}
			if rep["map_tasks"].(float64) < 20 {
				t.Fatalf("only %v map tasks: the test wants many", rep["map_tasks"])
			}
			single := readReport(t, want)
			for _, k := range []string{"lines_in", "good", "bad", "written", "duplicates_dropped", "synthetic_duplicates", "map_tasks", "shuffled_bytes"} {
				if rep[k] != single[k] {
					t.Errorf("report %s: clustered %v, single node %v", k, rep[k], single[k])
				}
			}
			for _, w := range tc.workers {
				if w.metric(t, `furrow_worker_tasks_run_total{stage="map"}`) < 1 {
					t.Errorf("worker %s ran no map task", w.nodeName)
				}
			}
			if !strings.Contains(co.errText(), "furrow cluster (end): map") {
				t.Errorf("no progress line on the coordinator's stderr")
			}
			t.Logf("%s: %d files identical; %v map tasks, %v events written; single node %s, 3 workers + coordinator %s (processes on one 2-core host: this times the protocol, not a speed-up)",
				c.format, n, rep["map_tasks"], rep["written"], took1.Round(time.Millisecond), tookN.Round(time.Millisecond))
		})
	}
}

// TestClusterKillWorker SIGKILLs a worker that owns partitions while the
// map stage pushes shuffle data to it, or while the reduce stage runs. With
// re-plans allowed, the job completes on the survivors with the single-node
// bytes; with none allowed, it fails with an error naming the lost worker
// and writes no _SUCCESS. Never a partial success.
func TestClusterKillWorker(t *testing.T) {
	flags := jobInput(t, "cloudfront", 5, 1500)
	want, _ := singleNode(t, flags, "parquet")
	for _, c := range []struct {
		name     string
		replans  string
		env      string // test-only knob: slow the stage to hit
		stage    string
		complete bool
	}{
		{"mid-shuffle", "3", "FURROW_TESTONLY_MAP_TASK_DELAY=150ms", stageMap, true},
		{"mid-shuffle-no-replans", "0", "FURROW_TESTONLY_MAP_TASK_DELAY=150ms", stageMap, false},
		{"mid-reduce", "3", "FURROW_TESTONLY_REDUCE_TASK_DELAY=1500ms", stageReduce, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := newTestCluster(t, 3, c.env)
			got := t.TempDir()
			co := tc.coordinator(t, got, "parquet", flags, "--max-replans", c.replans)

			// The victim: a worker that owns partitions (not the seed).
			var victim *workerProc
			eventually(t, 60*time.Second, "partition assignment in the coordinator's log", func() bool {
				for _, w := range tc.workers[1:] {
					if strings.Contains(co.errText(), "partitions assigned") && strings.Contains(co.errText(), "worker="+w.nodeName+" ") {
						victim = w
						return true
					}
				}
				return co.exited()
			})
			if victim == nil {
				t.Fatalf("no non-seed worker owns a partition (coordinator exited?):\n%s", co.errText())
			}
			if c.stage == stageMap {
				eventually(t, 60*time.Second, "the victim to have run map tasks and received shuffle data", func() bool {
					return victim.metric(t, `furrow_worker_tasks_run_total{stage="map"}`) >= 2 && victim.metric(t, "furrow_shuffle_received_bytes_total") > 0
				})
			} else {
				eventually(t, 60*time.Second, "the reduce stage", func() bool {
					return strings.Contains(co.errText(), "map stage done") || co.exited()
				})
			}
			if co.exited() {
				t.Fatal("the job ended before the kill: make the stage slower")
			}
			if err := victim.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			t.Logf("SIGKILLed %s in the %s stage", victim.nodeName, c.stage)
			code := co.wait(t, 3*time.Minute)
			rep := readReport(t, got)
			if code == 0 {
				if !c.complete {
					t.Fatalf("the job succeeded although no re-plan was allowed")
				}
				if !hasSuccess(got) || rep["success"] != true {
					t.Fatal("exit 0 without _SUCCESS or a successful report")
				}
				if !strings.Contains(co.errText(), "re-planning the job") {
					t.Fatalf("the job completed without re-planning after losing a partition owner")
				}
				n := sameOutput(t, want, got)
				t.Logf("outcome: completed on the survivors after a re-plan; %d files identical to the single-node run", n)
				return
			}
			if hasSuccess(got) {
				t.Fatalf("failed job (exit %d) wrote _SUCCESS", code)
			}
			if rep["success"] != false || !strings.Contains(fmt.Sprint(rep["failure"]), victim.nodeName) {
				t.Fatalf("failed job's report: success %v failure %q (want it to name %s)", rep["success"], rep["failure"], victim.nodeName)
			}
			if !strings.Contains(co.errText(), victim.nodeName) {
				t.Fatalf("the coordinator's error does not name the lost worker %s:\n%s", victim.nodeName, co.errText())
			}
			if c.complete {
				t.Fatalf("the job failed although re-plans were allowed: %v", rep["failure"])
			}
			t.Logf("outcome: failed cleanly (exit %d, no _SUCCESS): %v", code, rep["failure"])
		})
	}
}

// TestClusterRefusesPeers: the worker port speaks mutual TLS only. Plaintext
// (HTTP or shuffle frames), TLS without a client certificate, and a client,
// worker or coordinator holding a bundle from another CA are all refused.
func TestClusterRefusesPeers(t *testing.T) {
	tc := newTestCluster(t, 1)
	w := tc.workers[0]
	client := newControlClient(tc.mtls)
	defer client.close()
	if _, err := tc.status(client, w); err != nil {
		t.Fatalf("the cluster's own bundle is refused: %v", err)
	}
	before := w.metric(t, "furrow_worker_refused_connections_total")

	plain := func(payload string) string {
		t.Helper()
		c, err := (&netDialer{}).dial(w.listen)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte(payload))
		b, _ := io.ReadAll(c)
		return string(b)
	}
	if got := plain("GET /v1/status HTTP/1.1\r\nHost: worker\r\n\r\n"); strings.Contains(got, "HTTP/") || strings.Contains(got, "members") {
		t.Fatalf("plaintext HTTP got an answer: %q", got)
	}
	if got := plain("fs\x01\x00\x00\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10\x27\x00\x00"); strings.HasPrefix(got, "fs") {
		t.Fatalf("a plaintext shuffle HELLO got a shuffle frame back: %q", got)
	}
	if err := tlsWithoutClientCert(w.listen, tc.bundle); err == nil {
		t.Fatal("TLS without a client certificate reached the control API")
	}

	otherDir, _ := transporttest.NodeBundleDir(t)
	ob, err := transport.LoadBundle(otherDir)
	if err != nil {
		t.Fatal(err)
	}
	omt, err := transport.NewMTLS(ob, transport.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	oc := newControlClient(omt)
	defer oc.close()
	if _, err := tc.status(oc, w); err == nil {
		t.Fatal("a client with another CA's bundle reached the control API")
	}
	eventually(t, 10*time.Second, "the refusals counted in the worker's metrics", func() bool {
		return w.metric(t, "furrow_worker_refused_connections_total") >= before+4
	})

	// A worker with another CA's bundle cannot join the cluster.
	rogue := startProc(t, "rogue worker", t.TempDir(), nil, "worker", "--listen", "127.0.0.1:0", "--gossip", "127.0.0.1:0",
		"--tls-bundle", otherDir, "--gossip-profile", "local", "--node-name", "rogue", "--join", w.gossip, "--join-timeout", "3s")
	if code := rogue.wait(t, 30*time.Second); code == 0 || !strings.Contains(rogue.errText(), "--join") {
		t.Fatalf("rogue worker exited %d:\n%s", code, rogue.errText())
	}
	st, err := tc.status(client, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st.Members {
		if m.Name == "rogue" {
			t.Fatal("the rogue worker is a member")
		}
	}

	// A coordinator with another CA's bundle gets no worker and commits nothing.
	flags := jobInput(t, "cloudfront", 1, 50)
	out := t.TempDir()
	co := startProc(t, "rogue coordinator", t.TempDir(), nil, append([]string{"run", "--cluster", "--join", w.gossip, "--tls-bundle", otherDir,
		"--gossip-profile", "local", "--worker-wait", "3s", "--output-folder", out, "--format", "parquet"}, flags...)...)
	if code := co.wait(t, 60*time.Second); code == 0 || !strings.Contains(co.errText(), "--join") {
		t.Fatalf("rogue coordinator exited %d:\n%s", code, co.errText())
	}
	if hasSuccess(out) {
		t.Fatal("the rogue coordinator wrote _SUCCESS")
	}
	if got := w.metric(t, `furrow_worker_tasks_run_total{stage="map"}`); got != 0 {
		t.Fatalf("the worker ran %v map tasks for a rogue coordinator", got)
	}
}

// TestWorkerDrainsOnSIGTERM: SIGTERM makes a worker leave gracefully (the
// others see it leave, not fail) and exit 0 within its drain bound.
func TestWorkerDrainsOnSIGTERM(t *testing.T) {
	tc := newTestCluster(t, 2)
	client := newControlClient(tc.mtls)
	defer client.close()
	w2 := tc.workers[1]
	start := time.Now()
	w2.cmd.Process.Signal(syscall.SIGTERM)
	if code := w2.wait(t, 40*time.Second); code != 0 {
		t.Fatalf("worker exited %d after SIGTERM:\n%s", code, w2.errText())
	}
	took := time.Since(start)
	if !strings.Contains(w2.errText(), "left the cluster") {
		t.Fatalf("no graceful leave in the log:\n%s", w2.errText())
	}
	eventually(t, 10*time.Second, "w1 to see w2 gone", func() bool {
		st, err := tc.status(client, tc.workers[0])
		return err == nil && len(st.Members) == 1
	})
	if strings.Contains(tc.workers[0].errText(), "event=fail member=w2") {
		t.Fatalf("w1 saw w2 fail rather than leave:\n%s", tc.workers[0].errText())
	}
	t.Logf("worker drained and left in %s", took.Round(time.Millisecond))
}

type netDialer struct{}

func (netDialer) dial(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, 5*time.Second)
}

// tlsWithoutClientCert speaks TLS 1.2 with AES-256 (what the worker
// accepts) but presents no certificate; it returns nil only if the control
// API answered.
func tlsWithoutClientCert(addr, _ string) error {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: transport.CipherSuites()})
	if err := c.Handshake(); err != nil {
		return err
	}
	if _, err := c.Write([]byte("GET /v1/status HTTP/1.1\r\nHost: worker\r\n\r\n")); err != nil {
		return err
	}
	b, err := io.ReadAll(c)
	if strings.Contains(string(b), "HTTP/") {
		return nil
	}
	return fmt.Errorf("no answer (%v)", err)
}
