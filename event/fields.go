package event

// The enriched-event fields, in the canonical TSV order of Snowplow R108
// (EnrichedEvent.scala declaration order without pii). Never reorder.
const (
	AppID                  Field = iota // app_id
	Platform                            // platform
	ETLTstamp                           // etl_tstamp
	CollectorTstamp                     // collector_tstamp
	DvceCreatedTstamp                   // dvce_created_tstamp
	EventType                           // event
	EventID                             // event_id
	TxnID                               // txn_id
	NameTracker                         // name_tracker
	VTracker                            // v_tracker
	VCollector                          // v_collector
	VETL                                // v_etl
	UserID                              // user_id
	UserIPAddress                       // user_ipaddress
	UserFingerprint                     // user_fingerprint
	DomainUserID                        // domain_userid
	DomainSessionIdx                    // domain_sessionidx
	NetworkUserID                       // network_userid
	GeoCountry                          // geo_country
	GeoRegion                           // geo_region
	GeoCity                             // geo_city
	GeoZipcode                          // geo_zipcode
	GeoLatitude                         // geo_latitude
	GeoLongitude                        // geo_longitude
	GeoRegionName                       // geo_region_name
	IPISP                               // ip_isp
	IPOrganization                      // ip_organization
	IPDomain                            // ip_domain
	IPNetspeed                          // ip_netspeed
	PageURL                             // page_url
	PageTitle                           // page_title
	PageReferrer                        // page_referrer
	PageURLScheme                       // page_urlscheme
	PageURLHost                         // page_urlhost
	PageURLPort                         // page_urlport
	PageURLPath                         // page_urlpath
	PageURLQuery                        // page_urlquery
	PageURLFragment                     // page_urlfragment
	RefrURLScheme                       // refr_urlscheme
	RefrURLHost                         // refr_urlhost
	RefrURLPort                         // refr_urlport
	RefrURLPath                         // refr_urlpath
	RefrURLQuery                        // refr_urlquery
	RefrURLFragment                     // refr_urlfragment
	RefrMedium                          // refr_medium
	RefrSource                          // refr_source
	RefrTerm                            // refr_term
	MktMedium                           // mkt_medium
	MktSource                           // mkt_source
	MktTerm                             // mkt_term
	MktContent                          // mkt_content
	MktCampaign                         // mkt_campaign
	Contexts                            // contexts
	SeCategory                          // se_category
	SeAction                            // se_action
	SeLabel                             // se_label
	SeProperty                          // se_property
	SeValue                             // se_value
	UnstructEvent                       // unstruct_event
	TrOrderID                           // tr_orderid
	TrAffiliation                       // tr_affiliation
	TrTotal                             // tr_total
	TrTax                               // tr_tax
	TrShipping                          // tr_shipping
	TrCity                              // tr_city
	TrState                             // tr_state
	TrCountry                           // tr_country
	TiOrderID                           // ti_orderid
	TiSKU                               // ti_sku
	TiName                              // ti_name
	TiCategory                          // ti_category
	TiPrice                             // ti_price
	TiQuantity                          // ti_quantity
	PpXoffsetMin                        // pp_xoffset_min
	PpXoffsetMax                        // pp_xoffset_max
	PpYoffsetMin                        // pp_yoffset_min
	PpYoffsetMax                        // pp_yoffset_max
	Useragent                           // useragent
	BrName                              // br_name
	BrFamily                            // br_family
	BrVersion                           // br_version
	BrType                              // br_type
	BrRenderengine                      // br_renderengine
	BrLang                              // br_lang
	BrFeaturesPDF                       // br_features_pdf
	BrFeaturesFlash                     // br_features_flash
	BrFeaturesJava                      // br_features_java
	BrFeaturesDirector                  // br_features_director
	BrFeaturesQuicktime                 // br_features_quicktime
	BrFeaturesRealplayer                // br_features_realplayer
	BrFeaturesWindowsmedia              // br_features_windowsmedia
	BrFeaturesGears                     // br_features_gears
	BrFeaturesSilverlight               // br_features_silverlight
	BrCookies                           // br_cookies
	BrColordepth                        // br_colordepth
	BrViewwidth                         // br_viewwidth
	BrViewheight                        // br_viewheight
	OSName                              // os_name
	OSFamily                            // os_family
	OSManufacturer                      // os_manufacturer
	OSTimezone                          // os_timezone
	DvceType                            // dvce_type
	DvceIsMobile                        // dvce_ismobile
	DvceScreenwidth                     // dvce_screenwidth
	DvceScreenheight                    // dvce_screenheight
	DocCharset                          // doc_charset
	DocWidth                            // doc_width
	DocHeight                           // doc_height
	TrCurrency                          // tr_currency
	TrTotalBase                         // tr_total_base
	TrTaxBase                           // tr_tax_base
	TrShippingBase                      // tr_shipping_base
	TiCurrency                          // ti_currency
	TiPriceBase                         // ti_price_base
	BaseCurrency                        // base_currency
	GeoTimezone                         // geo_timezone
	MktClickID                          // mkt_clickid
	MktNetwork                          // mkt_network
	ETLTags                             // etl_tags
	DvceSentTstamp                      // dvce_sent_tstamp
	RefrDomainUserID                    // refr_domain_userid
	RefrDvceTstamp                      // refr_dvce_tstamp
	DerivedContexts                     // derived_contexts
	DomainSessionID                     // domain_sessionid
	DerivedTstamp                       // derived_tstamp
	EventVendor                         // event_vendor
	EventName                           // event_name
	EventFormat                         // event_format
	EventVersion                        // event_version
	EventFingerprint                    // event_fingerprint
	TrueTstamp                          // true_tstamp

	// NumFields is the number of fields in an enriched event (131).
	NumFields = iota
)

