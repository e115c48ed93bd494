package pipeline

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestMemoryBudgetShares: in a shred job the shuffle and the dedupe buffers
// of the running reduce tasks take half the budget between them, leaving
// the rest to the writers, and the soft memory limit stays under 1.5× the
// budget (the acceptance bar: 512 MB budget, < 800 MB RSS).
func TestMemoryBudgetShares(t *testing.T) {
	for _, p := range []int{1, 2, 8} {
		c := Config{Job: JobShred, MemoryBudget: 512 << 20, Parallelism: p}
		if got := c.shuffleBudget() + int64(p)*c.dedupeBudget(); got > c.MemoryBudget/2+int64(p)*(16<<20) {
			t.Errorf("parallelism %d: shuffle + dedupe hold %d of a %d budget", p, got, c.MemoryBudget)
		}
		if l := c.memoryLimit(); l <= c.MemoryBudget || l >= c.MemoryBudget*3/2 {
			t.Errorf("parallelism %d: memory limit %d for a %d budget", p, l, c.MemoryBudget)
		}
	}
	if e := (Config{Job: JobEnrich, MemoryBudget: 1 << 30}); e.shuffleBudget() != 1<<30 {
		t.Errorf("enrich: shuffle gets %d of the budget, want all of it", e.shuffleBudget())
	}
}

// TestSetMemoryLimit: the shred stage's limit applies only when none is in
// force, and is undone when the stage closes.
func TestSetMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })

	debug.SetMemoryLimit(math.MaxInt64)
	restore := setMemoryLimit(700 << 20)
	if got := debug.SetMemoryLimit(-1); got != 700<<20 || restore == nil {
		t.Fatalf("limit %d after setMemoryLimit(700 MiB)", got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("limit %d after restore, want none", got)
	}

	debug.SetMemoryLimit(1 << 30) // GOMEMLIMIT or the embedding program
	if restore := setMemoryLimit(700 << 20); restore != nil || debug.SetMemoryLimit(-1) != 1<<30 {
		t.Fatalf("setMemoryLimit overrode a limit already in force")
	}
}
