package dedupe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// shredFixture is the part of a ../shared/conformance/shred fixture that
// dedupe can check.
type shredFixture struct {
	InputLines       []string            `json:"input_lines"`
	ExpectedAtomic   [][]*string         `json:"expected_atomic"`
	ExpectedShredded map[string][]string `json:"expected_shredded"`
	Unmatchable      []string            `json:"unmatchable_fields"`
	Dedupe           struct {
		InputEvents         int      `json:"input_events"`
		EventsKept          int      `json:"events_kept"`
		DuplicatedInputIDs  []string `json:"duplicated_input_event_ids"`
		KeptHaveDistinctIDs bool     `json:"kept_events_have_distinct_event_ids"`
	} `json:"dedupe"`
}

func loadShredFixture(t *testing.T, name string) shredFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testservers.SharedDir(t), "conformance", "shred", name))
	if err != nil {
		t.Fatal(err)
	}
	var f shredFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// atomicFields drops the three JSON columns, as RDB Shredder's atomic-events.
func atomicFields(line string) []string {
	var e event.Event
	if err := event.ParseTSV(line, &e); err != nil {
		panic(err)
	}
	var out []string
	for i, v := range e.Fields {
		switch event.Field(i) {
		case event.Contexts, event.UnstructEvent, event.DerivedContexts:
			continue
		}
		out = append(out, v)
	}
	return out
}

// TestEventDeduplicationSpecFixture runs RDB Shredder's
// EventDeduplicationSpec input through the Deduper.
func TestEventDeduplicationSpecFixture(t *testing.T) {
	f := loadShredFixture(t, "EventDeduplicationSpec.json")
	var lines [][]byte
	for _, l := range f.InputLines {
		lines = append(lines, []byte(l))
	}
	got, st := run(t, Config{}, lines)
	if int(st.Lines) != f.Dedupe.InputEvents || len(got) != f.Dedupe.EventsKept || len(got) != len(f.ExpectedAtomic) {
		t.Fatalf("%d in, %d kept; fixture: %d in, %d kept", st.Lines, len(got), f.Dedupe.InputEvents, f.Dedupe.EventsKept)
	}
	orig := f.Dedupe.DuplicatedInputIDs[0]
	ids := map[string]bool{}
	var gotRows, wantRows []string
	for _, o := range got {
		id := field(o.line, event.EventID)
		if id == orig || ids[id] {
			t.Fatalf("kept event id %s: must be new and distinct", id)
		}
		ids[id] = true
		if o.dup == nil || o.dup.OriginalEventID != orig || o.dup.NewEventID != id {
			t.Fatalf("Synthetic %+v for %s", o.dup, id)
		}
		row := atomicFields(o.line)
		row[event.EventID] = "<erased>"
		gotRows = append(gotRows, strings.Join(row, "\t"))

		// The duplicate entity the shredder adds, through the helper.
		with, err := AppendWithDuplicateContext(nil, []byte(o.line), o.dup.OriginalEventID)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Data []struct {
				Schema string          `json:"schema"`
				Data   json.RawMessage `json:"data"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(field(string(with), event.DerivedContexts)), &env); err != nil {
			t.Fatal(err)
		}
		var want struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(f.ExpectedShredded["com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0"][0]), &want); err != nil {
			t.Fatal(err)
		}
		if env.Data[0].Schema != DuplicateSchema || string(env.Data[0].Data) != string(want.Data) {
			t.Fatalf("first derived context %s %s, want %s %s", env.Data[0].Schema, env.Data[0].Data, DuplicateSchema, want.Data)
		}
	}
	for _, r := range f.ExpectedAtomic {
		var row []string
		for i, v := range r {
			if v == nil {
				if i != int(event.EventID) {
					t.Fatalf("unexpected unmatchable field %d", i)
				}
				row = append(row, "<erased>")
				continue
			}
			row = append(row, *v)
		}
		wantRows = append(wantRows, strings.Join(row, "\t"))
	}
	slices.Sort(gotRows)
	slices.Sort(wantRows)
	if !slices.Equal(gotRows, wantRows) {
		t.Fatalf("atomic rows\n%q\nwant\n%q", gotRows, wantRows)
	}
}
