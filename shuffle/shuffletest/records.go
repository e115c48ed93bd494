package shuffletest

import (
	"fmt"
	"math/rand"
	"strconv"
	"time"

	"github.com/furrowdata/furrow/event"
)

var (
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
	}
	cities  = [][4]string{{"GB", "ENG", "London", "Europe/London"}, {"US", "NY", "New York", "America/New_York"}, {"DE", "BE", "Berlin", "Europe/Berlin"}, {"FR", "IDF", "Paris", "Europe/Paris"}}
	paths   = []string{"/", "/products", "/products/shoes", "/cart", "/checkout", "/blog/how-to-choose-running-shoes", "/account/orders"}
	titles  = []string{"Home", "Products", "Running shoes", "Your cart", "Checkout", "How to choose running shoes", "Your orders"}
	schemas = []string{"iglu:com.acme/product/jsonschema/1-0-2", "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0", "iglu:org.w3/PerformanceTiming/jsonschema/1-0-0"}
)

// TSVRecords returns n enriched-TSV lines shaped like furrow's map output
// (131 fields, about 1 KB each: random ids, timestamps, IPs and values,
// realistic URLs, user agents and a contexts JSON) and their event ids.
// The same seed gives the same records.
func TSVRecords(seed int64, n int) (lines, ids [][]byte) {
	rng := rand.New(rand.NewSource(seed))
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	uuid := func() string {
		var b [16]byte
		rng.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	hex := func(k int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, k)
		for i := range b {
			b[i] = digits[rng.Intn(16)]
		}
		return string(b)
	}
	lines, ids = make([][]byte, n), make([][]byte, n)
	var e event.Event
	for i := 0; i < n; i++ {
		e = event.Event{}
		ts := base.Add(time.Duration(rng.Int63n(int64(24 * time.Hour))))
		city := cities[rng.Intn(len(cities))]
		page := rng.Intn(len(paths))
		id := uuid()
		e.Set(event.AppID, "shop-web")
		e.Set(event.Platform, "web")
		e.Set(event.ETLTstamp, event.FormatTimestamp(base.Add(25*time.Hour)))
		e.Set(event.CollectorTstamp, event.FormatTimestamp(ts))
		e.Set(event.DvceCreatedTstamp, event.FormatTimestamp(ts.Add(-time.Duration(rng.Intn(3000))*time.Millisecond)))
		e.Set(event.DerivedTstamp, event.FormatTimestamp(ts.Add(-time.Duration(rng.Intn(2000))*time.Millisecond)))
		e.Set(event.EventType, "page_view")
		e.Set(event.EventID, id)
		e.Set(event.NameTracker, "cf")
		e.Set(event.VTracker, "js-2.10.2")
		e.Set(event.VCollector, "cloudfront")
		e.Set(event.VETL, "furrow-0.1.0")
		e.Set(event.UserIPAddress, fmt.Sprintf("%d.%d.%d.x", 1+rng.Intn(223), rng.Intn(256), rng.Intn(256)))
		e.Set(event.DomainUserID, hex(16))
		e.Set(event.DomainSessionIdx, strconv.Itoa(1+rng.Intn(40)))
		e.Set(event.DomainSessionID, uuid())
		e.Set(event.NetworkUserID, uuid())
		e.Set(event.GeoCountry, city[0])
		e.Set(event.GeoRegion, city[1])
		e.Set(event.GeoCity, city[2])
		e.Set(event.GeoTimezone, city[3])
		e.Set(event.GeoLatitude, strconv.FormatFloat(rng.Float64()*180-90, 'f', 4, 64))
		e.Set(event.GeoLongitude, strconv.FormatFloat(rng.Float64()*360-180, 'f', 4, 64))
		query := fmt.Sprintf("utm_source=news&utm_campaign=spring%d&ref=%s", rng.Intn(20), hex(8))
		e.Set(event.PageURL, "https://shop.example.com"+paths[page]+"?"+query)
		e.Set(event.PageTitle, titles[page]+" | Example Shop")
		e.Set(event.PageReferrer, "https://www.google.com/search?q="+hex(6))
		e.Set(event.PageURLScheme, "https")
		e.Set(event.PageURLHost, "shop.example.com")
		e.Set(event.PageURLPort, "443")
		e.Set(event.PageURLPath, paths[page])
		e.Set(event.PageURLQuery, query)
		e.Set(event.RefrURLScheme, "https")
		e.Set(event.RefrURLHost, "www.google.com")
		e.Set(event.RefrURLPort, "443")
		e.Set(event.RefrURLPath, "/search")
		e.Set(event.RefrMedium, "search")
		e.Set(event.RefrSource, "Google")
		e.Set(event.MktMedium, "email")
		e.Set(event.MktSource, "news")
		e.Set(event.MktCampaign, fmt.Sprintf("spring%d", rng.Intn(20)))
		e.Set(event.Contexts, fmt.Sprintf(`{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":"%s","data":{"id":"%s","sku":"SKU-%06d","price":%d.%02d,"inStock":%t}}]}`,
			schemas[rng.Intn(len(schemas))], uuid(), rng.Intn(1000000), rng.Intn(500), rng.Intn(100), rng.Intn(2) == 0))
		e.Set(event.Useragent, userAgents[rng.Intn(len(userAgents))])
		e.Set(event.BrLang, "en-GB")
		e.Set(event.BrFeaturesPDF, "1")
		e.Set(event.BrFeaturesFlash, "0")
		e.Set(event.BrCookies, "1")
		e.Set(event.BrColordepth, "24")
		e.Set(event.BrViewwidth, strconv.Itoa(800+rng.Intn(1200)))
		e.Set(event.BrViewheight, strconv.Itoa(600+rng.Intn(600)))
		e.Set(event.OSTimezone, city[3])
		e.Set(event.DvceScreenwidth, strconv.Itoa(1024+rng.Intn(1500)))
		e.Set(event.DvceScreenheight, strconv.Itoa(768+rng.Intn(700)))
		e.Set(event.DocCharset, "UTF-8")
		e.Set(event.DocWidth, strconv.Itoa(800+rng.Intn(1200)))
		e.Set(event.DocHeight, strconv.Itoa(2000+rng.Intn(6000)))
		e.Set(event.EventVendor, "com.snowplowanalytics.snowplow")
		e.Set(event.EventName, "page_view")
		e.Set(event.EventFormat, "jsonschema")
		e.Set(event.EventVersion, "1-0-0")
		e.Set(event.EventFingerprint, hex(32))
		lines[i] = event.AppendTSV(make([]byte, 0, 1200), &e)
		ids[i] = []byte(id)
	}
	return lines, ids
}
