package enrichment

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/furrowdata/furrow/event"
)

// The interfaces below are the seam between the enricher and each
// enrichment kind, one per kind, in the order R108's EnrichmentManager ran
// them. Every method is called once per event, concurrently from many
// goroutines: implementations must be safe for concurrent use and must not
// keep the event after returning. A returned error fails the event (R108's
// failure messages); use errors.Join to report several messages. Contexts
// are self-describing JSON objects ({"schema": "iglu:…", "data": …}) that
// the enricher appends to derived_contexts in R108's order.

// IPLookups fills the geo_* and ip_* fields from the IP address before it is
// anonymized (R108: IpLookupsEnrichment.extractIpInformation). ip is
// user_ipaddress as the tracker or collector gave it.
type IPLookups interface {
	LookupIP(ip string, e *event.Event) error
}

// IAB returns the spiders-and-robots context (R108: IabEnrichment.getIabContext).
// It reads useragent, user_ipaddress (not yet anonymized) and
// derived_tstamp from e.
type IAB interface {
	IABContext(ctx context.Context, e *event.Event) (json.RawMessage, error)
}

// AnonIP anonymizes user_ipaddress (R108: AnonIpEnrichment.anonymizeIp).
type AnonIP interface {
	AnonymizeIP(ip string) string
}

// UserAgentUtils fills br_name, br_family, br_version, br_type,
// br_renderengine, os_name, os_family, os_manufacturer, dvce_type and
// dvce_ismobile from the decoded useragent (R108:
// UserAgentUtilsEnrichment.extractClientAttributes).
type UserAgentUtils interface {
	ParseUserAgent(ua string, e *event.Event) error
}

// UAParser returns the ua_parser_context for the decoded useragent (R108:
// UaParserEnrichment.extractUserAgent).
type UAParser interface {
	UAParserContext(ua string) (json.RawMessage, error)
}

// CurrencyConversion sets base_currency and the *_base fields from
// tr_total, tr_tax, tr_shipping, ti_price, tr_currency and ti_currency
// (R108: CurrencyConversionEnrichment.convertCurrencies). collectorTstamp
// is the collector's timestamp (zero when unknown).
type CurrencyConversion interface {
	ConvertCurrency(ctx context.Context, e *event.Event, collectorTstamp time.Time) error
}

// RefererParser classifies the referer (R108:
// RefererParserEnrichment.extractRefererDetails). pageHost is
// page_urlhost ("" when unknown). ok is false when the referer is unknown;
// the enricher then leaves refr_medium, refr_source and refr_term empty.
type RefererParser interface {
	ParseReferer(referer *URI, pageHost string) (medium, source, term string, ok bool)
}

// CampaignAttribution sets mkt_medium, mkt_source, mkt_term, mkt_content,
// mkt_campaign, mkt_clickid and mkt_network from the page URL's querystring
// (R108: CampaignAttributionEnrichment.extractMarketingFields).
type CampaignAttribution interface {
	Attribute(pageQuery Query, e *event.Event) error
}

// EventFingerprint returns event_fingerprint for the raw tracker-protocol
// parameters (R108: EventFingerprintEnrichment.getEventFingerprint).
type EventFingerprint interface {
	Fingerprint(params map[string]string) string
}

// Param is one raw tracker-protocol parameter.
type Param struct{ Name, Value string }

// ParamsFingerprint is implemented by an EventFingerprint that also takes
// the parameters as a list (each name once, any order), as the enricher
// has them; the result is Fingerprint's for the same parameters.
type ParamsFingerprint interface {
	FingerprintParams(params []Param) string
}

// JavaScript runs the user's script on the enriched event and returns the
// contexts it produced (R108: JavascriptScriptEnrichment.process).
type JavaScript interface {
	Process(ctx context.Context, e *event.Event) ([]json.RawMessage, error)
}

// CookieExtractor returns one context per configured cookie found in the
// request headers (R108: CookieExtractorEnrichment.extract). headers are
// the collector's "Name: value" lines.
type CookieExtractor interface {
	ExtractCookies(headers []string) []json.RawMessage
}

// HTTPHeaderExtractor returns one context per matching request header
// (R108: HttpHeaderExtractorEnrichment.extract).
type HTTPHeaderExtractor interface {
	ExtractHeaders(headers []string) []json.RawMessage
}

// Weather returns the weather context for geo_latitude, geo_longitude and
// derived_tstamp of e (R108: WeatherEnrichment.getWeatherContext).
type Weather interface {
	WeatherContext(ctx context.Context, e *event.Event) (json.RawMessage, error)
}

// LookupInput is what the SQL query and API request enrichments see: the
// event, the derived contexts prepared so far, and the validated custom
// contexts and unstructured event.
type LookupInput struct {
	Event    *event.Event
	Derived  []json.RawMessage
	Contexts []event.SelfDescribing
	Unstruct *event.SelfDescribing // nil when the event has none
}

// SQLQuery returns the contexts built from its query (R108:
// SqlQueryEnrichment.lookup). It is not called when the event's contexts or
// unstructured event failed validation.
type SQLQuery interface {
	SQLContexts(ctx context.Context, in *LookupInput) ([]json.RawMessage, error)
}

// APIRequest returns the contexts built from its API call (R108:
// ApiRequestEnrichment.lookup). It is not called when the event's contexts
// or unstructured event failed validation, or the SQL query failed; its
// input's Derived then also holds the SQL contexts.
type APIRequest interface {
	APIContexts(ctx context.Context, in *LookupInput) ([]json.RawMessage, error)
}

// PII pseudonymizes the configured fields of the finished event in place
// (R108: PiiPseudonymizerEnrichment.transformer). It cannot fail.
type PII interface {
	Pseudonymize(e *event.Event)
}

// URI is a parsed URL as java.net.URI exposed it to R108's enrichments:
// raw (still percent-encoded) components, "" for absent ones.
type URI struct {
	// String is the whole URI as the enricher stored it (page_url,
	// page_referrer).
	String   string
	Scheme   string
	Host     string // "" when java.net.URI had no server-based host
	Port     int    // -1 when absent
	Path     string // raw path
	Query    string // raw query, without '?'
	Fragment string // raw fragment, without '#'
}

// Query is a querystring as Apache HttpClient's URLEncodedUtils parsed it
// for R108: name/value pairs in order, names and values form-decoded.
type Query []QueryParam

// QueryParam is one querystring parameter. Null is true for a name
// without '=' (Java null).
type QueryParam struct {
	Name, Value string
	Null        bool
}

// Get returns the value of the last parameter called name, as the Scala
// Map that R108 built from the list did; ok is false when there is none.
func (q Query) Get(name string) (value string, ok bool) {
	for i := len(q) - 1; i >= 0; i-- {
		if q[i].Name == name {
			return q[i].Value, true
		}
	}
	return "", false
}

// Messages splits an error returned by an enrichment into failure messages:
// one per error joined with errors.Join (recursively), otherwise err.Error().
func Messages(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				if x != nil {
					walk(x)
				}
			}
			return
		}
		out = append(out, e.Error())
	}
	walk(err)
	if len(out) == 0 {
		out = append(out, err.Error())
	}
	return out
}

// ErrNotImplemented reports an enabled enrichment kind without an
// implementation (see Registry.Pending).
var ErrNotImplemented = errors.New("enrichment: not implemented")
