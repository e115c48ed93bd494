package adapter

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/enrich/collector"
)

// Each webhook gets realistic payloads written for this project. Where a
// payload has five or more parameters, Scala's HashMap decided the member
// order; the expected orders below were computed independently (a small
// script re-implementing String.hashCode, HashMap.improve and the trie
// walk), not copied from this package's output.

func ue(schema, data string) string {
	return `{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"` + schema + `","data":` + data + `}}`
}

const (
	testCV   = "clj-1.1.0-tom-0.2.0"
	testNUID = "8712a379-4bcb-46ee-815d-85f26540577f"
)

func TestCallrail(t *testing.T) {
	r := NewRegistry(nil)
	p := payload(vendorCallrail, "v1", qs(
		"aid", "crm", "answered", "false", "callercity", "LEEDS", "callercountry", "GB", "callername", "JANE DOE",
		"callernum", "+441130000000", "datetime", "2018-03-02 10:11:12", "duration", "61", "first_call", "false",
		"id", "99887766", "ip", "10.1.2.3", "keywords", "", "trackingnum", "+441130000001", "cv", testCV, "nuid", testNUID,
	), "", "")
	evs := mustEvents(t, r, p)
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.callrail-v1", "e": "ue", "p": "srv", "aid": "crm", "cv": testCV, "nuid": testNUID,
		"ue_pr": ue("iglu:com.callrail/call_complete/jsonschema/1-0-0",
			`{"duration":61,"ip":"10.1.2.3","datetime":"2018-03-02T10:11:12.000Z","callername":"JANE DOE","id":"99887766",`+
				`"callernum":"+441130000000","trackingnum":"+441130000001","keywords":null,"first_call":false,"callercountry":"GB",`+
				`"callercity":"LEEDS","answered":false}`),
	})

	// Four parameters stay in insertion order; unconvertible values stay strings.
	evs = mustEvents(t, r, payload(vendorCallrail, "v1", qs("id", "1", "duration", "abc", "first_call", "maybe", "datetime", "2018-02-30 10:11:12"), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.callrail-v1", "e": "ue", "p": "srv",
		"ue_pr": ue("iglu:com.callrail/call_complete/jsonschema/1-0-0",
			`{"id":"1","duration":"abc","first_call":"maybe","datetime":"2018-02-30 10:11:12"}`),
	})
	mustFail(t, r, payload(vendorCallrail, "v1", nil, "", ""), "Querystring is empty: no CallRail event to process")
}

func form(pairs ...string) string {
	v := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		v = append(v, url.QueryEscape(pairs[i])+"="+url.QueryEscape(pairs[i+1]))
	}
	return strings.Join(v, "&")
}

func TestMailchimp(t *testing.T) {
	r := NewRegistry(nil)
	body := form("type", "subscribe", "fired_at", "2018-03-02 10:11:12", "data[id]", "8a25ff1d98", "data[email]", "api@example.com",
		"data[email_type]", "html", "data[merges][EMAIL]", "api@example.com", "data[merges][FNAME]", "Ada",
		"data[ip_signup]", "10.20.10.30", "data[list_id]", "a6b5da1054")
	evs := mustEvents(t, r, payload(vendorMailchimp, "v1", qs("aid", "mc", "cv", testCV, "nuid", testNUID), formContentType, body))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.mailchimp-v1", "e": "ue", "p": "srv", "aid": "mc", "cv": testCV, "nuid": testNUID,
		"ue_pr": ue("iglu:com.mailchimp/subscribe/jsonschema/1-0-0",
			`{"data":{"email":"api@example.com","list_id":"a6b5da1054","email_type":"html","id":"8a25ff1d98",`+
				`"merges":{"FNAME":"Ada","EMAIL":"api@example.com"},"ip_signup":"10.20.10.30"},`+
				`"fired_at":"2018-03-02T10:11:12.000Z","type":"subscribe"}`),
	})

	// Few parameters: insertion order, querystring first.
	evs = mustEvents(t, r, payload(vendorMailchimp, "v1", qs("p", "web"), formContentType, form("type", "cleaned", "data[reason]", "hard", "data[email]", "x@example.com")))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.mailchimp-v1", "e": "ue", "p": "web",
		"ue_pr": ue("iglu:com.mailchimp/cleaned_email/jsonschema/1-0-0", `{"type":"cleaned","data":{"reason":"hard","email":"x@example.com"}}`),
	})

	mustFail(t, r, payload(vendorMailchimp, "v1", nil, "", ""), "Request body is empty: no MailChimp event to process")
	mustFail(t, r, payload(vendorMailchimp, "v1", nil, "", "type=subscribe"),
		"Request body provided but content type empty, expected application/x-www-form-urlencoded for MailChimp")
	mustFail(t, r, payload(vendorMailchimp, "v1", nil, "application/json", "type=subscribe"),
		"Content type of application/json provided, expected application/x-www-form-urlencoded for MailChimp")
	mustFail(t, r, payload(vendorMailchimp, "v1", nil, formContentType, "fired_at=x"),
		"No MailChimp type parameter provided: cannot determine event type")
	mustFail(t, r, payload(vendorMailchimp, "v1", nil, formContentType, "type=bogus"),
		"MailChimp event failed: type parameter [bogus] not recognized")
	mustFail(t, r, payload(vendorMailchimp, "v1", nil, formContentType, "type="),
		"MailChimp event failed: type parameter is empty - cannot determine event type")
}

