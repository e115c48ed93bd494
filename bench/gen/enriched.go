package gen

import (
	"bufio"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/furrowdata/furrow/event"
)

// EnrichedConfig controls generated enriched TSV (the input of furrow shred).
type EnrichedConfig struct {
	Seed   uint64
	Events int       // lines to generate, duplicates included
	Start  time.Time // collector time of the first event (UTC)
	// Spacing is the mean collector-time gap between events.
	Spacing time.Duration
	// ETL is every line's etl_tstamp.
	ETL time.Time
	// NaturalDupShare is the share of lines that repeat an earlier event
	// (same event_id and event_fingerprint; collected again a few seconds
	// later, as a tracker retry is). 0..1.
	NaturalDupShare float64
	// SyntheticDupShare is the share of lines that are other events reusing
	// an earlier event's event_id (another fingerprint). 0..1.
	SyntheticDupShare float64
	// DupWindow is how many of the most recent distinct events duplicates
	// are drawn from (default 4096).
	DupWindow int
	// UnstructShare is the share of events that are self-describing
	// button_click events (an unstruct_event besides the three contexts).
	UnstructShare float64
	// Vendor is the Iglu vendor of the page_context, user and button_click
	// schemas (testdata/iglu has them under com.furrowdata.sample).
	Vendor string
}

// DefaultEnrichedConfig is 100k events over a day, 3% natural and 0.5%
// synthetic duplicates, 10% self-describing events.
func DefaultEnrichedConfig() EnrichedConfig {
	return EnrichedConfig{
		Seed:              42,
		Events:            100_000,
		Start:             time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		Spacing:           20 * time.Millisecond,
		ETL:               time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC),
		NaturalDupShare:   0.03,
		SyntheticDupShare: 0.005,
		DupWindow:         4096,
		UnstructShare:     0.10,
		Vendor:            "com.furrowdata.sample",
	}
}

// Validate reports a configuration that cannot be generated, naming the key.
func (c EnrichedConfig) Validate() error {
	switch {
	case c.Events < 0:
		return fmt.Errorf("gen: events must be ≥ 0, got %d", c.Events)
	case c.NaturalDupShare < 0 || c.SyntheticDupShare < 0 || c.NaturalDupShare+c.SyntheticDupShare >= 1:
		return fmt.Errorf("gen: natural_dup_share (%g) + synthetic_dup_share (%g) must be in [0, 1)", c.NaturalDupShare, c.SyntheticDupShare)
	case c.UnstructShare < 0 || c.UnstructShare > 1:
		return fmt.Errorf("gen: unstruct_share must be in [0, 1], got %g", c.UnstructShare)
	case c.DupWindow < 0:
		return fmt.Errorf("gen: dup_window must be ≥ 0, got %d", c.DupWindow)
	case c.Vendor == "":
		return errors.New("gen: vendor is required")
	}
	return nil
}

// EnrichedStats counts what a generated file holds.
type EnrichedStats struct {
	Lines     int   // lines written
	Bytes     int64 // bytes written, newlines included
	Natural   int   // lines repeating an earlier line's event_id and fingerprint
	Synthetic int   // lines reusing an earlier event_id with another fingerprint
	Entities  int   // contexts, derived contexts and unstruct events in all lines
}

// EnrichedWriter generates enriched TSV lines one at a time (for files too
// large to hold in memory). The same config always gives the same lines.
type EnrichedWriter struct {
	cfg   EnrichedConfig
	plan  *rand.Rand // decides each line's kind; events draw from their own stream
	evRng *rand.Rand
	evSrc *rand.PCG
	next  uint64   // sequence number of the next distinct event
	idSeq []uint64 // ring: the sequence whose event_id each recent event carries
	etl   string
	line  []byte
	ev    event.Event
	st    EnrichedStats
}

// NewEnrichedWriter starts a generator.
func NewEnrichedWriter(cfg EnrichedConfig) (*EnrichedWriter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.DupWindow == 0 {
		cfg.DupWindow = 4096
	}
	if cfg.Spacing == 0 {
		cfg.Spacing = 20 * time.Millisecond
	}
	src := rand.NewPCG(0, 0)
	return &EnrichedWriter{
		cfg:   cfg,
		plan:  rand.New(rand.NewPCG(cfg.Seed, 0x5eed)),
		evSrc: src,
		evRng: rand.New(src),
		idSeq: make([]uint64, cfg.DupWindow),
		etl:   event.FormatTimestamp(cfg.ETL),
	}, nil
}

