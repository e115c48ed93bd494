package dynamo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/dedupe"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// TestCrossBatchDeduplicationSpecFixture replays RDB Shredder's
// CrossBatchDeduplicationSpec (../shared/conformance/shred) against
// dynalite: the DynamoDB items it stores before the run, the input lines,
// the expected atomic rows and output order, and the event ids stored after.
func TestCrossBatchDeduplicationSpecFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testservers.SharedDir(t), "conformance", "shred", "CrossBatchDeduplicationSpec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		InputLines     []string    `json:"input_lines"`
		ExpectedAtomic [][]*string `json:"expected_atomic"`
		Dedupe         struct {
			InputEvents int      `json:"input_events"`
			EventsKept  int      `json:"events_kept"`
			OutputOrder []string `json:"expected_event_ids_in_output_order"`
			DynamoDB    struct {
				Table       string `json:"table"`
				Region      string `json:"region"`
				ItemsBefore []struct {
					EventID     string `json:"eventId"`
					Fingerprint string `json:"eventFingerprint"`
					ETLTstamp   string `json:"etlTstamp"`
				} `json:"items_before"`
				IDsAfter []string `json:"event_ids_after_sorted"`
			} `json:"dynamodb"`
		} `json:"dedupe"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	// The spec's wall-clock timestamps: previous = current - 7.2 s.
	now := time.Now().UTC().Truncate(time.Millisecond)
	cur, prev := event.FormatTimestamp(now), event.FormatTimestamp(now.Add(-7200*time.Millisecond))
	subst := strings.NewReplacer("{{current_etl_tstamp}}", cur, "{{previous_etl_tstamp}}", prev)

	db := f.Dedupe.DynamoDB
	cfg := testConfig(db.Table)
	cfg.Region = db.Region
	m, err := Open(t.Context(), cfg, Options{Endpoint: testservers.Dynalite(t), CreateTable: true})
	if err != nil {
		t.Fatal(err)
	}
	var before []dedupe.Item
	for _, it := range db.ItemsBefore {
		before = append(before, dedupe.Item{EventID: it.EventID, Fingerprint: it.Fingerprint, ETLTime: ts(subst.Replace(it.ETLTstamp))})
	}
	check(t, m, before...)

	var lines [][]byte
	for _, l := range f.InputLines {
		lines = append(lines, []byte(subst.Replace(l)))
	}
	out, st := runDedupe(t, m, now, lines)
	if int(st.Lines) != f.Dedupe.InputEvents || len(out) != f.Dedupe.EventsKept {
		t.Fatalf("%d in, %d kept; fixture: %d in, %d kept", st.Lines, len(out), f.Dedupe.InputEvents, f.Dedupe.EventsKept)
	}
	var ids []string
	for i, l := range out {
		var e event.Event
		if err := event.ParseTSV(l, &e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.Fields[event.EventID])
		// Atomic row: the event without contexts, unstruct_event, derived_contexts.
		var row []string
		for j, v := range e.Fields {
			if j != int(event.Contexts) && j != int(event.UnstructEvent) && j != int(event.DerivedContexts) {
				row = append(row, v)
			}
		}
		want := f.ExpectedAtomic[i]
		if len(want) != len(row) {
			t.Fatalf("row %d has %d fields, fixture %d", i, len(row), len(want))
		}
		for j, w := range want {
			if w != nil && subst.Replace(*w) != row[j] {
				t.Fatalf("row %d field %d = %q, want %q", i, j, row[j], subst.Replace(*w))
			}
		}
	}
	if !slices.Equal(ids, f.Dedupe.OutputOrder) {
		t.Fatalf("output ids %v, want %v", ids, f.Dedupe.OutputOrder)
	}
	if got := scanEventIDs(t, m); !slices.Equal(got, db.IDsAfter) {
		t.Fatalf("stored event ids %v, want %v", got, db.IDsAfter)
	}
}
