package dedupe

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/furrowdata/furrow/event"
)

// SyntheticNamespace is the UUIDv5 namespace of derived synthetic-duplicate
// ids: uuid.NewSHA1(uuid.NameSpaceURL,
// "https://github.com/furrowdata/furrow/dedupe#synthetic-duplicate").
const SyntheticNamespace = "9033630c-fc49-5f5a-8288-08a940fbea36"

// syntheticNamespace is SyntheticNamespace parsed (a constant value).
var syntheticNamespace = uuid.MustParse(SyntheticNamespace)

// SyntheticEventID derives the new event_id of a synthetic duplicate:
// UUIDv5(SyntheticNamespace, originalEventID + "/" + fingerprint), with the
// original id in canonical lowercase form. Fingerprints are distinct within
// a group of synthetic duplicates (natural duplicates were collapsed first),
// so the new ids are too.
func SyntheticEventID(originalEventID, fingerprint string) string {
	var buf []byte
	return string(appendUUIDv5(nil, &buf, originalEventID, "/", []byte(fingerprint)))
}

// appendUUIDv5 appends UUIDv5(SyntheticNamespace, id+sep+rest+more...) in
// canonical form to dst; *buf is reusable scratch space for the name.
func appendUUIDv5(dst []byte, buf *[]byte, id, sep string, rest []byte, more ...[]byte) []byte {
	b := append((*buf)[:0], syntheticNamespace[:]...)
	b = append(b, id...)
	b = append(b, sep...)
	b = append(b, rest...)
	for _, m := range more {
		b = append(b, m...)
	}
	*buf = b
	sum := sha1.Sum(b)
	sum[6] = sum[6]&0x0f | 0x50 // version 5
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	return appendUUID(dst, binary.BigEndian.Uint64(sum[0:8]), binary.BigEndian.Uint64(sum[8:16]))
}

// finisher turns the sorted record stream into emitted lines: natural
// dedupe within (event_id, fingerprint) runs, the manifest check in
// batches, then synthetic-duplicate handling per event_id group.
type finisher struct {
	ctx  context.Context
	d    *Deduper
	emit func([]byte, *Synthetic) error

	stable bool // records stay valid after push returns (in-memory path)

	inGroup bool
	ghi     uint64
	glo     uint64

	pend   []pending // survivors of natural dedupe, in order
	groups []int     // end index in pend of each complete group
	items  []Item
	keep   []bool
	copies [][]byte // line copies for unstable records
	copied int

	scratch []byte
	idBuf   []byte
	nameBuf []byte
	syn     Synthetic
}

type pending struct {
	r    rec
	item int // index in items, -1 when not checked
}

func newFinisher(ctx context.Context, d *Deduper, emit func([]byte, *Synthetic) error) *finisher {
	return &finisher{ctx: ctx, d: d, emit: emit}
}

// windowBytes bounds the line copies held while waiting for the manifest.
func (f *finisher) windowBytes() int {
	return int(max(1<<20, f.d.cfg.MemoryBudget/8))
}

// push takes the next record in cmpRec order.
func (f *finisher) push(r *rec) error {
	if f.inGroup && r.hi == f.ghi && r.lo == f.glo {
		last := &f.pend[len(f.pend)-1].r // this group's last survivor
		if r.fph == last.fph && r.fpLen > 0 && bytes.Equal(r.fp(), last.fp()) {
			f.d.stats.NaturalDuplicates++
			return nil
		}
	} else {
		if err := f.endGroup(); err != nil {
			return err
		}
		f.inGroup, f.ghi, f.glo = true, r.hi, r.lo
	}
	p := pending{r: *r, item: -1}
	if !f.stable {
		p.r.line = f.copy(r.line)
	}
	if f.d.cfg.Manifest != nil && r.fpLen > 0 {
		it, err := f.item(&p.r)
		if err != nil {
			return err
		}
		p.item = len(f.items)
		f.items = append(f.items, it)
	}
	f.pend = append(f.pend, p)
	return nil
}

func (f *finisher) item(r *rec) (Item, error) {
	t := f.d.cfg.ETLTime
	if r.etlLen > 0 {
		ms, err := parseETL(r.etl())
		if err != nil {
			return Item{}, err // Add validated it: only a corrupt run gets here
		}
		t = timeFromMillis(ms)
	}
	f.idBuf = appendUUID(f.idBuf[:0], r.hi, r.lo)
	return Item{EventID: string(f.idBuf), Fingerprint: string(r.fp()), ETLTime: t}, nil
}

