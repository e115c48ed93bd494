package shuffletest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
)

func TestTSVRecords(t *testing.T) {
	a, ids := TSVRecords(7, 200)
	b, _ := TSVRecords(7, 200)
	total := 0
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("record %d differs between runs with the same seed", i)
		}
		var e event.Event
		if err := event.ParseTSV(string(a[i]), &e); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if e.Get(event.EventID) != string(ids[i]) {
			t.Fatalf("record %d: event_id %q, ids says %q", i, e.Get(event.EventID), ids[i])
		}
		if strings.Count(string(a[i]), "\t") != event.NumFields-1 {
			t.Fatalf("record %d has %d fields", i, strings.Count(string(a[i]), "\t")+1)
		}
		total += len(a[i])
	}
	if avg := total / len(a); avg < 800 || avg > 1300 {
		t.Fatalf("average record is %d bytes, want about 1 KB", avg)
	}
}
