package adapter

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/internal/scalamap"
)

func gaPayload(body string) *collector.Payload {
	return &collector.Payload{
		API:    collector.API{Vendor: "com.google.analytics", Version: "v1"},
		Body:   body,
		Source: collector.Source{Name: "clj-tomcat", Encoding: "UTF-8"},
		Context: collector.Context{
			Timestamp: time.Date(2013, 8, 29, 0, 18, 48, 0, time.UTC),
			IPAddress: "37.157.33.123",
		},
	}
}

const (
	gaUE    = `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.google.analytics.measurement-protocol/`
	gaCO    = `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[`
	gaMP    = `{"schema":"iglu:com.google.analytics.measurement-protocol/`
	gaSchem = `/jsonschema/1-0-0","data":`
)

func gaHitCtx(hit string) string { return gaMP + "hit" + gaSchem + `{"type":"` + hit + `"}}` }
func gaCtx(name, data string) string {
	return gaMP + name + gaSchem + data + "}"
}
func gaUnstruct(name, data string) string { return gaUE + name + gaSchem + data + "}}" }
func gaContexts(ctxs ...string) string    { return gaCO + strings.Join(ctxs, ",") + "]}" }

// The cases of R108's GoogleAnalyticsAdapterSpec (e1–e15), their
// expectations re-derived for this package's RawEvent.
func TestGoogleAnalyticsSpecCases(t *testing.T) {
	pv := gaHitCtx("pageview")
	for _, tc := range []struct {
		name string
		body string
		want []map[string]string // extra parameters next to e, tv and p
		errs []string
	}{
		{name: "empty body", body: "", errs: []string{"Request body is empty: no GoogleAnalytics events to process"}},
		{name: "no t", body: "dl=docloc", errs: []string{"No GoogleAnalytics t parameter provided: cannot determine hit type"}},
		{name: "unknown hit type", body: "t=unknown&dl=docloc", errs: []string{
			"No matching GoogleAnalytics hit type for hit type unknown",
			"GoogleAnalytics event failed: type parameter [unknown] not recognized"}},
		{name: "page view", body: "t=pageview&dh=host&dp=path", want: []map[string]string{{
			"ue_pr": gaUnstruct("page_view", `{"documentHostName":"host","documentPath":"path"}`),
			"co":    gaContexts(pv)}}},
		{name: "added contexts", body: "t=pageview&dh=host&cid=id&v=version", want: []map[string]string{{
			"ue_pr": gaUnstruct("page_view", `{"documentHostName":"host"}`),
			"co": gaContexts(pv, gaCtx("user", `{"clientId":"id"}`),
				gaCtx("general", `{"protocolVersion":"version"}`))}}},
		{name: "direct mappings", body: "t=pageview&dp=path&uip=ip", want: []map[string]string{{
			"ue_pr": gaUnstruct("page_view", `{"documentPath":"path"}`),
			"co":    gaContexts(pv, gaCtx("session", `{"ipOverride":"ip"}`)),
			"ip":    "ip"}}},
		{name: "typed contexts", body: "t=item&in=name&ip=12.228&iq=12&aip=0", want: []map[string]string{{
			"ue_pr": gaUnstruct("item", `{"price":12.23,"name":"name","quantity":12}`),
			"co":    gaContexts(gaCtx("general", `{"anonymizeIp":false}`), gaHitCtx("item")),
			"ti_pr": "12.228", "ti_qu": "12", "ti_nm": "name"}}},
		{name: "page view as a context", body: "t=exception&exd=desc&exf=1&dh=host", want: []map[string]string{{
			"ue_pr": gaUnstruct("exception", `{"description":"desc","isFatal":true}`),
			"co":    gaContexts(gaHitCtx("exception"), gaCtx("page_view", `{"documentHostName":"host"}`))}}},
		{name: "product composite contexts", body: "t=transaction&ti=tr&cu=EUR&pr12id=ident&pr12cd42=val", want: []map[string]string{{
			"ue_pr": gaUnstruct("transaction", `{"currencyCode":"EUR","id":"tr"}`),
			"co": gaContexts(gaHitCtx("transaction"),
				gaCtx("product_custom_dimension", `{"dimensionIndex":42,"productIndex":12,"value":"val"}`),
				gaCtx("product", `{"currencyCode":"EUR","sku":"ident","index":12}`)),
			"tr_cu": "EUR", "tr_id": "tr"}}},
		{name: "impression composite contexts", body: "t=pageview&dp=path&il12pi42id=s&il12pi42cd36=dim", want: []map[string]string{{
			"ue_pr": gaUnstruct("page_view", `{"documentPath":"path"}`),
			"co": gaContexts(pv,
				gaCtx("product_impression_custom_dimension", `{"customDimensionIndex":36,"productIndex":42,"value":"dim","listIndex":12}`),
				gaCtx("product_impression", `{"productIndex":42,"sku":"s","listIndex":12}`))}}},
		{name: "conflicting composite contexts", body: "t=screenview&cd=name&cd12=dim", want: []map[string]string{{
			"ue_pr": gaUnstruct("screen_view", `{"screenName":"name"}`),
			"co":    gaContexts(gaHitCtx("screenview"), gaCtx("custom_dimension", `{"value":"dim","index":12}`))}}},
		{name: "repeated composite contexts", body: "t=pageview&dp=path&pr1id=s1&pr2id=s2&pr1cd1=v1&pr1cd2=v2", want: []map[string]string{{
			"ue_pr": gaUnstruct("page_view", `{"documentPath":"path"}`),
			"co": gaContexts(pv,
				gaCtx("product_custom_dimension", `{"dimensionIndex":1,"productIndex":1,"value":"v1"}`),
				gaCtx("product_custom_dimension", `{"dimensionIndex":2,"productIndex":1,"value":"v2"}`),
				gaCtx("product", `{"sku":"s1","index":1}`),
				gaCtx("product", `{"sku":"s2","index":2}`))}}},
		{name: "promo composite contexts", body: "t=pageview&dp=path&promoa=action&promo12id=id", want: []map[string]string{{
			"ue_pr": gaUnstruct("page_view", `{"documentPath":"path"}`),
			"co": gaContexts(pv, gaCtx("promotion_action", `{"promotionAction":"action"}`),
				gaCtx("promotion", `{"index":12,"id":"id"}`))}}},
		{name: "several hits", body: "t=pageview&dh=host&dp=path\nt=pageview&dh=host&dp=path", want: []map[string]string{
			{"ue_pr": gaUnstruct("page_view", `{"documentHostName":"host","documentPath":"path"}`), "co": gaContexts(pv)},
			{"ue_pr": gaUnstruct("page_view", `{"documentHostName":"host","documentPath":"path"}`), "co": gaContexts(pv)}}},
		{name: "composite contexts with cu", body: "t=pageview&dh=host&dp=path&cu=EUR&il1pi1pr=1&il1pi1nm=name1&il1pi1ps=1&il1pi1ca=cat1&il1pi1id=id1&il1pi1br=brand1&il1pi2pr=2&il1pi2nm=name2&il1pi2ps=2&il1pi2ca=cat2&il1pi2id=id2&il1pi2br=brand2&il2pi1pr=21&il2pi1nm=name21&il2pi1ps=21&il2pi1ca=cat21&il2pi1id=id21&il2pi1br=brand21",
			want: []map[string]string{{
				"ue_pr": gaUnstruct("page_view", `{"documentHostName":"host","documentPath":"path"}`),
				"co": gaContexts(pv,
					gaCtx("product_impression", `{"productIndex":1,"name":"name1","sku":"id1","price":1.0,"brand":"brand1","currencyCode":"EUR","category":"cat1","position":1,"listIndex":1}`),
					gaCtx("product_impression", `{"productIndex":2,"name":"name2","sku":"id2","price":2.0,"brand":"brand2","currencyCode":"EUR","category":"cat2","position":2,"listIndex":1}`),
					gaCtx("product_impression", `{"productIndex":1,"name":"name21","sku":"id21","price":21.0,"brand":"brand21","currencyCode":"EUR","category":"cat21","position":21,"listIndex":2}`)),
				"ti_cu": "EUR"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := gaPayload(tc.body)
			evs, errs := NewRegistry(nil).ToRawEvents(context.Background(), p)
			if tc.errs != nil {
				if !reflect.DeepEqual(errs, tc.errs) || evs != nil {
					t.Fatalf("got events %v errors %q, want errors %q", evs, errs, tc.errs)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors %q", errs)
			}
			if len(evs) != len(tc.want) {
				t.Fatalf("got %d events, want %d", len(evs), len(tc.want))
			}
			for i, ev := range evs {
				want := map[string]string{"e": "ue", "tv": "com.google.analytics.measurement-protocol-v1", "p": "srv"}
				for k, v := range tc.want[i] {
					want[k] = v
				}
				if !reflect.DeepEqual(ev.Parameters, want) {
					for k := range mergeKeys(want, ev.Parameters) {
						if ev.Parameters[k] != want[k] {
							t.Errorf("event %d %s:\n got %s\nwant %s", i, k, ev.Parameters[k], want[k])
						}
					}
				}
				if ev.API != p.API || !reflect.DeepEqual(ev.Context, p.Context) || ev.Source != p.Source || ev.ContentType != "" {
					t.Errorf("event %d envelope %+v", i, ev)
				}
			}
		})
	}
}

func mergeKeys(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestGoogleAnalyticsHitTypes: every hit type with every field of its
// schema, the value conversions and the parameters copied to the tracker
// protocol.
func TestGoogleAnalyticsHitTypes(t *testing.T) {
	for _, tc := range []struct {
		body, schema, data string
		co                 string // contexts after the hit context, "" = none
		direct             map[string]string
	}{
		{body: "t=pageview&dl=http%3A%2F%2Fa.b%2Fc&dt=Title", schema: "page_view",
			data:   `{"documentLocationUrl":"http://a.b/c","documentTitle":"Title"}`,
			direct: map[string]string{"url": "http://a.b/c", "page": "Title"}},
		{body: "t=screenview&cd=Home", schema: "screen_view", data: `{"screenName":"Home"}`},
		{body: "t=event&ec=cat&ea=act&el=lab&ev=-42", schema: "event",
			data: `{"category":"cat","value":-42,"label":"lab","action":"act"}`},
		{body: "t=transaction&ti=T1&ta=aff&tr=10.005&ts=1.015&tt=0.125&tcc=SAVE&cu=USD", schema: "transaction",
			data:   `{"affiliation":"aff","tax":0.12,"couponCode":"SAVE","id":"T1","revenue":10.0,"currencyCode":"USD","shipping":1.02}`,
			direct: map[string]string{"tr_id": "T1", "tr_af": "aff", "tr_tt": "10.005", "tr_sh": "1.015", "tr_tx": "0.125", "tr_cu": "USD"}},
		{body: "t=item&ti=T1&in=n&ip=1e3&iq=%2B3&ic=sku&iv=cat&cu=EUR", schema: "item",
			data:   `{"name":"n","quantity":3,"price":1000.0,"code":"sku","currencyCode":"EUR","category":"cat","transactionId":"T1"}`,
			direct: map[string]string{"ti_id": "T1", "ti_nm": "n", "ti_pr": "1e3", "ti_qu": "+3", "ti_sk": "sku", "ti_ca": "cat", "ti_cu": "EUR"}},
		{body: "t=social&sn=fb&sa=like&st=%2Fhome", schema: "social", data: `{"network":"fb","action":"like","actionTarget":"/home"}`},
		{body: "t=exception&exd=boom&exf=0", schema: "exception", data: `{"description":"boom","isFatal":false}`},
		{body: "t=timing&utc=c&utv=v&utt=1&utl=l&plt=2&dns=3&pdt=4&rrt=5&tcp=6&srt=7&dit=8&clt=9", schema: "timing",
			data: `{"userTimingCategory":"c","pageDownloadTime":4,"dnsTime":3,"redirectResponseTime":5,"userTimingVariableName":"v","userTimingTime":1,"pageLoadTime":2,"tcpConnectTime":6,"serverResponseTime":7,"userTimingLabel":"l","contentLoadTime":9,"domInteractiveTime":8}`},
	} {
		evs, errs := googleAnalyticsToRawEvents(gaPayload(tc.body))
		if len(errs) > 0 || len(evs) != 1 {
			t.Errorf("%s: errors %q", tc.body, errs)
			continue
		}
		p := evs[0].Parameters
		hit, _, _ := strings.Cut(tc.body[2:], "&")
		if want := gaUnstruct(tc.schema, tc.data); p["ue_pr"] != want {
			t.Errorf("%s: ue_pr\n got %s\nwant %s", tc.body, p["ue_pr"], want)
		}
		if want := gaContexts(gaHitCtx(hit)); p["co"] != want {
			t.Errorf("%s: co\n got %s\nwant %s", tc.body, p["co"], want)
		}
		for k, v := range tc.direct {
			if p[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.body, k, p[k], v)
			}
		}
		if len(p) != 5+len(tc.direct) {
			t.Errorf("%s: parameters %v", tc.body, p)
		}
	}
}

// TestGoogleAnalyticsContexts: every flat context schema and every
// composite one, including more than four of them (hash order of the
// Iglu SchemaKeys).
func TestGoogleAnalyticsContexts(t *testing.T) {
	evs, errs := googleAnalyticsToRawEvents(gaPayload(
		"v=1&tid=UA-1&aip=1&ds=web&qt=560&z=289&cid=c&uid=u&sc=start&uip=1.2.3.4&ua=Opera&geoid=US&dr=r&cn=n&cs=s&cm=m" +
			"&ck=k&cc=c&ci=i&gclid=g&dclid=d&sr=800x600&vp=12x34&de=UTF-8&sd=24-bits&ul=en&je=0&fl=10&linkid=l&an=app" +
			"&aid=ai&av=1.0&aiid=ii&pa=detail&pal=list&cos=2&col=opt&xid=x&xvar=1&t=event&ni=1&promoa=click" +
			"&a=1&jid=j&gjid=gj&_v=j66&_u=QA&_gid=g&_s=1&_r=1&dl=u&dh=h&dp=p&dt=t"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// (orders from Scala 2.11.12: SchemaKey hash order for the contexts)
	want := gaContexts(
		gaCtx("session", `{"userAgentOverride":"Opera","sessionControl":"start","ipOverride":"1.2.3.4","geographicalOverride":"US"}`),
		`{"schema":"iglu:com.google.analytics/private/jsonschema/1-0-0","data":{"s":1,"gid":"g","u":"QA","v":"j66","r":1}}`,
		gaCtx("page_view", `{"documentHostName":"h","documentTitle":"t","documentLocationUrl":"u","documentPath":"p"}`),
		gaCtx("traffic_source", `{"googleAdwordsId":"g","documentReferrer":"r","googleDisplayAdsId":"d","campaignSource":"s","campaignMedium":"m","campaignName":"n","campaignKeyword":"k","campaignId":"i","campaignContent":"c"}`),
		gaCtx("promotion_action", `{"promotionAction":"click"}`),
		gaCtx("user", `{"clientId":"c","userId":"u"}`),
		`{"schema":"iglu:com.google.analytics/undocumented/jsonschema/1-0-0","data":{"a":"1","jid":"j","gjid":"gj"}}`,
		gaCtx("app", `{"version":"1.0","installerId":"ii","id":"ai","name":"app"}`),
		gaCtx("product_action", `{"productAction":"detail","productActionList":"list","checkoutStep":2,"checkoutStepOption":"opt"}`),
		gaCtx("general", `{"protocolVersion":"1","trackingId":"UA-1","queueTime":560,"dataSource":"web","cacheBuster":"289","anonymizeIp":true}`),
		gaCtx("hit", `{"type":"event","nonInteractionHit":true}`),
		gaCtx("content_experiment", `{"id":"x","variant":"1"}`),
		gaCtx("system_info", `{"documentEncoding":"UTF-8","userLanguage":"en","screenColors":"24-bits","screenResolution":"800x600","flashVersion":"10","javaEnabled":false,"viewportSize":"12x34"}`),
		gaCtx("link", `{"id":"l"}`),
	)
	if got := evs[0].Parameters["co"]; got != want {
		t.Errorf("co\n got %s\nwant %s", got, want)
	}
	direct := map[string]string{"ip": "1.2.3.4", "refr": "r", "cs": "UTF-8", "cd": "24-bits", "lang": "en", "f_java": "0", "url": "u", "page": "t", "ua": "Opera"}
	for k, v := range direct {
		if evs[0].Parameters[k] != v {
			t.Errorf("%s = %q, want %q", k, evs[0].Parameters[k], v)
		}
	}

	// composite contexts of every kind, cu re-attached to the two that take it
	evs, errs = googleAnalyticsToRawEvents(gaPayload(
		"t=pageview&cu=EUR&pr1id=p&pr1nm=n&pr1br=b&pr1ca=c&pr1va=v&pr1pr=9.999&pr1qt=2&pr1cc=cc&pr1ps=1" +
			"&pr1cd2=d&pr1cm3=7&il1nm=list&il1pi2id=s&il1pi2cd3=x&il1pi2cm4=5&promo1id=pid&promo1nm=pn&promo1cr=pc&promo1ps=pp" +
			"&cd5=dim&cm6=1.5&cg7=grp"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// IFcd (and IFcm) values of every field feed every schema with that
	// index, so product_custom_dimension takes cd5's index as R108 did.
	want = gaContexts(gaHitCtx("pageview"),
		gaCtx("product_impression", `{"currencyCode":"EUR","productIndex":2,"sku":"s","listIndex":1}`),
		gaCtx("product_custom_dimension", `{"dimensionIndex":5,"productIndex":1,"value":"d"}`),
		gaCtx("product_impression_custom_metric", `{"value":5,"listIndex":1,"customMetricIndex":6,"productIndex":2}`),
		gaCtx("custom_dimension", `{"index":5,"value":"dim"}`),
		gaCtx("product_custom_metric", `{"value":7,"metricIndex":6,"productIndex":1}`),
		gaCtx("content_group", `{"value":"grp","index":7}`),
		gaCtx("custom_metric", `{"index":6,"value":1.5}`),
		gaCtx("product", `{"name":"n","quantity":2,"sku":"p","couponCode":"cc","price":10.0,"variant":"v","brand":"b","currencyCode":"EUR","category":"c","position":1,"index":1}`),
		gaCtx("product_impression_custom_dimension", `{"customDimensionIndex":5,"productIndex":2,"value":"x","listIndex":1}`),
		gaCtx("product_impression_list", `{"index":1,"name":"list"}`),
		gaCtx("promotion", `{"name":"pn","creative":"pc","id":"pid","position":"pp","index":1}`),
	)
	if got := evs[0].Parameters["co"]; got != want {
		t.Errorf("composite co\n got %s\nwant %s", got, want)
	}
}

// TestGoogleAnalyticsFailures: conversion failures (all of them, in map
// order), composite field names off the pattern, the failures of several
// lines, and the exceptions R108 let escape.
func TestGoogleAnalyticsFailures(t *testing.T) {
	const regex = `, it doesn't conform to the expected composite field regex: (pr|promo|il|cd|cm|cg)(\d+)([a-zA-Z]*)(\d*)([a-zA-Z]*)(\d*)$`
	for _, tc := range []struct {
		body string
		errs []string
	}{
		{"t=event&ev=x&ni=2&qt=1.5", []string{
			"Field [nonInteractionHit]: cannot convert [2] to boolean, only 1 or 0 are supported",
			"Field [queueTime]: cannot convert [1.5] to Int"}},
		{"t=event&ev=2147483648", []string{"Field [value]: cannot convert [2147483648] to Int"}},
		{"t=item&ip=1,5&iq=", []string{"Field [price]: cannot convert [1,5] to Double", "Field [quantity]: cannot convert [] to Int"}},
		{"t=pageview&utm5=x&pr1id=a", []string{"Cannot parse field name utm5" + regex}},
		{"t=pageview&pr1x2y3z=a&pr=b", []string{"Cannot parse field name pr1x2y3z" + regex}},
		{"t=pageview&cd%D9%A1=a", []string{"Cannot parse field name cd\u0661" + regex}},         // a Unicode digit counts
		{"t=pageview&pr1pr=x&pr1qt=y", []string{"Field [quantity]: cannot convert [y] to Int"}}, // the first in map order
		{"t=pageview&cm1=1e", []string{"Field [value]: cannot convert [1e] to Double"}},
		{"t=foo&exf=2\n\ndl=x\nt=exception&exf=3", []string{
			"No matching GoogleAnalytics hit type for hit type foo",
			"GoogleAnalytics event failed: type parameter [foo] not recognized",
			"No GoogleAnalytics t parameter provided: cannot determine hit type",
			"No GoogleAnalytics t parameter provided: cannot determine hit type",
			"Field [isFatal]: cannot convert [3] to boolean, only 1 or 0 are supported"}},
		{"t", []string{
			"No matching GoogleAnalytics hit type for hit type null",
			"GoogleAnalytics event failed: type parameter [null] not recognized"}},
		{"t=", []string{
			"No matching GoogleAnalytics hit type for hit type ",
			"GoogleAnalytics event failed: type parameter is empty - cannot determine event type"}},
		{"t=pageview\nt=page view", []string{
			"Unexpected error processing events: java.lang.IllegalArgumentException: Illegal character in query at index 24: http://localhost/?t=page view"}},
		{"t=event&ev", []string{"Unexpected error processing events: java.lang.NullPointerException"}},
		{"t=foo&pr1qt", []string{"Unexpected error processing events: java.lang.NullPointerException"}},
		{"t=item&ip", []string{"Unexpected error processing events: java.lang.NullPointerException"}},
	} {
		evs, errs := googleAnalyticsToRawEvents(gaPayload(tc.body))
		if evs != nil || !reflect.DeepEqual(errs, tc.errs) {
			t.Errorf("%q:\n got %q\nwant %q", tc.body, errs, tc.errs)
		}
	}
}

// TestGoogleAnalyticsEdgeCases: null values, line breaks, number forms.
func TestGoogleAnalyticsEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		body string
		ue   []string // ue_pr data per event
		co   string   // co of the first event, when given
	}{
		// a parameter without '=' is null: JSON null for strings
		{body: "t=pageview&dh", ue: []string{`{"documentHostName":null}`}},
		{body: "t=pageview&cu&pr1id=a", ue: []string{`{}`},
			co: gaContexts(gaHitCtx("pageview"), gaCtx("product", `{"currencyCode":null,"index":1,"sku":"a"}`))},
		// lines end at \n or \f, \r\n counts once, a final break starts no line
		{body: "t=pageview&dp=a\r\nt=pageview&dp=b\ft=pageview&dp=c\n", ue: []string{`{"documentPath":"a"}`, `{"documentPath":"b"}`, `{"documentPath":"c"}`}},
		// BigDecimal forms: exponents, Unicode digits, HALF_EVEN, no negative zero
		{body: "t=item&ip=0.125&iq=%D9%A1%D9%A2", ue: []string{`{"price":0.12,"quantity":12}`}},
		{body: "t=item&ip=-0.004", ue: []string{`{"price":0.0}`}},
		{body: "t=item&ip=0.135", ue: []string{`{"price":0.14}`}},
		{body: "t=item&ip=.5E1", ue: []string{`{"price":5.0}`}},
		{body: "t=item&ip=1e400", ue: []string{`{"price":"Infinity"}`}},
		{body: "t=item&ip=1e-4000000", ue: []string{`{"price":0.0}`}},
		{body: "t=pageview&cm1=-1E-400&cm2=12345678.9", ue: []string{`{}`},
			co: gaContexts(gaHitCtx("pageview"), gaCtx("custom_metric", `{"value":-0.0,"index":1}`), gaCtx("custom_metric", `{"value":1.23456789E7,"index":2}`))},
		// a ragged composite: the second row lacks a name
		{body: "t=pageview&pr1id=a&pr1nm=b&pr2id=c", ue: []string{`{}`},
			co: gaContexts(gaHitCtx("pageview"), gaCtx("product", `{"index":1,"sku":"a","name":"b"}`), gaCtx("product", `{"index":2,"sku":"c"}`))},
		// ... and when a short column comes before a longer one, values
		// shift onto the wrong keys (R108 zipped the keys with what was left)
		{body: "t=pageview&pr1br=X&pr1id=a&pr2id=c", ue: []string{`{}`},
			co: gaContexts(gaHitCtx("pageview"), gaCtx("product", `{"index":1,"brand":"X","sku":"a"}`), gaCtx("product", `{"index":2,"brand":"c"}`))},
	} {
		evs, errs := googleAnalyticsToRawEvents(gaPayload(tc.body))
		if len(errs) > 0 || len(evs) != len(tc.ue) {
			t.Errorf("%q: %d events, errors %q", tc.body, len(evs), errs)
			continue
		}
		for i, ev := range evs {
			s := ev.Parameters["ue_pr"]
			data := s[strings.LastIndex(s, `"data":`)+7 : len(s)-2]
			if data != tc.ue[i] {
				t.Errorf("%q event %d: data %s, want %s", tc.body, i, data, tc.ue[i])
			}
		}
		if tc.co != "" && evs[0].Parameters["co"] != tc.co {
			t.Errorf("%q: co\n got %s\nwant %s", tc.body, evs[0].Parameters["co"], tc.co)
		}
	}
}

// TestGoogleAnalyticsFixture runs the peer's LzoGoogleAnalyticsEventSpec
// record through the thrift collector format and the registry.
func TestGoogleAnalyticsFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "LzoGoogleAnalyticsEventSpec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		InputThrift []struct {
			TBinary string `json:"tbinary_base64"`
		} `json:"input_thrift"`
		ExpectedGood [][]*string `json:"expected_good"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.InputThrift) != 1 || len(fx.ExpectedGood) != 1 {
		t.Fatalf("fixture has %d records, %d expected rows", len(fx.InputThrift), len(fx.ExpectedGood))
	}
	record, err := base64.StdEncoding.DecodeString(fx.InputThrift[0].TBinary)
	if err != nil {
		t.Fatal(err)
	}
	format, err := collector.Lookup("thrift")
	if err != nil {
		t.Fatal(err)
	}
	payloads, err := format.Parse(record)
	if err != nil || len(payloads) != 1 {
		t.Fatalf("thrift record: %d payloads, %v", len(payloads), err)
	}
	evs, errs := NewRegistry(nil).ToRawEvents(context.Background(), &payloads[0])
	if len(errs) > 0 || len(evs) != 1 {
		t.Fatalf("%d events, errors %q", len(evs), errs)
	}
	row := fx.ExpectedGood[0]
	p := evs[0].Parameters
	for idx, got := range map[int]string{1: p["p"], 5: eventName(p["e"]), 9: p["tv"], 52: p["co"], 58: reformat(t, p["ue_pr"])} {
		want, ok := field(row, idx)
		if !ok || got != want {
			t.Errorf("field %d:\n got %s\nwant %s", idx, got, want)
		}
	}
}

func TestScalaHashes(t *testing.T) {
	// SchemaKey("a","b","c","d").hashCode and String.## in a Scala 2.11.12 REPL
	if got := int32(scalaProductHash("a", "b", "c", "d")); got != 1942075390 {
		t.Errorf("productHash = %d", got)
	}
	// groupBy of two keys: the mutable.HashMap decides (R108 spec e11, e13)
	for _, tc := range [][2]string{{"IFpromo", "promoid"}, {"cd", "IFcd"}} {
		g := scalaGroupBy([]gaPart{{key: tc[1]}, {key: tc[0]}})
		if g[0].key != tc[0] || g[1].key != tc[1] {
			t.Errorf("groupBy order %v", g)
		}
	}
	// Map(t, in, ip, iq, aip).keys in Scala 2.11.12: List(aip, ip, in, t, iq)
	m := &scalaMap[bool]{}
	for _, k := range []string{"t", "in", "ip", "iq", "aip"} {
		m.put(k, scalamap.StringHash(k), true)
	}
	var got []string
	for _, e := range m.entries {
		got = append(got, e.key)
	}
	if !reflect.DeepEqual(got, []string{"aip", "ip", "in", "t", "iq"}) {
		t.Errorf("HashMap order %v", got)
	}
}

func TestJavaBigDecimal(t *testing.T) {
	for _, tc := range []struct {
		in       string
		ok       bool
		two, dbl float64
	}{
		{"12.228", true, 12.23, 12.228}, {"-12.225", true, -12.22, -12.225}, {"12.235", true, 12.24, 12.235},
		{"0.0050000000000000000000000000000000000001", true, 0.01, 0.005}, {"0.005", true, 0, 0.005},
		{"+1.", true, 1, 1}, {".5", true, 0.5, 0.5}, {"1e2", true, 100, 100}, {"1E+2", true, 100, 100},
		{"-0", true, 0, 0}, {"١.٥", true, 1.5, 1.5}, {"1e00000000002", true, 100, 100},
		{"", false, 0, 0}, {".", false, 0, 0}, {"e1", false, 0, 0}, {"1e", false, 0, 0}, {" 1", false, 0, 0},
		{"1.2.3", false, 0, 0}, {"NaN", false, 0, 0}, {"1e2147483648", false, 0, 0}, {"1d", false, 0, 0},
		{"0x10", false, 0, 0}, {"1e12345678901", false, 0, 0},
	} {
		d, ok := parseJavaBigDecimal(tc.in)
		if ok != tc.ok {
			t.Errorf("%q: ok %v", tc.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if two, dbl := d.twoDecimals(), d.float(); two != tc.two || dbl != tc.dbl || math.Signbit(two) != math.Signbit(tc.two) || math.Signbit(dbl) != math.Signbit(tc.dbl) {
			t.Errorf("%q: twoDecimals %v float %v, want %v %v", tc.in, two, dbl, tc.two, tc.dbl)
		}
	}
	for in, want := range map[string]int32{"12": 12, "+7": 7, "-2147483648": -2147483648, "٣": 3} {
		if got, ok := javaParseIntUnicode(in); !ok || got != want {
			t.Errorf("parseInt(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "+", "-", "2147483648", "1.0", " 1", "1_0"} {
		if _, ok := javaParseIntUnicode(in); ok {
			t.Errorf("parseInt(%q) accepted", in)
		}
	}
}

func TestUTF16Compare(t *testing.T) {
	// U+FF21 sorts after U+1F600 in UTF-8 byte order but before it in UTF-16.
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"\U0001F600", "\uFF21", -1}, {"\uFF21", "\U0001F600", 1}, {"a", "ab", -1}, {"b", "ab", 1}, {"ab", "ab", 0},
		{"\u00e9", "\uFF21", -1}, {"x\U0001F600", "x\uE000", -1}, {"\U0001F600", "\U0001F601", -1}, {"\uFF21", "\uFF22", -1},
	} {
		if got := utf16Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("utf16Compare(%q, %q) = %d", tc.a, tc.b, got)
		}
	}
}

// The golden cases: random Measurement Protocol payloads whose expected
// output comes from testdata/googleanalytics/Replica.scala run by Scala
// 2.11.12, so the member orders are those of Scala's own collections.
// To regenerate (needs scalac/scala 2.11):
//
//	GA_GOLDEN_CASES=/tmp/cases.txt go test -run TestGoogleAnalyticsGoldenCases ./enrich/adapter/
//	scalac -d /tmp/gar enrich/adapter/testdata/googleanalytics/Replica.scala
//	JAVA_OPTS=-Dfile.encoding=UTF-8 scala -cp /tmp/gar GAReplica < /tmp/cases.txt > /tmp/out.txt
//	paste /tmp/cases.txt /tmp/out.txt > enrich/adapter/testdata/googleanalytics/golden.txt
const gaGolden = "testdata/googleanalytics/golden.txt"

// gaCaseParams decodes a golden case: parameters separated by \x01, name
// and value by \x02, a value of \x03 is null.
func gaCaseParams(line string) *smap {
	m := &smap{}
	if line == "" {
		return m
	}
	for _, kv := range strings.Split(line, "\x01") {
		k, v, _ := strings.Cut(kv, "\x02")
		m.putEntry(sentry{key: k, val: v, null: v == "\x03"})
		if v == "\x03" {
			m.entries[m.index(k)].val = ""
		}
	}
	return m
}

// gaReplicaOutput renders gaHitParams' result the way Replica.scala does.
func gaReplicaOutput(params *smap) string {
	ev, msgs, exc := gaHitParams(gaPayload(""), params)
	switch {
	case exc != "":
		return "ERR\tUnexpected error processing events: " + strings.SplitN(exc, ":", 2)[0]
	case len(msgs) > 0:
		return "ERR\t" + strings.Join(msgs, "\x01")
	}
	co := ev.Parameters["co"]
	if co == "" {
		co = "-"
	}
	var direct []string
	for k, v := range ev.Parameters {
		switch k {
		case "co", "ue_pr", "e", "tv", "p":
		default:
			direct = append(direct, k+"="+v)
		}
	}
	sort.Strings(direct)
	return "OK\t" + co + "\t" + ev.Parameters["ue_pr"] + "\t" + strings.Join(direct, ";")
}

func TestGoogleAnalyticsGoldenCases(t *testing.T) {
	if out := os.Getenv("GA_GOLDEN_CASES"); out != "" {
		writeGACases(t, out, 3000)
		return
	}
	b, err := os.ReadFile(gaGolden)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 1000 {
		t.Fatalf("only %d golden cases", len(lines))
	}
	failed := 0
	for i, line := range lines {
		in, want, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("golden line %d has no tab", i+1)
		}
		if got := gaReplicaOutput(gaCaseParams(in)); got != want && failed < 10 {
			failed++
			t.Errorf("case %d %q:\n got %s\nwant %s", i+1, strings.NewReplacer("\x01", "&", "\x02", "=", "\x03", "<null>").Replace(in), got, want)
		}
	}
}

// writeGACases writes n random payloads (a fixed seed, so the file is
// reproducible) for Replica.scala.
func writeGACases(t *testing.T, path string, n int) {
	rng := rand.New(rand.NewPCG(108, 2018))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	flat := []string{"v", "tid", "aip", "ds", "qt", "z", "cid", "uid", "sc", "uip", "ua", "geoid", "dr", "cn", "cs", "cm",
		"ck", "cc", "ci", "gclid", "dclid", "sr", "vp", "de", "sd", "ul", "je", "fl", "linkid", "an", "aid", "av", "aiid",
		"pa", "pal", "cos", "col", "xid", "xvar", "ni", "promoa", "a", "jid", "gjid", "_v", "_u", "_gid", "_s", "_r",
		"dl", "dh", "dp", "dt", "cd", "ec", "ea", "el", "ev", "ti", "ta", "tr", "ts", "tt", "tcc", "cu", "in", "ip", "iq",
		"ic", "iv", "sn", "sa", "st", "exd", "exf", "utc", "utv", "utt", "utl", "plt", "dns", "pdt", "rrt", "tcp", "srt",
		"dit", "clt", "foo", "bar"}
	num := func() string { return strconv.Itoa(rng.IntN(3) + 1) }
	composite := func(clean bool) string {
		switch rng.IntN(14) {
		case 0:
			return "pr" + num() + pick("id", "nm", "br", "ca", "va", "pr", "qt", "cc", "ps")
		case 1:
			return "pr" + num() + "cd" + num()
		case 2:
			return "pr" + num() + "cm" + num()
		case 3:
			return "il" + num() + "nm"
		case 4:
			return "il" + num() + "pi" + num() + pick("id", "nm", "br", "ca", "va", "ps", "pr")
		case 5:
			return "il" + num() + "pi" + num() + "cd" + num()
		case 6:
			return "il" + num() + "pi" + num() + "cm" + num()
		case 7:
			return "promo" + num() + pick("id", "nm", "cr", "ps")
		case 8:
			return "cd" + num()
		case 9:
			return "cm" + num()
		case 10:
			return "cg" + num()
		case 11:
			return pick("pr", "il", "cd") + num() + pick("", "x", "id") + num() + pick("", "y", "nm") + num()
		case 12:
			if clean {
				return "cd" + num()
			}
			return pick("utm5", "pr", "x1", "pr1x2y3z", "cd\u0661", "cd01", "pr99999999999id")
		}
		return "pr" + num()
	}
	value := func() string {
		switch rng.IntN(16) {
		case 0:
			return "\x03"
		case 1:
			return ""
		case 2, 3:
			return pick("0", "1", "2", "-7", "+3", "12", "2147483648", "\u0661\u0662", "x")
		case 4, 5:
			return pick("12.345", "0.125", "-0.005", "1e3", "1E-2", ".5", "abc", "1,5", "-0", "99.995", "1e400", "NaN")
		case 6:
			return pick("null", "true", "a b", "é", "\"q\"", "back\\slash")
		}
		return pick("x", "host", "path", "EUR", "id1", "name", "v") + strconv.Itoa(rng.IntN(100))
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		clean := i%2 == 0 // half the cases with values every field accepts
		var ps []string
		if rng.IntN(20) > 0 {
			ps = append(ps, "t\x02"+pick("pageview", "pageview", "screenview", "event", "transaction", "item", "social",
				"exception", "timing", "unknown", "", "\x03"))
		}
		nf := rng.IntN(12)
		if rng.IntN(4) == 0 {
			nf = 0
		}
		for j := 0; j < nf; j++ {
			v := value()
			if clean {
				v = pick("1", "0", "12", "x") + pick("", "3")
			}
			ps = append(ps, flat[rng.IntN(len(flat))]+"\x02"+v)
		}
		nc := rng.IntN(8)
		if rng.IntN(3) == 0 {
			nc = 0
		}
		for j := 0; j < nc; j++ {
			v := value()
			if clean || rng.IntN(3) > 0 {
				v = pick("x", "s", "12", "1.5", "EUR") + strconv.Itoa(rng.IntN(10))
			}
			ps = append(ps, composite(clean)+"\x02"+v)
		}
		rng.Shuffle(len(ps), func(a, c int) { ps[a], ps[c] = ps[c], ps[a] })
		b.WriteString(strings.Join(ps, "\x01"))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzGoogleAnalytics: the body parser (go test -fuzz=FuzzGoogleAnalytics
// ./enrich/adapter/). Any body gives events or messages, never both or
// neither; an event per line; the JSON parameters parse and re-render
// unchanged.
func FuzzGoogleAnalytics(f *testing.F) {
	f.Add("t=pageview&dh=host&dp=path")
	f.Add("t=pageview&dh=host&dp=path\nt=event&ev=1\r\n\ft=item&ip=12.228&iq=%D9%A1")
	f.Add("t=pageview&cu=EUR&il1pi1pr=1&il1pi2nm=n&pr1cd2=x&cd5=d&cm6=1.5e3&promo1id=p&cg1=g&pr1cm3=7&il2pi1cm1=3")
	f.Add("t=transaction&ti=1&tr=1e400&ts=-0.005&tt=x&aip=2&qt")
	f.Add("t&cd\u0661=1&pr=2&pr1x2y3z=3")
	f.Add("t=a b")
	f.Fuzz(func(t *testing.T, body string) {
		evs, errs := googleAnalyticsToRawEvents(gaPayload(body))
		if (len(evs) == 0) == (len(errs) == 0) {
			t.Fatalf("%d events and %d errors", len(evs), len(errs))
		}
		if len(evs) > 0 && len(evs) != len(scalaLines(body)) {
			t.Fatalf("%d events for %d lines", len(evs), len(scalaLines(body)))
		}
		for _, e := range errs {
			if e == "" {
				t.Fatal("empty message")
			}
		}
		for _, ev := range evs {
			for _, k := range []string{"ue_pr", "co"} {
				s, ok := ev.Parameters[k]
				if !ok {
					continue
				}
				v, err := parseJSON(s, dupKeep)
				if err != nil || v.render() != s {
					t.Fatalf("%s %q does not round-trip: %v", k, s, err)
				}
			}
			if ev.Parameters["e"] != "ue" || ev.Parameters["p"] != "srv" || ev.Parameters["co"] == "" {
				t.Fatalf("parameters %v", ev.Parameters)
			}
		}
	})
}

// FuzzGoogleAnalyticsCompositeName checks the hand-written composite field
// matcher against the pattern itself (RE2's leftmost-first submatches are
// Java's for this pattern; \d is ASCII in both).
func FuzzGoogleAnalyticsCompositeName(f *testing.F) {
	for _, s := range []string{"pr12id", "pr12cd42", "il12pi42id", "promo1", "pr", "12", "pr1a2b3", "pr1a2b3c", "cm01", "prx1"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^(?:` + gaCompositeRegex + `)$`)
	f.Fuzz(func(t *testing.T, name string) {
		c, ok := gaSplitComposite(name)
		strs, ints := c.strs[:c.ns], c.ints[:c.ni]
		m := re.FindStringSubmatch(name)
		if ok != (m != nil) {
			t.Fatalf("%q: matcher %v, regexp %v", name, ok, m != nil)
		}
		if !ok {
			return
		}
		var groups []string
		for _, g := range m[1:] {
			if g != "" {
				groups = append(groups, g)
			}
		}
		var want [2][]string
		for i, g := range groups {
			want[i%2] = append(want[i%2], g)
		}
		if !slices.Equal(strs, want[0]) || !slices.Equal(ints, want[1]) {
			t.Fatalf("%q: got %q %q, regexp groups %q", name, strs, ints, groups)
		}
	})
}

// BenchmarkGoogleAnalytics: a realistic analytics.js page view with
// enhanced-ecommerce impressions.
//
//	go test -run '^$' -bench GoogleAnalytics -benchmem ./enrich/adapter/
func BenchmarkGoogleAnalytics(b *testing.B) {
	body := "v=1&_v=j66&a=1090212342&t=pageview&_s=1&dl=https%3A%2F%2Fshop.example.com%2Fsale&ul=en-gb&de=UTF-8" +
		"&dt=Sale&sd=24-bit&sr=1920x1080&vp=1903x949&je=0&_u=QACAAEABI~&jid=&gjid=&cid=1398452416.1519985472" +
		"&tid=UA-12345-1&_gid=1046578632.1519985472&z=1507294891&cu=GBP&il1nm=Sale&il1pi1id=SKU1&il1pi1nm=Shirt" +
		"&il1pi1pr=19.99&il1pi1ps=1&il1pi2id=SKU2&il1pi2nm=Shoes&il1pi2pr=49.5&il1pi2ps=2&cd1=member"
	r := NewRegistry(nil)
	p := gaPayload(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		evs, errs := r.ToRawEvents(ctx, p)
		if len(errs) > 0 || len(evs) != 1 {
			b.Fatal(errs)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
