package shred_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shred"
)

func TestWideRowColumnNames(t *testing.T) {
	for _, c := range []struct {
		kind  shred.EntityKind
		model event.ModelKey
		want  string
	}{
		{shred.UnstructEvent, event.ModelKey{Vendor: "com.snowplowanalytics.snowplow", Name: "link_click", Format: "jsonschema", Model: 1}, "unstruct_event_com_snowplowanalytics_snowplow_link_click_1"},
		{shred.Context, event.ModelKey{Vendor: "org.schema", Name: "WebPage", Format: "jsonschema", Model: 1}, "contexts_org_schema_web_page_1"},
		{shred.DerivedContext, event.ModelKey{Vendor: "com.my-company", Name: "HTMLParser", Format: "jsonschema", Model: 13}, "contexts_com_my_company_html_parser_13"},
	} {
		if got := shred.WideRowColumn(c.kind, c.model); got != c.want {
			t.Errorf("WideRowColumn(%v, %v) = %q, want %q", c.kind, c.model, got, c.want)
		}
	}
}

// TestWideRowRoundTrip writes the wide-row table and reads it back with
// xitongsys/parquet-go: atomic columns, the unstruct event struct, the
// list<struct> context columns with _schema_version, the duplicate context.
func TestWideRowRoundTrip(t *testing.T) {
	reg := testRegistry(t)
	sh := newShredder(t, reg, true)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	st, _ := newStore(t)
	const n = 40
	in := genInputs(n)
	in[3].originalID = genID(3)
	in[3].line = strings.Replace(in[3].line, genID(3), genID(1003), 1)
	res := run(t, sh, shred.WriterConfig{
		Format: shred.FormatWideRow, Store: st, Prefix: "run", BatchRows: 7, RowGroupBytes: 4 << 10, FileBytes: 16 << 10,
		Allocator: mem, Shredder: sh,
	}, in)
	if len(res.bad) > 0 {
		t.Fatalf("bad rows: %+v", res.bad)
	}
	keys, _ := parquetFiles(t, st, "run/"+shred.WideRowDir+"/")
	if len(keys) < 2 {
		t.Errorf("expected several part files, got %v", keys)
	}
	tab := readDataset(t, st, "run/"+shred.WideRowDir+"/")
	evs := make([]*event.Event, n)
	for i := range evs {
		evs[i] = new(event.Event)
		if err := event.ParseTSV(in[i].line, evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	var top []string
	for _, p := range tab.order {
		if name, _, _ := strings.Cut(p, "."); len(top) == 0 || top[len(top)-1] != name {
			top = append(top, name)
		}
	}
	wantTop := []string{"contexts_com_furrow_test_flat_1", "contexts_com_furrow_test_page_ctx_1",
		"contexts_com_snowplowanalytics_snowplow_duplicate_1", "unstruct_event_com_furrow_test_click_1"}
	if len(top) != 128+len(wantTop) || strings.Join(top[128:], ",") != strings.Join(wantTop, ",") {
		t.Fatalf("wide-row columns: %v", top[min(len(top), 128):])
	}
	atomic := &pqTable{rows: tab.rows, columns: tab.columns, order: tab.order[:128]}
	checkAtomicColumns(t, atomic, evs)

	// unstruct event struct
	target := tab.flat(t, "unstruct_event_com_furrow_test_click_1.target_url")
	x := tab.flat(t, "unstruct_event_com_furrow_test_click_1.x")
	y := tab.flat(t, "unstruct_event_com_furrow_test_click_1.y")
	for i, ev := range evs {
		d, _ := entitiesOf(t, ev, "com.furrow.test/click/jsonschema")
		if len(d) == 0 {
			if target[i] != nil || x[i] != nil {
				t.Errorf("row %d: click columns %v %v for an event without one", i, target[i], x[i])
			}
			continue
		}
		wx, _ := d[0]["x"].(json.Number).Int64()
		if target[i] != d[0]["targetUrl"] || x[i] != int32(wx) || y[i] != nil {
			t.Errorf("row %d click: %v %v %v, want %v", i, target[i], x[i], y[i], d[0])
		}
	}
	// contexts: list<struct> with _schema_version, contexts then derived contexts
	ver := tab.listRows(t, "contexts_com_furrow_test_flat_1.list.element._schema_version", 1)
	names := tab.listRows(t, "contexts_com_furrow_test_flat_1.list.element.name", 1)
	counts := tab.listRows(t, "contexts_com_furrow_test_flat_1.list.element.count", 1)
	for i, ev := range evs {
		d, vs := entitiesOf(t, ev, "com.furrow.test/flat/jsonschema")
		if len(names[i]) != len(d) || len(ver[i]) != len(d) || len(counts[i]) != len(d) {
			t.Fatalf("row %d: %d flat contexts, want %d", i, len(names[i]), len(d))
		}
		for j := range d {
			var wc any
			if c, ok := d[j]["count"].(json.Number); ok {
				n, _ := c.Int64()
				wc = int32(n)
			}
			if names[i][j] != d[j]["name"] || ver[i][j] != vs[j] || counts[i][j] != wc {
				t.Errorf("row %d flat[%d]: %v %v %v, want %v %v", i, j, names[i][j], ver[i][j], counts[i][j], d[j], vs[j])
			}
		}
	}
	// nested struct inside a context element
	authors := tab.listRows(t, "contexts_com_furrow_test_page_ctx_1.list.element.meta.author", 1)
	tags := tab.listRows(t, "contexts_com_furrow_test_page_ctx_1.list.element.tags.list.element", 1)
	for i, ev := range evs {
		d, _ := entitiesOf(t, ev, "com.furrow.test/page_ctx/jsonschema")
		var want any
		if m, ok := d[0]["meta"].(map[string]any); ok {
			want = m["author"]
		}
		if len(authors[i]) != 1 || authors[i][0] != want {
			t.Errorf("row %d page_ctx meta.author %v, want %v", i, authors[i], want)
		}
		if len(tags[i]) == 0 && d[0]["tags"] != nil && len(d[0]["tags"].([]any)) > 0 {
			t.Errorf("row %d tags missing", i)
		}
	}
	dup := tab.listRows(t, "contexts_com_snowplowanalytics_snowplow_duplicate_1.list.element.original_event_id", 1)
	for i := range evs {
		if i == 3 {
			if len(dup[i]) != 1 || dup[i][0] != genID(3) {
				t.Errorf("row 3 duplicate context %v", dup[i])
			}
		} else if dup[i] != nil {
			t.Errorf("row %d has a duplicate context %v", i, dup[i])
		}
	}
}

// TestWideRowNewModelStartsNewPart checks that a model first seen after the
// first batch starts a new part file whose schema has the extra column,
// while the earlier part keeps its own.
func TestWideRowNewModelStartsNewPart(t *testing.T) {
	reg := testRegistry(t)
	sh := newShredder(t, reg, true)
	st, _ := newStore(t)
	in := genInputs(20)
	in[15].originalID = genID(15) // the duplicate context appears in the third batch
	in[15].line = strings.Replace(in[15].line, genID(15), genID(1015), 1)
	run(t, sh, shred.WriterConfig{Format: shred.FormatWideRow, Store: st, BatchRows: 7, Shredder: sh}, in)
	keys, files := parquetFiles(t, st, shred.WideRowDir+"/")
	if len(keys) != 2 {
		t.Fatalf("parts %v, want 2", keys)
	}
	a, b := readParquet(t, files[0]), readParquet(t, files[1])
	if a.rows != 14 || b.rows != 6 {
		t.Errorf("rows %d + %d, want 14 + 6", a.rows, b.rows)
	}
	const dupCol = "contexts_com_snowplowanalytics_snowplow_duplicate_1.list.element.original_event_id"
	if _, ok := a.columns[dupCol]; ok {
		t.Errorf("first part has the duplicate column")
	}
	if _, ok := b.columns[dupCol]; !ok {
		t.Errorf("second part lacks the duplicate column: %v", b.order)
	}
}

// TestNonObjectEntities writes entities whose schema is not an object (an
// array of integers) in every format.
func TestNonObjectEntities(t *testing.T) {
	for _, f := range []shred.Format{shred.FormatLegacy, shred.FormatParquet, shred.FormatWideRow} {
		t.Run(string(f), func(t *testing.T) {
			sh := newShredder(t, testRegistry(t), f.Typed())
			st, _ := newStore(t)
			var in []input
			for i := 0; i < 5; i++ {
				ev := genEvent(i)
				ev.Fields[event.Contexts] = sdj("com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
					"["+sdj("com.furrow.test/weird/jsonschema/1-0-0", "[1,2,"+strconv.Itoa(i)+"]")+"]")
				in = append(in, input{line: string(event.AppendTSV(nil, ev))})
			}
			res := run(t, sh, shred.WriterConfig{Format: f, Store: st, Shredder: sh}, in)
			if len(res.bad) > 0 {
				t.Fatalf("bad rows %+v", res.bad)
			}
			switch f {
			case shred.FormatParquet:
				tab := readDataset(t, st, shred.ParquetModelDir(event.ModelKey{Vendor: "com.furrow.test", Name: "weird", Format: "jsonschema", Model: 1})+"/")
				rows := tab.listRows(t, "data.list.element", 1)
				if len(rows) != 5 || len(rows[4]) != 3 || rows[4][2] != int64(4) {
					t.Errorf("weird rows %v", rows)
				}
			case shred.FormatWideRow:
				tab := readDataset(t, st, shred.WideRowDir+"/")
				c := tab.col(t, "contexts_com_furrow_test_weird_1.list.element.list.element")
				if len(c.values) != 15 || c.values[14] != int64(4) {
					t.Errorf("weird values %v", c.values)
				}
			default:
				lines := readLines(t, st, shred.LegacyTypeDir(mustKey(t, "iglu:com.furrow.test/weird/jsonschema/1-0-0"))+"/")
				if len(lines) != 5 || !strings.Contains(lines[4], `"data":[1,2,4]`) {
					t.Errorf("weird lines %v", lines)
				}
			}
		})
	}
}
