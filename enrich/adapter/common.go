package adapter

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shared pieces of the R108 Adapter trait.

const (
	unstructEventSchema = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"
	contextsSchema      = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1"
)

// acceptedQueryParameters are the querystring parameters a webhook event
// keeps next to its unstruct event.
var acceptedQueryParameters = [...]string{"nuid", "aid", "cv", "eid", "ttm", "url"}

// unstructEnvelope renders {"schema":unstruct_event,"data":{"schema":schema,"data":data}}.
func unstructEnvelope(schema string, data *jvalue) string {
	b := make([]byte, 0, 256)
	b = append(b, `{"schema":"`+unstructEventSchema+`","data":{"schema":`...)
	b = appendJSONString(b, schema)
	b = append(b, `,"data":`...)
	b = appendJSON(b, data)
	b = append(b, "}}"...)
	return string(b)
}

// unstructParams is Adapter.toUnstructEventParams: the tracker-protocol
// parameters of an unstruct event whose data is data, keeping the accepted
// querystring parameters of params. The platform is params' "p" or the
// given default.
func unstructParams(tracker string, params *smap, schema string, data *jvalue, platform string) map[string]string {
	out := make(map[string]string, 8)
	out["tv"] = tracker
	out["e"] = "ue"
	if p, ok := params.get("p"); ok {
		out["p"] = p
	} else {
		out["p"] = platform
	}
	out["ue_pr"] = unstructEnvelope(schema, data)
	for _, k := range acceptedQueryParameters {
		if v, ok := params.get(k); ok {
			out[k] = v
		}
	}
	return out
}

// formatterParams is the formatter flavour of toUnstructEventParams: the
// data is format applied to params without nuid, aid, cv and p.
func formatterParams(tracker string, params *smap, schema string, format func(*smap) *jvalue, platform string) map[string]string {
	return unstructParams(tracker, params, schema, format(params.without("nuid", "aid", "cv", "p")), platform)
}

// fieldFormat is Adapter.buildFormatter: every parameter becomes a member
// in map order; an empty (or null) value becomes null, keys in bools turn
// "true"/"false" into booleans, keys in ints turn integer-like strings into
// integers, keys in dates are reformatted from yyyy-MM-dd HH:mm:ss.
type fieldFormat struct {
	bools, ints, dates []string
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f fieldFormat) format(m *smap) *jvalue {
	v := &jvalue{kind: jObject, obj: make([]jfield, 0, m.len())}
	for _, e := range m.entries {
		var val *jvalue
		switch {
		case e.null || e.val == "":
			val = jnull()
		case contains(f.bools, e.key):
			switch e.val {
			case "true":
				val = jbool(true)
			case "false":
				val = jbool(false)
			default:
				val = jstr(e.val)
			}
		case contains(f.ints, e.key):
			if isJavaBigInteger(e.val) {
				val = jintText(e.val)
			} else {
				val = jstr(e.val)
			}
		case contains(f.dates, e.key):
			val = jstr(toJSONSchemaDateTime(e.val))
		default:
			val = jstr(e.val)
		}
		v.obj = append(v.obj, jfield{name: e.key, val: val})
	}
	return v
}

// isJavaBigInteger reports whether new java.math.BigInteger(s) accepts s:
// an optional sign and at least one ASCII digit.
func isJavaBigInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lookupSchema is Adapter.lookupSchema: the schema for an event type, or
// the R108 message. index < 0 means a single-event payload.
func lookupSchema(eventType string, present bool, vendor string, index int, schemas map[string]string) (string, string) {
	prefix := vendor + " event"
	if index >= 0 {
		prefix += " at index [" + strconv.Itoa(index) + "]"
	}
	if !present {
		return "", prefix + " failed: type parameter not provided - cannot determine event type"
	}
	if s, ok := schemas[eventType]; ok {
		return s, ""
	}
	if eventType == "" {
		return "", prefix + " failed: type parameter is empty - cannot determine event type"
	}
	return "", prefix + " failed: type parameter [" + eventType + "] not recognized"
}

