package conformance

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Servers are the loopback HTTP servers the fixtures need: an Iglu static
// registry over ../shared/iglu-central and an asset server over the
// fixtures' data files.
type Servers struct {
	IgluURL  string
	AssetURL string
	closers  []func()
}

// StartServers starts the registry and asset servers.
func StartServers(shared string) (*Servers, error) {
	s := &Servers{}
	iglu := filepath.Join(shared, "iglu-central")
	if _, err := os.Stat(filepath.Join(iglu, "schemas")); err != nil {
		return nil, fmt.Errorf("iglu central registry: %w", err)
	}
	var err error
	if s.IgluURL, err = s.serve(http.FileServer(http.Dir(iglu))); err != nil {
		return nil, err
	}
	if s.AssetURL, err = s.serve(http.FileServer(http.Dir(filepath.Join(shared, "conformance", "data")))); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Servers) serve(h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	s.closers = append(s.closers, func() { srv.Close() })
	return "http://" + l.Addr().String(), nil
}

// Close stops every server.
func (s *Servers) Close() {
	for _, c := range s.closers {
		c()
	}
}

// ResolverConfig returns the harness' resolver config with its Iglu Central
// URI pointed at the loopback registry.
func (s *Servers) ResolverConfig(harnessResolver json.RawMessage) ([]byte, error) {
	var cfg map[string]any
	if err := json.Unmarshal(harnessResolver, &cfg); err != nil {
		return nil, fmt.Errorf("harness resolver config: %w", err)
	}
	rewriteURIs(cfg, func(uri string) (string, bool) {
		if strings.Contains(uri, "iglucentral.com") {
			return s.IgluURL, true
		}
		return "", false
	})
	return json.Marshal(cfg)
}

// Enrichments returns a fixture's enrichments document with every hosted
// asset URI pointed at the loopback asset server.
func (s *Servers) Enrichments(doc json.RawMessage) ([]byte, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("enrichments document: %w", err)
	}
	rewriteURIs(v, func(uri string) (string, bool) {
		if strings.Contains(uri, "snowplow-hosted-assets") {
			return s.AssetURL, true
		}
		return "", false
	})
	return json.Marshal(v)
}

// rewriteURIs replaces every string value under a "uri" key for which f
// returns true.
func rewriteURIs(v any, f func(string) (string, bool)) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "uri" {
				if n, ok := f(s); ok {
					x[k] = n
				}
				continue
			}
			rewriteURIs(val, f)
		}
	case []any:
		for _, e := range x {
			rewriteURIs(e, f)
		}
	}
}
