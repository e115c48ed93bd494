package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

type nameValue = collector.NameValue

// Vendors of the collector endpoints R108 understood.
const (
	vendorSnowplow     = "com.snowplowanalytics.snowplow"
	vendorRedirect     = "r"
	vendorIglu         = "com.snowplowanalytics.iglu"
	vendorCallrail     = "com.callrail"
	vendorCloudfront   = "com.amazon.aws.cloudfront"
	vendorMailchimp    = "com.mailchimp"
	vendorMailgun      = "com.mailgun"
	vendorMandrill     = "com.mandrill"
	vendorOlark        = "com.olark"
	vendorPagerduty    = "com.pagerduty"
	vendorPingdom      = "com.pingdom"
	vendorSendgrid     = "com.sendgrid"
	vendorStatusGator  = "com.statusgator"
	vendorUnbounce     = "com.unbounce"
	vendorUrbanAirship = "com.urbanairship.connect"
	vendorMarketo      = "com.marketo"
	vendorVero         = "com.getvero"
)

// Registry holds every adapter and dispatches a payload on its API vendor
// and version, as Scala Common Enrich's AdapterRegistry did. It is safe for
// concurrent use.
type Registry struct {
	resolver *iglu.Resolver
}

// NewRegistry returns the registry of all adapters. The resolver validates
// tracker-protocol POST bodies (payload_data); it may be nil, in which case
// such bodies fail with a message saying no resolver is configured.
func NewRegistry(resolver *iglu.Resolver) *Registry {
	return &Registry{resolver: resolver}
}

// ToRawEvents turns one collector payload into raw events. A failure returns
// the messages (one per problem) that become ONE bad row for the payload's
// line; no events are returned then. Payload.Querystring values are taken as
// already URL-decoded once (as Snowplow's loaders produced them); bodies are
// as the collector received them.
func (r *Registry) ToRawEvents(ctx context.Context, p *collector.Payload) ([]RawEvent, []string) {
	if p == nil {
		return nil, []string{"no collector payload"}
	}
	var evs []RawEvent
	var errs []string
	switch p.API.Vendor {
	case vendorSnowplow:
		switch p.API.Version {
		case "tp1":
			evs, errs = tp1ToRawEvents(p)
		case "tp2":
			evs, errs = r.tp2ToRawEvents(ctx, p)
		default:
			return nil, unsupported(p.API)
		}
	case vendorRedirect:
		if p.API.Version != "tp2" {
			return nil, unsupported(p.API)
		}
		evs, errs = redirectToRawEvents(p)
	default:
		f := webhook(p.API)
		if f == nil {
			return nil, unsupported(p.API)
		}
		evs, errs = f(p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(evs) == 0 {
		return nil, []string{"adapter produced no events (should never happen)"}
	}
	return evs, nil
}

// webhook returns the adapter of a webhook, Iglu or CloudFront endpoint.
func webhook(api collector.API) func(*collector.Payload) ([]RawEvent, []string) {
	switch api {
	case collector.API{Vendor: vendorIglu, Version: "v1"}:
		return igluToRawEvents
	case collector.API{Vendor: vendorCallrail, Version: "v1"}:
		return callrailToRawEvents
	case collector.API{Vendor: vendorCloudfront, Version: "wd_access_log"}:
		return cloudfrontToRawEvents
	case collector.API{Vendor: vendorMailchimp, Version: "v1"}:
		return mailchimpToRawEvents
	case collector.API{Vendor: vendorMailgun, Version: "v1"}:
		return mailgunToRawEvents
	case collector.API{Vendor: vendorMandrill, Version: "v1"}:
		return mandrillToRawEvents
	case collector.API{Vendor: vendorOlark, Version: "v1"}:
		return olarkToRawEvents
	case collector.API{Vendor: vendorPagerduty, Version: "v1"}:
		return pagerdutyToRawEvents
	case collector.API{Vendor: vendorPingdom, Version: "v1"}:
		return pingdomToRawEvents
	case collector.API{Vendor: vendorSendgrid, Version: "v3"}:
		return sendgridToRawEvents
	case collector.API{Vendor: vendorStatusGator, Version: "v1"}:
		return statusgatorToRawEvents
	case collector.API{Vendor: vendorUnbounce, Version: "v1"}:
		return unbounceToRawEvents
	case collector.API{Vendor: vendorUrbanAirship, Version: "v1"}:
		return urbanairshipToRawEvents
	case collector.API{Vendor: vendorMarketo, Version: "v1"}:
		return marketoToRawEvents
	case collector.API{Vendor: vendorVero, Version: "v1"}:
		return veroToRawEvents
	case collector.API{Vendor: vendorGoogleAnalytics, Version: "v1"}:
		return googleAnalyticsToRawEvents
	}
	return nil
}

func unsupported(api collector.API) []string {
	return []string{"Payload with vendor " + api.Vendor + " and version " + api.Version + " not supported by this version of Scala Common Enrich"}
}

// errNoResolver is returned (wrapped in a message) when a payload needs
// schema validation and the registry has no resolver.
var errNoResolver = errors.New("adapter: no Iglu resolver configured")

// validate looks key up with the registry's resolver and validates data (a
// value parsed from src) against it, without decoding the JSON again. A
// document that iglu's fast path finds valid on its text (strict JSON, so
// the same values as the parsed ones) skips the conversion and the full
// validator; any other goes through them for the verdict and the message.
func (r *Registry) validate(ctx context.Context, key event.SchemaKey, data *jvalue, src string) error {
	if r.resolver == nil {
		return errNoResolver
	}
	s, err := r.resolver.Lookup(ctx, key)
	if err != nil {
		return err
	}
	if data.end > data.start && data.end <= len(src) && s.QuickValid(src[data.start:data.end]) {
		return nil
	}
	return s.ValidateValue(toAny(data, src))
}

// toAny converts a parsed value to the form iglu validates (encoding/json
// with UseNumber: map[string]any, []any, string, json.Number, bool, nil);
// numbers keep their source text.
func toAny(v *jvalue, src string) any {
	switch v.kind {
	case jNull:
		return nil
	case jBool:
		return v.b
	case jInt, jDouble:
		if v.end > v.start && v.end <= len(src) {
			return json.Number(src[v.start:v.end])
		}
		if v.kind == jInt {
			return json.Number(v.s)
		}
		return json.Number(strconv.FormatFloat(v.f, 'g', -1, 64))
	case jString:
		return v.s
	case jArray:
		out := make([]any, len(v.arr))
		for i, e := range v.arr {
			out[i] = toAny(e, src)
		}
		return out
	case jObject:
		out := make(map[string]any, len(v.obj))
		for _, f := range v.obj {
			out[f.name] = toAny(f.val, src)
		}
		return out
	}
	return nil
}

// rawEvent builds a RawEvent from p with the given parameters.
func rawEvent(p *collector.Payload, params map[string]string) RawEvent {
	return RawEvent{API: p.API, Parameters: params, ContentType: p.ContentType, Source: p.Source, Context: p.Context}
}
