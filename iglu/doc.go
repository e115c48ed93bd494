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
// in seconds; null, absent or 0 mean no expiry. cacheSize 0 disables the
// cache, as in Snowplow.
//
// # Registries
//
// Every resolver searches the built-in "Iglu Client Embedded" registry
// (BuiltinFS), which holds schemas written for furrow: the self-describing
// meta-schemas (com.snowplowanalytics.self-desc/schema and
// instance-iglu-only 1-0-0), resolver-config 1-0-0..1-0-3,
// com.snowplowanalytics.snowplow/contexts 1-0-0 and 1-0-1, unstruct_event
// 1-0-0, duplicate 1-0-0 and payload_data 1-0-0..1-0-4 (from the tracker
// protocol). HTTP registries are read with
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
// Schemas are compiled once (draft-04 by default; the Iglu meta-schema is
// registered so "$schema": MetaSchemaURI compiles and every schema is checked
// against it) and cached with their lookup. Formats are asserted (uri as
// java.net.URI accepted it, relative references included); patterns use Go's
// regexp, falling back to an ECMAScript engine for lookarounds. $ref to Iglu
// schema URLs are resolved through the registries, never the URL's host.
// Schema.Validate decodes numbers as json.Number (no float rounding) and
// reports problems in one line: key, JSON pointer, reason.
package iglu
