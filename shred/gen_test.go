package shred_test

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowdata/furrow/event"
)

var genBase = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

var genNS = uuid.MustParse("6ba7b811-9dad-11d1-80b4-00c04fd430c8")

func genID(i int) string { return uuid.NewSHA1(genNS, []byte(strconv.Itoa(i))).String() }

// pageCtx returns the data of a com.furrow.test/page_ctx context for event
// i at version ver, exercising nulls, missing members and every column rule.
func pageCtx(i int, ver string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"url":"http://example.com/p/%d?q=\"x\"&é","active":%t`, i, i%2 == 0)
	if i%5 != 0 {
		fmt.Fprintf(&b, `,"title":"Title %d \t tab"`, i)
	} else {
		b.WriteString(`,"title":null`)
	}
	if i%4 != 1 {
		depth := i % 100
		if ver == "1-1-0" {
			fmt.Fprintf(&b, `,"depth":%d`, 5000000000+i)
		} else {
			fmt.Fprintf(&b, `,"depth":%d`, depth)
		}
	}
	fmt.Fprintf(&b, `,"views":%d,"score":%s`, int64(i)*1000003, []string{"1.5", "-2e-5", "1e10", "0", "3"}[i%5])
	if i%3 != 0 {
		fmt.Fprintf(&b, `,"price":%d.%02d`, i, i%100)
	}
	fmt.Fprintf(&b, `,"published":"%s"`, genBase.Add(time.Duration(i)*time.Hour+123456789).Format(time.RFC3339Nano))
	if i%2 == 0 {
		fmt.Fprintf(&b, `,"day":"2024-02-%02d"`, i%28+1)
	}
	switch i % 3 {
	case 0:
		b.WriteString(`,"tags":["a","b","c"]`)
	case 1:
		b.WriteString(`,"tags":[]`)
	}
	if i%2 == 1 {
		b.WriteString(`,"flags":[true,null,false]`)
	} else if i%4 == 0 {
		b.WriteString(`,"flags":null`)
	}
	if i%3 != 2 {
		fmt.Fprintf(&b, `,"meta":{"author":"au%d","stats":{"wordCount":%d}}`, i, i*7)
	}
	if i%2 == 0 {
		fmt.Fprintf(&b, `,"items":[{"sku":"s%d"},{"sku":"t"}]`, i)
	}
	fmt.Fprintf(&b, `,"anything":{"k":[1,2.50,{"z":null}]},"union":%s`, []string{`"str"`, `7`}[i%2])
	if i%3 == 0 {
		b.WriteString(`,"kind":"video"`)
	}
	fmt.Fprintf(&b, `,"camelCaseName":"c%d"`, i)
	if ver != "1-0-0" && i%2 == 1 {
		b.WriteString(`,"extra":"x"`)
	}
	b.WriteString("}")
	return b.String()
}

func pageCtxVersion(i int) string { return []string{"1-0-0", "1-0-1", "1-1-0"}[i%3] }

func sdj(key, data string) string { return `{"schema":"iglu:` + key + `","data":` + data + `}` }

// genEvent builds enriched event i: typed atomic fields (some null), two or
// three contexts, an unstruct event on odd events and a derived context on
// every fourth.
func genEvent(i int) *event.Event {
	var ev event.Event
	f := &ev.Fields
	f[event.AppID] = "app" + strconv.Itoa(i%3)
	f[event.Platform] = "web"
	f[event.ETLTstamp] = "2024-03-02 00:00:00.000"
	ct := genBase.Add(time.Duration(i) * 1237 * time.Millisecond)
	f[event.CollectorTstamp] = event.FormatTimestamp(ct)
	if i%3 != 0 {
		f[event.DvceCreatedTstamp] = event.FormatTimestamp(ct.Add(-time.Second))
	}
	f[event.EventType] = "page_view"
	f[event.EventID] = genID(i)
	f[event.VETL] = "furrow-test"
	f[event.UserIPAddress] = "10.0.0." + strconv.Itoa(i%250)
	f[event.DomainSessionIdx] = strconv.Itoa(i % 50)
	if i%4 != 0 {
		f[event.GeoLatitude] = strconv.FormatFloat(37.5+float64(i)/1000, 'f', -1, 64)
		f[event.GeoLongitude] = "-122.4077"
	}
	f[event.PageURL] = "http://example.com/p/" + strconv.Itoa(i) + "?ü=1"
	f[event.PageURLPort] = "80"
	switch i % 4 {
	case 0:
		f[event.TrTotal] = "12.34"
	case 1:
		f[event.TrTotal] = "-0.5"
	case 2:
		f[event.TrTotal] = "1.005" // rounds half away from zero
	}
	if i%5 == 0 {
		f[event.SeValue] = "1.5e3"
	}
	f[event.BrFeaturesPDF] = strconv.Itoa(i % 2)
	f[event.BrCookies] = "1"
	f[event.DvceScreenwidth] = "1440"
	ctxs := []string{
		sdj("com.furrow.test/page_ctx/jsonschema/"+pageCtxVersion(i), pageCtx(i, pageCtxVersion(i))),
		sdj("com.furrow.test/flat/jsonschema/1-0-0", fmt.Sprintf(`{"name":"n%d","count":%d,"ratio":%s,"ok":true}`, i, i, []string{"0.25", "null"}[i%2])),
	}
	if i%3 == 1 {
		ctxs = append(ctxs, sdj("com.furrow.test/flat/jsonschema/1-0-0", `{"name":"second"}`))
	}
	f[event.Contexts] = sdj("com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", "["+strings.Join(ctxs, ",")+"]")
	if i%2 == 1 {
		f[event.EventType] = "unstruct"
		f[event.UnstructEvent] = sdj("com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
			sdj("com.furrow.test/click/jsonschema/1-0-0", fmt.Sprintf(`{"targetUrl":"http://t/%d","x":%d,"at":"2024-03-01T10:00:00.5+02:00"}`, i, i%1000)))
	}
	if i%4 == 3 {
		f[event.DerivedContexts] = sdj("com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1",
			"["+sdj("com.furrow.test/flat/jsonschema/1-0-0", `{"name":"derived","count":1}`)+"]")
	}
	f[event.DerivedTstamp] = f[event.CollectorTstamp]
	f[event.EventFingerprint] = fmt.Sprintf("%032x", i)
	return &ev
}

func genLine(i int) string { return string(event.AppendTSV(nil, genEvent(i))) }

func genInputs(n int) []input {
	out := make([]input, n)
	for i := range out {
		out[i] = input{line: genLine(i)}
	}
	return out
}
