package iglu_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/iglu/iglutest"
)

// The embedded registry holds, written for furrow, the enrichments bundle
// schema, every enrichment config schema (and version) Snowplow R108's
// enrichment parsers accepted or furrow's loader accepts, and the entities
// those enrichments emit, so that enrichments load and their output
// validates with no network.

// sampleSet is, for one schema, data it must accept (good) and
// deliberately broken variants of the first good document it must reject.
type sampleSet struct {
	key    string // vendor/name/format/version
	config bool   // an enrichment config (as opposed to an emitted entity)
	good   []string
	broken []breakage
}

// breakage turns a good document into a bad one: op "del" removes the
// value at ptr (a JSON pointer), op "set" puts val (JSON) there. kind says
// what is wrong with the result: "missing" (a required key is gone), "type"
// (a value has the wrong JSON type), "enum" (a value outside an enum) or
// "other" (a bound, a pattern, a format, an extra key, oneOf/anyOf).
type breakage struct {
	kind, op, ptr, val string
}

func del(kind, ptr string) breakage      { return breakage{kind: kind, op: "del", ptr: ptr} }
func set(kind, ptr, val string) breakage { return breakage{kind: kind, op: "set", ptr: ptr, val: val} }

const (
	vSnowplow    = "com.snowplowanalytics.snowplow"
	vEnrichments = "com.snowplowanalytics.snowplow.enrichments"
)

// cfg builds an enrichment config document around its parameters (JSON).
func cfg(vendor, name, params string) string {
	return fmt.Sprintf(`{"vendor": %q, "name": %q, "enabled": true, "parameters": %s}`, vendor, name, params)
}

const (
	ipLookups200 = `{
		"geo": {"database": "GeoIP2-City.mmdb", "uri": "http://assets.acme.example/maxmind"},
		"isp": {"database": "GeoIP2-ISP.mmdb", "uri": "s3://acme-assets/maxmind"},
		"domain": {"database": "GeoIP2-Domain.mmdb", "uri": "file:///var/lib/maxmind"},
		"connectionType": {"database": "GeoIP2-Connection-Type.mmdb", "uri": "http://assets.acme.example/maxmind/"}}`
	campaign100 = `{"mapping": "static", "fields": {
		"mktMedium": ["utm_medium", "medium"], "mktSource": ["utm_source"], "mktTerm": ["utm_term"],
		"mktContent": [], "mktCampaign": ["utm_campaign", "cid"]}}`
	campaign101 = `{"mapping": "script", "fields": {
		"mktMedium": ["utm_medium"], "mktSource": ["utm_source"], "mktTerm": ["utm_term"],
		"mktContent": ["utm_content"], "mktCampaign": ["utm_campaign"],
		"mktClickId": {"gclid": "Google", "fbclid": "Facebook"}}}`
	iab100 = `{
		"ipFile": {"database": "ip_exclude_current_cidr.txt", "uri": "http://assets.acme.example/iab"},
		"excludeUseragentFile": {"database": "exclude_current.txt", "uri": "http://assets.acme.example/iab"},
		"includeUseragentFile": {"database": "include_current.txt", "uri": "http://assets.acme.example/iab"}}`
	piiItems = `[
		{"pojo": {"field": "user_id"}},
		{"pojo": {"field": "user_ipaddress"}},
		{"json": {"field": "contexts", "schemaCriterion": "iglu:com.acme/user/jsonschema/1-*-*", "jsonPath": "$.email"}}]`
	apiInputs = `[
		{"key": "user", "pojo": {"field": "user_id"}},
		{"key": "client-id", "json": {"field": "contexts", "schemaCriterion": "iglu:com.acme/client/jsonschema/1-0-*", "jsonPath": "$.id"}}]`
	apiRest = `
		"api": {"http": {"method": "GET", "uri": "http://api.acme.example/users/{{user}}?c={{client-id}}", "timeout": 2000,
			"authentication": {"httpBasic": {"username": "enricher", "password": "secret"}}}},
		"outputs": [{"schema": "iglu:com.acme/user_info/jsonschema/1-0-0", "json": {"jsonPath": "$.record"}}]`
	sqlCommon = `
		"inputs": [
			{"placeholder": 1, "pojo": {"field": "user_id"}},
			{"placeholder": 2, "json": {"field": "unstruct_event", "schemaCriterion": "iglu:com.acme/signup/jsonschema/1-*-*", "jsonPath": "$.plan"}}],
		"query": {"sql": "SELECT name, tier FROM customers WHERE id = ? AND plan = ?"},
		"output": {"expectedRows": "AT_MOST_ONE", "json": {"schema": "iglu:com.acme/customer/jsonschema/1-0-0", "propertyNames": "CAMEL_CASE", "describes": "EVERY_ROW"}},
		"cache": {"size": 1000, "ttl": 60}`
	pgConn = `{"postgresql": {"host": "127.0.0.1", "port": 5432, "sslMode": false, "username": "enricher", "password": "", "database": "crm"}}`
	myConn = `{"mysql": {"host": "db.acme.example", "port": 3306, "sslMode": true, "username": "enricher", "password": "pw", "database": "crm"}}`
)

