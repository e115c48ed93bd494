package enrichment

import (
	"slices"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/scalamap"
)

func campaignTestConfig(clickIDs ...KeyValue) *CampaignAttributionConfig {
	return &CampaignAttributionConfig{Mapping: "static", Fields: CampaignFields{
		MktMedium:   []string{"utm_medium", "medium"},
		MktSource:   []string{"utm_source", "source"},
		MktTerm:     []string{"utm_term", "legacy_term"},
		MktContent:  []string{"utm_content"},
		MktCampaign: []string{"utm_campaign", "cid", "legacy_campaign"},
		MktClickID:  clickIDs,
	}}
}

func campaignQuery(s string) Query {
	var q Query
	for _, kv := range strings.Split(s, "&") {
		if kv == "" {
			continue
		}
		n, v, ok := strings.Cut(kv, "=")
		q = append(q, QueryParam{Name: n, Value: v, Null: !ok})
	}
	return q
}

func mktFields(e *event.Event) string {
	return strings.Join([]string{e.Fields[event.MktMedium], e.Fields[event.MktSource], e.Fields[event.MktTerm],
		e.Fields[event.MktContent], e.Fields[event.MktCampaign], e.Fields[event.MktClickID], e.Fields[event.MktNetwork]}, "|")
}

func TestCampaignAttribution(t *testing.T) {
	c, err := newCampaignAttribution(campaignTestConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// medium|source|term|content|campaign|clickid|network
	cases := []struct{ q, want string }{
		{"utm_source=google&utm_medium=cpc&utm_term=tents&utm_content=ad1&utm_campaign=spring", "cpc|google|tents|ad1|spring||"},
		// Priority follows the list, not the querystring.
		{"medium=email&utm_medium=cpc&source=news", "cpc|news|||||"},
		{"cid=42&legacy_campaign=old", "||||42||"},
		// A present parameter wins even when empty or without '='.
		{"utm_medium=&medium=email", "||||||"},
		{"utm_medium&medium=email", "||||||"},
		// A repeated name keeps its last value.
		{"utm_source=a&utm_source=b", "|b|||||"},
		// Click ids: R108's default networks, also for 1-0-0 configs.
		{"gclid=abc&utm_source=google", "|google||||abc|Google"},
		{"msclkid=m1&dclid=d1", "|||||m1|Microsoft"},
		{"dclid=d1&gclid=g1", "|||||g1|Google"}, // gclid comes first in the map
		{"fbclid=f1", "||||||"},
		{"", "||||||"},
	}
	for _, tc := range cases {
		var e event.Event
		e.Fields[event.MktClickID] = "stale"
		if err := c.Attribute(campaignQuery(tc.q), &e); err != nil {
			t.Fatal(err)
		}
		if got := mktFields(&e); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.q, got, tc.want)
		}
	}
}

func TestCampaignClickIDOrder(t *testing.T) {
	keys := func(kvs []KeyValue) []string {
		var out []string
		for _, kv := range kvs {
			out = append(out, kv.Key+"="+kv.Value)
		}
		return out
	}
	// Up to four entries: the defaults in order, a renamed default keeps
	// its place, a new parameter comes last.
	got := keys(campaignClickIDs([]KeyValue{{"fbclid", "Facebook"}, {"gclid", "AdWords"}}))
	want := []string{"gclid=AdWords", "msclkid=Microsoft", "dclid=DoubleClick", "fbclid=Facebook"}
	if !slices.Equal(got, want) {
		t.Errorf("four entries: %v, want %v", got, want)
	}
	// A repeated key in the document: the last value wins.
	got = keys(campaignClickIDs([]KeyValue{{"x", "1"}, {"x", "2"}}))
	if !slices.Equal(got, []string{"gclid=Google", "msclkid=Microsoft", "dclid=DoubleClick", "x=2"}) {
		t.Errorf("repeated key: %v", got)
	}
	// Five or more: Scala HashMap order.
	ids := campaignClickIDs([]KeyValue{{"fbclid", "Facebook"}, {"ttclid", "TikTok"}})
	if len(ids) != 5 {
		t.Fatalf("got %v", ids)
	}
	for i := 1; i < len(ids); i++ {
		if scalamap.Order(ids[i-1].Key) > scalamap.Order(ids[i].Key) {
			t.Errorf("not in HashMap order: %v", keys(ids))
		}
	}
	// The 1-0-1 custom network is used.
	c, err := newCampaignAttribution(campaignTestConfig(KeyValue{"fbclid", "Facebook"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := c.Attribute(campaignQuery("fbclid=F1"), &e); err != nil {
		t.Fatal(err)
	}
	if e.Fields[event.MktClickID] != "F1" || e.Fields[event.MktNetwork] != "Facebook" {
		t.Errorf("custom click id: %s", mktFields(&e))
	}
}

func TestCampaignConfigErrors(t *testing.T) {
	cfg := campaignTestConfig()
	cfg.Fields.MktTerm = nil
	cfg.Fields.MktCampaign = nil
	_, err := newCampaignAttribution(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "fields.mktTerm") || !strings.Contains(err.Error(), "fields.mktCampaign") {
		t.Errorf("got %v", err)
	}
	cfg = campaignTestConfig()
	cfg.Fields.MktContent = []string{} // present but empty is valid
	if _, err := newCampaignAttribution(cfg, nil); err != nil {
		t.Errorf("empty list: %v", err)
	}
}
