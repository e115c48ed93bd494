package shuffle

import (
	"context"
	"sync/atomic"
)

// Exchange moves records from map task attempts to reduce partitions.
// Implementations are safe for concurrent use by many map outputs and
// partition readers.
type Exchange interface {
	// Partitions returns the number of reduce partitions (≥ 1).
	Partitions() int
	// OpenMap starts attempt `attempt` of map task `task`. Nothing the
	// attempt adds is visible to readers until Commit.
	OpenMap(ctx context.Context, task, attempt int) (MapOutput, error)
	// ReadPartition calls fn for every record of partition p: the committed
	// output of each map task in ascending task order, records in the order
	// they were added. rec is valid only during the call. It must be called
	// only after every map task committed.
	ReadPartition(ctx context.Context, p int, fn func(rec []byte) error) error
	// Stats returns the exchange's counters so far.
	Stats() Stats
	// Close releases memory and spill files.
	Close() error
}

// MapOutput is the output of one map task attempt. It is used by one
// goroutine.
type MapOutput interface {
	// Add appends rec (copied) to partition p.
	Add(p int, rec []byte) error
	// Commit makes this attempt the task's output, replacing any earlier
	// committed attempt of the same task. Exactly one attempt per task is
	// ever visible.
	Commit(ctx context.Context) error
	// Abort discards the attempt. Abort after Commit is a no-op.
	Abort()
}

// Stats are an exchange's counters.
type Stats struct {
	Records      int64 // records committed
	RawBytes     int64 // record bytes committed (before framing and compression)
	EncodedBytes int64 // bytes of committed encoded blocks
	SpilledBytes int64 // encoded bytes written to spill files
	Replaced     int64 // committed attempts replaced by a later attempt
}

type statCounters struct {
	records, raw, encoded, spilled, replaced atomic.Int64
}

func (s *statCounters) snapshot() Stats {
	return Stats{
		Records:      s.records.Load(),
		RawBytes:     s.raw.Load(),
		EncodedBytes: s.encoded.Load(),
		SpilledBytes: s.spilled.Load(),
		Replaced:     s.replaced.Load(),
	}
}
