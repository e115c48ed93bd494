package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/bench/gen"
	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// capture runs fn with os.Stdout redirected and returns what it printed.
func capture(t *testing.T, fn func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	ferr := fn()
	os.Stdout = old
	w.Close()
	return <-done, ferr
}

// localConfig writes a furrow.yml whose locations are folders below root,
// with one generated CloudFront log in raw.in, and returns its path.
func localConfig(t *testing.T, root string, remote bool) string {
	t.Helper()
	repo := testservers.RepoRoot(t)
	resolver := filepath.Join(root, "iglu_resolver.json")
	doc := `{"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1", "data": {"cacheSize": 500,
 "repositories": [{"name": "sample", "priority": 0, "vendorPrefixes": ["com.furrowdata"],
 "connection": {"filesystem": {"path": "` + filepath.Join(repo, "testdata", "iglu") + `"}}}]}}`
	if err := os.WriteFile(resolver, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	gc := gen.DefaultConfig()
	gc.Lines = 50
	if err := os.WriteFile(filepath.Join(root, "in", "E2SAMPLE.2026-11-02-09.a"), gen.CloudFront(gc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("ROOT", root, "RESOLVER", resolver).Replace(`
aws:
  s3:
    buckets:
      raw: {in: ROOT/in, processing: ROOT/processing, archive: ROOT/archive/raw}
      enriched: {good: ROOT/enriched/good, bad: ROOT/enriched/bad, archive: ROOT/archive/enriched}
      shredded: {good: ROOT/shredded/good, bad: ROOT/shredded/bad, archive: ROOT/archive/shredded}
collectors: {format: cloudfront}
enrich: {resolver: RESOLVER}
furrow:
  config_location: s3://acme/furrow.yml
  partitions: 1
  cluster:
    enabled: true
`)
	if remote {
		// Only for commands that print JSON: nothing reads these objects.
		cfg += `    tls_bundle_source: s3://acme/my-certs.zip
  release:
    binary: s3://acme/furrow
    install_script: s3://acme/install-furrow.sh
`
	}
	p := filepath.Join(root, "furrow.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIsStagedRun(t *testing.T) {
	for args, want := range map[string]bool{
		"--config furrow.yml":             true,
		"-config=furrow.yml --skip shred": true,
		"--input-folder x --config y":     true,
		"--input-folder x":                false,
		"-- --config":                     false,
	} {
		if got := isStagedRun(strings.Fields(args)); got != want {
			t.Errorf("isStagedRun(%s) = %v", args, got)
		}
	}
}

func TestEMRCommands(t *testing.T) {
	ctx := context.Background()
	cfg := localConfig(t, t.TempDir(), true)
	out, err := capture(t, func() error {
		return runEMR(ctx, []string{"steps", "--config", cfg, "--format", "api", "--skip", "archive_raw"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var steps []struct {
		Name, ActionOnFailure string
		HadoopJarStep         struct {
			Jar  string
			Args []string
		}
	}
	if err := json.Unmarshal([]byte(out), &steps); err != nil || len(steps) != 1 {
		t.Fatalf("steps: %v\n%s", err, out)
	}
	if got := strings.Join(steps[0].HadoopJarStep.Args, " "); !strings.HasPrefix(got, "bash -c exec 'sudo' '-u' 'furrow'") ||
		!strings.Contains(got, "'run' '--config' 's3://acme/furrow.yml' '--cluster' '--join' \"$(hostname -f):7946\"") || !strings.HasSuffix(got, "'--skip' 'archive_raw'") {
		t.Errorf("step args %q", got)
	}
	out, err = capture(t, func() error { return runEMR(ctx, []string{"bootstrap-actions", "--config", cfg}) })
	if err != nil || !strings.Contains(out, `"Path": "s3://acme/install-furrow.sh"`) {
		t.Fatalf("bootstrap-actions: %v\n%s", err, out)
	}
	out, err = capture(t, func() error {
		return runEMR(ctx, []string{"worker-config", "--seed", "master.internal", "--memory-total", "8GiB"})
	})
	if err != nil || !strings.Contains(out, "- master.internal:7946") || !strings.Contains(out, "memory_budget: 4096MiB") {
		t.Fatalf("worker-config: %v\n%s", err, out)
	}
	wc := filepath.Join(t.TempDir(), "worker.yml")
	if err := os.WriteFile(wc, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = capture(t, func() error {
		return runEMR(ctx, []string{"systemd-unit", "--memory-total", "8GiB", "--worker-config", wc})
	})
	if err != nil || !strings.Contains(out, "MemoryMax=6963M") || !strings.Contains(out, "--join master.internal:7946 ") {
		t.Fatalf("systemd-unit: %v\n%s", err, out)
	}
	out, err = capture(t, func() error { return runEMR(ctx, []string{"install-script"}) })
	if err != nil || !strings.HasPrefix(out, "#!/usr/bin/env bash") {
		t.Fatalf("install-script: %v", err)
	}
	_, err = capture(t, func() error { return runEMR(ctx, []string{"security-configuration", "--config", cfg}) })
	if err == nil || !strings.Contains(err.Error(), "local-disk") {
		t.Fatalf("security-configuration without a KMS key: %v", err)
	}
	var u usageError
	if err := runEMR(ctx, []string{"frobnicate"}); !errors.As(err, &u) {
		t.Errorf("unknown subcommand: %v", err)
	}
	if _, err := capture(t, func() error { return runEMR(ctx, []string{"steps"}) }); !errors.As(err, &u) {
		t.Errorf("steps without --config: %v", err)
	}
}

// TestStagedRunCommand is `furrow run --config` on local folders.
func TestStagedRunCommand(t *testing.T) {
	root := t.TempDir()
	cfg := localConfig(t, root, false)
	var u usageError
	if err := runStagedCommand(context.Background(), []string{"--config", cfg, "--input-folder", "/x", "--format", "legacy"}); !errors.As(err, &u) ||
		!strings.Contains(err.Error(), "--format, --input-folder cannot be combined with --config") {
		t.Fatalf("owned flags: %v", err)
	}
	// --cluster reaches the cluster engine, which needs the TLS bundle.
	clusterRoot := t.TempDir()
	if err := runStagedCommand(context.Background(), []string{"--config", localConfig(t, clusterRoot, false), "--cluster", "--join", "127.0.0.1:7946"}); err == nil ||
		!strings.Contains(err.Error(), "--tls-bundle is required with --cluster") {
		t.Fatalf("--cluster without --tls-bundle: %v", err)
	}
	out, err := capture(t, func() error {
		return runStagedCommand(context.Background(), []string{"--config", cfg, "--parallelism", "2", "--spill-dir", t.TempDir()})
	})
	if err != nil {
		t.Fatalf("furrow run --config: %v\n%s", err, out)
	}
	if !strings.Contains(out, "archive_shredded  done") || !strings.Contains(out, "run=") {
		t.Errorf("summary:\n%s", out)
	}
	ents, err := os.ReadDir(filepath.Join(root, "archive", "shredded"))
	if err != nil || len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), "run=") {
		t.Fatalf("archive/shredded: %v %v", ents, err)
	}
}

func TestValidateCommand(t *testing.T) {
	root := t.TempDir()
	cfg := localConfig(t, root, false)
	bundle, _ := transporttest.NodeBundleDir(t)
	out, err := capture(t, func() error {
		return runValidate(context.Background(), []string{"--config", cfg, "--tls-bundle", bundle})
	})
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	for _, want := range []string{"ok    config", "ok    resolver", "ok    storage     aws.s3.buckets.raw.in[0]",
		"ok    storage     aws.s3.buckets.shredded.archive", "ok    lock", "ok    tls         " + bundle, "everything checked is usable"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	// Broken enrichments and an unknown key: each one line, and a failure.
	b, _ := os.ReadFile(cfg)
	broken := strings.Replace(string(b), "enrich: {resolver:", "enrich: {enrichments: "+filepath.Join(root, "nope.json")+", resolver:", 1) + "furrw: {}\n"
	if err := os.WriteFile(cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = capture(t, func() error { return runValidate(context.Background(), []string{"--config", cfg}) })
	if err == nil || !strings.Contains(out, "FAIL  config") || !strings.Contains(out, "furrw") {
		t.Fatalf("broken config: %v\n%s", err, out)
	}
	if err := os.WriteFile(cfg, []byte(strings.TrimSuffix(broken, "furrw: {}\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = capture(t, func() error {
		return runValidate(context.Background(), []string{"--config", cfg, "--tls-bundle", bundle})
	})
	if err == nil || !strings.Contains(out, "FAIL  enrichments") || !strings.Contains(out, "1 problem(s)") {
		t.Fatalf("missing enrichments: %v\n%s", err, out)
	}
	out, err = capture(t, func() error { return runValidate(context.Background(), []string{"--tls-bundle", bundle}) })
	if err != nil || !strings.Contains(out, "certificate for") {
		t.Fatalf("validate --tls-bundle: %v\n%s", err, out)
	}
	if _, err := capture(t, func() error { return runValidate(context.Background(), nil) }); err == nil {
		t.Error("validate without flags succeeded")
	}
}

func TestCpCommand(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, s := range map[string]string{"one.txt": "1", "a/two.txt": "22", "a/b/three.txt": "333"} {
		if err := os.WriteFile(filepath.Join(src, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := t.TempDir()
	if err := runCp(ctx, []string{"-q", filepath.Join(src, "one.txt"), dst}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "one.txt")); string(b) != "1" {
		t.Fatalf("cp into a folder: %q", b)
	}
	if err := runCp(ctx, []string{"-q", filepath.Join(src, "a", "two.txt"), filepath.Join(dst, "renamed")}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "renamed")); string(b) != "22" {
		t.Fatalf("cp to a name: %q", b)
	}
	tree := filepath.Join(t.TempDir(), "copy")
	if err := runCp(ctx, []string{"-r", "-q", src, "file://" + tree}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(tree, "a", "b", "three.txt")); string(b) != "333" {
		t.Fatalf("cp -r: %q", b)
	}
	var u usageError
	if err := runCp(ctx, []string{"only-one"}); !errors.As(err, &u) {
		t.Errorf("one argument: %v", err)
	}
	if err := runCp(ctx, []string{filepath.Join(src, "missing"), dst}); err == nil {
		t.Error("copying a missing file succeeded")
	}
}
