package dedupe

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/s2"

	"github.com/furrowdata/furrow/event"
)

// ErrFinished is returned by Add and Finish after Finish or Close.
var ErrFinished = errors.New("dedupe: deduper already finished")

// Stats counts what a Deduper did. Lines == Emitted + NaturalDuplicates +
// CrossBatchDuplicates always holds after Finish returned nil.
type Stats struct {
	Lines                int64 // lines accepted by Add
	Rejected             int64 // lines Add refused (ErrMalformedLine): the caller's bad rows
	Emitted              int64 // lines passed to emit (synthetic duplicates included)
	NaturalDuplicates    int64 // dropped: same event_id and fingerprint as an emitted line
	CrossBatchDuplicates int64 // dropped: the manifest had them from another batch
	SyntheticDuplicates  int64 // emitted with a new event_id (included in Emitted)
	SpilledRuns          int64 // sorted runs written to disk (merge passes included)
	SpilledBytes         int64 // compressed bytes written to disk
	PeakMemory           int64 // largest accounted in-memory size, bytes
}

// Synthetic marks an emitted line as a synthetic duplicate: its event_id was
// replaced by a derived one, and the shredder must attach the
// com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0 context
// {"originalEventId": OriginalEventID} FIRST among the derived contexts (see
// AppendWithDuplicateContext).
type Synthetic struct {
	OriginalEventID string // canonical lowercase UUID
	NewEventID      string // the event_id the emitted line carries
}

// Deduper deduplicates the events of one partition. Add every line, then
// call Finish once. A Deduper is not safe for concurrent use; run one per
// reduce task. Close releases spill files of a Deduper that is abandoned
// without Finish (Finish always cleans up itself).
//
// Memory: lines are copied into an arena of chunks; each line has a 32-byte
// sort key and a 28-byte descriptor. Everything held (slice capacities
// included) counts against Config.MemoryBudget.
type Deduper struct {
	cfg Config

	keys      []sortKey
	tmp       []sortKey // radix-sort scratch, same capacity as keys
	meta      []lineMeta
	chunks    [][]byte // arena; chunks[cur] is being filled, later ones are spare
	cur       int
	chunkSize int
	held      int64
	sink      uint64 // keeps the loads of touch alive
	marking   bool   // sortKeys marks natural duplicates (sortDedupe)

	dir  string // spill folder, made on first spill
	runs []runFile
	enc  *s2.Writer
	seq  int

	stats Stats
	done  bool
}

// sortKey is what sorting and the common case of Finish touch: the compact
// key and where the line is. Field offsets, needed only for duplicates, are
// in meta.
type sortKey struct {
	hi, lo     uint64 // event_id
	fph        uint64 // xxhash64 of event_fingerprint
	chunk, off uint32 // line = chunks[chunk][off:off+n]
	n, idx     uint32 // line length; index into meta
}

type lineMeta struct {
	fpOff, fpLen   uint32
	etlOff, etlLen uint32
}

const (
	keySize     = 40 // unsafe.Sizeof(sortKey{})
	metaSize    = 16 // unsafe.Sizeof(lineMeta{})
	perLineCost = 2*keySize + metaSize
)

// New returns a Deduper for cfg (defaults applied, then validated).
func New(cfg Config) (*Deduper, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	chunk := cfg.MemoryBudget / 16
	chunk = max(4<<10, min(chunk, 4<<20))
	return &Deduper{cfg: cfg, chunkSize: int(chunk)}, nil
}

