package shred

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shred/internal/jsonx"
)

// Parquet layout folders.
const (
	ParquetAtomicDir   = "atomic"
	ParquetShreddedDir = "shredded"
)

// ParquetModelDir is the dataset folder of one entity model:
// shredded/vendor=V/name=N/format=F/model=M.
func ParquetModelDir(m event.ModelKey) string {
	return ParquetShreddedDir + "/vendor=" + m.Vendor + "/name=" + m.Name + "/format=" + m.Format + "/model=" + strconv.Itoa(m.Model)
}

// HierarchyColumns are the first columns of every shredded dataset.
var HierarchyColumns = []string{"root_id", "root_tstamp", "ref_root", "ref_tree", "ref_parent", "schema_version"}

// atomicEnc appends the atomic fields of events to the first 128 columns of
// a record builder.
type atomicEnc struct {
	cols []atomicCol
}

type atomicCol struct {
	field event.Field
	kind  atomicKind
	b     array.Builder
}

func newAtomicEnc(rb *array.RecordBuilder) *atomicEnc {
	e := &atomicEnc{cols: make([]atomicCol, len(AtomicFields))}
	for i, f := range AtomicFields {
		e.cols[i] = atomicCol{field: f, kind: atomicKindOf(f), b: rb.Field(i)}
	}
	return e
}

func (e *atomicEnc) append(ev *event.Event) error {
	for i := range e.cols {
		c := &e.cols[i]
		v := ev.Fields[c.field]
		if v == "" {
			c.b.AppendNull()
			continue
		}
		switch c.kind {
		case atomicString:
			c.b.(*array.StringBuilder).Append(v)
		case atomicInt32:
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return fmt.Errorf("atomic field %s: [%s] is not a 32-bit integer", c.field.Name(), v)
			}
			c.b.(*array.Int32Builder).Append(int32(n))
		case atomicFloat64:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("atomic field %s: [%s] is not a number", c.field.Name(), v)
			}
			c.b.(*array.Float64Builder).Append(f)
		case atomicDecimal:
			d, err := parseDecimal(v, atomicDecimalPrecision, atomicDecimalScale)
			if err != nil {
				return fmt.Errorf("atomic field %s: %w", c.field.Name(), err)
			}
			c.b.(*array.Decimal128Builder).Append(d)
		case atomicBool:
			c.b.(*array.BooleanBuilder).Append(v == "1")
		case atomicTimestamp:
			t, err := event.ParseTimestamp(v)
			if err != nil {
				return fmt.Errorf("atomic field %s: %w", c.field.Name(), err)
			}
			c.b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMilli()))
		}
	}
	return nil
}

// modelDataset is the dataset of one entity model.
type modelDataset struct {
	ds   *pqDataset
	plan *Plan
	seen []event.SchemaVer

	rootID, rootTstamp, refRoot, refTree, refParent, version array.Builder
	data                                                     encoder
	refTreeJSON                                              string
}

// modelSchema returns the Arrow schema of a model dataset and binds the
// encoder of its data columns.
func modelSchema(p *Plan) (*arrow.Schema, func(rb *array.RecordBuilder) encoder) {
	str := arrow.BinaryTypes.String
	cols := []flatColumn{}
	fields := []arrow.Field{
		{Name: "root_id", Type: str},
		{Name: "root_tstamp", Type: timestampMillisUTC},
		{Name: "ref_root", Type: str},
		{Name: "ref_tree", Type: str},
		{Name: "ref_parent", Type: str},
		{Name: "schema_version", Type: str},
	}
	for _, f := range fields {
		cols = append(cols, flatColumn{name: f.Name})
	}
	bind := flatten(p.Root, "", false, &cols)
	taken := map[string]bool{}
	for i := range cols {
		name := cols[i].name
		for n := 2; taken[name]; n++ {
			name = cols[i].name + "_" + strconv.Itoa(n)
		}
		taken[name] = true
		if i >= len(fields) {
			fields = append(fields, arrowField(cols[i].field, name, cols[i].nullable))
		}
	}
	versions := make([]string, len(p.Versions))
	for i, v := range p.Versions {
		versions[i] = v.String()
	}
	md := arrow.NewMetadata(
		[]string{"iglu.model", "iglu.versions"},
		[]string{"iglu:" + p.Model.Vendor + "/" + p.Model.Name + "/" + p.Model.Format + "/" + strconv.Itoa(p.Model.Model) + "-*-*", strings.Join(versions, ",")},
	)
	return arrow.NewSchema(fields, &md), bind
}

func (m *modelDataset) setPlan(p *Plan) {
	m.plan = p
	schema, bind := modelSchema(p)
	m.ds.setSchema(schema)
	rb := m.ds.rb
	m.rootID, m.rootTstamp, m.refRoot, m.refTree, m.refParent, m.version = rb.Field(0), rb.Field(1), rb.Field(2), rb.Field(3), rb.Field(4), rb.Field(5)
	m.data = bind(rb)
	m.refTreeJSON = string(jsonx.AppendQuoted([]byte(`["events",`), p.Model.Name)) + "]"
}

