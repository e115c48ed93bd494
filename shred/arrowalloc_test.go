package shred

import (
	"testing"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

func TestGrowAllocator(t *testing.T) {
	if _, ok := memory.DefaultAllocator.(growAllocator); !ok {
		t.Fatalf("arrow's default allocator is %T, want shred's growAllocator", memory.DefaultAllocator)
	}
	var a growAllocator
	aligned := func(b []byte) bool { return uintptr(unsafe.Pointer(unsafe.SliceData(b)))%arrowAlignment == 0 }
	b := a.Allocate(100)
	if len(b) != 100 || cap(b) != 100 || !aligned(b) {
		t.Fatalf("Allocate(100): len %d cap %d aligned %v", len(b), cap(b), aligned(b))
	}
	for i := range b {
		b[i] = byte(i)
	}
	// The pattern of arrow-go v15's level buffers: grow by 64 bytes at a
	// time. Only O(log n) of those growths may copy.
	copies := 0
	for size := 128; size <= 1<<20; size += 64 {
		n := a.Reallocate(size, b)
		if len(n) != size || !aligned(n) {
			t.Fatalf("Reallocate(%d): len %d aligned %v", size, len(n), aligned(n))
		}
		if unsafe.SliceData(n) != unsafe.SliceData(b) {
			copies++
		}
		b = n
	}
	if copies > 20 {
		t.Errorf("%d copies growing to 1 MiB 64 bytes at a time, want ≤ 20", copies)
	}
	for i := 0; i < 100; i++ {
		if b[i] != byte(i) {
			t.Fatalf("byte %d lost its value across reallocations", i)
		}
	}
	for i := 100; i < len(b); i++ {
		if b[i] != 0 {
			t.Fatalf("byte %d of grown memory is %d, want 0", i, b[i])
		}
	}
	if s := a.Reallocate(10, b); len(s) != 10 || unsafe.SliceData(s) != unsafe.SliceData(b) {
		t.Errorf("shrinking reallocated")
	}
}