func TestMailgun(t *testing.T) {
	r := NewRegistry(nil)
	body := form("domain", "mg.example.com", "event", "clicked", "recipient", "ada@example.com", "timestamp", "1520000000",
		"token", "tok123", "signature", "sig456", "url", "https://example.com/page", "my-custom_var", "x")
	evs := mustEvents(t, r, payload(vendorMailgun, "v1", qs("cv", testCV, "nuid", testNUID), formContentType, body))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.mailgun-v1", "e": "ue", "p": "srv", "cv": testCV, "nuid": testNUID,
		"ue_pr": ue("iglu:com.mailgun/message_clicked/jsonschema/1-0-0",
			`{"recipient":"ada@example.com","timestamp":"2018-03-02T14:13:20.000Z","url":"https://example.com/page",`+
				`"domain":"mg.example.com","signature":"sig456","myCustomVar":"x","token":"tok123"}`),
	})

	// multipart/form-data (CRLF line ends, a part with extra headers, a
	// quoted boundary).
	const boundary = "1a2b3c4d-aaaa-bbbb"
	part := func(name, value string) string {
		return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"
	}
	mp := part("event", "opened") + part("recipient", "bob@example.com") + part("timestamp", "1520000001") +
		part("token", "t0k") + part("signature", "s1g") + part("attachment-count", "2") +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"body-plain\"; filename=\"b.txt\"\r\nContent-Type: text/plain\r\n\r\n  hello\r\n  world  \r\n" +
		"--" + boundary + "--\r\n"
	evs = mustEvents(t, r, payload(vendorMailgun, "v1", nil, `multipart/form-data; boundary="`+boundary, mp))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.mailgun-v1", "e": "ue", "p": "srv",
		"ue_pr": ue("iglu:com.mailgun/message_opened/jsonschema/1-0-0",
			`{"attachmentCount":2,"recipient":"bob@example.com","timestamp":"2018-03-02T14:13:21.000Z","signature":"s1g","token":"t0k"}`),
	})

	mustFail(t, r, payload(vendorMailgun, "v1", nil, "", ""), "Request body is empty: no Mailgun events to process")
	mustFail(t, r, payload(vendorMailgun, "v1", nil, "", "a=b"),
		"Request body provided but content type empty, expected one of application/x-www-form-urlencoded, multipart/form-data for Mailgun")
	mustFail(t, r, payload(vendorMailgun, "v1", nil, "application/json", "a=b"),
		"Content type of application/json provided, expected one of application/x-www-form-urlencoded, multipart/form-data for Mailgun")
	mustFail(t, r, payload(vendorMailgun, "v1", nil, formContentType, "timestamp=1"),
		"No Mailgun event parameter provided: cannot determine event type")
	mustFail(t, r, payload(vendorMailgun, "v1", nil, formContentType, "event=opened&timestamp=1&signature=s"),
		"Mailgun event data missing 'token'")
	mustFail(t, r, payload(vendorMailgun, "v1", nil, formContentType, "event=stored&timestamp=1"),
		"Mailgun event failed: type parameter [stored] not recognized")
	mustFail(t, r, payload(vendorMailgun, "v1", nil, formContentType, "event=opened&x=%zz|"),
		"Mailgun body could not be parsed: [Malformed escape pair at index 33: http://localhost/?event=opened&x=%zz|]")
}

