package bootstrap

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/pipeline"
)

func TestSizeFor(t *testing.T) {
	const node = 16318480 << 10 // MemTotal of a 16 GiB instance
	s, err := SizeFor(node, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.MemoryBudget != node/2 || s.MemoryHigh != node/4*3 || s.MemoryMax != node/20*17 {
		t.Fatalf("sizing %+v", s)
	}
	if !(s.MemoryBudget < s.MemoryHigh && s.MemoryHigh < s.MemoryMax && s.MemoryMax < node) {
		t.Fatalf("limits out of order: %+v", s)
	}
	if s, err := SizeFor(node, 4<<30); err != nil || s.MemoryBudget != 4<<30 {
		t.Fatalf("override: %+v %v", s, err)
	}
	if _, err := SizeFor(node, node); err == nil {
		t.Error("a budget above MemoryHigh accepted")
	}
	if _, err := SizeFor(100<<20, 0); err == nil {
		t.Error("a 100MiB node accepted")
	}
}

func TestWorkerConfigRoundTrip(t *testing.T) {
	b, err := RenderWorkerConfig(WorkerParams{
		Seed: "ip-10-0-1-23.eu-west-1.compute.internal", GossipPort: 7946, ShufflePort: 7447, MetricsPort: 9464,
		TLSBundle: "/etc/furrow/tls/bundle.zip", SpillDir: "/mnt/furrow/spill", MemoryBudget: 8 << 30, Role: "core", JobFlowID: "j-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorkerConfig(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if w.Listen != "0.0.0.0:7447" || w.Gossip != "0.0.0.0:7946" || len(w.Join) != 1 || w.Join[0] != "ip-10-0-1-23.eu-west-1.compute.internal:7946" ||
		w.TLSBundle != "/etc/furrow/tls/bundle.zip" || w.Metrics != "0.0.0.0:9464" || w.SpillDir != "/mnt/furrow/spill" {
		t.Fatalf("worker config %+v", w)
	}
	if n, err := pipeline.ParseSize(w.MemoryBudget); err != nil || n != 8<<30 {
		t.Fatalf("memory_budget %q = %d, %v", w.MemoryBudget, n, err)
	}
	if !strings.Contains(string(b), "node role: core; job flow: j-1") {
		t.Errorf("no node comment:\n%s", b)
	}
	if _, err := ParseWorkerConfig([]byte("listen: 0.0.0.0:1\ngossip: 0.0.0.0:2\njoin: [m:2]\ntls_bundle: x\nspill_dir: /s\nseeds: [a]\n")); err == nil || !strings.Contains(err.Error(), "seeds") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := ParseWorkerConfig([]byte("listen: nowhere\ngossip: 0.0.0.0:2\n")); err == nil ||
		!strings.Contains(err.Error(), "listen") || !strings.Contains(err.Error(), "join") || !strings.Contains(err.Error(), "tls_bundle") {
		t.Errorf("bad config: %v", err)
	}
	if _, err := RenderWorkerConfig(WorkerParams{}); err == nil {
		t.Error("no seed accepted")
	}
}

func testWorker(t *testing.T, spill string) WorkerConfig {
	t.Helper()
	b, err := RenderWorkerConfig(WorkerParams{Seed: "ip-10-0-1-23.eu-west-1.compute.internal", GossipPort: 7946, ShufflePort: 7447, MetricsPort: 9464,
		TLSBundle: "/etc/furrow/tls/bundle.zip", SpillDir: spill, MemoryBudget: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorkerConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRenderUnit(t *testing.T) {
	s, _ := SizeFor(16<<30, 0)
	b, err := RenderUnit(UnitParams{User: "furrow", Binary: "/usr/local/bin/furrow", Worker: testWorker(t, "/mnt/furrow/spill"), Sizing: s})
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"User=furrow\n", "Group=furrow\n",
		"ExecStart=/usr/local/bin/furrow worker --listen 0.0.0.0:7447 --gossip 0.0.0.0:7946 --join ip-10-0-1-23.eu-west-1.compute.internal:7946 " +
			"--tls-bundle /etc/furrow/tls/bundle.zip --metrics 0.0.0.0:9464 --spill-dir /mnt/furrow/spill --memory-budget 8192MiB\n",
		"Restart=on-failure\n", "StandardOutput=journal\n", "StandardError=journal\n",
		"LimitNOFILE=1048576\n", "MemoryHigh=12288M\n", "MemoryMax=13926M\n",
		"ReadWritePaths=/mnt/furrow/spill\n", "WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if _, err := RenderUnit(UnitParams{User: "furrow", Binary: "/usr/local/bin/fur row", Worker: testWorker(t, "/s"), Sizing: s}); err == nil {
		t.Error("a path with a space accepted")
	}

	// systemd itself accepts the unit (binary and user replaced by ones
	// that exist on this machine).
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit was checked by content only")
	}
	dir := t.TempDir()
	sh, _ := exec.LookPath("sh")
	b, err = RenderUnit(UnitParams{User: "root", Binary: sh, Worker: testWorker(t, dir), Sizing: s})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "furrow-worker.service")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", p).CombinedOutput()
	if err != nil || strings.Contains(string(out), "furrow-worker.service:") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
