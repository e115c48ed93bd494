package emr

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/transport/transporttest"
)

func findings(fs []Finding, level, area string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Level == level && f.Area == area {
			out = append(out, f)
		}
	}
	return out
}

// TestCheckMinIO: `furrow validate` as the user whose IAM policy denies
// unencrypted writes: with encrypted: true every location passes the probe;
// with encryption off every write is refused and each location says so; a
// missing bucket fails on its own.
func TestCheckMinIO(t *testing.T) {
	e := newMinIOEnv(t)
	ctx := context.Background()
	bundle, _ := transporttest.NodeBundleDir(t)

	cfg := e.config(t, "check", "")
	fs := Check(ctx, cfg, CheckOptions{TLSBundle: bundle, Logger: testLogger(t)})
	if Failed(fs) {
		var b strings.Builder
		_ = WriteFindings(&b, fs)
		t.Fatalf("encrypted config failed:\n%s", b.String())
	}
	if ok := findings(fs, LevelOK, "storage"); len(ok) != 9 || !strings.Contains(ok[0].Message, "write with SSE-S3 (AES256), read, delete") {
		t.Fatalf("storage findings: %+v", ok)
	}
	if len(findings(fs, LevelOK, "lock")) != 1 || len(findings(fs, LevelOK, "tls")) != 1 || len(findings(fs, LevelOK, "resolver")) != 1 {
		t.Fatalf("findings: %+v", fs)
	}

	cfg.AWS.S3.Buckets.Encrypted = false
	cfg.AWS.S3.SSEOnParts = false
	cfg.AWS.S3.Buckets.Shredded.Archive = "s3://no-such-bucket/shredded"
	fs = Check(ctx, cfg, CheckOptions{TLSBundle: bundle, Logger: testLogger(t), Timeout: 20 * time.Second})
	fails := findings(fs, LevelFail, "storage")
	if len(fails) != 9 {
		t.Fatalf("%d storage failures, want 9 (8 denied writes, 1 missing bucket): %+v", len(fails), fails)
	}
	for _, f := range fails {
		if f.Subject == "aws.s3.buckets.shredded.archive" {
			if !strings.Contains(f.Message, "no-such-bucket") {
				t.Errorf("missing bucket: %s", f.Message)
			}
			continue
		}
		if !strings.Contains(f.Message, "unencrypted") || !strings.Contains(f.Message, "AccessDenied") {
			t.Errorf("%s: %s", f.Subject, f.Message)
		}
	}

	// A held lock is reported with its holder.
	cfg = e.config(t, "check", "")
	l, err := AcquireLock(ctx, cfg.LockLocation(), cfg.StorageOptions(), LockState{RunID: testRunID, Started: testRunTime})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	fs = Check(ctx, cfg, CheckOptions{TLSBundle: bundle, NoProbe: true})
	if n := findings(fs, LevelNote, "lock"); len(n) != 1 || !strings.Contains(n[0].Message, "run "+testRunID) {
		t.Fatalf("held lock: %+v", n)
	}
}
