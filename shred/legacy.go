package shred

import (
	"bufio"
	"context"
	"fmt"
	"slices"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shred/internal/jsonx"
	"github.com/furrowdata/furrow/storage"
)

// Legacy layout folders (RDB Shredder 0.13).
const (
	LegacyAtomicDir   = "atomic-events"
	LegacyShreddedDir = "shredded-types"
)

// LegacyTypeDir is the shredded-types folder of one schema:
// shredded-types/vendor=V/name=N/format=F/version=M-R-A.
func LegacyTypeDir(k event.SchemaKey) string {
	return LegacyShreddedDir + "/vendor=" + k.Vendor + "/name=" + k.Name + "/format=" + k.Format + "/version=" + k.Version.String()
}

// lineFile is one text part being written.
type lineFile struct {
	dir   string
	seq   int
	key   string
	w     storage.Writer
	bw    *bufio.Writer
	bytes int64
}

type legacyWriter struct {
	cfg    WriterConfig
	atomic *lineFile
	types  map[event.SchemaKey]*lineFile
	stats  Stats
	buf    []byte
	closed bool
}

func newLegacyWriter(cfg WriterConfig) *legacyWriter {
	return &legacyWriter{cfg: cfg, types: make(map[event.SchemaKey]*lineFile)}
}

// writeLine appends line + "\n" to f, opening and rolling parts as needed.
func (w *legacyWriter) writeLine(ctx context.Context, f *lineFile, line []byte) error {
	if f.w != nil && f.bytes+int64(len(line))+1 > w.cfg.FileBytes && f.bytes > 0 {
		if err := w.finish(f); err != nil {
			return err
		}
		f.seq++
	}
	if f.w == nil {
		f.key = storage.Join(w.cfg.Prefix, f.dir, partName(w.cfg.Partition, f.seq, ".txt"))
		sw, err := w.cfg.Store.Create(ctx, f.key)
		if err != nil {
			return fmt.Errorf("creating %s: %w", f.key, err)
		}
		f.w, f.bw, f.bytes = sw, bufio.NewWriterSize(sw, 64<<10), 0
	}
	f.bw.Write(line)
	if err := f.bw.WriteByte('\n'); err != nil {
		return fmt.Errorf("writing %s: %w", f.key, err)
	}
	f.bytes += int64(len(line)) + 1
	return nil
}

// finish completes f's current part.
func (w *legacyWriter) finish(f *lineFile) error {
	if f.w == nil {
		return nil
	}
	err := f.bw.Flush()
	if err != nil {
		f.w.Abort()
	} else {
		err = f.w.Close()
	}
	f.w, f.bw = nil, nil
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.key, err)
	}
	w.stats.Files = append(w.stats.Files, f.key)
	w.stats.Bytes += f.bytes
	return nil
}

func (w *legacyWriter) Write(ctx context.Context, s *Shredded) error {
	if w.closed {
		return fmt.Errorf("shred: write after close")
	}
	if w.atomic == nil {
		w.atomic = &lineFile{dir: LegacyAtomicDir}
	}
	w.buf = appendLegacyAtomic(w.buf[:0], s.Event)
	if err := w.writeLine(ctx, w.atomic, w.buf); err != nil {
		return err
	}
	for i := range s.Entities {
		e := &s.Entities[i]
		f := w.types[e.Key]
		if f == nil {
			f = &lineFile{dir: LegacyTypeDir(e.Key)}
			w.types[e.Key] = f
		}
		w.buf = appendLegacyEntity(w.buf[:0], s.Event, e)
		if err := w.writeLine(ctx, f, w.buf); err != nil {
			return err
		}
	}
	w.stats.add(s)
	return nil
}

func (w *legacyWriter) Close(ctx context.Context) (Stats, error) {
	if w.closed {
		return Stats{}, fmt.Errorf("shred: writer closed twice")
	}
	w.closed = true
	files := []*lineFile{}
	if w.atomic != nil {
		files = append(files, w.atomic)
	}
	keys := make([]event.SchemaKey, 0, len(w.types))
	for k := range w.types {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b event.SchemaKey) int {
		return cmpString(a.String(), b.String())
	})
	for _, k := range keys {
		files = append(files, w.types[k])
	}
	for i, f := range files {
		if err := w.finish(f); err != nil {
			for _, g := range files[i+1:] {
				if g.w != nil {
					g.w.Abort()
				}
			}
			return Stats{}, err
		}
	}
	slices.Sort(w.stats.Files)
	return w.stats, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (w *legacyWriter) Abort() {
	w.closed = true
	if w.atomic != nil && w.atomic.w != nil {
		w.atomic.w.Abort()
	}
	for _, f := range w.types {
		if f.w != nil {
			f.w.Abort()
		}
	}
}

// appendLegacyAtomic appends the atomic-events row of ev as RDB Shredder
// 0.13's alterEnrichedEvent wrote it: the 131 fields minus contexts,
// unstruct_event and derived_contexts, each truncated to its Postgres
// length (in UTF-16 code units, as Java's substring) and made TSV-safe.
func appendLegacyAtomic(dst []byte, ev *event.Event) []byte {
	for i, f := range AtomicFields {
		if i > 0 {
			dst = append(dst, '\t')
		}
		v := event.Sanitize(ev.Fields[f])
		if n := legacyMaxLengths[f]; n > 0 && len(v) > n {
			v = truncateUTF16(v, n)
		}
		dst = append(dst, v...)
	}
	return dst
}

// truncateUTF16 keeps the first n UTF-16 code units of s. A surrogate pair
// cut in half leaves its high surrogate, which Java's UTF-8 encoder wrote as
// '?'.
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > n {
			if units < n { // half a pair fits
				return s[:i] + "?"
			}
			return s[:i]
		}
		units += w
	}
	return s
}

// appendLegacyEntity appends one shredded-types line: the entity's
// self-describing object with its schema URI replaced by the schema object
// (in place) and the hierarchy appended, as Jackson's ObjectNode.toString()
// rendered it.
func appendLegacyEntity(dst []byte, ev *event.Event, e *Entity) []byte {
	schema := func(dst []byte) []byte {
		dst = append(dst, `"schema":{"vendor":`...)
		dst = jsonx.AppendQuoted(dst, e.Key.Vendor)
		dst = append(dst, `,"name":`...)
		dst = jsonx.AppendQuoted(dst, e.Key.Name)
		dst = append(dst, `,"format":`...)
		dst = jsonx.AppendQuoted(dst, e.Key.Format)
		dst = append(dst, `,"version":`...)
		dst = jsonx.AppendQuoted(dst, e.Key.Version.String())
		return append(dst, '}')
	}
	data := func(dst []byte) []byte {
		dst = append(dst, `"data":`...)
		return jsonx.Append(dst, &e.data)
	}
	dst = append(dst, '{')
	if e.schemaFirst {
		dst = data(append(schema(dst), ','))
	} else {
		dst = schema(append(data(dst), ','))
	}
	dst = append(dst, `,"hierarchy":{"rootId":`...)
	dst = jsonx.AppendQuoted(dst, ev.Fields[event.EventID])
	dst = append(dst, `,"rootTstamp":`...)
	dst = jsonx.AppendQuoted(dst, ev.Fields[event.CollectorTstamp])
	dst = append(dst, `,"refRoot":"events","refTree":["events",`...)
	dst = jsonx.AppendQuoted(dst, e.Key.Name)
	return append(dst, `],"refParent":"events"}}`...)
}
