// Package enrichment owns the configurable enrichments of Snowplow R108:
// loading their self-describing configuration JSONs unchanged, validating
// each against its Iglu schema, holding one typed slot per enrichment kind
// in a Registry, fetching the files they need (MaxMind databases, IAB lists,
// referer databases) into a local asset cache, and the seam through which
// the enricher (package enrich) calls each enrichment at the point of R108's
// EnrichmentManager where it ran.
//
// # Configuration
//
// LoadBundle reads the document Spark Enrich took base64-encoded on its
// command line (iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0,
// an array of enrichment configs); LoadDir reads a folder of single
// enrichment JSON files (*.json), as Stream Enrich's --enrichments folder.
// Every config is validated against its own Iglu schema through the
// resolver at start-up (disabled ones too, as R108 did), then decoded into
// its typed config (AnonIPConfig, IPLookupsConfig, …; every key of every
// published version of the schema). As in R108 an enrichment is identified
// by its data.name, its schema must have the vendor, name and model R108's
// parser accepted, a disabled enrichment is skipped, an unknown name is
// ignored (with a warning) and a repeated name replaces the earlier one.
// Errors name the enrichment, its schema and the offending key.
//
// # Adding an implementation (the extension seam)
//
// Each enrichment kind has one Go interface (AnonIP, IPLookups, UAParser, …)
// whose methods take exactly what R108's EnrichmentManager handed that
// enrichment and return what it produced. To implement a kind:
//
//  1. Write one file in this package, e.g. anonip.go, with a constructor
//     func newAnonIP(cfg *AnonIPConfig, env *Env) (AnonIP, error). The
//     constructor runs once at start-up; env carries the logger, the
//     resolver, an HTTP client and the local paths of the enrichment's
//     assets (Env.Asset). Returned values must be safe for concurrent use.
//     If it holds resources, implement io.Closer: Registry.Close calls it.
//  2. Register it with one line in Builtins (builtins.go):
//     AnonIP: newAnonIP,
//  3. Test it against the fields FieldsOf lists for the kind.
//
// Until a kind has an implementation, an enabled config of that kind is
// "pending": Load logs "<name>: not implemented" once, the enricher leaves
// its fields empty, and Registry.Pending lists it so that conformance
// reports can count FieldsOf(name) as pending rather than wrong.
//
// # Assets
//
// Enrichments whose parameters name a "uri" and a "database"
// (ip_lookups, iab_spiders_and_robots_enrichment, referer_parser 2-0-x,
// ua_parser_config 1-0-1) get the file uri + "/" + database at start-up:
// http(s):// URLs are downloaded once into AssetOptions.CacheDir, file://
// URLs and plain paths are used in place, other schemes (s3://) go through
// an injectable AssetOptions.Fetchers entry. AssetOptions.LocalDir, when
// set, is searched first for a file named like the database (Spark Enrich's
// local mode, used by the conformance harness).
package enrichment