// Stats returns the counts of the lines generated so far.
func (g *EnrichedWriter) Stats() EnrichedStats { return g.st }

// Next returns the next line without its newline, or false after
// cfg.Events lines. The slice is valid until the next call.
func (g *EnrichedWriter) Next() ([]byte, bool) {
	if g.st.Lines >= g.cfg.Events {
		return nil, false
	}
	seq, idSeq, retry := g.next, g.next, time.Duration(0)
	r := g.plan.Float64()
	if g.next > 0 && r < g.cfg.NaturalDupShare+g.cfg.SyntheticDupShare {
		back := g.next - 1 - g.plan.Uint64N(min(g.next, uint64(g.cfg.DupWindow)))
		if r < g.cfg.NaturalDupShare {
			// The same event again (its own event_id, same fingerprint),
			// collected a little later.
			seq, idSeq = back, g.idSeq[back%uint64(len(g.idSeq))]
			retry = time.Duration(1+g.plan.IntN(30_000)) * time.Millisecond
			g.st.Natural++
		} else {
			idSeq = g.idSeq[back%uint64(len(g.idSeq))]
			g.st.Synthetic++
		}
	}
	if seq == g.next {
		g.idSeq[seq%uint64(len(g.idSeq))] = idSeq
		g.next++
	}
	g.fill(seq, idSeq, retry)
	g.line = event.AppendTSV(g.line[:0], &g.ev)
	g.st.Lines++
	g.st.Bytes += int64(len(g.line)) + 1
	return g.line, true
}

// WriteEnriched writes cfg.Events lines of enriched TSV to w.
func WriteEnriched(w io.Writer, cfg EnrichedConfig) (EnrichedStats, error) {
	g, err := NewEnrichedWriter(cfg)
	if err != nil {
		return EnrichedStats{}, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for {
		l, ok := g.Next()
		if !ok {
			break
		}
		bw.Write(l)
		if err := bw.WriteByte('\n'); err != nil {
			return g.Stats(), fmt.Errorf("writing enriched TSV: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return g.Stats(), fmt.Errorf("writing enriched TSV: %w", err)
	}
	return g.Stats(), nil
}

// Enriched returns cfg.Events lines of enriched TSV, each ending in a newline.
func Enriched(cfg EnrichedConfig) ([]byte, EnrichedStats, error) {
	var b bytesWriter
	st, err := WriteEnriched(&b, cfg)
	return b.buf, st, err
}

type bytesWriter struct{ buf []byte }

func (b *bytesWriter) Write(p []byte) (int, error) { b.buf = append(b.buf, p...); return len(p), nil }

// uuidOf is the event_id of sequence seq: a v4-shaped UUID derived from the
// seed, so that duplicates can re-derive it.
func (g *EnrichedWriter) uuidOf(seq uint64, salt uint64) string {
	r := rand.NewPCG(g.cfg.Seed^salt, seq)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], r.Uint64())
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

func (g *EnrichedWriter) rndUUID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.evRng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.evRng.Uint64())
	return formatUUID(b)
}

// place is a geo-IP result for one of the test addresses.
type place struct {
	ip, country, region, city, zip, lat, lon, regionName, tz, currency string
}

var places = []place{
	{"81.2.69.142", "GB", "ENG", "London", "SW1A", "51.5142", "-0.0931", "England", "Europe/London", "GBP"},
	{"81.2.69.160", "GB", "ENG", "London", "EC2V", "51.5142", "-0.0931", "England", "Europe/London", "GBP"},
	{"2.125.160.216", "GB", "WBK", "Boxford", "OX1", "51.75", "-1.25", "West Berkshire", "Europe/London", "GBP"},
	{"216.160.83.56", "US", "WA", "Milton", "98354", "47.2513", "-122.3149", "Washington", "America/Los_Angeles", "USD"},
	{"89.160.20.112", "SE", "E", "Linköping", "", "58.4167", "15.6167", "Östergötland County", "Europe/Stockholm", "SEK"},
	{"89.160.20.128", "SE", "E", "Linköping", "", "58.4167", "15.6167", "Östergötland County", "Europe/Stockholm", "SEK"},
	{"175.16.199.10", "CN", "22", "Changchun", "", "43.88", "125.3228", "Jilin Sheng", "Asia/Harbin", "CNY"},
	{"67.43.156.12", "BT", "", "", "", "27.5", "90.5", "", "Asia/Thimphu", "BTN"},
	{"202.196.224.5", "PH", "", "", "", "13", "122", "", "Asia/Manila", "PHP"},
}

