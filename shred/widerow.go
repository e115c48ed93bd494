package shred

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/furrowdata/furrow/event"
)

// WideRowDir is the folder of the wide-row table (as RDB's wide-row
// transformer named it).
const WideRowDir = "output=good"

var vendorChars = regexp.MustCompile(`[.\-]`)

// TableName is schema-ddl's getTableName: the vendor with '.' and '-' as
// '_', lower case, then the snake_case name and the model, e.g.
// com.acme/PascalCase model 13 → "com_acme_pascal_case_13".
func TableName(m event.ModelKey) string {
	return strings.ToLower(vendorChars.ReplaceAllString(m.Vendor, "_")) + "_" + SnakeCase(m.Name) + "_" + strconv.Itoa(m.Model)
}

// WideRowColumn is the column of a model in the wide-row table, as the
// Snowplow lake loader names it: "unstruct_event_<table name>" for unstruct
// events, "contexts_<table name>" for contexts and derived contexts.
func WideRowColumn(kind EntityKind, m event.ModelKey) string {
	if kind == UnstructEvent {
		return "unstruct_event_" + TableName(m)
	}
	return "contexts_" + TableName(m)
}

// schemaVersionField is the lake loader's extra member of every context
// struct: the entity's full version ("1-0-2").
const schemaVersionField = "_schema_version"

type wideCol struct {
	name  string
	kind  EntityKind // UnstructEvent or Context
	model event.ModelKey
	plan  *Plan
	seen  []event.SchemaVer

	enc encoder // unstruct: the struct (or leaf) encoder; contexts: element members
	lb  *array.ListBuilder
	sb  *array.StructBuilder // context element struct (nil when the data is not an object)
	ver *array.StringBuilder // context element _schema_version
	elm encoder              // context element encoder when the data is not an object
}

type wideKey struct {
	kind  EntityKind
	model event.ModelKey
}

// wideRowWriter writes one table: the atomic columns, then one column per
// entity model, sorted by name. The set of columns is only known from the
// data, so events are buffered one batch at a time; when a batch brings a new
// model (or a version outside a column's plan), the current part is completed
// and the next one starts with the wider schema.
type wideRowWriter struct {
	cfg     WriterConfig
	pool    *poolAllocator
	ds      *pqDataset
	aenc    *atomicEnc
	cols    []*wideCol
	byKey   map[wideKey]*wideCol
	pending []*Shredded
	stats   Stats
	closed  bool
	failed  error // a flush failed: builders may hold partial rows
}

func newWideRowWriter(cfg WriterConfig) (*wideRowWriter, error) {
	w := &wideRowWriter{cfg: cfg, byKey: make(map[wideKey]*wideCol)}
	w.pool = newPoolAllocator(cfg.Allocator, poolIdleBytes)
	w.ds = newPQDataset(&w.cfg, w.pool, WideRowDir)
	w.ds.noDict = uniqueAtomicColumns
	return w, nil
}

func (w *wideRowWriter) Write(ctx context.Context, s *Shredded) error {
	if w.closed {
		return fmt.Errorf("shred: write after close")
	}
	if w.failed != nil {
		return w.failed
	}
	w.pending = append(w.pending, s)
	w.stats.add(s)
	if len(w.pending) >= w.cfg.BatchRows {
		if err := w.flush(ctx); err != nil {
			w.failed = fmt.Errorf("shred: writer unusable after an earlier error: %w", err)
			return err
		}
	}
	return nil
}

func colKind(k EntityKind) EntityKind {
	if k == UnstructEvent {
		return UnstructEvent
	}
	return Context
}

// flush encodes the pending events as one record batch, widening the schema
// first if they need it.
func (w *wideRowWriter) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	changed := w.ds.schema == nil
	for _, s := range w.pending {
		for i := range s.Entities {
			e := &s.Entities[i]
			k := wideKey{colKind(e.Kind), e.Key.Model()}
			c := w.byKey[k]
			if c == nil {
				c = &wideCol{name: WideRowColumn(k.kind, k.model), kind: k.kind, model: k.model}
				w.byKey[k] = c
				w.cols = append(w.cols, c)
				changed = true
			}
			if c.plan != nil && c.plan.Covers(e.Key.Version) || slices.Contains(c.seen, e.Key.Version) {
				continue
			}
			c.seen = append(c.seen, e.Key.Version)
			changed = true
		}
	}
	if changed {
		if err := w.ds.roll(ctx); err != nil {
			return err
		}
		if err := w.rebuild(ctx); err != nil {
			return err
		}
	}
	for _, s := range w.pending {
		if err := w.appendEvent(s); err != nil {
			return err
		}
		w.ds.rows++
	}
	clear(w.pending)
	w.pending = w.pending[:0]
	return w.ds.flush(ctx)
}

