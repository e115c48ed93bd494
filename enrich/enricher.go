package enrich

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"strings"

	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

// Enricher turns raw events into enriched events as R108's
// EnrichmentManager did. It is safe for concurrent use.
type Enricher struct {
	cfg       Config
	resolver  *iglu.Resolver
	reg       *enrichment.Registry
	log       *slog.Logger
	etlTstamp string
	failLen   bool
	newID     func() string
}

// New builds an Enricher. The resolver validates contexts and
// unstructured events (required); reg holds the configured enrichments
// (nil = none); logger nil = slog.Default().
func New(cfg Config, resolver *iglu.Resolver, reg *enrichment.Registry, logger *slog.Logger) (*Enricher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if resolver == nil {
		return nil, errors.New("enrich: an Iglu resolver is required to validate contexts and unstructured events")
	}
	if reg == nil {
		reg = enrichment.Empty()
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Enricher{
		cfg:       cfg,
		resolver:  resolver,
		reg:       reg,
		log:       logger,
		etlTstamp: event.FormatTimestamp(cfg.ETLTimestamp),
		failLen:   cfg.FieldLengths == LengthsFail,
		newID:     randomUUID,
	}, nil
}

// Config returns the Enricher's config with defaults applied.
func (en *Enricher) Config() Config { return en.cfg }

// eventID returns the event_id ids gives.
func (en *Enricher) eventID(ids *idSource) string {
	switch {
	case ids.id != "":
		return ids.id
	case ids.seed != "":
		return recordEventID(ids.seed, ids.line, ids.hasLine, ids.n)
	}
	return en.newID()
}

// randomUUID returns a random (version 4) UUID, as
// java.util.UUID.randomUUID did.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(&b)
}

// formatUUID renders a UUID in its canonical lowercase form.
func formatUUID(b *[16]byte) string {
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexLower[c>>4], hexLower[c&15]
		j += 2
	}
	return string(out[:])
}

const hexLower = "0123456789abcdef"

// Message slots, in the order R108 combined the validations of an event.
const (
	slotUseragent = iota
	slotCollectorTstamp
	slotDerivedTstamp
	slotUserAgentUtils
	slotUAParser
	slotCollectorVersion
	slotPageURI
	slotCrossDomain
	slotGeo
	slotRefererURI
	slotTransform
	slotCurrency
	slotSecondPass
	slotPageQuery
	slotJavaScript
	slotCampaign
	slotContexts
	slotUnstruct
	slotAPI
	slotSQL
	slotSchema
	slotWeather
	slotIAB
	slotFields // furrow's field validation, after R108's
	numSlots
)

type messages [numSlots][]string

func (m *messages) add(slot int, msg ...string) { m[slot] = append(m[slot], msg...) }

func (m *messages) addErr(slot int, err error) {
	if err != nil {
		m[slot] = append(m[slot], enrichment.Messages(err)...)
	}
}