// enrichmentSamples lists every schema furrow embeds for the enrichments,
// with its samples.
var enrichmentSamples = []sampleSet{
	{key: vSnowplow + "/enrichments/jsonschema/1-0-0",
		good: []string{
			`[{"schema": "iglu:com.snowplowanalytics.snowplow/anon_ip/jsonschema/1-0-0", "data": {"vendor": "com.snowplowanalytics.snowplow", "name": "anon_ip", "enabled": true, "parameters": {"anonOctets": 2}}},
			  {"schema": "iglu:com.acme/anything/jsonschema/10-2-33", "data": null}]`,
			`[]`,
		},
		broken: []breakage{
			del("missing", "/0/data"),
			del("missing", "/0/schema"),
			set("type", "/0/schema", `5`),
			set("type", "", `{"schema": "iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0", "data": []}`),
			set("other", "/0/schema", `"iglu:com.snowplowanalytics.snowplow/anon_ip/jsonschema/1-0"`),
			set("other", "/1/extra", `true`),
		}},

	{key: vSnowplow + "/anon_ip/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "anon_ip", `{"anonOctets": 2}`), cfg(vSnowplow, "anon_ip", `{"anonOctets": 4}`)},
		broken: []breakage{
			del("missing", "/parameters/anonOctets"),
			del("missing", "/parameters"),
			set("type", "/parameters/anonOctets", `"2"`),
			set("type", "/enabled", `"true"`),
			set("other", "/parameters/anonOctets", `5`),
			set("other", "/parameters/anonSegments", `2`),
		}},
	{key: vSnowplow + "/anon_ip/jsonschema/1-0-1", config: true,
		good: []string{cfg(vSnowplow, "anon_ip", `{"anonOctets": 1, "anonSegments": 3}`), cfg(vSnowplow, "anon_ip", `{"anonOctets": 3}`)},
		broken: []breakage{
			del("missing", "/parameters/anonOctets"),
			set("type", "/parameters/anonSegments", `2.5`),
			set("type", "/name", `null`),
			set("other", "/parameters/anonSegments", `9`),
			set("other", "/parameters/anonOctets", `0`),
		}},
	{key: vSnowplow + "/ip_lookups/jsonschema/2-0-0", config: true,
		good: []string{cfg(vSnowplow, "ip_lookups", ipLookups200), cfg(vSnowplow, "ip_lookups", `{}`)},
		broken: []breakage{
			del("missing", "/parameters/geo/uri"),
			del("missing", "/vendor"),
			set("type", "/parameters/isp/uri", `7`),
			set("enum", "/parameters/geo/database", `"GeoLiteCity.dat"`),
			set("enum", "/parameters/domain/database", `"GeoIP2-ISP.mmdb"`),
			set("other", "/parameters/asn", `{"database": "GeoLite2-ASN.mmdb", "uri": "http://assets.acme.example"}`),
			set("other", "/name", `"`+strings.Repeat("n", 257)+`"`),
		}},
	{key: vSnowplow + "/ip_lookups/jsonschema/2-0-1", config: true,
		good: []string{cfg(vSnowplow, "ip_lookups", `{"asn": {"database": "GeoLite2-ASN.mmdb", "uri": "http://assets.acme.example/maxmind"}, "geo": {"database": "GeoLite2-City.mmdb", "uri": "http://x.example"}}`)},
		broken: []breakage{
			del("missing", "/parameters/asn/database"),
			del("missing", "/enabled"),
			set("type", "/parameters/asn", `"GeoLite2-ASN.mmdb"`),
			set("enum", "/parameters/asn/database", `"GeoIP2-ASN.mmdb"`),
			set("other", "/parameters/netspeed", `{}`),
		}},
	{key: vSnowplow + "/user_agent_utils_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "user_agent_utils_config", `{}`), `{"vendor": "com.snowplowanalytics.snowplow", "name": "user_agent_utils_config", "enabled": false}`},
		broken: []breakage{
			del("missing", "/enabled"),
			set("type", "/parameters", `[]`),
			set("other", "/parameters/database", `"x"`),
			set("other", "/extra", `1`),
		}},
	{key: vSnowplow + "/ua_parser_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "ua_parser_config", `{}`)},
		broken: []breakage{
			del("missing", "/name"),
			set("type", "/enabled", `1`),
			set("other", "/parameters/uri", `"http://x.example"`),
		}},
	{key: vSnowplow + "/ua_parser_config/jsonschema/1-0-1", config: true,
		good: []string{
			cfg(vSnowplow, "ua_parser_config", `{"database": "regexes.yaml", "uri": "http://assets.acme.example/ua-parser"}`),
			cfg(vSnowplow, "ua_parser_config", `{}`),
		},
		broken: []breakage{
			del("missing", "/vendor"),
			set("type", "/parameters/uri", `1`),
			set("type", "/parameters/database", `["regexes.yaml"]`),
			set("other", "/parameters/regexes", `"x"`),
		}},
	{key: vSnowplow + "/referer_parser/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "referer_parser", `{"internalDomains": ["www.acme.example", "shop.acme.example"]}`), cfg(vSnowplow, "referer_parser", `{"internalDomains": []}`)},
		broken: []breakage{
			del("missing", "/parameters/internalDomains"),
			set("type", "/parameters/internalDomains", `"www.acme.example"`),
			set("type", "/parameters/internalDomains/0", `1`),
			set("other", "/parameters/database", `"referers.json"`),
		}},
	{key: vSnowplow + "/referer_parser/jsonschema/2-0-0", config: true,
		good: []string{cfg(vSnowplow, "referer_parser", `{"internalDomains": ["www.acme.example"], "database": "referers-latest.json", "uri": "http://assets.acme.example/referer-parser/"}`)},
		broken: []breakage{
			del("missing", "/parameters/database"),
			del("missing", "/parameters/uri"),
			set("type", "/parameters/database", `false`),
			set("other", "/parameters/referrers", `{}`),
		}},
	{key: vSnowplow + "/referer_parser/jsonschema/2-0-1", config: true,
		good: []string{cfg(vSnowplow, "referer_parser", `{"internalDomains": [], "database": "referers-latest.json", "uri": "http://assets.acme.example/rp",
			"referrers": {"search": {"Acme Search": {"domains": ["search.acme.example"], "parameters": ["q", "query"]}}, "social": {"Acme Friends": {"domains": ["friends.acme.example"]}}}}`)},
		broken: []breakage{
			del("missing", "/parameters/referrers/search/Acme Search/domains"),
			set("type", "/parameters/referrers/search", `"Acme Search"`),
			set("type", "/parameters/referrers/search/Acme Search/parameters", `"q"`),
			set("other", "/parameters/referrers/search/Acme Search/domains", `[]`),
			set("other", "/parameters/referrers/search/Acme Search/medium", `"search"`),
		}},
	{key: vSnowplow + "/campaign_attribution/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "campaign_attribution", campaign100)},
		broken: []breakage{
			del("missing", "/parameters/fields/mktTerm"),
			del("missing", "/parameters/fields"),
			set("type", "/parameters/fields/mktSource", `"utm_source"`),
			set("type", "/parameters/fields/mktMedium/1", `{}`),
			set("enum", "/parameters/mapping", `"dynamic"`),
			set("other", "/parameters/fields/mktClickId", `{"gclid": "Google"}`),
		}},
	{key: vSnowplow + "/campaign_attribution/jsonschema/1-0-1", config: true,
		good: []string{cfg(vSnowplow, "campaign_attribution", campaign101), cfg(vSnowplow, "campaign_attribution", `{"fields": {"mktMedium": [], "mktSource": [], "mktTerm": [], "mktContent": [], "mktCampaign": []}}`)},
		broken: []breakage{
			del("missing", "/parameters/fields/mktCampaign"),
			set("type", "/parameters/fields/mktClickId/gclid", `1`),
			set("type", "/parameters/mapping", `7`),
			set("enum", "/parameters/mapping", `"STATIC"`),
			set("enum", "/parameters/mapping", `null`), // type allows null, the enum does not
			set("other", "/parameters/fields/mktNetwork", `[]`),
		}},
	{key: vSnowplow + "/event_fingerprint_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "event_fingerprint_config", `{"hashAlgorithm": "MD5", "excludeParameters": ["cv", "nuid", "eid", "stm"]}`)},
		broken: []breakage{
			del("missing", "/parameters/excludeParameters"),
			del("missing", "/parameters/hashAlgorithm"),
			set("type", "/parameters/excludeParameters", `"eid"`),
			set("enum", "/parameters/hashAlgorithm", `"SHA1"`),
			set("enum", "/parameters/hashAlgorithm", `"md5"`),
		}},
	{key: vSnowplow + "/event_fingerprint_config/jsonschema/1-0-1", config: true,
		good: []string{
			cfg(vSnowplow, "event_fingerprint_config", `{"hashAlgorithm": "SHA512", "excludeParameters": ["eid"]}`),
			cfg(vSnowplow, "event_fingerprint_config", `{"hashAlgorithm": "SHA256", "excludeParameters": []}`),
		},
		broken: []breakage{
			del("missing", "/parameters/hashAlgorithm"),
			set("type", "/parameters/excludeParameters/0", `1`),
			set("enum", "/parameters/hashAlgorithm", `"SHA-256"`),
			set("other", "/parameters/salt", `"x"`),
		}},
	{key: vSnowplow + "/cookie_extractor_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "cookie_extractor_config", `{"cookies": ["sp", "_ga"]}`)},
		broken: []breakage{
			del("missing", "/parameters/cookies"),
			set("type", "/parameters/cookies", `"sp"`),
			set("other", "/parameters/headers", `[]`),
		}},
	{key: vSnowplow + "/currency_conversion_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "currency_conversion_config", `{"apiKey": "oer-key", "baseCurrency": "EUR", "rateAt": "EOD_PRIOR", "accountType": "DEVELOPER"}`)},
		broken: []breakage{
			del("missing", "/parameters/apiKey"),
			del("missing", "/parameters/rateAt"),
			set("type", "/parameters/baseCurrency", `978`),
			set("enum", "/parameters/accountType", `"FREE"`),
			set("enum", "/parameters/rateAt", `"EOD"`),
		}},
	{key: vSnowplow + "/javascript_script_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vSnowplow, "javascript_script_config", `{"script": "ZnVuY3Rpb24gcHJvY2VzcyhldmVudCkgeyByZXR1cm4gW107IH0"}`)},
		broken: []breakage{
			del("missing", "/parameters/script"),
			set("type", "/parameters/script", `1`),
			set("other", "/parameters/config", `{}`),
		}},
	{key: vSnowplow + "/javascript_script_config/jsonschema/1-0-1", config: true,
		good: []string{cfg(vSnowplow, "javascript_script_config", `{"script": "ZnVuY3Rpb24gcHJvY2VzcyhldmVudCkgeyByZXR1cm4gW107IH0=", "config": {"prefix": "acme", "n": 1}}`)},
		broken: []breakage{
			del("missing", "/parameters/script"),
			set("type", "/parameters/config", `"prefix"`),
			set("other", "/parameters/parameters", `{}`),
		}},
	{key: vEnrichments + "/http_header_extractor_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vEnrichments, "http_header_extractor_config", `{"headersPattern": "X-Acme-.*|Accept-Language"}`)},
		broken: []breakage{
			del("missing", "/parameters/headersPattern"),
			set("type", "/parameters/headersPattern", `[".*"]`),
			set("other", "/parameters/cookies", `[]`),
		}},
	{key: vEnrichments + "/iab_spiders_and_robots_enrichment/jsonschema/1-0-0", config: true,
		good: []string{cfg(vEnrichments, "iab_spiders_and_robots_enrichment", iab100)},
		broken: []breakage{
			del("missing", "/parameters/includeUseragentFile"),
			del("missing", "/parameters/ipFile/uri"),
			set("type", "/parameters/ipFile/uri", `{}`),
			set("enum", "/parameters/ipFile/database", `"ip_exclude.txt"`),
			set("enum", "/parameters/excludeUseragentFile/database", `"include_current.txt"`),
			set("other", "/parameters/excludeUseragents", `["bot"]`),
		}},
	{key: vEnrichments + "/iab_spiders_and_robots_enrichment/jsonschema/1-0-1", config: true,
		good: []string{cfg(vEnrichments, "iab_spiders_and_robots_enrichment", strings.TrimSuffix(iab100, "}")+`, "includeUseragents": ["AcmeBrowser"], "excludeUseragents": ["acme-crawler", "monitor"]}`)},
		broken: []breakage{
			del("missing", "/parameters/excludeUseragentFile"),
			set("type", "/parameters/includeUseragents", `"AcmeBrowser"`),
			set("type", "/parameters/excludeUseragents/1", `false`),
			set("enum", "/parameters/includeUseragentFile/database", `"include.txt"`),
		}},
	{key: vEnrichments + "/weather_enrichment_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vEnrichments, "weather_enrichment_config", `{"apiKey": "owm-key", "cacheSize": 5100, "geoPrecision": 1, "apiHost": "history.openweathermap.org", "timeout": 5}`)},
		broken: []breakage{
			del("missing", "/parameters/apiHost"),
			del("missing", "/parameters/timeout"),
			set("type", "/parameters/timeout", `"5"`),
			set("type", "/parameters/cacheSize", `5100.5`),
			set("other", "/parameters/geoPrecision", `11`),
			set("other", "/parameters/cacheSize", `0`),
		}},
	{key: vEnrichments + "/pii_enrichment_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vEnrichments, "pii_enrichment_config", `{"pii": `+piiItems+`, "strategy": {"pseudonymize": {"hashFunction": "SHA-256"}}}`)},
		broken: []breakage{
			del("missing", "/parameters/strategy"),
			del("missing", "/parameters/pii/2/json/jsonPath"),
			set("type", "/parameters/pii", `{"pojo": {"field": "user_id"}}`),
			set("enum", "/parameters/pii/0/pojo/field", `"user_name"`),
			set("enum", "/parameters/strategy/pseudonymize/hashFunction", `"SHA-2"`),
			set("other", "/parameters/pii/1/json", `{"field": "contexts", "schemaCriterion": "iglu:com.acme/user/jsonschema/1-*-*", "jsonPath": "$.id"}`),
			set("other", "/parameters/pii/2/json/jsonPath", `"email"`),
			set("other", "/emitEvent", `true`),
		}},
	{key: vEnrichments + "/pii_enrichment_config/jsonschema/2-0-0", config: true,
		good: []string{
			`{"vendor": "com.snowplowanalytics.snowplow.enrichments", "name": "pii_enrichment_config", "enabled": true, "emitEvent": false,
			  "parameters": {"pii": ` + piiItems + `, "strategy": {"pseudonymize": {"hashFunction": "SHA-1", "salt": "pepper"}}}}`,
		},
		broken: []breakage{
			del("missing", "/emitEvent"),
			del("missing", "/parameters/strategy/pseudonymize/salt"),
			set("type", "/emitEvent", `"false"`),
			set("enum", "/parameters/pii/2/json/field", `"unstruct"`),
			set("enum", "/parameters/strategy/pseudonymize/hashFunction", `"SHA256"`),
			set("other", "/parameters/pii/2/json/schemaCriterion", `"iglu:com.acme/user/jsonschema/1-0"`),
			set("other", "/anonymousOnly", `true`),
		}},
	{key: vEnrichments + "/pii_enrichment_config/jsonschema/2-0-1", config: true,
		good: []string{
			`{"vendor": "com.snowplowanalytics.snowplow.enrichments", "name": "pii_enrichment_config", "enabled": true, "emitEvent": true, "anonymousOnly": true,
			  "parameters": {"pii": [{"json": {"field": "derived_contexts", "schemaCriterion": "iglu:com.acme/user/jsonschema/*-*-*", "jsonPath": "$..email"}}],
			  "strategy": {"pseudonymize": {"hashFunction": "MD2", "salt": ""}}}}`,
		},
		broken: []breakage{
			del("missing", "/parameters/pii"),
			set("type", "/anonymousOnly", `"yes"`),
			set("enum", "/parameters/pii/0/json/field", `"atomic"`),
			set("other", "/parameters/pii/0", `{}`),
		}},
	{key: vEnrichments + "/api_request_enrichment_config/jsonschema/1-0-0", config: true,
		good: []string{cfg(vEnrichments, "api_request_enrichment_config", `{"inputs": `+apiInputs+`,`+apiRest+`, "cache": {"size": 3000, "ttl": 60}}`)},
		broken: []breakage{
			del("missing", "/parameters/cache"),
			del("missing", "/parameters/api/http/authentication"),
			del("missing", "/parameters/outputs/0/json/jsonPath"),
			set("type", "/parameters/api/http/timeout", `"2000"`),
			set("enum", "/parameters/api/http/method", `"PATCH"`),
			set("enum", "/parameters/inputs/1/json/field", `"atomic"`),
			set("other", "/parameters/cache/size", `0`),
			set("other", "/parameters/inputs/0/key", `"user id"`),
			set("other", "/parameters/outputs", `[]`),
			set("other", "/parameters/inputs/0/json", `{"field": "contexts"}`),
			set("other", "/parameters/api/http/timeout", `60001`),
		}},
	{key: vEnrichments + "/api_request_enrichment_config/jsonschema/1-0-1", config: true,
		good: []string{cfg(vEnrichments, "api_request_enrichment_config", `{"inputs": `+apiInputs+`,`+apiRest+`, "cache": {"size": 0, "ttl": 0}}`)},
		broken: []breakage{
			del("missing", "/parameters/api/http/uri"),
			set("type", "/parameters/cache/ttl", `1.5`),
			set("enum", "/parameters/api/http/method", `"get"`),
			set("other", "/parameters/cache/ttl", `86401`),
			set("other", "/parameters/ignoreOnError", `true`),
		}},
	{key: vEnrichments + "/api_request_enrichment_config/jsonschema/1-0-2", config: true,
		good: []string{
			cfg(vEnrichments, "api_request_enrichment_config", `{"inputs": `+apiInputs+`,`+apiRest+`, "cache": {"size": 10, "ttl": 5}, "ignoreOnError": true}`),
			cfg(vEnrichments, "api_request_enrichment_config", `{"inputs": [],`+apiRest+`, "cache": {"size": 10, "ttl": 5}, "ignoreOnError": null}`),
		},
		broken: []breakage{
			del("missing", "/parameters/outputs/0/schema"),
			set("type", "/parameters/ignoreOnError", `"no"`),
			set("enum", "/parameters/api/http/method", `"DELETE"`),
			set("other", "/parameters/outputs/0/schema", `"iglu:com.acme/user_info/jsonschema/1-0-*"`),
			set("other", "/parameters/api", `{}`),
		}},
	{key: vEnrichments + "/sql_query_enrichment_config/jsonschema/1-0-0", config: true,
		good: []string{
			cfg(vEnrichments, "sql_query_enrichment_config", `{"database": `+pgConn+`,`+sqlCommon+`}`),
			cfg(vEnrichments, "sql_query_enrichment_config", `{"database": `+myConn+`,`+sqlCommon+`}`),
		},
		broken: []breakage{
			del("missing", "/parameters/query"),
			del("missing", "/parameters/database/postgresql/sslMode"),
			del("missing", "/parameters/output/json/describes"),
			set("type", "/parameters/database/postgresql/port", `"5432"`),
			set("enum", "/parameters/output/expectedRows", `"SOME"`),
			set("enum", "/parameters/output/json/propertyNames", `"KEBAB_CASE"`),
			set("other", "/parameters/inputs/0/placeholder", `0`),
			set("other", "/parameters/database/postgresql/port", `70000`),
			set("other", "/parameters/database/postgresql/username", `""`),
			set("other", "/parameters/database", `{"oracle": {"host": "x"}}`),
		}},
	{key: vEnrichments + "/sql_query_enrichment_config/jsonschema/1-0-1", config: true,
		good: []string{
			cfg(vEnrichments, "sql_query_enrichment_config", `{"database": `+myConn+`,`+sqlCommon+`, "ignoreOnError": false}`),
		},
		broken: []breakage{
			del("missing", "/parameters/database/mysql/database"),
			set("type", "/parameters/ignoreOnError", `1`),
			set("enum", "/parameters/output/json/describes", `"EACH_ROW"`),
			set("other", "/parameters/inputs/1/placeholder", `65`),
		}},

	// Entities the enrichments emit.
	{key: vSnowplow + "/ua_parser_context/jsonschema/1-0-0",
		good: []string{
			`{"useragentFamily": "Firefox", "useragentMajor": "62", "useragentMinor": "0", "useragentPatch": null, "useragentVersion": "Firefox 62.0",
			  "osFamily": "Mac OS X", "osMajor": "10", "osMinor": "13", "osPatch": null, "osPatchMinor": null, "osVersion": "Mac OS X 10.13", "deviceFamily": "Other"}`,
			`{"useragentFamily": "Other", "useragentMajor": null, "useragentMinor": null, "osFamily": "Other", "deviceFamily": "Other"}`,
		},
		broken: []breakage{
			del("missing", "/useragentMinor"),
			set("type", "/useragentMajor", `62`),
			set("type", "/osVersion", `null`),
			set("other", "/browserFamily", `"Firefox"`),
		}},
	{key: "com.iab.snowplow/spiders_and_robots/jsonschema/1-0-0",
		good: []string{
			`{"spiderOrRobot": false, "category": "BROWSER", "reason": "PASSED_ALL", "primaryImpact": "NONE"}`,
			`{"spiderOrRobot": true, "category": "ACTIVE_SPIDER_OR_ROBOT", "reason": "FAILED_UA_EXCLUDE", "primaryImpact": "PAGE_AND_AD_IMPRESSIONS"}`,
		},
		broken: []breakage{
			del("missing", "/reason"),
			set("type", "/spiderOrRobot", `"false"`),
			set("enum", "/category", `"ROBOT"`),
			set("enum", "/primaryImpact", `"ALL"`),
		}},
	{key: "org.ietf/http_cookie/jsonschema/1-0-0",
		good: []string{`{"name": "sp", "value": "c0ffee"}`, `{"name": "empty", "value": null}`},
		broken: []breakage{
			del("missing", "/value"),
			set("type", "/name", `1`),
			set("other", "/value", `"`+strings.Repeat("v", 4097)+`"`),
			set("other", "/domain", `"acme.example"`),
		}},
	{key: "org.ietf/http_header/jsonschema/1-0-0",
		good: []string{`{"name": "Accept-Language", "value": "en-GB,en;q=0.9"}`},
		broken: []breakage{
			del("missing", "/name"),
			set("type", "/value", `null`),
			set("other", "/name", `"`+strings.Repeat("h", 4097)+`"`),
		}},
	{key: "org.openweathermap/weather/jsonschema/1-0-0",
		good: []string{
			`{"dt": "2018-07-02T10:00:00.000Z", "main": {"temp": 293.15, "temp_min": 291, "temp_max": 295.5, "pressure": 1016, "humidity": 64, "sea_level": 1020.1, "grnd_level": 1010},
			  "wind": {"speed": 2.1, "deg": 250, "gust": 4, "var_beg": 200, "var_end": 280}, "clouds": {"all": 40}, "rain": {"1h": 0.3}, "snow": {"3h": 0},
			  "weather": [{"main": "Clouds", "description": "scattered clouds", "id": 802, "icon": "03d"}]}`,
			`{"dt": "2018-07-02T10:00:00Z", "main": {"temp": 280, "temp_min": 279, "temp_max": 281, "pressure": 990, "humidity": 90}, "clouds": {"all": 100}}`,
		},
		broken: []breakage{
			del("missing", "/clouds"),
			del("missing", "/wind/deg"),
			del("missing", "/weather/0/description"),
			set("type", "/clouds/all", `40.5`),
			set("type", "/main/temp", `"293"`),
			set("other", "/main/temp", `-1`),
			set("other", "/weather/0/icon", `"3d"`),
			set("other", "/dt", `"yesterday"`),
			set("other", "/rain/6h", `1`),
		}},
	{key: vSnowplow + "/pii_transformation/jsonschema/1-0-0",
		good: []string{
			`{"pii": {"pojo": [{"fieldName": "user_id", "originalValue": "alice", "modifiedValue": "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90"}],
			  "json": [{"fieldMapping": {"fieldName": "contexts", "jsonPath": "$.email", "originalValue": "a@acme.example", "modifiedValue": "f00d", "schema": "iglu:com.acme/user/jsonschema/1-*-*"}}]},
			  "strategy": {"pseudonymize": {"hashFunction": "SHA-256"}}}`,
		},
		broken: []breakage{
			del("missing", "/strategy"),
			del("missing", "/pii/pojo/0/originalValue"),
			set("type", "/pii/pojo", `{}`),
			set("enum", "/pii/pojo/0/fieldName", `"user_name"`),
			set("enum", "/pii/json/0/fieldMapping/fieldName", `"atomic"`),
			set("other", "/pii", `{}`),
			set("other", "/pii/pojo/0/modifiedValue", `"`+strings.Repeat("a", 129)+`"`),
		}},
	{key: vSnowplow + "/parent_event/jsonschema/1-0-0",
		good: []string{`{"parentEventId": "6f4d3c2a-9a4b-4c47-8e0d-2b5f1a7c9e10"}`},
		broken: []breakage{
			del("missing", "/parentEventId"),
			set("type", "/parentEventId", `5`),
			set("other", "/parentEventId", `"not-a-uuid"`),
		}},
}

