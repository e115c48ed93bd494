package testservers

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
)

// FaultProxy is a loopback HTTP proxy in front of an S3 server (MinIO) that breaks every
// Every-th request, rotating through three faults: a 503 SlowDown answer, a
// TCP reset before the request reaches MinIO, and (for object GETs) a body
// cut off half-way by a reset. Requests are forwarded with their Host
// header, so SigV4 signatures stay valid.
type FaultProxy struct {
	every int64
	// Kind picks one fault (FaultSlowDown, FaultReset, FaultTruncate);
	// -1 (the default) rotates through them. Set it before use.
	Kind int64
	// Requests counts every request; SlowDowns, Resets and Truncations
	// count the faults injected.
	Requests, SlowDowns, Resets, Truncations atomic.Int64
	rp                                       *httputil.ReverseProxy
	srv                                      *httptest.Server
}

// Faults a FaultProxy injects.
const (
	FaultSlowDown int64 = iota // 503 SlowDown
	FaultReset                 // TCP reset before the request reaches the server
	FaultTruncate              // a GET body cut off half-way by a reset
)

// StartFaultProxy starts a FaultProxy on 127.0.0.1 in front of target (an
// S3 endpoint URL) that breaks every every-th request (0 = none) and stops
// it in t.Cleanup.
func StartFaultProxy(t testing.TB, target string, every int64) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{every: every, Kind: -1}
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

// URL is the proxy's endpoint URL.
func (p *FaultProxy) URL() string { return p.srv.URL }

// ServeHTTP forwards r or injects a fault.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := p.Requests.Add(1)
	if p.every <= 0 || i%p.every != 0 {
		p.rp.ServeHTTP(w, r)
		return
	}
	kind := (i / p.every) % 3
	if p.Kind >= 0 {
		kind = p.Kind
	}
	switch kind {
	case 0:
		p.SlowDowns.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	case 1:
		p.Resets.Add(1)
		reset(w)
	default:
		if r.Method != http.MethodGet || r.URL.Query().Has("list-type") || r.URL.Query().Has("uploads") {
			p.SlowDowns.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		tw := &truncatingWriter{ResponseWriter: w, count: &p.Truncations}
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