// cleanupJSONEventValues is Adapter.cleanupJsonEventValues: every member
// named one of tsKeys whose value is an integer (or an integer-like string)
// of seconds becomes a JSON Schema date-time, and when removeKey is set the
// members removeKey: removeValue are removed.
func cleanupJSONEventValues(v *jvalue, removeKey, removeValue string, tsKeys ...string) *jvalue {
	v = transformFields(v, func(f jfield) (jfield, bool) {
		if !contains(tsKeys, f.name) || f.val == nil {
			return f, false
		}
		switch f.val.kind {
		case jInt:
			if n, ok := bigLow64(f.val.s); ok {
				return jfield{name: f.name, val: jstr(secondsToJSONDate(n))}, true
			}
		case jString:
			if n, ok := javaParseLong(f.val.s); ok {
				return jfield{name: f.name, val: jstr(secondsToJSONDate(n))}, true
			}
		}
		return f, false
	})
	if removeKey != "" {
		v = removeFields(v, func(f jfield) bool { return isStringField(f, removeKey, removeValue) })
	}
	return v
}

// camelCase is Adapter.camelCase: the first character lower-cased, then
// every '_' or '-' followed by a word character [a-zA-Z0-9_] replaced by
// that character upper-cased.
func camelCase(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	var b strings.Builder
	b.Grow(len(s))
	if r < 0x10000 && r != utf8.RuneError {
		b.WriteRune(unicode.ToLower(r))
	} else {
		b.WriteString(s[:size])
	}
	rest := s[size:]
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if (c == '_' || c == '-') && i+1 < len(rest) && isWordChar(rest[i+1]) {
			n := rest[i+1]
			if n >= 'a' && n <= 'z' {
				n -= 'a' - 'A'
			}
			b.WriteByte(n)
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isWordChar(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// camelCaseTimes applies camelCase n times (stopping early once stable).
func camelCaseTimes(s string, n uint64) string {
	for ; n > 0; n-- {
		c := camelCase(s)
		if c == s {
			break
		}
		s = c
	}
	return s
}

// camelize is Adapter.camelize. json4s's mapField visits a member after its
// value, and the R108 function camelized an object-valued member's value a
// second time, so a key under m object-valued ancestor members had
// camelCase applied 2^m times; only keys that still change after one pass
// (e.g. "a__b") notice.
func camelize(v *jvalue) *jvalue {
	return camelizeDepth(v, 0)
}

func camelizeDepth(v *jvalue, m uint) *jvalue {
	if v == nil {
		return nil
	}
	switch v.kind {
	case jObject:
		times := uint64(1) << min(m, 62)
		out := &jvalue{kind: jObject, obj: make([]jfield, len(v.obj))}
		for i, f := range v.obj {
			val := f.val
			if val != nil && val.kind == jObject {
				val = camelizeDepth(val, m+1)
			} else {
				val = camelizeDepth(val, m)
			}
			out.obj[i] = jfield{name: camelCaseTimes(f.name, times), val: val}
		}
		return out
	case jArray:
		out := &jvalue{kind: jArray, arr: make([]*jvalue, len(v.arr))}
		for i, e := range v.arr {
			out.arr[i] = camelizeDepth(e, m)
		}
		return out
	}
	return v
}

// parseEventJSON parses a webhook JSON the way json4s's parse did (members
// kept in order, duplicates kept) and returns R108's message on failure:
// "<what> failed to parse into JSON: [<reason>]".
func parseEventJSON(what, s string) (*jvalue, string) {
	v, err := parseJSON(s, dupKeep)
	if err != nil {
		return nil, what + " failed to parse into JSON: [" + err.Error() + "]"
	}
	return v, ""
}

// eventsFromList is Adapter.rawEventsListProcessor: all events when every
// one succeeded, otherwise only the failures, in order.
func eventsFromList(evs []RawEvent, errs []string) ([]RawEvent, []string) {
	if len(errs) > 0 {
		return nil, errs
	}
	if len(evs) == 0 {
		return nil, []string{"List of events is empty (should never happen, not catching empty list properly)"}
	}
	return evs, nil
}

// fail is a single-message failure.
func fail(msg string) ([]RawEvent, []string) { return nil, []string{msg} }

// one is a single-event success.
func one(ev RawEvent) ([]RawEvent, []string) { return []RawEvent{ev}, nil }
