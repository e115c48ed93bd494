package adapter

import (
	"strconv"
	"strings"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
)

// The webhook adapters of R108, one function each. Every one produces the
// tracker-protocol parameters of an unstruct event (e=ue, p, tv, ue_pr and
// the accepted querystring parameters) the way its Scala adapter did.

const formContentType = "application/x-www-form-urlencoded"

// bodyChecks is the common opening of the form/JSON webhooks: a body, a
// content type, the expected content type (exact match).
func bodyChecks(p *collector.Payload, vendor, events, want string) string {
	switch {
	case p.Body == "":
		return "Request body is empty: no " + vendor + " " + events + " to process"
	case p.ContentType == "":
		return "Request body provided but content type empty, expected " + want + " for " + vendor
	case p.ContentType != want:
		return "Content type of " + p.ContentType + " provided, expected " + want + " for " + vendor
	}
	return ""
}

// formBody parses a form-encoded body into a Scala-ordered map.
func formBody(vendor, body string) (*smap, string) {
	ps, err := parseForm(body)
	if err != nil {
		return nil, vendor + " body could not be parsed: [" + err.Error() + "]"
	}
	return smapFromForm(ps), ""
}

func schemaURI(vendor, name string) string {
	return "iglu:" + vendor + "/" + name + "/jsonschema/1-0-0"
}

// ---------------------------------------------------------------------------
// CallRail: a GET/POST querystring holding one call.

func callrailToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	params := smapFromQuery(p.Querystring)
	if params.len() == 0 {
		return fail("Querystring is empty: no CallRail event to process")
	}
	f := fieldFormat{bools: []string{"first_call", "answered"}, ints: []string{"duration"}, dates: []string{"datetime"}}
	return one(rawEvent(p, formatterParams("com.callrail-v1", params, schemaURI("com.callrail", "call_complete"), f.format, "srv")))
}

// ---------------------------------------------------------------------------
// Mailchimp: a form body whose keys nest with brackets (data[merges][EMAIL]).

var mailchimpSchemas = map[string]string{
	"subscribe":   schemaURI("com.mailchimp", "subscribe"),
	"unsubscribe": schemaURI("com.mailchimp", "unsubscribe"),
	"campaign":    schemaURI("com.mailchimp", "campaign_sending_status"),
	"cleaned":     schemaURI("com.mailchimp", "cleaned_email"),
	"upemail":     schemaURI("com.mailchimp", "email_address_change"),
	"profile":     schemaURI("com.mailchimp", "profile_update"),
}

func mailchimpToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "MailChimp"
	switch {
	case p.Body == "":
		return fail("Request body is empty: no " + vendor + " event to process")
	case p.ContentType == "":
		return fail("Request body provided but content type empty, expected " + formContentType + " for " + vendor)
	case p.ContentType != formContentType:
		return fail("Content type of " + p.ContentType + " provided, expected " + formContentType + " for " + vendor)
	}
	params, msg := formBody(vendor, p.Body)
	if msg != "" {
		return fail(msg)
	}
	i := params.index("type")
	if i < 0 {
		return fail("No " + vendor + " type parameter provided: cannot determine event type")
	}
	eventType := params.entries[i].val
	if params.entries[i].null {
		eventType = "null"
	}
	if firedAt, ok := params.get("fired_at"); ok {
		params.put("fired_at", toJSONSchemaDateTime(firedAt))
	}
	all := smapFromQuery(p.Querystring).plus(params)
	schema, msg := lookupSchema(eventType, true, vendor, -1, mailchimpSchemas)
	if msg != "" {
		return fail(msg)
	}
	data, msg := mailchimpData(all.without("nuid", "aid", "cv", "p"))
	if msg != "" {
		return fail(msg)
	}
	return one(rawEvent(p, unstructParams("com.mailchimp-v1", all, schema, data, "srv")))
}

