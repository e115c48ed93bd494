// Package gen generates realistic, deterministic Snowplow collector logs
// (CloudFront web-distribution access logs and Clojure-collector Tomcat
// logs) for furrow's bundled sample and its benchmarks: page views, page
// pings, structured and self-describing events with contexts,
// transactions, tp2 POST batches and a share of broken lines. The same seed
// always gives the same bytes.
package gen

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/url"
	"strings"
	"time"
)

// Config controls a generated log.
type Config struct {
	Seed     int64
	Lines    int       // lines to generate
	Start    time.Time // collector time of the first line (UTC)
	BadShare float64   // share of deliberately broken lines, 0..1
	// PostShare is the share of Tomcat lines that are tp2 POST batches.
	PostShare float64
	// Vendor is the Iglu vendor of the sample's own schemas.
	Vendor string
}

// DefaultConfig is the configuration of the bundled sample.
func DefaultConfig() Config {
	return Config{
		Seed:      42,
		Lines:     300,
		Start:     time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
		BadShare:  0.04,
		PostShare: 0.15,
		Vendor:    "com.furrowdata.sample",
	}
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.66 Mobile Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0",
	"Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
}

// ips are documentation and test addresses; the sample's MaxMind test
// database (testdata) maps them to cities.
var ips = []string{
	"81.2.69.142", "81.2.69.160", "216.160.83.56", "89.160.20.112", "89.160.20.128",
	"175.16.199.10", "2.125.160.216", "67.43.156.12", "202.196.224.5",
}

var pages = []struct{ path, title string }{
	{"/", "Acme Outdoor - Gear for every trail"},
	{"/tents/2-person", "Two-person tents | Acme Outdoor"},
	{"/tents/2-person/ridgeline-2", "Ridgeline 2 ultralight tent | Acme Outdoor"},
	{"/boots/hiking", "Hiking boots | Acme Outdoor"},
	{"/boots/hiking/summit-gtx", "Summit GTX boots | Acme Outdoor"},
	{"/cart", "Your cart | Acme Outdoor"},
	{"/checkout/confirmation", "Thank you for your order | Acme Outdoor"},
	{"/blog/packing-list-for-a-weekend-hike", "A packing list for a weekend hike\tAcme Journal"},
}

var referers = []string{
	"",
	"https://www.google.com/search?q=ultralight+tent&hl=en",
	"https://www.bing.com/search?q=hiking+boots+gore-tex",
	"https://www.facebook.com/",
	"https://www.acme-outdoor.com/",
	"https://duckduckgo.com/?q=weekend+hike+packing+list",
	"https://mail.example.org/inbox",
}

var campaigns = []string{
	"",
	"utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale",
	"utm_source=google&utm_medium=cpc&utm_term=tents&utm_campaign=brand&gclid=Cj0KCQiA-sample",
	"",
	"",
}

// gen is one generator run.
type gen struct {
	cfg Config
	rng *rand.Rand
	t   time.Time
}

func newGen(cfg Config) *gen {
	return &gen{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), t: cfg.Start}
}

func (g *gen) pick(xs []string) string { return xs[g.rng.Intn(len(xs))] }

func (g *gen) uuid() string {
	var b [16]byte
	g.rng.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *gen) tick() time.Time {
	g.t = g.t.Add(time.Duration(200+g.rng.Intn(4000)) * time.Millisecond)
	return g.t
}

