package pipeline

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Progress counts events and bytes as tasks go (before commit, so it is a
// live view, not the report) and prints a status line to a terminal.
type Progress struct {
	events    atomic.Int64
	bytes     atomic.Int64
	tasksDone atomic.Int64
	tasks     atomic.Int64
	start     time.Time

	out      io.Writer
	interval time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
}

// NewProgress returns a Progress that prints to out every interval when out
// is a terminal; with out nil or not a terminal it only counts.
func NewProgress(out io.Writer, interval time.Duration) *Progress {
	p := &Progress{start: time.Now(), interval: interval, stop: make(chan struct{})}
	if f, ok := out.(*os.File); ok && isTerminal(f) {
		p.out = out
	}
	return p
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// AddEvents counts n events processed.
func (p *Progress) AddEvents(n int64) { p.events.Add(n) }

// AddBytes counts n input bytes read.
func (p *Progress) AddBytes(n int64) { p.bytes.Add(n) }

// AddTasks counts n more tasks planned.
func (p *Progress) AddTasks(n int64) { p.tasks.Add(n) }

// TaskDone counts one finished task.
func (p *Progress) TaskDone() { p.tasksDone.Add(1) }

// Start begins printing (a no-op when not on a terminal).
func (p *Progress) Start() {
	if p.out == nil {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprint(p.out, "\r\033[K")
				return
			case <-t.C:
				p.print()
			}
		}
	}()
}

// Line renders the current status.
func (p *Progress) Line() string {
	el := time.Since(p.start)
	ev := p.events.Load()
	rate := float64(ev) / el.Seconds()
	return fmt.Sprintf("furrow: tasks %d/%d  events %d  %.0f events/s  read %s  elapsed %s",
		p.tasksDone.Load(), p.tasks.Load(), ev, rate, HumanBytes(p.bytes.Load()), el.Round(time.Second))
}

func (p *Progress) print() {
	fmt.Fprint(p.out, "\r\033[K"+p.Line())
}

// Stop ends printing and clears the status line.
func (p *Progress) Stop() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
}