// rebuild computes every column's plan and a new schema and builder.
func (w *wideRowWriter) rebuild(ctx context.Context) error {
	for _, c := range w.cols {
		if c.plan != nil && !slices.ContainsFunc(c.seen, func(v event.SchemaVer) bool { return !c.plan.Covers(v) }) {
			continue
		}
		p, err := w.cfg.Shredder.Plan(ctx, c.model, c.seen...)
		if err != nil {
			return err
		}
		c.plan = p
	}
	slices.SortFunc(w.cols, func(a, b *wideCol) int { return cmpString(a.name, b.name) })
	fields := atomicArrowFields()
	taken := make(map[string]bool, len(fields)+len(w.cols))
	for _, f := range fields {
		taken[f.Name] = true
	}
	for _, c := range w.cols {
		name := c.name
		for n := 2; taken[name]; n++ {
			name = c.name + "_" + strconv.Itoa(n)
		}
		taken[name] = true
		fields = append(fields, w.colField(c, name))
	}
	w.ds.setSchema(arrow.NewSchema(fields, nil))
	rb := w.ds.rb
	w.aenc = newAtomicEnc(rb)
	for i, c := range w.cols {
		b := rb.Field(len(AtomicFields) + i)
		if c.kind == UnstructEvent {
			c.enc = newEncoder(c.plan.Root, b)
			continue
		}
		c.lb = b.(*array.ListBuilder)
		c.sb, c.ver, c.enc, c.elm = nil, nil, nil, nil
		if c.plan.Root.Type == TypeStruct {
			c.sb = c.lb.ValueBuilder().(*array.StructBuilder)
			c.ver = c.sb.FieldBuilder(0).(*array.StringBuilder)
			members := contextMembers(c.plan.Root)
			se := &structEnc{fields: members, children: make([]encoder, len(members))}
			for j, m := range members {
				se.children[j] = newEncoder(m, c.sb.FieldBuilder(j+1))
			}
			se.index()
			c.enc = se
		} else {
			c.elm = newEncoder(c.plan.Root, c.lb.ValueBuilder())
		}
	}
	return nil
}

// contextMembers are the members of a context struct after the lake
// loader's _schema_version (which takes priority over a member of that name).
func contextMembers(root *Field) []*Field {
	out := make([]*Field, 0, len(root.Fields))
	for _, f := range root.Fields {
		if f.Column != schemaVersionField {
			out = append(out, f)
		}
	}
	return out
}

// colField is the Arrow field of an entity column: a nullable struct for
// unstruct events; a nullable list of non-null structs led by
// _schema_version for contexts.
func (w *wideRowWriter) colField(c *wideCol, name string) arrow.Field {
	if c.kind == UnstructEvent {
		return arrowField(c.plan.Root, name, true)
	}
	var elem arrow.Field
	if c.plan.Root.Type == TypeStruct {
		members := contextMembers(c.plan.Root)
		fs := make([]arrow.Field, 0, len(members)+1)
		fs = append(fs, arrow.Field{Name: schemaVersionField, Type: arrow.BinaryTypes.String})
		for _, m := range members {
			fs = append(fs, arrowField(m, m.Column, m.Nullable))
		}
		elem = arrow.Field{Name: "element", Type: arrow.StructOf(fs...)}
	} else {
		elem = arrowField(c.plan.Root, "element", false)
	}
	return arrow.Field{Name: name, Type: arrow.ListOfField(elem), Nullable: true}
}

func (w *wideRowWriter) appendEvent(s *Shredded) error {
	if err := w.aenc.append(s.Event); err != nil {
		return err
	}
	for _, c := range w.cols {
		if c.kind == UnstructEvent {
			var data = (*Entity)(nil)
			for i := range s.Entities {
				if e := &s.Entities[i]; e.Kind == UnstructEvent && e.Key.Model() == c.model {
					data = e
					break
				}
			}
			if data == nil {
				if err := c.enc.append(nil); err != nil {
					return err
				}
				continue
			}
			if err := c.enc.append(&data.data); err != nil {
				return fmt.Errorf("%s: %w", data.Key, err)
			}
			continue
		}
		n := 0
		for i := range s.Entities {
			e := &s.Entities[i]
			if e.Kind == UnstructEvent || e.Key.Model() != c.model {
				continue
			}
			if n == 0 {
				c.lb.Append(true)
			}
			n++
			var err error
			if c.sb != nil {
				c.sb.Append(true)
				c.ver.Append(e.Key.Version.String())
				err = c.enc.append(&e.data)
			} else {
				err = c.elm.append(&e.data)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", e.Key, err)
			}
		}
		if n == 0 {
			c.lb.AppendNull()
		}
	}
	return nil
}

func (w *wideRowWriter) Close(ctx context.Context) (Stats, error) {
	if w.closed {
		return Stats{}, fmt.Errorf("shred: writer closed twice")
	}
	if w.failed != nil {
		w.Abort()
		return Stats{}, w.failed
	}
	w.closed = true
	err := w.flush(ctx)
	if err == nil {
		err = w.ds.close(ctx)
	} else {
		w.ds.abort()
	}
	w.pending = nil
	w.pool.Close()
	if err != nil {
		return Stats{}, err
	}
	w.stats.Files = append(w.stats.Files, w.ds.files...)
	w.stats.Bytes += w.ds.bytes
	return w.stats, nil
}

func (w *wideRowWriter) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	w.ds.abort()
	w.pending = nil
	w.pool.Close()
}
