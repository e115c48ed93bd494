package shred_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/xitongsys/parquet-go/reader"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shred"
)

// decode parses JSON with numbers kept exact.
func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return v
}

// entitiesOf returns the data of every entity of ev with the given schema
// model, in shredding order (unstruct, contexts, derived contexts).
func entitiesOf(t testing.TB, ev *event.Event, model string) (data []map[string]any, versions []string) {
	t.Helper()
	var items []any
	if ev.Fields[event.UnstructEvent] != "" {
		items = append(items, decode(t, ev.Fields[event.UnstructEvent]).(map[string]any)["data"])
	}
	for _, f := range []event.Field{event.Contexts, event.DerivedContexts} {
		if ev.Fields[f] != "" {
			items = append(items, decode(t, ev.Fields[f]).(map[string]any)["data"].([]any)...)
		}
	}
	for _, it := range items {
		m := it.(map[string]any)
		key := strings.TrimPrefix(m["schema"].(string), "iglu:")
		if strings.HasPrefix(key, model+"/") {
			data = append(data, m["data"].(map[string]any))
			versions = append(versions, key[strings.LastIndexByte(key, '/')+1:])
		}
	}
	return data, versions
}

// unscaled returns the decimal literal s rounded half away from zero to
// scale digits, unscaled (an independent big.Rat computation).
func unscaled(t testing.TB, s string, scale int) int64 {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad decimal %s", s)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	neg := r.Sign() < 0
	r.Abs(r)
	r.Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

func millis(t testing.TB, rfc string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, rfc)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixMilli()
}

// wantAtomic returns the value a typed atomic column must hold for v.
func wantAtomic(t testing.TB, f event.Field, v string) any {
	t.Helper()
	if v == "" {
		return nil
	}
	switch f.Kind() {
	case event.KindInt:
		n, _ := strconv.ParseInt(v, 10, 32)
		return int32(n)
	case event.KindDouble:
		x, _ := strconv.ParseFloat(v, 64)
		return x
	case event.KindDecimal:
		if f == event.SeValue {
			x, _ := strconv.ParseFloat(v, 64)
			return x
		}
		return unscaled(t, v, 2)
	case event.KindBool:
		return v == "1"
	case event.KindTimestamp:
		tm, err := event.ParseTimestamp(v)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	return v
}

func checkAtomicColumns(t *testing.T, tab *pqTable, evs []*event.Event) {
	t.Helper()
	if tab.rows != int64(len(evs)) {
		t.Fatalf("%d atomic rows, want %d", tab.rows, len(evs))
	}
	if len(tab.order) != 128 {
		t.Errorf("%d atomic columns, want 128", len(tab.order))
	}
	for _, f := range shred.AtomicFields {
		got := tab.flat(t, f.Name())
		for i, ev := range evs {
			if want := wantAtomic(t, f, ev.Fields[f]); !equalValue(got[i], want) {
				t.Errorf("row %d %s: got %#v, want %#v", i, f.Name(), got[i], want)
			}
		}
	}
}

func equalValue(got, want any) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	switch w := want.(type) {
	case int:
		switch g := got.(type) {
		case int32:
			return int64(g) == int64(w)
		case int64:
			return g == int64(w)
		}
		return false
	}
	return got == want
}

