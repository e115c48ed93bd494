package shred

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// poolAllocator is a memory.Allocator that keeps the buffers Arrow releases
// (by power-of-two size class) and hands them out again, so that the
// builders of one writer reuse the same memory batch after batch instead of
// allocating (and the GC collecting) ~all of a record batch every time.
// Buffers are zeroed before reuse, as Go-allocated ones are. It holds at most
// maxHeld idle bytes; Close returns every idle buffer to the parent, so a
// checked parent allocator ends at zero once all arrays are released.
type poolAllocator struct {
	parent  memory.Allocator
	maxHeld int

	mu   sync.Mutex
	free [48][][]byte
	held int
}

const minPoolClass = 6 // 64 bytes, Arrow's alignment

func newPoolAllocator(parent memory.Allocator, maxHeld int) *poolAllocator {
	return &poolAllocator{parent: parent, maxHeld: maxHeld}
}

func sizeClass(n int) int {
	if n <= 1<<minPoolClass {
		return minPoolClass
	}
	return bits.Len(uint(n - 1))
}

// Allocate returns a zeroed buffer of size bytes whose capacity is its size
// class.
func (p *poolAllocator) Allocate(size int) []byte {
	c := sizeClass(size)
	if c >= len(p.free) {
		return p.parent.Allocate(size)
	}
	p.mu.Lock()
	if l := p.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[c] = l[:len(l)-1]
		p.held -= cap(b)
		p.mu.Unlock()
		b = b[:size]
		clear(b)
		return b
	}
	p.mu.Unlock()
	b := p.parent.Allocate(1 << c)
	return b[:size]
}

// Reallocate grows or shrinks b, keeping its contents.
func (p *poolAllocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) && sizeClass(cap(b)) < len(p.free) && cap(b) == 1<<sizeClass(cap(b)) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free keeps b for reuse, or returns it to the parent when the pool is full.
func (p *poolAllocator) Free(b []byte) {
	b = b[:cap(b)]
	c := sizeClass(len(b))
	if c >= len(p.free) || len(b) != 1<<c {
		p.parent.Free(b)
		return
	}
	p.mu.Lock()
	if p.held+len(b) > p.maxHeld {
		p.mu.Unlock()
		p.parent.Free(b)
		return
	}
	p.free[c] = append(p.free[c], b)
	p.held += len(b)
	p.mu.Unlock()
}

// Close returns every idle buffer to the parent.
func (p *poolAllocator) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c, l := range p.free {
		for _, b := range l {
			p.parent.Free(b)
		}
		p.free[c] = nil
	}
	p.held = 0
}
