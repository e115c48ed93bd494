package adapter

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/javautil"
)

// The Snowplow tracker protocol: Tp1Adapter, Tp2Adapter and RedirectAdapter.

// queryParams is Adapter.toMap over the querystring as a Go map (a later
// duplicate wins).
func queryParams(qs []nameValue, extra int) map[string]string {
	m := make(map[string]string, len(qs)+extra)
	for _, p := range qs {
		m[p.Name] = p.Value
	}
	return m
}

// tp1ToRawEvents: tracker protocol v1 is GET only, one event per request.
func tp1ToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	if len(p.Querystring) == 0 {
		return fail("Querystring is empty: no raw event to process")
	}
	return one(rawEvent(p, queryParams(p.Querystring, 0)))
}

// tp2ContentTypes are the request body content types tracker protocol v2
// accepted.
var tp2ContentTypes = [...]string{"application/json", "application/json; charset=utf-8", "application/json; charset=UTF-8"}

const tp2ContentTypesStr = "application/json, application/json; charset=utf-8, application/json; charset=UTF-8"

// payloadDataCriterion is the schema a POST body must be self-described
// with: com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-*.
const payloadDataCriterion = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-*"

// tp2ToRawEvents: tracker protocol v2, GET or POST. A POST body is a
// self-describing payload_data JSON (an array of events whose values are
// all strings); each event's parameters are merged with the querystring,
// the querystring winning.
func (r *Registry) tp2ToRawEvents(ctx context.Context, p *collector.Payload) ([]RawEvent, []string) {
	body, ct := p.Body, p.ContentType
	switch {
	case body == "" && len(p.Querystring) == 0:
		return fail("Request body and querystring parameters empty, expected at least one populated")
	case ct != "" && !isTp2ContentType(ct):
		return fail("Content type of " + ct + " provided, expected one of: " + tp2ContentTypesStr)
	case body != "" && ct == "":
		return fail("Request body provided but content type empty, expected one of: " + tp2ContentTypesStr)
	case body == "" && ct != "":
		return fail("Content type of " + ct + " provided but request body empty")
	case body == "":
		return one(rawEvent(p, queryParams(p.Querystring, 0)))
	}
	events, errs := r.payloadData(ctx, body)
	if len(errs) > 0 {
		return nil, errs
	}
	out := make([]RawEvent, len(events))
	for i, fields := range events {
		params := make(map[string]string, len(fields)+len(p.Querystring))
		for _, f := range fields {
			params[f.Name] = f.Value
		}
		for _, q := range p.Querystring {
			params[q.Name] = q.Value
		}
		out[i] = rawEvent(p, params)
	}
	return out, nil
}

func isTp2ContentType(ct string) bool {
	for _, c := range tp2ContentTypes {
		if ct == c {
			return true
		}
	}
	return false
}

// payloadData decodes and validates a tracker-protocol POST body: it must be
// JSON, self-describing, with a schema matching payload_data 1-0-*, valid
// against that schema; each element of its data becomes the list of its
// string members.
func (r *Registry) payloadData(ctx context.Context, body string) ([][]nameValue, []string) {
	body = javautil.UTF8String(body)
	sd, data, msg := decodePayloadData(body)
	if msg != "" {
		return nil, []string{msg}
	}
	if err := r.validate(ctx, sd.Schema, data, body); err != nil {
		return nil, []string{"Body: " + err.Error()}
	}
	return payloadDataEvents(data)
}

// decodePayloadData checks everything about a payload_data body that needs
// no schema: JSON syntax, the self-describing envelope and the schema
// criterion. It returns the envelope (for validation) and the data value.
func decodePayloadData(body string) (event.SelfDescribing, *jvalue, string) {
	body = javautil.UTF8String(body)
	v, err := parseJSON(body, dupLast)
	if err != nil {
		return event.SelfDescribing{}, nil, "Field [Body]: invalid JSON [" + body + "] with parsing error: " + err.Error()
	}
	key, data, msg := selfDescribing("Body", v)
	if msg != "" {
		return event.SelfDescribing{}, nil, msg
	}
	if key.Vendor != "com.snowplowanalytics.snowplow" || key.Name != "payload_data" || key.Format != "jsonschema" ||
		key.Version.Model != 1 || key.Version.Revision != 0 {
		return event.SelfDescribing{}, nil, "Verifying schema as " + payloadDataCriterion + " failed: found " + key.String()
	}
	return event.SelfDescribing{Schema: key, Data: json.RawMessage(body[data.start:data.end])}, data, ""
}

