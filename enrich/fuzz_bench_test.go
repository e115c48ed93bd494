package enrich

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
)

var fuzzKeys = []string{"e", "eid", "p", "tid", "vid", "sid", "dtm", "stm", "ttm", "res", "vp", "ds", "f_pdf", "cookie",
	"url", "refr", "co", "cx", "ue_pr", "ue_px", "se_va", "tr_tt", "ti_qu", "pp_mix", "cv", "tnuid", "aid", "page", "unknown"}

// FuzzEnrich feeds arbitrary parameter maps to the Enricher: it must never
// panic, and must return exactly one of an event or failure messages; a
// returned event's fields are all valid for their types.
//
//	go test ./enrich -run XXX -fuzz FuzzEnrich -fuzztime 60s
func FuzzEnrich(f *testing.F) {
	f.Add("e=pv&url=http://a.com/?_sp=x.1&res=1x2", "Mozilla%20x", "http://r.com/")
	f.Add("e=ue&ue_pr="+goodUnstruct+"&cx="+b64(goodContexts), "", "")
	f.Add("e=se&se_va=1e5&tid=07&vid=-0&dtm=99999999999999", "%zz", "::")
	f.Add("e=tr&tr_tt=.&refr=http://x.com/|{}&url=mailto:x&cv=", "", "http://[::1/")
	en := newTestEnricher(f, nil)
	f.Fuzz(func(t *testing.T, qs, ua, referer string) {
		params := map[string]string{}
		for i, kv := range strings.Split(qs, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "" {
				k = fuzzKeys[i%len(fuzzKeys)]
			}
			params[k] = v
		}
		raw := rawEvent(params)
		raw.Context.UserAgent = ua
		raw.Context.RefererURI = referer
		ev, msgs := en.Enrich(context.Background(), raw)
		if (ev == nil) == (len(msgs) == 0) {
			t.Fatalf("Enrich returned event=%v and %d messages", ev != nil, len(msgs))
		}
		for _, m := range msgs {
			if m == "" {
				t.Fatal("empty failure message")
			}
		}
		if ev != nil {
			for i := range ev.Fields {
				if err := event.ValidateField(event.Field(i), ev.Fields[i]); err != nil && !strings.Contains(err.Error(), "longer than") {
					t.Fatalf("invalid field in a good event: %v", err)
				}
			}
		}
	})
}

// typicalPageView is a CloudFront JavaScript-tracker page view (the
// parameters of PageViewCfLineSpec's line, written afresh).
func typicalPageView() map[string]string {
	return map[string]string{
		"e": "pv", "eid": "550e8400-e29b-41d4-a716-446655440000", "page": "Psychic Bazaar\tShop",
		"dtm": "1364219529188", "tid": "637309", "vp": "2560x935", "ds": "2543x1273", "vid": "41",
		"duid": "9795bd0203804cd1", "p": "web", "tv": "js-0.11.1", "fp": "2876815413", "aid": "pbzsite",
		"lang": "en-GB", "cs": "UTF-8", "tz": "Europe/London",
		"refr":  "http://www.google.com/search?q=gateway+oracle+cards&hl=en&client=safari",
		"f_pdf": "1", "f_qt": "0", "f_realp": "0", "f_wma": "0", "f_dir": "0", "f_fla": "1", "f_java": "1",
		"f_gears": "0", "f_ag": "1", "res": "2560x1440", "cd": "32", "cookie": "1",
		"url": "http://www.psychicbazaar.com/crystals/335-howlite-tumble-stone.html?view=print#detail",
		"cv":  "clj-0.5.0-tom-0.0.4",
	}
}

func benchEnrich(b *testing.B, params map[string]string) {
	en := newTestEnricher(b, nil)
	raw := rawEvent(params)
	ctx := context.Background()
	if _, msgs := en.Enrich(ctx, raw); msgs != nil {
		b.Fatal(msgs)
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		if ev, _ := en.Enrich(ctx, raw); ev == nil {
			b.Fatal("failed")
		}
	}
	b.StopTimer()
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	// CPU time (all threads, GC included) per event: meaningful on a
	// loaded machine where wall time is not.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// processCPU returns the process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEnrichPageView measures the core enricher (no configurable
// enrichment) on a typical page view.
//
//	go test ./enrich -run XXX -bench BenchmarkEnrich -benchtime 2s -count 5
func BenchmarkEnrichPageView(b *testing.B) { benchEnrich(b, typicalPageView()) }

// BenchmarkEnrichUnstructTwoContexts measures an unstructured event with two
// custom contexts, each validated against its (cached) Iglu schema.
//
//	go test ./enrich -run XXX -bench BenchmarkEnrich -benchtime 2s -count 5
func BenchmarkEnrichUnstructTwoContexts(b *testing.B) {
	p := typicalPageView()
	p["e"] = "ue"
	p["ue_px"] = b64(goodUnstruct)
	p["cx"] = b64(goodContexts)
	benchEnrich(b, p)
}
