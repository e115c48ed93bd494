package adapter

import (
	"strconv"
	"strings"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
)

// CloudfrontAccessLogAdapter.WebDistribution: one CloudFront web
// distribution access-log line (the payload body) becomes an unstruct event
// of com.amazon.aws.cloudfront/wd_access_log, the schema version chosen by
// the number of fields.

var cloudfrontFieldNames = [...]string{
	"dateTime", "xEdgeLocation", "scBytes", "cIp", "csMethod", "csHost", "csUriStem", "scStatus",
	"csReferer", "csUserAgent", "csUriQuery", "csCookie", "xEdgeResultType", "xEdgeRequestId",
	"xHostHeader", "csProtocol", "csBytes", "timeTaken", "xForwardedFor", "sslProtocol", "sslCipher",
	"xEdgeResponseResultType",
}

func cloudfrontSchemaVersion(n int) (string, bool) {
	switch n {
	case 12:
		return "1-0-0", true // before 12 Sep 2012
	case 15:
		return "1-0-1", true // 12 Sep 2012
	case 18:
		return "1-0-2", true // 21 Oct 2013
	case 19:
		return "1-0-3", true // 29 Apr 2014
	case 23:
		return "1-0-4", true // 01 Jul 2015
	}
	return "", false
}

func cloudfrontToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	if p.Body == "" {
		return fail("Cloudfront TSV has no body - this should be impossible")
	}
	fields := strings.Split(p.Body, "\t")
	version, ok := cloudfrontSchemaVersion(len(fields))
	if !ok {
		return fail("Access log TSV line contained " + strconv.Itoa(len(fields)) + " fields, expected 12, 15, 18, 19, or 23")
	}
	values := make([]string, 0, len(fields)-1)
	values = append(values, fields[0]+"T"+fields[1]+"Z")
	values = append(values, fields[2:]...)

	var fieldErrs []string // R108 prepended, so the last field's error comes first
	data := &jvalue{kind: jObject, obj: make([]jfield, 0, len(values))}
	for i, v := range values {
		if i >= len(cloudfrontFieldNames) {
			break
		}
		name := cloudfrontFieldNames[i]
		var val *jvalue
		switch {
		case v == "":
			val = jnull()
		case name == "timeTaken":
			f, ok := javaParseDouble(v)
			if !ok {
				fieldErrs = append([]string{"Field [timeTaken]: cannot convert [" + v + "] to Double"}, fieldErrs...)
				continue
			}
			val = jdouble(f)
		case name == "csBytes" || name == "scBytes":
			n, ok := javaParseInt(v)
			if !ok {
				fieldErrs = append([]string{"Field [" + name + "]: cannot convert [" + v + "] to Int"}, fieldErrs...)
				continue
			}
			val = jint64(int64(n))
		case name == "csReferer" || name == "csUserAgent":
			d, err := decodeString(name, singleEncodePcts(v))
			if err != nil {
				fieldErrs = append([]string{err.Error()}, fieldErrs...)
				continue
			}
			val = jstr(d)
		case name == "csUriQuery":
			val = jstr(singleEncodePcts(v))
		default:
			val = jstr(v)
		}
		data.obj = append(data.obj, jfield{name: name, val: val})
	}

	var errs []string
	tstamp, ok := parseISODateTime(fields[0] + "T" + fields[1] + "+00:00")
	if !ok {
		errs = append(errs, "Unexpected exception converting Cloudfront web distribution access log date ["+fields[0]+
			"] and time ["+fields[1]+"] to timestamp: ["+isoDateTimeError(fields[0]+"T"+fields[1]+"+00:00")+"]")
	}
	errs = append(errs, fieldErrs...)
	if len(errs) > 0 {
		return nil, errs
	}

	qs := &smap{}
	if values[8] != "" {
		qs.put("url", values[8])
	}
	params := unstructParams("com.amazon.aws.cloudfront/wd_access_log", qs,
		"iglu:com.amazon.aws.cloudfront/wd_access_log/jsonschema/"+version, data, "srv")
	ua := ""
	if values[9] != "" {
		ua = singleEncodePcts(values[9])
	}
	return one(RawEvent{
		API:         p.API,
		Parameters:  params,
		ContentType: p.ContentType,
		Source:      p.Source,
		Context:     collector.Context{Timestamp: tstamp.In(time.UTC), IPAddress: values[3], UserAgent: ua},
	})
}
