package uaparser

import (
	"path/filepath"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
)

func referenceParser(t testing.TB) *Parser {
	t.Helper()
	p, err := LoadFile(testservers.SharedPath(t, "reference", "uap-regexes-java-1.3.0.yaml"))
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
	return testservers.ReadJSONFiles[fixture](t, filepath.Join(testservers.SharedPath(t, "conformance", "enrich"), "*.json"))
}
