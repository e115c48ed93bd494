package shuffle

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"testing"
)

func collect(t *testing.T, x Exchange, p int) []string {
	t.Helper()
	var out []string
	if err := x.ReadPartition(context.Background(), p, func(rec []byte) error {
		out = append(out, string(rec))
		return nil
	}); err != nil {
		t.Fatalf("reading partition %d: %v", p, err)
	}
	return out
}

func TestLocalOrderAndReplace(t *testing.T) {
	ctx := context.Background()
	for _, budget := range []int64{1 << 30, 1} { // all in memory; everything spilled
		t.Run(fmt.Sprintf("budget=%d", budget), func(t *testing.T) {
			dir := t.TempDir()
			x, err := NewLocal(LocalConfig{Partitions: 3, MemoryBudget: budget, SpillDir: dir, BlockSize: 16})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			// Commit task 1 before task 0: readers still see task order.
			for _, task := range []int{1, 0} {
				m, err := x.OpenMap(ctx, task, 0)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 10; i++ {
					if err := m.Add(i%3, []byte(fmt.Sprintf("t%d-r%d", task, i))); err != nil {
						t.Fatal(err)
					}
				}
				if err := m.Commit(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// A retried attempt of task 1 replaces the first one.
			m, _ := x.OpenMap(ctx, 1, 1)
			_ = m.Add(0, []byte("t1-retry"))
			if err := m.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			// An aborted attempt leaves nothing.
			m, _ = x.OpenMap(ctx, 2, 0)
			_ = m.Add(0, []byte("aborted"))
			m.Abort()

			got := collect(t, x, 0)
			want := []string{"t0-r0", "t0-r3", "t0-r6", "t0-r9", "t1-retry"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("partition 0 = %q, want %q", got, want)
			}
			if got := collect(t, x, 1); len(got) != 3 || got[0] != "t0-r1" {
				t.Fatalf("partition 1 = %q", got)
			}
			st := x.Stats()
			if st.Records != 11 || st.Replaced != 1 {
				t.Fatalf("stats = %+v, want 11 records, 1 replaced", st)
			}
			if budget == 1 && st.SpilledBytes == 0 {
				t.Fatal("budget of 1 byte spilled nothing")
			}
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 0 {
				t.Fatalf("spill files left after Close: %d", len(left))
			}
		})
	}
}

func TestSpillEqualsMemory(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(1))
	recs := make([][]byte, 5000)
	for i := range recs {
		recs[i] = make([]byte, rng.Intn(300))
		rng.Read(recs[i])
	}
	read := func(budget int64) [][]string {
		x, err := NewLocal(LocalConfig{Partitions: 4, MemoryBudget: budget, SpillDir: t.TempDir(), BlockSize: 1024})
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		for task := 0; task < 3; task++ {
			m, _ := x.OpenMap(ctx, task, 0)
			for i, r := range recs {
				if err := m.Add(Partition(r, 4), append(r, byte(task), byte(i))); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		out := make([][]string, 4)
		for p := range out {
			out[p] = collect(t, x, p)
		}
		return out
	}
	mem, spill := read(1<<30), read(10_000)
	total := 0
	for p := range mem {
		total += len(mem[p])
		if len(mem[p]) != len(spill[p]) {
			t.Fatalf("partition %d: %d records in memory, %d spilled", p, len(mem[p]), len(spill[p]))
		}
		for i := range mem[p] {
			if mem[p][i] != spill[p][i] {
				t.Fatalf("partition %d record %d differs", p, i)
			}
		}
	}
	if total != 3*len(recs) {
		t.Fatalf("read %d records, want %d", total, 3*len(recs))
	}
}

func TestBlockCorruption(t *testing.T) {
	raw := appendRecord(nil, []byte("hello"))
	raw = appendRecord(raw, []byte("world"))
	block := EncodeBlock(nil, raw, 2)
	if n, err := BlockLen(block); err != nil || n != 2 {
		t.Fatalf("BlockLen = %d, %v", n, err)
	}
	for i := 0; i < len(block); i++ {
		bad := bytes.Clone(block)
		bad[i] ^= 0x40
		if _, err := DecodeBlock(bad, nil, func([]byte) error { return nil }); err == nil {
			t.Fatalf("flipping a bit of byte %d went unnoticed", i)
		}
	}
}

func FuzzDecodeBlock(f *testing.F) {
	raw := appendRecord(nil, []byte("a\tb\tc"))
	f.Add(EncodeBlock(nil, raw, 1))
	f.Add([]byte("fb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeBlock(b, nil, func([]byte) error { return nil })
	})
}

func TestPartitionStable(t *testing.T) {
	// The partition function is part of the on-disk contract between nodes
	// and re-runs: these values must never change.
	if got := Partition([]byte("550e8400-e29b-41d4-a716-446655440000"), 1024); got != 72 {
		t.Fatalf("Partition of the reference id = %d, want 72", got)
	}
	if got := Partition([]byte("a"), 1); got != 0 {
		t.Fatalf("one partition: got %d", got)
	}
	// FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c.
	if got, want := Partition([]byte("a"), 1<<20), int(uint64(0xaf63dc4c8601ec8c)%(1<<20)); got != want {
		t.Fatalf("Partition(a) = %d, want FNV-1a value %d", got, want)
	}
}

// BenchmarkLocalExchange measures add+commit+read of 1 KB records.
//
//	go test ./shuffle -run '^$' -bench LocalExchange -benchmem -count 10
func BenchmarkLocalExchange(b *testing.B) {
	ctx := context.Background()
	rec := bytes.Repeat([]byte("0123456789abcdef\t"), 60)
	const perIter = 10000
	b.SetBytes(int64(len(rec)) * perIter)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		x, _ := NewLocal(LocalConfig{Partitions: 8, SpillDir: b.TempDir()})
		m, _ := x.OpenMap(ctx, 0, 0)
		for j := 0; j < perIter; j++ {
			rec[0] = byte(j)
			_ = m.Add(j%8, rec)
		}
		_ = m.Commit(ctx)
		for p := 0; p < 8; p++ {
			_ = x.ReadPartition(ctx, p, func([]byte) error { return nil })
		}
		x.Close()
	}
	b.ReportMetric(float64(perIter*b.N)/b.Elapsed().Seconds(), "records/s")
}
