package shuffle

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/furrowdata/furrow/transport"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// TestNetOverTransport runs the shuffle on furrow's own transport: the EMR
// PEM bundle's mutual TLS (transport.MTLS Dial and Listen), two receiving
// Servers and two mapper processes; the output equals the in-process
// exchange's, and every connection negotiated TLS 1.2 with AES-256-GCM.
func TestNetOverTransport(t *testing.T) {
	dir, _ := transporttest.NodeBundleDir(t)
	bundle, err := transport.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := transport.NewMTLS(bundle, transport.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const M, P = 2, 6
	var addrs []string
	var servers []*Server
	for i := 0; i < M; i++ {
		srv, err := NewServer(ServerConfig{SpillDir: t.TempDir(), Window: 128 << 10})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := mt.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		t.Cleanup(func() {
			srv.Close()
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
		servers = append(servers, srv)
		addrs = append(addrs, ln.Addr().String())
	}
	var checked atomic.Int64
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := mt.Dial(ctx, addr)
		if err != nil {
			return nil, err
		}
		cs, ok := transport.ConnectionState(c)
		if !ok || cs.Version != tls.VersionTLS12 || tls.CipherSuiteName(cs.CipherSuite) != "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" {
			c.Close()
			return nil, fmt.Errorf("negotiated %s %s, want TLS 1.2 with ECDHE-ECDSA-AES-256-GCM", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
		}
		checked.Add(1)
		return c, nil
	}
	tasks := map[int][][]byte{}
	for task := 0; task < 6; task++ {
		tasks[task] = taskRecords(12, task, 400)
	}
	for mapper := 0; mapper < 2; mapper++ {
		x := newNet(t, NetConfig{JobID: "job-t", Partitions: P, Owner: func(p int) string { return addrs[p%M] }, Dial: dial, BlockSize: 4096})
		for task := mapper; task < len(tasks); task += 2 {
			if err := runMap(context.Background(), x, task, 0, tasks[task]); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := localPartitions(t, P, tasks)
	for p := 0; p < P; p++ {
		got := readAll(t, func(fn func([]byte) error) error {
			return servers[p%M].ReadPartition(context.Background(), "job-t", p, winnersOf(tasks, 0), fn)
		})
		sameRecords(t, fmt.Sprintf("partition %d", p), got, want[p])
	}
	if n := checked.Load(); n != 2*M {
		t.Fatalf("%d connections checked, want %d (one per mapper and server)", n, 2*M)
	}
}