const embeddedRepo = "Iglu Client Embedded"

// offlineResolver is a resolver with no repositories: only the built-in
// embedded registry.
func offlineResolver(t testing.TB) *iglu.Resolver {
	return newResolver(t, iglu.Config{CacheSize: 500}, iglu.Options{})
}

// TestEmbeddedEnrichmentSchemasOffline validates hand-written good and
// broken enrichment configs and emitted entities against the embedded
// schemas through a resolver with no repositories configured.
func TestEmbeddedEnrichmentSchemasOffline(t *testing.T) {
	r := offlineResolver(t)
	for _, s := range enrichmentSamples {
		t.Run(s.key, func(t *testing.T) {
			k := key(t, "iglu:"+s.key)
			sch, err := r.Lookup(testCtx(t), k)
			if err != nil {
				t.Fatalf("offline lookup: %v", err)
			}
			if sch.Repository != embeddedRepo {
				t.Fatalf("served by %q, want %q", sch.Repository, embeddedRepo)
			}
			checkCoverage(t, s, sch.Raw)
			for i, g := range s.good {
				if err := r.Validate(testCtx(t), k, json.RawMessage(g)); err != nil {
					t.Errorf("good[%d] rejected: %v", i, err)
				}
			}
			for _, b := range s.broken {
				doc := breakDoc(t, s.good[0], b)
				checkRejected(t, b, r.Validate(testCtx(t), k, doc))
			}
		})
	}

	// The whole bundle of good configs, as LoadBundle sees it.
	var items []string
	for _, s := range enrichmentSamples {
		if s.config {
			items = append(items, fmt.Sprintf(`{"schema": "iglu:%s", "data": %s}`, s.key, s.good[0]))
		}
	}
	bundle := `{"schema": "iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0", "data": [` + strings.Join(items, ",") + `]}`
	if err := r.ValidateSelfDescribing(testCtx(t), selfDescribing(t, []byte(bundle))); err != nil {
		t.Errorf("bundle of good configs: %v", err)
	}
	var doc struct{ Data []json.RawMessage }
	if err := json.Unmarshal([]byte(bundle), &doc); err != nil {
		t.Fatal(err)
	}
	for i, item := range doc.Data {
		if err := r.ValidateSelfDescribing(testCtx(t), selfDescribing(t, item)); err != nil {
			t.Errorf("bundle item %d: %v", i, err)
		}
	}

	// A bundle with one bad config: the bundle schema does not look inside
	// data, the config's own schema does.
	bad := strings.Replace(bundle, `"anonOctets": 2`, `"anonOctets": "2"`, 1)
	if err := r.ValidateSelfDescribing(testCtx(t), selfDescribing(t, []byte(bad))); err != nil {
		t.Errorf("bundle schema looked into data: %v", err)
	}
	if err := json.Unmarshal([]byte(bad), &doc); err != nil {
		t.Fatal(err)
	}
	err := r.ValidateSelfDescribing(testCtx(t), selfDescribing(t, doc.Data[0]))
	if !errors.Is(err, iglu.ErrInvalidData) || !strings.Contains(err.Error(), "/parameters/anonOctets") {
		t.Errorf("bad anon_ip config in a bundle: got %v", err)
	}

	// An unknown key is still not found offline: the registry holds only
	// what it lists.
	if _, err := r.Lookup(testCtx(t), key(t, "iglu:com.snowplowanalytics.snowplow/ip_lookups/jsonschema/1-0-0")); err == nil {
		t.Error("ip_lookups 1-0-0 (not accepted by R108) resolved offline")
	}
}