// mailchimpData nests every parameter by its bracketed key path and merges
// them (json4s merge) in map order.
func mailchimpData(m *smap) (*jvalue, string) {
	var out *jvalue
	for _, e := range m.entries {
		keys := mailchimpKeys(e.key)
		if len(keys) == 0 {
			return nil, "MailChimp parameter name [" + e.key + "] has no key"
		}
		var val *jvalue
		if e.null {
			val = jnull()
		} else {
			val = jstr(e.val)
		}
		for k := len(keys) - 1; k >= 1; k-- {
			val = jobj(jfield{keys[k], val})
		}
		f := jobj(jfield{keys[0], val})
		if out == nil {
			out = f
		} else {
			out = jmerge(out, f)
		}
	}
	if out == nil {
		out = jobj()
	}
	return out, ""
}

// mailchimpKeys is formKey.split("\\]?(\\[|\\])") with Java's split rules
// (trailing empty strings removed).
func mailchimpKeys(k string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(k); {
		n := 0
		switch {
		case k[i] == ']' && i+1 < len(k) && (k[i+1] == '[' || k[i+1] == ']'):
			n = 2
		case k[i] == '[' || k[i] == ']':
			n = 1
		}
		if n == 0 {
			i++
			continue
		}
		parts = append(parts, k[start:i])
		i += n
		start = i
	}
	parts = append(parts, k[start:])
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// ---------------------------------------------------------------------------
// Mailgun: a form or multipart/form-data body holding one event.

var mailgunSchemas = map[string]string{
	"bounced":      schemaURI("com.mailgun", "message_bounced"),
	"clicked":      schemaURI("com.mailgun", "message_clicked"),
	"complained":   schemaURI("com.mailgun", "message_complained"),
	"delivered":    schemaURI("com.mailgun", "message_delivered"),
	"dropped":      schemaURI("com.mailgun", "message_dropped"),
	"opened":       schemaURI("com.mailgun", "message_opened"),
	"unsubscribed": schemaURI("com.mailgun", "recipient_unsubscribed"),
}

const mailgunContentTypes = "application/x-www-form-urlencoded, multipart/form-data"

func mailgunToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Mailgun"
	ct := p.ContentType
	switch {
	case p.Body == "":
		return fail("Request body is empty: no " + vendor + " events to process")
	case ct == "":
		return fail("Request body provided but content type empty, expected one of " + mailgunContentTypes + " for " + vendor)
	case !strings.HasPrefix(ct, formContentType) && !strings.HasPrefix(ct, "multipart/form-data"):
		return fail("Content type of " + ct + " provided, expected one of " + mailgunContentTypes + " for " + vendor)
	}
	var body *smap
	if boundary, ok := multipartBoundary(ct); ok {
		body = parseMultipartForm(p.Body, boundary)
	} else {
		var msg string
		if body, msg = formBody(vendor, p.Body); msg != "" {
			return fail(msg)
		}
	}
	i := body.index("event")
	if i < 0 {
		return fail("No " + vendor + " event parameter provided: cannot determine event type")
	}
	eventType := body.entries[i].val
	if body.entries[i].null {
		eventType = "null"
	}
	schema, msg := lookupSchema(eventType, true, vendor, -1, mailgunSchemas)
	if msg != "" {
		return fail(msg)
	}
	for _, k := range [...]string{"timestamp", "token", "signature"} {
		if _, ok := body.get(k); !ok {
			return fail(vendor + " event data missing '" + k + "'")
		}
	}
	ev, msg := mutateMailgunEvent(body.toJSON())
	if msg != "" {
		return fail(msg)
	}
	ev = cleanupJSONEventValues(ev, "event", eventType, "timestamp")
	return one(rawEvent(p, unstructParams("com.mailgun-v1", smapFromQuery(p.Querystring), schema, ev, "srv")))
}

// mutateMailgunEvent camelizes the keys, drops bodyPlain and
// attachmentCount, and puts attachmentCount back first as an integer when
// it is one.
func mutateMailgunEvent(v *jvalue) (*jvalue, string) {
	c := camelize(v)
	out := &jvalue{kind: jObject}
	var count *jvalue
	for _, f := range c.obj {
		switch f.name {
		case "attachmentCount":
			if count == nil && f.val.kind == jString {
				if n, ok := javaParseInt(f.val.s); ok {
					count = jint64(int64(n))
				}
			}
			continue
		case "bodyPlain":
			continue
		}
		out.obj = append(out.obj, f)
	}
	if count != nil {
		out.obj = append([]jfield{{"attachmentCount", count}}, out.obj...)
	}
	return out, ""
}