// selfDescribing checks v against Iglu's self-describing instance
// meta-schema (an object with exactly a string "schema" holding an Iglu URI
// and a "data" member) and returns its key and data.
func selfDescribing(field string, v *jvalue) (event.SchemaKey, *jvalue, string) {
	if v.kind != jObject {
		return event.SchemaKey{}, nil, field + ": JSON is not a self-describing JSON: instance is not an object"
	}
	var schema, data *jvalue
	for _, f := range v.obj {
		switch f.name {
		case "schema":
			schema = f.val
		case "data":
			data = f.val
		default:
			return event.SchemaKey{}, nil, field + ": JSON is not a self-describing JSON: member [" + f.name + "] is not allowed"
		}
	}
	switch {
	case schema == nil:
		return event.SchemaKey{}, nil, field + ": JSON is not a self-describing JSON: missing required member [schema]"
	case data == nil:
		return event.SchemaKey{}, nil, field + ": JSON is not a self-describing JSON: missing required member [data]"
	case schema.kind != jString:
		return event.SchemaKey{}, nil, field + ": JSON is not a self-describing JSON: member [schema] is not a string"
	}
	key, err := event.ParseSchemaKey(schema.s)
	if err != nil {
		return event.SchemaKey{}, nil, field + ": JSON is not a self-describing JSON: " + err.Error()
	}
	return key, data, ""
}

// payloadDataEvents is Tp2Adapter.toParametersNel without the merge: the
// string members of each element of data.
func payloadDataEvents(data *jvalue) ([][]nameValue, []string) {
	var elems []*jvalue
	switch data.kind {
	case jArray:
		elems = data.arr
	case jObject:
		for _, f := range data.obj {
			elems = append(elems, f.val)
		}
	}
	if len(elems) == 0 {
		return nil, []string{"List of events is empty (should never happen, did JSON Schema change?)"}
	}
	var errs []string
	events := make([][]nameValue, 0, len(elems))
	for _, e := range elems {
		var fields []nameValue
		if e.kind == jObject {
			fields = make([]nameValue, 0, len(e.obj))
			for _, f := range e.obj {
				if f.val.kind != jString {
					errs = append(errs, "Value for key "+f.name+" is not a String (should never happen, did JSON Schema change?)")
					continue
				}
				fields = append(fields, nameValue{Name: f.name, Value: f.val.s})
			}
		}
		events = append(events, fields)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return events, nil
}

// RedirectAdapter constants.
const (
	redirectTracker  = "r-tp2"
	redirectPlatform = "web"
	uriRedirectURI   = "iglu:com.snowplowanalytics.snowplow/uri_redirect/jsonschema/1-0-0"
)

// redirectToRawEvents: a GET with a u parameter (the redirect target)
// becomes a uri_redirect unstruct event, or, when the request already
// carries an event type, a uri_redirect context added to its co or cx.
func redirectToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	if len(p.Querystring) == 0 {
		return fail("Querystring is empty: cannot be a valid URI redirect")
	}
	params := queryParams(p.Querystring, 3)
	u, ok := params["u"]
	if !ok {
		return fail("Querystring does not contain u parameter: not a valid URI redirect")
	}
	redirect := jobj(jfield{"schema", jstr(uriRedirectURI)}, jfield{"data", jobj(jfield{"uri", jstr(u)})})
	delete(params, "u")
	if _, hasEvent := params["e"]; hasEvent {
		cx, hasCx := params["cx"]
		co, hasCo := params["co"]
		switch {
		case hasCx:
			decoded := javautil.DecodeBase64(cx)
			merged, msg := addToContexts(redirect, decoded)
			if msg != "" {
				return fail(msg)
			}
			params["cx"] = base64URLEncode(merged)
		case hasCo && co != "":
			merged, msg := addToContexts(redirect, co)
			if msg != "" {
				return fail(msg)
			}
			params["co"] = merged
		default:
			params["co"] = jobj(jfield{"schema", jstr(contextsSchema)}, jfield{"data", &jvalue{kind: jArray, arr: []*jvalue{redirect}}}).render()
		}
	} else {
		params["e"] = "ue"
		params["ue_pr"] = jobj(jfield{"schema", jstr(unstructEventSchema)}, jfield{"data", redirect}).render()
	}
	params["tv"] = redirectTracker
	if _, ok := params["p"]; !ok {
		params["p"] = redirectPlatform
	}
	return one(rawEvent(p, params))
}

// addToContexts merges {"data":[ctx]} into the contexts JSON existing as
// json4s's merge did (the new context is appended to an existing data array
// unless an equal one is there).
func addToContexts(ctx *jvalue, existing string) (string, string) {
	v, err := parseJSON(existing, dupLast)
	if err != nil {
		return "", "Field [co|cx]: invalid JSON [" + existing + "] with parsing error: " + strings.TrimSpace(err.Error())
	}
	add := jobj(jfield{"data", &jvalue{kind: jArray, arr: []*jvalue{ctx}}})
	return jmerge(v, add).render(), ""
}
