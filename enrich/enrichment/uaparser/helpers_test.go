package uaparser

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// sharedDir returns ../shared, skipping the test when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(repoRoot(t), "..", "shared")
	if _, err := os.Stat(filepath.Join(d, "reference")); err != nil {
		t.Skipf("reference data not available (%s): %v", d, err)
	}
	return d
}

func referenceParser(t testing.TB) *Parser {
	t.Helper()
	p, err := LoadFile(filepath.Join(sharedDir(t), "reference", "uap-regexes-java-1.3.0.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type fixture struct {
	ExpectedGood [][]*string `json:"expected_good"`
	Enrichments  struct {
		Data []struct {
			Data struct {
				Name    string `json:"name"`
				Enabled bool   `json:"enabled"`
			} `json:"data"`
		} `json:"data"`
	} `json:"enrichments"`
}

func loadFixtures(t testing.TB) map[string]*fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(sharedDir(t), "conformance", "enrich", "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no conformance fixtures: %v", err)
	}
	out := map[string]*fixture{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx fixture
		if err := json.Unmarshal(data, &fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = &fx
	}
	return out
}
