package dedupe

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/s2"
)

// Spill runs: an S2 stream (klauspost/compress/s2: blocks of 128 KiB, each
// with the CRC-32C of its content) of records in cmpRec order. S2 encodes
// and decodes several times faster than zstd's fastest level, at a lower
// ratio; spill runs are private and short-lived, so time matters more than
// disk. A record is
//
//	hi, lo, fph        3 × uint64 big-endian
//	len(line), fpOff, fpLen, etlOff, etlLen   5 × uvarint
//	line               len(line) bytes
const (
	spillBlock    = 128 << 10
	readerBuf     = 64 << 10
	perReaderCost = 3*spillBlock + readerBuf // compressed + decoded block, buffer, rounded up
)

type runFile struct {
	path    string
	records int64
}

func (d *Deduper) encoder(w io.Writer) *s2.Writer {
	if d.enc == nil {
		d.enc = s2.NewWriter(w, s2.WriterConcurrency(1), s2.WriterBlockSize(spillBlock))
	} else {
		d.enc.Reset(w)
	}
	return d.enc
}

// newRun creates the next run file (and the spill folder on first use).
func (d *Deduper) newRun() (*os.File, string, error) {
	if d.dir == "" {
		dir, err := os.MkdirTemp(d.cfg.SpillDir, "furrow-dedupe-")
		if err != nil {
			return nil, "", fmt.Errorf("creating spill folder: %w", err)
		}
		d.dir = dir
	}
	d.seq++
	path := filepath.Join(d.dir, fmt.Sprintf("run-%06d.zst", d.seq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("creating spill run: %w", err)
	}
	return f, path, nil
}

// runWriter writes one run.
type runWriter struct {
	f    *os.File
	path string
	bw   *bufio.Writer
	enc  *s2.Writer
	hdr  [24 + 5*binary.MaxVarintLen64]byte
	n    int64
}

func (d *Deduper) createRun() (*runWriter, error) {
	f, path, err := d.newRun()
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, readerBuf)
	enc := d.encoder(bw)
	return &runWriter{f: f, path: path, bw: bw, enc: enc}, nil
}

func (w *runWriter) write(r *rec) error {
	h := w.hdr[:24]
	binary.BigEndian.PutUint64(h[0:], r.hi)
	binary.BigEndian.PutUint64(h[8:], r.lo)
	binary.BigEndian.PutUint64(h[16:], r.fph)
	h = binary.AppendUvarint(h, uint64(len(r.line)))
	h = binary.AppendUvarint(h, uint64(r.fpOff))
	h = binary.AppendUvarint(h, uint64(r.fpLen))
	h = binary.AppendUvarint(h, uint64(r.etlOff))
	h = binary.AppendUvarint(h, uint64(r.etlLen))
	if _, err := w.enc.Write(h); err != nil {
		return fmt.Errorf("writing spill run %s: %w", w.path, err)
	}
	if _, err := w.enc.Write(r.line); err != nil {
		return fmt.Errorf("writing spill run %s: %w", w.path, err)
	}
	w.n++
	return nil
}

// finish flushes and closes the run, returning its compressed size.
func (w *runWriter) finish() (int64, error) {
	err := w.enc.Close()
	if err == nil {
		err = w.bw.Flush()
	}
	var size int64
	if err == nil {
		var fi os.FileInfo
		if fi, err = w.f.Stat(); err == nil {
			size = fi.Size()
		}
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("writing spill run %s: %w", w.path, err)
	}
	return size, nil
}

// abort closes and removes a half-written run.
func (w *runWriter) abort() {
	_ = w.enc.Close()
	_ = w.f.Close()
	_ = os.Remove(w.path)
}

// spill sorts the in-memory lines, writes them as one run and empties the
// arena (keeping its regular chunks for reuse).
func (d *Deduper) spill() error {
	d.sortDedupe()
	w, err := d.createRun()
	if err != nil {
		return err
	}
	for i := range d.keys {
		r := d.rec(&d.keys[i])
		if err := w.write(&r); err != nil {
			w.abort()
			return err
		}
	}
	size, err := w.finish()
	if err != nil {
		_ = os.Remove(w.path)
		return err
	}
	d.runs = append(d.runs, runFile{path: w.path, records: w.n})
	d.stats.SpilledRuns++
	d.stats.SpilledBytes += size
	d.cfg.Logger.Debug("dedupe spilled a run", "path", w.path, "records", w.n, "bytes", size, "held", d.held)

	d.keys, d.meta = d.keys[:0], d.meta[:0]
	d.resetArena()
	d.recount()
	return nil
}

