package dedupe

import (
	"bytes"
	"cmp"
	"slices"
)

// cmpKeys orders two in-memory lines exactly as cmpRec orders records.
func (d *Deduper) cmpKeys(a, b *sortKey) int {
	if c := cmpKey(a, b); c != 0 {
		return c
	}
	ra, rb := d.rec(a), d.rec(b)
	return cmpTail(&ra, &rb)
}

// cmpKey orders by the compact key alone: event_id, fingerprint hash.
func cmpKey(a, b *sortKey) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	if a.lo != b.lo {
		return cmp.Compare(a.lo, b.lo)
	}
	return cmp.Compare(a.fph, b.fph)
}

func sameKey(a, b *sortKey) bool { return a.hi == b.hi && a.lo == b.lo && a.fph == b.fph }

// sortDedupe sorts the in-memory lines (sortKeys) and drops their natural
// duplicates.
func (d *Deduper) sortDedupe() {
	d.marking = true
	d.sortKeys()
	d.marking = false
	d.dropNatural()
}

// sortKeys orders the in-memory lines by cmpRec in two steps. First by the
// compact key alone, which never touches the lines: event ids are random
// (UUIDv4), so MSD radix passes of 8 bits on the top of the id (256 buckets
// keep the scatter cache-friendly) leave buckets of a few keys, finished by
// insertion sort (pdqsort when ids are skewed). Then each run of equal keys
// (natural duplicates, events without a fingerprint, hash collisions) is
// ordered by cmpTail, reading its lines once or a few times: a run of
// identical copies costs one comparison per copy, whatever its length. The
// result is the same as a comparison sort by cmpRec: the order is total.
func (d *Deduper) sortKeys() {
	n := len(d.keys)
	if n < 256 {
		slices.SortFunc(d.keys, func(a, b sortKey) int { return cmpKey(&a, &b) })
	} else {
		d.radix(d.keys, d.tmp[:n], 56, 2)
	}
	// Runs are sorted in batches: their keys' field offsets and lines,
	// scattered over the arena, are first all loaded (independent cache
	// misses, which the CPU overlaps) and then compared while hot.
	keys := d.keys
	var runs [runBatch][2]int32
	nr := 0
	for i := 0; i+1 < len(keys); {
		if !sameKey(&keys[i], &keys[i+1]) {
			i++
			continue
		}
		j := i + 2
		for j < len(keys) && sameKey(&keys[i], &keys[j]) {
			j++
		}
		runs[nr] = [2]int32{int32(i), int32(j)}
		if nr++; nr == runBatch {
			d.sortRuns(runs[:nr])
			nr = 0
		}
		i = j
	}
	d.sortRuns(runs[:nr])
}

// runBatch is how many runs of equal keys sortKeys loads at once.
const runBatch = 16

// sortRuns sorts runs of keys (index ranges) with sortRun after touching
// their lines.
func (d *Deduper) sortRuns(runs [][2]int32) {
	var sink uint64
	for _, r := range runs {
		for i := r[0]; i < r[1]; i++ {
			sink += uint64(d.meta[d.keys[i].idx].fpLen)
		}
	}
	for _, r := range runs {
		for i := r[0]; i < r[1]; i++ {
			sink += touch(d.line(&d.keys[i]))
		}
	}
	d.sink += sink
	for _, r := range runs {
		run := d.keys[r[0]:r[1]]
		d.sortRun(run)
		if d.marking {
			d.markNatural(run)
		}
	}
}

// dropped marks (as sortKey.idx) a natural duplicate for dropNatural.
const dropped = ^uint32(0)

// markNatural marks the natural duplicates in a sorted run of equal keys:
// of lines with the same fingerprint (not empty), the first in cmpRec order
// (earliest etl_tstamp, then smallest line) stays.
func (d *Deduper) markNatural(run []sortKey) {
	kept := &run[0]
	for i := 1; i < len(run); i++ {
		k := &run[i]
		m, km := &d.meta[k.idx], &d.meta[kept.idx]
		if m.fpLen > 0 && bytes.Equal(d.line(k)[m.fpOff:m.fpOff+m.fpLen], d.line(kept)[km.fpOff:km.fpOff+km.fpLen]) {
			k.idx = dropped
			continue
		}
		kept = k
	}
}

// touch loads one byte of every cache line of (the first 4 KiB of) b, so
// that the misses of several lines overlap before b is read for real.
func touch(b []byte) uint64 {
	var s uint64
	b = b[:min(len(b), 4096)]
	for p := 0; p < len(b); p += 64 {
		s += uint64(b[p])
	}
	return s
}

// sortRun orders lines with equal compact keys by cmpTail.
func (d *Deduper) sortRun(s []sortKey) {
	if len(s) > 12 {
		// Identical copies are the common long run: check for that first
		// (one comparison per copy), else sort.
		if !slices.IsSortedFunc(s, func(a, b sortKey) int { return d.cmpKeys(&a, &b) }) {
			slices.SortStableFunc(s, func(a, b sortKey) int { return d.cmpKeys(&a, &b) })
		}
		return
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && d.cmpKeys(&s[j], &s[j-1]) < 0; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// dropNatural removes the natural duplicates sortKeys marked (the lines'
// bytes stay in the arena until it is reset) and counts them.
func (d *Deduper) dropNatural() {
	keys := d.keys
	w := 0
	for i := range keys {
		if keys[i].idx == dropped {
			continue
		}
		if w != i {
			keys[w] = keys[i]
		}
		w++
	}
	d.stats.NaturalDuplicates += int64(len(keys) - w)
	d.keys = keys[:w]
}

// radix sorts keys by the 8 bits of hi at shift, through tmp (same length),
// leaving the result in keys; depth more passes are allowed below.
func (d *Deduper) radix(keys, tmp []sortKey, shift uint, depth int) {
	var counts [257]int
	for i := range keys {
		counts[keys[i].hi>>shift&0xff+1]++
	}
	for i := 1; i <= 256; i++ {
		counts[i] += counts[i-1]
	}
	next := counts
	for i := range keys {
		b := keys[i].hi >> shift & 0xff
		tmp[next[b]] = keys[i]
		next[b]++
	}
	for b := 0; b < 256; b++ {
		lo, hi := counts[b], counts[b+1]
		switch size := hi - lo; {
		case size == 1:
			keys[lo] = tmp[lo]
		case size > 64 && depth > 1:
			// tmp[lo:hi] is the input of the next pass, keys[lo:hi] its output.
			d.radix2(tmp[lo:hi], keys[lo:hi], shift-8, depth-1)
		case size > 1:
			d.sortBucket(tmp[lo:hi])
			copy(keys[lo:hi], tmp[lo:hi])
		}
	}
}

// radix2 is radix with the roles of the buffers swapped: it sorts src into
// dst.
func (d *Deduper) radix2(src, dst []sortKey, shift uint, depth int) {
	var counts [257]int
	for i := range src {
		counts[src[i].hi>>shift&0xff+1]++
	}
	for i := 1; i <= 256; i++ {
		counts[i] += counts[i-1]
	}
	next := counts
	for i := range src {
		b := src[i].hi >> shift & 0xff
		dst[next[b]] = src[i]
		next[b]++
	}
	for b := 0; b < 256; b++ {
		if lo, hi := counts[b], counts[b+1]; hi-lo > 1 {
			d.sortBucket(dst[lo:hi])
		}
	}
}

func (d *Deduper) sortBucket(s []sortKey) {
	if len(s) > 24 {
		slices.SortFunc(s, func(a, b sortKey) int { return cmpKey(&a, &b) })
		return
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && cmpKey(&s[j], &s[j-1]) < 0; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
