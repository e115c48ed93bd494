package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

// This file reproduces R108's Shredder.extractAndValidateCustomContexts and
// extractAndValidateUnstructEvent (the envelope must be
// com.snowplowanalytics.snowplow/contexts or unstruct_event 1-0-* and valid
// against it; each entity must be self-describing and valid against its
// schema), SchemaEnrichment.extractSchema and
// MiscEnrichments.formatDerivedContexts.

// rawElements appends the elements of a compact JSON array to out.
func rawElements(arr string, out []string) ([]string, bool) {
	if len(arr) < 2 || arr[0] != '[' {
		return out, false
	}
	i := 1
	for i < len(arr) && arr[i] != ']' {
		end := skipJSON(arr, i)
		out = append(out, arr[i:end])
		i = end
		if i < len(arr) && arr[i] == ',' {
			i++
		}
	}
	return out, true
}

// skipJSON returns the end of the compact JSON value starting at i.
func skipJSON(s string, i int) int {
	switch s[i] {
	case '"':
		// The closing quote is the first one not escaped by an odd run of
		// backslashes.
		i++
		for {
			q := strings.IndexByte(s[i:], '"')
			if q < 0 {
				return len(s)
			}
			q += i
			bs := 0
			for j := q - 1; j >= i && s[j] == '\\'; j-- {
				bs++
			}
			if bs%2 == 0 {
				return q + 1
			}
			i = q + 1
		}
	case '{', '[':
		depth := 0
		for i < len(s) {
			switch s[i] {
			case '"':
				i = skipJSON(s, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(s) && s[i] != ',' && s[i] != '}' && s[i] != ']' {
		i++
	}
	return i
}

// jsonStringEquals reports whether the JSON string literal lit is name.
func jsonStringEquals(lit, name string) bool {
	if len(lit) == len(name)+2 && lit[1:len(lit)-1] == name {
		return true
	}
	if strings.IndexByte(lit, '\\') < 0 {
		return false
	}
	s, ok := jsonString(lit)
	return ok && s == name
}

// jsonString decodes a JSON string literal.
func jsonString(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '"' {
		return "", false
	}
	if strings.IndexByte(lit, '\\') < 0 {
		return lit[1 : len(lit)-1], true
	}
	var s string
	if err := json.Unmarshal([]byte(lit), &s); err != nil {
		return "", false
	}
	return s, true
}

// sdMembers scans a compact JSON object once for its "schema" and "data"
// members (raw JSON) and reports whether it has other members.
func sdMembers(obj string) (schema, data string, hasSchema, hasData, others bool) {
	if len(obj) < 2 || obj[0] != '{' {
		return "", "", false, false, false
	}
	i := 1
	for i < len(obj) && obj[i] != '}' {
		kEnd := skipJSON(obj, i)
		key := obj[i:kEnd]
		vStart := kEnd + 1 // ':'
		vEnd := skipJSON(obj, vStart)
		switch {
		case jsonStringEquals(key, "schema"):
			schema, hasSchema = obj[vStart:vEnd], true
		case jsonStringEquals(key, "data"):
			data, hasData = obj[vStart:vEnd], true
		default:
			others = true
		}
		i = vEnd
		if i < len(obj) && obj[i] == ',' {
			i++
		}
	}
	return schema, data, hasSchema, hasData, others
}

// entityRef is a self-describing entity of an event: its schema key and
// its data (compact JSON, a substring of the event's field).
type entityRef struct {
	key  event.SchemaKey
	data string
}

// selfDescribing splits a compact JSON value into its schema key and data.
func selfDescribing(raw string) (entityRef, string) {
	lit, data, hasSchema, hasData, _ := sdMembers(raw)
	return selfDescribingMembers(raw, lit, data, hasSchema, hasData)
}

// selfDescribingMembers is selfDescribing of raw's members as sdMembers
// returns them.
func selfDescribingMembers(raw, lit, data string, hasSchema, hasData bool) (entityRef, string) {
	if !hasSchema {
		return entityRef{}, "JSON instance is not self-describing (schema property absent): " + raw
	}
	uri, ok := jsonString(lit)
	if !ok {
		return entityRef{}, "JSON instance is not self-describing (schema property is not a string): " + raw
	}
	key, err := event.ParseSchemaKey(uri)
	if err != nil {
		return entityRef{}, err.Error()
	}
	if !hasData {
		return entityRef{}, "JSON instance is not self-describing (data property absent): " + raw
	}
	return entityRef{key: key, data: data}, ""
}

// selfDescribingList converts entities to event.SelfDescribing values (for
// the enrichments that read them).
func selfDescribingList(refs []entityRef) []event.SelfDescribing {
	if refs == nil {
		return nil
	}
	out := make([]event.SelfDescribing, len(refs))
	for i, r := range refs {
		out[i] = event.SelfDescribing{Schema: r.key, Data: json.RawMessage(r.data)}
	}
	return out
}

// envelopeEntityOK reports whether raw conforms to the items of the
// contexts envelope (and to unstruct_event 1-0-0): an object with exactly
// "schema" (a string matching
// ^iglu:[a-zA-Z0-9-_.]+/[a-zA-Z0-9-_]+/[a-zA-Z0-9-_]+/[0-9]+-[0-9]+-[0-9]+$)
// and "data".
func envelopeEntityOK(raw string) bool {
	lit, _, hasSchema, hasData, others := sdMembers(raw)
	return envelopeMembersOK(lit, hasSchema, hasData, others)
}

// envelopeMembersOK is envelopeEntityOK of an object's members as
// sdMembers returns them.
func envelopeMembersOK(lit string, hasSchema, hasData, others bool) bool {
	if !hasSchema || !hasData || others {
		return false
	}
	uri, ok := jsonString(lit)
	if !ok {
		return false
	}
	rest, ok := strings.CutPrefix(uri, "iglu:")
	if !ok {
		return false
	}
	for i := range 3 {
		part, tail, found := strings.Cut(rest, "/")
		if !found || part == "" {
			return false
		}
		for j := 0; j < len(part); j++ {
			c := part[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || (c == '.' && i == 0)) {
				return false
			}
		}
		rest = tail
	}
	// rest is the version: exactly three '-'-separated digit runs (and no
	// further '/').
	for i := range 3 {
		n, tail, found := strings.Cut(rest, "-")
		if found == (i == 2) || !allASCIIDigits(n) {
			return false
		}
		rest = tail
	}
	return true
}

// nativeEnvelope checks the data of the built-in envelope schemas
// (contexts 1-0-0 and 1-0-1, unstruct_event 1-0-0) without the JSON Schema
// validator. known is false for other versions; ok true means the data
// conforms. A false ok is confirmed (and worded) by the resolver.
func nativeEnvelope(k event.SchemaKey, data string) (known, ok bool) {
	if k.Vendor != "com.snowplowanalytics.snowplow" || k.Format != "jsonschema" || k.Version.Model != 1 || k.Version.Revision != 0 {
		return false, false
	}
	switch {
	case k.Name == "unstruct_event" && k.Version.Addition == 0:
		return true, envelopeEntityOK(data)
	case k.Name == "contexts" && k.Version.Addition <= 1:
		var buf [8]string
		elems, isArray := rawElements(data, buf[:0])
		if !isArray || (k.Version.Addition == 0 && len(elems) == 0) {
			return true, false
		}
		for _, el := range elems {
			if !envelopeEntityOK(el) {
				return true, false
			}
		}
		return true, true
	}
	return false, false
}

// igluMessage renders a resolver failure as iglu-scala-client's
// ProcessingMessage did for a schema that no repository has; other errors
// keep the iglu package's one-line text.
func igluMessage(err error) string {
	var re *iglu.ResolutionError
	if errors.As(err, &re) && len(re.Failures) == 0 {
		b, _ := json.Marshal(struct {
			Level        string   `json:"level"`
			Message      string   `json:"message"`
			Repositories []string `json:"repositories"`
		}{"error", re.SnowplowMessage(), re.Tried})
		return string(b)
	}
	return err.Error()
}

// envelope checks the self-describing wrapper of a JSON field against
// name 1-0-* and validates its data, returning the data.
func (en *Enricher) envelope(ctx context.Context, raw, name string) (string, []string) {
	sd, msg := selfDescribing(raw)
	if msg != "" {
		return "", []string{msg}
	}
	k := sd.key
	if k.Vendor != "com.snowplowanalytics.snowplow" || k.Name != name || k.Format != "jsonschema" || k.Version.Model != 1 || k.Version.Revision != 0 {
		return "", []string{"Verifying schema as iglu:com.snowplowanalytics.snowplow/" + name + "/jsonschema/1-0-* failed: found " + k.String()}
	}
	if known, ok := nativeEnvelope(k, sd.data); !known || !ok {
		if err := en.resolver.ValidateString(ctx, k, sd.data); err != nil {
			return "", []string{igluMessage(err)}
		}
	}
	return sd.data, nil
}

// entity validates one self-describing entity against its schema.
func (en *Enricher) entity(ctx context.Context, raw string) (entityRef, string) {
	sd, msg := selfDescribing(raw)
	if msg != "" {
		return sd, msg
	}
	if err := en.resolver.ValidateString(ctx, sd.key, sd.data); err != nil {
		return sd, igluMessage(err)
	}
	return sd, ""
}

// validateContexts validates the contexts field (nil, nil when absent),
// appending its entities to out. For the built-in envelopes the array is
// split once: each element's members serve both the envelope check and
// the entity's own validation.
func (en *Enricher) validateContexts(ctx context.Context, raw string, out []entityRef) ([]entityRef, []string) {
	if raw == "" {
		return nil, nil
	}
	env, msg := selfDescribing(raw)
	if msg != "" {
		return nil, []string{msg}
	}
	k := env.key
	if k.Vendor != "com.snowplowanalytics.snowplow" || k.Name != "contexts" || k.Format != "jsonschema" || k.Version.Model != 1 || k.Version.Revision != 0 {
		return nil, []string{"Verifying schema as iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-* failed: found " + k.String()}
	}
	var buf [8]string
	elems, isArray := rawElements(env.data, buf[:0])
	type members struct {
		lit, data                 string
		hasSchema, hasData, other bool
	}
	var mbuf [8]members
	ms := mbuf[:0]
	nativeOK := isArray && k.Version.Addition <= 1 && (k.Version.Addition == 1 || len(elems) > 0)
	for _, el := range elems {
		var m members
		m.lit, m.data, m.hasSchema, m.hasData, m.other = sdMembers(el)
		ms = append(ms, m)
		if nativeOK && !envelopeMembersOK(m.lit, m.hasSchema, m.hasData, m.other) {
			nativeOK = false
		}
	}
	if !nativeOK {
		// Not a built-in envelope version, or data the native check
		// rejects: the envelope schema decides and words the error.
		if err := en.resolver.ValidateString(ctx, k, env.data); err != nil {
			return nil, []string{igluMessage(err)}
		}
		if !isArray {
			return nil, []string{"contexts: the data of the contexts envelope is not an array"}
		}
	}
	var msgs []string
	for i, el := range elems {
		m := ms[i]
		sd, msg := selfDescribingMembers(el, m.lit, m.data, m.hasSchema, m.hasData)
		if msg == "" {
			if err := en.resolver.ValidateString(ctx, sd.key, sd.data); err != nil {
				msg = igluMessage(err)
			}
		}
		if msg != "" {
			msgs = append(msgs, msg)
			continue
		}
		out = append(out, sd)
	}
	if msgs != nil {
		return nil, msgs
	}
	return out, nil
}

// validateUnstruct validates the unstruct_event field: ok false when
// absent.
func (en *Enricher) validateUnstruct(ctx context.Context, raw string) (entityRef, bool, []string) {
	if raw == "" {
		return entityRef{}, false, nil
	}
	data, msgs := en.envelope(ctx, raw, "unstruct_event")
	if msgs != nil {
		return entityRef{}, false, msgs
	}
	sd, msg := en.entity(ctx, data)
	if msg != "" {
		return entityRef{}, false, []string{msg}
	}
	return sd, true, nil
}

// eventSchema is the event_vendor, event_name, event_format and
// event_version of an event.
type eventSchema struct{ vendor, name, format, version string }

// Fixed schemas of the non-unstruct event types (SchemaEnrichment).
var eventSchemas = map[string]eventSchema{
	"page_view":        {"com.snowplowanalytics.snowplow", "page_view", "jsonschema", "1-0-0"},
	"page_ping":        {"com.snowplowanalytics.snowplow", "page_ping", "jsonschema", "1-0-0"},
	"transaction":      {"com.snowplowanalytics.snowplow", "transaction", "jsonschema", "1-0-0"},
	"transaction_item": {"com.snowplowanalytics.snowplow", "transaction_item", "jsonschema", "1-0-0"},
	"struct":           {"com.google.analytics", "event", "jsonschema", "1-0-0"},
}

// extractSchema is SchemaEnrichment.extractSchema; unstruct is the
// unstructured event when present and valid.
func extractSchema(eventType string, unstruct *entityRef) (eventSchema, string) {
	if k, ok := eventSchemas[eventType]; ok {
		return k, ""
	}
	if eventType == "unstruct" {
		if unstruct == nil {
			return eventSchema{}, "Unstructured event couldn't be extracted"
		}
		k := unstruct.key
		return eventSchema{k.Vendor, k.Name, k.Format, k.Version.String()}, ""
	}
	if eventType == "" {
		eventType = "null"
	}
	return eventSchema{}, "Unrecognized event [" + eventType + "]"
}

// formatDerivedContexts is MiscEnrichments.formatDerivedContexts: the
// contexts 1-0-1 wrapper around the derived contexts, each printed as
// json4s compact did. A context that is not JSON fails the event.
func formatDerivedContexts(ctxs []json.RawMessage) (string, string) {
	const head = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[`
	bp := fmtBufs.Get().(*[]byte)
	b := append((*bp)[:0], head...)
	for i, c := range ctxs {
		if i > 0 {
			b = append(b, ',')
		}
		var err string
		if b, err = appendReformatJSON(b, string(c)); err != "" {
			return "", "Invalid derived context [" + string(c) + "]: " + err
		}
	}
	b = append(b, "]}"...)
	out := string(b)
	if cap(b) <= 64<<10 {
		*bp = b
		fmtBufs.Put(bp)
	}
	return out, ""
}
