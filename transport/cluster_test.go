package transport_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/furrowdata/furrow/transport"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// syncBuffer is a log sink tests can read while nodes write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testNode is a running cluster member with its observed events.
type testNode struct {
	*transport.Cluster
	logs *syncBuffer

	mu     sync.Mutex
	events []transport.Event
}

func (n *testNode) seen(kind transport.EventKind, member string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.events {
		if e.Kind == kind && e.Member.Name == member {
			return true
		}
	}
	return false
}

func workerMeta(i int) transport.NodeMeta {
	return transport.NodeMeta{
		Role:         transport.RoleWorker,
		ShuffleAddr:  fmt.Sprintf("127.0.0.1:%d", 17000+i),
		Cores:        i + 1,
		MemoryBudget: int64(i+1) << 30,
	}
}

// startNode starts a member from a bundle folder with LocalConfig timings.
func startNode(t *testing.T, bundleDir, name string, meta transport.NodeMeta) *testNode {
	t.Helper()
	b, err := transport.LoadBundle(bundleDir)
	if err != nil {
		t.Fatalf("%s: loading bundle: %v", name, err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := transport.NewMTLS(b, transport.Options{HandshakeTimeout: 2 * time.Second}, logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := transport.LocalConfig()
	cfg.NodeName = name
	cfg.Meta = meta
	c, err := transport.NewCluster(cfg, m, logger)
	if err != nil {
		t.Fatalf("%s: NewCluster: %v", name, err)
	}
	n := &testNode{Cluster: c, logs: logs}
	go func() {
		for e := range c.Events() {
			n.mu.Lock()
			n.events = append(n.events, e)
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if err := c.Shutdown(); err != nil {
			t.Errorf("%s: Shutdown: %v", name, err)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
	return n
}

// eventually polls cond every 20ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func memberNames(c *transport.Cluster) string {
	var names []string
	for _, m := range c.Members() {
		names = append(names, m.Name+"("+m.State.String()+")")
	}
	return strings.Join(names, ",")
}

func TestClusterFormsCarriesMetaAndDetectsFailure(t *testing.T) {
	// Every node holds the same bundle, as on EMR.
	dir, _ := transporttest.NodeBundleDir(t)
	nodes := make([]*testNode, 3)
	for i := range nodes {
		nodes[i] = startNode(t, dir, fmt.Sprintf("node-%d", i), workerMeta(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range nodes[1:] {
		if got, err := n.Join(ctx, []string{nodes[0].Addr()}); err != nil || got != 1 {
			t.Fatalf("%s: Join = %d, %v", n.Name(), got, err)
		}
	}
	took := eventually(t, 10*time.Second, "every node sees 3 alive members", func() bool {
		for _, n := range nodes {
			ms := n.Members()
			if len(ms) != 3 {
				return false
			}
			for _, m := range ms {
				if m.State != transport.StateAlive {
					return false
				}
			}
		}
		return true
	})
	t.Logf("cluster of 3 formed in %v", took)

	// Metadata: node-0's view of every member matches what it announced.
	for i, m := range nodes[0].Members() {
		if m.MetaErr != nil {
			t.Fatalf("%s: meta error %v", m.Name, m.MetaErr)
		}
		want := workerMeta(i)
		got := m.Meta
		if got.ShuffleAddr != want.ShuffleAddr || got.Cores != want.Cores || got.MemoryBudget != want.MemoryBudget || got.Role != want.Role {
			t.Errorf("%s: meta %+v, want %+v", m.Name, got, want)
		}
		if got.Instance == "" || m.Addr == "" {
			t.Errorf("%s: instance %q addr %q", m.Name, got.Instance, m.Addr)
		}
	}
	for _, n := range nodes {
		for _, other := range nodes {
			if !n.seen(transport.EventJoin, other.Name()) {
				t.Errorf("%s: no join event for %s", n.Name(), other.Name())
			}
		}
	}

	// Packets ride pooled connections: a handshake per peer, not per packet.
	eventually(t, 10*time.Second, "node-0 sends 20 gossip packets", func() bool { return nodes[0].Stats().PacketsSent >= 20 })
	if st := nodes[0].Stats(); st.PacketDials > 4 || st.PacketsReceived == 0 {
		t.Errorf("node-0 dialed %d packet connections for %d packets (received %d): not pooled", st.PacketDials, st.PacketsSent, st.PacketsReceived)
	} else {
		t.Logf("node-0: %+v", st)
	}

	// Metadata updates travel too.
	upd := workerMeta(1)
	upd.Cores = 42
	if err := nodes[1].UpdateMeta(upd, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "node-0 sees node-1's new metadata", func() bool {
		for _, m := range nodes[0].Members() {
			if m.Name == "node-1" && m.Meta.Cores == 42 {
				return nodes[0].seen(transport.EventUpdate, "node-1")
			}
		}
		return false
	})

	// Kill node-2: no Leave, its sockets just close (as when the process
	// dies). The others must report it failed.
	if err := nodes[2].Shutdown(); err != nil {
		t.Fatal(err)
	}
	took = eventually(t, 15*time.Second, "node-0 and node-1 report node-2 failed", func() bool {
		for _, n := range nodes[:2] {
			if !n.seen(transport.EventFail, "node-2") || len(n.Members()) != 2 {
				return false
			}
		}
		return true
	})
	t.Logf("failure of node-2 detected by both survivors in %v (probe interval %v)", took, transport.LocalConfig().ProbeInterval)
	if nodes[0].seen(transport.EventLeave, "node-2") {
		t.Error("a killed node was reported as having left gracefully")
	}
}

func TestClusterLeaveIsNotAFailure(t *testing.T) {
	dir, _ := transporttest.NodeBundleDir(t)
	a := startNode(t, dir, "a", workerMeta(0))
	b := startNode(t, dir, "b", transport.NodeMeta{Role: transport.RoleCoordinator})
	if _, err := b.Join(context.Background(), []string{a.Addr()}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a sees b", func() bool { return len(a.Members()) == 2 })
	if err := b.Leave(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.Shutdown(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			a.mu.Lock()
			t.Logf("a's events: %+v; members %s", a.events, memberNames(a.Cluster))
			a.mu.Unlock()
		}
	}()
	eventually(t, 10*time.Second, "a reports b left", func() bool { return a.seen(transport.EventLeave, "b") })
	if a.seen(transport.EventFail, "b") {
		t.Error("a graceful leave was reported as a failure")
	}
}

// TestClusterRefusesForeignBundle: a node whose bundle comes from another
// CA cannot join: the mutual TLS refuses it before any gossip.
func TestClusterRefusesForeignBundle(t *testing.T) {
	dir, _ := transporttest.NodeBundleDir(t)
	foreign, _ := transporttest.NodeBundleDir(t) // another CA
	seed := startNode(t, dir, "seed", workerMeta(0))
	intruder := startNode(t, foreign, "intruder", workerMeta(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n, err := intruder.Join(ctx, []string{seed.Addr()})
	if err == nil {
		t.Fatalf("Join succeeded (%d seeds); want a refusal", n)
	}
	if !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("Join error %q does not say the seed's certificate is untrusted", err)
	}
	if got := len(seed.Members()); got != 1 {
		t.Errorf("seed has %d members: %s", got, memberNames(seed.Cluster))
	}
	eventually(t, 5*time.Second, "the seed logs the refused peer", func() bool {
		return strings.Contains(seed.logs.String(), "refused TLS peer")
	})
}

// TestClusterRefusesWrongGossipKey: a node with a certificate from the same
// CA (so mutual TLS accepts it) but its own private key derives another
// gossip key, and cannot join.
func TestClusterRefusesWrongGossipKey(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster CA", transporttest.ECDSAP256)
	shared := transporttest.WriteDir(t, ca.Issue(t, transporttest.CertOptions{}).Bundle())
	other := transporttest.WriteDir(t, ca.Issue(t, transporttest.CertOptions{}).Bundle())

	ka, err := transport.LoadBundle(shared)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := transport.LoadBundle(other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ka.GossipKey(), kb.GossipKey()) {
		t.Fatal("two private keys derived the same gossip key")
	}

	seed := startNode(t, shared, "seed", workerMeta(0))
	stranger := startNode(t, other, "stranger", workerMeta(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n, err := stranger.Join(ctx, []string{seed.Addr()})
	if err == nil {
		t.Fatalf("Join succeeded (%d seeds); want a refusal", n)
	}
	if !strings.Contains(err.Error(), "no installed keys could decrypt the message") {
		t.Errorf("Join error %q does not say the gossip could not be decrypted", err)
	}
	eventually(t, 5*time.Second, "the seed logs that it could not decrypt the stranger", func() bool {
		return strings.Contains(strings.ToLower(seed.logs.String()), "no installed keys could decrypt")
	})
	if strings.Contains(seed.logs.String(), "refused TLS peer") {
		t.Error("the TLS layer refused the stranger; this test must exercise the gossip key")
	}
	if got := len(seed.Members()); got != 1 {
		t.Errorf("seed has %d members: %s", got, memberNames(seed.Cluster))
	}
	if got := len(stranger.Members()); got != 1 {
		t.Errorf("stranger has %d members: %s", got, memberNames(stranger.Cluster))
	}
}

func TestConfigValidate(t *testing.T) {
	if err := transport.DefaultConfig().Validate(); err == nil || !strings.Contains(err.Error(), "node_name") {
		t.Errorf("DefaultConfig without a name: %v", err)
	}
	c := transport.LocalConfig()
	c.NodeName = "n"
	c.Meta = workerMeta(0)
	if err := c.Validate(); err != nil {
		t.Fatalf("LocalConfig: %v", err)
	}
	c.BindAddr = "127.0.0.1"
	c.AdvertiseAddr = "10.0.0.1:99999"
	c.Seeds = []string{"ok:7946", "master"}
	c.ProbeTimeout = 2 * c.ProbeInterval
	c.SuspicionMult = 0
	c.EventBuffer = 0
	c.PushPullInterval = -1
	c.Meta = transport.NodeMeta{Role: "boss"}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	for _, key := range []string{"bind_addr", "advertise_addr", "seeds[1]", "probe_timeout", "suspicion_mult",
		"event_buffer", "push_pull_interval", "meta.role"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate error does not name %s:\n%v", key, err)
		}
	}
	if strings.Contains(err.Error(), "seeds[0]") {
		t.Errorf("Validate refused a good seed: %v", err)
	}
}

// TestClusterMembersWhileMetaChanges reads Members and Local while both
// nodes gossip metadata updates and one leaves: memberlist updates its nodes
// in place, so the cluster must answer from its own copies (run with -race).
func TestClusterMembersWhileMetaChanges(t *testing.T) {
	dir, _ := transporttest.NodeBundleDir(t)
	a := startNode(t, dir, "a", workerMeta(0))
	b := startNode(t, dir, "b", workerMeta(1))
	if _, err := b.Join(context.Background(), []string{a.Addr()}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a sees b", func() bool { return len(a.Members()) == 2 })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			m := workerMeta(i)
			if err := b.UpdateMeta(m, time.Second); err != nil {
				t.Errorf("UpdateMeta: %v", err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			eventually(t, 10*time.Second, "a sees b's last metadata", func() bool {
				for _, m := range a.Members() {
					if m.Name == "b" && m.Meta.Cores == workerMeta(19).Cores {
						return true
					}
				}
				return false
			})
			if got := b.Local(); got.Meta.Cores != workerMeta(19).Cores {
				t.Fatalf("b.Local() = %+v, want its latest metadata", got.Meta)
			}
			if err := b.Leave(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "a drops b", func() bool { return len(a.Members()) == 1 })
			return
		default:
			_ = a.Members()
			_ = b.Local()
		}
	}
}
