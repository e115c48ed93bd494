package adapter

import (
	"cmp"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/internal/scalamap"
)

// Google Analytics Measurement Protocol: R108's GoogleAnalyticsAdapter
// (endpoint com.google.analytics/v1). The request body holds one hit per
// line, each a form-encoded Measurement Protocol payload; every hit becomes
// an unstruct event of the hit type's schema (page_view, screen_view,
// event, transaction, item, social, exception, timing) with the flat
// contexts of its other parameters (hit, general, user, session, ...) and
// the composite contexts of its indexed parameters (pr12id → product,
// il1pi2cd3 → product_impression_custom_dimension, ...), plus the parameters
// that map straight onto tracker-protocol fields (dl → url, uip → ip, ...).
//
// The contexts and data objects are Scala 2.11 immutable Maps, so the JSON
// members come out in Scala's iteration order: insertion order up to four
// entries, hash-trie order from five on (Map keys are Strings, or Iglu
// SchemaKeys hashed with MurmurHash3.productHash); composite fields also
// pass through a groupBy, whose mutable.HashMap decides the order of small
// results. Everything below re-creates those orders.
//
// R108 let a few exceptions escape this adapter; its job-level catch-all
// turned them into the payload's only message, "Unexpected error processing
// events: <exception>": a body line that is not a legal URI query
// (java.net.URI), and a parameter without '=' (a null value) where a
// number is expected (NullPointerException when unboxing).

const (
	vendorGoogleAnalytics     = "com.google.analytics" // the collector endpoint's vendor
	vendorGoogleAnalyticsName = "GoogleAnalytics"
	gaVendor                  = "com.google.analytics"
	gaMPVendor                = "com.google.analytics.measurement-protocol"
	gaTracker                 = gaMPVendor + "-v1"
	gaIndicator               = "IF" // marks a value taken from a composite field's name
	gaPageView                = "pageview"
	gaCompositeRegex          = `(pr|promo|il|cd|cm|cg)(\d+)([a-zA-Z]*)(\d*)([a-zA-Z]*)(\d*)$`
	gaNPE                     = "java.lang.NullPointerException"
)

// gaKind is how a Measurement Protocol string becomes a JSON value.
type gaKind uint8

const (
	gaString      gaKind = iota // as is (a null value stays null)
	gaInt                       // Integer.parseInt
	gaTwoDecimals               // BigDecimal rounded HALF_EVEN to 2 places, as a double
	gaDouble                    // BigDecimal as a double
	gaBool                      // "1" or "0"
)

// gaTranslation is one row of a translation table: the schema field a
// parameter becomes and how its value is converted.
type gaTranslation struct {
	name string
	hash uint32 // String.hashCode of name
	kind gaKind
}

// gaSchema is one Iglu schema of the adapter with its translation table.
type gaSchema struct {
	uri   string
	hash  uint32 // SchemaKey.hashCode: MurmurHash3.productHash of its four strings
	table map[string]gaTranslation
	// composite schemas only
	indicators int  // number of IF fields
	currency   bool // cu is re-attached as currencyCode
}

type gaField struct {
	param, name string
	kind        gaKind
}

func newGASchema(vendor, name string, fields ...gaField) *gaSchema {
	s := &gaSchema{
		uri:   "iglu:" + vendor + "/" + name + "/jsonschema/1-0-0",
		hash:  scalaProductHash(vendor, name, "jsonschema", "1-0-0"),
		table: make(map[string]gaTranslation, len(fields)),
	}
	for _, f := range fields {
		s.table[f.param] = gaTranslation{name: f.name, hash: scalamap.StringHash(f.name), kind: f.kind}
		if strings.HasPrefix(f.param, gaIndicator) {
			s.indicators++
		}
		if f.param == "cu" {
			s.currency = true
		}
	}
	return s
}

func gaS(param, name string) gaField { return gaField{param, name, gaString} }
func gaI(param, name string) gaField { return gaField{param, name, gaInt} }
func gaD(param, name string) gaField { return gaField{param, name, gaTwoDecimals} }
func gaB(param, name string) gaField { return gaField{param, name, gaBool} }

// gaTables holds the R108 translation tables. It is built once and only
// read afterwards.
type gaTables struct {
	hits       map[string]*gaSchema // hit type → unstruct event schema
	hitURIs    map[string]string    // hit type → schema URI (lookupSchema)
	pageView   *gaSchema
	flat       map[string]*gaSchema // parameter → flat context schema
	composites []*gaSchema          // in R108's list order
	compByURI  map[string]*gaSchema
}

var gaTable = newGATables()

