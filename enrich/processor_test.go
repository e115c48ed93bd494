package enrich

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
)

// lineFormat is a pure in-memory format for processor unit tests: a record
// "#…" is a header (discarded), "!msg1|msg2" fails to parse, anything else
// is one payload whose querystring is the record ("k=v&k=v"; "||" separates
// events for lineAdapters).
type lineFormat struct{}

func (lineFormat) BadLine(b []byte) string { return "line:" + string(b) }

func (lineFormat) Parse(b []byte) ([]collector.Payload, error) {
	s := string(b)
	switch {
	case strings.HasPrefix(s, "#"):
		return nil, nil
	case strings.HasPrefix(s, "!"):
		return nil, &collector.ParseError{Messages: strings.Split(s[1:], "|")}
	}
	return []collector.Payload{{Body: s, Source: collector.Source{Name: "test", Encoding: "UTF-8"},
		Context: rawEvent(nil).Context}}, nil
}

type lineAdapters struct{}

func (lineAdapters) ToRawEvents(_ context.Context, p *collector.Payload) ([]adapter.RawEvent, []string) {
	if p.Body == "reject" {
		return nil, []string{"adapter says no", "really"}
	}
	if p.Body == "empty" {
		return nil, nil
	}
	var out []adapter.RawEvent
	for _, ev := range strings.Split(p.Body, "||") {
		params := map[string]string{}
		for _, kv := range strings.Split(ev, "&") {
			k, v, _ := strings.Cut(kv, "=")
			params[k] = v
		}
		out = append(out, adapter.RawEvent{Parameters: params, Source: p.Source, Context: p.Context})
	}
	return out, nil
}

type panicJS struct{}

func (panicJS) Process(_ context.Context, e *event.Event) ([]json.RawMessage, error) {
	if e.Fields[event.AppID] == "boom" {
		panic("script crashed")
	}
	return nil, nil
}

func TestProcessor(t *testing.T) {
	reg := enrichment.Empty()
	reg.JavaScript.Impl = panicJS{}
	p, err := NewProcessor(ProcessorConfig{Format: lineFormat{}, Adapters: lineAdapters{}, Enricher: newTestEnricher(t, reg), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		good, discarded int
		bad             [][]string // messages of each bad row
	}
	for _, c := range []struct {
		record string
		want   want
	}{
		{"#Version: 1.0", want{discarded: 1}},
		{"!Line does not match|second problem", want{bad: [][]string{{"Line does not match", "second problem"}}}},
		{"reject", want{bad: [][]string{{"adapter says no", "really"}}}},
		{"empty", want{bad: [][]string{{"Payload yielded no events"}}}},
		{"e=pv", want{good: 1}},
		{"e=pv||e=lol||e=se&vid=x||e=pp", want{good: 2, bad: [][]string{
			{"Field [e]: [lol] is not a recognised event code", "Unrecognized event [null]"},
			{"Field [vid]: cannot convert [x] to Int"}}}},
		{"e=pv||e=pv&aid=boom", want{bad: [][]string{{"Unexpected error processing events: script crashed"}}}},
	} {
		var res Result
		res.Events = append(res.Events, &event.Event{}) // Process appends
		p.Process(context.Background(), []byte(c.record), &res)
		if got := len(res.Events) - 1; got != c.want.good {
			t.Errorf("%q: %d good events, want %d", c.record, got, c.want.good)
		}
		if res.Discarded != c.want.discarded {
			t.Errorf("%q: discarded %d, want %d", c.record, res.Discarded, c.want.discarded)
		}
		if len(res.Bad) != len(c.want.bad) {
			t.Errorf("%q: %d bad rows, want %d: %+v", c.record, len(res.Bad), len(c.want.bad), res.Bad)
			continue
		}
		for i, b := range res.Bad {
			var msgs []string
			for _, m := range b.Errors {
				msgs = append(msgs, m.Message)
			}
			if !slices.Equal(msgs, c.want.bad[i]) {
				t.Errorf("%q: bad row %d messages %q, want %q", c.record, i, msgs, c.want.bad[i])
			}
			if b.Line != "line:"+c.record || b.FailureTstamp != "2001-09-09T01:46:40.000Z" {
				t.Errorf("%q: bad row line %q, failure_tstamp %q", c.record, b.Line, b.FailureTstamp)
			}
		}
		// Conservation: discarded, or at least one good event or bad row.
		if n := len(res.Events) - 1 + len(res.Bad); (res.Discarded == 1) == (n > 0) {
			t.Errorf("%q: record neither discarded nor accounted for exactly once", c.record)
		}
		res.Reset()
		if len(res.Events) != 0 || len(res.Bad) != 0 || res.Discarded != 0 {
			t.Error("Reset left data")
		}
	}
	if _, err := NewProcessor(ProcessorConfig{}); err == nil || !strings.Contains(err.Error(), "Format is required") {
		t.Errorf("empty config: %v", err)
	}
}

// TestProcessorRecycle checks that recycled events (Result.Recycle) give
// the same events as fresh ones, records after records, good and bad mixed.
func TestProcessorRecycle(t *testing.T) {
	p, err := NewProcessor(ProcessorConfig{Format: lineFormat{}, Adapters: lineAdapters{}, Enricher: newTestEnricher(t, nil), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	records := []string{
		"e=pv&aid=a&url=http://a.example/x?y=1&refr=http://b.example/&tv=js-1&page=A",
		"e=pv||e=lol||e=se&se_ca=c&se_ac=a&se_va=1.5",
		"e=pp&pp_mix=1&pp_max=2&tr_id=x",
		"e=tr&tr_id=1&tr_tt=3.5&tr_cu=EUR&dtm=1700000000000",
		"e=pv&vid=x",
		"e=se&se_ca=only",
	}
	var fresh, recycled Result
	recycled.Recycle = true
	var got, want []string
	for round := 0; round < 3; round++ {
		for _, r := range records {
			fresh.Reset()
			recycled.Reset()
			p.Process(context.Background(), []byte(r), &fresh)
			p.Process(context.Background(), []byte(r), &recycled)
			if len(fresh.Bad) != len(recycled.Bad) {
				t.Fatalf("%q: %d bad rows recycled, %d fresh", r, len(recycled.Bad), len(fresh.Bad))
			}
			for i, e := range fresh.Events {
				// event_id and derived ids are random: compare the rest.
				e.Fields[event.EventID] = ""
				want = append(want, string(event.AppendTSV(nil, e)))
				if i < len(recycled.Events) {
					recycled.Events[i].Fields[event.EventID] = ""
					got = append(got, string(event.AppendTSV(nil, recycled.Events[i])))
				}
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("recycled events differ from fresh ones:\n%q\n%q", got, want)
	}
	if len(recycled.free) == 0 {
		t.Error("Recycle kept no event for reuse")
	}
}