func (m *modelDataset) append(ev *event.Event, ct arrow.Timestamp, e *Entity) error {
	m.rootID.(*array.StringBuilder).Append(ev.Fields[event.EventID])
	m.rootTstamp.(*array.TimestampBuilder).Append(ct)
	m.refRoot.(*array.StringBuilder).Append("events")
	m.refTree.(*array.StringBuilder).Append(m.refTreeJSON)
	m.refParent.(*array.StringBuilder).Append("events")
	m.version.(*array.StringBuilder).Append(e.Key.Version.String())
	if err := m.data.append(&e.data); err != nil {
		return fmt.Errorf("%s: %w", e.Key, err)
	}
	m.ds.rows++
	return nil
}

type parquetWriter struct {
	cfg    WriterConfig
	pool   *poolAllocator
	atomic *pqDataset
	aenc   *atomicEnc
	models map[event.ModelKey]*modelDataset
	stats  Stats
	closed bool
	failed error // a Write failed: builders may hold partial rows
}

// poolIdleBytes bounds the idle buffers a writer keeps for reuse.
const poolIdleBytes = 64 << 20

func newParquetWriter(cfg WriterConfig) (*parquetWriter, error) {
	w := &parquetWriter{cfg: cfg, models: make(map[event.ModelKey]*modelDataset)}
	w.pool = newPoolAllocator(cfg.Allocator, poolIdleBytes)
	w.atomic = newPQDataset(&w.cfg, w.pool, ParquetAtomicDir)
	w.atomic.noDict = uniqueAtomicColumns
	w.atomic.setSchema(arrow.NewSchema(atomicArrowFields(), nil))
	w.aenc = newAtomicEnc(w.atomic.rb)
	return w, nil
}

func (w *parquetWriter) Write(ctx context.Context, s *Shredded) error {
	if w.closed {
		return fmt.Errorf("shred: write after close")
	}
	if w.failed != nil {
		return w.failed
	}
	if err := w.write(ctx, s); err != nil {
		w.failed = fmt.Errorf("shred: writer unusable after an earlier error: %w", err)
		return err
	}
	return nil
}

func (w *parquetWriter) write(ctx context.Context, s *Shredded) error {
	ct := arrow.Timestamp(s.CollectorTstamp.UnixMilli())
	for i := range s.Entities {
		e := &s.Entities[i]
		m, err := w.model(ctx, e.Key)
		if err != nil {
			return err
		}
		if err := m.append(s.Event, ct, e); err != nil {
			return err
		}
		if m.ds.rows >= w.cfg.BatchRows {
			if err := m.ds.flush(ctx); err != nil {
				return err
			}
		}
	}
	if err := w.aenc.append(s.Event); err != nil {
		return err
	}
	w.atomic.rows++
	if w.atomic.rows >= w.cfg.BatchRows {
		if err := w.atomic.flush(ctx); err != nil {
			return err
		}
	}
	w.stats.add(s)
	return nil
}

// model returns the dataset of key's model, switching to a wider plan (and a
// new part file) when key's version is not covered yet.
func (w *parquetWriter) model(ctx context.Context, key event.SchemaKey) (*modelDataset, error) {
	mk := key.Model()
	m := w.models[mk]
	if m != nil && m.plan.Covers(key.Version) {
		return m, nil
	}
	if m == nil {
		m = &modelDataset{ds: newPQDataset(&w.cfg, w.pool, ParquetModelDir(mk))}
		m.ds.noDict = []string{"root_id", "root_tstamp"}
		w.models[mk] = m
	} else if err := m.ds.roll(ctx); err != nil {
		return nil, err
	}
	m.seen = append(m.seen, key.Version)
	p, err := w.cfg.Shredder.Plan(ctx, mk, m.seen...)
	if err != nil {
		return nil, err
	}
	m.setPlan(p)
	return m, nil
}

func (w *parquetWriter) sortedModels() []event.ModelKey {
	keys := make([]event.ModelKey, 0, len(w.models))
	for k := range w.models {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b event.ModelKey) int { return cmpString(a.String(), b.String()) })
	return keys
}

func (w *parquetWriter) Close(ctx context.Context) (Stats, error) {
	if w.closed {
		return Stats{}, fmt.Errorf("shred: writer closed twice")
	}
	if w.failed != nil {
		w.Abort()
		return Stats{}, w.failed
	}
	w.closed = true
	var firstErr error
	sets := []*pqDataset{w.atomic}
	for _, k := range w.sortedModels() {
		sets = append(sets, w.models[k].ds)
	}
	for _, d := range sets {
		if firstErr != nil {
			d.abort()
			continue
		}
		if err := d.close(ctx); err != nil {
			firstErr = err
			continue
		}
		w.stats.Files = append(w.stats.Files, d.files...)
		w.stats.Bytes += d.bytes
	}
	w.pool.Close()
	if firstErr != nil {
		return Stats{}, firstErr
	}
	slices.Sort(w.stats.Files)
	return w.stats, nil
}

func (w *parquetWriter) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	w.atomic.abort()
	for _, m := range w.models {
		m.ds.abort()
	}
	w.pool.Close()
}
