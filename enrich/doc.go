// Package enrich owns the raw-event to enriched-event step of furrow: the
// Enricher, which reproduces Snowplow R108's EnrichmentManager field for
// field, and the Processor, which takes one input record through a
// collector format, the tracker-protocol adapters and the Enricher and
// turns its failures into bad rows the way Spark Enrich R108 did.
//
// Sub-packages: enrich/collector (log formats), enrich/adapter (tracker
// protocol and webhooks), enrich/enrichment (the configurable enrichments
// and their registry).
//
// # What the Enricher reproduces
//
// Everything EnrichmentManager did besides the configurable enrichments:
// event_id (a valid eid, lowercased, else a random UUID v4), v_etl,
// etl_tstamp, collector_tstamp (required), v_collector, network_userid,
// user_ipaddress and the URL-decoded useragent from the collector; the
// tracker-protocol transform map with each conversion of R108 and its exact
// failure message ("Field [vid]: cannot convert [a] to Int", …), applied in
// the iteration order of R108's Scala map; the tnuid second pass; the
// "Collector version not set" check; page_url from the url parameter or the
// referer header and its components through java.net.URI (with R108's
// net-a-porter fallback and messages; port 80, or 443 for https, when
// absent); the referer URL components; the page querystring (HttpClient's
// URLEncodedUtils) for campaign attribution and the _sp cross-domain
// parameter (refr_domain_userid, refr_dvce_tstamp); derived_tstamp (true
// timestamp, or collector timestamp minus the Joda period between device
// created and sent timestamps); contexts and unstruct_event (co/cx,
// ue_pr/ue_px: base64url or plain, parsed as Jackson did and printed as
// json4s compact did, Jackson's parse errors) validated against Iglu: the
// envelope (contexts / unstruct_event 1-0-*) then each entity; event_vendor,
// event_name, event_format and event_version; the derived_contexts wrapper
// (contexts 1-0-1). Each configurable enrichment is called through its
// enrichment interface at its R108 position; the failure messages of an
// event are collected in R108's order.
//
// # Deliberate deviations
//
//   - Parameter maps of one to four entries: R108 iterated them in insertion
//     order, which the Go map of adapter.RawEvent does not keep; furrow uses
//     the hash order of larger maps. This only matters when two parameters
//     write the same field or several fail.
//   - A null parameter value (a name without '=') cannot be told from an
//     empty one; both print as "[]" in messages.
//   - The useragent "" is null: R108 ran the useragent enrichments on an
//     empty (but non-null) useragent.
//   - Iglu validation failures are reported with furrow's iglu messages,
//     not iglu-scala-client's JSON ProcessingMessages (resolution failures
//     do reproduce its "Could not find schema …" message).
//   - A Double-like value whose plain form exceeds 1000 characters
//     ("1e-99999") fails instead of printing a huge number.
//   - JSON nested deeper than 1000 levels fails with a message (the JVM's
//     stack overflowed).
//   - Unexpected internal failures (a panic in an enrichment) give the one
//     bad row "Unexpected error processing events: …" for the record, as
//     EtlPipeline's catch-all did. Two inputs on which R108 threw inside
//     the cross-domain parser (_sp made only of dots, or _sp without '=')
//     fail the event with that message instead of the whole record.
//
// Not a deviation, but worth knowing: an event without a valid eid gets a
// random event_id, as in R108, so a re-run gives such events other ids.
//
// The envelopes of contexts (1-0-0, 1-0-1) and unstruct_event (1-0-0) are
// checked natively against the rules of the built-in schemas (the resolver
// is asked only to word a failure), which halves the cost of an event with
// contexts; entities are always validated through the resolver.
//
// Field validation: after enrichment every field is checked with
// event.ValidateField. Type errors always fail the event (the R108 POJO
// could not hold them). Values longer than their atomic.events column are
// kept by default (Config.FieldLengths = "keep", R108's behaviour; all
// conformance fixtures pass either way) or fail the event ("fail", modern
// Snowplow).
package enrich
