package shuffle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
)

// LocalConfig configures the in-process exchange.
type LocalConfig struct {
	// Partitions is the number of reduce partitions. Required, ≥ 1.
	Partitions int
	// MemoryBudget is how many bytes of encoded blocks the exchange keeps in
	// memory; further blocks spill to SpillDir. Default 256 MiB.
	MemoryBudget int64
	// SpillDir holds spill files. Default os.TempDir().
	SpillDir string
	// BlockSize is the raw size at which a partition's buffer is compressed
	// into a block. Default 64 KiB.
	BlockSize int
}

// Validate reports the first invalid setting, naming its key.
func (c *LocalConfig) Validate() error {
	if c.Partitions < 1 {
		return fmt.Errorf("shuffle: partitions must be ≥ 1, got %d", c.Partitions)
	}
	if c.MemoryBudget < 0 {
		return fmt.Errorf("shuffle: memory_budget must be ≥ 0, got %d", c.MemoryBudget)
	}
	if c.BlockSize < 0 {
		return fmt.Errorf("shuffle: block_size must be ≥ 0, got %d", c.BlockSize)
	}
	return nil
}

func (c *LocalConfig) withDefaults() LocalConfig {
	out := *c
	if out.MemoryBudget == 0 {
		out.MemoryBudget = 256 << 20
	}
	if out.SpillDir == "" {
		out.SpillDir = os.TempDir()
	}
	if out.BlockSize == 0 {
		out.BlockSize = 64 << 10
	}
	return out
}

// Local is the in-process Exchange of single-node runs.
type Local struct {
	cfg   LocalConfig
	stats statCounters

	mu        sync.Mutex
	memUsed   int64
	committed map[int]*attemptData
	closed    bool
}

// NewLocal returns an in-process exchange.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if err := os.MkdirAll(c.SpillDir, 0o755); err != nil {
		return nil, fmt.Errorf("shuffle: creating spill_dir %s: %w", c.SpillDir, err)
	}
	return &Local{cfg: c, committed: make(map[int]*attemptData)}, nil
}

// blockRef locates one encoded block: in memory, or in the attempt's spill file.
type blockRef struct {
	mem      []byte
	off, len int64
	records  int
}

// attemptData holds the blocks of one map task attempt.
type attemptData struct {
	blocks  [][]blockRef // per partition
	memUsed int64
	spill   *os.File
	spillAt int64
	records int64
	raw     int64
	encoded int64
}

func (a *attemptData) release(l *Local) {
	l.memUsed -= a.memUsed
	a.memUsed = 0
	a.blocks = nil
	if a.spill != nil {
		name := a.spill.Name()
		a.spill.Close()
		os.Remove(name)
		a.spill = nil
	}
}

// Partitions implements Exchange.
func (l *Local) Partitions() int { return l.cfg.Partitions }

// Stats implements Exchange.
func (l *Local) Stats() Stats { return l.stats.snapshot() }

// OpenMap implements Exchange.
func (l *Local) OpenMap(_ context.Context, task, attempt int) (MapOutput, error) {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, errors.New("shuffle: exchange is closed")
	}
	return &localMap{
		l: l, task: task, attempt: attempt,
		data: &attemptData{blocks: make([][]blockRef, l.cfg.Partitions)},
		raw:  make([][]byte, l.cfg.Partitions),
		n:    make([]int, l.cfg.Partitions),
	}, nil
}

type localMap struct {
	l             *Local
	task, attempt int
	data          *attemptData
	raw           [][]byte
	n             []int
	enc           []byte
	done          bool
}

func (m *localMap) Add(p int, rec []byte) error {
	if m.done {
		return errors.New("shuffle: add to a finished map output")
	}
	if p < 0 || p >= len(m.raw) {
		return fmt.Errorf("shuffle: partition %d out of range [0,%d)", p, len(m.raw))
	}
	m.raw[p] = appendRecord(m.raw[p], rec)
	m.n[p]++
	m.data.records++
	m.data.raw += int64(len(rec))
	if len(m.raw[p]) >= m.l.cfg.BlockSize {
		return m.flush(p)
	}
	return nil
}

