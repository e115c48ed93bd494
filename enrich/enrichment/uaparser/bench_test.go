package uaparser

import (
	"path/filepath"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment/referer"
	"github.com/furrowdata/furrow/enrich/enrichment/uautils"
	"github.com/furrowdata/furrow/internal/testservers"
)

// benchAgents is a mix of common real-world agents.
var benchAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; .NET CLR 1.1.4322)",
	"Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	"python-requests/2.31.0",
}

func benchParse(b *testing.B, p *Parser) {
	n := 0
	for _, a := range benchAgents {
		n += len(a)
	}
	b.SetBytes(int64(n / len(benchAgents)))
	b.ReportAllocs()
	buf := make([]byte, 0, 1024)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		r := p.Parse(benchAgents[i%len(benchAgents)])
		buf = r.AppendContext(buf[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "agents/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkContext measures Parse + AppendContext (uncached) over a mix of
// agents, with the 1.3.0 rules (skipped without ../shared) and with the
// embedded uap-core rules:
//
//	go test -run '^$' -bench Context -benchmem ./enrich/enrichment/uaparser/
func BenchmarkContext(b *testing.B) {
	b.Run("java-1.3.0", func(b *testing.B) { benchParse(b, referenceParser(b)) })
	b.Run("embedded-uap-core", func(b *testing.B) {
		p, err := Default()
		if err != nil {
			b.Fatal(err)
		}
		benchParse(b, p)
	})
}

// BenchmarkThreeEnrichments measures, per event, what the three
// reference-table enrichments cost together, uncached, with R108's tables
// (skipped without ../shared): UserAgentUtils fields, ua_parser_context and
// the referer lookup.
//
//	go test -run '^$' -bench ThreeEnrichments -benchmem ./enrich/enrichment/uaparser/
func BenchmarkThreeEnrichments(b *testing.B) {
	ref := testservers.SharedPath(b, "reference")
	p := referenceParser(b)
	tab, err := uautils.LoadFile(filepath.Join(ref, "user-agent-utils-1.21.json"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := referer.LoadFile(filepath.Join(ref, "referers-0.3.0.yml"))
	if err != nil {
		b.Fatal(err)
	}
	referers := []string{
		"https://www.google.com/search?q=snowplow+analytics&ie=UTF-8",
		"https://www.google.co.uk/url?sa=t&rct=j&q=&esrc=s&source=web&cd=1",
		"http://www.facebook.com/l.php?u=http%3A%2F%2Fwww.example.com&h=yAQHZtXxS",
		"https://t.co/chrgFZDb",
		"https://www.example.com/blog/post-1",
		"https://some-blog.example.net/2024/01/a-post",
		"https://www.bing.com/search?q=oracle+cards&form=QBLH",
	}
	internal := []string{"www.subdomain1.example.com"}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		ua := benchAgents[i%len(benchAgents)]
		_ = tab.Parse(ua)
		r := p.Parse(ua)
		buf = r.AppendContext(buf[:0])
		db.Lookup(referers[i%len(referers)], "www.example.com", internal)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
