package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/transport/transporttest"
)

// TestClusterAcrossNetworkNamespaces runs the 3-worker job with each worker
// and the coordinator in its own network namespace, linked by veth pairs to
// a bridge, on real addresses (10.78.0.1-4), all holding an EMR-style
// bundle (a certificate for CN=*.ec2.internal, no SAN, no IP) under the
// default peer rule. The clustered output equals the single-node output.
// Needs root and iproute2; skipped otherwise.
func TestClusterAcrossNetworkNamespaces(t *testing.T) {
	ns := transporttest.Namespaces(t, "10.78.0", 4)

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