// flush encodes partition p's buffer into a block kept in memory or spilled.
func (m *localMap) flush(p int) error {
	if m.n[p] == 0 {
		return nil
	}
	m.enc = EncodeBlock(m.enc[:0], m.raw[p], m.n[p])
	ref := blockRef{records: m.n[p], len: int64(len(m.enc))}
	m.data.encoded += int64(len(m.enc))
	m.raw[p], m.n[p] = m.raw[p][:0], 0

	l := m.l
	l.mu.Lock()
	inMem := l.memUsed+int64(len(m.enc)) <= l.cfg.MemoryBudget
	if inMem {
		l.memUsed += int64(len(m.enc))
	}
	l.mu.Unlock()
	if inMem {
		ref.mem = append([]byte(nil), m.enc...)
		m.data.memUsed += int64(len(m.enc))
	} else {
		if m.data.spill == nil {
			f, err := os.CreateTemp(l.cfg.SpillDir, fmt.Sprintf("furrow-shuffle-m%05d-a%d-*.spill", m.task, m.attempt))
			if err != nil {
				return fmt.Errorf("shuffle: creating spill file: %w", err)
			}
			m.data.spill = f
		}
		if _, err := m.data.spill.Write(m.enc); err != nil {
			return fmt.Errorf("shuffle: writing spill file %s: %w", m.data.spill.Name(), err)
		}
		ref.off = m.data.spillAt
		m.data.spillAt += int64(len(m.enc))
		l.stats.spilled.Add(int64(len(m.enc)))
	}
	m.data.blocks[p] = append(m.data.blocks[p], ref)
	return nil
}

func (m *localMap) Commit(_ context.Context) error {
	if m.done {
		return errors.New("shuffle: commit of a finished map output")
	}
	for p := range m.raw {
		if err := m.flush(p); err != nil {
			m.Abort()
			return err
		}
	}
	m.done = true
	m.raw = nil
	l := m.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		m.data.release(l)
		return errors.New("shuffle: exchange is closed")
	}
	if old, ok := l.committed[m.task]; ok {
		old.release(l)
		l.stats.records.Add(-old.records)
		l.stats.raw.Add(-old.raw)
		l.stats.encoded.Add(-old.encoded)
		l.stats.replaced.Add(1)
	}
	l.committed[m.task] = m.data
	l.stats.records.Add(m.data.records)
	l.stats.raw.Add(m.data.raw)
	l.stats.encoded.Add(m.data.encoded)
	return nil
}

func (m *localMap) Abort() {
	if m.done {
		return
	}
	m.done = true
	m.raw = nil
	m.l.mu.Lock()
	m.data.release(m.l)
	m.l.mu.Unlock()
}

// ReadPartition implements Exchange.
func (l *Local) ReadPartition(ctx context.Context, p int, fn func(rec []byte) error) error {
	if p < 0 || p >= l.cfg.Partitions {
		return fmt.Errorf("shuffle: partition %d out of range [0,%d)", p, l.cfg.Partitions)
	}
	l.mu.Lock()
	tasks := make([]int, 0, len(l.committed))
	for t := range l.committed {
		tasks = append(tasks, t)
	}
	datas := make(map[int]*attemptData, len(tasks))
	for _, t := range tasks {
		datas[t] = l.committed[t]
	}
	l.mu.Unlock()
	sort.Ints(tasks)

	var scratch, buf []byte
	for _, t := range tasks {
		d := datas[t]
		for _, ref := range d.blocks[p] {
			if err := ctx.Err(); err != nil {
				return err
			}
			block := ref.mem
			if block == nil {
				if cap(buf) < int(ref.len) {
					buf = make([]byte, ref.len)
				}
				block = buf[:ref.len]
				if _, err := d.spill.ReadAt(block, ref.off); err != nil {
					return fmt.Errorf("shuffle: reading spill file %s: %w", d.spill.Name(), err)
				}
			}
			var err error
			scratch, err = DecodeBlock(block, scratch, fn)
			if err != nil {
				return fmt.Errorf("shuffle: partition %d, map task %d: %w", p, t, err)
			}
		}
	}
	return nil
}

// ReleasePartition frees the in-memory blocks of partition p once its
// reduce task has committed its outputs; reading p afterwards yields
// nothing. Spilled blocks stay on disk until Close.
func (l *Local) ReleasePartition(p int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p < 0 || p >= l.cfg.Partitions {
		return
	}
	for _, d := range l.committed {
		refs := d.blocks[p]
		for i := range refs {
			if refs[i].mem != nil {
				l.memUsed -= int64(len(refs[i].mem))
				d.memUsed -= int64(len(refs[i].mem))
			}
		}
		d.blocks[p] = nil
	}
}

// Close implements Exchange.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	for t, d := range l.committed {
		d.release(l)
		delete(l.committed, t)
	}
	return nil
}
