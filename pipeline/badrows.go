package pipeline

import (
	"context"
	"fmt"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/storage"
)

// lineWriter writes newline-terminated records to one object that is
// created lazily on the first record (no empty part files) and committed
// atomically on Close.
type lineWriter struct {
	store storage.Store
	key   string
	w     storage.Writer
	buf   []byte
	n     int64
}

func newLineWriter(s storage.Store, key string) *lineWriter {
	return &lineWriter{store: s, key: key}
}

const lineWriterFlush = 1 << 20

// Write appends line and a newline.
func (l *lineWriter) Write(ctx context.Context, line []byte) error {
	l.buf = append(l.buf, line...)
	l.buf = append(l.buf, '\n')
	l.n++
	if len(l.buf) >= lineWriterFlush {
		return l.flush(ctx)
	}
	return nil
}

func (l *lineWriter) flush(ctx context.Context) error {
	if len(l.buf) == 0 {
		return nil
	}
	if l.w == nil {
		w, err := l.store.Create(ctx, l.key)
		if err != nil {
			return fmt.Errorf("creating %s: %w", l.store.URL(l.key), err)
		}
		l.w = w
	}
	if _, err := l.w.Write(l.buf); err != nil {
		return fmt.Errorf("writing %s: %w", l.store.URL(l.key), err)
	}
	l.buf = l.buf[:0]
	return nil
}

// Close flushes and commits the object (if anything was written).
func (l *lineWriter) Close(ctx context.Context) error {
	if err := l.flush(ctx); err != nil {
		l.Abort()
		return err
	}
	if l.w == nil {
		return nil
	}
	w := l.w
	l.w = nil
	if err := w.Close(); err != nil {
		return fmt.Errorf("committing %s: %w", l.store.URL(l.key), err)
	}
	return nil
}

// Abort discards the object.
func (l *lineWriter) Abort() {
	if l.w != nil {
		_ = l.w.Abort()
		l.w = nil
	}
	l.buf = nil
}

// badWriter writes bad rows of one task as JSON lines and counts them.
type badWriter struct {
	lw    *lineWriter
	buf   []byte
	shred bool // count into ShredBad (reduce stage) instead of Bad
}

func newBadWriter(s storage.Store, key string, shredStage bool) *badWriter {
	return &badWriter{lw: newLineWriter(s, key), shred: shredStage}
}

// Write writes one bad row and counts it (and its error class) in c.
func (b *badWriter) Write(ctx context.Context, row event.BadRow, c *Counters) error {
	b.buf = row.AppendJSON(b.buf[:0])
	if b.shred {
		c.ShredBad++
	} else {
		c.Bad++
	}
	if len(row.Errors) > 0 {
		c.CountError(row.Errors[0].Message)
	} else {
		c.CountError("(no message)")
	}
	return b.lw.Write(ctx, b.buf)
}

func (b *badWriter) Close(ctx context.Context) error { return b.lw.Close(ctx) }
func (b *badWriter) Abort()                          { b.lw.Abort() }
