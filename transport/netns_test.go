package transport_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/furrowdata/furrow/transport"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// TestNetnsHelperNode is not a test: TestClusterAcrossNetworkNamespaces runs
// the test binary inside a network namespace with FURROW_NETNS_NODE=1 to
// make it one cluster member process. It prints one line per membership
// event ("event <kind> <name> <shuffle-addr>") until killed or stdin closes.
func TestNetnsHelperNode(t *testing.T) {
	if os.Getenv("FURROW_NETNS_NODE") != "1" {
		t.Skip("helper process for TestClusterAcrossNetworkNamespaces")
	}
	fail := func(format string, args ...any) {
		fmt.Printf("error "+format+"\n", args...)
		os.Exit(2)
	}
	b, err := transport.LoadBundle(os.Getenv("FURROW_BUNDLE"))
	if err != nil {
		fail("%v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m, err := transport.NewMTLS(b, transport.Options{}, logger)
	if err != nil {
		fail("%v", err)
	}
	cfg := transport.LocalConfig()
	cfg.NodeName = os.Getenv("FURROW_NODE_NAME")
	cfg.BindAddr = os.Getenv("FURROW_BIND")
	cfg.Meta = transport.NodeMeta{Role: transport.RoleWorker, ShuffleAddr: os.Getenv("FURROW_SHUFFLE"), Cores: 2, MemoryBudget: 1 << 30}
	c, err := transport.NewCluster(cfg, m, logger)
	if err != nil {
		fail("%v", err)
	}
	defer c.Shutdown()
	var out sync.Mutex
	go func() {
		for e := range c.Events() {
			out.Lock()
			fmt.Printf("event %s %s %s\n", e.Kind, e.Member.Name, e.Member.Meta.ShuffleAddr)
			out.Unlock()
		}
	}()
	if seeds := os.Getenv("FURROW_SEEDS"); seeds != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := c.Join(ctx, strings.Split(seeds, ",")); err != nil {
			fail("%v", err)
		}
	}
	io.Copy(io.Discard, os.Stdin) // run until the parent closes stdin
}

// nsNode is a member process in its own network namespace.
type nsNode struct {
	name string
	cmd  *exec.Cmd
	in   io.WriteCloser

	mu    sync.Mutex
	lines []string
}

func (n *nsNode) saw(line string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, l := range n.lines {
		if l == line {
			return true
		}
	}
	return false
}

func (n *nsNode) output() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}

// TestClusterAcrossNetworkNamespaces runs three member processes, each in
// its own network namespace linked by veth pairs to a bridge, on real
// addresses (10.77.0.1-3), all holding the EMR-style bundle (a certificate
// for CN=*.ec2.internal, no SAN) under the default peer rule. They form a
// cluster, carry metadata, and a SIGKILLed member is reported failed. Needs
// root and iproute2; skipped otherwise.
func TestClusterAcrossNetworkNamespaces(t *testing.T) {
	ns := transporttest.Namespaces(t, "10.77.0", 3)

	ca := transporttest.NewCA(t, "EMR in-transit CA", transporttest.RSA2048)
	leaf := ca.Issue(t, transporttest.CertOptions{CommonName: "*.ec2.internal", NoIP: true, Key: transporttest.RSA2048, Format: transporttest.PKCS1})
	bundle := transporttest.WriteZip(t, leaf.Bundle(), "")

	nodes := make([]*nsNode, 3)
	for i := range nodes {
		n := &nsNode{name: fmt.Sprintf("node-%d", i+1)}
		n.cmd = exec.Command("ip", "netns", "exec", ns[i], os.Args[0], "-test.run=^TestNetnsHelperNode$", "-test.count=1")
		n.cmd.Env = append(os.Environ(),
			"FURROW_NETNS_NODE=1",
			"FURROW_BUNDLE="+bundle,
			"FURROW_NODE_NAME="+n.name,
			fmt.Sprintf("FURROW_BIND=10.77.0.%d:7946", i+1),
			fmt.Sprintf("FURROW_SHUFFLE=10.77.0.%d:7447", i+1),
		)
		if i > 0 {
			n.cmd.Env = append(n.cmd.Env, "FURROW_SEEDS=10.77.0.1:7946")
		}
		stdout, err := n.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		n.cmd.Stderr = &stderr
		if n.in, err = n.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			s := bufio.NewScanner(stdout)
			for s.Scan() {
				n.mu.Lock()
				n.lines = append(n.lines, s.Text())
				n.mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			n.in.Close()
			done := make(chan struct{})
			go func() { n.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				n.cmd.Process.Kill()
				<-done
			}
			if t.Failed() {
				t.Logf("%s stdout:\n%s\n%s stderr:\n%s", n.name, n.output(), n.name, stderr.String())
			}
		})
		nodes[i] = n
	}

	took := eventually(t, 20*time.Second, "every process sees every member with its shuffle address", func() bool {
		for _, n := range nodes {
			for j := range nodes {
				if !n.saw(fmt.Sprintf("event join node-%d 10.77.0.%d:7447", j+1, j+1)) {
					return false
				}
			}
		}
		return true
	})
	t.Logf("3 processes in 3 network namespaces formed a cluster in %v", took)

	if err := nodes[2].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	took = eventually(t, 20*time.Second, "node-1 and node-2 report node-3 failed", func() bool {
		return nodes[0].saw("event fail node-3 10.77.0.3:7447") && nodes[1].saw("event fail node-3 10.77.0.3:7447")
	})
	t.Logf("SIGKILLed node-3 reported failed by both survivors in %v", took)
}
