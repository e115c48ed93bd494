package dedupe

import (
	"cmp"
	"math/bits"
	"slices"
)

// cmpKeys orders two in-memory lines exactly as cmpRec orders records.
func (d *Deduper) cmpKeys(a, b *sortKey) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	if a.lo != b.lo {
		return cmp.Compare(a.lo, b.lo)
	}
	if a.fph != b.fph {
		return cmp.Compare(a.fph, b.fph)
	}
	ra, rb := d.rec(a), d.rec(b)
	return cmpTail(&ra, &rb)
}

// sortKeys orders the in-memory lines by cmpRec. Event ids are random
// (UUIDv4), so one MSD radix pass on the top bits of the id spreads the keys
// into buckets of a few entries, each finished by insertion sort (or by
// pdqsort when ids are skewed). The result is the same as a comparison sort:
// the order is total.
func (d *Deduper) sortKeys() {
	n := len(d.keys)
	if n < 512 {
		slices.SortFunc(d.keys, func(a, b sortKey) int { return d.cmpKeys(&a, &b) })
		return
	}
	nb := min(16, max(8, bits.Len(uint(n))-2))
	shift := 64 - nb
	buckets := 1 << nb
	if cap(d.counts) < buckets+1 {
		d.counts = make([]int32, buckets+1)
		d.recount()
	}
	counts := d.counts[:buckets+1]
	clear(counts)
	for i := range d.keys {
		counts[d.keys[i].hi>>shift+1]++
	}
	for i := 1; i <= buckets; i++ {
		counts[i] += counts[i-1]
	}
	tmp := d.tmp[:n]
	for i := range d.keys {
		b := d.keys[i].hi >> shift
		tmp[counts[b]] = d.keys[i]
		counts[b]++
	}
	// counts[b] is now the end of bucket b (and the start of b+1).
	start := int32(0)
	for b := 0; b < buckets; b++ {
		end := counts[b]
		if end-start > 1 {
			d.sortBucket(tmp[start:end])
		}
		start = end
	}
	d.keys, d.tmp = tmp, d.keys[:0]
}

func (d *Deduper) sortBucket(s []sortKey) {
	if len(s) > 24 {
		slices.SortFunc(s, func(a, b sortKey) int { return d.cmpKeys(&a, &b) })
		return
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && d.cmpKeys(&s[j], &s[j-1]) < 0; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
