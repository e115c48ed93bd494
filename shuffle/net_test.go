package shuffle

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/furrowdata/furrow/shuffle/shuffletest"
)

// netCluster is M Servers on 127.0.0.1, over plain TCP or mutual TLS.
type netCluster struct {
	servers []*Server
	addrs   []string
	dial    DialFunc
	ca      *shuffletest.CA
}

func startCluster(t *testing.T, m int, mode string, cfg ServerConfig) *netCluster {
	t.Helper()
	c := &netCluster{}
	var serverTLS *tls.Config
	c.dial = DialFunc(shuffletest.TCPDialer(nil))
	if mode == "mtls" {
		ca, err := shuffletest.NewCA("furrow test CA")
		if err != nil {
			t.Fatal(err)
		}
		srvLeaf, err := ca.Issue("server")
		if err != nil {
			t.Fatal(err)
		}
		cliLeaf, err := ca.Issue("client")
		if err != nil {
			t.Fatal(err)
		}
		c.ca = ca
		serverTLS = shuffletest.ServerConfig(srvLeaf.TLS, ca.Pool)
		c.dial = DialFunc(shuffletest.TLSDialer(shuffletest.ClientConfig(cliLeaf.TLS, ca.Pool), nil))
	}
	for i := 0; i < m; i++ {
		sc := cfg
		if sc.SpillDir == "" {
			sc.SpillDir = t.TempDir()
		}
		srv, err := NewServer(sc)
		if err != nil {
			t.Fatal(err)
		}
		var ln net.Listener
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if serverTLS != nil {
			ln = tls.NewListener(ln, serverTLS)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		t.Cleanup(func() {
			if err := srv.Close(); err != nil {
				t.Errorf("closing server: %v", err)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve returned %v after Close, want nil", err)
			}
		})
		c.servers = append(c.servers, srv)
		c.addrs = append(c.addrs, ln.Addr().String())
	}
	return c
}

func newPeers(t *testing.T, cfg PeersConfig) *Peers {
	t.Helper()
	p, err := NewPeers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func newNet(t *testing.T, cfg NetConfig) *NetExchange {
	t.Helper()
	x, err := NewNetExchange(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// waitFor polls cond until it holds or fails the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// taskRecords makes the records of map task t: random bytes of random
// length (some empty), different per task.
func taskRecords(seed int64, t, n int) [][]byte {
	rng := rand.New(rand.NewSource(seed*1000 + int64(t)))
	out := make([][]byte, n)
	for i := range out {
		b := make([]byte, rng.Intn(700))
		rng.Read(b)
		if len(b) > 8 && i%3 == 0 { // some compressible ones
			for j := 8; j < len(b); j++ {
				b[j] = 'a' + byte(j%7)
			}
		}
		out[i] = b
	}
	return out
}

// runMap adds recs of a task through x and commits.
func runMap(ctx context.Context, x Exchange, task, attempt int, recs [][]byte) error {
	m, err := x.OpenMap(ctx, task, attempt)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := m.Add(Partition(r, x.Partitions()), r); err != nil {
			m.Abort()
			return err
		}
	}
	return m.Commit(ctx)
}

func readAll(t *testing.T, read func(fn func([]byte) error) error) [][]byte {
	t.Helper()
	var out [][]byte
	if err := read(func(r []byte) error {
		out = append(out, bytes.Clone(r))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func localPartitions(t *testing.T, P int, tasks map[int][][]byte) [][][]byte {
	t.Helper()
	x, err := NewLocal(LocalConfig{Partitions: P, SpillDir: t.TempDir(), BlockSize: 1500})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for task, recs := range tasks {
		if err := runMap(context.Background(), x, task, 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	out := make([][][]byte, P)
	for p := range out {
		out[p] = readAll(t, func(fn func([]byte) error) error { return x.ReadPartition(context.Background(), p, fn) })
	}
	return out
}

func sameRecords(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: record %d differs (%d bytes, want %d)", what, i, len(got[i]), len(want[i]))
		}
	}
}

func winnersOf(tasks map[int][][]byte, attempt int) map[int]int {
	w := make(map[int]int, len(tasks))
	for t := range tasks {
		w[t] = attempt
	}
	return w
}

// TestNetMatchesLocal: 3 mapper processes (each its own Peers) × 3 receiving
// Servers, 9 map tasks run concurrently; every partition read from its owner
// equals the in-process exchange's output byte for byte, in the same order.
func TestNetMatchesLocal(t *testing.T) {
	for _, mode := range []string{"tcp", "mtls"} {
		t.Run(mode, func(t *testing.T) {
			const M, N, T, P = 3, 3, 9, 7
			cl := startCluster(t, M, mode, ServerConfig{Window: 64 << 10})
			owner := func(p int) string { return cl.addrs[p%M] }
			tasks := make(map[int][][]byte)
			for task := 0; task < T; task++ {
				tasks[task] = taskRecords(1, task, 400+task*50)
			}
			tasks[T] = nil // a map task with no records at all

			mappers := make([]*NetExchange, N)
			peers := make([]*Peers, N)
			for i := range mappers {
				peers[i] = newPeers(t, PeersConfig{Dial: cl.dial})
				mappers[i] = newNet(t, NetConfig{JobID: "job-1", Partitions: P, Owner: owner, Peers: peers[i], BlockSize: 2048})
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, len(tasks))
			for task, recs := range tasks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- runMap(ctx, mappers[task%N], task, 0, recs)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}

			want := localPartitions(t, P, tasks)
			winners := winnersOf(tasks, 0)
			total := 0
			for p := 0; p < P; p++ {
				srv := cl.servers[p%M]
				got := readAll(t, func(fn func([]byte) error) error { return srv.ReadPartition(ctx, "job-1", p, winners, fn) })
				sameRecords(t, fmt.Sprintf("partition %d", p), got, want[p])
				total += len(got)
			}
			var records int64
			for i := range mappers {
				records += mappers[i].Stats().Records
				if st := peers[i].Stats(); st.Dials != M || st.Connections != M {
					t.Errorf("mapper %d: %d dials, %d connections, want %d each (one per peer)", i, st.Dials, st.Connections, M)
				}
			}
			if int(records) != total {
				t.Fatalf("mappers committed %d records, servers yielded %d", records, total)
			}
			for i, srv := range cl.servers {
				st := srv.Stats()
				if st.ConnectionsTotal != N || st.Committed != int64(len(tasks)) || st.CorruptFrames != 0 || st.Refused != 0 {
					t.Errorf("server %d stats %+v: want %d connections, %d commits, nothing corrupt or refused", i, st, N, len(tasks))
				}
				if st.PendingHigh > 64<<10 {
					t.Errorf("server %d held %d unstored bytes on a connection, over the 64 KiB window", i, st.PendingHigh)
				}
			}
		})
	}
}

// TestNetRetryAbortAndDrop: a retried attempt replaces the first (the
// winner counts, not arrival order), a duplicate attempt is refused, an
// aborted attempt leaves nothing, DropJob frees everything.
func TestNetRetryAbortAndDrop(t *testing.T) {
	const P = 4
	ctx := context.Background()
	cl := startCluster(t, 1, "tcp", ServerConfig{})
	srv := cl.servers[0]
	x := newNet(t, NetConfig{JobID: "job-r", Partitions: P, Owner: func(int) string { return cl.addrs[0] }, Dial: cl.dial, BlockSize: 1024})

	t0, t1a, t1b, t2 := taskRecords(2, 0, 300), taskRecords(2, 1, 300), taskRecords(2, 11, 250), taskRecords(2, 2, 300)
	if err := runMap(ctx, x, 0, 0, t0); err != nil {
		t.Fatal(err)
	}
	// Attempt 1 of task 1 commits before attempt 0: the winner decides.
	if err := runMap(ctx, x, 1, 1, t1b); err != nil {
		t.Fatal(err)
	}
	if err := runMap(ctx, x, 1, 0, t1a); err != nil {
		t.Fatal(err)
	}
	// The same attempt again is refused: an attempt is accepted once.
	err := runMap(ctx, x, 1, 1, t1b)
	var pe *PeerError
	if !errors.As(err, &pe) || pe.Lost || !strings.Contains(err.Error(), "accepted once") || pe.Addr != cl.addrs[0] {
		t.Fatalf("duplicate attempt: err = %v, want a *PeerError refusal naming %s", err, cl.addrs[0])
	}
	// An aborted attempt.
	m, err := x.OpenMap(ctx, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range t2 {
		if err := m.Add(Partition(r, P), r); err != nil {
			t.Fatal(err)
		}
	}
	m.Abort()
	if err := m.Commit(ctx); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	// The refused duplicate was never stored; the aborted attempt is dropped.
	waitFor(t, "the abort to reach the server", func() bool { return srv.Stats().Dropped == 1 })
	if st := srv.Stats(); st.Committed != 3 {
		t.Fatalf("%d attempts committed, want 3", st.Committed)
	}

	want := localPartitions(t, P, map[int][][]byte{0: t0, 1: t1b})
	winners := map[int]int{0: 0, 1: 1}
	memBefore := srv.Stats().MemoryBytes
	for p := 0; p < P; p++ {
		got := readAll(t, func(fn func([]byte) error) error { return srv.ReadPartition(ctx, "job-r", p, winners, fn) })
		sameRecords(t, fmt.Sprintf("partition %d", p), got, want[p])
	}
	// Reading freed the losing attempt (task 1 attempt 0).
	if st := srv.Stats(); st.Dropped != 2 || st.MemoryBytes >= memBefore {
		t.Fatalf("after reading: %d dropped, memory %d → %d; want the loser freed", st.Dropped, memBefore, st.MemoryBytes)
	}
	err = srv.ReadPartition(ctx, "job-r", 0, map[int]int{0: 0, 1: 0}, func([]byte) error { return nil })
	if !errors.Is(err, ErrMissingOutput) || !strings.Contains(err.Error(), "map task 1 attempt 0") {
		t.Fatalf("reading a freed loser: %v, want ErrMissingOutput naming it", err)
	}
	err = srv.ReadPartition(ctx, "job-r", 0, map[int]int{0: 0, 2: 0}, func([]byte) error { return nil })
	if !errors.Is(err, ErrMissingOutput) || !strings.Contains(err.Error(), "map task 2 attempt 0") {
		t.Fatalf("reading an aborted attempt: %v, want ErrMissingOutput naming it", err)
	}
	if err := srv.ReadPartition(ctx, "job-r", P, winners, func([]byte) error { return nil }); err == nil {
		t.Fatal("partition out of range accepted")
	}

	srv.DropJob("job-r")
	if st := srv.Stats(); st.MemoryBytes != 0 {
		t.Fatalf("after DropJob %d bytes still in memory", st.MemoryBytes)
	}
	if err := srv.ReadPartition(ctx, "job-r", 0, winners, func([]byte) error { return nil }); !errors.Is(err, ErrMissingOutput) {
		t.Fatalf("read after DropJob: %v", err)
	}
	// A late attempt of the dropped job is refused, not stored.
	err = runMap(ctx, x, 3, 0, t2)
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "dropped") {
		t.Fatalf("late attempt of a dropped job: %v", err)
	}
	if st := srv.Stats(); st.MemoryBytes != 0 || st.SpilledBytes != 0 {
		t.Fatalf("late attempt left %d bytes in memory, %d spilled", st.MemoryBytes, st.SpilledBytes)
	}
}

// TestNetSpillIdentical: with a memory budget of one byte every block spills
// to disk and the output is identical; DropJob and Close remove the files.
func TestNetSpillIdentical(t *testing.T) {
	const P = 5
	ctx := context.Background()
	tasks := map[int][][]byte{}
	for task := 0; task < 4; task++ {
		tasks[task] = taskRecords(3, task, 500)
	}
	read := func(budget int64) ([][][]byte, ServerStats, string) {
		spill := t.TempDir()
		t.Cleanup(func() { // runs after the server's Close
			if left, err := os.ReadDir(spill); err != nil || len(left) != 0 {
				t.Errorf("after Close %s holds %d entries (%v)", spill, len(left), err)
			}
		})
		cl := startCluster(t, 1, "tcp", ServerConfig{MemoryBudget: budget, SpillDir: spill})
		x := newNet(t, NetConfig{JobID: "job-s", Partitions: P, Owner: func(int) string { return cl.addrs[0] }, Dial: cl.dial, BlockSize: 1024})
		for task, recs := range tasks {
			if err := runMap(ctx, x, task, 0, recs); err != nil {
				t.Fatal(err)
			}
		}
		out := make([][][]byte, P)
		for p := range out {
			out[p] = readAll(t, func(fn func([]byte) error) error {
				return cl.servers[0].ReadPartition(ctx, "job-s", p, winnersOf(tasks, 0), fn)
			})
		}
		st := cl.servers[0].Stats()
		cl.servers[0].DropJob("job-s")
		return out, st, cl.servers[0].spillDir
	}
	mem, mst, _ := read(1 << 30)
	spilled, sst, dir := read(1)
	if mst.SpilledBytes != 0 || sst.SpilledBytes == 0 || sst.MemoryBytes != 0 {
		t.Fatalf("in memory: %d spilled; budget 1: %d spilled, %d in memory", mst.SpilledBytes, sst.SpilledBytes, sst.MemoryBytes)
	}
	want := localPartitions(t, P, tasks)
	for p := range mem {
		sameRecords(t, fmt.Sprintf("in-memory partition %d", p), mem[p], want[p])
		sameRecords(t, fmt.Sprintf("spilled partition %d", p), spilled[p], want[p])
	}
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Fatalf("after DropJob the spill folder holds %d files (%v)", len(left), err)
	}
}

// TestNetBackpressure: a receiver that stores slowly stops granting credit,
// so the mapper's Add blocks with at most one window unstored on the server;
// once the receiver resumes, everything arrives.
func TestNetBackpressure(t *testing.T) {
	const window = 64 << 10
	gate := make(chan struct{})
	var stalled atomic.Int64
	cl := startCluster(t, 1, "tcp", ServerConfig{Window: window, storeHook: func() {
		stalled.Add(1)
		<-gate
	}})
	var once sync.Once
	release := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release) // before the server's Close (cleanups run last-in first-out)
	srv := cl.servers[0]
	peers := newPeers(t, PeersConfig{Dial: cl.dial})
	x := newNet(t, NetConfig{JobID: "job-b", Partitions: 2, Owner: func(int) string { return cl.addrs[0] }, Peers: peers, BlockSize: 4096})

	recs := make([][]byte, 4096) // 4 MiB of incompressible records: 64 windows
	rng := rand.New(rand.NewSource(4))
	for i := range recs {
		recs[i] = make([]byte, 1024)
		rng.Read(recs[i])
	}
	var added atomic.Int64
	done := make(chan error, 1)
	go func() {
		ctx := context.Background()
		m, err := x.OpenMap(ctx, 0, 0)
		if err != nil {
			done <- err
			return
		}
		for _, r := range recs {
			if err := m.Add(Partition(r, 2), r); err != nil {
				done <- err
				return
			}
			added.Add(1)
		}
		done <- m.Commit(ctx)
	}()

	// The mapper waits for credit once the server holds most of a window
	// it cannot store.
	waitFor(t, "the mapper to wait for credit with the window in flight", func() bool {
		return peers.Stats().Waiting == 1 && srv.Stats().PendingBytes > window/2
	})
	select {
	case err := <-done:
		t.Fatalf("the map output finished (%v) while the receiver stored nothing", err)
	default:
	}
	st := srv.Stats()
	if n := added.Load(); n >= int64(len(recs)) {
		t.Fatalf("all %d records added while the receiver was stalled", n)
	}
	if st.PendingBytes > window || st.PendingHigh > window {
		t.Fatalf("server holds %d unstored bytes (high %d), over the %d-byte window", st.PendingBytes, st.PendingHigh, window)
	}
	if st.MemoryBytes != 0 || st.Blocks != 0 || stalled.Load() != 1 {
		t.Fatalf("stalled receiver stored %d blocks (%d bytes), hook entered %d times", st.Blocks, st.MemoryBytes, stalled.Load())
	}
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("map output did not finish after the receiver resumed")
	}
	want := localPartitions(t, 2, map[int][][]byte{0: recs})
	for p := 0; p < 2; p++ {
		got := readAll(t, func(fn func([]byte) error) error {
			return srv.ReadPartition(context.Background(), "job-b", p, map[int]int{0: 0}, fn)
		})
		sameRecords(t, fmt.Sprintf("partition %d", p), got, want[p])
	}
	if st := srv.Stats(); st.PendingHigh > window || st.PendingBytes != 0 {
		t.Fatalf("after the run: pending %d, high %d (window %d)", st.PendingBytes, st.PendingHigh, window)
	}
	if peers.Stats().CreditWaits == 0 {
		t.Fatal("no credit wait counted")
	}
}

// relayed starts one TCP server behind a fault-injecting relay.
func relayed(t *testing.T, cfg ServerConfig) (*Server, *shuffletest.Relay) {
	t.Helper()
	cl := startCluster(t, 1, "tcp", cfg)
	r, err := shuffletest.NewRelay(cl.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return cl.servers[0], r
}

// sendThrough runs map task 0 attempt a of job through the relay.
func sendThrough(x *NetExchange, a int, recs [][]byte) error {
	return runMap(context.Background(), x, 0, a, recs)
}

func bigRecords(seed int64, n int) [][]byte {
	rng := rand.New(rand.NewSource(seed))
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = make([]byte, 1000)
		rng.Read(recs[i])
	}
	return recs
}

// TestNetConnectionKilled: the connection dies mid-stream: Commit (or Add)
// fails with a *PeerError naming the peer, the server keeps nothing of the
// attempt, and a retry on a fresh connection succeeds.
func TestNetConnectionKilled(t *testing.T) {
	srv, relay := relayed(t, ServerConfig{Window: 256 << 10})
	peers := newPeers(t, PeersConfig{Dial: DialFunc(shuffletest.TCPDialer(nil))})
	x := newNet(t, NetConfig{JobID: "job-k", Partitions: 3, Owner: func(int) string { return relay.Addr() }, Peers: peers, BlockSize: 8192})
	recs := bigRecords(5, 2000) // 2 MB
	relay.KillAt(500_000)
	err := sendThrough(x, 0, recs)
	var pe *PeerError
	if !errors.As(err, &pe) || !pe.Lost || pe.Addr != relay.Addr() || !strings.Contains(err.Error(), relay.Addr()) {
		t.Fatalf("killed connection: err = %v, want a lost *PeerError naming %s", err, relay.Addr())
	}
	waitFor(t, "the server to drop the partial attempt", func() bool {
		st := srv.Stats()
		return st.Dropped == 1 && st.Connections == 0
	})
	if st := srv.Stats(); st.Committed != 0 || st.MemoryBytes != 0 || st.PendingBytes != 0 {
		t.Fatalf("partial attempt kept: %+v", st)
	}
	err = srv.ReadPartition(context.Background(), "job-k", 0, map[int]int{0: 0}, func([]byte) error { return nil })
	if !errors.Is(err, ErrMissingOutput) {
		t.Fatalf("reading the killed attempt: %v, want ErrMissingOutput", err)
	}
	// The scheduler retries: Peers dials again.
	if err := sendThrough(x, 1, recs); err != nil {
		t.Fatal(err)
	}
	want := localPartitions(t, 3, map[int][][]byte{0: recs})
	for p := 0; p < 3; p++ {
		got := readAll(t, func(fn func([]byte) error) error {
			return srv.ReadPartition(context.Background(), "job-k", p, map[int]int{0: 1}, fn)
		})
		sameRecords(t, fmt.Sprintf("partition %d", p), got, want[p])
	}
	if st := peers.Stats(); st.Dials != 2 || st.Lost != 1 {
		t.Fatalf("peer stats %+v: want 2 dials, 1 lost", st)
	}
}

// TestNetSilentPeer: the network stops delivering (no reset, no close): the
// keep-alive deadline fails the attempt instead of hanging it, and the
// server drops the attempt on its own deadline.
func TestNetSilentPeer(t *testing.T) {
	srv, relay := relayed(t, ServerConfig{Window: 64 << 10})
	x := newNet(t, NetConfig{JobID: "job-f", Partitions: 2, Owner: func(int) string { return relay.Addr() }, BlockSize: 4096,
		Peers: newPeers(t, PeersConfig{Dial: DialFunc(shuffletest.TCPDialer(nil)), KeepAlive: 50 * time.Millisecond, IdleTimeout: 400 * time.Millisecond})})
	m, err := x.OpenMap(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	recs := bigRecords(6, 300)
	for _, r := range recs[:100] {
		if err := m.Add(Partition(r, 2), r); err != nil {
			t.Fatal(err)
		}
	}
	relay.Freeze()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, r := range recs[100:] {
		if err = m.Add(Partition(r, 2), r); err != nil {
			break
		}
	}
	if err == nil {
		err = m.Commit(ctx)
	}
	var pe *PeerError
	if !errors.As(err, &pe) || !pe.Lost || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no frame from the server") {
		t.Fatalf("frozen network: err = %v, want a lost *PeerError from the idle timeout", err)
	}
	waitFor(t, "the server to drop the silent connection's attempt", func() bool { return srv.Stats().Dropped == 1 })
	if st := srv.Stats(); st.Committed != 0 || st.MemoryBytes != 0 {
		t.Fatalf("silent attempt kept: %+v", st)
	}
}

// TestNetCorruptFrame: one bit flipped on the wire is caught by the frame
// checksum: the server closes the connection with an ERROR, keeps nothing
// of the attempt, and the mapper's Commit fails naming the peer.
func TestNetCorruptFrame(t *testing.T) {
	for _, off := range []int64{30, 100_000, 300_007} { // in OPEN, in DATA, in DATA
		t.Run(fmt.Sprint(off), func(t *testing.T) {
			srv, relay := relayed(t, ServerConfig{})
			x := newNet(t, NetConfig{JobID: "job-c", Partitions: 2, Owner: func(int) string { return relay.Addr() }, Dial: DialFunc(shuffletest.TCPDialer(nil)), BlockSize: 8192})
			relay.CorruptAt(off)
			err := sendThrough(x, 0, bigRecords(7, 600))
			var pe *PeerError
			if !errors.As(err, &pe) || !pe.Lost || pe.Addr != relay.Addr() {
				t.Fatalf("corrupted stream: err = %v, want a lost *PeerError", err)
			}
			if !strings.Contains(err.Error(), "corrupt frame") {
				t.Errorf("error %q does not say the frame was corrupt", err)
			}
			waitFor(t, "the server to count the corrupt frame", func() bool { return srv.Stats().CorruptFrames == 1 && srv.Stats().Connections == 0 })
			if st := srv.Stats(); st.Committed != 0 || st.MemoryBytes != 0 {
				t.Fatalf("corrupted attempt kept: %+v", st)
			}
		})
	}
}

// rawConn is a hand-driven client for protocol tests.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	fr frameReader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, c: c, fr: frameReader{r: c, maxData: 1 << 20, maxCtl: 1 << 20}}
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) hello(version uint16) {
	r.write(appendFrame(nil, frameHello, 0, helloMsg{version: version, keepAliveMs: 10000}.append(nil)))
}

// expectError reads until an ERROR frame containing want or the end of the
// connection (want == "").
func (r *rawConn) expectError(want string) {
	r.t.Helper()
	for {
		f, err := r.fr.next()
		if err != nil {
			if want != "" {
				r.t.Fatalf("connection ended (%v) without an ERROR containing %q", err, want)
			}
			return
		}
		if f.typ == frameError {
			if !strings.Contains(string(f.payload), want) {
				r.t.Fatalf("ERROR %q does not contain %q", f.payload, want)
			}
			return
		}
	}
}

// TestNetRefusesPeers: strangers and other versions never get in.
func TestNetRefusesPeers(t *testing.T) {
	cl := startCluster(t, 1, "tcp", ServerConfig{HandshakeTimeout: 300 * time.Millisecond, Window: 8192})
	srv, addr := cl.servers[0], cl.addrs[0]
	refused := int64(0)
	expectRefused := func(what string) {
		t.Helper()
		refused++
		waitFor(t, what+" to be refused", func() bool { return srv.Stats().Refused == refused })
	}

	r := dialRaw(t, addr)
	r.hello(2)
	r.expectError("unsupported shuffle protocol version 2; this server speaks version 1")
	expectRefused("protocol version 2")

	r = dialRaw(t, addr)
	r.write([]byte("GET / HTTP/1.1\r\nHost: furrow\r\n\r\n"))
	r.expectError("")
	expectRefused("plaintext HTTP")

	r = dialRaw(t, addr)
	r.write(appendFrame(nil, frameOpen, 1, openMsg{task: 1, partitions: 1, job: "j"}.append(nil)))
	r.expectError("expected HELLO")
	expectRefused("a frame before HELLO")

	r = dialRaw(t, addr) // says nothing
	r.expectError("")
	expectRefused("a silent client")

	if st := srv.Stats(); st.ConnectionsTotal != 0 {
		t.Fatalf("%d refused clients got past the handshake", st.ConnectionsTotal)
	}

	// Protocol violations after a good handshake close the connection.
	violations := []struct {
		name  string
		send  func(r *rawConn)
		error string
	}{
		{"DATA on a stream never opened", func(r *rawConn) {
			r.write(appendFrame(nil, frameData, 5, append([]byte{0, 0, 0, 0}, EncodeBlock(nil, appendRecord(nil, []byte("x")), 1)...)))
		}, "not open"},
		{"stream opened twice", func(r *rawConn) {
			open := appendFrame(nil, frameOpen, 1, openMsg{task: 1, partitions: 1, job: "j2"}.append(nil))
			r.write(append(open, open...))
		}, "opened twice"},
	}
	for _, v := range violations {
		t.Run(v.name, func(t *testing.T) {
			before := srv.Stats().ProtocolErrors
			r := dialRaw(t, addr)
			r.hello(protocolVersion)
			f, err := r.fr.next()
			if err != nil || f.typ != frameHelloAck {
				t.Fatalf("handshake: %v %v", f.typ, err)
			}
			v.send(r)
			r.expectError(v.error)
			waitFor(t, "the violation to be counted", func() bool { return srv.Stats().ProtocolErrors > before })
		})
	}

	// A client ignoring credit: the store is stalled, so the second frame
	// overruns the 8 KiB window deterministically.
	gate := make(chan struct{})
	cl = startCluster(t, 1, "tcp", ServerConfig{Window: 8192, storeHook: func() { <-gate }})
	t.Cleanup(func() { close(gate) })
	r = dialRaw(t, cl.addrs[0])
	r.hello(protocolVersion)
	if f, err := r.fr.next(); err != nil || f.typ != frameHelloAck {
		t.Fatalf("handshake: %v %v", f.typ, err)
	}
	r.write(appendFrame(nil, frameOpen, 1, openMsg{task: 1, partitions: 1, job: "j"}.append(nil)))
	rec := make([]byte, 6000)
	rand.New(rand.NewSource(1)).Read(rec)
	data := appendFrame(nil, frameData, 1, append([]byte{0, 0, 0, 0}, EncodeBlock(nil, appendRecord(nil, rec), 1)...))
	r.write(append(bytes.Clone(data), data...))
	r.expectError("credit window")
	if st := cl.servers[0].Stats(); st.ProtocolErrors != 1 || st.PendingHigh > 8192 {
		t.Fatalf("credit overrun: %+v", st)
	}
}

// TestNetClientRefusesServer: a mapper dialling something that is not a
// furrow shuffle server of its version fails with a clear error.
func TestNetClientRefusesServer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply []byte
		want  string
	}{
		{"other version", appendFrame(nil, frameHelloAck, 0, helloAckMsg{version: 2}.append(nil)), "version 2"},
		{"plaintext", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), "corrupt frame"},
		{"refusal", messageFrame(frameError, 0, "go away"), "go away"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				c.Read(make([]byte, 64))
				c.Write(tc.reply)
				c.Read(make([]byte, 64))
			}()
			x := newNet(t, NetConfig{JobID: "j", Partitions: 1, Owner: func(int) string { return ln.Addr().String() }, Dial: DialFunc(shuffletest.TCPDialer(nil))})
			_, err = x.OpenMap(context.Background(), 0, 0)
			var pe *PeerError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ln.Addr().String()) {
				t.Fatalf("OpenMap: %v, want a *PeerError naming the peer and containing %q", err, tc.want)
			}
		})
	}
}

