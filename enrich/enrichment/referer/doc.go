// Package referer reproduces the referer_parser enrichment of Snowplow R108,
// which called com.snowplowanalytics referer-parser 0.3.0: it classifies a
// page referrer into refr_medium, refr_source and refr_term.
//
// The referer database is not compiled in. It is loaded at start-up from a
// file or URI (Load, LoadFile, Parse) in either of Snowplow's formats:
//
//   - the YAML of referer-parser 0.3.0 (referers.yml), read with the 0.3.0
//     loader's rules: mappings keep document order and a repeated key
//     replaces the earlier value at the earlier position (SnakeYAML's
//     LinkedHashMap), media are unknown/internal/search/social/email,
//     search sources need parameters, other sources must not have them,
//     every source needs domains, and a domain listed again later
//     overwrites the earlier assignment;
//   - the JSON that later Snowplow releases host (referers-latest.json:
//     medium → source → {domains, parameters}), read with the later
//     parser's rules: the media paid and chatbot are accepted too, and
//     parameters are optional.
//
// ResolveSource picks the location: the enrichment's uri + database, else
// FURROW_REFERER_DATABASE, else the small sample database of this
// repository (DefaultPath).
//
// Lookup follows referer-parser 0.3.0 exactly: only http and https
// referrers with a host (java.net.URI's rules) are classified; the referrer
// host equal to the page host, or to one of the internal domains, is
// "internal"; otherwise the database is searched with every host suffix
// plus the whole path, then plus the first path segment, before any host
// suffix alone; not found is "unknown"; the search term is the first query
// parameter (split on '&' and ';', form-decoded as Apache HttpClient did)
// named like one of the source's parameters. Nothing is lowercased.
//
// A Database is immutable and safe for concurrent use; Lookup does not
// allocate on its common paths.
package referer