func newGATables() *gaTables {
	mp := gaMPVendor
	pageView := newGASchema(mp, "page_view", gaS("dl", "documentLocationUrl"), gaS("dh", "documentHostName"),
		gaS("dp", "documentPath"), gaS("dt", "documentTitle"))
	t := &gaTables{
		pageView: pageView,
		hits: map[string]*gaSchema{
			gaPageView:   pageView,
			"screenview": newGASchema(mp, "screen_view", gaS("cd", "screenName")),
			"event": newGASchema(mp, "event", gaS("ec", "category"), gaS("ea", "action"), gaS("el", "label"),
				gaI("ev", "value")),
			"transaction": newGASchema(mp, "transaction", gaS("ti", "id"), gaS("ta", "affiliation"),
				gaD("tr", "revenue"), gaD("ts", "shipping"), gaD("tt", "tax"), gaS("tcc", "couponCode"),
				gaS("cu", "currencyCode")),
			"item": newGASchema(mp, "item", gaS("ti", "transactionId"), gaS("in", "name"), gaD("ip", "price"),
				gaI("iq", "quantity"), gaS("ic", "code"), gaS("iv", "category"), gaS("cu", "currencyCode")),
			"social": newGASchema(mp, "social", gaS("sn", "network"), gaS("sa", "action"),
				gaS("st", "actionTarget")),
			"exception": newGASchema(mp, "exception", gaS("exd", "description"), gaB("exf", "isFatal")),
			"timing": newGASchema(mp, "timing", gaS("utc", "userTimingCategory"),
				gaS("utv", "userTimingVariableName"), gaI("utt", "userTimingTime"), gaS("utl", "userTimingLabel"),
				gaI("plt", "pageLoadTime"), gaI("dns", "dnsTime"), gaI("pdt", "pageDownloadTime"),
				gaI("rrt", "redirectResponseTime"), gaI("tcp", "tcpConnectTime"), gaI("srt", "serverResponseTime"),
				gaI("dit", "domInteractiveTime"), gaI("clt", "contentLoadTime")),
		},
		hitURIs: map[string]string{},
		flat:    map[string]*gaSchema{},
	}
	for hit, s := range t.hits {
		t.hitURIs[hit] = s.uri
	}
	flat := []*gaSchema{
		pageView, // a page view can be a context too
		newGASchema(gaVendor, "undocumented", gaS("a", "a"), gaS("jid", "jid"), gaS("gjid", "gjid")),
		newGASchema(gaVendor, "private", gaS("_v", "v"), gaS("_u", "u"), gaS("_gid", "gid"), gaI("_s", "s"),
			gaI("_r", "r")),
		newGASchema(mp, "general", gaS("v", "protocolVersion"), gaS("tid", "trackingId"), gaB("aip", "anonymizeIp"),
			gaS("ds", "dataSource"), gaI("qt", "queueTime"), gaS("z", "cacheBuster")),
		newGASchema(mp, "user", gaS("cid", "clientId"), gaS("uid", "userId")),
		newGASchema(mp, "session", gaS("sc", "sessionControl"), gaS("uip", "ipOverride"),
			gaS("ua", "userAgentOverride"), gaS("geoid", "geographicalOverride")),
		newGASchema(mp, "traffic_source", gaS("dr", "documentReferrer"), gaS("cn", "campaignName"),
			gaS("cs", "campaignSource"), gaS("cm", "campaignMedium"), gaS("ck", "campaignKeyword"),
			gaS("cc", "campaignContent"), gaS("ci", "campaignId"), gaS("gclid", "googleAdwordsId"),
			gaS("dclid", "googleDisplayAdsId")),
		newGASchema(mp, "system_info", gaS("sr", "screenResolution"), gaS("vp", "viewportSize"),
			gaS("de", "documentEncoding"), gaS("sd", "screenColors"), gaS("ul", "userLanguage"),
			gaB("je", "javaEnabled"), gaS("fl", "flashVersion")),
		newGASchema(mp, "link", gaS("linkid", "id")),
		newGASchema(mp, "app", gaS("an", "name"), gaS("aid", "id"), gaS("av", "version"), gaS("aiid", "installerId")),
		newGASchema(mp, "product_action", gaS("pa", "productAction"), gaS("pal", "productActionList"),
			gaI("cos", "checkoutStep"), gaS("col", "checkoutStepOption")),
		newGASchema(mp, "content_experiment", gaS("xid", "id"), gaS("xvar", "variant")),
		newGASchema(mp, "hit", gaS("t", "type"), gaB("ni", "nonInteractionHit")),
		newGASchema(mp, "promotion_action", gaS("promoa", "promotionAction")),
	}
	for _, s := range flat {
		for param := range s.table {
			t.flat[param] = s
		}
	}
	const in = gaIndicator
	t.composites = []*gaSchema{
		newGASchema(mp, "product", gaI(in+"pr", "index"), gaS("prid", "sku"), gaS("prnm", "name"),
			gaS("prbr", "brand"), gaS("prca", "category"), gaS("prva", "variant"), gaD("prpr", "price"),
			gaI("prqt", "quantity"), gaS("prcc", "couponCode"), gaI("prps", "position"), gaS("cu", "currencyCode")),
		newGASchema(mp, "product_custom_dimension", gaI(in+"prcd", "productIndex"), gaI(in+"cd", "dimensionIndex"),
			gaS("prcd", "value")),
		newGASchema(mp, "product_custom_metric", gaI(in+"prcm", "productIndex"), gaI(in+"cm", "metricIndex"),
			gaI("prcm", "value")),
		newGASchema(mp, "product_impression_list", gaI(in+"il", "index"), gaS("ilnm", "name")),
		newGASchema(mp, "product_impression", gaI(in+"ilpi", "listIndex"), gaI(in+"pi", "productIndex"),
			gaS("ilpiid", "sku"), gaS("ilpinm", "name"), gaS("ilpibr", "brand"), gaS("ilpica", "category"),
			gaS("ilpiva", "variant"), gaI("ilpips", "position"), gaD("ilpipr", "price"), gaS("cu", "currencyCode")),
		newGASchema(mp, "product_impression_custom_dimension", gaI(in+"ilpicd", "listIndex"),
			gaI(in+"picd", "productIndex"), gaI(in+"cd", "customDimensionIndex"), gaS("ilpicd", "value")),
		newGASchema(mp, "product_impression_custom_metric", gaI(in+"ilpicm", "listIndex"),
			gaI(in+"picm", "productIndex"), gaI(in+"cm", "customMetricIndex"), gaI("ilpicm", "value")),
		newGASchema(mp, "promotion", gaI(in+"promo", "index"), gaS("promoid", "id"), gaS("promonm", "name"),
			gaS("promocr", "creative"), gaS("promops", "position")),
		newGASchema(mp, "custom_dimension", gaI(in+"cd", "index"), gaS("cd", "value")),
		newGASchema(mp, "custom_metric", gaI(in+"cm", "index"), gaField{"cm", "value", gaDouble}),
		newGASchema(mp, "content_group", gaI(in+"cg", "index"), gaS("cg", "value")),
	}
	t.compByURI = make(map[string]*gaSchema, len(t.composites))
	for _, s := range t.composites {
		t.compByURI[s.uri] = s
	}
	return t
}

