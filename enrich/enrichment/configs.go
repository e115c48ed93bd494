package enrichment

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The typed configs below hold the "parameters" (and the few top-level
// keys besides vendor, name and enabled) of every published version of each
// enrichment's schema. Keys a version does not have stay at their zero
// value; optional keys are pointers or nil slices so "absent" stays visible.

// Database names one file an enrichment needs: the "database" file under
// the "uri" folder. The asset cache fetches URI + "/" + Database at
// start-up.
type Database struct {
	Database string `json:"database"`
	URI      string `json:"uri"`
}

// Location returns the file's full URI: uri + "/" + database, without a
// doubled slash (R108's getDatabaseUri).
func (d Database) Location() string {
	if len(d.URI) > 0 && d.URI[len(d.URI)-1] == '/' {
		return d.URI + d.Database
	}
	return d.URI + "/" + d.Database
}

// AnonIPConfig configures anon_ip (1-0-0, 1-0-1).
type AnonIPConfig struct {
	// AnonOctets is how many trailing IPv4 octets to replace by "x" (1–4).
	AnonOctets int
	// AnonSegments is how many trailing IPv6 segments to anonymize (1–8;
	// 1-0-1), nil when absent.
	AnonSegments *int
}

// UnmarshalJSON decodes the parameters object of anon_ip.
func (c *AnonIPConfig) UnmarshalJSON(b []byte) error {
	var raw struct {
		AnonOctets   json.Number `json:"anonOctets"`
		AnonSegments *int        `json:"anonSegments"`
	}
	if err := strictDecode(b, &raw); err != nil {
		return err
	}
	// The schema types anonOctets as "number"; R108 read it as one of 1-4.
	switch raw.AnonOctets {
	case "1", "2", "3", "4", "1.0", "2.0", "3.0", "4.0":
		c.AnonOctets = int(raw.AnonOctets[0] - '0')
	default:
		return fmt.Errorf("anonOctets: [%s] is not one of 1, 2, 3, 4", raw.AnonOctets)
	}
	c.AnonSegments = raw.AnonSegments
	return nil
}

// IPLookupsConfig configures ip_lookups (2-0-0, 2-0-1): MaxMind GeoIP2
// databases, each optional.
type IPLookupsConfig struct {
	Geo            *Database `json:"geo"`
	ISP            *Database `json:"isp"`
	Domain         *Database `json:"domain"`
	ConnectionType *Database `json:"connectionType"`
	ASN            *Database `json:"asn"` // 2-0-1
}

// UserAgentUtilsConfig configures user_agent_utils_config (1-0-0, no
// parameters).
type UserAgentUtilsConfig struct{}

// UAParserConfig configures ua_parser_config (1-0-0: no parameters; 1-0-1:
// an optional custom regexes file).
type UAParserConfig struct {
	Database string `json:"database"`
	URI      string `json:"uri"`
}

// RefererParserConfig configures referer_parser (1-0-0; 2-0-x adds the
// referer database file and inline referers).
type RefererParserConfig struct {
	InternalDomains []string `json:"internalDomains"`
	Database        string   `json:"database"` // 2-0-x
	URI             string   `json:"uri"`      // 2-0-x
	// Referrers are extra referers (2-0-1): medium → source → definition.
	Referrers map[string]map[string]RefererDefinition `json:"referrers"`
}

// RefererDefinition is one inline referer source of referer_parser 2-0-1.
type RefererDefinition struct {
	Domains    []string `json:"domains"`
	Parameters []string `json:"parameters"`
}

// CampaignAttributionConfig configures campaign_attribution (1-0-0, 1-0-1).
type CampaignAttributionConfig struct {
	Mapping string         `json:"mapping"` // "static" or "script"; "" when absent or null
	Fields  CampaignFields `json:"fields"`
}

// CampaignFields lists, per marketing field, the querystring parameters
// that may carry it, in priority order.
type CampaignFields struct {
	MktMedium   []string `json:"mktMedium"`
	MktSource   []string `json:"mktSource"`
	MktTerm     []string `json:"mktTerm"`
	MktContent  []string `json:"mktContent"`
	MktCampaign []string `json:"mktCampaign"`
	// MktClickID maps a click-id parameter to its network (1-0-1), in the
	// order of the config document; nil when absent (R108 then used its
	// built-in gclid/msclkid/dclid list).
	MktClickID []KeyValue `json:"mktClickId"`
}

// KeyValue is one member of a JSON object whose order matters.
type KeyValue struct {
	Key, Value string
}

// KeyValueList is an ordered string-to-string JSON object.
type KeyValueList []KeyValue

// UnmarshalJSON decodes a JSON object of strings keeping document order.
func (l *KeyValueList) UnmarshalJSON(b []byte) error {
	return decodeOrderedStrings(b, (*[]KeyValue)(l))
}

func decodeOrderedStrings(b []byte, out *[]KeyValue) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected an object")
	}
	var list []KeyValue
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", kt, err)
		}
		list = append(list, KeyValue{Key: kt.(string), Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	*out = list
	return nil
}

// UnmarshalJSON decodes the fields object, keeping mktClickId's order.
func (f *CampaignFields) UnmarshalJSON(b []byte) error {
	var raw struct {
		MktMedium   []string     `json:"mktMedium"`
		MktSource   []string     `json:"mktSource"`
		MktTerm     []string     `json:"mktTerm"`
		MktContent  []string     `json:"mktContent"`
		MktCampaign []string     `json:"mktCampaign"`
		MktClickID  KeyValueList `json:"mktClickId"`
	}
	if err := strictDecode(b, &raw); err != nil {
		return err
	}
	*f = CampaignFields{raw.MktMedium, raw.MktSource, raw.MktTerm, raw.MktContent, raw.MktCampaign, raw.MktClickID}
	return nil
}

// EventFingerprintConfig configures event_fingerprint_config (1-0-0,
// 1-0-1).
type EventFingerprintConfig struct {
	HashAlgorithm     string   `json:"hashAlgorithm"` // MD5 (1-0-0); SHA1, SHA256, SHA384, SHA512 (1-0-1)
	ExcludeParameters []string `json:"excludeParameters"`
}

// CookieExtractorConfig configures cookie_extractor_config (1-0-0).
type CookieExtractorConfig struct {
	Cookies []string `json:"cookies"`
}

// HTTPHeaderExtractorConfig configures http_header_extractor_config (1-0-0).
type HTTPHeaderExtractorConfig struct {
	// HeadersPattern is a (Java) regular expression matched against header
	// names.
	HeadersPattern string `json:"headersPattern"`
}

// IABConfig configures iab_spiders_and_robots_enrichment (1-0-0, 1-0-1).
type IABConfig struct {
	IPFile               Database `json:"ipFile"`
	ExcludeUseragentFile Database `json:"excludeUseragentFile"`
	IncludeUseragentFile Database `json:"includeUseragentFile"`
	IncludeUseragents    []string `json:"includeUseragents"` // 1-0-1
	ExcludeUseragents    []string `json:"excludeUseragents"` // 1-0-1
}

// PIIConfig configures pii_enrichment_config (1-0-0, 2-0-0, 2-0-1).
type PIIConfig struct {
	// EmitEvent is the top-level emitEvent (2-0-x).
	EmitEvent bool `json:"-"`
	// AnonymousOnly is the top-level anonymousOnly (2-0-1).
	AnonymousOnly bool        `json:"-"`
	PII           []PIIField  `json:"pii"`
	Strategy      PIIStrategy `json:"strategy"`
}

// PIIField is one field to pseudonymize: exactly one of Pojo and JSON is set.
type PIIField struct {
	Pojo *PIIPojoField `json:"pojo"`
	JSON *PIIJSONField `json:"json"`
}

// PIIPojoField names a scalar enriched field, e.g. "user_ipaddress".
type PIIPojoField struct {
	Field string `json:"field"`
}

// PIIJSONField names a JSON path inside the entities of one schema in a
// JSON field (contexts, derived_contexts, unstruct_event).
type PIIJSONField struct {
	Field           string `json:"field"`
	SchemaCriterion string `json:"schemaCriterion"`
	JSONPath        string `json:"jsonPath"`
}

// PIIStrategy is the pseudonymization strategy.
type PIIStrategy struct {
	Pseudonymize struct {
		HashFunction string `json:"hashFunction"` // MD2, MD5, SHA-1, SHA-256, SHA-384, SHA-512
		Salt         string `json:"salt"`         // 2-0-x
	} `json:"pseudonymize"`
}

// CurrencyConversionConfig configures currency_conversion_config (1-0-0).
type CurrencyConversionConfig struct {
	APIKey       string `json:"apiKey"`
	BaseCurrency string `json:"baseCurrency"`
	RateAt       string `json:"rateAt"`      // EOD_PRIOR
	AccountType  string `json:"accountType"` // DEVELOPER, ENTERPRISE, UNLIMITED
}

// JavaScriptConfig configures javascript_script_config (1-0-0, 1-0-1).
type JavaScriptConfig struct {
	// Script is the script as the config holds it: base64 (URL-safe, padding
	// optional, as R108 decoded it).
	Script string `json:"script"`
	// Config is the optional "config" object handed to the script (1-0-1).
	Config json.RawMessage `json:"config"`
}

// EventInput names one input of the API request and SQL query enrichments:
// an enriched field (Pojo) or a JSON path in the entities of one schema
// (JSON).
type EventInput struct {
	Pojo *PojoInput `json:"pojo"`
	JSON *JSONInput `json:"json"`
}

// PojoInput is an enriched field by its column name.
type PojoInput struct {
	Field string `json:"field"`
}

// JSONInput is a JSON path in the entities of a JSON field matching a
// schema criterion.
type JSONInput struct {
	Field           string `json:"field"` // unstruct_event, contexts, derived_contexts
	SchemaCriterion string `json:"schemaCriterion"`
	JSONPath        string `json:"jsonPath"`
}

// CacheConfig is the lookup cache of the API and SQL enrichments.
type CacheConfig struct {
	Size int `json:"size"`
	TTL  int `json:"ttl"` // seconds
}

// APIRequestConfig configures api_request_enrichment_config (1-0-0..1-0-2).
type APIRequestConfig struct {
	Inputs        []APIInput  `json:"inputs"`
	API           APISpec     `json:"api"`
	Outputs       []APIOutput `json:"outputs"`
	Cache         CacheConfig `json:"cache"`
	IgnoreOnError *bool       `json:"ignoreOnError"` // 1-0-2
}

// APIInput is one named input of the API request enrichment.
type APIInput struct {
	Key string `json:"key"`
	EventInput
}

// UnmarshalJSON decodes one inputs entry.
func (in *APIInput) UnmarshalJSON(b []byte) error {
	var raw struct {
		Key  string     `json:"key"`
		Pojo *PojoInput `json:"pojo"`
		JSON *JSONInput `json:"json"`
	}
	if err := strictDecode(b, &raw); err != nil {
		return err
	}
	*in = APIInput{Key: raw.Key, EventInput: EventInput{Pojo: raw.Pojo, JSON: raw.JSON}}
	return nil
}

// APISpec is the API to call; only HTTP exists.
type APISpec struct {
	HTTP *HTTPAPI `json:"http"`
}

// HTTPAPI is an HTTP API call.
type HTTPAPI struct {
	Method         string `json:"method"` // GET, POST, PUT
	URI            string `json:"uri"`    // with {{key}} placeholders
	Timeout        int    `json:"timeout"`
	Authentication struct {
		HTTPBasic *struct {
			Username string `json:"username"`
			Password string `json:"password"`
		} `json:"httpBasic"`
	} `json:"authentication"`
}

// APIOutput is one context built from the API response.
type APIOutput struct {
	Schema string `json:"schema"`
	JSON   *struct {
		JSONPath string `json:"jsonPath"`
	} `json:"json"`
}

// SQLQueryConfig configures sql_query_enrichment_config (1-0-0, 1-0-1).
type SQLQueryConfig struct {
	Inputs        []SQLInput   `json:"inputs"`
	Database      SQLDatabase  `json:"database"`
	Query         SQLStatement `json:"query"`
	Output        SQLOutput    `json:"output"`
	Cache         CacheConfig  `json:"cache"`
	IgnoreOnError *bool        `json:"ignoreOnError"` // 1-0-1
}

// SQLStatement is the prepared statement with ? placeholders.
type SQLStatement struct {
	SQL string `json:"sql"`
}

// SQLInput binds one placeholder (1-based) of the query.
type SQLInput struct {
	Placeholder int `json:"placeholder"`
	EventInput
}

// UnmarshalJSON decodes one inputs entry.
func (in *SQLInput) UnmarshalJSON(b []byte) error {
	var raw struct {
		Placeholder int        `json:"placeholder"`
		Pojo        *PojoInput `json:"pojo"`
		JSON        *JSONInput `json:"json"`
	}
	if err := strictDecode(b, &raw); err != nil {
		return err
	}
	*in = SQLInput{Placeholder: raw.Placeholder, EventInput: EventInput{Pojo: raw.Pojo, JSON: raw.JSON}}
	return nil
}

// SQLDatabase is the database to query: exactly one of PostgreSQL and MySQL.
type SQLDatabase struct {
	PostgreSQL *SQLConnection
	MySQL      *SQLConnection
}

// UnmarshalJSON reads the postgresql or mysql connection.
func (d *SQLDatabase) UnmarshalJSON(b []byte) error {
	// The schema allows extra keys at this level; read only the two known.
	var raw struct {
		PostgreSQL *SQLConnection `json:"postgresql"`
		MySQL      *SQLConnection `json:"mysql"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	d.PostgreSQL, d.MySQL = raw.PostgreSQL, raw.MySQL
	return nil
}

// SQLConnection are the connection settings of one database.
type SQLConnection struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	SSLMode  bool   `json:"sslMode"`
	Username string `json:"username"`
	Password string `json:"password"`
	Database string `json:"database"`
}

// UnmarshalJSON decodes connection settings.
func (c *SQLConnection) UnmarshalJSON(b []byte) error {
	// mysql allows extra keys in the schema; postgresql does not. Be lenient
	// for both: the schema already judged the document.
	type plain SQLConnection
	return json.Unmarshal(b, (*plain)(c))
}

// SQLOutput says how rows become contexts.
type SQLOutput struct {
	ExpectedRows string `json:"expectedRows"` // AT_LEAST_ONE, AT_LEAST_ZERO, AT_MOST_ONE, EXACTLY_ONE
	JSON         struct {
		Schema        string `json:"schema"`
		PropertyNames string `json:"propertyNames"` // AS_IS, CAMEL_CASE, …
		Describes     string `json:"describes"`     // ALL_ROWS, EVERY_ROW
	} `json:"json"`
}

// WeatherConfig configures weather_enrichment_config (1-0-0).
type WeatherConfig struct {
	APIKey       string `json:"apiKey"`
	CacheSize    int    `json:"cacheSize"`
	GeoPrecision int    `json:"geoPrecision"`
	APIHost      string `json:"apiHost"`
	Timeout      int    `json:"timeout"` // seconds
}

// strictDecode decodes b into v rejecting unknown keys.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
