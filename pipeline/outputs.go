package pipeline

import "sync"

// outputSet collects reduce task outputs by partition; a retried task
// replaces its earlier output.
type outputSet struct {
	mu sync.Mutex
	m  map[int]*TaskOutput
}

func newOutputSet() *outputSet { return &outputSet{m: map[int]*TaskOutput{}} }

func (o *outputSet) set(p int, out *TaskOutput) {
	o.mu.Lock()
	o.m[p] = out
	o.mu.Unlock()
}

func (o *outputSet) all() map[int]*TaskOutput {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[int]*TaskOutput, len(o.m))
	for k, v := range o.m {
		m[k] = v
	}
	return m
}
