package testservers

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// APIMock re-creates the HTTP server the peer's API request enrichment test
// ran against (integration-tests/api-lookup-test.py at the R108 tag, a
// Python 2 BaseHTTPServer): every GET whose path starts with /guest gets
// 200 and the JSON object
//
//	{"path": "<request path and query as sent>", "message": "unauthorized", "method": "GET"}
//
// printed by Python 2's json.dumps (keys in that dict order, ", " and ": "
// separators, non-ASCII as \uXXXX). Other GET paths get 404, other methods
// 501, as BaseHTTPServer answered them.
//
// The peer's config called http://localhost:8000/guest/users/…; point it at
// URL instead (replace "http://localhost:8000" in the enrichment's
// api.http.uri).
type APIMock struct {
	// URL is "http://127.0.0.1:port", no trailing slash.
	URL   string
	srv   *http.Server
	mu    sync.Mutex
	paths []string
}

// NewAPIMock starts the mock on 127.0.0.1 with a free port; the caller must
// Close it. It is the entry point for non-test callers (the conformance
// harness); tests use StartAPIMock.
func NewAPIMock() (*APIMock, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	m := &APIMock{URL: "http://" + l.Addr().String()}
	m.srv = &http.Server{Handler: http.HandlerFunc(m.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = m.srv.Serve(l) }()
	return m, nil
}

// StartAPIMock starts the mock for a test and stops it in t.Cleanup.
func StartAPIMock(t testing.TB) *APIMock {
	t.Helper()
	m, err := NewAPIMock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// Close stops the mock.
func (m *APIMock) Close() { _ = m.srv.Close() }

// Paths returns the request paths (with query) the mock received, in order.
func (m *APIMock) Paths() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.paths...)
}

func (m *APIMock) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.RequestURI()
	m.mu.Lock()
	m.paths = append(m.paths, path)
	m.mu.Unlock()
	if r.Method != http.MethodGet {
		http.Error(w, fmt.Sprintf("Unsupported method (%q)", r.Method), http.StatusNotImplemented)
		return
	}
	if !strings.HasPrefix(path, "/guest") {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"path": ` + pythonJSONString(path) + `, "message": "unauthorized", "method": "GET"}`))
}

// pythonJSONString is Python 2's json.dumps of a string (ensure_ascii).
func pythonJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e:
			if r >= 0x10000 {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
