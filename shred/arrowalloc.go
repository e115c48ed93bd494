package shred

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// arrow-go v15's Parquet column writers keep their definition and
// repetition levels in pooled buffers (encoding.PooledBufferWriter) whose
// Reserve asks for the current capacity plus the page-header offset on
// every call, i.e. every literal RLE run of a nullable column: with
// memory.GoAllocator each of those calls allocates a new buffer and copies
// the old one (apache/arrow#41541, fixed in arrow-go v17). On furrow's
// atomic rows it was half the Parquet encoding time and most of the garbage.
// The pool takes its buffers from memory.DefaultAllocator, which is not
// configurable per writer, so shred installs growAllocator as arrow's
// default: the same zeroed, 64-byte-aligned buffers, but a buffer that is
// grown gets twice the room, so that the next growth is a re-slice.
// Nothing written changes: only where the bytes live.
func init() {
	memory.DefaultAllocator = growAllocator{}
}

// growAllocator is memory.GoAllocator with geometric growth in Reallocate.
type growAllocator struct{}

const arrowAlignment = 64

// alloc returns a zeroed, 64-byte-aligned slice of length size and capacity
// at least c.
func alloc(size, c int) []byte {
	buf := make([]byte, c+arrowAlignment)
	shift := 0
	if r := uintptr(unsafe.Pointer(unsafe.SliceData(buf))) % arrowAlignment; r != 0 {
		shift = int(arrowAlignment - r)
	}
	return buf[shift : shift+size : shift+c]
}

// Allocate returns a zeroed buffer of size bytes (capacity size, as
// memory.GoAllocator).
func (growAllocator) Allocate(size int) []byte { return alloc(size, size) }

// Reallocate resizes b to size bytes, keeping its content: within b's
// capacity by re-slicing, otherwise into a new buffer of at least twice
// that capacity.
func (growAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	n := alloc(size, max(size, 2*cap(b)))
	copy(n, b)
	return n
}

// Free does nothing: the garbage collector reclaims the buffer.
func (growAllocator) Free([]byte) {}