// TestNetTLSRefusals: the mTLS listener refuses plaintext shuffle clients and
// clients without a certificate of the cluster's CA.
func TestNetTLSRefusals(t *testing.T) {
	cl := startCluster(t, 1, "mtls", ServerConfig{HandshakeTimeout: 2 * time.Second})
	srv, addr := cl.servers[0], cl.addrs[0]
	other, err := shuffletest.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	otherLeaf, err := other.Issue("intruder")
	if err != nil {
		t.Fatal(err)
	}
	noCert := shuffletest.ClientConfig(tls.Certificate{}, cl.ca.Pool)
	noCert.Certificates = nil
	for i, dial := range []DialFunc{
		DialFunc(shuffletest.TCPDialer(nil)),
		DialFunc(shuffletest.TLSDialer(noCert, nil)),
		DialFunc(shuffletest.TLSDialer(shuffletest.ClientConfig(otherLeaf.TLS, cl.ca.Pool), nil)),
	} {
		x := newNet(t, NetConfig{JobID: "j", Partitions: 1, Owner: func(int) string { return addr }, Dial: dial})
		if _, err := x.OpenMap(context.Background(), 0, 0); err == nil {
			t.Fatalf("client %d got in", i)
		}
		waitFor(t, fmt.Sprintf("client %d to be refused", i), func() bool { return srv.Stats().Refused == int64(i+1) })
	}
	if st := srv.Stats(); st.ConnectionsTotal != 0 {
		t.Fatalf("%d refused clients got past the handshake", st.ConnectionsTotal)
	}
	// The cluster's own client gets in, on TLS 1.2 with AES-256-GCM (the
	// dialer checks the negotiated suite).
	x := newNet(t, NetConfig{JobID: "j", Partitions: 1, Owner: func(int) string { return addr }, Dial: cl.dial})
	if err := runMap(context.Background(), x, 0, 0, taskRecords(8, 0, 10)); err != nil {
		t.Fatal(err)
	}
}