func TestMandrill(t *testing.T) {
	r := NewRegistry(nil)
	events := `[{"event":"open","msg":{"ts":1520000000,"email":"ada@example.com","subject":"Hi","tags":[]},"_id":"m1","ts":1520000100},` +
		`{"event":"click","url":"https://example.com","ts":"1520000200","msg":{"event":"click"}}]`
	evs := mustEvents(t, r, payload(vendorMandrill, "v1", qs("aid", "mail"), formContentType, form("mandrill_events", events)))
	if len(evs) != 2 {
		t.Fatalf("got %d events", len(evs))
	}
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.mandrill-v1", "e": "ue", "p": "srv", "aid": "mail",
		"ue_pr": ue("iglu:com.mandrill/message_opened/jsonschema/1-0-0",
			`{"msg":{"ts":"2018-03-02T14:13:20.000Z","email":"ada@example.com","subject":"Hi","tags":[]},"_id":"m1","ts":"2018-03-02T14:15:00.000Z"}`),
	})
	// Only integer ts values are converted; "event":"click" goes at any depth.
	assertParams(t, evs[1].Parameters, map[string]string{
		"tv": "com.mandrill-v1", "e": "ue", "p": "srv", "aid": "mail",
		"ue_pr": ue("iglu:com.mandrill/message_clicked/jsonschema/1-0-0", `{"url":"https://example.com","ts":"1520000200","msg":{}}`),
	})

	mustFail(t, r, payload(vendorMandrill, "v1", nil, formContentType, form("mandrill_events", `[{"event":"send"},{"event":"nope"},{"x":1}]`)),
		"Mandrill event at index [1] failed: type parameter [nope] not recognized",
		"Mandrill event at index [2] failed: type parameter not provided - cannot determine event type")
	mustFail(t, r, payload(vendorMandrill, "v1", nil, formContentType, "a=1&b=2"), "Mapped Mandrill body has invalid count of keys: 2")
	mustFail(t, r, payload(vendorMandrill, "v1", nil, formContentType, "a=1"), "Mapped Mandrill body does not have 'mandrill_events' as a key")
	mustFail(t, r, payload(vendorMandrill, "v1", nil, formContentType, "mandrill_events="), "Mandrill events string is empty: nothing to process")
	mustFail(t, r, payload(vendorMandrill, "v1", nil, formContentType, form("mandrill_events", `{"event":"send"}`)),
		"Could not resolve Mandrill payload into a JSON array of events")
	mustFail(t, r, payload(vendorMandrill, "v1", nil, formContentType, form("mandrill_events", `[{"event":"send"`)),
		"Mandrill events string failed to parse into JSON: [unexpected end-of-input: expected close marker for OBJECT at line 1, column 17]")
	mustFail(t, r, payload(vendorMandrill, "v1", nil, formContentType, form("mandrill_events", `[]`)),
		"List of events is empty (should never happen, not catching empty list properly)")
	mustFail(t, r, payload(vendorMandrill, "v1", nil, "text/plain", "x"),
		"Content type of text/plain provided, expected application/x-www-form-urlencoded for Mandrill")
}

func TestOlark(t *testing.T) {
	r := NewRegistry(nil)
	data := `{"kind":"Conversation","id":"EV695BI2","items":[{"kind":"MessageToVisitor","timestamp":"1520000000.5","body":"Hi"},` +
		`{"kind":"MessageToOperator","timestamp":"1520000001","body":"Hello"},{"kind":"X","timestamp":"1520000002.12345"}],` +
		`"visitor":{"full_name":"Ada L","chat_feedback":{"overall_chat":4,"a__b":1}}}`
	evs := mustEvents(t, r, payload(vendorOlark, "v1", qs("aid", "support"), formContentType, form("data", data)))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.olark-v1", "e": "ue", "p": "srv", "aid": "support",
		"ue_pr": ue("iglu:com.olark/offline_message/jsonschema/1-0-0",
			`{"kind":"Conversation","id":"EV695BI2","items":[{"kind":"MessageToVisitor","timestamp":"2018-03-02T14:13:20.500Z","body":"Hi"},`+
				`{"kind":"MessageToOperator","timestamp":"2018-03-02T14:13:21.000Z","body":"Hello"},{"kind":"X","timestamp":"2018-03-02T14:13:22.123Z"}],`+
				// "a__b" sits under two object-valued members: camelCase applied
				// four times ("a__b" → "a_b" → "aB").
				`"visitor":{"fullName":"Ada L","chatFeedback":{"overallChat":4,"aB":1}}}`),
	})

	evs = mustEvents(t, r, payload(vendorOlark, "v1", nil, formContentType, form("data", `{"operators":{"1234":{"user_name":"jdoe"}},"items":[]}`)))
	if got, want := evs[0].Parameters["ue_pr"], ue("iglu:com.olark/transcript/jsonschema/1-0-0", `{"operators":{"1234":{"userName":"jdoe"}},"items":[]}`); got != want {
		t.Errorf("transcript:\n got %s\nwant %s", got, want)
	}

	mustFail(t, r, payload(vendorOlark, "v1", nil, formContentType, "x=1"), "Olark event data does not have 'data' as a key")
	mustFail(t, r, payload(vendorOlark, "v1", nil, formContentType, "data="), "Olark event data is empty: nothing to process")
	mustFail(t, r, payload(vendorOlark, "v1", nil, formContentType, form("data", `{"items":[{"timestamp":"1.2.3"}]}`)),
		"Olark event failed: cannot convert timestamp [1.2.3] to milliseconds")
	mustFail(t, r, payload(vendorOlark, "v1", nil, formContentType, form("data", `{{`)),
		"Olark event string failed to parse into JSON: [unexpected character ('{' (code 123)): was expecting double-quote to start field name at line 1, column 2]")
	mustFail(t, r, payload(vendorOlark, "v1", nil, "", "data=x"),
		"Request body provided but content type empty, expected application/x-www-form-urlencoded for Olark")
}