func (m *messages) all() []string {
	n := 0
	for i := range m {
		n += len(m[i])
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := range m {
		out = append(out, m[i]...)
	}
	return out
}

// Enrich enriches one raw event. It returns the enriched event, or nil and
// the failure messages of the event (at least one), in R108's order.
func (en *Enricher) Enrich(ctx context.Context, raw *adapter.RawEvent) (*event.Event, []string) {
	return en.EnrichWithID(ctx, raw, "")
}

// EnrichWithID is Enrich with the event_id an event gets when its tracker
// sent no valid eid: id, or a random UUID v4 (R108's rule) when id is "".
// The pipeline passes ids derived from the record's position in its input
// (RecordEventID), so that re-runs write the same ids.
func (en *Enricher) EnrichWithID(ctx context.Context, raw *adapter.RawEvent, id string) (*event.Event, []string) {
	e := &event.Event{}
	if msgs := en.enrichInto(ctx, raw, &idSource{id: id}, e, new(scratch)); msgs != nil {
		return nil, msgs
	}
	return e, nil
}

// enrichInto is EnrichWithID filling e, which must be empty (the zero
// Event). It returns the failure messages, nil when e is a good event.
//
// sc is working memory reused across calls (one goroutine at a time).
func (en *Enricher) enrichInto(ctx context.Context, raw *adapter.RawEvent, ids *idSource, e *event.Event, sc *scratch) []string {
	if raw == nil {
		return []string{"no raw event"}
	}
	var msgs messages
	reg := en.reg

	// 1. Fields that cannot fail (event_id: after the transforms, when the
	// tracker sent no eid).
	e.Fields[event.VCollector] = raw.Source.Name
	e.Fields[event.VETL] = en.cfg.ETLVersion
	e.Fields[event.ETLTstamp] = en.etlTstamp
	e.Fields[event.NetworkUserID] = raw.Context.UserID
	e.Fields[event.UserIPAddress] = raw.Context.IPAddress

	// 2a. Collector timestamp and useragent.
	if ts, m := sc.collectorTstamp(raw.Context.Timestamp); m != "" {
		msgs.add(slotCollectorTstamp, m)
	} else {
		e.Fields[event.CollectorTstamp] = ts
	}
	enc := raw.Source.Encoding
	if enc == "" {
		enc = "UTF-8"
	}
	if ua := raw.Context.UserAgent; ua != "" {
		if d, m := sc.decodeUseragent(enc, ua); m != "" {
			msgs.add(slotUseragent, m)
		} else {
			e.Fields[event.Useragent] = d
		}
	}

	// 2b. The transform map, in the order of R108's Scala map: each known
	// parameter's value goes to its transform's rank, then the present
	// ranks are applied in order.
	var vals [numTransforms]string
	var present [(numTransforms + 63) / 64]uint64
	params := sc.params[:0] // the parameters once more, for the fingerprint
	for k, v := range raw.Parameters {
		params = append(params, enrichment.Param{Name: k, Value: v})
		if t := lookupTransform(k); t != nil {
			vals[t.rank] = v
			present[t.rank>>6] |= 1 << (t.rank & 63)
		}
	}
	for w, word := range present {
		for ; word != 0; word &= word - 1 {
			r := w<<6 | bits.TrailingZeros64(word)
			if m := transformsInOrder[r].apply(e, vals[r]); m != "" {
				msgs.add(slotTransform, m)
			}
		}
	}
	if e.Fields[event.EventID] == "" {
		// No eid, or an invalid one (the event fails: any id will do).
		e.Fields[event.EventID] = en.eventID(ids)
	}
	if v, ok := raw.Parameters[secondPass.key]; ok {
		if m := secondPass.apply(e, v); m != "" {
			msgs.add(slotSecondPass, m)
		}
	}
	if e.Fields[event.VCollector] == "" {
		msgs.add(slotCollectorVersion, "Collector version not set")
	}

	// Page URL: the tracker's url, else the collector's referer.
	var pageURI *uriParser
	pageSrc := e.Fields[event.PageURL]
	if pageSrc == "" {
		pageSrc = raw.Context.RefererURI
	}
	if pageSrc != "" {
		u, ok, m := stringToURIInto(&sc.page, pageSrc)
		switch {
		case m != "":
			msgs.add(slotPageURI, m)
		case ok:
			pageURI = u
			e.Fields[event.PageURL] = u.s
			e.Fields[event.PageURLScheme], e.Fields[event.PageURLHost], e.Fields[event.PageURLPort],
				e.Fields[event.PageURLPath], e.Fields[event.PageURLQuery], e.Fields[event.PageURLFragment] = explode(u)
		}
	}

	// IP lookups, on the address before anonymization.
	if impl := reg.IPLookups.Impl; impl != nil && e.Fields[event.UserIPAddress] != "" {
		msgs.addErr(slotGeo, impl.LookupIP(e.Fields[event.UserIPAddress], e))
	}

	// Derived timestamp.
	if d, m := derivedTimestamp(e.Fields[event.DvceSentTstamp], e.Fields[event.DvceCreatedTstamp],
		e.Fields[event.CollectorTstamp], e.Fields[event.TrueTstamp]); m != "" {
		msgs.add(slotDerivedTstamp, m)
	} else {
		e.Fields[event.DerivedTstamp] = d
	}

	// IAB, before the IP address is anonymized.
	var iabCtx json.RawMessage
	if impl := reg.IAB.Impl; impl != nil {
		c, err := impl.IABContext(ctx, e)
		msgs.addErr(slotIAB, err)
		if err == nil {
			iabCtx = c
		}
	}

	if impl := reg.AnonIP.Impl; impl != nil && e.Fields[event.UserIPAddress] != "" {
		e.Fields[event.UserIPAddress] = impl.AnonymizeIP(e.Fields[event.UserIPAddress])
	}

	ua := e.Fields[event.Useragent]
	if impl := reg.UserAgentUtils.Impl; impl != nil && ua != "" {
		msgs.addErr(slotUserAgentUtils, impl.ParseUserAgent(ua, e))
	}
	var uaCtx json.RawMessage
	if impl := reg.UAParser.Impl; impl != nil && ua != "" {
		c, err := sc.uaParserContext(impl, ua)
		msgs.addErr(slotUAParser, err)
		if err == nil {
			uaCtx = c
		}
	}

	if impl := reg.CurrencyConversion.Impl; impl != nil {
		msgs.addErr(slotCurrency, impl.ConvertCurrency(ctx, e, raw.Context.Timestamp))
	}

	// Referer URL.
	if refr := e.Fields[event.PageReferrer]; refr != "" {
		u, ok, m := stringToURIInto(&sc.refr, refr)
		switch {
		case m != "":
			msgs.add(slotRefererURI, m)
		case ok:
			e.Fields[event.RefrURLScheme], e.Fields[event.RefrURLHost], e.Fields[event.RefrURLPort],
				e.Fields[event.RefrURLPath], e.Fields[event.RefrURLQuery], e.Fields[event.RefrURLFragment] = explode(u)
			if impl := reg.RefererParser.Impl; impl != nil {
				sc.refrURI = u.components()
				if medium, source, term, ok := impl.ParseReferer(&sc.refrURI, e.Fields[event.PageURLHost]); ok {
					e.Fields[event.RefrMedium], e.Fields[event.RefrSource], e.Fields[event.RefrTerm] = medium, source, term
				}
			}
		}
	}

	// The page querystring: campaign attribution and cross-domain tracking.
	if pageURI != nil && pageURI.query != "" {
		campaign := reg.CampaignAttribution.Impl
		// Only _sp matters to the core: skip parsing a querystring that
		// cannot hold it when no campaign attribution needs the rest.
		if campaign != nil || strings.Contains(pageURI.query, "_sp") || strings.Contains(pageURI.query, "%5") {
			cs := lookupCharset(enc)
			if cs == charsetUnknown {
				cs = charsetUTF8
			}
			q := appendQuerystring(sc.query[:0], pageURI.query, cs)
			if q != nil {
				sc.query = q
			}
			if campaign != nil {
				msgs.addErr(slotCampaign, campaign.Attribute(q, e))
			}
			crossDomain(q, e, &msgs)
		}
	} else if pageURI != nil {
		if impl := reg.CampaignAttribution.Impl; impl != nil {
			msgs.addErr(slotCampaign, impl.Attribute(nil, e))
		}
	}

	if impl := reg.EventFingerprint.Impl; impl != nil {
		if pf, ok := impl.(enrichment.ParamsFingerprint); ok {
			e.Fields[event.EventFingerprint] = pf.FingerprintParams(params)
		} else {
			e.Fields[event.EventFingerprint] = impl.Fingerprint(raw.Parameters)
		}
	}
	clear(params)
	sc.params = params[:0]

	// Contexts, unstructured event and the event's schema.
	var customBuf [4]entityRef
	custom, cm := en.validateContexts(ctx, e.Fields[event.Contexts], customBuf[:0])
	msgs.add(slotContexts, cm...)
	unstruct, hasUnstruct, um := en.validateUnstruct(ctx, e.Fields[event.UnstructEvent])
	msgs.add(slotUnstruct, um...)
	var unstructOK *entityRef
	if hasUnstruct && um == nil {
		unstructOK = &unstruct
	}
	if k, m := extractSchema(e.Fields[event.EventType], unstructOK); m != "" {
		msgs.add(slotSchema, m)
	} else {
		e.Fields[event.EventVendor], e.Fields[event.EventName], e.Fields[event.EventFormat], e.Fields[event.EventVersion] =
			k.vendor, k.name, k.format, k.version
	}

	var jsCtxs []json.RawMessage
	if impl := reg.JavaScript.Impl; impl != nil {
		c, err := impl.Process(ctx, e)
		msgs.addErr(slotJavaScript, err)
		if err == nil {
			jsCtxs = c
		}
	}
	var cookieCtxs, headerCtxs []json.RawMessage
	if impl := reg.CookieExtractor.Impl; impl != nil {
		cookieCtxs = impl.ExtractCookies(raw.Context.Headers)
	}
	if impl := reg.HTTPHeaderExtractor.Impl; impl != nil {
		headerCtxs = impl.ExtractHeaders(raw.Context.Headers)
	}
	var weatherCtx json.RawMessage
	if impl := reg.Weather.Impl; impl != nil {
		c, err := impl.WeatherContext(ctx, e)
		msgs.addErr(slotWeather, err)
		if err == nil {
			weatherCtx = c
		}
	}

	// Derived contexts prepared by the built-in enrichments, in R108's order.
	prepared := sc.prepared[:0]
	for _, c := range [...]json.RawMessage{uaCtx, weatherCtx, iabCtx} {
		if c != nil {
			prepared = append(prepared, c)
		}
	}
	prepared = append(prepared, jsCtxs...)
	prepared = append(prepared, cookieCtxs...)
	prepared = append(prepared, headerCtxs...)

	jsonOK := cm == nil && um == nil
	var sqlCtxs, apiCtxs []json.RawMessage
	sqlOK := true
	// The SQL and API enrichments read the contexts and the unstructured
	// event as event.SelfDescribing values.
	var customSD []event.SelfDescribing
	var unstructSD *event.SelfDescribing
	if (reg.SQLQuery.Impl != nil || reg.APIRequest.Impl != nil) && jsonOK {
		customSD = selfDescribingList(custom)
		if unstructOK != nil {
			unstructSD = &selfDescribingList([]entityRef{*unstructOK})[0]
		}
	}
	if impl := reg.SQLQuery.Impl; impl != nil && jsonOK {
		c, err := impl.SQLContexts(ctx, &enrichment.LookupInput{Event: e, Derived: prepared, Contexts: customSD, Unstruct: unstructSD})
		msgs.addErr(slotSQL, err)
		if err == nil {
			sqlCtxs = c
		} else {
			sqlOK = false
		}
	}
	if impl := reg.APIRequest.Impl; impl != nil && jsonOK && sqlOK {
		derived := append(append([]json.RawMessage(nil), prepared...), sqlCtxs...)
		c, err := impl.APIContexts(ctx, &enrichment.LookupInput{Event: e, Derived: derived, Contexts: customSD, Unstruct: unstructSD})
		msgs.addErr(slotAPI, err)
		if err == nil {
			apiCtxs = c
		}
	}
	if n := len(apiCtxs) + len(sqlCtxs) + len(prepared); n > 0 {
		all := prepared
		if len(apiCtxs)+len(sqlCtxs) > 0 {
			all = make([]json.RawMessage, 0, n)
			all = append(append(append(all, apiCtxs...), sqlCtxs...), prepared...)
		}
		if len(all) == 1 && len(uaCtx) > 0 && &all[0][0] == &uaCtx[0] {
			// The ua-parser context alone, the common case: its bytes are
			// the enrichment's cached (immutable) ones, so the same bytes
			// always format to the same string.
			if s, m := sc.derivedUA(uaCtx); m != "" {
				msgs.add(slotFields, m)
			} else {
				e.Fields[event.DerivedContexts] = s
			}
		} else if s, m := formatDerivedContexts(all); m != "" {
			msgs.add(slotFields, m)
		} else {
			e.Fields[event.DerivedContexts] = s
		}
	}

	clear(prepared)
	sc.prepared = prepared[:0]
	clear(sc.query)
	sc.refrURI = enrichment.URI{}

	if impl := reg.PII.Impl; impl != nil {
		impl.Pseudonymize(e)
	}

	en.validateFields(e, &msgs)
	return msgs.all()
}

// crossDomain is PageEnrichments.parseCrossDomain: "_sp=DUID.TSTAMP" in the
// page querystring sets refr_domain_userid and refr_dvce_tstamp.
func crossDomain(q enrichment.Query, e *event.Event, msgs *messages) {
	var sp string
	var null, found bool
	for i := len(q) - 1; i >= 0; i-- {
		if q[i].Name == "_sp" {
			sp, null, found = q[i].Value, q[i].Null, true
			break
		}
	}
	if !found || (sp == "" && !null) {
		return
	}
	// Java's String.split drops trailing empty strings.
	parts := strings.Split(sp, ".")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if null || len(parts) == 0 {
		// R108 threw here (NullPointerException, ArrayIndexOutOfBounds) and
		// its catch-all failed the event.
		what := "java.lang.ArrayIndexOutOfBoundsException: 0"
		if null {
			what = "java.lang.NullPointerException"
		}
		msgs.add(slotCrossDomain, "Unexpected error processing events: "+what)
		return
	}
	duid := event.Sanitize(parts[0])
	var ts string
	if len(parts) > 1 {
		out, m := extractTimestamp("sp_dtm", parts[1])
		if m != "" {
			msgs.add(slotCrossDomain, m)
			return
		}
		ts = out
	}
	e.Fields[event.RefrDomainUserID] = duid
	if ts != "" {
		e.Fields[event.RefrDvceTstamp] = ts
	}
}

// validateFields checks every field against its type and length.
func (en *Enricher) validateFields(e *event.Event, msgs *messages) {
	for i := range e.Fields {
		v := e.Fields[i]
		if v == "" {
			continue
		}
		f := event.Field(i)
		if f.Kind() == event.KindString && f.MaxLen() > 0 && len(v) <= f.MaxLen() {
			continue // the common case: a short string
		}
		err := event.ValidateField(f, v)
		if err == nil {
			continue
		}
		if !en.failLen && f.MaxLen() > 0 && isLengthOnly(f, v) {
			continue
		}
		msgs.add(slotFields, err.Error())
	}
}

// isLengthOnly reports whether v's only problem is its length.
func isLengthOnly(f event.Field, v string) bool {
	max := f.MaxLen()
	// Cut v to max characters; if that is valid, only the length was wrong.
	n := 0
	for i := range v {
		if n == max {
			return event.ValidateField(f, v[:i]) == nil
		}
		n++
	}
	return false
}

// String describes the enricher for logs.
func (en *Enricher) String() string {
	return fmt.Sprintf("enrich.Enricher{v_etl=%s, etl_tstamp=%s, enrichments=%v, pending=%v}",
		en.cfg.ETLVersion, en.etlTstamp, en.reg.Enabled(), en.reg.Pending())
}
