package lookup

import (
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/event"
)

func TestCriterionMatches(t *testing.T) {
	cases := []struct {
		crit, key string
		want      bool
	}{
		{"iglu:com.acme/e/jsonschema/1-*-*", "iglu:com.acme/e/jsonschema/1-3-7", true},
		{"iglu:com.acme/e/jsonschema/1-*-*", "iglu:com.acme/e/jsonschema/2-0-0", false},
		{"iglu:com.acme/e/jsonschema/1-0-*", "iglu:com.acme/e/jsonschema/1-0-9", true},
		{"iglu:com.acme/e/jsonschema/1-0-*", "iglu:com.acme/e/jsonschema/1-1-0", false},
		{"iglu:com.acme/e/jsonschema/1-1-*", "iglu:com.acme/e/jsonschema/1-0-5", true}, // revisions up to 1
		{"iglu:com.acme/e/jsonschema/1-1-0", "iglu:com.acme/e/jsonschema/1-0-9", true},
		{"iglu:com.acme/e/jsonschema/1-1-0", "iglu:com.acme/e/jsonschema/1-1-1", false},
		{"iglu:com.acme/e/jsonschema/1-*-2", "iglu:com.acme/e/jsonschema/1-5-2", true},
		{"iglu:com.acme/e/jsonschema/1-*-2", "iglu:com.acme/e/jsonschema/1-5-1", false},
		{"iglu:com.acme/e/jsonschema/1-*-*", "iglu:com.acme/other/jsonschema/1-0-0", false},
		{"iglu:com.acme/e/jsonschema/1-*-*", "iglu:com.acme.x/e/jsonschema/1-0-0", false},
	}
	for _, c := range cases {
		cr, err := ParseCriterion(c.crit)
		if err != nil {
			t.Fatal(err)
		}
		k, err := event.ParseSchemaKey(c.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := cr.Matches(k); got != c.want {
			t.Errorf("%s matches %s = %v, want %v", c.crit, c.key, got, c.want)
		}
	}
	for _, bad := range []string{"iglu:a/b/c/1-0", "a/b/c/1-0-0", "iglu:a/b/c/x-0-0", "iglu:a b/c/d/1-0-0"} {
		if _, err := ParseCriterion(bad); err == nil {
			t.Errorf("ParseCriterion(%q) accepted", bad)
		}
	}
}

func TestCriterionPrefix(t *testing.T) {
	cases := map[string]string{
		"iglu:com.acme/e/jsonschema/1-*-*": "iglu:com.acme/e/jsonschema/1-",
		"iglu:com.acme/e/jsonschema/*-*-*": "iglu:com.acme/e/jsonschema/",
		"iglu:com.acme/e/jsonschema/1-0-*": "iglu:com.acme/e/jsonschema/1-0-",
		"iglu:com.acme/e/jsonschema/1-0-1": "iglu:com.acme/e/jsonschema/1-0-1",
	}
	for in, want := range cases {
		if got, ok := CriterionPrefix(in); !ok || got != want {
			t.Errorf("CriterionPrefix(%s) = %s, %v; want %s", in, got, ok, want)
		}
	}
	if _, ok := CriterionPrefix("iglu:com.acme/e/jsonschema/0-0-0"); ok {
		t.Error("model 0 accepted (R108's regex requires 1-9 first)")
	}
	ents := []*Entity{{Schema: "iglu:com.acme/e/jsonschema/1-0-10", Raw: []byte(`{"a":1}`)}, {Schema: "iglu:com.acme/e/jsonschema/1-0-1", Raw: []byte(`{"a":2}`)}}
	// R108 matched by string prefix: "1-0-1" also matches 1-0-10.
	if e := FirstData(ents, "iglu:com.acme/e/jsonschema/1-0-1"); e != ents[0] {
		t.Errorf("FirstData picked %v", e)
	}
	if d, err := ents[1].Data(); err != nil || jsonpath.Render(d) != `{"a":2}` {
		t.Errorf("Data() = %v, %v", d, err)
	}
	if FirstData(ents, "iglu:com.other/") != nil {
		t.Error("FirstData matched another vendor")
	}
}

func TestWrapAndPojoTypes(t *testing.T) {
	a, b := jsonpath.NewString("a"), jsonpath.NewInt("1")
	if Wrap(nil) != nil || Wrap([]*jsonpath.Value{a}) != a || jsonpath.Render(Wrap([]*jsonpath.Value{a, b})) != `["a",1]` {
		t.Error("Wrap is not R108's wrapArray")
	}
	for f, want := range map[event.Field]JavaType{event.AppID: JavaString, event.GeoLatitude: JavaFloat, event.PageURLPort: JavaInteger,
		event.BrFeaturesPDF: JavaByte, event.TxnID: JavaString, event.TiQuantity: JavaInteger, event.DvceIsMobile: JavaByte} {
		if got := PojoType(f); got != want {
			t.Errorf("PojoType(%s) = %s, want %s", f.Name(), got, want)
		}
	}
}
