package shuffle

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/furrowdata/furrow/shuffle/shuffletest"
)

// benchHelperEnv names the folder of the TLS material when this test binary
// runs as the receiving process of BenchmarkNetShuffleProcesses.
const benchHelperEnv = "FURROW_SHUFFLE_BENCH_HELPER"

// TestNetBenchHelper is the receiving process of
// BenchmarkNetShuffleProcesses: a Server on a plain and an mTLS listener.
// It prints "addrs PLAIN TLS", then answers "check JOB P TASKS" on stdin
// with "ok RECORDS BYTES" (reading every partition, then dropping the job)
// and "cpu" with "cpu NANOSECONDS" (its CPU time so far) until stdin
// closes.
func TestNetBenchHelper(t *testing.T) {
	dir := os.Getenv(benchHelperEnv)
	if dir == "" {
		t.Skip("receiving process of BenchmarkNetShuffleProcesses; runs only when started by it")
	}
	cert, pool, err := shuffletest.LoadFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{SpillDir: dir, MemoryBudget: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpForTLS, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(plain)
	go srv.Serve(tls.NewListener(tcpForTLS, shuffletest.ServerConfig(cert, pool)))
	fmt.Printf("addrs %s %s\n", plain.Addr(), tcpForTLS.Addr())

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "cpu" {
			fmt.Printf("cpu %d\n", processCPU())
			continue
		}
		var job string
		var P, tasks int
		if _, err := fmt.Sscanf(in.Text(), "check %s %d %d", &job, &P, &tasks); err != nil {
			fmt.Printf("error %v\n", err)
			continue
		}
		winners := make(map[int]int, tasks)
		for t := 0; t < tasks; t++ {
			winners[t] = 0
		}
		var records, bytes int64
		var rerr error
		for p := 0; p < P && rerr == nil; p++ {
			rerr = srv.ReadPartition(context.Background(), job, p, winners, func(rec []byte) error {
				records++
				bytes += int64(len(rec))
				return nil
			})
		}
		srv.DropJob(job)
		if rerr != nil {
			fmt.Printf("error %s\n", strings.ReplaceAll(rerr.Error(), "\n", " "))
			continue
		}
		fmt.Printf("ok %d %d\n", records, bytes)
	}
}

