// Package adapter owns the translation of collector payloads into raw
// tracker-protocol events, as Scala Common Enrich's AdapterRegistry did in
// Snowplow R108: the Snowplow tracker protocol (tp1 GET, tp2 GET and POST
// payload_data validated against its Iglu schema, the r/tp2 redirect), the
// Iglu adapter (com.snowplowanalytics.iglu/v1) and the webhooks R108
// supported: CallRail, Mailchimp, Mailgun, Mandrill, Olark, PagerDuty,
// Pingdom, SendGrid, StatusGator, Unbounce, Urban Airship Connect, Marketo,
// Vero, and the CloudFront web-distribution access log
// (com.amazon.aws.cloudfront/wd_access_log).
//
// Registry.ToRawEvents dispatches on the payload's API vendor and version.
// A failure is a list of messages that becomes one bad row for the whole
// payload; no events are returned then.
//
// Input contract: Payload.Querystring values are URL-decoded once (as
// Snowplow's loaders produced them with URLEncodedUtils); Payload.Body is
// the request body as the collector received it ("" = none);
// Context.UserAgent is passed through as the collector format set it.
//
// Output contract: RawEvent.Parameters are the tracker-protocol fields.
// Webhook events get e=ue, p (the querystring's p or the adapter's
// default), tv (the adapter's tracker version, e.g. "com.callrail-v1"),
// ue_pr (the self-describing unstruct_event JSON) and the querystring's
// nuid, aid, cv, eid, ttm and url. ue_pr is rendered exactly as R108
// rendered it with json4s and Jackson, because the enriched TSV is compared
// byte for byte: object members in the order R108 produced them (including
// the iteration order of Scala 2.11's immutable HashMap for form bodies and
// querystrings of five or more parameters), integers exact, floating-point
// numbers as java.lang.Double.toString, strings escaped as Jackson did.
//
// The files json.go, javautil.go, jodatime.go and scalamap.go re-create the
// JVM behaviours this depends on; the other files hold the adapters.
package adapter