var fieldNames = [NumFields]string{
	"app_id",
	"platform",
	"etl_tstamp",
	"collector_tstamp",
	"dvce_created_tstamp",
	"event",
	"event_id",
	"txn_id",
	"name_tracker",
	"v_tracker",
	"v_collector",
	"v_etl",
	"user_id",
	"user_ipaddress",
	"user_fingerprint",
	"domain_userid",
	"domain_sessionidx",
	"network_userid",
	"geo_country",
	"geo_region",
	"geo_city",
	"geo_zipcode",
	"geo_latitude",
	"geo_longitude",
	"geo_region_name",
	"ip_isp",
	"ip_organization",
	"ip_domain",
	"ip_netspeed",
	"page_url",
	"page_title",
	"page_referrer",
	"page_urlscheme",
	"page_urlhost",
	"page_urlport",
	"page_urlpath",
	"page_urlquery",
	"page_urlfragment",
	"refr_urlscheme",
	"refr_urlhost",
	"refr_urlport",
	"refr_urlpath",
	"refr_urlquery",
	"refr_urlfragment",
	"refr_medium",
	"refr_source",
	"refr_term",
	"mkt_medium",
	"mkt_source",
	"mkt_term",
	"mkt_content",
	"mkt_campaign",
	"contexts",
	"se_category",
	"se_action",
	"se_label",
	"se_property",
	"se_value",
	"unstruct_event",
	"tr_orderid",
	"tr_affiliation",
	"tr_total",
	"tr_tax",
	"tr_shipping",
	"tr_city",
	"tr_state",
	"tr_country",
	"ti_orderid",
	"ti_sku",
	"ti_name",
	"ti_category",
	"ti_price",
	"ti_quantity",
	"pp_xoffset_min",
	"pp_xoffset_max",
	"pp_yoffset_min",
	"pp_yoffset_max",
	"useragent",
	"br_name",
	"br_family",
	"br_version",
	"br_type",
	"br_renderengine",
	"br_lang",
	"br_features_pdf",
	"br_features_flash",
	"br_features_java",
	"br_features_director",
	"br_features_quicktime",
	"br_features_realplayer",
	"br_features_windowsmedia",
	"br_features_gears",
	"br_features_silverlight",
	"br_cookies",
	"br_colordepth",
	"br_viewwidth",
	"br_viewheight",
	"os_name",
	"os_family",
	"os_manufacturer",
	"os_timezone",
	"dvce_type",
	"dvce_ismobile",
	"dvce_screenwidth",
	"dvce_screenheight",
	"doc_charset",
	"doc_width",
	"doc_height",
	"tr_currency",
	"tr_total_base",
	"tr_tax_base",
	"tr_shipping_base",
	"ti_currency",
	"ti_price_base",
	"base_currency",
	"geo_timezone",
	"mkt_clickid",
	"mkt_network",
	"etl_tags",
	"dvce_sent_tstamp",
	"refr_domain_userid",
	"refr_dvce_tstamp",
	"derived_contexts",
	"domain_sessionid",
	"derived_tstamp",
	"event_vendor",
	"event_name",
	"event_format",
	"event_version",
	"event_fingerprint",
	"true_tstamp",
}