// gaDirect maps Measurement Protocol parameters straight onto
// tracker-protocol parameters; ti and cu depend on the hit type.
func gaDirect(param, hitType string) (string, bool) {
	switch param {
	case "uip":
		return "ip", true
	case "dr":
		return "refr", true
	case "de":
		return "cs", true
	case "sd":
		return "cd", true
	case "ul":
		return "lang", true
	case "je":
		return "f_java", true
	case "dl":
		return "url", true
	case "dt":
		return "page", true
	case "ti":
		if hitType == "transaction" {
			return "tr_id", true
		}
		return "ti_id", true
	case "ta":
		return "tr_af", true
	case "tr":
		return "tr_tt", true
	case "ts":
		return "tr_sh", true
	case "tt":
		return "tr_tx", true
	case "in":
		return "ti_nm", true
	case "ip":
		return "ti_pr", true
	case "iq":
		return "ti_qu", true
	case "ic":
		return "ti_sk", true
	case "iv":
		return "ti_ca", true
	case "cu":
		if hitType == "transaction" {
			return "tr_cu", true
		}
		return "ti_cu", true
	case "ua":
		return "ua", true
	}
	return "", false
}

// googleAnalyticsToRawEvents: one raw event per line of the body. Failures
// of all lines are collected; an exception R108 did not catch (see above)
// ends the payload with that message alone.
func googleAnalyticsToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	if p.Body == "" {
		return fail("Request body is empty: no " + vendorGoogleAnalyticsName + " events to process")
	}
	var evs []RawEvent
	var errs []string
	for _, line := range scalaLines(p.Body) {
		ev, msgs, exc := gaHit(p, line)
		if exc != "" {
			return fail("Unexpected error processing events: " + exc)
		}
		if len(msgs) > 0 {
			errs = append(errs, msgs...)
			continue
		}
		evs = append(evs, ev)
	}
	return eventsFromList(evs, errs)
}

// scalaLines is Scala 2.11's StringOps.lines: lines end at '\n' or '\f'
// (kept out of the line, as is a '\r' before a '\n'); a final terminator
// starts no further line.
func scalaLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, "\n\f")
		if i < 0 {
			out = append(out, s)
			break
		}
		line := s[:i]
		if s[i] == '\n' && strings.HasSuffix(line, "\r") {
			line = line[:len(line)-1]
		}
		out = append(out, line)
		s = s[i+1:]
	}
	return out
}

// gaValue is one translated value: the JSON value, or R108's message.
type gaValue struct {
	v   *jvalue
	err string
}

// gaHit is parsePayload: one hit. exc is set for an uncaught exception.
func gaHit(p *collector.Payload, line string) (ev RawEvent, msgs []string, exc string) {
	ps, err := parseForm(line)
	if err != nil {
		return RawEvent{}, nil, "java.lang.IllegalArgumentException: " + err.Error()
	}
	return gaHitParams(p, gaParams(ps))
}

// gaParams is Adapter.toMap over the parsed body, built in one pass (a
// later duplicate updates the first one's entry; more than four keys make
// a HashMap).
func gaParams(ps []formParam) *smap {
	m := &smap{entries: make([]sentry, 0, len(ps))}
	for _, p := range ps {
		if i := m.index(p.Name); i >= 0 {
			m.entries[i].val, m.entries[i].null = p.Value, p.Null
			continue
		}
		m.entries = append(m.entries, sentry{key: p.Name, val: p.Value, null: p.Null})
	}
	if len(m.entries) > 4 {
		m.hashed = true
		for i := range m.entries {
			m.entries[i].order = scalamap.Order(m.entries[i].key)
		}
		slices.SortStableFunc(m.entries, func(a, b sentry) int { return cmp.Compare(a.order, b.order) })
	}
	return m
}

