package enrichment

import (
	"slices"

	"github.com/furrowdata/furrow/event"
)

// The enrichment names of R108, as an enrichment config's data.name gives
// them. They identify an enrichment everywhere (logs, Pending, FieldsOf).
const (
	NameAnonIP              = "anon_ip"
	NameIPLookups           = "ip_lookups"
	NameUserAgentUtils      = "user_agent_utils_config"
	NameUAParser            = "ua_parser_config"
	NameRefererParser       = "referer_parser"
	NameCampaignAttribution = "campaign_attribution"
	NameEventFingerprint    = "event_fingerprint_config"
	NameCookieExtractor     = "cookie_extractor_config"
	NameHTTPHeaderExtractor = "http_header_extractor_config"
	NameIAB                 = "iab_spiders_and_robots_enrichment"
	NamePII                 = "pii_enrichment_config"
	NameCurrencyConversion  = "currency_conversion_config"
	NameJavaScript          = "javascript_script_config"
	NameAPIRequest          = "api_request_enrichment_config"
	NameSQLQuery            = "sql_query_enrichment_config"
	NameWeather             = "weather_enrichment_config"
)

const (
	vendorSnowplow    = "com.snowplowanalytics.snowplow"
	vendorEnrichments = "com.snowplowanalytics.snowplow.enrichments"
)

// kindInfo describes one enrichment kind: the schema its config must have
// (vendor, name, format "jsonschema", one of models) and the enriched
// fields it writes.
type kindInfo struct {
	name   string
	vendor string
	models []int
	fields []event.Field
}

// kinds lists the R108 enrichments in the order of EnrichmentManager.
var kinds = []kindInfo{
	{NameIPLookups, vendorSnowplow, []int{2}, []event.Field{
		event.GeoCountry, event.GeoRegion, event.GeoCity, event.GeoZipcode, event.GeoLatitude,
		event.GeoLongitude, event.GeoRegionName, event.GeoTimezone,
		event.IPISP, event.IPOrganization, event.IPDomain, event.IPNetspeed}},
	{NameIAB, vendorEnrichments, []int{1}, []event.Field{event.DerivedContexts}},
	{NameAnonIP, vendorSnowplow, []int{1}, []event.Field{event.UserIPAddress}},
	{NameUserAgentUtils, vendorSnowplow, []int{1}, []event.Field{
		event.BrName, event.BrFamily, event.BrVersion, event.BrType, event.BrRenderengine,
		event.OSName, event.OSFamily, event.OSManufacturer, event.DvceType, event.DvceIsMobile}},
	{NameUAParser, vendorSnowplow, []int{1}, []event.Field{event.DerivedContexts}},
	{NameCurrencyConversion, vendorSnowplow, []int{1}, []event.Field{
		event.BaseCurrency, event.TrTotalBase, event.TrTaxBase, event.TrShippingBase, event.TiPriceBase}},
	{NameRefererParser, vendorSnowplow, []int{1, 2}, []event.Field{event.RefrMedium, event.RefrSource, event.RefrTerm}},
	{NameCampaignAttribution, vendorSnowplow, []int{1}, []event.Field{
		event.MktMedium, event.MktSource, event.MktTerm, event.MktContent, event.MktCampaign,
		event.MktClickID, event.MktNetwork}},
	{NameEventFingerprint, vendorSnowplow, []int{1}, []event.Field{event.EventFingerprint}},
	{NameJavaScript, vendorSnowplow, []int{1}, []event.Field{event.DerivedContexts}},
	{NameCookieExtractor, vendorSnowplow, []int{1}, []event.Field{event.DerivedContexts}},
	{NameHTTPHeaderExtractor, vendorEnrichments, []int{1}, []event.Field{event.DerivedContexts}},
	{NameWeather, vendorEnrichments, []int{1}, []event.Field{event.DerivedContexts}},
	{NameSQLQuery, vendorEnrichments, []int{1}, []event.Field{event.DerivedContexts}},
	{NameAPIRequest, vendorEnrichments, []int{1}, []event.Field{event.DerivedContexts}},
	{NamePII, vendorEnrichments, []int{1, 2}, []event.Field{
		event.UserID, event.UserIPAddress, event.UserFingerprint, event.DomainUserID, event.NetworkUserID,
		event.IPOrganization, event.IPDomain, event.TrOrderID, event.TiOrderID, event.MktTerm,
		event.MktContent, event.SeCategory, event.SeAction, event.SeLabel, event.SeProperty,
		event.MktClickID, event.RefrDomainUserID, event.DomainSessionID,
		event.Contexts, event.DerivedContexts, event.UnstructEvent}},
}

func kindByName(name string) (kindInfo, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k, true
		}
	}
	return kindInfo{}, false
}

// Names returns the names of every enrichment kind R108 knew, in the order
// the enricher runs them.
func Names() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

// FieldsOf returns the enriched fields an enrichment kind may write, in
// field order; nil for an unknown name. Enrichments that add derived
// contexts map to event.DerivedContexts. For pii_enrichment_config this is
// every field the enrichment can pseudonymize; Registry.FieldsOf narrows it
// to the configured ones.
func FieldsOf(name string) []event.Field {
	k, ok := kindByName(name)
	if !ok {
		return nil
	}
	out := slices.Clone(k.fields)
	slices.Sort(out)
	return out
}