// copy keeps b in chunked storage that is never reallocated.
func (f *finisher) copy(b []byte) []byte {
	n := len(f.copies)
	if n == 0 || cap(f.copies[n-1])-len(f.copies[n-1]) < len(b) {
		f.copies = append(f.copies, make([]byte, 0, max(64<<10, len(b))))
		n++
	}
	c := f.copies[n-1]
	start := len(c)
	c = append(c, b...)
	f.copies[n-1] = c
	f.copied += len(b)
	return c[start:len(c):len(c)]
}

// emitUnique emits a line whose event_id no other line has (no manifest):
// it closes (and so flushes) the group before it first.
func (f *finisher) emitUnique(line []byte) error {
	if err := f.endGroup(); err != nil {
		return err
	}
	f.d.stats.Emitted++
	if err := f.emit(line, nil); err != nil {
		return fmt.Errorf("emitting: %w", err)
	}
	return nil
}

// endGroup closes the current event_id group and flushes when due.
func (f *finisher) endGroup() error {
	if !f.inGroup {
		return nil
	}
	f.inGroup = false
	f.groups = append(f.groups, len(f.pend))
	if f.d.cfg.Manifest == nil || len(f.items) >= f.d.cfg.ManifestBatch || f.copied >= f.windowBytes() {
		return f.flush()
	}
	return nil
}

// end flushes everything after the last record.
func (f *finisher) end() error {
	if err := f.endGroup(); err != nil {
		return err
	}
	return f.flush()
}

// flush asks the manifest about the pending items, then emits the groups.
func (f *finisher) flush() error {
	if len(f.items) > 0 {
		f.keep = append(f.keep[:0], make([]bool, len(f.items))...)
		if err := f.d.cfg.Manifest.Check(f.ctx, f.items, f.keep); err != nil {
			return fmt.Errorf("checking %d events against the cross-batch manifest: %w", len(f.items), err)
		}
	}
	start := 0
	for _, end := range f.groups {
		if err := f.emitGroup(f.pend[start:end]); err != nil {
			return err
		}
		start = end
	}
	clear(f.pend)
	f.pend, f.groups, f.items = f.pend[:0], f.groups[:0], f.items[:0]
	if len(f.copies) > 0 {
		first := f.copies[0][:0]
		clear(f.copies)
		f.copies = append(f.copies[:0], first)
	}
	f.copied = 0
	return nil
}

// emitGroup emits the survivors of one event_id group: unchanged when one
// is left after the manifest, as synthetic duplicates when several are.
func (f *finisher) emitGroup(g []pending) error {
	kept := 0
	for i := range g {
		if g[i].item < 0 || f.keep[g[i].item] {
			kept++
		} else {
			g[i].r.line = nil // dropped by the manifest
		}
	}
	f.d.stats.CrossBatchDuplicates += int64(len(g) - kept)
	if kept == 0 {
		return nil
	}
	if kept == 1 {
		for i := range g {
			if g[i].r.line != nil {
				f.d.stats.Emitted++
				if err := f.emit(g[i].r.line, nil); err != nil {
					return fmt.Errorf("emitting: %w", err)
				}
			}
		}
		return nil
	}
	f.idBuf = appendUUID(f.idBuf[:0], g[0].r.hi, g[0].r.lo)
	orig := string(f.idBuf)
	var prevNoFP []byte
	ordinal := 0
	for i := range g {
		r := &g[i].r
		if r.line == nil {
			continue
		}
		if r.fpLen > 0 {
			f.idBuf = appendUUIDv5(f.idBuf[:0], &f.nameBuf, orig, "/", r.fp())
		} else {
			// No fingerprint: UUIDv5(namespace, id + "//" + line + "/" +
			// ordinal), where ordinal counts earlier byte-identical lines of
			// the group (RDB Shredder never merged fingerprint-less events,
			// so identical copies all survive and need distinct ids).
			if prevNoFP != nil && bytes.Equal(prevNoFP, r.line) {
				ordinal++
			} else {
				ordinal = 0
			}
			prevNoFP = r.line
			var ord [20]byte
			f.idBuf = appendUUIDv5(f.idBuf[:0], &f.nameBuf, orig, "//", r.line, []byte{'/'}, strconv.AppendInt(ord[:0], int64(ordinal), 10))
		}
		var err error
		f.scratch, err = ReplaceField(f.scratch[:0], r.line, event.EventID, f.idBuf)
		if err != nil {
			return err // cannot happen: scanLine found the field
		}
		f.syn = Synthetic{OriginalEventID: orig, NewEventID: string(f.idBuf)}
		f.d.stats.Emitted++
		f.d.stats.SyntheticDuplicates++
		if err := f.emit(f.scratch, &f.syn); err != nil {
			return fmt.Errorf("emitting: %w", err)
		}
	}
	return nil
}
