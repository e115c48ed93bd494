package enrichment

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/furrowdata/furrow/enrich/enrichment/internal/md2"
	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/enrich/enrichment/lookup"
	"github.com/furrowdata/furrow/event"
)

// pii_enrichment_config (R108: pii.PiiPseudonymizerEnrichment).
//
// Each configured field is replaced, in config order, by the lowercase hex
// digest of (value + salt) in UTF-8 (Commons Codec DigestUtils.*Hex):
//
//   - a "pojo" field (one of the 18 scalar fields R108's ScalarMutators
//     knew) when it is not null;
//   - a "json" field (contexts, derived_contexts or unstruct_event): the
//     document is parsed, and under its top-level "data" member (an array of
//     self-describing entities, or one entity) every entity whose "schema"
//     matches schemaCriterion (iglu-scala-client rules) has the strings its
//     "data" object yields for jsonPath (Jayway semantics; a string array
//     element by element) hashed. The whole field is then printed again as
//     json4s compact did, whether or not anything matched.
//
// salt is the 2-0-0 strategy.pseudonymize.salt ("" for 1-0-0). emitEvent
// (2-0-0) makes PseudonymizeEvent return R108's pii_transformation event,
// which R108 stored in EnrichedEvent.pii; the enriched TSV has no such
// column and the PII seam has no output for it, so the enricher does not
// emit it. anonymousOnly (2-0-1) needs the SP-Anonymous header, which the
// seam does not pass: such a config is rejected at start-up.

// piiScalarFields are R108's pii.ScalarMutators.
var piiScalarFields = map[string]event.Field{
	"user_id": event.UserID, "user_ipaddress": event.UserIPAddress, "user_fingerprint": event.UserFingerprint,
	"domain_userid": event.DomainUserID, "network_userid": event.NetworkUserID, "ip_organization": event.IPOrganization,
	"ip_domain": event.IPDomain, "tr_orderid": event.TrOrderID, "ti_orderid": event.TiOrderID,
	"mkt_term": event.MktTerm, "mkt_content": event.MktContent, "se_category": event.SeCategory,
	"se_action": event.SeAction, "se_label": event.SeLabel, "se_property": event.SeProperty,
	"mkt_clickid": event.MktClickID, "refr_domain_userid": event.RefrDomainUserID, "domain_sessionid": event.DomainSessionID,
}

// piiJSONFields are R108's pii.JsonMutators.
var piiJSONFields = map[string]event.Field{
	"contexts": event.Contexts, "derived_contexts": event.DerivedContexts, "unstruct_event": event.UnstructEvent,
}

// piiHashes are the strategy's hash functions (lowercase hex digests).
var piiHashes = map[string]func([]byte) string{
	"MD2":     func(b []byte) string { s := md2.Sum(b); return hex.EncodeToString(s[:]) },
	"MD5":     func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) },
	"SHA-1":   func(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) },
	"SHA-256": func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) },
	"SHA-384": func(b []byte) string { s := sha512.Sum384(b); return hex.EncodeToString(s[:]) },
	"SHA-512": func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) },
}

type piiOp struct {
	field    event.Field
	name     string // the config's field name
	json     bool
	crit     lookup.Criterion
	path     *jsonpath.Path
	pathText string
	needle   string // "iglu:vendor/name/": no entity can match without it
}

type piiEnrichment struct {
	ops       []piiOp
	hash      func([]byte) string
	hashName  string
	salt      string
	emitEvent bool
}

// piiModified is one replacement, for the pii_transformation event.
type piiModified struct {
	field, original, modified string
	jsonPath, schema          string // json fields only
}