// agent is a user agent with what the ua-utils and ua-parser enrichments
// derive from it.
type agent struct {
	ua                                                 string
	brName, brFamily, brVersion, brType, brEngine      string
	osName, osFamily, osManufacturer, dvceType, mobile string
	// ua_parser_context
	uaFamily, uaMajor, uaMinor, uaPatch, osFam, osMajor, osMinor, device string
	screens                                                              []string
}

var agents = []agent{
	{userAgents[0], "Chrome 11", "Chrome", "118.0.0.0", "Browser", "WEBKIT", "Windows 10", "Windows", "Microsoft Corporation", "Computer", "0",
		"Chrome", "118", "0", "0", "Windows", "10", "", "Other", []string{"1920x1080", "1366x768", "2560x1440"}},
	{userAgents[1], "Safari 17", "Safari", "17.1", "Browser", "WEBKIT", "Mac OS X", "Mac OS X", "Apple Inc.", "Computer", "0",
		"Safari", "17", "1", "", "Mac OS X", "10", "15", "Mac", []string{"2560x1600", "1440x900"}},
	{userAgents[2], "Mobile Safari", "Safari", "17.1", "Browser (mobile)", "WEBKIT", "iOS 17 (iPhone)", "iOS", "Apple Inc.", "Mobile", "1",
		"Mobile Safari", "17", "1", "", "iOS", "17", "1", "iPhone", []string{"390x844", "430x932"}},
	{userAgents[3], "Chrome Mobile", "Chrome", "119.0.6045.66", "Browser (mobile)", "WEBKIT", "Android 1.x", "Android", "Google Inc.", "Mobile", "1",
		"Chrome Mobile", "119", "0", "6045", "Android", "14", "", "Google Pixel 8", []string{"412x915"}},
	{userAgents[4], "Firefox 11", "Firefox", "119.0", "Browser", "GECKO", "Linux", "Linux", "Other", "Computer", "0",
		"Firefox", "119", "0", "", "Linux", "", "", "Other", []string{"1920x1080", "3840x2160"}},
	{userAgents[5], "Internet Explorer 11", "Internet Explorer", "11.0", "Browser", "TRIDENT", "Windows 7", "Windows", "Microsoft Corporation", "Computer", "0",
		"IE", "11", "0", "", "Windows", "7", "", "Other", []string{"1366x768"}},
}

// referrer is a page referrer with the referer-parser enrichment's fields.
type referrer struct{ url, scheme, host, path, query, medium, source, term string }

var referrers = []referrer{
	{},
	{"https://www.google.com/search?q=ultralight+tent&hl=en", "https", "www.google.com", "/search", "q=ultralight+tent&hl=en", "search", "Google", "ultralight tent"},
	{"https://www.bing.com/search?q=hiking+boots+gore-tex", "https", "www.bing.com", "/search", "q=hiking+boots+gore-tex", "search", "Bing", "hiking boots gore-tex"},
	{"https://www.facebook.com/", "https", "www.facebook.com", "/", "", "social", "Facebook", ""},
	{"https://www.acme-outdoor.com/tents/2-person", "https", "www.acme-outdoor.com", "/tents/2-person", "", "internal", "", ""},
	{"https://duckduckgo.com/?q=weekend+hike+packing+list", "https", "duckduckgo.com", "/", "q=weekend+hike+packing+list", "search", "DuckDuckGo", "weekend hike packing list"},
	{"https://mail.example.org/inbox", "https", "mail.example.org", "/inbox", "", "email", "", ""},
}

// campaign is a page query with the campaign-attribution enrichment's fields.
type campaign struct{ query, medium, source, term, name, clickid, network string }

var campaignsTable = []campaign{
	{}, {}, {},
	{"utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale", "email", "newsletter", "", "autumn-sale", "", ""},
	{"utm_source=google&utm_medium=cpc&utm_term=tents&utm_campaign=brand&gclid=Cj0KCQiA-sample", "cpc", "google", "tents", "brand", "Cj0KCQiA-sample", "Google"},
}