func selfDescribing(t testing.TB, b []byte) event.SelfDescribing {
	t.Helper()
	var sd event.SelfDescribing
	if err := json.Unmarshal(b, &sd); err != nil {
		t.Fatalf("%.80s: %v", b, err)
	}
	return sd
}

// TestEmbeddedEnrichmentSchemasMatchCentral checks every embedded
// enrichment schema against Iglu Central's copy of the same key (the shared
// checkout, served over HTTP on 127.0.0.1): the same property names, types,
// required lists, enums and other validation keywords at every level; both
// accept every enrichment config of the peer conformance fixtures (each
// config and each whole enrichments document) and the good samples; both
// reject every broken sample.
func TestEmbeddedEnrichmentSchemasMatchCentral(t *testing.T) {
	centralDir := iglutest.CentralDir(t)
	confDir := filepath.Join(filepath.Dir(centralDir), "conformance", "enrich")
	confFiles, _ := filepath.Glob(filepath.Join(confDir, "*.json"))
	if len(confFiles) == 0 {
		t.Skipf("peer conformance fixtures not available: no %s/*.json (expected the shared checkout next to the repository)", confDir)
	}
	const centralName = "Iglu Central (shared checkout)"
	central := newResolver(t, iglu.Config{CacheSize: 500, Repositories: []iglu.Repository{{
		Name: centralName, HTTPURI: iglutest.Serve(t, centralDir),
		// Prefix-matched registries are searched before the embedded one.
		VendorPrefixes: []string{"com", "org"},
	}}}, iglu.Options{})
	embedded := offlineResolver(t)

	both := []struct {
		name string
		r    *iglu.Resolver
		repo string
	}{{"embedded", embedded, embeddedRepo}, {"Iglu Central", central, centralName}}

	ours := map[string]bool{}
	for _, s := range enrichmentSamples {
		ours[s.key] = true
		t.Run(s.key, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(centralDir, "schemas", filepath.FromSlash(s.key))); err != nil {
				t.Fatalf("Iglu Central has no schema with this key: %v", err)
			}
			k := key(t, "iglu:"+s.key)
			raws := map[string][]byte{}
			for _, b := range both {
				sch, err := b.r.Lookup(testCtx(t), k)
				if err != nil {
					t.Fatalf("%s: %v", b.name, err)
				}
				if sch.Repository != b.repo {
					t.Fatalf("%s: served by %q, want %q", b.name, sch.Repository, b.repo)
				}
				raws[b.name] = sch.Raw
			}
			for _, d := range diffSkeletons(skeleton(t, raws["embedded"]), skeleton(t, raws["Iglu Central"])) {
				t.Errorf("structure differs from Iglu Central: %s", d)
			}
			for _, b := range both {
				for i, g := range s.good {
					if err := b.r.Validate(testCtx(t), k, json.RawMessage(g)); err != nil {
						t.Errorf("%s: good[%d] rejected: %v", b.name, i, err)
					}
				}
				for _, br := range s.broken {
					checkRejected(t, br, b.r.Validate(testCtx(t), k, breakDoc(t, s.good[0], br)))
				}
			}
		})
	}

	// The enrichment configs of the peer's conformance fixtures.
	configs := 0
	for _, f := range confFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct{ Enrichments json.RawMessage }
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(fx.Enrichments) == 0 || string(fx.Enrichments) == "null" {
			continue
		}
		var doc struct {
			Schema string
			Data   []json.RawMessage
		}
		if err := json.Unmarshal(fx.Enrichments, &doc); err != nil {
			t.Fatalf("%s: enrichments: %v", f, err)
		}
		if !ours[strings.TrimPrefix(doc.Schema, "iglu:")] {
			t.Errorf("%s: enrichments document schema %s is not embedded", filepath.Base(f), doc.Schema)
			continue
		}
		for _, b := range both {
			if err := b.r.ValidateSelfDescribing(testCtx(t), selfDescribing(t, fx.Enrichments)); err != nil {
				t.Errorf("%s: %s rejects the enrichments document: %v", filepath.Base(f), b.name, err)
			}
		}
		for i, item := range doc.Data {
			sd := selfDescribing(t, item)
			if !ours[strings.TrimPrefix(sd.Schema.String(), "iglu:")] {
				t.Errorf("%s: enrichments[%d]: schema %s is not embedded", filepath.Base(f), i, sd.Schema)
				continue
			}
			configs++
			for _, b := range both {
				if err := b.r.ValidateSelfDescribing(testCtx(t), sd); err != nil {
					t.Errorf("%s: enrichments[%d]: %s rejects it: %v", filepath.Base(f), i, b.name, err)
				}
			}
		}
	}
	if configs == 0 {
		t.Fatalf("no enrichment configs found in %s", confDir)
	}
	t.Logf("%d conformance enrichment configs from %d fixtures accepted by both", configs, len(confFiles))
}