func sdj(schema string, data any) string {
	b, err := json.Marshal(map[string]any{"schema": schema, "data": data})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (g *gen) schema(name string) string {
	return "iglu:" + g.cfg.Vendor + "/" + name + "/jsonschema/1-0-0"
}

// contexts returns a base64url contexts parameter with a page and (sometimes) a user context.
func (g *gen) contexts(page string) string {
	ctxs := []any{
		map[string]any{"schema": g.schema("page_context"), "data": map[string]any{"id": g.uuid(), "section": strings.Split(strings.Trim(page, "/")+"/", "/")[0]}},
	}
	if g.rng.Intn(3) == 0 {
		ctxs = append(ctxs, map[string]any{"schema": g.schema("user"), "data": map[string]any{"userId": fmt.Sprintf("u-%05d", g.rng.Intn(50000)), "loyaltyTier": g.pick([]string{"bronze", "silver", "gold"})}})
	}
	return base64.RawURLEncoding.EncodeToString([]byte(sdj("iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", ctxs)))
}

// event returns the tracker-protocol parameters of one event (ordered).
func (g *gen) event(ts time.Time, duid string, sessionIdx int) [][2]string {
	pg := pages[g.rng.Intn(len(pages))]
	host := "https://www.acme-outdoor.com"
	pageURL := host + pg.path
	if c := g.pick(campaigns); c != "" {
		pageURL += "?" + c
	}
	p := [][2]string{
		{"tv", "js-3.17.0"}, {"tna", "sp1"}, {"aid", "acme-web"}, {"p", "web"},
		{"eid", g.uuid()},
		{"dtm", fmt.Sprint(ts.Add(-time.Duration(g.rng.Intn(900)) * time.Millisecond).UnixMilli())},
		{"stm", fmt.Sprint(ts.Add(-time.Duration(g.rng.Intn(50)) * time.Millisecond).UnixMilli())},
		{"duid", duid}, {"vid", fmt.Sprint(sessionIdx)}, {"sid", g.uuid()},
		{"url", pageURL}, {"page", pg.title},
		{"lang", g.pick([]string{"en-US", "en-GB", "de-DE", "fr-FR"})},
		{"cs", "UTF-8"}, {"res", g.pick([]string{"1920x1080", "2560x1440", "390x844", "1366x768"})},
		{"vp", g.pick([]string{"1903x961", "1280x720", "390x664"})}, {"ds", "1903x5120"},
		{"cd", "24"}, {"cookie", "1"}, {"tz", g.pick([]string{"Europe/London", "America/New_York", "Europe/Berlin"})},
	}
	if r := g.pick(referers); r != "" {
		p = append(p, [2]string{"refr", r})
	}
	switch k := g.rng.Intn(100); {
	case k < 45:
		p = append(p, [2]string{"e", "pv"})
	case k < 60:
		p = append(p, [2]string{"e", "pp"}, [2]string{"pp_mix", "0"}, [2]string{"pp_max", fmt.Sprint(g.rng.Intn(400))},
			[2]string{"pp_miy", "0"}, [2]string{"pp_may", fmt.Sprint(g.rng.Intn(3000))})
	case k < 75:
		p = append(p, [2]string{"e", "se"}, [2]string{"se_ca", "product"}, [2]string{"se_ac", g.pick([]string{"add-to-cart", "wishlist", "zoom"})},
			[2]string{"se_la", "sku-" + fmt.Sprint(1000+g.rng.Intn(50))}, [2]string{"se_va", fmt.Sprintf("%d.%02d", 20+g.rng.Intn(300), g.rng.Intn(100))})
	case k < 92:
		ue := sdj("iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
			map[string]any{"schema": g.schema("button_click"), "data": map[string]any{
				"buttonId": g.pick([]string{"buy-now", "newsletter-signup", "size-guide"}), "label": g.pick([]string{"Buy now", "Sign up", "Size guide"}), "position": g.rng.Intn(12)}})
		if g.rng.Intn(2) == 0 {
			p = append(p, [2]string{"e", "ue"}, [2]string{"ue_px", base64.RawURLEncoding.EncodeToString([]byte(ue))})
		} else {
			p = append(p, [2]string{"e", "ue"}, [2]string{"ue_pr", ue})
		}
	case k < 96:
		p = append(p, [2]string{"e", "tr"}, [2]string{"tr_id", fmt.Sprintf("ord-%06d", g.rng.Intn(999999))}, [2]string{"tr_af", "web-store"},
			[2]string{"tr_tt", fmt.Sprintf("%d.%02d", 30+g.rng.Intn(900), g.rng.Intn(100))}, [2]string{"tr_tx", "12.50"}, [2]string{"tr_sh", "4.99"},
			[2]string{"tr_ci", "London"}, [2]string{"tr_st", "England"}, [2]string{"tr_co", "UK"}, [2]string{"tr_cu", "GBP"})
	default:
		p = append(p, [2]string{"e", "ti"}, [2]string{"ti_id", fmt.Sprintf("ord-%06d", g.rng.Intn(999999))}, [2]string{"ti_sk", "sku-1042"},
			[2]string{"ti_nm", "Ridgeline 2"}, [2]string{"ti_ca", "tents"}, [2]string{"ti_pr", "349.00"}, [2]string{"ti_qu", "1"}, [2]string{"ti_cu", "GBP"})
	}
	p = append(p, [2]string{"cx", g.contexts(pg.path)})
	return p
}

// querystring percent-encodes parameters the way the JavaScript tracker does.
func querystring(p [][2]string) string {
	var b strings.Builder
	for i, kv := range p {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(kv[1]), "+", "%20"))
	}
	return b.String()
}