var (
	langs     = []string{"en-US", "en-GB", "de-DE", "fr-FR", "sv-SE"}
	viewports = []string{"1903x961", "1280x720", "390x664", "1440x789"}
	sections  = []string{"home", "tents", "boots", "cart", "checkout", "blog"}
	tiers     = []string{"bronze", "silver", "gold"}
	buttons   = []string{"buy-now", "newsletter-signup", "size-guide", "add-to-wishlist"}
	labels    = []string{"Buy now", "Sign up", "Size guide", "Save for later"}
	actions   = []string{"add-to-cart", "wishlist", "zoom", "share"}
)

// fill generates event seq into g.ev: its event_id is that of idSeq (a
// synthetic duplicate reuses another event's id); retry shifts its
// collector time (a natural duplicate collected again).
func (g *EnrichedWriter) fill(seq, idSeq uint64, retry time.Duration) {
	g.evSrc.Seed(g.cfg.Seed, seq)
	rng := g.evRng
	f := &g.ev.Fields
	*f = [event.NumFields]string{}

	ct := g.cfg.Start.Add(time.Duration(seq)*g.cfg.Spacing + time.Duration(rng.Int64N(int64(g.cfg.Spacing))))
	created := ct.Add(-time.Duration(200+rng.IntN(2000)) * time.Millisecond)
	sent := created.Add(time.Duration(rng.IntN(150)) * time.Millisecond)
	user := rng.IntN(50_000)
	userRng := rand.New(rand.NewPCG(g.cfg.Seed^0xabcdef, uint64(user)))
	pl := places[userRng.IntN(len(places))]
	ag := &agents[userRng.IntN(len(agents))]
	duid := fmt.Sprintf("%016x", userRng.Uint64())[:16]
	pg := pages[rng.IntN(len(pages))]
	cp := campaignsTable[rng.IntN(len(campaignsTable))]
	rf := referrers[rng.IntN(len(referrers))]
	session := 1 + rng.IntN(40)

	f[event.AppID] = "acme-web"
	f[event.Platform] = "web"
	f[event.ETLTstamp] = g.etl
	f[event.CollectorTstamp] = event.FormatTimestamp(ct.Add(retry))
	f[event.DvceCreatedTstamp] = event.FormatTimestamp(created)
	f[event.EventID] = g.uuidOf(idSeq, 0x1d)
	f[event.NameTracker] = "sp1"
	f[event.VTracker] = "js-3.17.0"
	f[event.VCollector] = "clj-1.1.0-tom-0.2.0"
	f[event.VETL] = "furrow-0.1.0"
	if user%3 == 0 {
		f[event.UserID] = "u-" + strconv.Itoa(user)
	}
	f[event.UserIPAddress] = pl.ip
	f[event.DomainUserID] = duid
	f[event.DomainSessionIdx] = strconv.Itoa(session)
	f[event.NetworkUserID] = g.uuidOf(uint64(user), 0x2e)
	f[event.GeoCountry], f[event.GeoRegion], f[event.GeoCity], f[event.GeoZipcode] = pl.country, pl.region, pl.city, pl.zip
	f[event.GeoLatitude], f[event.GeoLongitude], f[event.GeoRegionName], f[event.GeoTimezone] = pl.lat, pl.lon, pl.regionName, pl.tz

	host := "www.acme-outdoor.com"
	url := "https://" + host + pg.path
	if cp.query != "" {
		url += "?" + cp.query
	}
	f[event.PageURL] = url
	f[event.PageTitle] = event.Sanitize(pg.title)
	f[event.PageURLScheme], f[event.PageURLHost], f[event.PageURLPort], f[event.PageURLPath] = "https", host, "443", pg.path
	f[event.PageURLQuery] = cp.query
	if rf.url != "" {
		f[event.PageReferrer] = rf.url
		f[event.RefrURLScheme], f[event.RefrURLHost], f[event.RefrURLPort], f[event.RefrURLPath] = rf.scheme, rf.host, "443", rf.path
		f[event.RefrURLQuery], f[event.RefrMedium], f[event.RefrSource], f[event.RefrTerm] = rf.query, rf.medium, rf.source, rf.term
	}
	f[event.MktMedium], f[event.MktSource], f[event.MktTerm], f[event.MktCampaign] = cp.medium, cp.source, cp.term, cp.name
	f[event.MktClickID], f[event.MktNetwork] = cp.clickid, cp.network

	f[event.Useragent] = ag.ua
	f[event.BrName], f[event.BrFamily], f[event.BrVersion], f[event.BrType], f[event.BrRenderengine] = ag.brName, ag.brFamily, ag.brVersion, ag.brType, ag.brEngine
	f[event.BrLang] = langs[userRng.IntN(len(langs))]
	for _, b := range []event.Field{event.BrFeaturesPDF, event.BrFeaturesFlash, event.BrFeaturesJava, event.BrFeaturesDirector,
		event.BrFeaturesQuicktime, event.BrFeaturesRealplayer, event.BrFeaturesWindowsmedia, event.BrFeaturesGears, event.BrFeaturesSilverlight} {
		f[b] = "0"
	}
	f[event.BrFeaturesPDF] = "1"
	f[event.BrCookies] = "1"
	f[event.BrColordepth] = "24"
	vp := viewports[rng.IntN(len(viewports))]
	vw, vh, _ := cut(vp, 'x')
	f[event.BrViewwidth], f[event.BrViewheight] = vw, vh
	f[event.OSName], f[event.OSFamily], f[event.OSManufacturer] = ag.osName, ag.osFamily, ag.osManufacturer
	f[event.OSTimezone] = pl.tz
	f[event.DvceType], f[event.DvceIsMobile] = ag.dvceType, ag.mobile
	sw, sh, _ := cut(ag.screens[userRng.IntN(len(ag.screens))], 'x')
	f[event.DvceScreenwidth], f[event.DvceScreenheight] = sw, sh
	f[event.DocCharset] = "UTF-8"
	f[event.DocWidth], f[event.DocHeight] = vw, strconv.Itoa(2000+rng.IntN(6000))
	f[event.DvceSentTstamp] = event.FormatTimestamp(sent)
	f[event.DomainSessionID] = g.uuidOf(uint64(user)<<8|uint64(session), 0x3f)
	// derived_tstamp = collector_tstamp - (dvce_sent - dvce_created)
	f[event.DerivedTstamp] = event.FormatTimestamp(ct.Add(retry).Add(-sent.Sub(created)))

	var name string
	k := rng.Float64()
	unstruct := k < g.cfg.UnstructShare
	if !unstruct { // the other kinds share the rest
		k = (k - g.cfg.UnstructShare) / (1 - g.cfg.UnstructShare)
	}
	switch {
	case unstruct:
		name = "button_click"
		f[event.EventType] = "unstruct"
		i := rng.IntN(len(buttons))
		f[event.UnstructEvent] = `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:` +
			g.cfg.Vendor + `/button_click/jsonschema/1-0-0","data":{"buttonId":"` + buttons[i] + `","label":"` + labels[i] +
			`","position":` + strconv.Itoa(rng.IntN(12)) + `}}}`
		f[event.EventVendor], f[event.EventFormat], f[event.EventVersion] = g.cfg.Vendor, "jsonschema", "1-0-0"
		g.st.Entities++
	case k < 0.5:
		name = "page_view"
		f[event.EventType] = name
	case k < 0.72:
		name = "page_ping"
		f[event.EventType] = name
		f[event.PpXoffsetMin], f[event.PpXoffsetMax] = "0", strconv.Itoa(rng.IntN(400))
		f[event.PpYoffsetMin], f[event.PpYoffsetMax] = strconv.Itoa(rng.IntN(500)), strconv.Itoa(500+rng.IntN(3000))
	case k < 0.9:
		name = "event"
		f[event.EventType] = "struct"
		f[event.SeCategory], f[event.SeAction] = "product", actions[rng.IntN(len(actions))]
		f[event.SeLabel] = "sku-" + strconv.Itoa(1000+rng.IntN(50))
		f[event.SeValue] = strconv.Itoa(20+rng.IntN(300)) + "." + twoDigits(rng.IntN(100))
	case k < 0.95:
		name = "transaction"
		f[event.EventType] = name
		f[event.TrOrderID], f[event.TrAffiliation] = "ord-"+strconv.Itoa(100000+rng.IntN(900000)), "web-store"
		total := strconv.Itoa(30+rng.IntN(900)) + "." + twoDigits(rng.IntN(100))
		f[event.TrTotal], f[event.TrTax], f[event.TrShipping] = total, "12.50", "4.99"
		f[event.TrCity], f[event.TrState], f[event.TrCountry] = pl.city, pl.regionName, pl.country
		f[event.TrCurrency], f[event.BaseCurrency] = pl.currency, "EUR"
		f[event.TrTotalBase], f[event.TrTaxBase], f[event.TrShippingBase] = total, "12.50", "4.99"
	default:
		name = "transaction_item"
		f[event.EventType] = name
		f[event.TiOrderID], f[event.TiSKU], f[event.TiName], f[event.TiCategory] = "ord-"+strconv.Itoa(100000+rng.IntN(900000)), "sku-1042", "Ridgeline 2", "tents"
		f[event.TiPrice], f[event.TiQuantity], f[event.TiCurrency], f[event.TiPriceBase] = "349.00", strconv.Itoa(1+rng.IntN(3)), pl.currency, "349.00"
		f[event.BaseCurrency] = "EUR"
	}
	if f[event.EventVendor] == "" {
		f[event.EventVendor], f[event.EventFormat], f[event.EventVersion] = "com.snowplowanalytics.snowplow", "jsonschema", "1-0-0"
	}
	f[event.EventName] = name

	f[event.Contexts] = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"schema":"iglu:` +
		g.cfg.Vendor + `/page_context/jsonschema/1-0-0","data":{"id":"` + g.rndUUID() + `","section":"` + sections[rng.IntN(len(sections))] +
		`"}},{"schema":"iglu:` + g.cfg.Vendor + `/user/jsonschema/1-0-0","data":{"userId":"u-` + strconv.Itoa(user) +
		`","loyaltyTier":"` + tiers[user%len(tiers)] + `"}}]}`
	f[event.DerivedContexts] = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[{"schema":"iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0","data":{` +
		`"useragentFamily":"` + ag.uaFamily + `","useragentMajor":` + jsonOrNull(ag.uaMajor) + `,"useragentMinor":` + jsonOrNull(ag.uaMinor) +
		`,"useragentPatch":` + jsonOrNull(ag.uaPatch) + `,"useragentVersion":"` + joinVersion(ag.uaFamily, ag.uaMajor, ag.uaMinor, ag.uaPatch) +
		`","osFamily":"` + ag.osFam + `","osMajor":` + jsonOrNull(ag.osMajor) + `,"osMinor":` + jsonOrNull(ag.osMinor) +
		`,"osPatch":null,"osPatchMinor":null,"osVersion":"` + joinVersion(ag.osFam, ag.osMajor, ag.osMinor, "") +
		`","deviceFamily":"` + ag.device + `"}}]}`
	g.st.Entities += 3

	// The fingerprint enrichment: MD5 of the tracker parameters, i.e. of
	// what identifies this event's payload (not the collector time).
	h := md5.New()
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], seq)
	h.Write(buf[:])
	binary.LittleEndian.PutUint64(buf[:], g.cfg.Seed)
	h.Write(buf[:])
	f[event.EventFingerprint] = hex.EncodeToString(h.Sum(nil))
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func jsonOrNull(s string) string {
	if s == "" {
		return "null"
	}
	return `"` + s + `"`
}

func joinVersion(family string, parts ...string) string {
	out := family
	for i, p := range parts {
		if p == "" {
			break
		}
		if i == 0 {
			out += " " + p
		} else {
			out += "." + p
		}
	}
	return out
}

// WriteEnrichedFiles writes cfg.Events lines into dir (created) as files
// part-00000, part-00001, … of at most perFile lines each.
func WriteEnrichedFiles(dir string, cfg EnrichedConfig, perFile int) (EnrichedStats, error) {
	if perFile < 1 {
		return EnrichedStats{}, fmt.Errorf("gen: lines per file must be ≥ 1, got %d", perFile)
	}
	g, err := NewEnrichedWriter(cfg)
	if err != nil {
		return EnrichedStats{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return EnrichedStats{}, fmt.Errorf("creating %s: %w", dir, err)
	}
	for part := 0; g.Stats().Lines < cfg.Events; part++ {
		name := filepath.Join(dir, fmt.Sprintf("part-%05d", part))
		if err := writePart(name, g, perFile); err != nil {
			return g.Stats(), err
		}
	}
	return g.Stats(), nil
}

func writePart(name string, g *EnrichedWriter, lines int) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < lines; i++ {
		l, ok := g.Next()
		if !ok {
			break
		}
		bw.Write(l)
		bw.WriteByte('\n')
	}
	err = bw.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
