package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/furrowdata/furrow/shuffle"
)

// Split is one unit of map work: a byte range of one input object.
type Split struct {
	Key    string `json:"key"`    // object key relative to the input location
	Offset int64  `json:"offset"` // first byte
	Length int64  `json:"length"` // bytes; -1 = to the end of the object
	Size   int64  `json:"size"`   // size of the whole object
}

// Whole reports whether the split covers its whole object.
func (s Split) Whole() bool { return s.Offset == 0 && (s.Length < 0 || s.Length >= s.Size) }

// MapFunc runs one attempt of map task `task` over split: it adds good
// records to out, writes bad rows with bad and counts into c. Its outputs
// are committed by the engine only if it returns nil.
type MapFunc func(ctx context.Context, task int, split Split, out shuffle.MapOutput, c *Counters) error

// ReduceFunc runs reduce task `partition`: read streams the partition's
// records (map-task order). Its counters are kept only if it returns nil.
type ReduceFunc func(ctx context.Context, partition int, read func(fn func(rec []byte) error) error, c *Counters) error

// Engine runs the map and reduce stages of a job on this process.
type Engine struct {
	// Parallelism is the number of tasks run at once (default 1).
	Parallelism int
	// MaxAttempts is how many times a task is tried before the job fails
	// (default 2).
	MaxAttempts int
	Logger      *slog.Logger
	Progress    *Progress
}

func (e *Engine) defaults() {
	if e.Parallelism < 1 {
		e.Parallelism = 1
	}
	if e.MaxAttempts < 1 {
		e.MaxAttempts = 2
	}
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	if e.Progress == nil {
		e.Progress = NewProgress(nil, 0)
	}
}

// errPermanent marks a task error that retrying cannot fix.
var errPermanent = errors.New("permanent")

// permanent wraps err so that the engine does not retry the task.
func permanent(err error) error { return fmt.Errorf("%w: %w", errPermanent, err) }

// RunMaps runs fn for every split, at most Parallelism at once, retrying a
// failed attempt up to MaxAttempts. It returns the merged counters of the
// committed attempts and the number of retries.
func (e *Engine) RunMaps(ctx context.Context, splits []Split, x shuffle.Exchange, fn MapFunc) (Counters, int, error) {
	e.defaults()
	var (
		total   counterSet
		retries int
		mu      sync.Mutex
	)
	e.Progress.AddTasks(int64(len(splits)))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.Parallelism)
	for task, split := range splits {
		g.Go(func() error {
			for attempt := 0; ; attempt++ {
				var c Counters
				out, err := x.OpenMap(ctx, task, attempt)
				if err != nil {
					return fmt.Errorf("map task %d (%s): opening shuffle output: %w", task, split.Key, err)
				}
				err = fn(ctx, task, split, out, &c)
				if err == nil {
					err = out.Commit(ctx)
				} else {
					out.Abort()
				}
				if err == nil {
					total.add(&c)
					e.Progress.TaskDone()
					return nil
				}
				if ctx.Err() != nil || errors.Is(err, errPermanent) || attempt+1 >= e.MaxAttempts {
					return fmt.Errorf("map task %d (%s): %w", task, split.Key, err)
				}
				e.Logger.Warn("retrying map task", "task", task, "key", split.Key, "attempt", attempt+1, "err", err)
				mu.Lock()
				retries++
				mu.Unlock()
			}
		})
	}
	err := g.Wait()
	return total.snapshot(), retries, err
}

// RunReduces runs fn for every partition of x, at most Parallelism at once,
// retrying as RunMaps does. Call it only after RunMaps succeeded.
func (e *Engine) RunReduces(ctx context.Context, x shuffle.Exchange, fn ReduceFunc) (Counters, int, error) {
	e.defaults()
	var (
		total   counterSet
		retries int
		mu      sync.Mutex
	)
	e.Progress.AddTasks(int64(x.Partitions()))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.Parallelism)
	for p := 0; p < x.Partitions(); p++ {
		g.Go(func() error {
			read := func(f func(rec []byte) error) error { return x.ReadPartition(ctx, p, f) }
			for attempt := 0; ; attempt++ {
				var c Counters
				err := fn(ctx, p, read, &c)
				if err == nil {
					total.add(&c)
					e.Progress.TaskDone()
					return nil
				}
				if ctx.Err() != nil || errors.Is(err, errPermanent) || attempt+1 >= e.MaxAttempts {
					return fmt.Errorf("reduce task %d: %w", p, err)
				}
				e.Logger.Warn("retrying reduce task", "partition", p, "attempt", attempt+1, "err", err)
				mu.Lock()
				retries++
				mu.Unlock()
			}
		})
	}
	err := g.Wait()
	return total.snapshot(), retries, err
}
