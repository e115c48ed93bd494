package shred_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/storage"
)

// discardStore is a storage.Store that keeps nothing: benchmarks measure the
// encoder, not a disk.
type discardStore struct{ storage.Store }

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) Close() error                { return nil }
func (discardWriter) Abort() error                { return nil }

func (discardStore) Create(context.Context, string) (storage.Writer, error) {
	return discardWriter{}, nil
}

// atomicLine is a realistic page view without entities (~600 bytes of TSV).
func atomicLine(i int) string {
	var ev event.Event
	f := &ev.Fields
	ct := genBase.Add(time.Duration(i) * 37 * time.Millisecond)
	for k, v := range map[event.Field]string{
		event.AppID: "site", event.Platform: "web", event.ETLTstamp: "2024-03-02 00:00:00.000",
		event.CollectorTstamp: event.FormatTimestamp(ct), event.DvceCreatedTstamp: event.FormatTimestamp(ct.Add(-time.Second)),
		event.EventType: "page_view", event.EventID: genID(i), event.NameTracker: "cf", event.VTracker: "js-2.17.0",
		event.VCollector: "clj-1.1.0-tom-0.2.0", event.VETL: "furrow-1.0", event.UserIPAddress: "203.0.113." + strconv.Itoa(i%250),
		event.DomainUserID: fmt.Sprintf("%016x", i*7919), event.DomainSessionIdx: strconv.Itoa(i%40 + 1),
		event.NetworkUserID: genID(i / 3), event.GeoCountry: "US", event.GeoRegion: "CA", event.GeoCity: "San Francisco",
		event.GeoLatitude: "37.7749", event.GeoLongitude: "-122.4194", event.PageURL: "https://www.example.com/blog/post-" + strconv.Itoa(i%500) + "?utm_source=news",
		event.PageTitle: "A blog post about analytics number " + strconv.Itoa(i%500), event.PageURLScheme: "https",
		event.PageURLHost: "www.example.com", event.PageURLPort: "443", event.PageURLPath: "/blog/post-" + strconv.Itoa(i%500),
		event.PageURLQuery: "utm_source=news", event.MktSource: "news",
		event.Useragent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		event.BrLang:    "en-US", event.BrFeaturesPDF: "1", event.BrFeaturesFlash: "0", event.BrCookies: "1", event.BrColordepth: "24",
		event.BrViewwidth: "1440", event.BrViewheight: "900", event.OSTimezone: "America/Los_Angeles", event.DvceScreenwidth: "2560",
		event.DvceScreenheight: "1440", event.DocCharset: "UTF-8", event.DocWidth: "1440", event.DocHeight: "5000",
		event.DvceSentTstamp: event.FormatTimestamp(ct.Add(-500 * time.Millisecond)), event.DomainSessionID: genID(i / 10),
		event.DerivedTstamp: event.FormatTimestamp(ct), event.EventVendor: "com.snowplowanalytics.snowplow",
		event.EventName: "page_view", event.EventFormat: "jsonschema", event.EventVersion: "1-0-0",
		event.EventFingerprint: fmt.Sprintf("%032x", i), event.TrTotal: []string{"", "19.99"}[i%2],
	} {
		f[k] = v
	}
	return string(event.AppendTSV(nil, &ev))
}

// threeContextLine is atomicLine plus three contexts of two models.
func threeContextLine(i int) string {
	var ev event.Event
	if err := event.ParseTSV(atomicLine(i), &ev); err != nil {
		panic(err)
	}
	ev.Fields[event.Contexts] = sdj("com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", "["+strings.Join([]string{
		sdj("com.furrow.test/page_ctx/jsonschema/1-0-1", pageCtx(i, "1-0-1")),
		sdj("com.furrow.test/flat/jsonschema/1-0-0", fmt.Sprintf(`{"name":"n%d","count":%d,"ratio":0.5,"ok":true}`, i, i)),
		sdj("com.furrow.test/flat/jsonschema/1-0-0", `{"name":"second","count":2}`),
	}, ",")+"]")
	return string(event.AppendTSV(nil, &ev))
}

func benchInput(n int, gen func(int) string) ([]string, int64) {
	out := make([]string, n)
	var bytes int64
	for i := range out {
		out[i] = gen(i)
		bytes += int64(len(out[i])) + 1
	}
	return out, bytes
}

// benchShred runs lines through ParseLine, Shred and (unless format is "")
// a writer, b.N events in all, cycling over the input.
func benchShred(b *testing.B, sh *shred.Shredder, format shred.Format, in []string, bytes int64) {
	ctx := context.Background()
	var w shred.Writer
	if format != "" {
		var err error
		w, err = shred.NewWriter(shred.WriterConfig{Format: format, Store: discardStore{}, Shredder: sh})
		if err != nil {
			b.Fatal(err)
		}
	}
	evs := make([]event.Event, len(in)) // writers may keep events until they flush
	b.SetBytes(bytes / int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		j := i % len(in)
		ev := &evs[j]
		if err := shred.ParseLine(in[j], ev); err != nil {
			b.Fatal(err)
		}
		s, err := sh.Shred(ctx, ev, "")
		if err != nil {
			b.Fatal(err)
		}
		if w != nil {
			if err := w.Write(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
	}
	if w != nil {
		if _, err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	// CPU time is steadier than wall time on a shared machine; it includes
	// the GC's background work.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParquetEncodeAtomic measures enriched TSV → typed atomic Parquet
// (zstd), events without entities: parse, checks, Arrow batches of 8192
// rows, Parquet encoding. MB/s is of TSV in.
//
//	go test ./shred -run '^$' -bench BenchmarkParquetEncodeAtomic -benchtime 200000x -count 5
func BenchmarkParquetEncodeAtomic(b *testing.B) {
	sh := newShredder(b, testRegistry(b), true)
	in, bytes := benchInput(16384, atomicLine)
	for _, f := range []shred.Format{shred.FormatParquet, shred.FormatLegacy} {
		b.Run(string(f), func(b *testing.B) { benchShred(b, sh, f, in, bytes) })
	}
}

// BenchmarkShred3Contexts measures events with three contexts each (two
// models, one with 15 typed columns, lists and nested objects): "shred" is
// parse + JSON + Iglu validation + column checks only; the others add the
// writer of that format.
//
//	go test ./shred -run '^$' -bench BenchmarkShred3Contexts -benchtime 100000x -count 5
func BenchmarkShred3Contexts(b *testing.B) {
	in, bytes := benchInput(16384, threeContextLine)
	for _, f := range []shred.Format{"", shred.FormatParquet, shred.FormatWideRow, shred.FormatLegacy} {
		name := string(f)
		if name == "" {
			name = "shred"
		}
		b.Run(name, func(b *testing.B) {
			sh := newShredder(b, testRegistry(b), f != shred.FormatLegacy)
			benchShred(b, sh, f, in, bytes)
		})
	}
}
