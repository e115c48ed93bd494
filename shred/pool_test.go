package shred

import (
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

func TestPoolAllocatorReusesZeroedBuffers(t *testing.T) {
	parent := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer parent.AssertSize(t, 0)
	p := newPoolAllocator(parent, 1<<20)
	b := p.Allocate(100)
	if len(b) != 100 || cap(b) != 128 {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
	for i := range b {
		b[i] = 0xff
	}
	p.Free(b)
	c := p.Allocate(120)
	if &c[0] != &b[0] {
		t.Error("a freed buffer of the same class was not reused")
	}
	for i, v := range c {
		if v != 0 {
			t.Fatalf("reused buffer not zeroed at %d", i)
		}
	}
	c = p.Reallocate(128, c) // grows in place within the class
	if &c[0] != &b[0] || len(c) != 128 {
		t.Error("reallocation within the class moved the buffer")
	}
	d := p.Reallocate(1000, c)
	if len(d) != 1000 || d[0] != 0 {
		t.Error("reallocation beyond the class")
	}
	p.Free(d)
	big := p.Allocate(2 << 20) // above maxHeld: goes back to the parent when freed
	p.Free(big)
	p.Close()
}

// TestPoolAllocatorAcrossBatches builds record batches repeatedly through
// the pool: after the first batch, the builders' memory comes from freed
// buffers, not from the parent.
func TestPoolAllocatorAcrossBatches(t *testing.T) {
	parent := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer parent.AssertSize(t, 0)
	p := newPoolAllocator(parent, 64<<20)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "i", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rb := array.NewRecordBuilder(p, schema)
	batch := func() {
		for i := 0; i < 5000; i++ {
			rb.Field(0).(*array.StringBuilder).Append("value")
			rb.Field(1).(*array.Int64Builder).Append(int64(i))
		}
		rec := rb.NewRecord()
		rec.Release()
	}
	batch()
	afterFirst := parent.CurrentAlloc()
	for i := 0; i < 10; i++ {
		batch()
	}
	if got := parent.CurrentAlloc(); got > afterFirst {
		t.Errorf("parent holds %d bytes after 10 more batches, %d after the first: buffers are not reused", got, afterFirst)
	}
	rb.Release()
	p.Close()
}