// Add copies line (one enriched TSV line without its newline; a trailing
// "\r" is dropped) into the Deduper. A line that cannot be deduplicated
// returns an error wrapping ErrMalformedLine and is not kept: the caller
// writes it as a bad row with the error as the reason. Any other error (a
// spill that could not be written) is fatal for the task.
func (d *Deduper) Add(line []byte) error {
	if d.done {
		return ErrFinished
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > math.MaxUint32/2 {
		d.stats.Rejected++
		return fmt.Errorf("%w: line of %d bytes is too long", ErrMalformedLine, len(line))
	}
	li, err := scanLine(line)
	if err == nil && d.cfg.Manifest != nil && li.etlLen > 0 {
		_, err = parseETL(line[li.etlOff : li.etlOff+li.etlLen])
	}
	if err != nil {
		d.stats.Rejected++
		return err
	}
	if err := d.reserve(len(line)); err != nil {
		return err
	}
	c := d.chunks[d.cur]
	off := len(c)
	d.chunks[d.cur] = append(c, line...)
	d.meta = append(d.meta, lineMeta{fpOff: li.fpOff, fpLen: li.fpLen, etlOff: li.etlOff, etlLen: li.etlLen})
	d.keys = append(d.keys, sortKey{
		hi: li.hi, lo: li.lo,
		fph:   xxhash.Sum64(line[li.fpOff : li.fpOff+li.fpLen]),
		chunk: uint32(d.cur), off: uint32(off), n: uint32(len(line)),
		idx: uint32(len(d.meta) - 1),
	})
	d.stats.Lines++
	return nil
}

func parseETL(b []byte) (t int64, err error) {
	ts, err := event.ParseTimestamp(string(b))
	if err != nil {
		return 0, fmt.Errorf("%w: etl_tstamp: %v", ErrMalformedLine, err)
	}
	return ts.UnixMilli(), nil
}

// reserve makes room for one more line of n bytes, spilling first when
// growing would exceed the budget.
func (d *Deduper) reserve(n int) error {
	if len(d.keys) == cap(d.keys) {
		newCap := max(64, 2*cap(d.keys))
		extra := int64(newCap-cap(d.keys)) * perLineCost
		if d.held+extra > d.cfg.MemoryBudget && len(d.keys) > 0 {
			if err := d.spill(); err != nil {
				return err
			}
		} else {
			d.keys = slices.Grow(d.keys, newCap-len(d.keys))
			d.tmp = make([]sortKey, 0, cap(d.keys))
			d.meta = slices.Grow(d.meta, newCap-len(d.meta))
			d.recount()
		}
	}
	for {
		if d.cur < len(d.chunks) {
			if c := d.chunks[d.cur]; cap(c)-len(c) >= n {
				return nil
			}
		}
		if n <= d.chunkSize && d.cur+1 < len(d.chunks) {
			d.cur++ // a spare chunk kept from before the last spill
			continue
		}
		size := max(n, d.chunkSize)
		if d.held+int64(size) > d.cfg.MemoryBudget && len(d.keys) > 0 {
			if err := d.spill(); err != nil {
				return err
			}
			continue
		}
		// Chunks after cur are empty spares, so inserting shifts no line.
		at := min(d.cur+1, len(d.chunks))
		d.chunks = slices.Insert(d.chunks, at, make([]byte, 0, size))
		d.cur = at
		d.recount()
		return nil
	}
}

// recount recomputes the accounted memory.
func (d *Deduper) recount() {
	h := int64(cap(d.keys)+cap(d.tmp))*keySize + int64(cap(d.meta))*metaSize + int64(cap(d.chunks))*24
	for _, c := range d.chunks {
		h += int64(cap(c))
	}
	d.held = h
	d.stats.PeakMemory = max(d.stats.PeakMemory, h)
}

// line returns the bytes of the line behind k.
func (d *Deduper) line(k *sortKey) []byte {
	return d.chunks[k.chunk][k.off : k.off+k.n : k.off+k.n]
}

func (d *Deduper) rec(k *sortKey) rec {
	m := &d.meta[k.idx]
	return rec{
		hi: k.hi, lo: k.lo, fph: k.fph, line: d.line(k),
		fpOff: m.fpOff, fpLen: m.fpLen, etlOff: m.etlOff, etlLen: m.etlLen,
	}
}

// rec is one line with its dedupe key, as sorted and merged.
type rec struct {
	hi, lo, fph    uint64
	line           []byte
	fpOff, fpLen   uint32
	etlOff, etlLen uint32
}

func (r *rec) fp() []byte  { return r.line[r.fpOff : r.fpOff+r.fpLen] }
func (r *rec) etl() []byte { return r.line[r.etlOff : r.etlOff+r.etlLen] }

// cmpRec is THE order of dedupe: event_id, fingerprint hash, fingerprint,
// etl_tstamp (as text: the canonical layout sorts chronologically), then the
// whole line. It is a total order on line contents, so the sorted sequence —
// and everything derived from it — does not depend on arrival order, nor on
// whether the lines were sorted in memory or merged from spilled runs.
func cmpRec(a, b *rec) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	if a.lo != b.lo {
		return cmp.Compare(a.lo, b.lo)
	}
	if a.fph != b.fph {
		return cmp.Compare(a.fph, b.fph)
	}
	return cmpTail(a, b)
}

func cmpTail(a, b *rec) int {
	if c := bytes.Compare(a.fp(), b.fp()); c != 0 {
		return c
	}
	if c := bytes.Compare(a.etl(), b.etl()); c != 0 {
		return c
	}
	return bytes.Compare(a.line, b.line)
}

// Stats returns the counters so far (final after Finish).
func (d *Deduper) Stats() Stats { return d.stats }

