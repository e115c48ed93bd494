package collector_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/collector/collectortest"
)

// BenchmarkParse measures Parse per format on one realistic record.
//
//	go test ./enrich/collector -run '^$' -bench Parse -benchmem -count 10
func BenchmarkParse(b *testing.B) {
	rec, err := collectortest.SerializeCollectorPayload(samplePayload)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, format string
		data         []byte
	}{
		{"cloudfront-12", "cloudfront", []byte(cfLine("  ", 12, nil))},
		{"cloudfront-24", "cloudfront", []byte(cfLine("\t", 24, nil))},
		{"clj-tomcat-get", "clj-tomcat", []byte(cljGetOld + "\t-\t-\t-")},
		{"clj-tomcat-post", "clj-tomcat", []byte(cljPost("POST", " - - - application%2Fjson "+base64.RawURLEncoding.EncodeToString([]byte(cljBody))))},
		{"thrift", "thrift", rec},
		{"ndjson", "ndjson/com.urbanairship.connect/v1", []byte(`{"id":"0c43fd6a-7e92-4a47-8d3a-1b4ea5fa8e31","offset":"42","occurred":"2024-02-01T10:00:00.000Z","device":{"ios_channel":"5b1f"},"body":{"session_id":"x"},"type":"OPEN"}`)},
		{"tsv", "tsv/com.amazon.aws.cloudfront/wd_access_log", []byte(cfLine("\t", 24, nil))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := mustLookup(b, bc.format)
			if ps, err := f.Parse(bc.data); err != nil || len(ps) != 1 {
				b.Fatalf("%v %v", ps, err)
			}
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := f.Parse(bc.data); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// processCPU is the CPU time of the process (user+system, GC included):
// on a shared machine it measures the work better than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU nanoseconds per operation since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkReadLines measures line framing of a CloudFront file.
//
//	go test ./enrich/collector -run '^$' -bench ReadLines -benchmem
func BenchmarkReadLines(b *testing.B) {
	line := cfLine("\t", 24, nil)
	data := []byte(strings.Repeat(line+"\n", 10000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rr := collector.NewLineReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := rr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10000 {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkCloudFrontFile measures the whole collector stage for a CloudFront
// file: framing and parsing.
//
//	go test ./enrich/collector -run '^$' -bench CloudFrontFile -benchmem
func BenchmarkCloudFrontFile(b *testing.B) {
	f := mustLookup(b, "cloudfront")
	data := []byte(strings.Repeat(cfLine("\t", 24, nil)+"\n", 10000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		rr := f.NewReader(bytes.NewReader(data))
		for {
			rec, err := rr.Next()
			if err == io.EOF {
				break
			}
			if _, err := f.Parse(rec.Data); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "events/s")
}
