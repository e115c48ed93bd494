package enrichment

import (
	"errors"
	"slices"

	"github.com/furrowdata/furrow/event"
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
	if len(out) > 4 {
		slices.SortStableFunc(out, func(a, b KeyValue) int {
			oa, ob := scalaHashMapOrder(a.Key), scalaHashMapOrder(b.Key)
			switch {
			case oa < ob:
				return -1
			case oa > ob:
				return 1
			}
			return 0
		})
	}
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

// scalaHashMapOrder is the iteration position of a String key in a Scala
// 2.11 immutable HashMap (smaller first): the chunks of 5 bits of the
// improved hash, least significant chunk first.
func scalaHashMapOrder(key string) uint64 {
	h := javaStringHashCode(key)
	h += ^(h << 9) // scala.collection.immutable.HashMap.improve
	h ^= h >> 14
	h += h << 4
	h ^= h >> 10
	var o uint64
	for i := 0; i < 7; i++ {
		o = o<<5 | uint64(h>>(5*uint(i))&31)
	}
	return o
}

// javaStringHashCode is java.lang.String.hashCode (over UTF-16 code units).
func javaStringHashCode(key string) uint32 {
	var h uint32
	for _, r := range key {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + uint32(0xD800+(r>>10))
			h = 31*h + uint32(0xDC00+(r&0x3FF))
		} else {
			h = 31*h + uint32(r)
		}
	}
	return h
}
