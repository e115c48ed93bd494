package dedupe

import (
	"cmp"
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
// (UUIDv4), so MSD radix passes of 8 bits on the top of the id (256 buckets
// keep the scatter cache-friendly) leave buckets of a few keys, finished by
// insertion sort (pdqsort when ids are skewed). The result is the same as a
// comparison sort: the order is total.
func (d *Deduper) sortKeys() {
	n := len(d.keys)
	if n < 256 {
		slices.SortFunc(d.keys, func(a, b sortKey) int { return d.cmpKeys(&a, &b) })
		return
	}
	d.radix(d.keys, d.tmp[:n], 56, 2)
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
		slices.SortFunc(s, func(a, b sortKey) int { return d.cmpKeys(&a, &b) })
		return
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && d.cmpKeys(&s[j], &s[j-1]) < 0; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
