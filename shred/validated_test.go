package shred_test

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/shred"
)

// countingRegistry counts lookups.
type countingRegistry struct {
	shred.Registry
	n atomic.Int64
}

func (c *countingRegistry) Lookup(ctx context.Context, key event.SchemaKey) (*iglu.Schema, error) {
	c.n.Add(1)
	return c.Registry.Lookup(ctx, key)
}

// TestShredValidatedEqualsShred checks that the reduce stage's path gives
// exactly what Shred gives for events Shred accepted (typed and untyped,
// with and without a duplicate context), without consulting the registry.
func TestShredValidatedEqualsShred(t *testing.T) {
	reg := &countingRegistry{Registry: testRegistry(t)}
	for _, typed := range []bool{false, true} {
		sh := newShredder(t, reg, typed)
		for i := 0; i < 60; i++ {
			orig := ""
			if i%7 == 0 {
				orig = genID(1000 + i)
			}
			want, err := sh.Shred(testCtx(t), genEvent(i), orig)
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			before := reg.n.Load()
			got, err := sh.ShredValidated(testCtx(t), genEvent(i), orig)
			if err != nil {
				t.Fatalf("event %d: ShredValidated: %v", i, err)
			}
			if n := reg.n.Load() - before; n != 0 {
				t.Fatalf("event %d: ShredValidated looked up %d schemas", i, n)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("event %d (typed %v): ShredValidated gave\n%+v\nShred gave\n%+v", i, typed, got, want)
			}
		}
	}
}

// TestShredValidatedChecksCore checks that ShredValidated still rejects what
// dedupe may have changed (event_id) and what it cannot read.
func TestShredValidatedChecksCore(t *testing.T) {
	sh := newShredder(t, testRegistry(t), true)
	for _, c := range []struct {
		name string
		edit func(*event.Event)
		want string
	}{
		{"event id", func(ev *event.Event) { ev.Fields[event.EventID] = "not-a-uuid" }, "Field [event_id]: [not-a-uuid] is not a valid UUID"},
		{"collector tstamp", func(ev *event.Event) { ev.Fields[event.CollectorTstamp] = "yesterday" }, "Field [collector_tstamp]: [yesterday]"},
		{"invalid json", func(ev *event.Event) { ev.Fields[event.Contexts] = "{" }, "Field [context]: invalid JSON"},
	} {
		ev := genEvent(2)
		c.edit(ev)
		_, err := sh.ShredValidated(testCtx(t), ev, "")
		e, ok := shred.AsError(err)
		if !ok || !strings.Contains(strings.Join(e.Messages, "; "), c.want) {
			t.Errorf("%s: got %v, want a bad-row error containing %q", c.name, err, c.want)
		}
	}
}