var fieldKinds = [NumFields]Kind{
	KindString,    // app_id
	KindString,    // platform
	KindTimestamp, // etl_tstamp
	KindTimestamp, // collector_tstamp
	KindTimestamp, // dvce_created_tstamp
	KindString,    // event
	KindString,    // event_id
	KindString,    // txn_id
	KindString,    // name_tracker
	KindString,    // v_tracker
	KindString,    // v_collector
	KindString,    // v_etl
	KindString,    // user_id
	KindString,    // user_ipaddress
	KindString,    // user_fingerprint
	KindString,    // domain_userid
	KindInt,       // domain_sessionidx
	KindString,    // network_userid
	KindString,    // geo_country
	KindString,    // geo_region
	KindString,    // geo_city
	KindString,    // geo_zipcode
	KindDouble,    // geo_latitude
	KindDouble,    // geo_longitude
	KindString,    // geo_region_name
	KindString,    // ip_isp
	KindString,    // ip_organization
	KindString,    // ip_domain
	KindString,    // ip_netspeed
	KindString,    // page_url
	KindString,    // page_title
	KindString,    // page_referrer
	KindString,    // page_urlscheme
	KindString,    // page_urlhost
	KindInt,       // page_urlport
	KindString,    // page_urlpath
	KindString,    // page_urlquery
	KindString,    // page_urlfragment
	KindString,    // refr_urlscheme
	KindString,    // refr_urlhost
	KindInt,       // refr_urlport
	KindString,    // refr_urlpath
	KindString,    // refr_urlquery
	KindString,    // refr_urlfragment
	KindString,    // refr_medium
	KindString,    // refr_source
	KindString,    // refr_term
	KindString,    // mkt_medium
	KindString,    // mkt_source
	KindString,    // mkt_term
	KindString,    // mkt_content
	KindString,    // mkt_campaign
	KindJSON,      // contexts
	KindString,    // se_category
	KindString,    // se_action
	KindString,    // se_label
	KindString,    // se_property
	KindDecimal,   // se_value
	KindJSON,      // unstruct_event
	KindString,    // tr_orderid
	KindString,    // tr_affiliation
	KindDecimal,   // tr_total
	KindDecimal,   // tr_tax
	KindDecimal,   // tr_shipping
	KindString,    // tr_city
	KindString,    // tr_state
	KindString,    // tr_country
	KindString,    // ti_orderid
	KindString,    // ti_sku
	KindString,    // ti_name
	KindString,    // ti_category
	KindDecimal,   // ti_price
	KindInt,       // ti_quantity
	KindInt,       // pp_xoffset_min
	KindInt,       // pp_xoffset_max
	KindInt,       // pp_yoffset_min
	KindInt,       // pp_yoffset_max
	KindString,    // useragent
	KindString,    // br_name
	KindString,    // br_family
	KindString,    // br_version
	KindString,    // br_type
	KindString,    // br_renderengine
	KindString,    // br_lang
	KindBool,      // br_features_pdf
	KindBool,      // br_features_flash
	KindBool,      // br_features_java
	KindBool,      // br_features_director
	KindBool,      // br_features_quicktime
	KindBool,      // br_features_realplayer
	KindBool,      // br_features_windowsmedia
	KindBool,      // br_features_gears
	KindBool,      // br_features_silverlight
	KindBool,      // br_cookies
	KindString,    // br_colordepth
	KindInt,       // br_viewwidth
	KindInt,       // br_viewheight
	KindString,    // os_name
	KindString,    // os_family
	KindString,    // os_manufacturer
	KindString,    // os_timezone
	KindString,    // dvce_type
	KindBool,      // dvce_ismobile
	KindInt,       // dvce_screenwidth
	KindInt,       // dvce_screenheight
	KindString,    // doc_charset
	KindInt,       // doc_width
	KindInt,       // doc_height
	KindString,    // tr_currency
	KindDecimal,   // tr_total_base
	KindDecimal,   // tr_tax_base
	KindDecimal,   // tr_shipping_base
	KindString,    // ti_currency
	KindDecimal,   // ti_price_base
	KindString,    // base_currency
	KindString,    // geo_timezone
	KindString,    // mkt_clickid
	KindString,    // mkt_network
	KindString,    // etl_tags
	KindTimestamp, // dvce_sent_tstamp
	KindString,    // refr_domain_userid
	KindTimestamp, // refr_dvce_tstamp
	KindJSON,      // derived_contexts
	KindString,    // domain_sessionid
	KindTimestamp, // derived_tstamp
	KindString,    // event_vendor
	KindString,    // event_name
	KindString,    // event_format
	KindString,    // event_version
	KindString,    // event_fingerprint
	KindTimestamp, // true_tstamp
}

