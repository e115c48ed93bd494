// Package iglu owns furrow's Iglu resolver and JSON Schema validation: the
// Snowplow resolver-config JSON, the registries it names (embedded, local
// folder, static HTTP), the lookup order, priorities and vendor prefixes of
// iglu-scala-client 0.5 (as Snowplow R108 used it), the lookup cache, and
// draft-04 validation of self-describing data with
// github.com/santhosh-tekuri/jsonschema/v6.
//
// # Resolver config
//
// ParseConfig reads iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-0
// to 1-0-3 unchanged:
//
//	{"schema": "iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3",
//	 "data": {"cacheSize": 500, "cacheTtl": 600, "repositories": [
//	   {"name": "Iglu Central", "priority": 0, "vendorPrefixes": ["com.snowplowanalytics"],
//	    "connection": {"http": {"uri": "http://iglucentral.com"}}},
//	   {"name": "Private", "priority": 1, "vendorPrefixes": ["com.acme"],
//	    "connection": {"http": {"uri": "https://iglu.acme.com/api", "apikey": "…"}}},
//	   {"name": "Local", "priority": 2, "vendorPrefixes": [],
//	    "connection": {"filesystem": {"path": "/etc/furrow/iglu"}}}]}}
//
// The "filesystem" connection is a furrow extension: a local folder laid out
// like a static registry, path/schemas/vendor/name/format/M-R-A (path may
// also be the schemas folder itself). Snowplow's own tools reject it.
// "embedded" paths resolve against Options.EmbeddedFS (default: the built-in
// registry, whose only path is /iglu-client-embedded). cacheTtl (1-0-2+) is
// in seconds; null or absent mean no expiry; an explicit 0 (1-0-3) means
// lookups are never reused, so it disables the cache like cacheSize 0 (as in
// Snowplow, every lookup then goes to the registries).
//
// # Registries
//
// Every resolver searches the built-in "Iglu Client Embedded" registry
// (BuiltinFS), which holds schemas written for furrow: the self-describing
// meta-schemas (com.snowplowanalytics.self-desc/schema and
// instance-iglu-only 1-0-0), resolver-config 1-0-0..1-0-3,
// com.snowplowanalytics.snowplow/contexts 1-0-0 and 1-0-1, unstruct_event
// 1-0-0, duplicate 1-0-0 and payload_data 1-0-0..1-0-4 (from the tracker
// protocol), and, so that enrichments load and their output validates with
// no network, the enrichments bundle 1-0-0, every enrichment config schema
// version R108's enrichment parsers or furrow's loader accept (anon_ip,
// ip_lookups 2-0-x, ua_parser_config, referer_parser, campaign_attribution,
// event_fingerprint_config, pii_enrichment_config, api_request and
// sql_query configs, …) and the entities they emit (ua_parser_context,
// com.iab.snowplow/spiders_and_robots, org.ietf/http_cookie and
// http_header, org.openweathermap/weather, pii_transformation,
// parent_event); embedded_enrichments_test.go lists them all and compares
// each with Iglu Central's copy. HTTP registries are read with
// GET {uri}/schemas/vendor/name/format/M-R-A and the "apikey" header;
// 404, 403 and 410 mean "not here", network errors, 5xx and 429 are retried.
// See Resolver for the lookup order and cache.
//
// # SchemaVer
//
// As in R108, a lookup resolves exactly the requested version: data that
// names 1-0-2 when the registries serve only 1-0-1 is not found (no
// forward-compatible fallback). For the shredder's merged schema of a model,
// ListModel probes the versions a model has (see its rule).
//
// # Validation
//
// Schemas are compiled once (draft-04 by default; the Iglu meta-schema, a
// furrow rendition registered with AddResource, lets "$schema":
// MetaSchemaURI compile, and every schema is checked against draft-04's
// meta-schema) and cached with their lookup. A schema must also carry a self
// block naming exactly the key it was requested for. Formats are asserted as
// Snowplow's validator (fge json-schema-validator, extra formats included)
// asserted them: uuid, date-time, date, email, hostname, ipv4, ipv6, and uri
// as java.net.URI accepted it (relative references allowed). Patterns use
// Go's regexp, falling back to an ECMAScript engine (with a match timeout)
// for lookarounds and backreferences. $ref to Iglu schema URLs
// (http(s)://…/schemas/vendor/name/format/M-R-A or iglu:…) are resolved
// through the registries, never the URL's host; other URLs are refused.
//
// Schema.Validate decodes the document with a strict decoder equivalent to
// encoding/json with UseNumber (fuzzed against it): numbers stay exact
// (json.Number, compared as big.Rat), so 9007199254740993 exceeds a maximum
// of 9007199254740992 and 0.07 is a multiple of 0.01. Its *ValidationError
// is one deterministic line fit for a bad row: the key, then each problem as
// "at <JSON pointer>: <reason>", sorted, at most 10.
//
// Fast path: for schemas that use only type, enum, properties, required,
// additionalProperties, items, min/maxItems, min/maxLength, pattern, format
// and (exclusive) minimum/maximum — most Iglu entities — Validate and
// ValidateString first check the JSON text directly, without decoding it.
// The fast path only ever says "valid"; any document it does not accept
// goes through the decoder and the full validator, which decide and word
// the error, so verdicts and messages are those of the full validator
// (FuzzFastPath checks that the fast path accepts nothing the full
// validator rejects).
package iglu
