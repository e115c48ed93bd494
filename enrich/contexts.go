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

// rawElements splits a compact JSON array into its elements.
func rawElements(arr string) ([]string, bool) {
	if len(arr) < 2 || arr[0] != '[' {
		return nil, false
	}
	var out []string
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
		i++
		for i < len(s) {
			switch s[i] {
			case '\\':
				i += 2
			case '"':
				return i + 1
			default:
				i++
			}
		}
		return i
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

// selfDescribing splits a compact JSON value into its schema key and data.
func selfDescribing(raw string) (event.SelfDescribing, string) {
	lit, data, hasSchema, hasData, _ := sdMembers(raw)
	if !hasSchema {
		return event.SelfDescribing{}, "JSON instance is not self-describing (schema property absent): " + raw
	}
	uri, ok := jsonString(lit)
	if !ok {
		return event.SelfDescribing{}, "JSON instance is not self-describing (schema property is not a string): " + raw
	}
	key, err := event.ParseSchemaKey(uri)
	if err != nil {
		return event.SelfDescribing{}, err.Error()
	}
	if !hasData {
		return event.SelfDescribing{}, "JSON instance is not self-describing (data property absent): " + raw
	}
	return event.SelfDescribing{Schema: key, Data: json.RawMessage(data)}, ""
}

// envelopeEntityOK reports whether raw conforms to the items of the
// contexts envelope (and to unstruct_event 1-0-0): an object with exactly
// "schema" (a string matching
// ^iglu:[a-zA-Z0-9-_.]+/[a-zA-Z0-9-_]+/[a-zA-Z0-9-_]+/[0-9]+-[0-9]+-[0-9]+$)
// and "data".
func envelopeEntityOK(raw string) bool {
	lit, _, hasSchema, hasData, others := sdMembers(raw)
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
	parts := strings.Split(rest, "/")
	if len(parts) != 4 {
		return false
	}
	for i, p := range parts[:3] {
		if p == "" {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || (c == '.' && i == 0)) {
				return false
			}
		}
	}
	v := strings.Split(parts[3], "-")
	if len(v) != 3 {
		return false
	}
	for _, n := range v {
		if !allASCIIDigits(n) {
			return false
		}
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
		elems, isArray := rawElements(data)
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
func (en *Enricher) envelope(ctx context.Context, field, raw, name string) (string, []string) {
	sd, msg := selfDescribing(raw)
	if msg != "" {
		return "", []string{msg}
	}
	k := sd.Schema
	if k.Vendor != "com.snowplowanalytics.snowplow" || k.Name != name || k.Format != "jsonschema" || k.Version.Model != 1 || k.Version.Revision != 0 {
		return "", []string{"Verifying schema as iglu:com.snowplowanalytics.snowplow/" + name + "/jsonschema/1-0-* failed: found " + k.String()}
	}
	if known, ok := nativeEnvelope(k, string(sd.Data)); !known || !ok {
		if err := en.resolver.Validate(ctx, k, sd.Data); err != nil {
			return "", []string{igluMessage(err)}
		}
	}
	return string(sd.Data), nil
}

// entity validates one self-describing entity against its schema.
func (en *Enricher) entity(ctx context.Context, raw string) (event.SelfDescribing, string) {
	sd, msg := selfDescribing(raw)
	if msg != "" {
		return sd, msg
	}
	if err := en.resolver.Validate(ctx, sd.Schema, sd.Data); err != nil {
		return sd, igluMessage(err)
	}
	return sd, ""
}

// validateContexts validates the contexts field: nil, nil when absent.
func (en *Enricher) validateContexts(ctx context.Context, raw string) ([]event.SelfDescribing, []string) {
	if raw == "" {
		return nil, nil
	}
	data, msgs := en.envelope(ctx, "contexts", raw, "contexts")
	if msgs != nil {
		return nil, msgs
	}
	elems, ok := rawElements(data)
	if !ok {
		return nil, []string{"contexts: the data of the contexts envelope is not an array"}
	}
	out := make([]event.SelfDescribing, 0, len(elems))
	for _, el := range elems {
		sd, msg := en.entity(ctx, el)
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

// validateUnstruct validates the unstruct_event field: nil, nil when
// absent.
func (en *Enricher) validateUnstruct(ctx context.Context, raw string) (*event.SelfDescribing, []string) {
	if raw == "" {
		return nil, nil
	}
	data, msgs := en.envelope(ctx, "unstruct_event", raw, "unstruct_event")
	if msgs != nil {
		return nil, msgs
	}
	sd, msg := en.entity(ctx, data)
	if msg != "" {
		return nil, []string{msg}
	}
	return &sd, nil
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

// extractSchema is SchemaEnrichment.extractSchema.
func extractSchema(eventType string, unstruct *event.SelfDescribing, unstructOK bool) (eventSchema, string) {
	if k, ok := eventSchemas[eventType]; ok {
		return k, ""
	}
	if eventType == "unstruct" {
		if unstruct == nil || !unstructOK {
			return eventSchema{}, "Unstructured event couldn't be extracted"
		}
		k := unstruct.Schema
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
	var b strings.Builder
	b.WriteString(`{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[`)
	for i, c := range ctxs {
		out, err := reformatJSON(string(c))
		if err != "" {
			return "", "Invalid derived context [" + string(c) + "]: " + err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(out)
	}
	b.WriteString("]}")
	return b.String(), ""
}
