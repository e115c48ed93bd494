package shred_test

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/xitongsys/parquet-go/reader"
	"github.com/xitongsys/parquet-go/source"

	"github.com/furrowdata/furrow/storage"
)

// memFile is a source.ParquetFile over bytes, for xitongsys/parquet-go.
type memFile struct {
	*bytes.Reader
	data []byte
}

func newMemFile(b []byte) *memFile { return &memFile{Reader: bytes.NewReader(b), data: b} }

func (m *memFile) Write([]byte) (int, error)                 { return 0, io.ErrUnexpectedEOF }
func (m *memFile) Close() error                              { return nil }
func (m *memFile) Open(string) (source.ParquetFile, error)   { return newMemFile(m.data), nil }
func (m *memFile) Create(string) (source.ParquetFile, error) { return nil, io.ErrUnexpectedEOF }
func (m *memFile) Seek(off int64, whence int) (int64, error) { return m.Reader.Seek(off, whence) }
func (m *memFile) Read(p []byte) (int, error)                { return m.Reader.Read(p) }
func (m *memFile) ReadAt(p []byte, off int64) (int, error)   { return m.Reader.ReadAt(p, off) }
func (m *memFile) Size() int64                               { return int64(len(m.data)) }
func (m *memFile) String() string                            { return fmt.Sprintf("memFile(%d)", len(m.data)) }

// pqColumn is one leaf column as xitongsys/parquet-go reads it.
type pqColumn struct {
	values []any
	rls    []int32
	dls    []int32
	maxDL  int32
	maxRL  int32
}

// pqTable is a Parquet file read by an independent implementation.
type pqTable struct {
	rows    int64
	columns map[string]*pqColumn // by dotted path below the root, e.g. "meta_author" or "tags.list.element"
	order   []string
	created string
	kv      map[string]string
}

// readParquet reads every leaf column of a Parquet file with
// xitongsys/parquet-go.
func readParquet(t testing.TB, data []byte) *pqTable {
	t.Helper()
	pr, err := reader.NewParquetColumnReader(newMemFile(data), 1)
	if err != nil {
		t.Fatalf("xitongsys/parquet-go cannot open the file: %v", err)
	}
	defer pr.ReadStop()
	tab := &pqTable{rows: pr.GetNumRows(), columns: map[string]*pqColumn{}, kv: map[string]string{}}
	if pr.Footer.CreatedBy != nil {
		tab.created = *pr.Footer.CreatedBy
	}
	for _, kv := range pr.Footer.KeyValueMetadata {
		if kv.Value != nil {
			tab.kv[kv.Key] = *kv.Value
		}
	}
	sh := pr.SchemaHandler
	for i, in := range sh.ValueColumns {
		ex := sh.InPathToExPath[in]
		parts := strings.Split(ex, "\x01")
		path := strings.Join(parts[1:], ".")
		n := tab.rows
		// repeated columns hold more values than rows; read generously
		vals, rls, dls, err := pr.ReadColumnByIndex(int64(i), n*64+64)
		if err != nil {
			t.Fatalf("reading column %s: %v", path, err)
		}
		inParts := strings.Split(in, "\x01")
		maxRL, err := sh.MaxRepetitionLevel(inParts)
		if err != nil {
			t.Fatalf("column %s: %v", path, err)
		}
		maxDL, err := sh.MaxDefinitionLevel(inParts)
		if err != nil {
			t.Fatalf("column %s: %v", path, err)
		}
		tab.columns[path] = &pqColumn{values: vals, rls: rls, dls: dls, maxDL: maxDL, maxRL: maxRL}
		tab.order = append(tab.order, path)
	}
	return tab
}

// col returns a column or fails.
func (p *pqTable) col(t testing.TB, path string) *pqColumn {
	t.Helper()
	c, ok := p.columns[path]
	if !ok {
		t.Fatalf("no column %s; have %v", path, p.order)
	}
	return c
}

// flat returns one value per row (nil = null) of a non-repeated column.
func (p *pqTable) flat(t testing.TB, path string) []any {
	t.Helper()
	c := p.col(t, path)
	if c.maxRL != 0 {
		t.Fatalf("column %s is repeated", path)
	}
	if int64(len(c.values)) != p.rows {
		t.Fatalf("column %s has %d values for %d rows", path, len(c.values), p.rows)
	}
	out := make([]any, len(c.values))
	for i, v := range c.values {
		if c.dls[i] == c.maxDL {
			out[i] = v
		}
	}
	return out
}

// listRows rebuilds a list column: per row nil (null list) or the elements
// (nil = null element). nullDL is the definition level at which the list is
// null (the list's own optional level: values below it mean "null list").
func (p *pqTable) listRows(t testing.TB, path string, listDL int32) [][]any {
	t.Helper()
	c := p.col(t, path)
	var out [][]any
	for i := range c.values {
		if c.rls[i] == 0 {
			if c.dls[i] < listDL {
				out = append(out, nil)
				continue
			}
			out = append(out, []any{})
			if c.dls[i] == listDL { // empty list
				continue
			}
		}
		var v any
		if c.dls[i] == c.maxDL {
			v = c.values[i]
		}
		out[len(out)-1] = append(out[len(out)-1], v)
	}
	return out
}

// parquetFiles returns the bytes of every .parquet file under dir, in key
// order.
func parquetFiles(t testing.TB, st storage.Store, dir string) (keys []string, files [][]byte) {
	t.Helper()
	err := st.List(testCtx(t), dir, func(o storage.ObjectInfo) error {
		if !strings.HasSuffix(o.Key, ".parquet") {
			return nil
		}
		b, err := storage.ReadAll(testCtx(t), st, o.Key)
		if err != nil {
			return err
		}
		keys = append(keys, o.Key)
		files = append(files, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys, files
}

// readDataset reads every file of a dataset and concatenates their rows
// (files must share one schema).
func readDataset(t testing.TB, st storage.Store, dir string) *pqTable {
	t.Helper()
	keys, files := parquetFiles(t, st, dir)
	if len(files) == 0 {
		t.Fatalf("no Parquet files under %s", dir)
	}
	var all *pqTable
	for i, b := range files {
		tab := readParquet(t, b)
		if tab.created != "furrow" {
			t.Errorf("%s: created_by %q, want furrow", keys[i], tab.created)
		}
		if all == nil {
			all = tab
			continue
		}
		if strings.Join(all.order, ",") != strings.Join(tab.order, ",") {
			t.Fatalf("%s has other columns than %s", keys[i], keys[0])
		}
		all.rows += tab.rows
		for _, p := range all.order {
			a, b := all.columns[p], tab.columns[p]
			a.values = append(a.values, b.values...)
			a.rls = append(a.rls, b.rls...)
			a.dls = append(a.dls, b.dls...)
		}
	}
	return all
}