func TestPagerduty(t *testing.T) {
	r := NewRegistry(nil)
	body := `{"messages":[{"type":"incident.trigger","data":{"incident":{"id":"PX1","created_on":"2018-03-02T10:11:12 00:00",` +
		`"assigned_to_user":"null","status":"triggered","service":{"deleted_at":null}}},"id":"m1","created_on":"2018-03-02T10:11:13Z"},` +
		`{"type":"incident.resolve","data":{"incident":{"last_status_change_on":"2018-03-02T11:00:00 00:00"}}}]}`
	evs := mustEvents(t, r, payload(vendorPagerduty, "v1", qs("aid", "ops", "cv", testCV), "application/json", body))
	if len(evs) != 2 {
		t.Fatalf("got %d events", len(evs))
	}
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.pagerduty-v1", "e": "ue", "p": "srv", "aid": "ops", "cv": testCV,
		"ue_pr": ue("iglu:com.pagerduty/incident/jsonschema/1-0-0",
			`{"type":"trigger","data":{"incident":{"id":"PX1","created_on":"2018-03-02T10:11:12+00:00","assigned_to_user":null,`+
				`"status":"triggered","service":{"deleted_at":null}}},"id":"m1","created_on":"2018-03-02T10:11:13Z"}`),
	})
	if got, want := evs[1].Parameters["ue_pr"], ue("iglu:com.pagerduty/incident/jsonschema/1-0-0",
		`{"type":"resolve","data":{"incident":{"last_status_change_on":"2018-03-02T11:00:00+00:00"}}}`); got != want {
		t.Errorf("second event:\n got %s\nwant %s", got, want)
	}

	mustFail(t, r, payload(vendorPagerduty, "v1", nil, "application/json", `{"messages":[{"type":"incident.snooze"}]}`),
		"PagerDuty event at index [0] failed: type parameter [incident.snooze] not recognized")
	mustFail(t, r, payload(vendorPagerduty, "v1", nil, "application/json", `{"msgs":[]}`), "PagerDuty payload does not contain the needed 'messages' key")
	mustFail(t, r, payload(vendorPagerduty, "v1", nil, "application/json", `{"messages":{}}`), "Could not resolve PagerDuty payload into a JSON array of events")
	mustFail(t, r, payload(vendorPagerduty, "v1", nil, "application/json", `{"messages":[`),
		"PagerDuty payload failed to parse into JSON: [unexpected end-of-input: expected a JSON value at line 1, column 14]")
	mustFail(t, r, payload(vendorPagerduty, "v1", nil, "application/json; charset=utf-8", `{}`),
		"Content type of application/json; charset=utf-8 provided, expected application/json for PagerDuty")
}

func TestPingdom(t *testing.T) {
	r := NewRegistry(nil)
	msg := `{"check": "803318", "checkname": "Shop", "host": "shop.example.com", "action": "notify_of_close", "incidentid": 7, "description": "up", "ratio": 0.25}`
	evs := mustEvents(t, r, payload(vendorPingdom, "v1", qs("p", "srv", "message", msg, "aid", "uptime", "cv", testCV, "nuid", "-"), "", ""))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.pingdom-v1", "e": "ue", "p": "srv", "aid": "uptime", "cv": testCV, "nuid": "-",
		"ue_pr": ue("iglu:com.pingdom/incident_notify_of_close/jsonschema/1-0-0",
			`{"check":"803318","checkname":"Shop","host":"shop.example.com","incidentid":7,"description":"up","ratio":0.25}`),
	})

	mustFail(t, r, payload(vendorPingdom, "v1", nil, "", ""), "Pingdom payload querystring is empty: nothing to process")
	mustFail(t, r, payload(vendorPingdom, "v1", qs("p", "(u'app',)", "aid", "(u'x',)"), "", ""),
		"Pingdom name-value pair [p -> app]: Passed regex - Collector is not catching unicode wrappers anymore",
		"Pingdom name-value pair [aid -> x]: Passed regex - Collector is not catching unicode wrappers anymore")
	mustFail(t, r, payload(vendorPingdom, "v1", qs("p", "srv"), "", ""),
		"Pingdom payload querystring does not have 'message' as a key: no event to process")
	mustFail(t, r, payload(vendorPingdom, "v1", qs("message", `{"action":"pause"}`), "", ""),
		"Pingdom event failed: type parameter [pause] not recognized")
	mustFail(t, r, payload(vendorPingdom, "v1", qs("message", `{"check":1}`), "", ""),
		"Pingdom event failed: type parameter not provided - cannot determine event type")
	mustFail(t, r, payload(vendorPingdom, "v1", qs("message", `{"check":01}`), "", ""),
		"Pingdom event failed to parse into JSON: [invalid numeric value: leading zeroes not allowed at line 1, column 10]")
}

