package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// TestClusterAcrossNetworkNamespaces runs the 3-worker job with each worker
// and the coordinator in its own network namespace, linked by veth pairs to
// a bridge, on real addresses (10.78.0.1-4), all holding an EMR-style
// bundle (a certificate for CN=*.ec2.internal, no SAN, no IP) under the
// default peer rule. The clustered output equals the single-node output.
// Needs root and iproute2; skipped otherwise.
func TestClusterAcrossNetworkNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the network-namespace cluster")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (ip netns add); this optional test is skipped")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		testservers.Missing(t, "iproute2 (ip) is not installed")
	}
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	var sfx [3]byte
	rand.Read(sfx[:])
	id := hex.EncodeToString(sfx[:])
	hub := "fcl" + id + "hub"
	if err := run("netns", "add", hub); err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	t.Cleanup(func() { run("netns", "del", hub) })
	must := func(args ...string) {
		t.Helper()
		if err := run(args...); err != nil {
			t.Fatal(err)
		}
	}
	must("-n", hub, "link", "add", "br0", "type", "bridge")
	must("-n", hub, "link", "set", "br0", "up")
	ns := make([]string, 4)
	for i := range ns {
		ns[i] = fmt.Sprintf("fcl%sn%d", id, i+1)
		inner, outer := fmt.Sprintf("c%sn%d", id, i+1), fmt.Sprintf("c%sh%d", id, i+1)
		must("netns", "add", ns[i])
		name := ns[i]
		t.Cleanup(func() { run("netns", "del", name) })
		must("link", "add", inner, "type", "veth", "peer", "name", outer)
		must("link", "set", inner, "netns", ns[i])
		must("link", "set", outer, "netns", hub)
		must("-n", hub, "link", "set", outer, "master", "br0")
		must("-n", hub, "link", "set", outer, "up")
		must("-n", ns[i], "addr", "add", fmt.Sprintf("10.78.0.%d/24", i+1), "dev", inner)
		must("-n", ns[i], "link", "set", inner, "up")
		must("-n", ns[i], "link", "set", "lo", "up")
	}

	ca := transporttest.NewCA(t, "EMR in-transit CA", transporttest.RSA2048)
	leaf := ca.Issue(t, transporttest.CertOptions{CommonName: "*.ec2.internal", NoIP: true, Key: transporttest.RSA2048, Format: transporttest.PKCS1})
	bundle := transporttest.WriteZip(t, leaf.Bundle(), "")

	var workers []*workerProc
	for i := 0; i < 3; i++ {
		ip := fmt.Sprintf("10.78.0.%d", i+1)
		args := []string{"worker", "--listen", ip + ":7447", "--gossip", ip + ":7946", "--tls-bundle", bundle,
			"--spill-dir", t.TempDir(), "--gossip-profile", "local", "--parallelism", "2", "--drain-timeout", "20s"}
		if i > 0 {
			args = append(args, "--join", "10.78.0.1:7946")
		}
		w := &workerProc{proc: startProcIn(t, ns[i], fmt.Sprintf("worker in %s", ns[i]), t.TempDir(), nil, args...)}
		eventually(t, 30*time.Second, w.name+" ready", func() bool {
			if w.exited() {
				t.Fatalf("%s exited: %v\n%s", w.name, w.err, w.errText())
			}
			m := readyLine.FindStringSubmatch(w.outText())
			if m == nil {
				return false
			}
			w.nodeName, w.listen, w.gossip = m[1], m[2], m[3]
			return true
		})
		workers = append(workers, w)
	}

	flags := jobInput(t, "cloudfront", 4, 1000)
	want, _ := singleNode(t, flags, "parquet")
	got := t.TempDir()
	co := startProcIn(t, ns[3], "coordinator in "+ns[3], t.TempDir(), nil, append([]string{"run", "--cluster", "--join", "10.78.0.1:7946",
		"--tls-bundle", bundle, "--gossip-profile", "local", "--min-workers", "3", "--worker-wait", "30s",
		"--output-folder", got, "--format", "parquet"}, flags...)...)
	if code := co.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("clustered run exited %d:\n%s", code, co.errText())
	}
	n := sameOutput(t, want, got)
	for _, w := range workers {
		if !strings.Contains(co.errText(), "worker="+w.nodeName+" ") {
			t.Errorf("the coordinator never used %s", w.nodeName)
		}
	}
	t.Logf("3 workers and a coordinator in 4 network namespaces (10.78.0.1-4, certificate CN=*.ec2.internal): %d files identical to the single-node run", n)
}
