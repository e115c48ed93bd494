package referer

import "testing"

var benchReferers = []string{
	"https://www.google.com/search?q=snowplow+analytics&ie=UTF-8&oe=UTF-8",
	"https://www.google.co.uk/url?sa=t&rct=j&q=&esrc=s&source=web&cd=1",
	"http://www.facebook.com/l.php?u=http%3A%2F%2Fwww.example.com&h=yAQHZtXxS&s=1",
	"https://t.co/chrgFZDb",
	"https://www.example.com/blog/post-1",
	"https://www.bing.com/images/search?q=psychic+oracle+cards&view=detail",
	"http://webmail1m.orange.fr/webmail/fr_FR/read.html?FOLDER=SF_INBOX",
	"https://some-blog.example.net/2024/01/a-post-about-things",
	"https://yandex.ru/search/?text=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82&lr=213",
	"https://duckduckgo.com/",
}

// BenchmarkLookup measures one Lookup (URI split included) over a mix of
// referrers against the 0.3.0 database (skipped without ../shared):
//
//	go test -run '^$' -bench Lookup -benchmem ./enrich/enrichment/referer/
func BenchmarkLookup(b *testing.B) {
	db := referenceDB(b)
	internal := []string{"www.subdomain1.example.com"}
	n := 0
	for _, r := range benchReferers {
		n += len(r)
	}
	b.SetBytes(int64(n / len(benchReferers)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		db.Lookup(benchReferers[i%len(benchReferers)], "www.example.com", internal)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "referers/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