func TestSendgrid(t *testing.T) {
	r := NewRegistry(nil)
	body := `[{"email":"ada@example.com","timestamp":1520000000,"smtp-id":"\u003c14c5d75ce93.dfd.64b469@ismtpd-555\u003e","event":"delivered","response":"250 OK"},` +
		`{"email":"bob@example.com","timestamp":"1520000001","event":"open","useragent":"Mozilla/5.0","ip":"10.0.0.1"}]`
	evs := mustEvents(t, r, payload(vendorSendgrid, "v3", qs("aid", "email", "nuid", testNUID), "application/json; charset=utf-8", body))
	if len(evs) != 2 {
		t.Fatalf("got %d events", len(evs))
	}
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.sendgrid-v3", "e": "ue", "p": "srv", "aid": "email", "nuid": testNUID,
		"ue_pr": ue("iglu:com.sendgrid/delivered/jsonschema/1-0-0",
			`{"email":"ada@example.com","timestamp":"2018-03-02T14:13:20.000Z","smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","response":"250 OK"}`),
	})
	if got, want := evs[1].Parameters["ue_pr"], ue("iglu:com.sendgrid/open/jsonschema/1-0-0",
		`{"email":"bob@example.com","timestamp":"2018-03-02T14:13:21.000Z","useragent":"Mozilla/5.0","ip":"10.0.0.1"}`); got != want {
		t.Errorf("second event:\n got %s\nwant %s", got, want)
	}

	mustFail(t, r, payload(vendorSendgrid, "v3", nil, "application/json", `[{"event":"processed"},{"event":"bogus"},{"email":"x"},{"event":"open","n":{"event":"click"}}]`),
		"Sendgrid event at index [1] failed: type parameter [bogus] not recognized",
		"Sendgrid event at index [2] failed: type parameter not provided - cannot determine event type",
		"Sendgrid event at index [3] failed: type parameter not provided - cannot determine event type")
	mustFail(t, r, payload(vendorSendgrid, "v3", nil, "application/json", `[]`), "Sendgrid event failed json sanity check: has no events")
	mustFail(t, r, payload(vendorSendgrid, "v3", nil, "text/json", `[]`), "Content type of text/json provided, expected application/json for Sendgrid")
	mustFail(t, r, payload(vendorSendgrid, "v3", nil, "", `[]`), "Request body provided but content type empty, expected application/json for Sendgrid")
	mustFail(t, r, payload(vendorSendgrid, "v3", nil, "application/json", `[{]`),
		`Sendgrid event failed to parse into JSON: [unexpected character (']' (code 93)): was expecting double-quote to start field name at line 1, column 3]`)
}

func TestStatusGator(t *testing.T) {
	r := NewRegistry(nil)
	body := form("service_name", "Amazon Web Services", "favicon_url", "https://dwxjd9cd6rwno.cloudfront.net/favicons/amazon-web-services.ico",
		"status_page_url", "https://status.aws.amazon.com/", "home_page_url", "http://aws.amazon.com/", "current_status", "warn",
		"last_status", "up", "occurred_at", "2018-03-02T10:11:12+00:00")
	evs := mustEvents(t, r, payload(vendorStatusGator, "v1", qs("aid", "status"), formContentType, body))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.statusgator-v1", "e": "ue", "p": "srv", "aid": "status",
		"ue_pr": ue("iglu:com.statusgator/status_change/jsonschema/1-0-0",
			`{"lastStatus":"up","statusPageUrl":"https://status.aws.amazon.com/","serviceName":"Amazon Web Services",`+
				`"faviconUrl":"https://dwxjd9cd6rwno.cloudfront.net/favicons/amazon-web-services.ico","occurredAt":"2018-03-02T10:11:12+00:00",`+
				`"homePageUrl":"http://aws.amazon.com/","currentStatus":"warn"}`),
	})
	mustFail(t, r, payload(vendorStatusGator, "v1", nil, "", ""), "Request body is empty: no StatusGator events to process")
	mustFail(t, r, payload(vendorStatusGator, "v1", nil, "application/json", "a=1"),
		"Content type of application/json provided, expected application/x-www-form-urlencoded for StatusGator")
}

