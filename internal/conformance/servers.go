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
	// ExtraIgluURL serves furrow's own copies of schemas some fixtures need
	// that the Iglu Central mirror lacks ("" = none).
	ExtraIgluURL string
	// APIURL replaces the peer's API mock at http://localhost:8000 ("" = none).
	APIURL string
	// PGHost and PGPort replace the peer's PostgreSQL at localhost:5432.
	PGHost string
	PGPort int
	// OERKey stands for {{oer_api_key}}.
	OERKey  string
	closers []func()
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

// ServeExtraIglu serves a static registry folder as ExtraIgluURL.
func (s *Servers) ServeExtraIglu(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "schemas")); err != nil {
		return fmt.Errorf("extra registry: %w", err)
	}
	var err error
	s.ExtraIgluURL, err = s.serve(http.FileServer(http.Dir(dir)))
	return err
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
	if s.ExtraIgluURL != "" {
		if data, ok := cfg["data"].(map[string]any); ok {
			repos, _ := data["repositories"].([]any)
			data["repositories"] = append(repos, map[string]any{
				"name": "furrow conformance extras", "priority": 10, "vendorPrefixes": []any{},
				"connection": map[string]any{"http": map[string]any{"uri": s.ExtraIgluURL}},
			})
		}
	}
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
		switch {
		case strings.Contains(uri, "snowplow-hosted-assets"):
			return s.AssetURL, true
		case s.APIURL != "" && strings.HasPrefix(uri, "http://localhost:8000"):
			return strings.TrimSuffix(s.APIURL, "/") + strings.TrimPrefix(uri, "http://localhost:8000"), true
		}
		return "", false
	})
	rewritePostgres(v, s.PGHost, s.PGPort)
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if s.OERKey != "" {
		b = []byte(strings.ReplaceAll(string(b), "{{oer_api_key}}", s.OERKey))
	}
	return b, nil
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

// rewritePostgres points every "postgresql" connection object at host:port.
func rewritePostgres(v any, host string, port int) {
	if host == "" {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if m, ok := val.(map[string]any); ok && k == "postgresql" {
				m["host"], m["port"] = host, port
				continue
			}
			rewritePostgres(val, host, port)
		}
	case []any:
		for _, e := range x {
			rewritePostgres(e, host, port)
		}
	}
}
