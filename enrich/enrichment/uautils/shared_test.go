package uautils

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
)

// referenceTable loads ../shared/reference/user-agent-utils-1.21.json.
func referenceTable(t testing.TB) *Table {
	t.Helper()
	tab, err := LoadFile(testservers.SharedPath(t, "reference", "user-agent-utils-1.21.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// fixture is the part of a conformance fixture these tests read.
type fixture struct {
	Name         string      `json:"name"`
	ExpectedGood [][]*string `json:"expected_good"`
	Enrichments  struct {
		Data []struct{ Data json.RawMessage }
	} `json:"enrichments"`
}

func loadFixtures(t testing.TB) map[string]*fixture {
	t.Helper()
	return testservers.ReadJSONFiles[fixture](t, filepath.Join(testservers.SharedPath(t, "conformance", "enrich"), "*.json"))
}