func TestUnbounce(t *testing.T) {
	r := NewRegistry(nil)
	body := form("page_id", "7648177d-7323-4330-b4f9-9951a52138b6", "page_name", "Spring", "variant", "b",
		"page_url", "http://unbouncepages.com/spring/", "data.json", `{"email":["ada@example.com"],"ip_address":["10.0.0.1"]}`,
		"data.xml", `<?xml version="1.0"?><form_data/>`)
	evs := mustEvents(t, r, payload(vendorUnbounce, "v1", qs("aid", "lp"), formContentType, body))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.unbounce-v1", "e": "ue", "p": "srv", "aid": "lp",
		"ue_pr": ue("iglu:com.unbounce/form_post/jsonschema/1-0-0",
			`{"data.json":{"email":["ada@example.com"],"ipAddress":["10.0.0.1"]},"variant":"b","pageId":"7648177d-7323-4330-b4f9-9951a52138b6",`+
				`"pageName":"Spring","pageUrl":"http://unbouncepages.com/spring/"}`),
	})
	ctx := "page_id=p&page_name=n&variant=a&page_url=u"
	mustFail(t, r, payload(vendorUnbounce, "v1", nil, formContentType, ctx), "Unbounce event data does not have 'data.json' as a key")
	mustFail(t, r, payload(vendorUnbounce, "v1", nil, formContentType, ctx+"&data.json="), "Unbounce event data is empty: nothing to process")
	mustFail(t, r, payload(vendorUnbounce, "v1", nil, formContentType, ctx+"&data.json=%7B%7B"),
		"Unbounce event string failed to parse into JSON: [unexpected character ('{' (code 123)): was expecting double-quote to start field name at line 1, column 2]")
	mustFail(t, r, payload(vendorUnbounce, "v1", nil, formContentType, "page_name=n&variant=a&page_url=u&data.json=%7B%7D"),
		"Unbounce context data missing 'page_id'")
	mustFail(t, r, payload(vendorUnbounce, "v1", nil, formContentType, "page_id=p&page_name=n&variant=a"),
		"Unbounce event data does not have 'data.json' as a key", "Unbounce context data missing 'page_url'")
	mustFail(t, r, payload(vendorUnbounce, "v1", nil, "", ""), "Request body is empty: no Unbounce events to process")
}

func TestUrbanAirship(t *testing.T) {
	r := NewRegistry(nil)
	line := `{"id":"3c58b101-6508-b0d6-8d3c-e5e87b75b193","offset":"10","occurred":"2018-03-02T10:11:12.345Z","processed":"2018-03-02T10:11:13.000Z",` +
		`"device":{"ios_channel":"cd97c95c-ed77-f15a-3a67-5c2e26799d35"},"body":{"name":"purchase","value":12.50,"count":3,"big":1e21},"type":"CUSTOM"}`
	p := payload(vendorUrbanAirship, "v1", nil, "", line)
	p.Source = collector.Source{Name: "ndjson", Encoding: "UTF-8"}
	p.Context = collector.Context{}
	evs := mustEvents(t, r, p)
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.urbanairship.connect-v1", "e": "ue", "p": "srv", "ttm": "1519985472345", "eid": "3c58b101-6508-b0d6-8d3c-e5e87b75b193",
		"ue_pr": ue("iglu:com.urbanairship.connect/CUSTOM/jsonschema/1-0-0",
			`{"id":"3c58b101-6508-b0d6-8d3c-e5e87b75b193","offset":"10","occurred":"2018-03-02T10:11:12.345Z","processed":"2018-03-02T10:11:13.000Z",`+
				`"device":{"ios_channel":"cd97c95c-ed77-f15a-3a67-5c2e26799d35"},"body":{"name":"purchase","value":12.5,"count":3,"big":1.0E21},"type":"CUSTOM"}`),
	})
	if want := time.Date(2018, 3, 2, 10, 11, 13, 0, time.UTC); !evs[0].Context.Timestamp.Equal(want) {
		t.Errorf("collector timestamp %v, want %v", evs[0].Context.Timestamp, want)
	}

	mustFail(t, r, payload(vendorUrbanAirship, "v1", nil, "application/json", line), "Content type of application/json provided, expected None for UrbanAirship")
	mustFail(t, r, payload(vendorUrbanAirship, "v1", nil, "", `{"type":"SHOUT"}`), "UrbanAirship event failed: type parameter [SHOUT] not recognized")
	mustFail(t, r, payload(vendorUrbanAirship, "v1", nil, "", `{"type":"OPEN","id":"x"}`),
		"UrbanAirship event failed: no 'occurred' string", "UrbanAirship event failed: no 'processed' string")
	mustFail(t, r, payload(vendorUrbanAirship, "v1", nil, "", `{"type":"OPEN","id":"x","occurred":"yesterday","processed":"2018-03-02"}`),
		`UrbanAirship event failed: 'occurred' [yesterday] is not an ISO 8601 date-time: Invalid format: "yesterday"`)
	mustFail(t, r, payload(vendorUrbanAirship, "v1", nil, "", `{"type":`),
		"UrbanAirship event failed to parse into JSON: [unexpected end-of-input: expected a JSON value at line 1, column 9]")
}