func newPII(cfg *PIIConfig, env *Env) (PII, error) {
	p := &piiEnrichment{salt: cfg.Strategy.Pseudonymize.Salt, emitEvent: cfg.EmitEvent}
	if cfg.AnonymousOnly {
		return nil, fmt.Errorf("anonymousOnly: not implemented (the enricher does not pass the SP-Anonymous header to the PII enrichment)")
	}
	hf := cfg.Strategy.Pseudonymize.HashFunction
	h, ok := piiHashes[hf]
	if !ok {
		return nil, fmt.Errorf("parameters.strategy.pseudonymize.hashFunction: Unknown function %s", hf)
	}
	p.hash, p.hashName = h, hf
	for i, f := range cfg.PII {
		switch {
		case f.Pojo != nil:
			fld, ok := piiScalarFields[f.Pojo.Field]
			if !ok {
				return nil, fmt.Errorf("parameters.pii[%d].pojo.field: The specified pojo field %s is not supported", i, f.Pojo.Field)
			}
			p.ops = append(p.ops, piiOp{field: fld, name: f.Pojo.Field})
		case f.JSON != nil:
			fld, ok := piiJSONFields[f.JSON.Field]
			if !ok {
				return nil, fmt.Errorf("parameters.pii[%d].json.field: The specified json field %s is not supported", i, f.JSON.Field)
			}
			crit, err := lookup.ParseCriterion(f.JSON.SchemaCriterion)
			if err != nil {
				return nil, fmt.Errorf("parameters.pii[%d].json.schemaCriterion: %v", i, err)
			}
			path, err := jsonpath.Compile(f.JSON.JSONPath)
			if err != nil {
				return nil, fmt.Errorf("parameters.pii[%d].json.jsonPath: %v", i, err)
			}
			p.ops = append(p.ops, piiOp{field: fld, name: f.JSON.Field, json: true, crit: crit, path: path, pathText: f.JSON.JSONPath,
				needle: "iglu:" + crit.Vendor + "/" + crit.Name + "/"})
		default:
			return nil, fmt.Errorf("parameters.pii[%d]: PII Configuration: pii field does not include 'pojo' nor 'json' fields", i)
		}
	}
	return p, nil
}

// scramble is PiiStrategyPseudonymize.scramble.
func (p *piiEnrichment) scramble(s string) string {
	b := make([]byte, 0, len(s)+len(p.salt))
	b = append(append(b, s...), p.salt...)
	return p.hash(b)
}

// Pseudonymize replaces the configured fields of e in place.
func (p *piiEnrichment) Pseudonymize(e *event.Event) { p.apply(e, nil) }

// PseudonymizeEvent is Pseudonymize that also returns R108's
// pii_transformation event (EnrichedEvent.pii): nil unless emitEvent is set
// and at least one value was replaced.
func (p *piiEnrichment) PseudonymizeEvent(e *event.Event) json.RawMessage {
	if !p.emitEvent {
		p.apply(e, nil)
		return nil
	}
	var mods []piiModified
	p.apply(e, &mods)
	if len(mods) == 0 {
		return nil
	}
	return p.transformationEvent(mods)
}

func (p *piiEnrichment) apply(e *event.Event, mods *[]piiModified) {
	for i := range p.ops {
		op := &p.ops[i]
		v := e.Fields[op.field]
		if v == "" {
			continue
		}
		if !op.json {
			h := p.scramble(v)
			e.Fields[op.field] = h
			if mods != nil {
				*mods = append(*mods, piiModified{field: op.name, original: v, modified: h})
			}
			continue
		}
		if out, ok := p.applyJSON(op, v, mods); ok {
			e.Fields[op.field] = out
		}
	}
}