// gaHitParams is gaHit after the parameters are parsed.
func gaHitParams(p *collector.Payload, params *smap) (ev RawEvent, msgs []string, exc string) {
	ti := params.index("t")
	if ti < 0 {
		return RawEvent{}, []string{"No " + vendorGoogleAnalyticsName + " t parameter provided: cannot determine hit type"}, ""
	}
	hitType, hitNull := params.entries[ti].val, params.entries[ti].null
	shown := hitType // how Scala printed the hit type
	if hitNull {
		shown = "null"
	}

	out := make(map[string]string, 8)
	for _, e := range params.entries {
		if name, ok := gaDirect(e.key, hitType); ok {
			out[name] = e.val // a null value is "" here (RawEvent has no null)
		}
	}

	// The four parts R108 combined applicatively, failures in this order.
	var unstruct *gaSchema
	if !hitNull {
		unstruct = gaTable.hits[hitType]
	}
	if unstruct == nil {
		msgs = append(msgs, "No matching "+vendorGoogleAnalyticsName+" hit type for hit type "+shown)
	}
	lookupType := hitType
	if hitNull {
		lookupType = "null" // not a hit type either way
	}
	if _, msg := lookupSchema(lookupType, true, vendorGoogleAnalyticsName, -1, gaTable.hitURIs); msg != "" {
		msgs = append(msgs, msg)
	}
	a := &gaArena{slab: make([]jvalue, 0, len(params.entries)+16)}
	flat, flatErrs, exc := gaFlatContexts(a, params)
	if exc != "" {
		return RawEvent{}, nil, exc
	}
	msgs = append(msgs, flatErrs...)
	composite, compErr, exc := gaCompositeContexts(a, params)
	if exc != "" {
		return RawEvent{}, nil, exc
	}
	if compErr != "" {
		msgs = append(msgs, compErr)
	}
	if len(msgs) > 0 {
		return RawEvent{}, msgs, ""
	}

	var contexts []*jvalue
	for _, c := range flat.entries {
		if hitType == gaPageView && c.key == gaTable.pageView.uri {
			continue // the page view is the event itself
		}
		contexts = append(contexts, gaSelfDescribing(a, c.key, c.val))
	}
	for _, c := range composite {
		contexts = append(contexts, gaSelfDescribing(a, c.schema.uri, c.data))
	}
	if len(contexts) > 0 {
		size := 64 + 80*len(contexts) // envelopes and schema URIs
		for _, e := range params.entries {
			size += len(e.key) + len(e.val) + 8 // member names are about as long
		}
		b := make([]byte, 0, size)
		b = append(b, `{"schema":"`+contextsSchema+`","data":`...)
		b = appendJSON(b, &jvalue{kind: jArray, arr: contexts})
		out["co"] = string(append(b, '}'))
	}

	data, exc := gaTranslate(a, params, unstruct.table)
	if exc != "" {
		return RawEvent{}, nil, exc
	}
	if errs := gaErrors(data, nil); len(errs) > 0 {
		return RawEvent{}, errs, ""
	}
	out["ue_pr"] = unstructEnvelope(unstruct.uri, gaObject(a, data))
	out["e"] = "ue"
	out["tv"] = gaTracker
	out["p"] = "srv"
	return rawEvent(p, out), nil, ""
}

func gaSelfDescribing(a *gaArena, uri string, data *jvalue) *jvalue {
	v := a.obj(2)
	v.obj[0] = jfield{"schema", a.str(uri, false)}
	v.obj[1] = jfield{"data", data}
	return v
}

// gaArena hands out the JSON values of one hit in blocks.
type gaArena struct{ slab []jvalue }

func (a *gaArena) new(kind jkind) *jvalue {
	if len(a.slab) == cap(a.slab) {
		a.slab = make([]jvalue, 0, 32)
	}
	a.slab = a.slab[:len(a.slab)+1]
	v := &a.slab[len(a.slab)-1]
	v.kind = kind
	return v
}

// str is a string value, or null.
func (a *gaArena) str(s string, null bool) *jvalue {
	if null {
		return a.new(jNull)
	}
	v := a.new(jString)
	v.s = s
	return v
}

// obj is an object of n members to be filled in.
func (a *gaArena) obj(n int) *jvalue {
	v := a.new(jObject)
	v.obj = make([]jfield, n)
	return v
}

// gaObject renders a translated map as a JSON object in its order.
func gaObject(a *gaArena, m *scalaMap[gaValue]) *jvalue {
	v := a.obj(len(m.entries))
	for i, e := range m.entries {
		v.obj[i] = jfield{name: e.key, val: e.val.v}
	}
	return v
}

// gaErrors appends the failures of m in its order.
func gaErrors(m *scalaMap[gaValue], dst []string) []string {
	for _, e := range m.entries {
		if e.val.err != "" {
			dst = append(dst, e.val.err)
		}
	}
	return dst
}

// gaTranslate is translatePayload: the parameters of table, in the
// parameters' order, renamed and converted.
func gaTranslate(a *gaArena, params *smap, table map[string]gaTranslation) (*scalaMap[gaValue], string) {
	m := &scalaMap[gaValue]{}
	for _, e := range params.entries {
		tr, ok := table[e.key]
		if !ok {
			continue
		}
		v, exc := gaConvert(a, tr, e.val, e.null)
		if exc != "" {
			return nil, exc
		}
		m.put(tr.name, tr.hash, v)
	}
	return m, ""
}