// multipartBoundary extracts the boundary of a multipart/form-data content
// type as R108's regex did:
// multipart/form-data.*?boundary=(?:")?([\S ]{0,69})(?: )*(?:")?$
// (a matched closing quote stays part of the boundary, as the greedy group
// took it).
func multipartBoundary(ct string) (string, bool) {
	if !strings.HasPrefix(ct, "multipart/form-data") {
		return "", false
	}
	rest := ct[len("multipart/form-data"):]
	for {
		i := strings.Index(rest, "boundary=")
		if i < 0 {
			return "", false
		}
		rest = rest[i+len("boundary="):]
		cand := strings.TrimSuffix(rest, "\n") // '$' also matches before a final line terminator
		cand = strings.TrimPrefix(cand, `"`)
		if b, ok := boundaryGroup(cand); ok {
			return b, true
		}
	}
}

// boundaryGroup matches ([\S ]{0,69})(?: )*(?:")? against the whole of s,
// greedily.
func boundaryGroup(s string) (string, bool) {
	rs := []rune(s)
	for _, r := range rs {
		if r != ' ' && isJavaRegexSpace(r) {
			return "", false
		}
	}
	n := len(rs)
	if n <= 69 {
		return s, true
	}
	group := rs[:69]
	tail := strings.TrimSuffix(strings.TrimRight(string(rs[69:]), " "), `"`)
	if strings.TrimRight(tail, " ") != "" {
		// Backtracking cannot help: the group is at most 69 characters and
		// the rest may only be spaces and a closing quote.
		return "", false
	}
	return string(group), true
}

func isJavaRegexSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\x0b', '\f', '\r':
		return true
	}
	return false
}

// parseMultipartForm is MailgunAdapter.parseMultipartForm: the body split on
// "--boundary", each part with a "Content-Disposition: form-data; ...
// name=\"key\"" header contributing key and the part's content after the
// first empty line, trimmed.
func parseMultipartForm(body, boundary string) *smap {
	m := &smap{}
	for _, part := range strings.Split(body, "--"+boundary) {
		if k, v, ok := multipartField(part); ok {
			m.put(k, v)
		}
	}
	return m
}

func multipartField(part string) (string, string, bool) {
	// The greedy ".*Content-Disposition:" prefers the last header that can
	// match.
	search := part
	for {
		i := strings.LastIndex(search, "Content-Disposition:")
		if i < 0 {
			return "", "", false
		}
		if k, v, ok := multipartFrom(part[i+len("Content-Disposition:"):]); ok {
			return k, v, true
		}
		search = search[:i]
	}
}

func multipartFrom(s string) (string, string, bool) {
	s = strings.TrimLeft(s, " \t\n\x0b\f\r")
	if !strings.HasPrefix(s, "form-data") {
		return "", "", false
	}
	s = strings.TrimLeft(s[len("form-data"):], " \t\n\x0b\f\r")
	if !strings.HasPrefix(s, ";") {
		return "", "", false
	}
	s = s[1:]
	lineEnd := strings.IndexAny(s, "\r\n")
	if lineEnd < 0 {
		lineEnd = len(s)
	}
	line := s[:lineEnd]
	i := strings.Index(line, `name="`)
	if i < 0 {
		return "", "", false
	}
	rest := line[i+len(`name="`):]
	j := strings.IndexByte(rest, '"')
	if j <= 0 {
		return "", "", false
	}
	key := rest[:j]
	after := s[lineEnd:]
	// The value starts after the first empty line.
	var blank int
	switch {
	case strings.HasPrefix(after, "\r\n\r\n"):
		blank = 4
	case strings.HasPrefix(after, "\n\n"):
		blank = 2
	default:
		k := strings.Index(after, "\r\n\r\n")
		k2 := strings.Index(after, "\n\n")
		switch {
		case k < 0 && k2 < 0:
			return "", "", false
		case k2 >= 0 && (k < 0 || k2 < k):
			after = after[k2:]
			blank = 2
		default:
			after = after[k:]
			blank = 4
		}
	}
	value := strings.Trim(after[blank:], " \t\n\x0b\f\r")
	return key, value, true
}