func TestCloudfrontAccessLog(t *testing.T) {
	r := NewRegistry(nil)
	cf := func(line string) *collector.Payload {
		p := payload(vendorCloudfront, "wd_access_log", nil, "", line)
		p.Source = collector.Source{Name: "tsv", Encoding: "UTF-8"}
		p.Context = collector.Context{}
		return p
	}
	common := []string{"2018-03-02", "10:11:12", "FRA2", "3942", "203.0.113.7", "GET", "d1a2b3.cloudfront.net", "/i", "200",
		"https://shop.example.com/sale", "Mozilla/5.0%2520(X11;%2520Linux%2520x86_64)",
		"e=pv&page=Spring%2520Sale&tz=Europe%252FBerlin&pct=30%2525", "-", "Hit", "AbCdEf==", "d1a2b3.cloudfront.net", "https", "512", "0.002"}
	line := strings.Join(common, "\t")
	evs := mustEvents(t, r, cf(line))
	ev := evs[0]
	assertParams(t, ev.Parameters, map[string]string{
		"tv": "com.amazon.aws.cloudfront/wd_access_log", "e": "ue", "p": "srv", "url": "https://shop.example.com/sale",
		"ue_pr": ue("iglu:com.amazon.aws.cloudfront/wd_access_log/jsonschema/1-0-3",
			`{"dateTime":"2018-03-02T10:11:12Z","xEdgeLocation":"FRA2","scBytes":3942,"cIp":"203.0.113.7","csMethod":"GET",`+
				`"csHost":"d1a2b3.cloudfront.net","csUriStem":"/i","scStatus":"200","csReferer":"https://shop.example.com/sale",`+
				`"csUserAgent":"Mozilla/5.0 (X11; Linux x86_64)","csUriQuery":"e=pv&page=Spring%20Sale&tz=Europe%2FBerlin&pct=30%25",`+
				`"csCookie":"-","xEdgeResultType":"Hit","xEdgeRequestId":"AbCdEf==","xHostHeader":"d1a2b3.cloudfront.net",`+
				`"csProtocol":"https","csBytes":512,"timeTaken":0.002}`),
	})
	wantCtx := collector.Context{Timestamp: time.Date(2018, 3, 2, 10, 11, 12, 0, time.UTC), IPAddress: "203.0.113.7",
		UserAgent: "Mozilla/5.0%20(X11;%20Linux%20x86_64)"}
	if ev.Context.Timestamp != wantCtx.Timestamp || ev.Context.IPAddress != wantCtx.IPAddress || ev.Context.UserAgent != wantCtx.UserAgent ||
		ev.Context.Headers != nil || ev.Context.UserID != "" {
		t.Errorf("context %+v, want %+v", ev.Context, wantCtx)
	}

	// 23 fields (1-0-4): the extra four fields; empty fields become null.
	line23 := strings.Join(append(append([]string(nil), common...), "", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "Hit"), "\t")
	evs = mustEvents(t, r, cf(line23))
	if got := evs[0].Parameters["ue_pr"]; !strings.Contains(got, "wd_access_log/jsonschema/1-0-4") ||
		!strings.HasSuffix(got, `"timeTaken":0.002,"xForwardedFor":null,"sslProtocol":"TLSv1.2","sslCipher":"ECDHE-RSA-AES128-GCM-SHA256","xEdgeResponseResultType":"Hit"}}}`) {
		t.Errorf("23 fields: %s", got)
	}
	// 12 fields (1-0-0): up to csCookie; no referer means no url.
	line12 := strings.Join(append(append([]string(nil), common[:9]...), "", "-", "e=pv"), "\t")
	evs = mustEvents(t, r, cf(line12))
	if got, want := evs[0].Parameters["ue_pr"], ue("iglu:com.amazon.aws.cloudfront/wd_access_log/jsonschema/1-0-0",
		`{"dateTime":"2018-03-02T10:11:12Z","xEdgeLocation":"FRA2","scBytes":3942,"cIp":"203.0.113.7","csMethod":"GET",`+
			`"csHost":"d1a2b3.cloudfront.net","csUriStem":"/i","scStatus":"200","csReferer":null,"csUserAgent":"-","csUriQuery":"e=pv"}`); got != want {
		t.Errorf("12 fields:\n got %s\nwant %s", got, want)
	}
	if _, ok := evs[0].Parameters["url"]; ok {
		t.Error("url set without a referer")
	}

	mustFail(t, r, cf("a\tb\tc"), "Access log TSV line contained 3 fields, expected 12, 15, 18, 19, or 23")
	bad := append([]string(nil), common...)
	bad[1], bad[3], bad[17], bad[18] = "25:00:00", "lots", "2147483648", "fast"
	mustFail(t, r, cf(strings.Join(bad, "\t")),
		`Unexpected exception converting Cloudfront web distribution access log date [2018-03-02] and time [25:00:00] to timestamp: [Invalid format: "2018-03-02T25:00:00+00:00"]`,
		"Field [timeTaken]: cannot convert [fast] to Double",
		"Field [csBytes]: cannot convert [2147483648] to Int",
		"Field [scBytes]: cannot convert [lots] to Int")
	bad = append([]string(nil), common...)
	bad[10] = "Mozilla%zz"
	mustFail(t, r, cf(strings.Join(bad, "\t")),
		`Field [csUserAgent]: Exception URL-decoding [Mozilla%zz] (encoding [UTF-8]): [URLDecoder: Illegal hex characters in escape (%) pattern - For input string: "zz"]`)
	mustFail(t, r, cf(""), "Cloudfront TSV has no body - this should be impossible")
}