// gaFlatContexts is buildContexts: each parameter of a flat context adds
// its field to that context; contexts in order of first appearance (or
// SchemaKey hash order from five on). Failures accumulate in that order.
func gaFlatContexts(a *gaArena, params *smap) (*scalaMap[*jvalue], []string, string) {
	byURI := &scalaMap[*scalaMap[gaValue]]{}
	for _, e := range params.entries {
		s := gaTable.flat[e.key]
		if s == nil {
			continue
		}
		tr := s.table[e.key]
		v, exc := gaConvert(a, tr, e.val, e.null)
		if exc != "" {
			return nil, nil, exc
		}
		fields, ok := byURI.get(s.uri)
		if !ok {
			fields = &scalaMap[gaValue]{}
		}
		fields.put(tr.name, tr.hash, v)
		byURI.put(s.uri, s.hash, fields)
	}
	var errs []string
	out := &scalaMap[*jvalue]{}
	for _, c := range byURI.entries {
		errs = gaErrors(c.val, errs)
		out.put(c.key, c.hash, gaObject(a, c.val))
	}
	if len(errs) > 0 {
		return nil, errs, ""
	}
	return out, nil, ""
}

// gaContext is one composite context.
type gaContext struct {
	schema *gaSchema
	data   *jvalue
}

// gaPart is one key-value pair of a broken-down composite field.
type gaPart struct {
	key, val string
	null     bool
}

// gaCompositeContexts is buildCompositeContexts: the parameters whose name
// holds a digit are broken down (pr12cd3=v → IFprcd=12, IFcd=3, prcd=v),
// grouped by key, translated into every composite schema that knows the
// key, transposed into one context per index, given the currency code
// where the schema has one, and kept when they hold more than their index
// fields. The first failure stops it.
func gaCompositeContexts(a *gaArena, params *smap) ([]gaContext, string, string) {
	n := 0
	for _, e := range params.entries {
		if strings.IndexFunc(e.key, javaIsDigit) >= 0 {
			n++
		}
	}
	if n == 0 {
		return nil, "", ""
	}
	composite := make([]sentry, 0, n)
	for _, e := range params.entries {
		if strings.IndexFunc(e.key, javaIsDigit) >= 0 {
			composite = append(composite, e)
		}
	}
	slices.SortFunc(composite, func(x, y sentry) int { return utf16Compare(x.key, y.key) })

	// Each field gives index parts (IF...) and one value part; the value
	// parts come first, then the index parts, a field's index parts left
	// out when they equal the previous field's.
	parts := make([]gaPart, 0, 4*len(composite))
	ends := make([]int, len(composite)) // end of each field's index parts in parts
	for i, e := range composite {
		var msg string
		if parts, msg = gaBreakDownField(parts, e.key, e.val, e.null); msg != "" {
			return nil, msg, ""
		}
		ends[i] = len(parts) - 1
	}
	flat := make([]gaPart, 0, len(parts))
	for i := range composite {
		flat = append(flat, parts[ends[i]])
	}
	start := 0
	var prev []gaPart
	for i := range composite {
		idx := parts[start:ends[i]]
		start = ends[i] + 1
		if i > 0 && gaSameParts(idx, prev) {
			continue
		}
		flat = append(flat, idx...)
		prev = idx
	}

	// translated: schema → field → values (or the first failure).
	type column struct {
		vals []*jvalue
		err  string
	}
	translated := &scalaMap[*scalaMap[column]]{} // keyed by schema URI
	for _, g := range scalaGroupBy(flat) {
		for _, s := range gaTable.composites {
			tr, ok := s.table[g.key]
			if !ok {
				continue
			}
			col := column{vals: make([]*jvalue, len(g.parts))}
			for i, p := range g.parts {
				v, exc := gaConvert(a, tr, p.val, p.null)
				if exc != "" {
					return nil, "", exc
				}
				if v.err != "" && col.err == "" {
					col.err = v.err
				}
				col.vals[i] = v.v
			}
			fields, ok := translated.get(s.uri)
			if !ok {
				fields = &scalaMap[column]{}
			}
			fields.put(tr.name, tr.hash, col)
			translated.put(s.uri, s.hash, fields)
		}
	}
	for _, t := range translated.entries {
		for _, f := range t.val.entries {
			if f.val.err != "" {
				return nil, f.val.err, ""
			}
		}
	}

	var currency *jvalue
	if cu := params.index("cu"); cu >= 0 {
		currency = a.str(params.entries[cu].val, params.entries[cu].null)
	}
	var out []gaContext
	var cols [][]*jvalue
	for _, t := range translated.entries {
		s := gaTable.compByURI[t.key]
		cols = cols[:0]
		for _, f := range t.val.entries {
			cols = append(cols, f.val.vals)
		}
		for _, row := range transposeRagged(cols) {
			m := &scalaMap[*jvalue]{entries: make([]scalaEntry[*jvalue], 0, len(row)+1)}
			min := s.indicators
			if currency != nil && s.currency {
				m.put("currencyCode", gaCurrencyCodeHash, currency)
				min++
			}
			// keys zip row: the shorter decides
			for i := 0; i < len(row) && i < len(t.val.entries); i++ {
				f := &t.val.entries[i]
				m.put(f.key, f.hash, row[i])
			}
			if len(m.entries) <= min {
				continue // nothing but indices: built for another schema
			}
			obj := a.obj(len(m.entries))
			for i, e := range m.entries {
				obj.obj[i] = jfield{name: e.key, val: e.val}
			}
			out = append(out, gaContext{schema: s, data: obj})
		}
	}
	return out, "", ""
}