// ---------------------------------------------------------------------------
// Mandrill: a form body whose mandrill_events parameter is a JSON array.

var mandrillSchemas = map[string]string{
	"hard_bounce": schemaURI("com.mandrill", "message_bounced"),
	"click":       schemaURI("com.mandrill", "message_clicked"),
	"deferral":    schemaURI("com.mandrill", "message_delayed"),
	"spam":        schemaURI("com.mandrill", "message_marked_as_spam"),
	"open":        schemaURI("com.mandrill", "message_opened"),
	"reject":      schemaURI("com.mandrill", "message_rejected"),
	"send":        schemaURI("com.mandrill", "message_sent"),
	"soft_bounce": schemaURI("com.mandrill", "message_soft_bounced"),
	"unsub":       schemaURI("com.mandrill", "recipient_unsubscribed"),
}

func mandrillToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Mandrill"
	if msg := bodyChecks(p, vendor, "events", formContentType); msg != "" {
		return fail(msg)
	}
	body, msg := formBody(vendor, p.Body)
	if msg != "" {
		return fail(msg)
	}
	if body.len() != 1 {
		return fail("Mapped " + vendor + " body has invalid count of keys: " + strconv.Itoa(body.len()))
	}
	i := body.index("mandrill_events")
	if i < 0 {
		return fail("Mapped " + vendor + " body does not have 'mandrill_events' as a key")
	}
	if e := body.entries[i]; e.val == "" || e.null {
		return fail(vendor + " events string is empty: nothing to process")
	}
	parsed, msg := parseEventJSON(vendor+" events string", body.entries[i].val)
	if msg != "" {
		return fail(msg)
	}
	if parsed.kind != jArray {
		return fail("Could not resolve " + vendor + " payload into a JSON array of events")
	}
	qs := smapFromQuery(p.Querystring)
	var evs []RawEvent
	var errs []string
	for idx, ev := range parsed.arr {
		et, ok := extractString(ev.child("event"))
		schema, msg := lookupSchema(et, ok, vendor, idx, mandrillSchemas)
		if msg != "" {
			errs = append(errs, msg)
			continue
		}
		data := transformFields(ev, func(f jfield) (jfield, bool) {
			if f.name != "ts" || f.val == nil || f.val.kind != jInt {
				return f, false
			}
			n, ok := bigLow64(f.val.s)
			if !ok {
				return f, false
			}
			return jfield{"ts", jstr(secondsToJSONDate(n))}, true
		})
		if ok {
			data = removeFields(data, func(f jfield) bool { return isStringField(f, "event", et) })
		}
		evs = append(evs, rawEvent(p, unstructParams("com.mandrill-v1", qs, schema, data, "srv")))
	}
	return eventsFromList(evs, errs)
}

// ---------------------------------------------------------------------------
// Olark: a form body whose data parameter is the conversation JSON.

var olarkSchemas = map[string]string{
	"transcript":      schemaURI("com.olark", "transcript"),
	"offline_message": schemaURI("com.olark", "offline_message"),
}

func olarkToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Olark"
	if msg := bodyChecks(p, vendor, "events", formContentType); msg != "" {
		return fail(msg)
	}
	body, msg := formBody(vendor, p.Body)
	if msg != "" {
		return fail(msg)
	}
	i := body.index("data")
	if i < 0 {
		return fail(vendor + " event data does not have 'data' as a key")
	}
	if e := body.entries[i]; e.val == "" || e.null {
		return fail(vendor + " event data is empty: nothing to process")
	}
	ev, msg := parseEventJSON(vendor+" event string", body.entries[i].val)
	if msg != "" {
		return fail(msg)
	}
	eventType := "offline_message"
	if ev.get("operators") != nil {
		eventType = "transcript"
	}
	schema, msg := lookupSchema(eventType, true, vendor, -1, olarkSchemas)
	if msg != "" {
		return fail(msg)
	}
	ev, msg = olarkTimestamps(ev)
	if msg != "" {
		return fail(msg)
	}
	return one(rawEvent(p, unstructParams("com.olark-v1", smapFromQuery(p.Querystring), schema, camelize(ev), "srv")))
}

