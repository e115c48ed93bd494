package shred

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/furrowdata/furrow/storage"
)

// countingWriter counts the bytes that reach the store.
type countingWriter struct {
	w   storage.Writer
	n   int64
	err error // the first write error (arrow sometimes drops it)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// pqDataset writes the rows of one Parquet dataset (one folder) of one
// reduce task: record batches of BatchRows rows, row groups cut at about
// RowGroupBytes uncompressed, files cut at about FileBytes, one
// pqarrow.FileWriter per file.
type pqDataset struct {
	cfg *WriterConfig
	mem memory.Allocator
	dir string
	seq int
	// noDict are columns written without dictionary encoding (nearly unique
	// values: dictionaries only cost memory and time there).
	noDict []string

	schema *arrow.Schema
	rb     *array.RecordBuilder
	rows   int

	// current file
	key     string
	sw      storage.Writer
	cw      *countingWriter
	fw      *pqarrow.FileWriter
	rgBytes int64
	newRG   bool

	files []string
	bytes int64
}

func newPQDataset(cfg *WriterConfig, mem memory.Allocator, dir string) *pqDataset {
	return &pqDataset{cfg: cfg, mem: mem, dir: dir}
}

// setSchema starts building rows of schema (the builder is replaced; the
// caller flushed and closed the file of the previous schema).
func (d *pqDataset) setSchema(schema *arrow.Schema) {
	if d.rb != nil {
		d.rb.Release()
	}
	d.schema = schema
	d.rb = array.NewRecordBuilder(d.mem, schema)
	d.rb.Reserve(d.cfg.BatchRows)
}

func (d *pqDataset) writerProps() *parquet.WriterProperties {
	codec := compress.Codecs.Zstd
	switch d.cfg.Compression {
	case "snappy":
		codec = compress.Codecs.Snappy
	case "none":
		codec = compress.Codecs.Uncompressed
	}
	// The Parquet encoders get Go-heap memory: arrow-go v15's column writers
	// do not release their level and page sinks (encoding.BufferWriter) when
	// a file closes, so tracked memory would never return to zero. The Arrow
	// builders and pqarrow's own buffers use the writer's allocator.
	opts := []parquet.WriterProperty{
		parquet.WithAllocator(memory.DefaultAllocator),
		parquet.WithCompression(codec),
		parquet.WithCreatedBy(CreatedBy),
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
	}
	for _, c := range d.noDict {
		opts = append(opts, parquet.WithDictionaryFor(c, false))
	}
	return parquet.NewWriterProperties(opts...)
}

func (d *pqDataset) openFile(ctx context.Context) error {
	d.key = storage.Join(d.cfg.Prefix, d.dir, partName(d.cfg.Partition, d.seq, ".parquet"))
	sw, err := d.cfg.Store.Create(ctx, d.key)
	if err != nil {
		return fmt.Errorf("creating %s: %w", d.key, err)
	}
	cw := &countingWriter{w: sw}
	fw, err := newFileWriter(d.schema, cw, d.writerProps(),
		pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(d.mem), pqarrow.WithStoreSchema()))
	if err != nil {
		sw.Abort()
		if cw.err != nil {
			err = cw.err
		}
		return fmt.Errorf("starting Parquet file %s: %w", d.key, err)
	}
	d.sw, d.cw, d.fw, d.rgBytes, d.newRG = sw, cw, fw, 0, false
	return nil
}

// dataBytes estimates the uncompressed size of an array's data.
func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}

// flush writes the rows built so far as one record batch.
func (d *pqDataset) flush(ctx context.Context) error {
	if d.rows == 0 {
		return nil
	}
	rec := d.rb.NewRecord()
	defer rec.Release()
	d.rows = 0
	d.rb.Reserve(d.cfg.BatchRows) // the next batch fills pooled buffers without regrowing
	if d.fw == nil {
		if err := d.openFile(ctx); err != nil {
			return err
		}
	}
	if d.newRG {
		d.fw.NewBufferedRowGroup()
		d.newRG = false
	}
	if err := d.fw.WriteBuffered(rec); err != nil {
		return fmt.Errorf("writing %s: %w", d.key, err)
	}
	for _, col := range rec.Columns() {
		d.rgBytes += dataBytes(col.Data())
	}
	if d.rgBytes >= d.cfg.RowGroupBytes {
		d.newRG, d.rgBytes = true, 0
	}
	if d.cw.n+d.fw.RowGroupTotalCompressedBytes() >= d.cfg.FileBytes {
		if err := d.closeFile(); err != nil {
			return err
		}
		d.seq++
	}
	return nil
}

// closeFile completes the current file.
func (d *pqDataset) closeFile() error {
	if d.fw == nil {
		return nil
	}
	fw, sw := d.fw, d.sw
	d.fw, d.sw = nil, nil
	if err := fw.Close(); err != nil {
		sw.Abort()
		return fmt.Errorf("finishing %s: %w", d.key, err)
	}
	if err := sw.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", d.key, err)
	}
	d.files = append(d.files, d.key)
	d.bytes += d.cw.n
	return nil
}

// roll completes the current file so that the next rows (of a new schema)
// start the next part.
func (d *pqDataset) roll(ctx context.Context) error {
	if err := d.flush(ctx); err != nil {
		return err
	}
	if d.fw != nil {
		if err := d.closeFile(); err != nil {
			return err
		}
		d.seq++
	}
	return nil
}

// close flushes, completes the file and releases the builder.
func (d *pqDataset) close(ctx context.Context) error {
	err := d.flush(ctx)
	if err == nil {
		err = d.closeFile()
	}
	d.release()
	return err
}

// abort discards the current file and releases everything.
func (d *pqDataset) abort() {
	if d.fw != nil {
		_ = d.fw.Close() // releases its buffers; the object is discarded below
		d.fw = nil
	}
	if d.sw != nil {
		d.sw.Abort()
		d.sw = nil
	}
	d.release()
}

func (d *pqDataset) release() {
	if d.fw != nil {
		_ = d.fw.Close()
		d.fw = nil
		if d.sw != nil {
			d.sw.Abort()
			d.sw = nil
		}
	}
	if d.rb != nil {
		d.rb.Release()
		d.rb = nil
	}
}

// newFileWriter is pqarrow.NewFileWriter with its one panic turned into an
// error: arrow-go v15 writes the file's magic number at once and panics when
// that write fails (a cancelled context, a storage error).
func newFileWriter(sc *arrow.Schema, w io.Writer, props *parquet.WriterProperties, arrProps pqarrow.ArrowWriterProperties) (fw *pqarrow.FileWriter, err error) {
	defer func() {
		if r := recover(); r != nil {
			fw, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return pqarrow.NewFileWriter(sc, w, props, arrProps)
}