var gaCurrencyCodeHash = scalamap.StringHash("currencyCode")

// gaSameParts is Scala Map equality of two broken-down index maps.
func gaSameParts(a, b []gaPart) bool {
	if len(a) != len(b) {
		return false
	}
outer:
	for _, x := range a {
		for _, y := range b {
			if x == y {
				continue outer
			}
		}
		return false
	}
	return true
}

// transposeRagged transposes lists of unequal length: row i holds the i-th
// element of every list that has one.
func transposeRagged(cols [][]*jvalue) [][]*jvalue {
	var rows [][]*jvalue
	for i := 0; ; i++ {
		var row []*jvalue
		for _, c := range cols {
			if i < len(c) {
				if row == nil {
					row = make([]*jvalue, 0, len(cols))
				}
				row = append(row, c[i])
			}
		}
		if len(row) == 0 {
			return rows
		}
		rows = append(rows, row)
	}
}

// gaBreakDownField is breakDownCompField(name, value, "IF"): the indices in
// the name become IF-keyed parts, then the value goes under the name
// without its indices; the parts are appended to dst.
func gaBreakDownField(dst []gaPart, name, val string, null bool) ([]gaPart, string) {
	c, ok := gaSplitComposite(name)
	if !ok {
		if name == "" {
			return dst, "Cannot parse empty composite field name"
		}
		return dst, "Cannot parse field name " + name + ", it doesn't conform to the expected composite field regex: " + gaCompositeRegex
	}
	end := c.ns
	if c.ns == c.ni+1 {
		end-- // the name ends with a sub-field name
	}
	for i := 0; i < c.ni; i++ {
		dst = append(dst, gaPart{key: gaIndicator + strings.Join(c.strs[i:end], ""), val: c.ints[i]})
	}
	return append(dst, gaPart{key: strings.Join(c.strs[:c.ns], ""), val: val, null: null}), ""
}

// gaComposite is a composite field name split by the regex: its letter
// groups (the prefix first) and digit groups, empty groups left out.
type gaComposite struct {
	strs, ints [3]string
	ns, ni     int
}

// gaSplitComposite matches name against the composite field regex (the
// whole name).
func gaSplitComposite(name string) (gaComposite, bool) {
	for _, prefix := range [...]string{"pr", "promo", "il", "cd", "cm", "cg"} {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		c := gaComposite{ns: 1}
		c.strs[0] = prefix
		rest := name[len(prefix):]
		// (\d+)([a-zA-Z]*)(\d*)([a-zA-Z]*)(\d*): maximal runs decide
		for group := 0; group < 5; group++ {
			digits := group%2 == 0
			n := 0
			for n < len(rest) && (digits && rest[n] >= '0' && rest[n] <= '9' ||
				!digits && (rest[n] >= 'a' && rest[n] <= 'z' || rest[n] >= 'A' && rest[n] <= 'Z')) {
				n++
			}
			if group == 0 && n == 0 {
				break
			}
			if n > 0 {
				if digits {
					c.ints[c.ni] = rest[:n]
					c.ni++
				} else {
					c.strs[c.ns] = rest[:n]
					c.ns++
				}
			}
			rest = rest[n:]
		}
		if rest == "" && c.ni > 0 {
			return c, true
		}
	}
	return gaComposite{}, false
}

// gaGroup is one key of a groupBy with its values in order.
type gaGroup struct {
	key   string
	order uint64 // iteration position
	parts []gaPart
}

// scalaGroupBy is Scala 2.11's groupBy on (key, value) pairs: the groups
// are collected in a mutable.HashMap and copied into an immutable Map, so
// up to four keys come in the mutable map's iteration order, more in hash
// trie order.
func scalaGroupBy(parts []gaPart) []gaGroup {
	var groups []gaGroup
	ids := make([]int, len(parts))
	for i, p := range parts {
		id := -1
		for g := range groups {
			if groups[g].key == p.key {
				id = g
				break
			}
		}
		if id < 0 {
			id = len(groups)
			groups = append(groups, gaGroup{key: p.key})
		}
		ids[i] = id
	}
	counts := make([]int, len(groups))
	for _, id := range ids {
		counts[id]++
	}
	backing := make([]gaPart, len(parts))
	off := 0
	for g := range groups {
		groups[g].parts = backing[off : off : off+counts[g]]
		off += counts[g]
	}
	for i, id := range ids {
		groups[id].parts = append(groups[id].parts, parts[i])
	}
	if len(groups) <= 4 {
		// mutable.HashMap of 16 buckets: buckets from the last, newest
		// entry of a bucket first.
		for g := range groups {
			groups[g].order = uint64(15-mutableHashIndex(scalamap.StringHash(groups[g].key), 16))<<8 | uint64(len(groups)-g)
		}
	} else {
		for g := range groups {
			groups[g].order = scalamap.Order(groups[g].key)
		}
	}
	slices.SortStableFunc(groups, func(x, y gaGroup) int { return cmp.Compare(x.order, y.order) })
	return groups
}