// olarkTimestamps turns every items[].timestamp ("seconds.fraction") into a
// JSON Schema date-time.
func olarkTimestamps(v *jvalue) (*jvalue, string) {
	if v.kind != jObject {
		return v, ""
	}
	out := &jvalue{kind: jObject, obj: append([]jfield(nil), v.obj...)}
	for fi, f := range out.obj {
		if f.name != "items" || f.val.kind != jArray {
			continue
		}
		items := &jvalue{kind: jArray, arr: make([]*jvalue, len(f.val.arr))}
		for ii, item := range f.val.arr {
			items.arr[ii] = item
			if item.kind != jObject {
				continue
			}
			ni := &jvalue{kind: jObject, obj: append([]jfield(nil), item.obj...)}
			for k, g := range ni.obj {
				if g.name != "timestamp" || g.val.kind != jString {
					continue
				}
				ms, ok := olarkMillis(g.val.s)
				if !ok {
					return nil, "Olark event failed: cannot convert timestamp [" + g.val.s + "] to milliseconds"
				}
				ni.obj[k] = jfield{"timestamp", jstr(jsonSchemaDateTime(time.UnixMilli(ms)))}
			}
			items.arr[ii] = ni
		}
		out.obj[fi] = jfield{f.name, items}
	}
	return out, ""
}

// olarkMillis turns "1307116657.1" into 1307116657100: the seconds, then
// the first three fractional digits padded with zeros (Java's
// split('.') rules: trailing empty parts dropped).
func olarkMillis(ts string) (int64, bool) {
	parts := []string{""}
	if ts != "" {
		parts = strings.Split(ts, ".")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	var s string
	switch len(parts) {
	case 1:
		s = parts[0] + "000"
	case 2:
		frac := parts[1]
		if len(frac) > 3 {
			frac = frac[:3]
		}
		s = parts[0] + frac + strings.Repeat("0", 3-len(frac))
	default:
		return 0, false
	}
	return javaParseLong(s)
}

// ---------------------------------------------------------------------------
// PagerDuty: a JSON body with a messages array.

var pagerdutyIncident = schemaURI("com.pagerduty", "incident")

var pagerdutySchemas = map[string]string{
	"incident.trigger":       pagerdutyIncident,
	"incident.acknowledge":   pagerdutyIncident,
	"incident.unacknowledge": pagerdutyIncident,
	"incident.resolve":       pagerdutyIncident,
	"incident.assign":        pagerdutyIncident,
	"incident.escalate":      pagerdutyIncident,
	"incident.delegate":      pagerdutyIncident,
}

func pagerdutyToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "PagerDuty"
	if msg := bodyChecks(p, vendor, "events", "application/json"); msg != "" {
		return fail(msg)
	}
	parsed, msg := parseEventJSON(vendor+" payload", p.Body)
	if msg != "" {
		return fail(msg)
	}
	messages := parsed.child("messages")
	switch {
	case messages == nil:
		return fail(vendor + " payload does not contain the needed 'messages' key")
	case messages.kind != jArray:
		return fail("Could not resolve " + vendor + " payload into a JSON array of events")
	}
	qs := smapFromQuery(p.Querystring)
	var evs []RawEvent
	var errs []string
	for idx, ev := range messages.arr {
		et, ok := extractString(ev.child("type"))
		schema, msg := lookupSchema(et, ok, vendor, idx, pagerdutySchemas)
		if msg != "" {
			errs = append(errs, msg)
			continue
		}
		evs = append(evs, rawEvent(p, unstructParams("com.pagerduty-v1", qs, schema, pagerdutyReformat(ev), "srv")))
	}
	return eventsFromList(evs, errs)
}