// Finish deduplicates everything added and calls emit for every line kept,
// in a deterministic order (see the package documentation), then releases
// memory and spill files. line is valid only during the call; dup is nil for
// a line emitted unchanged, else it describes the synthetic duplicate (also
// valid only during the call). An emit error stops Finish and is returned
// wrapped. Finish checks ctx between records and passes it to the manifest.
// Finish may be called once; spill files are removed on every path.
func (d *Deduper) Finish(ctx context.Context, emit func(line []byte, dup *Synthetic) error) (Stats, error) {
	if d.done {
		return d.stats, ErrFinished
	}
	d.done = true
	defer d.release(true)

	f := newFinisher(ctx, d, emit)
	if len(d.runs) == 0 {
		d.sortDedupe()
		f.stable = true
		keys := d.keys
		single := d.cfg.Manifest == nil
		for i := range keys {
			if i&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return d.stats, err
				}
			}
			if i&(prefetchBlock-1) == 0 {
				d.prefetchGroups(i, min(i+prefetchBlock, len(keys)), single)
			}
			k := &keys[i]
			// Fast path: an event_id seen once, no manifest. Only the key
			// is touched, never the field offsets.
			if single && (i == 0 || !sameID(&keys[i-1], k)) && (i+1 == len(keys) || !sameID(&keys[i+1], k)) {
				if err := f.emitUnique(d.line(k)); err != nil {
					return d.stats, err
				}
				continue
			}
			r := d.rec(k)
			if err := f.push(&r); err != nil {
				return d.stats, err
			}
		}
	} else {
		if len(d.keys) > 0 {
			if err := d.spill(); err != nil {
				return d.stats, err
			}
		}
		// The arena is not needed any more: give its memory to the merge.
		d.freeMemory()
		if err := d.merge(ctx, f); err != nil {
			return d.stats, err
		}
	}
	if err := f.end(); err != nil {
		return d.stats, err
	}
	if got := d.stats.Emitted + d.stats.NaturalDuplicates + d.stats.CrossBatchDuplicates; got != d.stats.Lines {
		panic(fmt.Sprintf("dedupe: %d lines in, %d emitted + %d natural + %d cross-batch duplicates",
			d.stats.Lines, d.stats.Emitted, d.stats.NaturalDuplicates, d.stats.CrossBatchDuplicates))
	}
	return d.stats, nil
}

// prefetchBlock is how many keys Finish looks ahead with prefetchGroups.
const prefetchBlock = 64

// prefetchGroups loads the field offsets and lines that Finish is about to
// read for keys[i:j] — those of event_id groups, or all with a manifest —
// so that their cache misses overlap (see touch).
func (d *Deduper) prefetchGroups(i, j int, single bool) {
	keys := d.keys
	var sink uint64
	var grouped [prefetchBlock]bool
	for x := i; x < j; x++ {
		k := &keys[x]
		if !single || (x > 0 && sameID(&keys[x-1], k)) || (x+1 < len(keys) && sameID(&keys[x+1], k)) {
			grouped[x-i] = true
			sink += uint64(d.meta[k.idx].fpLen)
		}
	}
	for x := i; x < j; x++ {
		if grouped[x-i] {
			sink += touch(d.line(&keys[x]))
		}
	}
	d.sink += sink
}

func sameID(a, b *sortKey) bool { return a.hi == b.hi && a.lo == b.lo }

// Reset makes the Deduper ready for another partition with the same Config:
// it discards everything added, removes spill files, zeroes Stats and keeps
// its in-memory buffers for reuse, which spares a worker that processes
// partitions one after another the allocation and page faults of a fresh
// arena.
func (d *Deduper) Reset() error {
	err := d.release(true)
	d.keys, d.tmp, d.meta = d.keys[:0], d.tmp[:0], d.meta[:0]
	d.resetArena()
	d.stats = Stats{}
	d.done = false
	d.recount()
	return err
}

// Close releases memory and removes spill files. It is safe after Finish and
// more than once; Add and Finish fail afterwards (until Reset).
func (d *Deduper) Close() error {
	d.done = true
	return d.release(false)
}

// resetArena empties the arena, keeping regular chunks as spares.
func (d *Deduper) resetArena() {
	kept := d.chunks[:0]
	for _, c := range d.chunks {
		if cap(c) == d.chunkSize {
			kept = append(kept, c[:0])
		}
	}
	clear(d.chunks[len(kept):])
	d.chunks = kept
	d.cur = 0
}

func (d *Deduper) freeMemory() {
	d.keys, d.tmp, d.meta, d.chunks = nil, nil, nil, nil
	d.cur = 0
	d.recount()
}

// release removes spill files and, unless keepMemory, frees the buffers.
func (d *Deduper) release(keepMemory bool) error {
	if !keepMemory {
		d.freeMemory()
	}
	if d.enc != nil {
		_ = d.enc.Close()
		d.enc = nil
	}
	d.runs = nil
	if d.dir == "" {
		return nil
	}
	err := os.RemoveAll(d.dir)
	d.dir = ""
	if err != nil {
		return fmt.Errorf("removing spill folder: %w", err)
	}
	return nil
}

func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
