package enrichment

import (
	"errors"
	"slices"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/scalamap"
)

// campaign_attribution, as R108's CampaignAttributionEnrichment.
//
// Each mkt_* field takes the value of the first parameter of its list
// (fields.mktMedium, …) that the page querystring has; the querystring is a
// map (a repeated name keeps its last value) and a present parameter wins
// even when its value is empty. The five lists are required (R108 failed to
// load without them); "mapping" is not read, as in R108.
//
// Click ids: R108 always used its default networks gclid → Google, msclkid
// → Microsoft, dclid → DoubleClick, for 1-0-0 configs too; a 1-0-1 config's
// fields.mktClickId adds networks or renames the network of a default one.
// The first pair of that combined Scala Map whose parameter is in the
// querystring sets mkt_clickid (its value) and mkt_network (the network).
// The combined map's order is Scala's: with at most four entries the
// defaults first, then the config's new parameters in document order; with
// five or more, the order of a Scala 2.11 HashMap (the 5-bit chunks of the
// improved String.hashCode, least significant first).

type campaignAttribution struct {
	medium, source, term, content, campaign []string
	clickIDs                                []KeyValue // in R108's search order
}

// campaignDefaultNetworks is R108's DefaultNetworkMap, in its order.
var campaignDefaultNetworks = []KeyValue{
	{"gclid", "Google"}, {"msclkid", "Microsoft"}, {"dclid", "DoubleClick"},
}

func newCampaignAttribution(cfg *CampaignAttributionConfig, _ *Env) (CampaignAttribution, error) {
	f := cfg.Fields
	var errs []error
	for _, c := range []struct {
		key  string
		list []string
	}{
		{"fields.mktMedium", f.MktMedium}, {"fields.mktSource", f.MktSource}, {"fields.mktTerm", f.MktTerm},
		{"fields.mktContent", f.MktContent}, {"fields.mktCampaign", f.MktCampaign},
	} {
		if c.list == nil {
			errs = append(errs, errors.New(c.key+": missing (a list of querystring parameters is required)"))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &campaignAttribution{
		medium: f.MktMedium, source: f.MktSource, term: f.MktTerm, content: f.MktContent, campaign: f.MktCampaign,
		clickIDs: campaignClickIDs(f.MktClickID),
	}, nil
}

// campaignClickIDs is (DefaultNetworkMap ++ custom).toList of R108.
func campaignClickIDs(custom []KeyValue) []KeyValue {
	out := slices.Clone(campaignDefaultNetworks)
	for _, kv := range custom {
		if i := slices.IndexFunc(out, func(x KeyValue) bool { return x.Key == kv.Key }); i >= 0 {
			out[i].Value = kv.Value // Map.updated keeps the key's place
		} else {
			out = append(out, kv)
		}
	}
	scalamap.SortStable(out, func(kv KeyValue) string { return kv.Key })
	return out
}

// Attribute sets the mkt_* fields from the page querystring.
func (c *campaignAttribution) Attribute(q Query, e *event.Event) error {
	e.Fields[event.MktMedium] = campaignFirst(c.medium, q)
	e.Fields[event.MktSource] = campaignFirst(c.source, q)
	e.Fields[event.MktTerm] = campaignFirst(c.term, q)
	e.Fields[event.MktContent] = campaignFirst(c.content, q)
	e.Fields[event.MktCampaign] = campaignFirst(c.campaign, q)
	e.Fields[event.MktClickID], e.Fields[event.MktNetwork] = "", ""
	for _, kv := range c.clickIDs {
		if v, ok := q.Get(kv.Key); ok {
			e.Fields[event.MktClickID], e.Fields[event.MktNetwork] = v, kv.Value
			break
		}
	}
	return nil
}

// campaignFirst is getFirstParameter: the value of the first name of names
// that q has.
func campaignFirst(names []string, q Query) string {
	if len(q) == 0 {
		return ""
	}
	for _, n := range names {
		if v, ok := q.Get(n); ok {
			return v
		}
	}
	return ""
}