// applyJSON is PiiJson.applyStrategy. ok is false when the field is not
// JSON (R108's parse threw; the event has failed validation already).
func (p *piiEnrichment) applyJSON(op *piiOp, s string, mods *[]piiModified) (string, bool) {
	if !strings.Contains(s, op.needle) {
		// Nothing can match. R108 still printed the document again, which
		// leaves the enricher's (already json4s-compact) text unchanged.
		return "", false
	}
	doc, err := jsonpath.Parse(s)
	if err != nil {
		return "", false
	}
	if doc.Kind == jsonpath.Object {
		for i := range doc.Obj {
			if doc.Obj[i].Key != "data" {
				continue
			}
			d := doc.Obj[i].Value
			if d.Kind == jsonpath.Array {
				for _, c := range d.Arr {
					p.modifyEntity(op, c, mods)
				}
			} else {
				p.modifyEntity(op, d, mods)
			}
		}
	}
	return string(jsonpath.AppendRender(make([]byte, 0, len(s)+len(s)/4), doc)), true
}

// modifyEntity is modifyObjectIfSchemaMatches + jsonPathReplace.
func (p *piiEnrichment) modifyEntity(op *piiOp, ent *jsonpath.Value, mods *[]piiModified) {
	if ent.Kind != jsonpath.Object {
		return
	}
	var schema, data *jsonpath.Value
	for i := range ent.Obj { // Scala's toMap: the last duplicate wins
		switch ent.Obj[i].Key {
		case "schema":
			schema = ent.Obj[i].Value
		case "data":
			data = ent.Obj[i].Value
		}
	}
	if schema == nil || schema.Kind != jsonpath.String || data == nil || data.Kind != jsonpath.Object {
		return
	}
	key, err := event.ParseSchemaKey(schema.Str)
	if err != nil || !op.crit.Matches(key) {
		return
	}
	op.path.Map(data, func(v *jsonpath.Value) *jsonpath.Value {
		switch v.Kind {
		case jsonpath.String:
			h := p.scramble(v.Str)
			if mods != nil {
				*mods = append(*mods, piiModified{op.name, v.Str, h, op.pathText, schema.Str})
			}
			return jsonpath.NewString(h)
		case jsonpath.Array:
			out := &jsonpath.Value{Kind: jsonpath.Array, Arr: make([]*jsonpath.Value, len(v.Arr))}
			for i, el := range v.Arr {
				out.Arr[i] = el
				if el.Kind == jsonpath.String {
					h := p.scramble(el.Str)
					if mods != nil {
						*mods = append(*mods, piiModified{op.name, el.Str, h, op.pathText, schema.Str})
					}
					out.Arr[i] = jsonpath.NewString(h)
				}
			}
			return out
		}
		return v
	})
}

// transformationEvent renders R108's pii event: an unstruct_event wrapping
// com.snowplowanalytics.snowplow/pii_transformation/jsonschema/1-0-0.
func (p *piiEnrichment) transformationEvent(mods []piiModified) json.RawMessage {
	var pojo, js []string
	for _, m := range mods {
		var b []byte
		b = append(b, `{"fieldName":`...)
		b = jsonpath.AppendString(b, m.field)
		b = append(b, `,"originalValue":`...)
		b = jsonpath.AppendString(b, m.original)
		b = append(b, `,"modifiedValue":`...)
		b = jsonpath.AppendString(b, m.modified)
		if m.schema != "" {
			b = append(b, `,"jsonPath":`...)
			b = jsonpath.AppendString(b, m.jsonPath)
			b = append(b, `,"schema":`...)
			b = jsonpath.AppendString(b, m.schema)
			js = append(js, string(b)+"}")
			continue
		}
		pojo = append(pojo, string(b)+"}")
	}
	var b strings.Builder
	b.WriteString(`{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.snowplowanalytics.snowplow/pii_transformation/jsonschema/1-0-0","data":{"pii":{`)
	if len(pojo) > 0 {
		b.WriteString(`"pojo":[` + strings.Join(pojo, ",") + "]")
	}
	if len(js) > 0 {
		if len(pojo) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"json":[` + strings.Join(js, ",") + "]")
	}
	b.WriteString(`},"strategy":{"pseudonymize":{"hashFunction":`)
	b.Write(jsonpath.AppendString(nil, p.hashName))
	b.WriteString(`}}}}}`)
	return json.RawMessage(b.String())
}
