package uamatch

import "math/bits"

// hasOut flags a transition into a state that has outputs.
const hasOut = 1 << 31

// Set is a compiled set of needles (byte strings). Scan reports, in one pass
// over a text, which needles occur in it as substrings. A Set is immutable
// and safe for concurrent use.
type Set struct {
	classes  [256]uint8 // input byte → byte class
	nclass   uint32
	trans    []uint32 // state*nclass + class → next state*nclass | hasOut
	outStart []uint32 // outputs of state s: outs[outStart[s]:outStart[s+1]]
	outs     []uint32 // needle indexes
	always   []uint32 // needles that are empty: present in every text
	n        int
}

// NewSet compiles needles. The index of a needle in the slice is its id in
// Scan's bitset; duplicates are allowed and each id is reported. When
// foldASCII is true, ASCII letters of needles and of scanned texts compare
// case-insensitively (only A-Z/a-z: no Unicode folding).
func NewSet(needles []string, foldASCII bool) *Set {
	s := &Set{n: len(needles)}
	// Byte classes: one per distinct (folded) byte used by a needle, class 0
	// for every other byte.
	norm := func(c byte) byte {
		if foldASCII && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	var used [256]bool
	for _, nd := range needles {
		for i := 0; i < len(nd); i++ {
			used[norm(nd[i])] = true
		}
	}
	next := uint8(1)
	var classOf [256]uint8
	for c := 0; c < 256; c++ {
		if used[c] {
			classOf[c] = next
			next++
		}
	}
	for c := 0; c < 256; c++ {
		s.classes[c] = classOf[norm(byte(c))]
	}
	s.nclass = uint32(next)

	// Trie.
	nc := s.nclass
	// A trie has at most one state per needle byte, plus the root: room
	// for all of them up front saves growing a table of megabytes.
	maxStates := 1
	for _, nd := range needles {
		maxStates += len(nd)
	}
	trie := make([]uint32, nc, maxStates*int(nc)) // goto function, 0 = none (root is never a target)
	own := make([][]uint32, 1, maxStates)
	for id, nd := range needles {
		if nd == "" {
			s.always = append(s.always, uint32(id))
			continue
		}
		st := uint32(0)
		for i := 0; i < len(nd); i++ {
			c := uint32(s.classes[nd[i]])
			nx := trie[st*nc+c]
			if nx == 0 {
				nx = uint32(len(own))
				own = append(own, nil)
				trie = trie[:len(trie)+int(nc)] // zero: fresh memory
				trie[st*nc+c] = nx
			}
			st = nx
		}
		own[st] = append(own[st], uint32(id))
	}
	nstates := uint32(len(own))

	// Breadth-first failure links, completing the goto function into a DFA
	// and merging each state's outputs with its failure state's.
	fail := make([]uint32, nstates)
	outs := make([][]uint32, nstates)
	queue := make([]uint32, 0, nstates)
	for c := uint32(0); c < nc; c++ {
		if nx := trie[c]; nx != 0 {
			queue = append(queue, nx)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		st := queue[qi]
		outs[st] = append(append([]uint32(nil), own[st]...), outs[fail[st]]...)
		for c := uint32(0); c < nc; c++ {
			nx := trie[st*nc+c]
			if nx == 0 {
				trie[st*nc+c] = trie[fail[st]*nc+c]
				continue
			}
			fail[nx] = trie[fail[st]*nc+c]
			queue = append(queue, nx)
		}
	}
	// Premultiply the states (an entry is next*nclass) and flag the
	// entries leading to a state with outputs, so Scan does one load, one
	// add and one test per byte (a 16-bit table of state numbers is half
	// the size but its multiply sits in the dependency chain: slower).
	if uint64(nstates)*uint64(nc) >= hasOut {
		panic("uamatch: needle set too large") // millions of needle bytes: a broken invariant of the callers
	}
	for i, nx := range trie {
		v := nx * nc
		if len(outs[nx]) > 0 {
			v |= hasOut
		}
		trie[i] = v
	}
	s.trans = append([]uint32(nil), trie...) // without the unused room
	s.outStart = make([]uint32, nstates+1)
	for st := uint32(0); st < nstates; st++ {
		s.outStart[st] = uint32(len(s.outs))
		s.outs = append(s.outs, outs[st]...)
	}
	s.outStart[nstates] = uint32(len(s.outs))
	return s
}

// Len is the number of needles.
func (s *Set) Len() int { return s.n }

// Words is the length of the bitset Scan needs: one bit per needle.
func (s *Set) Words() int { return (s.n + 63) / 64 }

// Scan sets bit i of seen (seen[i/64] & 1<<(i%64)) for every needle i that
// occurs in text. seen must have at least Words() elements; bits are only
// ever set, so the caller clears it between texts.
func (s *Set) Scan(text string, seen []uint64) {
	if s.n == 0 {
		return
	}
	_ = seen[s.Words()-1]
	for _, id := range s.always {
		seen[id>>6] |= 1 << (id & 63)
	}
	classes, nc := &s.classes, s.nclass
	trans := s.trans
	st := uint32(0)
	for i := 0; i < len(text); i++ {
		st = trans[st+uint32(classes[text[i]])]
		if st&hasOut != 0 {
			st &^= hasOut
			n := st / nc
			for _, id := range s.outs[s.outStart[n]:s.outStart[n+1]] {
				seen[id>>6] |= 1 << (id & 63)
			}
		}
	}
}

// Has reports whether bit id is set in seen.
func Has(seen []uint64, id uint32) bool { return seen[id>>6]&(1<<(id&63)) != 0 }

// Count is the number of bits set in seen.
func Count(seen []uint64) int {
	n := 0
	for _, w := range seen {
		n += bits.OnesCount64(w)
	}
	return n
}
