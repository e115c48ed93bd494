package referer

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
)

func referenceDB(t testing.TB) *Database {
	t.Helper()
	db, err := LoadFile(testservers.SharedPath(t, "reference", "referers-0.3.0.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func sampleDB(t testing.TB) *Database {
	t.Helper()
	db, err := LoadFile(filepath.Join(testservers.RepoRoot(t), DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

type fixture struct {
	ExpectedGood [][]*string `json:"expected_good"`
	Enrichments  struct {
		Data []struct {
			Data struct {
				Name       string          `json:"name"`
				Enabled    bool            `json:"enabled"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"data"`
		} `json:"data"`
	} `json:"enrichments"`
}

func loadFixtures(t testing.TB) map[string]*fixture {
	t.Helper()
	return testservers.ReadJSONFiles[fixture](t, filepath.Join(testservers.SharedPath(t, "conformance", "enrich"), "*.json"))
}