// runReader streams the records of one run.
type runReader struct {
	path string
	f    *os.File
	dec  *s2.Reader
	br   *bufio.Reader
	cur  rec
	buf  []byte
	hdr  [24]byte
}

func openRun(path string) (*runReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening spill run: %w", err)
	}
	dec := s2.NewReader(f, s2.ReaderMaxBlockSize(spillBlock))
	return &runReader{path: path, f: f, dec: dec, br: bufio.NewReaderSize(dec, readerBuf)}, nil
}

func (r *runReader) close() {
	_ = r.f.Close()
}

// next reads the next record into r.cur; false at the end of the run.
func (r *runReader) next() (bool, error) {
	h := r.hdr[:]
	if _, err := io.ReadFull(r.br, h); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, r.corrupt(err)
	}
	var v [5]uint64
	for i := range v {
		x, err := binary.ReadUvarint(r.br)
		if err != nil {
			return false, r.corrupt(err)
		}
		v[i] = x
	}
	n := v[0]
	if n > 1<<31 || v[1]+v[2] > n || v[3]+v[4] > n {
		return false, r.corrupt(errors.New("bad record header"))
	}
	if uint64(cap(r.buf)) < n {
		r.buf = make([]byte, n, max(n, 2*uint64(cap(r.buf))))
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return false, r.corrupt(err)
	}
	r.cur = rec{
		hi: binary.BigEndian.Uint64(h[0:]), lo: binary.BigEndian.Uint64(h[8:]), fph: binary.BigEndian.Uint64(h[16:]),
		line:  r.buf,
		fpOff: uint32(v[1]), fpLen: uint32(v[2]), etlOff: uint32(v[3]), etlLen: uint32(v[4]),
	}
	return true, nil
}

func (r *runReader) corrupt(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading spill run %s: %w", r.path, err)
}

// mergeHeap orders open runs by their current record.
type mergeHeap []*runReader

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return cmpRec(&h[i].cur, &h[j].cur) < 0 }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// fanIn is how many runs one merge pass opens.
func (d *Deduper) fanIn() int {
	n := int(d.cfg.MemoryBudget / perReaderCost)
	return max(2, min(n, d.cfg.MaxMergeFanIn))
}

// mergeRuns k-way merges runs, calling fn for every record in cmpRec order.
// The record is valid only during the call.
func mergeRuns(ctx context.Context, runs []runFile, fn func(*rec) error) (err error) {
	h := make(mergeHeap, 0, len(runs))
	defer func() {
		for _, r := range h {
			r.close()
		}
	}()
	for _, rf := range runs {
		r, err := openRun(rf.path)
		if err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil || !ok {
			r.close()
			if err != nil {
				return err
			}
			continue
		}
		h = append(h, r)
	}
	heap.Init(&h)
	for n := 0; len(h) > 0; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		top := h[0]
		if err := fn(&top.cur); err != nil {
			return err
		}
		ok, err := top.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
			top.close()
		}
	}
	return nil
}

// merge reduces the runs to at most fanIn with intermediate passes, then
// streams the final merge into f.
func (d *Deduper) merge(ctx context.Context, f *finisher) error {
	fan := d.fanIn()
	for len(d.runs) > fan {
		group := d.runs[:fan]
		w, err := d.createRun()
		if err != nil {
			return err
		}
		if err := mergeRuns(ctx, group, w.write); err != nil {
			w.abort()
			return err
		}
		size, err := w.finish()
		if err != nil {
			return err
		}
		for _, rf := range group {
			_ = os.Remove(rf.path)
		}
		d.runs = append(d.runs[fan:], runFile{path: w.path, records: w.n})
		d.stats.SpilledRuns++
		d.stats.SpilledBytes += size
		d.cfg.Logger.Debug("dedupe merged runs", "runs", fan, "path", w.path, "records", w.n, "bytes", size)
	}
	f.stable = false
	return mergeRuns(ctx, d.runs, f.push)
}
