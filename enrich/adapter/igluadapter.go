package adapter

import (
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/event"
)

// IgluAdapter (com.snowplowanalytics.iglu/v1): any Iglu-described event,
// either as name-value pairs on a GET querystring with a schema=<Iglu URI>
// parameter, as a POST body (JSON or form) with that parameter, or as a
// self-describing JSON POST body.

const igluTracker = "com.snowplowanalytics.iglu-v1"

func igluToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	params := smapFromQuery(p.Querystring)
	schema, hasSchema := params.get("schema")
	switch {
	case p.Body != "" && p.ContentType == "":
		return fail("Iglu event failed: ContentType must be set for a POST payload")
	case !hasSchema && p.Body != "":
		switch p.ContentType {
		case "application/json", "application/json; charset=utf-8":
			return igluSelfDescribingBody(p, params)
		}
		return fail("Content type not supported")
	case hasSchema:
		return igluWithSchema(p, schema, params)
	}
	return fail("Iglu event failed: is not a sd-json or a valid GET or POST request")
}

func igluSchemaError(uri string) string {
	if _, err := event.ParseSchemaKey(uri); err != nil {
		return uri + " is not a valid Iglu-format schema URI"
	}
	return ""
}

// igluSelfDescribingBody: the body is a self-describing JSON; its data
// becomes the event.
func igluSelfDescribingBody(p *collector.Payload, params *smap) ([]RawEvent, []string) {
	v, err := parseJSON(p.Body, dupKeep)
	if err != nil {
		return fail("Event failed to parse into JSON: [" + err.Error() + "]")
	}
	uri, ok := extractString(v.child("schema"))
	if !ok {
		return fail("Iglu event failed: detected SelfDescribingJson but schema key is missing")
	}
	data := v.child("data")
	if data == nil {
		return fail("Iglu event failed: detected SelfDescribingJson but data key is missing")
	}
	if msg := igluSchemaError(uri); msg != "" {
		return fail(msg)
	}
	return one(rawEvent(p, unstructParams(igluTracker, params, uri, data, "app")))
}

// igluWithSchema: the schema parameter names the event's schema; the
// event is the rest of the querystring, or the JSON or form body.
func igluWithSchema(p *collector.Payload, uri string, params *smap) ([]RawEvent, []string) {
	if msg := igluSchemaError(uri); msg != "" {
		return fail(msg)
	}
	rest := params.without("schema")
	if p.Body == "" {
		return one(rawEvent(p, formatterParams(igluTracker, rest, uri, fieldFormat{}.format, "app")))
	}
	switch p.ContentType {
	case "application/json", "application/json; charset=utf-8":
		v, err := parseJSON(p.Body, dupKeep)
		if err != nil {
			return fail("Event failed to parse into JSON: [" + err.Error() + "]")
		}
		switch {
		case v.kind == jArray && len(v.arr) == 0:
			return fail("Iglu event failed json sanity check: array of events cannot be empty")
		case v.kind == jArray:
			out := make([]RawEvent, len(v.arr))
			for i, e := range v.arr {
				out[i] = rawEvent(p, unstructParams(igluTracker, rest, uri, e, "app"))
			}
			return out, nil
		case v.kind != jObject || len(v.obj) == 0:
			return fail("Iglu event failed json sanity check: has no key-value pairs")
		}
		return one(rawEvent(p, unstructParams(igluTracker, rest, uri, v, "app")))
	case formContentType:
		body, msg := formBody("Iglu", p.Body)
		if msg != "" {
			return fail(msg)
		}
		return one(rawEvent(p, unstructParams(igluTracker, rest, uri, body.toJSON(), "srv")))
	}
	return fail("Content type not supported")
}
