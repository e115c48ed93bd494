package collector

import "time"

// NameValue is one querystring parameter, in the order the request had it.
type NameValue struct {
	Name, Value string
}

// API is the collector endpoint a request was sent to: vendor and version
// from the request path (/com.snowplowanalytics.snowplow/tp2 → vendor
// "com.snowplowanalytics.snowplow", version "tp2"; the legacy /i and
// /ice.png pixel → "com.snowplowanalytics.snowplow", "tp1").
type API struct {
	Vendor, Version string
}

// Source describes where a payload came from: the collector name with its
// version (e.g. "clj-tomcat", "ssc-0.9.0-kinesis"; Snowplow's
// CollectorSource.name, written to v_collector when the tracker gives no cv),
// the character encoding and the collector host name if known.
type Source struct {
	Name, Encoding, Hostname string
}

// Context is what the collector knew about the request.
type Context struct {
	Timestamp  time.Time // zero = unknown
	IPAddress  string    // "" = unknown
	UserAgent  string    // "" = unknown
	RefererURI string    // "" = unknown
	Headers    []string  // raw "Name: value" header lines, in order
	UserID     string    // network user id (the collector's cookie), "" = unknown
}

// Payload is one collector payload: Snowplow's CollectorPayload, the unit a
// collector format yields and an adapter turns into raw events.
type Payload struct {
	API         API
	Querystring []NameValue
	ContentType string // "" = none
	Body        string // "" = none
	Source      Source
	Context     Context
}
