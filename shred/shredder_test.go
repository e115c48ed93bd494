package shred_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu/iglutest"
	"github.com/furrowdata/furrow/shred"
)

// shredOne shreds one event, returning its messages when it is bad.
func shredOne(t *testing.T, sh *shred.Shredder, ev *event.Event) (*shred.Shredded, []string) {
	t.Helper()
	s, err := sh.Shred(testCtx(t), ev, "")
	if err == nil {
		return s, nil
	}
	e, ok := shred.AsError(err)
	if !ok {
		t.Fatalf("Shred returned a task error for a bad event: %v", err)
	}
	return nil, e.Messages
}

func TestShredBadEvents(t *testing.T) {
	sh := newShredder(t, testRegistry(t), true)
	ctxs := func(items ...string) string {
		return sdj("com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", "["+strings.Join(items, ",")+"]")
	}
	flat := sdj("com.furrow.test/flat/jsonschema/1-0-0", `{"name":"n"}`)
	for _, c := range []struct {
		name string
		edit func(ev *event.Event)
		want []string // substrings, one per message, in order
	}{
		{"event id", func(ev *event.Event) { ev.Fields[event.EventID] = "ABC" }, []string{"Field [event_id]: [ABC] is not a valid UUID"}},
		{"upper-case uuid", func(ev *event.Event) { ev.Fields[event.EventID] = strings.ToUpper(genID(1)) }, []string{"is not a valid UUID"}},
		{"timestamps", func(ev *event.Event) {
			ev.Fields[event.CollectorTstamp] = ""
			ev.Fields[event.ETLTstamp] = "2024-01-01 00:00:00"
		}, []string{"Field [collector_tstamp]: [null] is not in the expected Redshift/Postgres timestamp format", "Field [etl_tstamp]: [2024-01-01 00:00:00] is not"}},
		{"not self-describing", func(ev *event.Event) { ev.Fields[event.Contexts] = `{"data":[]}` }, []string{"Field [context]: self-describing JSON has no schema member"}},
		{"extra member", func(ev *event.Event) {
			ev.Fields[event.Contexts] = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[],"x":1}`
		}, []string{`unexpected member "x"`}},
		{"wrong wrapper", func(ev *event.Event) {
			ev.Fields[event.Contexts] = sdj("com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0", flat)
		}, []string{"verifying schema as com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-* failed: found iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"}},
		{"empty contexts 1-0-0", func(ev *event.Event) { ev.Fields[event.Contexts] = ctxs() }, []string{"at least 1 item"}},
		{"bad entity key", func(ev *event.Event) {
			ev.Fields[event.Contexts] = ctxs(`{"schema":"iglu:com.acme/x/jsonschema/1-0","data":{}}`)
		}, []string{"invalid Iglu schema key"}},
		{"missing schema", func(ev *event.Event) {
			ev.Fields[event.Contexts] = ctxs(sdj("com.acme/missing/jsonschema/1-0-0", `{}`))
		}, []string{"Could not find schema with key iglu:com.acme/missing/jsonschema/1-0-0 in any repository, tried:"}},
		{"invalid entity", func(ev *event.Event) {
			ev.Fields[event.Contexts] = ctxs(sdj("com.furrow.test/flat/jsonschema/1-0-0", `{"count":-1}`), flat)
		}, []string{"iglu:com.furrow.test/flat/jsonschema/1-0-0"}},
		{"all fields collected", func(ev *event.Event) {
			ev.Fields[event.UnstructEvent] = "|%|"
			ev.Fields[event.Contexts] = "&&&"
			ev.Fields[event.DerivedContexts] = ctxs(sdj("com.acme/missing/jsonschema/1-0-0", `{}`))
		}, []string{"Field [ue_properties]: invalid JSON [|%|] with parsing error: Unexpected character ('|' (code 124))", "Field [context]: invalid JSON [&&&]", "Could not find schema"}},
		{"unstorable value", func(ev *event.Event) {
			ev.Fields[event.Contexts] = ctxs(sdj("com.furrow.test/page_ctx/jsonschema/1-0-0", `{"url":"u","active":true,"published":"2024-01-01T25:00:00Z"}`))
		}, []string{"page_ctx/jsonschema/1-0-0"}},
		{"unstorable atomic", func(ev *event.Event) { ev.Fields[event.TrTotal] = "1e40" }, []string{"Field [tr_total]: [1e40] cannot be stored as DECIMAL(18,2)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := genEvent(1)
			ev.Fields[event.UnstructEvent] = ""
			c.edit(ev)
			_, msgs := shredOne(t, sh, ev)
			if len(msgs) != len(c.want) {
				t.Fatalf("messages %q, want %d like %q", msgs, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(msgs[i], w) {
					t.Errorf("message %d %q does not contain %q", i, msgs[i], w)
				}
			}
		})
	}
}

func TestShredLegacyAcceptsUntypedValues(t *testing.T) {
	sh := newShredder(t, testRegistry(t), false)
	ev := genEvent(2)
	ev.Fields[event.TrTotal] = "1e40"
	if _, msgs := shredOne(t, sh, ev); msgs != nil {
		t.Errorf("legacy (untyped) shredder rejected %q", msgs)
	}
}

func TestParseLine(t *testing.T) {
	var ev event.Event
	for _, c := range []struct {
		line string
		ok   bool
		msg  string
	}{
		{"", false, "Line does not match Snowplow enriched event (expected 108+ fields; found 1)"},
		{strings.Repeat("\t", 106), false, "found 107"},
		{strings.Repeat("\t", 107), true, ""},
		{strings.Repeat("\t", 130) + "\r", true, ""},
		{strings.Repeat("\t", 131), false, "expected 108 to 131 fields; found 132"},
	} {
		err := shred.ParseLine(c.line, &ev)
		if (err == nil) != c.ok {
			t.Errorf("ParseLine(%d fields) = %v", strings.Count(c.line, "\t")+1, err)
		}
		if err != nil && !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseLine: %v, want %q", err, c.msg)
		}
	}
}

func TestShredEntities(t *testing.T) {
	sh := newShredder(t, testRegistry(t), true)
	s, msgs := shredOne(t, sh, genEvent(3))
	if msgs != nil {
		t.Fatal(msgs)
	}
	var got []string
	for _, e := range s.Entities {
		got = append(got, e.Kind.String()+" "+e.Key.String())
	}
	want := []string{
		"SELF_DESCRIBING_EVENT iglu:com.furrow.test/click/jsonschema/1-0-0",
		"CONTEXT iglu:com.furrow.test/page_ctx/jsonschema/1-0-0",
		"CONTEXT iglu:com.furrow.test/flat/jsonschema/1-0-0",
		"CONTEXT iglu:com.furrow.test/flat/jsonschema/1-0-0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entities\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := string(s.Entities[0].AppendData(nil)); !strings.HasPrefix(d, `{"targetUrl":"http://t/3"`) {
		t.Errorf("data %s", d)
	}
	dup, err := sh.Shred(testCtx(t), genEvent(3), genID(99))
	if err != nil {
		t.Fatal(err)
	}
	last := dup.Entities[len(dup.Entities)-1]
	if last.Key != shred.DuplicateSchema || string(last.AppendData(nil)) != `{"originalEventId":"`+genID(99)+`"}` {
		t.Errorf("duplicate context %v %s", last.Key, last.AppendData(nil))
	}
}

// TestShredRegistryDownIsATaskError checks that a registry that cannot be
// reached fails the task (to be retried) instead of turning good events into
// bad rows.
func TestShredRegistryDownIsATaskError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	sh := newShredder(t, resolverFromConfig(t, iglutest.ResolverConfigJSON(srv.URL)), false)
	_, err := sh.Shred(testCtx(t), genEvent(0), "")
	if err == nil {
		t.Fatal("Shred succeeded without a registry")
	}
	if _, bad := shred.AsError(err); bad {
		t.Fatalf("registry outage became a bad row: %v", err)
	}
	if !strings.Contains(err.Error(), "resolving") {
		t.Errorf("error %v", err)
	}
}
