// Package parquettest reads Parquet files in tests with
// github.com/xitongsys/parquet-go, an implementation independent of the
// arrow-go writer furrow uses, to prove that what furrow wrote is readable
// by another reader.
package parquettest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/xitongsys/parquet-go/reader"
	"github.com/xitongsys/parquet-go/source"
)

// MemFile is a source.ParquetFile over bytes.
type MemFile struct {
	*bytes.Reader
	data []byte
}

// NewMemFile returns a MemFile over b.
func NewMemFile(b []byte) *MemFile { return &MemFile{Reader: bytes.NewReader(b), data: b} }

// Write implements source.ParquetFile (read-only).
func (m *MemFile) Write([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// Close implements source.ParquetFile.
func (m *MemFile) Close() error { return nil }

// Open implements source.ParquetFile.
func (m *MemFile) Open(string) (source.ParquetFile, error) { return NewMemFile(m.data), nil }

// Create implements source.ParquetFile (read-only).
func (m *MemFile) Create(string) (source.ParquetFile, error) { return nil, io.ErrUnexpectedEOF }

// Size is the file size.
func (m *MemFile) Size() int64 { return int64(len(m.data)) }

// String names the file.
func (m *MemFile) String() string { return fmt.Sprintf("MemFile(%d)", len(m.data)) }

// Column returns the values of a top-level column of the Parquet file at
// path, rendered with fmt.Sprint (nulls are absent), and the file's row
// count.
func Column(t testing.TB, path, column string) (values []string, rows int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := reader.NewParquetColumnReader(NewMemFile(data), 1)
	if err != nil {
		t.Fatalf("xitongsys/parquet-go cannot open %s: %v", path, err)
	}
	defer pr.ReadStop()
	rows = pr.GetNumRows()
	vals, _, _, err := pr.ReadColumnByPath(pr.SchemaHandler.GetRootExName()+"\x01"+column, rows)
	if err != nil {
		t.Fatalf("reading column %s of %s: %v", column, path, err)
	}
	for _, v := range vals {
		if v != nil {
			values = append(values, fmt.Sprint(v))
		}
	}
	return values, rows
}