func pagerdutyReformat(v *jvalue) *jvalue {
	return transformFields(v, func(f jfield) (jfield, bool) {
		if f.val == nil || f.val.kind != jString {
			return f, false
		}
		s := f.val.s
		switch {
		case s == "null":
			return jfield{f.name, jnull()}, true
		case f.name == "type" && strings.HasPrefix(s, "incident."):
			return jfield{f.name, jstr(strings.ReplaceAll(s, "incident.", ""))}, true
		case f.name == "created_on" || f.name == "last_status_change_on":
			return jfield{f.name, jstr(pagerdutyDatetime(s))}, true
		}
		return f, false
	})
}

// pagerdutyDatetime is dt.replaceAll(" 00:00$", "+00:00"): Java's '$' also
// matches just before a final line terminator.
func pagerdutyDatetime(dt string) string {
	for _, term := range [...]string{"", "\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029"} {
		body, ok := strings.CutSuffix(dt, term)
		if !ok {
			continue
		}
		if b, ok := strings.CutSuffix(body, " 00:00"); ok {
			return b + "+00:00" + term
		}
		if term == "" {
			continue
		}
		return dt
	}
	return dt
}

// ---------------------------------------------------------------------------
// Pingdom: a querystring whose message parameter is the alert JSON.

var pingdomSchemas = map[string]string{
	"assign":          schemaURI("com.pingdom", "incident_assign"),
	"notify_user":     schemaURI("com.pingdom", "incident_notify_user"),
	"notify_of_close": schemaURI("com.pingdom", "incident_notify_of_close"),
}

func pingdomToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Pingdom"
	if len(p.Querystring) == 0 {
		return fail(vendor + " payload querystring is empty: nothing to process")
	}
	var errs []string
	for _, q := range p.Querystring {
		if inner, ok := pingdomWrapped(q.Value); ok {
			errs = append(errs, vendor+" name-value pair ["+q.Name+" -> "+inner+"]: Passed regex - Collector is not catching unicode wrappers anymore")
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	params := smapFromQuery(p.Querystring)
	message, ok := params.get("message")
	if !ok {
		return fail(vendor + " payload querystring does not have 'message' as a key: no event to process")
	}
	ev, msg := parseEventJSON(vendor+" event", message)
	if msg != "" {
		return fail(msg)
	}
	action, ok := extractString(ev.child("action"))
	schema, msg := lookupSchema(action, ok, vendor, -1, pingdomSchemas)
	if msg != "" {
		return fail(msg)
	}
	ev = removeFields(ev, func(f jfield) bool { return isStringField(f, "action", action) })
	return one(rawEvent(p, unstructParams("com.pingdom-v1", params.without("message"), schema, ev, "srv")))
}

// pingdomWrapped matches \(u'(.+)',\) against the whole value.
func pingdomWrapped(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, "(u'")
	if !ok {
		return "", false
	}
	inner, ok = strings.CutSuffix(inner, "',)")
	if !ok || inner == "" || strings.ContainsAny(inner, "\n\r\u0085\u2028\u2029") {
		return "", false
	}
	return inner, true
}

// ---------------------------------------------------------------------------
// SendGrid: a JSON array of events.

var sendgridSchemas = func() map[string]string {
	m := map[string]string{}
	for _, n := range [...]string{"processed", "dropped", "delivered", "deferred", "bounce", "open", "click", "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe"} {
		m[n] = schemaURI("com.sendgrid", n)
	}
	return m
}()

func sendgridToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Sendgrid"
	switch {
	case p.Body == "":
		return fail("Request body is empty: no " + vendor + " event to process")
	case p.ContentType == "":
		return fail("Request body provided but content type empty, expected application/json for " + vendor)
	case mimeBaseType(p.ContentType) != "application/json":
		return fail("Content type of " + p.ContentType + " provided, expected application/json for " + vendor)
	}
	parsed, msg := parseEventJSON(vendor+" event", p.Body)
	if msg != "" {
		return fail(msg)
	}
	items := parsed.children()
	if len(items) == 0 {
		return fail(vendor + " event failed json sanity check: has no events")
	}
	qs := smapFromQuery(p.Querystring)
	var evs []RawEvent
	var errs []string
	for idx, item := range items {
		et, ok := extractString(item.descendant("event"))
		schema, msg := lookupSchema(et, ok, vendor, idx, sendgridSchemas)
		if msg != "" {
			errs = append(errs, msg)
			continue
		}
		data := cleanupJSONEventValues(item, "event", et, "timestamp")
		evs = append(evs, rawEvent(p, unstructParams("com.sendgrid-v3", qs, schema, data, "srv")))
	}
	return eventsFromList(evs, errs)
}