func TestMarketo(t *testing.T) {
	r := NewRegistry(nil)
	body := `{"name":"webinar","step":6,"lead":{"created_at":"2018-03-02 10:11:12","email":"ada@example.com","acquisition_date":"last week",` +
		`"updated_at":null},"datetime":"2018-3-2 9:05:01","score":1.0}`
	evs := mustEvents(t, r, payload(vendorMarketo, "v1", qs("aid", "mkto", "cv", testCV), "application/json", body))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.marketo-v1", "e": "ue", "p": "srv", "aid": "mkto", "cv": testCV,
		"ue_pr": ue("iglu:com.marketo/event/jsonschema/1-0-0",
			`{"name":"webinar","step":6,"lead":{"created_at":"2018-03-02T10:11:12.000Z","email":"ada@example.com","acquisition_date":"last week",`+
				`"updated_at":null},"datetime":"2018-03-02T09:05:01.000Z","score":1.0}`),
	})
	mustFail(t, r, payload(vendorMarketo, "v1", nil, "", ""), "Request body is empty: no Marketo event to process")
	mustFail(t, r, payload(vendorMarketo, "v1", nil, "application/json", "{"),
		"Marketo event failed to parse into JSON: [unexpected end-of-input: was expecting double-quote to start field name at line 1, column 2]")
}

func TestVero(t *testing.T) {
	r := NewRegistry(nil)
	body := `{"type":"opened","user":{"id":7,"email":"ada@example.com","_tags":{"add":["spring"]}},"opened_at":1520000000,` +
		`"triggered_at":"1520000001","sent_at":1520000002,"campaign":{"id":9,"name":"Spring","type":"transactional"}}`
	evs := mustEvents(t, r, payload(vendorVero, "v1", qs("aid", "vero"), "application/json", body))
	assertParams(t, evs[0].Parameters, map[string]string{
		"tv": "com.getvero-v1", "e": "ue", "p": "srv", "aid": "vero",
		"ue_pr": ue("iglu:com.getvero/opened/jsonschema/1-0-0",
			`{"user":{"id":7,"email":"ada@example.com","tags":{"add":["spring"]}},"opened_at":"2018-03-02T14:13:20.000Z",`+
				`"triggered_at":"2018-03-02T14:13:21.000Z","sent_at":1520000002,"campaign":{"id":9,"name":"Spring","type":"transactional"}}`),
	})
	evs = mustEvents(t, r, payload(vendorVero, "v1", nil, "application/json", `{"type":"user_created","user":{"id":1}}`))
	if got, want := evs[0].Parameters["ue_pr"], ue("iglu:com.getvero/created/jsonschema/1-0-0", `{"user":{"id":1}}`); got != want {
		t.Errorf("user_created:\n got %s\nwant %s", got, want)
	}
	mustFail(t, r, payload(vendorVero, "v1", nil, "application/json", `{"user":{}}`),
		"Vero event failed: type parameter not provided - cannot determine event type")
	mustFail(t, r, payload(vendorVero, "v1", nil, "", ""), "Request body is empty: no Vero event to process")
}