// cfEncode encodes a field the way CloudFront logs do (spaces as %20).
func cfEncode(s string) string {
	if s == "" {
		return "-"
	}
	return strings.NewReplacer(" ", "%20", "\t", "%09", "\"", "%22").Replace(s)
}

// broken returns a deliberately malformed line of one of several kinds.
func (g *gen) broken(valid string) string {
	switch g.rng.Intn(5) {
	case 0:
		return "this is not a collector log line"
	case 1:
		return valid[:len(valid)/3] // truncated
	case 2:
		return strings.Replace(valid, "e=pv", "e=zz", 1) // unknown event type (if present)
	case 3:
		return strings.Replace(valid, "&cx=", "&cx=%21%21not-base64", 1)
	default:
		return strings.Replace(valid, "vid=", "vid=abc", 1)
	}
}

// CloudFront returns a CloudFront web-distribution access log (the 24-field
// tab-separated layout CloudFront has written since 2016, with its two
// header lines) of cfg.Lines data lines.
func CloudFront(cfg Config) []byte {
	g := newGen(cfg)
	var b strings.Builder
	b.WriteString("#Version: 1.0\n")
	b.WriteString("#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version\n")
	duids := make([]string, 40)
	for i := range duids {
		duids[i] = fmt.Sprintf("%016x", g.rng.Uint64())
	}
	for i := 0; i < cfg.Lines; i++ {
		ts := g.tick()
		u := g.rng.Intn(len(duids))
		ev := g.event(ts, duids[u], 1+u%7)
		refr := "-"
		for _, kv := range ev {
			if kv[0] == "url" {
				refr = kv[1]
			}
		}
		line := strings.Join([]string{
			ts.Format("2006-01-02"), ts.Format("15:04:05"), g.pick([]string{"LHR62-C2", "FRA56-P4", "IAD89-C1", "DUB2"}), fmt.Sprint(470 + g.rng.Intn(40)),
			g.pick(ips), "GET", "d3v6ndkyapxc2w.cloudfront.net", "/i", "200", refr, cfEncode(g.pick(userAgents)),
			querystring(ev), "-", "Hit", strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString([]byte(g.uuid() + g.uuid()))[:56]),
			"d3v6ndkyapxc2w.cloudfront.net", "https", fmt.Sprint(900 + g.rng.Intn(900)), fmt.Sprintf("0.%03d", 1+g.rng.Intn(20)),
			"-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Hit", "HTTP/2.0",
		}, "\t")
		if g.rng.Float64() < cfg.BadShare {
			line = g.broken(line)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// Tomcat returns a Clojure-collector Tomcat access log of cfg.Lines lines:
// tp1 GET pixel requests and tp2 POST batches (base64 bodies), with the
// collector's cv and nuid parameters.
func Tomcat(cfg Config) []byte {
	g := newGen(cfg)
	var b strings.Builder
	for i := 0; i < cfg.Lines; i++ {
		ts := g.tick()
		duid := fmt.Sprintf("%016x", g.rng.Uint64())
		nuid := g.uuid()
		ip := g.pick(ips)
		ua := url.QueryEscape(g.pick(userAgents))
		collectorQS := "cv=clj-1.1.0-tom-0.2.0&nuid=" + nuid
		var line string
		if g.rng.Float64() < cfg.PostShare {
			n := 2 + g.rng.Intn(4)
			batch := make([]map[string]string, n)
			for j := range batch {
				m := map[string]string{}
				for _, kv := range g.event(ts, duid, 3) {
					m[kv[0]] = kv[1]
				}
				m["stm"] = fmt.Sprint(ts.UnixMilli())
				batch[j] = m
			}
			body := sdj("iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", batch)
			line = strings.Join([]string{ts.Format("2006-01-02"), ts.Format("15:04:05"), "-", "-", ip, "POST", ip,
				"/com.snowplowanalytics.snowplow/tp2", "200", "-", ua, "&" + collectorQS, "-", "-", "-",
				"application%2Fjson%3B+charset%3DUTF-8", base64.StdEncoding.EncodeToString([]byte(body))}, "\t")
		} else {
			ev := g.event(ts, duid, 2)
			refr := "-"
			for _, kv := range ev {
				if kv[0] == "url" {
					refr = kv[1]
				}
			}
			line = strings.Join([]string{ts.Format("2006-01-02"), ts.Format("15:04:05"), "-", fmt.Sprint(37 + g.rng.Intn(10)), ip, "GET", ip,
				"/i", "200", refr, ua, querystring(ev) + "&" + collectorQS, "-", "-", "-"}, "\t")
		}
		if g.rng.Float64() < cfg.BadShare {
			line = g.broken(line)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