// mimeBaseType is javax.mail's ContentType(ct).getBaseType, or ct itself
// when it does not parse as type/subtype.
func mimeBaseType(ct string) string {
	base, _, _ := strings.Cut(ct, ";")
	typ, sub, ok := strings.Cut(base, "/")
	typ, sub = strings.TrimSpace(typ), strings.TrimSpace(sub)
	if !ok || typ == "" || sub == "" || strings.ContainsAny(typ+sub, " \t()<>@,;:\\\"/[]?=") {
		return ct
	}
	return typ + "/" + sub
}

// ---------------------------------------------------------------------------
// StatusGator: a form body holding one status change.

func statusgatorToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "StatusGator"
	if msg := bodyChecks(p, vendor, "events", formContentType); msg != "" {
		return fail(msg)
	}
	body, msg := formBody(vendor, p.Body)
	if msg != "" {
		return fail(msg)
	}
	return one(rawEvent(p, unstructParams("com.statusgator-v1", smapFromQuery(p.Querystring),
		schemaURI("com.statusgator", "status_change"), camelize(body.toJSON()), "srv")))
}

// ---------------------------------------------------------------------------
// Unbounce: a form body holding a form submission (data.json) and the page
// it came from.

func unbounceToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Unbounce"
	if msg := bodyChecks(p, vendor, "events", formContentType); msg != "" {
		return fail(msg)
	}
	body, msg := formBody(vendor, p.Body)
	if msg != "" {
		return fail(msg)
	}
	var errs []string
	var dataJSON *jvalue
	switch i := body.index("data.json"); {
	case i < 0:
		errs = append(errs, vendor+" event data does not have 'data.json' as a key")
	case body.entries[i].val == "" || body.entries[i].null:
		errs = append(errs, vendor+" event data is empty: nothing to process")
	default:
		dataJSON, msg = parseEventJSON(vendor+" event string", body.entries[i].val)
		if msg != "" {
			errs = append(errs, msg)
		}
	}
	for _, k := range [...]string{"page_id", "page_name", "variant", "page_url"} {
		if _, ok := body.get(k); !ok {
			errs = append(errs, vendor+" context data missing '"+k+"'")
			break
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	ev := body.without("data.json", "data.xml").toJSON()
	ev.obj = append([]jfield{{"data.json", dataJSON}}, ev.obj...)
	return one(rawEvent(p, unstructParams("com.unbounce-v1", smapFromQuery(p.Querystring),
		schemaURI("com.unbounce", "form_post"), camelize(ev), "srv")))
}

// ---------------------------------------------------------------------------
// Urban Airship Connect: one event JSON per NDJSON line.

var urbanairshipSchemas = func() map[string]string {
	m := map[string]string{}
	for _, n := range [...]string{"CLOSE", "CUSTOM", "FIRST_OPEN", "IN_APP_MESSAGE_DISPLAY", "IN_APP_MESSAGE_EXPIRATION",
		"IN_APP_MESSAGE_RESOLUTION", "LOCATION", "OPEN", "PUSH_BODY", "REGION", "RICH_DELETE", "RICH_DELIVERY",
		"RICH_HEAD", "SEND", "TAG_CHANGE", "UNINSTALL"} {
		m[n] = schemaURI("com.urbanairship.connect", n)
	}
	return m
}()

func urbanairshipToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "UrbanAirship"
	switch {
	case p.Body == "":
		return fail("Request body is empty: no " + vendor + " event to process")
	case p.ContentType != "":
		return fail("Content type of " + p.ContentType + " provided, expected None for " + vendor)
	}
	parsed, msg := parseEventJSON(vendor+" event", p.Body)
	if msg != "" {
		return fail(msg)
	}
	et, ok := extractString(parsed.child("type"))
	schema, msg := lookupSchema(et, ok, vendor, -1, urbanairshipSchemas)
	if msg != "" {
		return fail(msg)
	}
	var errs []string
	field := func(name string) string {
		s, ok := extractString(parsed.child(name))
		if !ok {
			errs = append(errs, vendor+" event failed: no '"+name+"' string")
		}
		return s
	}
	occurred, id, processed := field("occurred"), field("id"), field("processed")
	if len(errs) > 0 {
		return nil, errs
	}
	trueTime, ok := parseISODateTime(occurred)
	if !ok {
		return fail(vendor + " event failed: 'occurred' [" + occurred + "] is not an ISO 8601 date-time: " + isoDateTimeError(occurred))
	}
	collectorTime, ok := parseISODateTime(processed)
	if !ok {
		return fail(vendor + " event failed: 'processed' [" + processed + "] is not an ISO 8601 date-time: " + isoDateTimeError(processed))
	}
	qs := smapFromQuery(p.Querystring)
	qs.put("ttm", strconv.FormatInt(trueTime.UnixMilli(), 10))
	qs.put("eid", id)
	ev := rawEvent(p, unstructParams("com.urbanairship.connect-v1", qs, schema, parsed, "srv"))
	ev.Context.Timestamp = collectorTime.UTC()
	return one(ev)
}

