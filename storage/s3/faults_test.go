package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/s3"
	"github.com/furrowdata/furrow/storage/storetest"
)

// TestFaultInjection runs the store contract, a multipart write and ranged
// reads through a proxy that breaks every fourth request: retries and
// resumed reads must hide every fault, and what MinIO holds must be
// byte-identical to what was written.
func TestFaultInjection(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "faulty")
	p := testservers.StartFaultProxy(t, m.Endpoint, 4)
	cfg := s3.Config{Endpoint: p.URL(), SSE: s3.SSEAES256, PartSize: s3.MinPartSize, Concurrency: 3,
		MaxAttempts: 8, MaxBackoff: 200 * time.Millisecond}
	st := newStore(t, m, "faulty", "run", cfg)
	storetest.Run(t, st)

	ctx := context.Background()
	data := randomBytes(t, int(3*s3.MinPartSize)+777)
	w, err := st.Create(ctx, "big/part-00000.parquet")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 300_000 {
		if _, err := w.Write(data[off:min(off+300_000, len(data))]); err != nil {
			t.Fatalf("write at %d: %v", off, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close through the faulty proxy: %v", err)
	}
	// Read back through the proxy (whole, and in ranges), and directly.
	for i := 0; i < 3; i++ {
		got, err := storage.ReadAll(ctx, st, "big/part-00000.parquet")
		if err != nil {
			t.Fatalf("read through the faulty proxy: %v", err)
		}
		if sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("read %d bytes through the proxy, content differs", len(got))
		}
	}
	for off := int64(0); off < int64(len(data)); off += 4_000_000 {
		r, err := st.OpenRange(ctx, "big/part-00000.parquet", off, 3_000_000)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("range at %d: %v", off, err)
		}
		if !bytes.Equal(got, data[off:min(off+3_000_000, int64(len(data)))]) {
			t.Fatalf("range at %d differs", off)
		}
	}
	direct := newStore(t, m, "faulty", "run", s3.Config{})
	got, err := storage.ReadAll(ctx, direct, "big/part-00000.parquet")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object in MinIO differs from what was written (%d bytes, err %v)", len(got), err)
	}
	assertNoUploads(t, m.Client(nil), "faulty")

	s := st.Stats()
	t.Logf("proxy: %d requests, %d SlowDown, %d resets, %d truncated bodies; store: %+v",
		p.Requests.Load(), p.SlowDowns.Load(), p.Resets.Load(), p.Truncations.Load(), s)
	if p.SlowDowns.Load() == 0 || p.Resets.Load() == 0 || p.Truncations.Load() == 0 {
		t.Fatal("not every kind of fault was injected")
	}
	if s.FailedAttempts == 0 || s.Attempts <= s.Requests {
		t.Fatalf("no retries counted: %+v", s)
	}
}

// TestFinalFailureNamesKey exhausts the retry budget against a proxy that
// always answers SlowDown: the error names the object and the cause.
func TestFinalFailureNamesKey(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "busy")
	p := testservers.StartFaultProxy(t, m.Endpoint, 1)
	st := newStore(t, m, "busy", "out", s3.Config{Endpoint: p.URL(), MaxAttempts: 3, MaxBackoff: 20 * time.Millisecond})
	ctx := context.Background()
	err := storage.WriteAll(ctx, st, "part-7.tsv", []byte("x"))
	if err == nil {
		t.Fatal("write through an always-failing proxy succeeded")
	}
	for _, want := range []string{"s3://busy/out/part-7.tsv", "503", "exceeded maximum number of attempts, 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := st.Stat(ctx, "k"); err == nil || !strings.Contains(err.Error(), "s3://busy/out/k") || st.IsNotFound(err) {
		t.Errorf("stat error = %v; want a named, non-not-found error", err)
	}
	if a := st.Stats().Attempts; a < 6 {
		t.Errorf("attempts = %d, want 3 per request", a)
	}
}

// TestResumedReads truncates every GET body half-way: whole reads (whose
// first response the SDK checksums) and ranged reads must still deliver
// exactly the object's bytes by resuming where each body broke.
func TestResumedReads(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "cut")
	p := testservers.StartFaultProxy(t, m.Endpoint, 1)
	p.Kind = testservers.FaultTruncate
	data := randomBytes(t, 1<<20+3)
	if err := storage.WriteAll(context.Background(), newStore(t, m, "cut", "", s3.Config{}), "obj", data); err != nil {
		t.Fatal(err)
	}
	st := newStore(t, m, "cut", "", s3.Config{Endpoint: p.URL(), MaxAttempts: 3, MaxBackoff: 10 * time.Millisecond})
	ctx := context.Background()
	got, err := storage.ReadAll(ctx, st, "obj")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("whole read: %d bytes, err %v", len(got), err)
	}
	r, err := st.OpenRange(ctx, "obj", 1000, 500_000)
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data[1000:501_000]) {
		t.Fatalf("ranged read: %d bytes, err %v", len(got), err)
	}
	if n := p.Truncations.Load(); n < 10 {
		t.Fatalf("only %d truncated bodies", n)
	}
	t.Logf("%d truncated bodies resumed", p.Truncations.Load())
}
