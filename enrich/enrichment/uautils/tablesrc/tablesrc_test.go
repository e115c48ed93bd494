package tablesrc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if s := Resolve("cfg.json", "X_TABLE", "d.json", getenv); s != (Source{"cfg.json", "config"}) {
		t.Errorf("config: %+v", s)
	}
	env["X_TABLE"] = "s3://b/t.json"
	if s := Resolve("", "X_TABLE", "d.json", getenv); s != (Source{"s3://b/t.json", "env X_TABLE"}) {
		t.Errorf("env: %+v", s)
	}
	delete(env, "X_TABLE")
	if s := Resolve("", "X_TABLE", "", getenv); s != (Source{"", "default"}) {
		t.Errorf("built-in default: %+v", s)
	}
	// A default found in a parent directory.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "testdata", "t.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "a", "b"))
	s := Resolve("", "X_TABLE", filepath.Join("testdata", "t.json"), getenv)
	if data, err := Read(context.Background(), s.URI, nil); err != nil || string(data) != "{}" {
		t.Errorf("default from a parent: %+v: %v", s, err)
	}
	if s := Resolve("", "X_TABLE", "testdata/none.json", getenv); s.URI != "testdata/none.json" {
		t.Errorf("missing default kept as is: %+v", s)
	}
}

func TestRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.txt")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{p, "file://" + p} {
		if data, err := Read(context.Background(), uri, nil); err != nil || string(data) != "x" {
			t.Errorf("%s: %q %v", uri, data, err)
		}
	}
	fetch := func(_ context.Context, uri string) ([]byte, error) {
		if strings.HasSuffix(uri, "missing") {
			return nil, errors.New("no such key")
		}
		return []byte(uri), nil
	}
	if data, err := Read(context.Background(), "s3://b/k", fetch); err != nil || string(data) != "s3://b/k" {
		t.Errorf("fetch: %q %v", data, err)
	}
	if _, err := Read(context.Background(), "s3://b/missing", fetch); err == nil || !strings.Contains(err.Error(), "reading s3://b/missing: no such key") {
		t.Errorf("fetch error: %v", err)
	}
	if _, err := Read(context.Background(), "s3://b/k", nil); err == nil || !strings.Contains(err.Error(), `no fetcher for URI scheme "s3"`) {
		t.Errorf("nil fetch: %v", err)
	}
	if _, err := Read(context.Background(), filepath.Join(t.TempDir(), "none"), nil); err == nil {
		t.Error("missing file: no error")
	}
}