// TestEmbeddedEnrichmentSchemasListed makes sure no embedded version of an
// enrichment schema goes untested: every version in the embedded registry
// of a vendor/name listed in enrichmentSamples is listed itself.
func TestEmbeddedEnrichmentSchemasListed(t *testing.T) {
	listed := map[string]bool{}
	names := map[string]bool{}
	for _, s := range enrichmentSamples {
		if listed[s.key] {
			t.Errorf("%s listed twice", s.key)
		}
		listed[s.key] = true
		names[path.Dir(path.Dir(s.key))] = true
	}
	files, err := fs.Glob(iglu.BuiltinFS(), "iglu-client-embedded/schemas/*/*/jsonschema/*")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		k := strings.TrimPrefix(f, "iglu-client-embedded/schemas/")
		if !names[path.Dir(path.Dir(k))] {
			continue
		}
		seen++
		if !listed[k] {
			t.Errorf("embedded schema %s has no samples in enrichmentSamples", k)
		}
	}
	if seen != len(listed) {
		t.Errorf("%d embedded enrichment schemas, %d listed", seen, len(listed))
	}
}

// checkCoverage requires a good sample and broken samples of the kinds the
// schema allows: a missing required key and a wrong type always, a wrong
// enum value when the schema has an enum.
func checkCoverage(t *testing.T, s sampleSet, raw []byte) {
	t.Helper()
	if len(s.good) == 0 {
		t.Fatal("no good sample")
	}
	kinds := map[string]bool{}
	for _, b := range s.broken {
		kinds[b.kind] = true
	}
	need := []string{"missing", "type"}
	for p := range skeleton(t, raw) {
		if strings.HasSuffix(p, "/enum") {
			need = append(need, "enum")
			break
		}
	}
	for _, k := range need {
		if !kinds[k] {
			t.Errorf("no broken sample of kind %q", k)
		}
	}
}