// fieldMaxLen is the maximum length in characters of each string field, the
// column widths of the atomic.events table of the R108 era (0 = unbounded).
var fieldMaxLen = [NumFields]int{
	255,  // app_id
	255,  // platform
	0,    // etl_tstamp
	0,    // collector_tstamp
	0,    // dvce_created_tstamp
	128,  // event
	36,   // event_id
	0,    // txn_id
	128,  // name_tracker
	100,  // v_tracker
	100,  // v_collector
	100,  // v_etl
	255,  // user_id
	128,  // user_ipaddress
	128,  // user_fingerprint
	128,  // domain_userid
	0,    // domain_sessionidx
	128,  // network_userid
	2,    // geo_country
	3,    // geo_region
	75,   // geo_city
	15,   // geo_zipcode
	0,    // geo_latitude
	0,    // geo_longitude
	100,  // geo_region_name
	100,  // ip_isp
	100,  // ip_organization
	100,  // ip_domain
	100,  // ip_netspeed
	4096, // page_url
	2000, // page_title
	4096, // page_referrer
	16,   // page_urlscheme
	255,  // page_urlhost
	0,    // page_urlport
	3000, // page_urlpath
	6000, // page_urlquery
	3000, // page_urlfragment
	16,   // refr_urlscheme
	255,  // refr_urlhost
	0,    // refr_urlport
	6000, // refr_urlpath
	6000, // refr_urlquery
	3000, // refr_urlfragment
	25,   // refr_medium
	50,   // refr_source
	255,  // refr_term
	255,  // mkt_medium
	255,  // mkt_source
	255,  // mkt_term
	500,  // mkt_content
	255,  // mkt_campaign
	0,    // contexts
	1000, // se_category
	1000, // se_action
	4096, // se_label
	1000, // se_property
	0,    // se_value
	0,    // unstruct_event
	255,  // tr_orderid
	255,  // tr_affiliation
	0,    // tr_total
	0,    // tr_tax
	0,    // tr_shipping
	255,  // tr_city
	255,  // tr_state
	255,  // tr_country
	255,  // ti_orderid
	255,  // ti_sku
	255,  // ti_name
	255,  // ti_category
	0,    // ti_price
	0,    // ti_quantity
	0,    // pp_xoffset_min
	0,    // pp_xoffset_max
	0,    // pp_yoffset_min
	0,    // pp_yoffset_max
	1000, // useragent
	50,   // br_name
	50,   // br_family
	50,   // br_version
	50,   // br_type
	50,   // br_renderengine
	255,  // br_lang
	0,    // br_features_pdf
	0,    // br_features_flash
	0,    // br_features_java
	0,    // br_features_director
	0,    // br_features_quicktime
	0,    // br_features_realplayer
	0,    // br_features_windowsmedia
	0,    // br_features_gears
	0,    // br_features_silverlight
	0,    // br_cookies
	12,   // br_colordepth
	0,    // br_viewwidth
	0,    // br_viewheight
	50,   // os_name
	50,   // os_family
	50,   // os_manufacturer
	255,  // os_timezone
	50,   // dvce_type
	0,    // dvce_ismobile
	0,    // dvce_screenwidth
	0,    // dvce_screenheight
	128,  // doc_charset
	0,    // doc_width
	0,    // doc_height
	3,    // tr_currency
	0,    // tr_total_base
	0,    // tr_tax_base
	0,    // tr_shipping_base
	3,    // ti_currency
	0,    // ti_price_base
	3,    // base_currency
	64,   // geo_timezone
	128,  // mkt_clickid
	64,   // mkt_network
	500,  // etl_tags
	0,    // dvce_sent_tstamp
	128,  // refr_domain_userid
	0,    // refr_dvce_tstamp
	0,    // derived_contexts
	128,  // domain_sessionid
	0,    // derived_tstamp
	1000, // event_vendor
	1000, // event_name
	128,  // event_format
	128,  // event_version
	128,  // event_fingerprint
	0,    // true_tstamp
}
