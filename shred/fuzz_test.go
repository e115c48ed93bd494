package shred

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/furrowdata/furrow/shred/internal/jsonx"
)

func loadTestField(t testing.TB, versions ...string) *Field {
	t.Helper()
	var root *Field
	for _, v := range versions {
		raw, err := os.ReadFile(filepath.Join("testdata", "iglu", "schemas", "com.furrow.test", "page_ctx", "jsonschema", v))
		if err != nil {
			t.Fatal(err)
		}
		f, err := FieldsFromSchema(raw)
		if err != nil {
			t.Fatal(err)
		}
		if root == nil {
			root = f
		} else {
			root = Merge(root, f)
		}
	}
	return root
}

// FuzzEntityToRow feeds arbitrary JSON as the data of an entity through the
// JSON → row path: the per-version check, then the flattened (shredded
// dataset) and nested (wide-row) encoders of the merged model. Nothing may
// panic, data the check accepts must encode without error, and every Arrow
// buffer must be released.
//
//	go test ./shred -run '^$' -fuzz FuzzEntityToRow -fuzztime 60s
func FuzzEntityToRow(f *testing.F) {
	for _, s := range []string{
		`{"url":"u","active":true}`,
		`{"url":"u","active":false,"depth":3,"views":-9,"score":1e308,"price":12.345,"published":"2024-01-01T00:00:00Z","day":"2024-02-30","tags":["a",null],"flags":[true,null],"meta":{"author":"x","stats":{"wordCount":1.0}},"items":[{"sku":1}],"anything":null,"union":[],"kind":"video","camelCaseName":"c","extra":"e"}`,
		`{"url":1}`, `[]`, `null`, `{"meta":null,"url":"u","active":true}`, `{"depth":1e400,"url":"u","active":true}`,
		`{"published":"2024-01-01t00:00:00z","url":"u","active":true}`, `{"price":-0.005,"url":"u","active":true}`,
	} {
		f.Add(s)
	}
	version := loadTestField(f, "1-0-0")
	merged := loadTestField(f, "1-0-0", "1-0-1", "1-1-0")
	f.Fuzz(func(t *testing.T, data string) {
		v, err := jsonx.Parse(data)
		if err != nil {
			return
		}
		checkErr := checkValue(version, &v, "")
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)

		// flattened layout
		cols := []flatColumn{}
		bind := flatten(merged, "", false, &cols)
		fields := make([]arrow.Field, len(cols))
		for i, c := range cols {
			fields[i] = arrowField(c.field, c.name+"_"+itoa(i), c.nullable)
		}
		rb := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
		defer rb.Release()
		encErr := bind(rb).append(&v)
		if checkErr == nil && encErr != nil {
			t.Fatalf("check accepted %s but the flat encoder failed: %v", data, encErr)
		}
		if encErr == nil {
			rec := rb.NewRecord()
			rec.Release()
		}

		// nested layout
		sb := array.NewBuilder(mem, arrowType(merged))
		defer sb.Release()
		encErr = newEncoder(merged, sb).append(&v)
		if checkErr == nil && encErr != nil {
			t.Fatalf("check accepted %s but the nested encoder failed: %v", data, encErr)
		}
		if encErr == nil {
			arr := sb.NewArray()
			arr.Release()
		}
	})
}

func TestEntityToRowRejectsUnstorableValues(t *testing.T) {
	version := loadTestField(t, "1-0-0")
	for _, data := range []string{
		`{"url":"u","active":true,"published":"yesterday"}`,
		`{"url":"u","active":true,"day":"2024-02-30"}`,
		`{"url":"u","active":true,"depth":1e400}`,
		`{"url":"u","active":true,"price":123456789}`,
		`{"url":"u","active":true,"views":1.5}`,
		`{"active":true}`,
		`{"url":"u","active":true,"meta":{"stats":{}}}`,
	} {
		v, err := jsonx.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkValue(version, &v, ""); err == nil {
			t.Errorf("checkValue accepted %s", data)
		}
	}
	v, _ := jsonx.Parse(`{"url":"u","active":true,"views":1.0,"price":0.015,"published":"2024-01-01T00:00:00.1234+01:00"}`)
	if err := checkValue(version, &v, ""); err != nil {
		t.Errorf("checkValue rejected storable data: %v", err)
	}
}
