package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// EnrichFixture is one enrich spec (see ../shared/conformance/README.md).
type EnrichFixture struct {
	Name              string                   `json:"name"`
	Collector         string                   `json:"collector"`
	InputLines        []string                 `json:"input_lines"`
	InputFile         string                   `json:"input_file"`
	InputThrift       []ThriftRecord           `json:"input_thrift"`
	Enrichments       json.RawMessage          `json:"enrichments"`
	ExpectedGood      [][]*string              `json:"expected_good"`
	ExpectedGoodCount *int                     `json:"expected_good_count"`
	ExpectedBadCount  *int                     `json:"expected_bad_count"`
	ExpectedBad       []BadRow                 `json:"expected_bad"`
	ExpectedBadMatch  string                   `json:"expected_bad_match"`
	CountsAsserted    struct{ Good, Bad bool } `json:"counts_asserted"`
	FieldCompare      string                   `json:"field_compare"`
	Forbidden         map[string]string        `json:"forbidden_patterns"`
	Unmatchable       []string                 `json:"unmatchable_fields"`
	Needs             []string                 `json:"needs"`
	External          json.RawMessage          `json:"external_services"`
}

// ThriftRecord is one record the peer harness built in code.
type ThriftRecord struct {
	Struct        string `json:"struct"`
	TBinaryBase64 string `json:"tbinary_base64"`
}

// BadRow is an expected bad row.
type BadRow struct {
	Line   string `json:"line"`
	Errors []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	} `json:"errors"`
}

// ShredFixture is one shred spec.
type ShredFixture struct {
	Name                 string              `json:"name"`
	InputLines           []string            `json:"input_lines"`
	CrossBatch           bool                `json:"cross_batch_dedupe"`
	ExpectedAtomic       [][]*string         `json:"expected_atomic"`
	ExpectedAtomicCount  *int                `json:"expected_atomic_count"`
	ExpectedAtomicOrder  string              `json:"expected_atomic_order"`
	ExpectedShredded     map[string][]string `json:"expected_shredded"`
	ShreddedExhaustive   bool                `json:"expected_shredded_exhaustive"`
	ExpectedBadCount     *int                `json:"expected_bad_count"`
	ExpectedBad          []BadRow            `json:"expected_bad"`
	Unmatchable          []string            `json:"unmatchable_fields"`
	UnmatchableJSONPaths map[string][]string `json:"unmatchable_json_paths"`
	Dedupe               json.RawMessage     `json:"dedupe"`
	Needs                []string            `json:"needs"`
}

// Harness holds the facts of the peer harnesses (harness.json).
type Harness struct {
	Enrich struct {
		Fields      []string        `json:"enriched_event_fields"`
		ETLTstampMs int64           `json:"etl_tstamp_ms"`
		Resolver    json.RawMessage `json:"iglu_resolver"`
	} `json:"enrich"`
	Shred struct {
		Resolver     json.RawMessage `json:"iglu_resolver"`
		DynamoTable  string          `json:"dynamodb_table"`
		DynamoRegion string          `json:"dynamodb_region"`
	} `json:"shred"`
}

// Suite is the loaded fixture set.
type Suite struct {
	Dir     string
	Harness Harness
	Enrich  []*EnrichFixture
	Shred   []*ShredFixture
}

// Load reads every fixture below dir (../shared/conformance).
func Load(dir string) (*Suite, error) {
	s := &Suite{Dir: dir}
	if err := readJSON(filepath.Join(dir, "harness.json"), &s.Harness); err != nil {
		return nil, err
	}
	for _, kind := range []string{"enrich", "shred"} {
		files, err := filepath.Glob(filepath.Join(dir, kind, "*.json"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			if kind == "enrich" {
				var fx EnrichFixture
				if err := readJSON(f, &fx); err != nil {
					return nil, err
				}
				s.Enrich = append(s.Enrich, &fx)
			} else {
				var fx ShredFixture
				if err := readJSON(f, &fx); err != nil {
					return nil, err
				}
				s.Shred = append(s.Shred, &fx)
			}
		}
	}
	if len(s.Enrich) == 0 {
		return nil, fmt.Errorf("no enrich fixtures in %s", dir)
	}
	return s, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading fixture: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

func has(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func oneLine(s string, max int) string {
	s = strings.NewReplacer("\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