// checkRejected requires a validation error with a problem at the broken
// value or one of its ancestors.
func checkRejected(t *testing.T, b breakage, err error) {
	t.Helper()
	var ve *iglu.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, iglu.ErrInvalidData) {
		t.Errorf("broken (%s %s %s %.60s) accepted or not a validation error: %v", b.kind, b.op, b.ptr, b.val, err)
		return
	}
	for _, p := range ve.Problems {
		if p.Path == b.ptr || strings.HasPrefix(b.ptr, p.Path+"/") || p.Path == "" {
			return
		}
	}
	t.Errorf("broken (%s %s %s): no problem at %s or above: %v", b.kind, b.op, b.ptr, b.ptr, err)
}

// breakDoc applies b to the JSON document good.
func breakDoc(t testing.TB, good string, b breakage) json.RawMessage {
	t.Helper()
	doc := decodeNumber(t, []byte(good))
	var val any
	if b.op == "set" {
		val = decodeNumber(t, []byte(b.val))
	}
	if b.ptr == "" {
		if b.op != "set" {
			t.Fatalf("cannot delete the document")
		}
		doc = val
	} else {
		toks := strings.Split(b.ptr[1:], "/")
		parent := doc
		for _, tok := range toks[:len(toks)-1] {
			parent = child(t, parent, tok, b.ptr)
		}
		last := toks[len(toks)-1]
		switch p := parent.(type) {
		case map[string]any:
			if b.op == "del" {
				if _, ok := p[last]; !ok {
					t.Fatalf("breakage %s: nothing to delete", b.ptr)
				}
				delete(p, last)
			} else {
				p[last] = val
			}
		case []any:
			i, err := strconv.Atoi(last)
			if err != nil || i < 0 || i >= len(p) || b.op != "set" {
				t.Fatalf("breakage %s: bad array index or op", b.ptr)
			}
			p[i] = val
		default:
			t.Fatalf("breakage %s: parent is not a container", b.ptr)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func child(t testing.TB, v any, tok, ptr string) any {
	t.Helper()
	switch c := v.(type) {
	case map[string]any:
		if x, ok := c[tok]; ok {
			return x
		}
	case []any:
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(c) {
			return c[i]
		}
	}
	t.Fatalf("breakage %s: no %q in the good document", ptr, tok)
	return nil
}

func decodeNumber(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("sample %.80s: %v", b, err)
	}
	return v
}

// skeleton flattens a JSON Schema into path → canonical value of every
// validation keyword, following local "#/definitions/…" references so that
// a schema written with or without definitions compares equal. Annotations
// (description, title, self, $schema) are left out; type, required and enum
// compare as sets; property names are listed at each properties keyword.
func skeleton(t testing.TB, raw []byte) map[string]string {
	t.Helper()
	root := decodeNumber(t, raw)
	out := map[string]string{}
	var walk func(node any, at string, depth int)
	walk = func(node any, at string, depth int) {
		if depth > 16 {
			t.Fatalf("%s: $ref chain too deep", at)
		}
		m, ok := node.(map[string]any)
		if !ok {
			out[at] = "non-object schema " + canonical(t, node)
			return
		}
		if ref, ok := m["$ref"].(string); ok {
			walk(localRef(t, root, ref), at, depth+1) // draft-04 ignores a $ref's siblings
			return
		}
		out[at] = "schema"
		for kw, v := range m {
			switch kw {
			case "$schema", "self", "description", "title", "definitions":
			case "properties", "patternProperties":
				props, ok := v.(map[string]any)
				if !ok {
					t.Fatalf("%s/%s is not an object", at, kw)
				}
				out[at+"/"+kw] = strings.Join(slices.Sorted(mapKeys(props)), ",")
				for name, sub := range props {
					walk(sub, at+"/"+kw+"/"+name, depth)
				}
			case "items", "additionalProperties", "additionalItems", "not":
				switch sub := v.(type) {
				case map[string]any:
					walk(sub, at+"/"+kw, depth)
				case []any:
					out[at+"/"+kw] = "tuple of " + strconv.Itoa(len(sub))
					for i, s := range sub {
						walk(s, at+"/"+kw+"/"+strconv.Itoa(i), depth)
					}
				default:
					out[at+"/"+kw] = canonical(t, v)
				}
			case "oneOf", "anyOf", "allOf":
				subs, _ := v.([]any)
				out[at+"/"+kw] = strconv.Itoa(len(subs)) + " subschemas"
				for i, s := range subs {
					walk(s, at+"/"+kw+"/"+strconv.Itoa(i), depth)
				}
			case "type", "required", "enum":
				out[at+"/"+kw] = canonicalSet(t, v)
			default:
				out[at+"/"+kw] = canonical(t, v)
			}
		}
	}
	walk(root, "", 0)
	return out
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func localRef(t testing.TB, root any, ref string) any {
	t.Helper()
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		t.Fatalf("$ref %s: only local references are compared", ref)
	}
	node := root
	for _, tok := range strings.Split(p, "/") {
		m, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("$ref %s does not resolve", ref)
		}
		if node, ok = m[tok]; !ok {
			t.Fatalf("$ref %s does not resolve", ref)
		}
	}
	return node
}

func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func canonicalSet(t testing.TB, v any) string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	items := make([]string, len(list))
	for i, x := range list {
		items[i] = canonical(t, x)
	}
	sort.Strings(items)
	return "{" + strings.Join(items, ",") + "}"
}

// diffSkeletons lists, sorted, every path whose value differs.
func diffSkeletons(ours, theirs map[string]string) []string {
	var out []string
	for p, v := range ours {
		if w, ok := theirs[p]; !ok {
			out = append(out, fmt.Sprintf("%s: ours %s, Iglu Central has nothing", p, v))
		} else if v != w {
			out = append(out, fmt.Sprintf("%s: ours %s, Iglu Central %s", p, v, w))
		}
	}
	for p, w := range theirs {
		if _, ok := ours[p]; !ok {
			out = append(out, fmt.Sprintf("%s: ours has nothing, Iglu Central %s", p, w))
		}
	}
	sort.Strings(out)
	return out
}