// gaConvert applies one translation. exc is set where R108 threw: a
// number expected from a null value.
func gaConvert(a *gaArena, tr gaTranslation, s string, null bool) (gaValue, string) {
	switch tr.kind {
	case gaString:
		return gaValue{v: a.str(s, null)}, ""
	case gaBool:
		switch {
		case null:
			s = "null"
		case s == "1", s == "0":
			v := a.new(jBool)
			v.b = s == "1"
			return gaValue{v: v}, ""
		}
		return gaValue{err: "Field [" + tr.name + "]: cannot convert [" + s + "] to boolean, only 1 or 0 are supported"}, ""
	}
	if null {
		return gaValue{}, gaNPE
	}
	switch tr.kind {
	case gaInt:
		n, ok := javaParseIntUnicode(s)
		if !ok {
			return gaValue{err: "Field [" + tr.name + "]: cannot convert [" + s + "] to Int"}, ""
		}
		v := a.new(jInt)
		v.s = strconv.Itoa(int(n))
		return gaValue{v: v}, ""
	case gaTwoDecimals:
		d, ok := parseJavaBigDecimal(s)
		if !ok {
			return gaValue{err: "Field [" + tr.name + "]: cannot convert [" + s + "] to Double"}, ""
		}
		v := a.new(jDouble)
		v.f = d.twoDecimals()
		return gaValue{v: v}, ""
	default: // gaDouble
		d, ok := parseJavaBigDecimal(s)
		if !ok {
			return gaValue{err: "Field [" + tr.name + "]: cannot convert [" + s + "] to Double"}, ""
		}
		v := a.new(jDouble)
		v.f = d.float()
		return gaValue{v: v}, ""
	}
}

// ---------------------------------------------------------------------------
// JVM behaviours

// javaIsDigit is Character.isDigit on a UTF-16 char of Java 8 (Unicode
// 6.2): a decimal digit of the Basic Multilingual Plane.
func javaIsDigit(r rune) bool { return javaDigitValue(r) >= 0 }

// javaDigitValue is Character.digit(c, 10) for a UTF-16 char, or -1.
// Supplementary characters are two chars to Java, neither a digit.
func javaDigitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r < 0x80 || r > 0xFFFF || (r >= 0xA9F0 && r <= 0xA9F9) || !unicode.Is(unicode.Nd, r) {
		return -1 // A9F0–A9F9 are digits only since Unicode 7.0
	}
	for _, rg := range unicode.Nd.R16 {
		if uint16(r) >= rg.Lo && uint16(r) <= rg.Hi {
			return int(uint16(r)-rg.Lo) % 10
		}
	}
	return -1
}

// javaParseIntUnicode is Integer.parseInt(s): an optional sign and decimal
// digits (any Unicode decimal digit of the BMP), within 32 bits.
func javaParseIntUnicode(s string) (int32, bool) {
	i, neg := 0, false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, i = s[0] == '-', 1
	}
	if i == len(s) {
		return 0, false
	}
	var v int64
	for _, r := range s[i:] {
		d := javaDigitValue(r)
		if d < 0 {
			return 0, false
		}
		v = v*10 + int64(d)
		if v > 1<<31 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v > 1<<31-1 {
		return 0, false
	}
	return int32(v), true
}

// javaBigDecimal is a java.math.BigDecimal: digits × 10^-scale.
type javaBigDecimal struct {
	neg    bool
	digits string // ASCII, no leading zeros; "" is zero
	scale  int64
}