// countingConn counts the bytes written on the wire, below TLS.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// BenchmarkNetShuffleProcesses measures the shuffle between two processes:
// this one runs the map outputs (2 concurrent map tasks, 16 partitions),
// the test binary re-executed runs the receiving Server. Each iteration
// shuffles the same 20,000 enriched-TSV records (≈1.2 KB) once over plain
// TCP and once over mutual TLS 1.2 (ECDHE-ECDSA-AES-256-GCM-SHA384), in
// alternating order; the time from OpenMap to the last Commit (every block
// stored by the receiver) is measured per transport, and the CPU time both
// processes spent in it (getrusage), which a busy machine disturbs less.
//
//	go test ./shuffle -run '^$' -bench NetShuffleProcesses -benchtime 20x -count 3
func BenchmarkNetShuffleProcesses(b *testing.B) {
	dir := b.TempDir()
	ca, err := shuffletest.NewCA("bench CA")
	if err != nil {
		b.Fatal(err)
	}
	srvLeaf, err := ca.Issue("receiver")
	if err != nil {
		b.Fatal(err)
	}
	cliLeaf, err := ca.Issue("mapper")
	if err != nil {
		b.Fatal(err)
	}
	if err := shuffletest.WriteFiles(dir, ca, srvLeaf); err != nil {
		b.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestNetBenchHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchHelperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
	})
	lines := bufio.NewScanner(stdout)
	readLine := func(prefix string) []string {
		b.Helper()
		for lines.Scan() {
			if f := strings.Fields(lines.Text()); len(f) > 0 && f[0] == prefix {
				return f
			} else if len(f) > 0 && f[0] == "error" {
				b.Fatalf("receiver: %s", lines.Text())
			}
		}
		b.Fatalf("receiver ended before printing %q: %v", prefix, lines.Err())
		return nil
	}
	addrs := readLine("addrs")
	if len(addrs) != 3 {
		b.Fatalf("receiver printed %q", addrs)
	}

	const P, mappers, n = 16, 2, 20000
	recs, ids := shuffletest.TSVRecords(1, n)
	var raw int64
	for _, r := range recs {
		raw += int64(len(r))
	}
	type mode struct {
		name  string
		addr  string
		peers *Peers
		wire  atomic.Int64
		dur   time.Duration
		cpu   time.Duration // both processes
	}
	modes := []*mode{{name: "plain", addr: addrs[1]}, {name: "mtls", addr: addrs[2]}}
	for _, m := range modes {
		wrap := func(c net.Conn) net.Conn { return countingConn{c, &m.wire} }
		dial := DialFunc(shuffletest.TCPDialer(wrap))
		if m.name == "mtls" {
			dial = DialFunc(shuffletest.TLSDialer(shuffletest.ClientConfig(cliLeaf.TLS, ca.Pool), wrap))
		}
		if m.peers, err = NewPeers(PeersConfig{Dial: dial}); err != nil {
			b.Fatal(err)
		}
		defer m.peers.Close()
	}

	receiverCPU := func() time.Duration {
		fmt.Fprintln(stdin, "cpu")
		ns, err := strconv.ParseInt(readLine("cpu")[1], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		return time.Duration(ns)
	}
	job := 0
	pass := func(m *mode, timed bool) {
		job++
		id := fmt.Sprintf("bench-%s-%d", m.name, job)
		x, err := NewNetExchange(NetConfig{JobID: id, Partitions: P, Owner: func(int) string { return m.addr }, Peers: m.peers})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.StopTimer()
		childCPU := receiverCPU()
		b.StartTimer()
		cpu0 := processCPU()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, mappers)
		for t := 0; t < mappers; t++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := x.OpenMap(ctx, t, 0)
				if err != nil {
					errs[t] = err
					return
				}
				for i := t * n / mappers; i < (t+1)*n/mappers; i++ {
					if err := out.Add(Partition(ids[i], P), recs[i]); err != nil {
						errs[t] = err
						return
					}
				}
				errs[t] = out.Commit(ctx)
			}()
		}
		wg.Wait()
		dur, cpu := time.Since(start), processCPU()-cpu0
		b.StopTimer()
		cpu += receiverCPU() - childCPU
		if timed {
			m.dur += dur
			m.cpu += cpu
		}
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		fmt.Fprintf(stdin, "check %s %d %d\n", id, P, mappers)
		got := readLine("ok")
		if got[1] != strconv.Itoa(n) || got[2] != strconv.FormatInt(raw, 10) {
			b.Fatalf("%s: receiver read %s records of %s bytes, want %d of %d", m.name, got[1], got[2], n, raw)
		}
		x.Close()
		b.StartTimer()
	}
	// Warm up: connect (TLS handshake included) and fill the buffer pools.
	for _, m := range modes {
		pass(m, false)
		m.wire.Store(0)
	}

	b.SetBytes(2 * raw) // one plain and one mTLS pass per iteration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pass(modes[i%2], true)
		pass(modes[1-i%2], true)
	}
	b.StopTimer()
	plain, mtls := modes[0], modes[1]
	mbs := func(m *mode) float64 { return float64(raw) * float64(b.N) / m.dur.Seconds() / 1e6 }
	recsPerSec := func(m *mode) float64 { return float64(n) * float64(b.N) / m.dur.Seconds() }
	perRec := func(m *mode) float64 { return float64(m.wire.Load()) / float64(n*b.N) }
	b.ReportMetric(mbs(plain), "plain-MB/s")
	b.ReportMetric(mbs(mtls), "mtls-MB/s")
	b.ReportMetric(recsPerSec(plain), "plain-rec/s")
	b.ReportMetric(recsPerSec(mtls), "mtls-rec/s")
	b.ReportMetric((1-mbs(mtls)/mbs(plain))*100, "mtls-overhead-%")
	b.ReportMetric(perRec(plain), "plain-wireB/rec")
	b.ReportMetric(perRec(mtls), "mtls-wireB/rec")
	b.ReportMetric(float64(raw)/float64(n), "rawB/rec")
	if plain.cpu > 0 && mtls.cpu > 0 {
		// CPU time of both processes per record: steadier than wall time
		// on a busy machine.
		b.ReportMetric(float64(plain.cpu.Nanoseconds())/float64(n*b.N), "plain-cpu-ns/rec")
		b.ReportMetric(float64(mtls.cpu.Nanoseconds())/float64(n*b.N), "mtls-cpu-ns/rec")
		b.ReportMetric((float64(mtls.cpu)/float64(plain.cpu)-1)*100, "mtls-cpu-overhead-%")
	}
}