// TestNetSharedConnection: concurrent map outputs of one process share one
// connection per peer.
func TestNetSharedConnection(t *testing.T) {
	cl := startCluster(t, 1, "tcp", ServerConfig{Window: 32 << 10})
	peers := newPeers(t, PeersConfig{Dial: cl.dial})
	tasks := map[int][][]byte{}
	for task := 0; task < 8; task++ {
		tasks[task] = taskRecords(9, task, 300)
	}
	// Two jobs share the Peers too.
	for _, job := range []string{"job-a", "job-b"} {
		x := newNet(t, NetConfig{JobID: job, Partitions: 3, Owner: func(int) string { return cl.addrs[0] }, Peers: peers, BlockSize: 1024})
		var wg sync.WaitGroup
		errs := make(chan error, len(tasks))
		for task, recs := range tasks {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- runMap(context.Background(), x, task, 0, recs) }()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	want := localPartitions(t, 3, tasks)
	for _, job := range []string{"job-a", "job-b"} {
		for p := 0; p < 3; p++ {
			got := readAll(t, func(fn func([]byte) error) error {
				return cl.servers[0].ReadPartition(context.Background(), job, p, winnersOf(tasks, 0), fn)
			})
			sameRecords(t, fmt.Sprintf("%s partition %d", job, p), got, want[p])
		}
	}
	if st := cl.servers[0].Stats(); st.ConnectionsTotal != 1 || st.Committed != 16 {
		t.Fatalf("server stats %+v: want 1 connection, 16 commits", st)
	}
	if st := peers.Stats(); st.Dials != 1 {
		t.Fatalf("%d dials, want 1", st.Dials)
	}
}

// TestNetContextCancel: a cancelled attempt context unblocks Add waiting for
// credit.
func TestNetContextCancel(t *testing.T) {
	gate := make(chan struct{})
	cl := startCluster(t, 1, "tcp", ServerConfig{Window: 8192, storeHook: func() { <-gate }})
	t.Cleanup(func() { close(gate) })
	peers := newPeers(t, PeersConfig{Dial: cl.dial})
	x := newNet(t, NetConfig{JobID: "j", Partitions: 1, Owner: func(int) string { return cl.addrs[0] }, Peers: peers, BlockSize: 4096})
	ctx, cancel := context.WithCancel(context.Background())
	m, err := x.OpenMap(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for _, r := range bigRecords(10, 100) {
			if err := m.Add(0, r); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	waitFor(t, "the mapper to wait for credit", func() bool { return peers.Stats().Waiting == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Add after cancel: %v, want context.Canceled", err)
	}
	m.Abort()
}

func TestNetConfigValidate(t *testing.T) {
	if err := (&NetConfig{}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "job_id") || !strings.Contains(err.Error(), "partitions") ||
		!strings.Contains(err.Error(), "owner") || !strings.Contains(err.Error(), "dial") {
		t.Fatalf("empty NetConfig: %v", err)
	}
	if err := (&ServerConfig{MemoryBudget: -1, Window: 10, MaxFrame: -3, WriteTimeout: -1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "memory_budget") || !strings.Contains(err.Error(), "window") ||
		!strings.Contains(err.Error(), "max_frame") || !strings.Contains(err.Error(), "write_timeout") {
		t.Fatalf("bad ServerConfig: %v", err)
	}
	if err := (&PeersConfig{KeepAlive: time.Second, IdleTimeout: time.Second}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "dial") || !strings.Contains(err.Error(), "idle_timeout") {
		t.Fatalf("bad PeersConfig: %v", err)
	}
	x := newNet(t, NetConfig{JobID: "j", Partitions: 1, Owner: func(int) string { return "" }, Dial: DialFunc(shuffletest.TCPDialer(nil))})
	if err := x.ReadPartition(context.Background(), 0, nil); !errors.Is(err, ErrMapSideRead) {
		t.Fatalf("NetExchange.ReadPartition: %v", err)
	}
	if _, err := x.OpenMap(context.Background(), 0, 0); err == nil || !strings.Contains(err.Error(), "no owner") {
		t.Fatalf("OpenMap with an empty owner: %v", err)
	}
}
