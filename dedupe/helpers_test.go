package dedupe

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
)

// ev is a compact description of a test event.
type ev struct {
	id, fp, etl, collector, ip string
}

// line renders e as a 131-field enriched TSV line.
func (e ev) line() []byte {
	var x event.Event
	x.Fields[event.AppID] = "shop"
	x.Fields[event.Platform] = "web"
	x.Fields[event.ETLTstamp] = e.etl
	if e.etl == "" {
		x.Fields[event.ETLTstamp] = "2024-03-01 10:00:00.000"
	}
	if e.etl == "-" {
		x.Fields[event.ETLTstamp] = ""
	}
	x.Fields[event.CollectorTstamp] = e.collector
	if e.collector == "" {
		x.Fields[event.CollectorTstamp] = "2024-03-01 09:59:00.000"
	}
	x.Fields[event.EventType] = "page_view"
	x.Fields[event.EventID] = e.id
	x.Fields[event.VETL] = "furrow-test"
	x.Fields[event.UserIPAddress] = e.ip
	x.Fields[event.PageURL] = "https://shop.example/p?" + e.ip
	x.Fields[event.Useragent] = "Mozilla/5.0 (test)"
	x.Fields[event.DerivedContexts] = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[{"schema":"iglu:com.example/ctx/jsonschema/1-0-0","data":{"a":"<b>"}}]}`
	x.Fields[event.EventFingerprint] = e.fp
	return event.AppendTSV(nil, &x)
}

// out is one emitted line.
type out struct {
	line string
	dup  *Synthetic
}

func run(t testing.TB, cfg Config, lines [][]byte) ([]out, Stats) {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if err := d.Add(l); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	var got []out
	st, err := d.Finish(context.Background(), func(line []byte, dup *Synthetic) error {
		o := out{line: string(line)}
		if dup != nil {
			c := *dup
			o.dup = &c
		}
		got = append(got, o)
		return nil
	})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if st.Lines != st.Emitted+st.NaturalDuplicates+st.CrossBatchDuplicates {
		t.Fatalf("conservation broken: %+v", st)
	}
	return got, st
}

func field(line string, f event.Field) string {
	var e event.Event
	if err := event.ParseTSV(line, &e); err != nil {
		panic(err)
	}
	return e.Fields[f]
}

// serialize renders outputs for byte comparison.
func serialize(outs []out) []byte {
	var b bytes.Buffer
	for _, o := range outs {
		if o.dup != nil {
			fmt.Fprintf(&b, "%s>%s\t", o.dup.OriginalEventID, o.dup.NewEventID)
		}
		b.WriteString(o.line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// randomLines makes n lines over about n/dupEvery distinct ids, with natural
// and synthetic duplicates and some events without a fingerprint.
func randomLines(rng *rand.Rand, n int) [][]byte {
	lines := make([][]byte, 0, n)
	ids := make([]string, n/3+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48))
	}
	for len(lines) < n {
		id := ids[rng.IntN(len(ids))]
		e := ev{id: id, fp: fmt.Sprintf("%032x", rng.IntN(3)), ip: fmt.Sprintf("10.0.%d.%d", rng.IntN(4), rng.IntN(256))}
		switch rng.IntN(10) {
		case 0:
			e.fp = ""
		case 1:
			e.etl = "2024-03-01 11:00:00.000"
		}
		// Pad to realistic sizes.
		e.ip += strings.Repeat("x", rng.IntN(600))
		lines = append(lines, e.line())
		if rng.IntN(4) == 0 { // an exact copy
			lines = append(lines, e.line())
		}
	}
	return lines
}

// memManifest is an in-memory Manifest with RDB Shredder's rule, for pure
// unit tests of the Deduper's use of the interface (the DynamoDB
// implementation is tested against dynalite in package dynamo).
type memManifest struct {
	mu    sync.Mutex
	items map[[2]string]int64 // (eventId, fingerprint) -> etl seconds
	calls int
	err   error
}

func newMemManifest() *memManifest { return &memManifest{items: map[[2]string]int64{}} }

func (m *memManifest) Check(ctx context.Context, items []Item, keep []bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return m.err
	}
	for i, it := range items {
		k := [2]string{it.EventID, it.Fingerprint}
		etl := it.ETLTime.Unix()
		if old, ok := m.items[k]; ok && old != etl {
			keep[i] = false
			continue
		}
		m.items[k] = etl
		keep[i] = true
	}
	return nil
}

func mustTime(s string) time.Time {
	t, err := event.ParseTimestamp(s)
	if err != nil {
		panic(err)
	}
	return t
}