// TestParquetRoundTrip writes events with every kind of atomic field and
// entity (three versions of one model, nulls, lists, nested objects, JSON
// columns, a synthetic duplicate) in small batches, row groups and files,
// reads every file back with xitongsys/parquet-go and compares each value
// with the input. The checked allocator must end at zero bytes.
func TestParquetRoundTrip(t *testing.T) {
	reg := testRegistry(t)
	sh := newShredder(t, reg, true)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	st, _ := newStore(t)
	const n = 60
	in := genInputs(n)
	in[7].originalID = genID(7)
	in[7].line = strings.Replace(in[7].line, genID(7), genID(1007), 1)
	res := run(t, sh, shred.WriterConfig{
		Format: shred.FormatParquet, Store: st, Prefix: "run", Partition: 3,
		BatchRows: 7, RowGroupBytes: 4 << 10, FileBytes: 6 << 10, Allocator: mem, Shredder: sh,
	}, in)
	if len(res.bad) > 0 {
		t.Fatalf("bad rows: %+v", res.bad)
	}
	evs := make([]*event.Event, n)
	for i := range evs {
		evs[i] = new(event.Event)
		if err := event.ParseTSV(in[i].line, evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	keys := listKeys(t, st)
	atomicFiles := 0
	for _, k := range keys {
		if strings.HasPrefix(k, "run/atomic/part-00003-") {
			atomicFiles++
		}
	}
	if atomicFiles < 2 {
		t.Errorf("FileBytes 6 KiB should have cut the atomic dataset into several files; got %v", keys)
	}
	checkAtomicColumns(t, readDataset(t, st, "run/atomic/"), evs)

	// page_ctx: three versions merged into one file schema.
	tab := readDataset(t, st, "run/shredded/vendor=com.furrow.test/name=page_ctx/format=jsonschema/model=1/")
	wantCols := []string{"root_id", "root_tstamp", "ref_root", "ref_tree", "ref_parent", "schema_version",
		"active", "anything", "camel_case_name", "day", "depth", "flags.list.element", "items", "kind",
		"meta_author", "meta_stats_word_count", "price", "published", "score", "tags.list.element", "title",
		"union", "url", "views", "extra"}
	if strings.Join(tab.order, ",") != strings.Join(wantCols, ",") {
		t.Fatalf("page_ctx columns\n got %v\nwant %v", tab.order, wantCols)
	}
	if tab.rows != n {
		t.Fatalf("page_ctx rows %d, want %d", tab.rows, n)
	}
	if tab.kv["iglu.model"] != "iglu:com.furrow.test/page_ctx/jsonschema/1-*-*" || tab.kv["iglu.versions"] != "1-0-0,1-0-1,1-1-0" || tab.kv["ARROW:schema"] == "" {
		t.Errorf("page_ctx file metadata %v", tab.kv)
	}
	cols := map[string][]any{}
	for _, c := range wantCols {
		if !strings.Contains(c, ".list.") {
			cols[c] = tab.flat(t, c)
		}
	}
	tags := tab.listRows(t, "tags.list.element", 1)
	flags := tab.listRows(t, "flags.list.element", 1)
	for i, ev := range evs {
		data, versions := entitiesOf(t, ev, "com.furrow.test/page_ctx/jsonschema")
		d := data[0]
		ct, _ := event.ParseTimestamp(ev.Fields[event.CollectorTstamp])
		str := func(k string) any {
			if v, ok := d[k].(string); ok {
				return v
			}
			return nil
		}
		num := func(k string) any {
			if v, ok := d[k].(json.Number); ok {
				n, _ := v.Int64()
				return n
			}
			return nil
		}
		jsonText := func(v any) any {
			if v == nil {
				return nil
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(v)
			return strings.TrimSpace(b.String())
		}
		var meta map[string]any
		if m, ok := d["meta"].(map[string]any); ok {
			meta = m
		}
		want := map[string]any{
			"root_id": ev.Fields[event.EventID], "root_tstamp": ct.UnixMilli(), "ref_root": "events",
			"ref_tree": `["events","page_ctx"]`, "ref_parent": "events", "schema_version": versions[0],
			"active": d["active"], "camel_case_name": str("camelCaseName"), "kind": str("kind"),
			"title": str("title"), "url": str("url"), "extra": str("extra"),
			"depth": num("depth"), "views": num("views"), "union": jsonText(d["union"]),
			"anything": jsonText(d["anything"]), "items": jsonText(d["items"]),
		}
		if s, ok := d["score"].(json.Number); ok {
			want["score"], _ = s.Float64()
		}
		if p, ok := d["price"].(json.Number); ok {
			want["price"] = int32(unscaled(t, string(p), 2))
		} else {
			want["price"] = nil
		}
		want["published"] = millis(t, d["published"].(string))
		want["day"] = nil
		if day, ok := d["day"].(string); ok {
			tm, _ := time.Parse(time.DateOnly, day)
			want["day"] = int32(tm.Unix() / 86400)
		}
		want["meta_author"], want["meta_stats_word_count"] = nil, nil
		if meta != nil {
			want["meta_author"] = meta["author"]
			wc, _ := meta["stats"].(map[string]any)["wordCount"].(json.Number).Int64()
			want["meta_stats_word_count"] = int32(wc)
		}
		for c, w := range want {
			got := cols[c][i]
			if c == "union" || c == "anything" || c == "items" {
				// JSON columns: compare as JSON values (furrow renders numbers as Jackson did)
				if (got == nil) != (w == nil) || got != nil && !jsonEqual(t, got.(string), w.(string)) {
					t.Errorf("row %d %s: got %v, want %v", i, c, got, w)
				}
				continue
			}
			if !equalValue(got, w) {
				t.Errorf("row %d %s: got %#v (%T), want %#v (%T)", i, c, got, got, w, w)
			}
		}
		wantTags, _ := d["tags"].([]any)
		if (d["tags"] == nil) != (tags[i] == nil) || len(wantTags) != len(tags[i]) {
			t.Errorf("row %d tags: got %v, want %v", i, tags[i], d["tags"])
		} else {
			for j := range wantTags {
				if tags[i][j] != wantTags[j] {
					t.Errorf("row %d tags[%d]: got %v, want %v", i, j, tags[i][j], wantTags[j])
				}
			}
		}
		wantFlags, _ := d["flags"].([]any)
		if (d["flags"] == nil) != (flags[i] == nil) || len(wantFlags) != len(flags[i]) {
			t.Errorf("row %d flags: got %v, want %v", i, flags[i], d["flags"])
		} else {
			for j := range wantFlags {
				if flags[i][j] != wantFlags[j] {
					t.Errorf("row %d flags[%d]: got %v, want %v", i, j, flags[i][j], wantFlags[j])
				}
			}
		}
	}

	// click (unstruct events) and the duplicate context of event 7.
	clicks := readDataset(t, st, "run/shredded/vendor=com.furrow.test/name=click/format=jsonschema/model=1/")
	if clicks.rows != n/2 {
		t.Errorf("click rows %d, want %d", clicks.rows, n/2)
	}
	at := clicks.flat(t, "at")
	for _, v := range at {
		if v != millis(t, "2024-03-01T10:00:00.5+02:00") {
			t.Errorf("click at %v", v)
		}
	}
	dup := readDataset(t, st, "run/shredded/vendor=com.snowplowanalytics.snowplow/name=duplicate/format=jsonschema/model=1/")
	if got := dup.flat(t, "original_event_id"); len(got) != 1 || got[0] != genID(7) {
		t.Errorf("duplicate context: %v", got)
	}
	if got := dup.flat(t, "root_id"); got[0] != genID(1007) {
		t.Errorf("duplicate root_id %v, want the new id %s", got[0], genID(1007))
	}
	flat := readDataset(t, st, "run/shredded/vendor=com.furrow.test/name=flat/format=jsonschema/model=1/")
	wantFlat := 0
	for _, ev := range evs {
		d, _ := entitiesOf(t, ev, "com.furrow.test/flat/jsonschema")
		wantFlat += len(d)
	}
	if flat.rows != int64(wantFlat) {
		t.Errorf("flat rows %d, want %d", flat.rows, wantFlat)
	}
	if res.stats.Events != n || res.stats.Types[shred.TypeKey{Schema: mustKey(t, "iglu:com.furrow.test/flat/jsonschema/1-0-0"), Entity: shred.Context}] != int64(wantFlat) {
		t.Errorf("stats %+v", res.stats)
	}
}

func mustKey(t testing.TB, s string) event.SchemaKey {
	t.Helper()
	k, err := event.ParseSchemaKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func jsonEqual(t testing.TB, a, b string) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// TestParquetCompressionAndRowGroups checks the codec choice and that row
// groups are cut by (uncompressed) bytes, reading the footers with
// xitongsys/parquet-go.
func TestParquetCompressionAndRowGroups(t *testing.T) {
	sh := newShredder(t, testRegistry(t), true)
	for _, c := range []struct {
		compression string
		codec       string
	}{{"", "ZSTD"}, {"snappy", "SNAPPY"}, {"none", "UNCOMPRESSED"}} {
		st, _ := newStore(t)
		run(t, sh, shred.WriterConfig{Format: shred.FormatParquet, Store: st, Compression: c.compression, BatchRows: 16, RowGroupBytes: 16 << 10, Shredder: sh}, genInputs(200))
		_, files := parquetFiles(t, st, "atomic/")
		if len(files) != 1 {
			t.Fatalf("%d atomic files", len(files))
		}
		pr, err := reader.NewParquetColumnReader(newMemFile(files[0]), 1)
		if err != nil {
			t.Fatal(err)
		}
		rgs := pr.Footer.RowGroups
		if len(rgs) < 3 {
			t.Errorf("%s: %d row groups, want several with RowGroupBytes 16 KiB", c.codec, len(rgs))
		}
		var rows int64
		for _, rg := range rgs {
			rows += rg.NumRows
			if got := rg.Columns[0].MetaData.Codec.String(); got != c.codec {
				t.Errorf("codec %s, want %s", got, c.codec)
			}
		}
		if rows != 200 {
			t.Errorf("%d rows in row groups, want 200", rows)
		}
		pr.ReadStop()
		tab := readParquet(t, files[0])
		if got := tab.flat(t, "event_id"); got[199] != genID(199) {
			t.Errorf("%s: last event_id %v", c.codec, got[199])
		}
	}
}
