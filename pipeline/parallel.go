package pipeline

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// orderedParallel runs work on the items that next yields with `workers`
// goroutines and hands them to consume in the order next yielded them. At
// most `depth` items are in flight, so memory stays bounded. work receives
// the index of its worker (0..workers-1) so that it can use per-worker state.
// next returns ok=false at the end.
func orderedParallel[T any](ctx context.Context, workers, depth int,
	next func() (T, bool, error), work func(worker int, t T), consume func(T) error) error {
	type item struct {
		t    T
		done chan struct{}
	}
	if workers < 1 {
		workers = 1
	}
	if depth < workers {
		depth = workers
	}
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan item, depth)
	ordered := make(chan item, depth)
	g.Go(func() error {
		defer close(jobs)
		defer close(ordered)
		for {
			t, ok, err := next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			it := item{t: t, done: make(chan struct{})}
			select {
			case ordered <- it:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- it:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for it := range jobs {
				work(w, it.t)
				close(it.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		for it := range ordered {
			select {
			case <-it.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if err := consume(it.t); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}
