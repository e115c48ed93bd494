package dedupe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
)

// benchInput is a partition's worth of realistic enriched lines (~1 KB)
// generated the way a reduce task receives them from the shuffle: each line
// is decoded into a small, cache-warm buffer right before Add. Here the
// buffers are 256 template lines whose event_id and event_fingerprint are
// overwritten per event, which costs a 68-byte copy, not a fresh 1 KB line
// from cold memory.
type benchInput struct {
	tpl        [][]byte
	idOff      []int
	fpOff      []int
	events     []benchEvent
	totalBytes int64
}

type benchEvent struct {
	tpl uint16
	id  [36]byte
	fp  [32]byte
}

// newBenchInput makes n events; a fraction dup of them duplicate an earlier
// event (nine in ten natural copies, one in ten synthetic: same event_id,
// other fingerprint).
func newBenchInput(n int, dup float64) *benchInput {
	rng := rand.New(rand.NewPCG(42, uint64(dup*1000)))
	in := &benchInput{}
	for i := 0; i < 256; i++ {
		e := ev{
			id: "00000000-0000-4000-a000-000000000000",
			fp: strings.Repeat("0", 32),
			ip: fmt.Sprintf("10.%d.%d.%d&%s", rng.IntN(256), rng.IntN(256), rng.IntN(256), strings.Repeat("q", 160+rng.IntN(200))),
		}
		l := e.line()
		s, _, _ := fieldBounds(l, event.EventID)
		f, _, _ := fieldBounds(l, event.EventFingerprint)
		in.tpl, in.idOff, in.fpOff = append(in.tpl, l), append(in.idOff, s), append(in.fpOff, f)
	}
	in.events = make([]benchEvent, 0, n)
	for len(in.events) < n {
		var e benchEvent
		if len(in.events) > 0 && rng.Float64() < dup {
			e = in.events[rng.IntN(len(in.events))]
			if rng.IntN(10) == 0 {
				copy(e.fp[:], fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))
			}
		} else {
			e.tpl = uint16(rng.IntN(len(in.tpl)))
			copy(e.id[:], fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48)))
			copy(e.fp[:], fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))
		}
		in.events = append(in.events, e)
		in.totalBytes += int64(len(in.tpl[e.tpl]))
	}
	return in
}

// feed adds every event to d.
func (in *benchInput) feed(b *testing.B, d *Deduper) {
	for i := range in.events {
		e := &in.events[i]
		l := in.tpl[e.tpl]
		copy(l[in.idOff[e.tpl]:], e.id[:])
		copy(l[in.fpOff[e.tpl]:], e.fp[:])
		if err := d.Add(l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDedupe measures Add + Finish of one partition of 200k lines of
// about 1 KB, at 0, 5 and 50% duplicates: in memory (the Deduper is Reset
// between partitions, as a reduce worker reuses it), in memory with a fresh
// Deduper per partition (arena allocation and page faults included), and
// spilling (budget 1/8 of the input: sorted zstd runs, k-way merge).
// events/s is per core: a Deduper is single-threaded. events/cpu-s divides
// by the CPU time the process used instead of wall time (GC included), which
// stays meaningful on a machine shared with other work.
//
//	go test -run '^$' -bench BenchmarkDedupe -benchmem -count 6 ./dedupe/
func BenchmarkDedupe(b *testing.B) {
	const n = 200_000
	for _, mode := range []string{"memory", "memory-fresh", "spill"} {
		for _, dup := range []float64{0, 0.05, 0.5} {
			b.Run(fmt.Sprintf("%s/dup=%.0f%%", mode, dup*100), func(b *testing.B) {
				in := newBenchInput(n, dup)
				cfg := Config{MemoryBudget: 4 * in.totalBytes}
				if mode == "spill" {
					cfg = Config{MemoryBudget: in.totalBytes / 8, SpillDir: b.TempDir()}
				}
				d, err := New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				var emitted int64
				emit := func(line []byte, _ *Synthetic) error { emitted += int64(len(line)); return nil }
				b.SetBytes(in.totalBytes)
				b.ReportAllocs()
				if mode != "memory-fresh" {
					// Warm up: the reused Deduper's arena is allocated once.
					in.feed(b, d)
					if _, err := d.Finish(context.Background(), emit); err != nil {
						b.Fatal(err)
					}
				}
				cpu0 := cpuTime()
				b.ResetTimer()
				for b.Loop() {
					if mode == "memory-fresh" {
						if d, err = New(cfg); err != nil {
							b.Fatal(err)
						}
					} else if err := d.Reset(); err != nil {
						b.Fatal(err)
					}
					in.feed(b, d)
					st, err := d.Finish(context.Background(), emit)
					if err != nil {
						b.Fatal(err)
					}
					if (mode == "spill") != (st.SpilledRuns > 0) {
						b.Fatalf("mode %s, %d runs", mode, st.SpilledRuns)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "events/cpu-s")
			})
		}
	}
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
