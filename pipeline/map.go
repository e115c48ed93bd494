package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shuffle"
	"github.com/furrowdata/furrow/storage"
)

// Batching of map tasks: records are read in batches that workers process in
// parallel and hand back in input order.
const (
	batchRecords = 256
	batchBytes   = 1 << 20
)

// recBatch is a batch of input records and, once processed, its results.
type recBatch struct {
	data  []byte
	ends  []int
	lines []int64
	// origin names the split ("<key>@<offset>"); with a record's line it
	// seeds the event ids of events without a tracker eid.
	origin string

	out   []byte // records for the exchange, concatenated
	outs  []int  // end offset of each record in out
	parts []int  // partition of each record
	bad   []event.BadRow
	c     Counters
	err   error
}

// reset empties a consumed batch for the next records, keeping its
// buffers (and its counters' maps).
func (b *recBatch) reset() {
	clear(b.bad)
	errs, filled := b.c.Errors, b.c.Filled
	clear(errs)
	clear(filled)
	*b = recBatch{
		data: b.data[:0], ends: b.ends[:0], lines: b.lines[:0], origin: b.origin,
		out: b.out[:0], outs: b.outs[:0], parts: b.parts[:0], bad: b.bad[:0],
		c: Counters{Errors: errs, Filled: filled},
	}
}

// batchFunc processes one batch: it fills out/outs/parts, bad and c.
type batchFunc func(ctx context.Context, b *recBatch, partitions int) error

// mapRecords is the body of every map task: it reads split (decompressing
// whole objects, or reading a byte range of an uncompressed line file with
// Hadoop's rules), frames it with newReader, processes batches of records in
// parallel with proc (at most Parallelism at once across all tasks), and
// hands the results, in input order, to the exchange and the task's bad-row
// file.
func (j *Job) mapRecords(ctx context.Context, task int, split Split, out shuffle.MapOutput, c *Counters,
	newReader func(io.Reader) collector.RecordReader, proc batchFunc) error {
	var body io.ReadCloser
	var err error
	if split.Whole() {
		body, err = j.in.OpenRange(ctx, split.Key, 0, -1)
	} else {
		body, err = j.in.OpenRange(ctx, split.Key, split.Offset, -1)
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", j.in.URL(split.Key), err)
	}
	defer body.Close()
	// The reader runs in next's goroutine while consume adds batches to c:
	// bytes are counted apart and added once every goroutine is done.
	var bytesIn int64
	defer func() { c.BytesIn += bytesIn }()
	cr := &countingReader{r: body, n: &bytesIn, p: j.progress}
	var rr collector.RecordReader
	if split.Whole() {
		dr, _, err := collector.Decompress(cr)
		if err != nil {
			return permanent(fmt.Errorf("decompressing %s: %w", j.in.URL(split.Key), err))
		}
		rr = newReader(dr)
	} else {
		rr = collector.NewLineSplitReader(cr, split.Offset, split.Offset+split.Length)
	}
	if split.Offset == 0 {
		c.Files++
	}
	bad := newBadWriter(j.bad, fmt.Sprintf("part-m-%05d", task), false)
	defer bad.Abort()

	origin := split.Key + "@" + strconv.FormatInt(split.Offset, 10)
	// Consumed batches come back through free with their buffers, so that
	// a task allocates about depth+workers batches, not one per 256 records.
	depth := 2 * j.cfg.Parallelism
	free := make(chan *recBatch, depth+j.cfg.Parallelism+1)
	done := false
	next := func() (*recBatch, bool, error) {
		if done {
			return nil, false, nil
		}
		var b *recBatch
		select {
		case b = <-free:
		default:
			b = &recBatch{origin: origin}
		}
		for len(b.ends) < batchRecords && len(b.data) < batchBytes {
			rec, err := rr.Next()
			if err == io.EOF {
				done = true
				break
			}
			if errors.Is(err, collector.ErrRecordTooLong) {
				// The reader skips the record and goes on: it becomes a bad
				// row (its line cannot be kept whole), never a lost line.
				b.c.LinesIn++
				b.bad = append(b.bad, event.NewBadRow(fmt.Sprintf("(record of %s longer than %d bytes, not kept)", j.in.URL(split.Key), collector.MaxRecordSize), j.etl, err.Error()))
				continue
			}
			if err != nil {
				return nil, false, fmt.Errorf("reading %s near record %d: %w", j.in.URL(split.Key), c.LinesIn+int64(len(b.ends))+1, err)
			}
			b.data = append(b.data, rec.Data...)
			b.ends = append(b.ends, len(b.data))
			b.lines = append(b.lines, rec.Line)
		}
		if len(b.ends) == 0 && len(b.bad) == 0 {
			return nil, false, nil
		}
		return b, true, nil
	}
	work := func(_ int, b *recBatch) {
		j.cpu <- struct{}{}
		defer func() { <-j.cpu }()
		b.err = proc(ctx, b, j.partitions)
	}
	consume := func(b *recBatch) error {
		if b.err != nil {
			return b.err
		}
		start := 0
		for i, end := range b.outs {
			if err := out.Add(b.parts[i], b.out[start:end]); err != nil {
				return err
			}
			start = end
		}
		for _, row := range b.bad {
			if err := bad.Write(ctx, row, &b.c); err != nil {
				return err
			}
		}
		c.Add(&b.c)
		j.progress.AddEvents(b.c.Good)
		b.reset()
		select {
		case free <- b:
		default:
		}
		return nil
	}
	if err := orderedParallel(ctx, j.cfg.Parallelism, depth, next, work, consume); err != nil {
		return err
	}
	return bad.Close(ctx)
}

// isUncompressed sniffs the first bytes of key for a compression codec.
func isUncompressed(ctx context.Context, s storage.Store, key string) (bool, error) {
	r, err := s.OpenRange(ctx, key, 0, 8)
	if err != nil {
		return false, err
	}
	defer r.Close()
	_, codec, err := collector.Decompress(r)
	if err != nil {
		return false, err
	}
	return codec == collector.CodecNone, nil
}