// parseJavaBigDecimal is new BigDecimal(String): an optional sign, digits
// with at most one '.', an optional exponent (e or E, optional sign, at
// most ten significant digits); any Unicode decimal digit counts; the
// scale must fit in 32 bits. Nothing else (no spaces) is allowed.
func parseJavaBigDecimal(s string) (javaBigDecimal, bool) {
	var d javaBigDecimal
	i := 0
	if s != "" && (s[0] == '-' || s[0] == '+') {
		d.neg, i = s[0] == '-', 1
	}
	var b strings.Builder
	seen, dot := false, false
	var frac int64
	for i < len(s) {
		c := s[i]
		if c == '.' {
			if dot {
				return d, false
			}
			dot = true
			i++
			continue
		}
		if c == 'e' || c == 'E' {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		v := javaDigitValue(r)
		if v < 0 {
			return d, false
		}
		seen = true
		if v != 0 || b.Len() > 0 {
			b.WriteByte(byte('0' + v))
		}
		if dot {
			frac++
		}
		i += size
	}
	if !seen {
		return d, false
	}
	var exp int64
	if i < len(s) { // exponent
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		var ds []int
		for _, r := range s[i:] {
			v := javaDigitValue(r)
			if v < 0 {
				return d, false
			}
			ds = append(ds, v)
		}
		if len(ds) == 0 {
			return d, false
		}
		for len(ds) > 10 && ds[0] == 0 {
			ds = ds[1:]
		}
		if len(ds) > 10 {
			return d, false
		}
		for _, v := range ds {
			exp = exp*10 + int64(v)
		}
		if eneg {
			exp = -exp
		}
		if exp != int64(int32(exp)) {
			return d, false
		}
	}
	d.scale = frac - exp
	if d.scale != int64(int32(d.scale)) {
		return d, false
	}
	d.digits = b.String()
	return d, true
}

// float is BigDecimal.doubleValue: the nearest double (zero is +0.0).
func (d javaBigDecimal) float() float64 {
	if d.digits == "" {
		return 0
	}
	s := d.digits + "e" + strconv.FormatInt(-d.scale, 10)
	if d.neg {
		s = "-" + s
	}
	f, _ := strconv.ParseFloat(s, 64) // ErrRange gives ±Inf or ±0 as Java did
	return f
}

// twoDecimals is setScale(2, HALF_EVEN).toDouble.
func (d javaBigDecimal) twoDecimals() float64 {
	n := int64(len(d.digits))
	magnitude := n - d.scale // digits before the decimal point
	switch {
	case d.digits == "" || magnitude < -2:
		return 0 // |x| < 0.001 rounds to 0.00
	case magnitude > 400:
		return d.float() // beyond any double: ±Infinity (Java built a huge BigInteger first)
	}
	var kept string
	if d.scale <= 2 {
		kept = d.digits + strings.Repeat("0", int(2-d.scale))
	} else {
		cut := int(n - (d.scale - 2)) // digits kept
		if cut < 0 {
			return 0
		}
		kept = d.digits[:cut]
		dropped := d.digits[cut:]
		up := false
		switch {
		case dropped[0] > '5':
			up = true
		case dropped[0] == '5':
			up = strings.TrimRight(dropped[1:], "0") != "" || (kept != "" && (kept[len(kept)-1]-'0')%2 == 1)
		}
		if up {
			var v big.Int
			v.SetString("0"+kept, 10)
			v.Add(&v, big.NewInt(1))
			kept = v.String()
		}
		kept = strings.TrimLeft(kept, "0")
		if kept == "" {
			return 0
		}
	}
	return javaBigDecimal{neg: d.neg, digits: kept, scale: 2}.float()
}

// utf16Compare is String.compareTo's sign: UTF-16 code unit order. It
// differs from UTF-8 byte order only between U+E000–U+FFFF (lead bytes
// 0xEE, 0xEF) and supplementary characters (0xF0–0xF4), which UTF-16
// sorts first.
func utf16Compare(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		return cmp.Compare(len(a), len(b))
	}
	x, y := a[i], b[i]
	if x >= 0xEE && y >= 0xEE && (x >= 0xF0) != (y >= 0xF0) {
		// first differing byte starts the characters (0xEE.. are lead bytes)
		if x >= 0xF0 {
			return -1
		}
		return 1
	}
	return cmp.Compare(x, y)
}

// ---------------------------------------------------------------------------
// Scala 2.11 collections

// scalaMap re-creates the iteration order of a Scala 2.11 immutable Map
// whose keys have the given hash codes (smap does it for String maps of
// Strings): insertion order up to four entries, hash trie order from five.
type scalaMap[V any] struct {
	entries []scalaEntry[V]
	hashed  bool
}

type scalaEntry[V any] struct {
	key  string
	hash uint32
	val  V
	pos  uint64
}

func (m *scalaMap[V]) get(key string) (V, bool) {
	for _, e := range m.entries {
		if e.key == key {
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

// put is Scala's updated: an existing key keeps its place.
func (m *scalaMap[V]) put(key string, hash uint32, val V) {
	for i := range m.entries {
		if m.entries[i].key == key {
			m.entries[i].val = val
			return
		}
	}
	e := scalaEntry[V]{key: key, hash: hash, val: val, pos: scalamap.TriePos(hash)}
	if !m.hashed {
		m.entries = append(m.entries, e)
		if len(m.entries) > 4 {
			m.hashed = true
			slices.SortStableFunc(m.entries, func(a, b scalaEntry[V]) int { return cmp.Compare(a.pos, b.pos) })
		}
		return
	}
	i := sort.Search(len(m.entries), func(i int) bool { return m.entries[i].pos > e.pos })
	m.entries = slices.Insert(m.entries, i, e)
}

// mutableHashIndex is the bucket of a key with hash code h in a Scala 2.11
// mutable.HashTable of size buckets (a power of two).
func mutableHashIndex(h uint32, size int) int {
	ones := uint32(size - 1)
	exponent := 32 - bitLen(ones)
	rotation := popCount(ones) % 32
	// scala.util.hashing.byteswap32
	hc := h * 0x9e3775cd
	hc = hc>>24 | (hc>>8)&0xff00 | (hc<<8)&0xff0000 | hc<<24
	hc *= 0x9e3775cd
	rotated := hc>>rotation | hc<<((32-rotation)%32)
	return int((rotated >> exponent) & ones)
}

func bitLen(x uint32) uint32 {
	var n uint32
	for ; x != 0; x >>= 1 {
		n++
	}
	return n
}

func popCount(x uint32) uint32 {
	var n uint32
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// scalaProductHash is MurmurHash3.productHash of a case class whose fields
// are these strings (Scala 2.11: seed 0xcafebabe, no prefix).
func scalaProductHash(fields ...string) uint32 {
	h := uint32(0xcafebabe)
	for _, f := range fields {
		h = murmurMix(h, scalamap.StringHash(f))
	}
	h ^= uint32(len(fields))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

func murmurMix(h, k uint32) uint32 {
	k *= 0xcc9e2d51
	k = k<<15 | k>>17
	k *= 0x1b873593
	h ^= k
	h = h<<13 | h>>19
	return h*5 + 0xe6546b64
}