// ---------------------------------------------------------------------------
// Marketo: a JSON body holding one event.

var marketoDateFields = []string{"acquisition_date", "created_at", "email_suspended_at", "last_referred_enrollment",
	"last_referred_visit", "updated_at", "datetime"}

func marketoToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Marketo"
	if p.Body == "" {
		return fail("Request body is empty: no " + vendor + " event to process")
	}
	parsed, msg := parseEventJSON(vendor+" event", p.Body)
	if msg != "" {
		return fail(msg)
	}
	parsed = transformFields(parsed, func(f jfield) (jfield, bool) {
		if f.val == nil || f.val.kind != jString || !contains(marketoDateFields, f.name) {
			return f, false
		}
		return jfield{f.name, jstr(toJSONSchemaDateTime(f.val.s))}, true
	})
	return one(rawEvent(p, unstructParams("com.marketo-v1", smapFromQuery(p.Querystring), schemaURI("com.marketo", "event"), parsed, "srv")))
}

// ---------------------------------------------------------------------------
// Vero: a JSON body holding one event.

var veroSchemas = map[string]string{
	"bounced":      schemaURI("com.getvero", "bounced"),
	"clicked":      schemaURI("com.getvero", "clicked"),
	"delivered":    schemaURI("com.getvero", "delivered"),
	"opened":       schemaURI("com.getvero", "opened"),
	"sent":         schemaURI("com.getvero", "sent"),
	"unsubscribed": schemaURI("com.getvero", "unsubscribed"),
	"user_created": schemaURI("com.getvero", "created"),
	"user_updated": schemaURI("com.getvero", "updated"),
}

func veroToRawEvents(p *collector.Payload) ([]RawEvent, []string) {
	const vendor = "Vero"
	if p.Body == "" {
		return fail("Request body is empty: no " + vendor + " event to process")
	}
	parsed, msg := parseEventJSON(vendor+" event", p.Body)
	if msg != "" {
		return fail(msg)
	}
	et, ok := extractString(parsed.child("type"))
	schema, msg := lookupSchema(et, ok, vendor, -1, veroSchemas)
	if msg != "" {
		return fail(msg)
	}
	ev := cleanupJSONEventValues(parsed, "type", et, et+"_at", "triggered_at")
	ev = transformFields(ev, func(f jfield) (jfield, bool) {
		if f.name != "_tags" {
			return f, false
		}
		return jfield{"tags", f.val}, true
	})
	return one(rawEvent(p, unstructParams("com.getvero-v1", smapFromQuery(p.Querystring), schema, ev, "srv")))
}
