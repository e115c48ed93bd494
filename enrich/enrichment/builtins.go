package enrichment

// Implementations holds one constructor per enrichment kind. A nil
// constructor means the kind has no implementation yet: an enabled config
// of that kind is pending (see Registry.Pending).
//
// A constructor runs once per Registry, at start-up. It receives the
// enrichment's validated config and its Env, and returns a value safe for
// concurrent use (io.Closer if it holds resources).
type Implementations struct {
	IPLookups           func(*IPLookupsConfig, *Env) (IPLookups, error)
	IAB                 func(*IABConfig, *Env) (IAB, error)
	AnonIP              func(*AnonIPConfig, *Env) (AnonIP, error)
	UserAgentUtils      func(*UserAgentUtilsConfig, *Env) (UserAgentUtils, error)
	UAParser            func(*UAParserConfig, *Env) (UAParser, error)
	CurrencyConversion  func(*CurrencyConversionConfig, *Env) (CurrencyConversion, error)
	RefererParser       func(*RefererParserConfig, *Env) (RefererParser, error)
	CampaignAttribution func(*CampaignAttributionConfig, *Env) (CampaignAttribution, error)
	EventFingerprint    func(*EventFingerprintConfig, *Env) (EventFingerprint, error)
	JavaScript          func(*JavaScriptConfig, *Env) (JavaScript, error)
	CookieExtractor     func(*CookieExtractorConfig, *Env) (CookieExtractor, error)
	HTTPHeaderExtractor func(*HTTPHeaderExtractorConfig, *Env) (HTTPHeaderExtractor, error)
	Weather             func(*WeatherConfig, *Env) (Weather, error)
	SQLQuery            func(*SQLQueryConfig, *Env) (SQLQuery, error)
	APIRequest          func(*APIRequestConfig, *Env) (APIRequest, error)
	PII                 func(*PIIConfig, *Env) (PII, error)
}

// Builtins returns the implementations furrow ships.
//
// THIS IS THE PLACE TO REGISTER AN IMPLEMENTATION: write the kind's
// constructor in its own file of this package (e.g. anonip.go:
// func newAnonIP(cfg *AnonIPConfig, env *Env) (AnonIP, error)) and add one
// line here (AnonIP: newAnonIP,). Nothing else needs to change: the
// enricher already calls every kind at its R108 position.
func Builtins() Implementations {
	return Implementations{
		IPLookups:           newIPLookups,
		IAB:                 newIAB,
		AnonIP:              newAnonIP,
		UserAgentUtils:      newUserAgentUtils,
		UAParser:            newUAParser,
		CurrencyConversion:  newCurrencyConversion,
		RefererParser:       newRefererParser,
		CampaignAttribution: newCampaignAttribution,
		EventFingerprint:    newEventFingerprint,
		JavaScript:          newJavaScript,
		CookieExtractor:     newCookieExtractor,
		HTTPHeaderExtractor: newHTTPHeaderExtractor,
		Weather:             newWeather,
		SQLQuery:            newSQLQuery,
		APIRequest:          newAPIRequest,
		PII:                 newPII,
	}
}
