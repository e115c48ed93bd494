package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/s3"
	"github.com/furrowdata/furrow/storage/storetest"
)

// faultProxy is a loopback HTTP proxy in front of MinIO that breaks every
// Every-th request, rotating through three faults: a 503 SlowDown answer, a
// TCP reset before the request reaches MinIO, and (for object GETs) a body
// cut off half-way by a reset. Requests are forwarded with their Host
// header, so SigV4 signatures stay valid.
type faultProxy struct {
	every                          int64
	kind                           int64 // -1 rotates through the faults; 0, 1, 2 picks one
	n                              atomic.Int64
	slowDowns, resets, truncations atomic.Int64
	rp                             *httputil.ReverseProxy
	srv                            *httptest.Server
}

func startFaultProxy(t *testing.T, target string, every int64) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{every: every, kind: -1}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // signed by the client
		},
	}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) URL() string { return p.srv.URL }

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := p.n.Add(1)
	if p.every <= 0 || i%p.every != 0 {
		p.rp.ServeHTTP(w, r)
		return
	}
	kind := (i / p.every) % 3
	if p.kind >= 0 {
		kind = p.kind
	}
	switch kind {
	case 0:
		p.slowDowns.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	case 1:
		p.resets.Add(1)
		reset(w)
	default:
		if r.Method != http.MethodGet || r.URL.Query().Has("list-type") || r.URL.Query().Has("uploads") {
			p.slowDowns.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		tw := &truncatingWriter{ResponseWriter: w, count: &p.truncations}
		p.rp.ServeHTTP(tw, r)
	}
}

// reset closes the client's connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// truncatingWriter passes the response headers and half of the body (by
// Content-Length), then resets the connection. Bodies under 2 bytes pass.
type truncatingWriter struct {
	http.ResponseWriter
	count          *atomic.Int64
	limit, written int64
	dead           bool
}

func (t *truncatingWriter) WriteHeader(code int) {
	n, _ := strconv.ParseInt(t.Header().Get("Content-Length"), 10, 64)
	t.limit = n
	if n >= 2 {
		t.limit = n / 2
		t.count.Add(1)
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *truncatingWriter) Write(b []byte) (int, error) {
	if t.dead {
		return 0, io.ErrClosedPipe
	}
	if t.written+int64(len(b)) > t.limit {
		b = b[:t.limit-t.written]
		n, _ := t.ResponseWriter.Write(b)
		t.written += int64(n)
		t.ResponseWriter.(http.Flusher).Flush()
		t.dead = true
		reset(t.ResponseWriter)
		return n, io.ErrClosedPipe
	}
	n, err := t.ResponseWriter.Write(b)
	t.written += int64(n)
	return n, err
}

func (t *truncatingWriter) Flush() {
	if !t.dead {
		t.ResponseWriter.(http.Flusher).Flush()
	}
}

// TestFaultInjection runs the store contract, a multipart write and ranged
// reads through a proxy that breaks every fourth request: retries and
// resumed reads must hide every fault, and what MinIO holds must be
// byte-identical to what was written.
func TestFaultInjection(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "faulty")
	p := startFaultProxy(t, m.Endpoint, 4)
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
		p.n.Load(), p.slowDowns.Load(), p.resets.Load(), p.truncations.Load(), s)
	if p.slowDowns.Load() == 0 || p.resets.Load() == 0 || p.truncations.Load() == 0 {
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
	p := startFaultProxy(t, m.Endpoint, 1)
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
	p := startFaultProxy(t, m.Endpoint, 1)
	p.kind = 2
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
	if n := p.truncations.Load(); n < 10 {
		t.Fatalf("only %d truncated bodies", n)
	}
	t.Logf("%d truncated bodies resumed", p.truncations.Load())
}
