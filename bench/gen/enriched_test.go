package gen

import (
	"bytes"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
)

func TestEnrichedDeterministic(t *testing.T) {
	cfg := DefaultEnrichedConfig()
	cfg.Events = 3000
	a, sa, err := Enriched(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, sb, err := Enriched(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || sa != sb {
		t.Fatal("the same seed gave different bytes")
	}
	cfg.Seed++
	c, _, err := Enriched(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same bytes")
	}
	if int64(len(a)) != sa.Bytes {
		t.Fatalf("stats say %d bytes, wrote %d", sa.Bytes, len(a))
	}
}

// TestEnrichedShape checks every line parses as 131 fields with three
// contexts, and that the duplicates are what the stats say: natural copies
// share event_id and fingerprint, synthetic ones only the event_id.
func TestEnrichedShape(t *testing.T) {
	cfg := DefaultEnrichedConfig()
	cfg.Events = 20000
	cfg.NaturalDupShare, cfg.SyntheticDupShare = 0.05, 0.02
	data, st, err := Enriched(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != cfg.Events || st.Lines != cfg.Events {
		t.Fatalf("%d lines (stats %d), want %d", len(lines), st.Lines, cfg.Events)
	}
	pairs := map[[2]string]int{}
	ids := map[string]map[string]bool{}
	kinds := map[string]int{}
	var ev event.Event
	for i, l := range lines {
		if n := event.CountTSVFields(l); n != event.NumFields {
			t.Fatalf("line %d: %d fields", i+1, n)
		}
		if err := event.ParseTSV(l, &ev); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if errs := ev.Validate(); len(errs) > 0 {
			t.Fatalf("line %d: %v", i+1, errs)
		}
		id, fp := ev.Fields[event.EventID], ev.Fields[event.EventFingerprint]
		pairs[[2]string{id, fp}]++
		if ids[id] == nil {
			ids[id] = map[string]bool{}
		}
		ids[id][fp] = true
		kinds[ev.Fields[event.EventType]]++
		n := strings.Count(ev.Fields[event.Contexts], `"schema":"iglu:`+cfg.Vendor+"/") +
			strings.Count(ev.Fields[event.DerivedContexts], "/ua_parser_context/")
		if n != 3 {
			t.Fatalf("line %d: %d contexts, want 3", i+1, n)
		}
	}
	natural := 0
	for _, n := range pairs {
		natural += n - 1
	}
	synthetic := 0
	for _, fps := range ids {
		synthetic += len(fps) - 1
	}
	if natural != st.Natural || synthetic != st.Synthetic {
		t.Fatalf("found %d natural and %d synthetic duplicates, stats say %d and %d", natural, synthetic, st.Natural, st.Synthetic)
	}
	if want := cfg.NaturalDupShare * float64(cfg.Events); float64(natural) < want*0.8 || float64(natural) > want*1.2 {
		t.Fatalf("%d natural duplicates, want about %.0f", natural, want)
	}
	for _, k := range []string{"page_view", "page_ping", "struct", "unstruct", "transaction", "transaction_item"} {
		if kinds[k] == 0 {
			t.Fatalf("no %s events: %v", k, kinds)
		}
	}
}

func TestEnrichedConfigValidate(t *testing.T) {
	cfg := DefaultEnrichedConfig()
	cfg.NaturalDupShare, cfg.SyntheticDupShare = 0.6, 0.5
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "natural_dup_share") {
		t.Fatalf("got %v, want an error naming natural_dup_share", err)
	}
}
