package collector

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/furrowdata/furrow/enrich/collector/blockfile"
)

// thrift is the "thrift" format: Thrift records serialised with
// TBinaryProtocol, either the self-describing CollectorPayload
// (iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0) or
// the older SnowplowRawEvent, as Snowplow R108's ThriftLoader read them.
//
// The IDL (snowplow/snowplow 2-collectors/thrift-schemas):
//
//	struct SchemaSniffer { 31337: string schema }
//	struct CollectorPayload {
//	  31337: string schema
//	  100: string ipAddress
//	  200: i64 timestamp
//	  210: string encoding
//	  220: string collector
//	  300: optional string userAgent
//	  310: optional string refererUri
//	  320: optional string path
//	  330: optional string querystring
//	  340: optional string body
//	  350: optional list<string> headers
//	  360: optional string contentType
//	  400: optional string hostname
//	  410: optional string networkUserId
//	}
//	struct TrackerPayload { 1: i32 protocol; 2: i32 format; 3: string data }
//	struct SnowplowRawEvent {
//	  1: i64 timestamp; 20: string collector; 30: string encoding
//	  40: string ipAddress; 41: optional TrackerPayload payload
//	  45: optional string hostname; 50: optional string userAgent
//	  60: optional string refererUri; 70: optional list<string> headers
//	  80: optional string networkUserId
//	}
//
// Records are decoded by hand from the bytes (no generated code): the
// loader's behaviour, messages included, depends on how libthrift read,
// skipped and failed, which this reproduces.
//
// Files are elephant-bird block files (what Snowplow's S3 loader and
// LzoThriftBlockOutputFormat wrote), or, when a file does not start with
// the block marker, one base64-encoded record per line, which elephant-bird's
// MultiInputFormat fell back to (decoded leniently, like commons-codec).
type thrift struct{}

func (thrift) Name() string     { return NameThrift }
func (thrift) Splittable() bool { return false }

// BadLine is the record base64-encoded, as the bad rows of Spark Enrich
// carried it.
func (thrift) BadLine(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

func (thrift) NewReader(r io.Reader) RecordReader {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(len(blockfile.Marker))
	if string(head) == blockfile.Marker {
		return &blockRecords{r: blockfile.NewReader(br)}
	}
	return &base64Lines{lines: NewLineReader(br)}
}

// blockRecords frames an elephant-bird block file.
type blockRecords struct {
	r *blockfile.Reader
	n int64
}

func (b *blockRecords) Next() (Record, error) {
	rec, err := b.r.Next()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	if err != nil {
		return Record{}, fmt.Errorf("thrift block file after record %d: %w", b.n, err)
	}
	if len(rec) > MaxRecordSize {
		b.n++
		return Record{}, fmt.Errorf("record %d: %w: longer than %d bytes", b.n, ErrRecordTooLong, MaxRecordSize)
	}
	b.n++
	return Record{Data: rec, Line: b.n}, nil
}

// base64Lines frames a file of base64-encoded records, one per line.
type base64Lines struct {
	lines RecordReader
	buf   []byte
}

func (b *base64Lines) Next() (Record, error) {
	rec, err := b.lines.Next()
	if err != nil {
		return Record{}, err
	}
	b.buf = appendBase64Lenient(b.buf[:0], rec.Data)
	return Record{Data: b.buf, Line: rec.Line}, nil
}

const (
	msgDeserialize = "Error deserializing raw event: "
	// Snowplow's SchemaCriterion for the payloads it accepts.
	cpVendor    = "com.snowplowanalytics.snowplow"
	cpName      = "CollectorPayload"
	cpFormat    = "thrift"
	cpCriterion = "iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-*"
)

// Parse decodes one record. An empty record is discarded (elephant-bird
// skipped empty records and blank base64 lines).
func (thrift) Parse(data []byte) ([]Payload, error) {
	if len(data) == 0 {
		return nil, nil
	}
	schema, err := sniffSchema(data)
	if err != nil {
		return nil, parseErr(msgDeserialize + err.Error())
	}
	if schema.set {
		uri := javaString(schema.b)
		ver, ok := parseIgluURI(uri)
		if !ok {
			// SchemaKey.parse's ProcessingMessage, rendered by toString.
			return nil, parseErr("error: " + uri + " is not a valid Iglu-format schema URI\n    level: \"error\"\n")
		}
		if !ver.matchesCollectorPayload1 {
			return nil, parseErr("Verifying record as " + cpCriterion + " failed: found " + uri)
		}
		return convertCollectorPayload1(data)
	}
	return convertSnowplowRawEvent(data)
}

// tstr is a Thrift string field: set, and its bytes.
type tstr struct {
	b   []byte
	set bool
}

func (s tstr) String() string { // Java's new String(bytes, UTF-8); "" for null
	if !s.set {
		return ""
	}
	return javaString(s.b)
}

// readStruct reads a struct, calling field for each field; field returns
// false for fields it does not take (which are then skipped).
func (t *tbReader) readStruct(field func(typ byte, id int16) (bool, error)) error {
	for {
		typ, id, err := t.readFieldBegin()
		if err != nil {
			return err
		}
		if typ == ttStop {
			return nil
		}
		ok, err := field(typ, id)
		if err != nil {
			return err
		}
		if !ok {
			if err := t.skip(typ, 1); err != nil {
				return err
			}
		}
	}
}

func (t *tbReader) readStr(dst *tstr) error {
	b, err := t.readBinary()
	if err != nil {
		return err
	}
	*dst = tstr{b: b, set: true}
	return nil
}

func (t *tbReader) readStrList() ([]tstr, error) {
	// Generated Java code reads the elements as strings whatever the
	// declared element type.
	_, n, err := t.readListBegin()
	if err != nil {
		return nil, err
	}
	list := make([]tstr, 0, min(int(n), (len(t.b)-t.pos)/4))
	for i := int32(0); i < n; i++ {
		var s tstr
		if err := t.readStr(&s); err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, nil
}

// sniffSchema reads the record as a SchemaSniffer.
func sniffSchema(data []byte) (tstr, error) {
	t := &tbReader{b: data}
	var schema tstr
	err := t.readStruct(func(typ byte, id int16) (bool, error) {
		if id == 31337 && typ == ttString {
			return true, t.readStr(&schema)
		}
		return false, nil
	})
	return schema, err
}

type igluVersion struct{ matchesCollectorPayload1 bool }

// parseIgluURI checks uri against iglu-scala-client's SchemaKey regex
//
//	^iglu:([a-zA-Z0-9-_.]+)/([a-zA-Z0-9-_]+)/([a-zA-Z0-9-_]+)/([1-9][0-9]*(?:-(?:0|[1-9][0-9]*)){2})$
//
// and reports whether it matches the criterion CollectorPayload 1-0-*.
func parseIgluURI(uri string) (igluVersion, bool) {
	rest, ok := strings.CutPrefix(uri, "iglu:")
	if !ok {
		return igluVersion{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 {
		return igluVersion{}, false
	}
	for i, p := range parts[:3] {
		if p == "" {
			return igluVersion{}, false
		}
		for _, c := range []byte(p) {
			ok := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '_' || (i == 0 && c == '.')
			if !ok {
				return igluVersion{}, false
			}
		}
	}
	nums := strings.Split(parts[3], "-")
	if len(nums) != 3 {
		return igluVersion{}, false
	}
	for i, n := range nums {
		if n == "" || (n[0] == '0' && (i == 0 || len(n) > 1)) {
			return igluVersion{}, false
		}
		for _, c := range []byte(n) {
			if c < '0' || c > '9' {
				return igluVersion{}, false
			}
		}
	}
	match := parts[0] == cpVendor && parts[1] == cpName && parts[2] == cpFormat && nums[0] == "1" && nums[1] == "0"
	return igluVersion{matchesCollectorPayload1: match}, true
}

// collectorPayload1 holds the fields of a CollectorPayload record.
type collectorPayload1 struct {
	ipAddress, encoding, collector, userAgent, refererURI, path, querystring,
	body, contentType, hostname, networkUserID tstr
	timestamp  int64
	headers    []tstr
	headersSet bool
}

func convertCollectorPayload1(data []byte) ([]Payload, error) {
	t := &tbReader{b: data}
	var cp collectorPayload1
	err := t.readStruct(func(typ byte, id int16) (bool, error) {
		var dst *tstr
		switch id {
		case 200:
			if typ != ttI64 {
				return false, nil
			}
			v, err := t.readI64()
			cp.timestamp = v
			return true, err
		case 350:
			if typ != ttList {
				return false, nil
			}
			h, err := t.readStrList()
			cp.headers, cp.headersSet = h, err == nil
			return true, err
		case 100:
			dst = &cp.ipAddress
		case 210:
			dst = &cp.encoding
		case 220:
			dst = &cp.collector
		case 300:
			dst = &cp.userAgent
		case 310:
			dst = &cp.refererURI
		case 320:
			dst = &cp.path
		case 330:
			dst = &cp.querystring
		case 340:
			dst = &cp.body
		case 360:
			dst = &cp.contentType
		case 400:
			dst = &cp.hostname
		case 410:
			dst = &cp.networkUserID
		default:
			return false, nil
		}
		if typ != ttString {
			return false, nil
		}
		return true, t.readStr(dst)
	})
	if err != nil {
		return nil, parseErr(msgDeserialize + err.Error())
	}

	ap := getArena()
	defer putArena(ap)
	a := textArena{b: (*ap)[:0]}
	var hbuf [16]span
	hs := hbuf[:0]
	for _, h := range cp.headers {
		hs = append(hs, a.add(h))
	}
	var pairsBuf [64]qsPair
	pairs, qsMsg := a.query(cp.querystring, cp.encoding, pairsBuf[:0])
	ip, ua, refr := a.add(cp.ipAddress), a.add(cp.userAgent), a.add(cp.refererURI)
	ct, body := a.add(cp.contentType), a.add(cp.body)
	coll, enc, host := a.add(cp.collector), a.add(cp.encoding), a.add(cp.hostname)
	nuid, path := a.add(cp.networkUserID), a.add(cp.path)
	*ap = a.b
	text := string(a.b)

	var msgs []string
	if qsMsg != "" {
		msgs = append(msgs, qsMsg)
	}
	var api API
	if !cp.path.set {
		msgs = append(msgs, "Request does not contain a path")
	} else {
		var m string
		if api, m = parseAPI(path.strOrEmpty(text)); m != "" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 0 {
		return nil, &ParseError{Messages: msgs}
	}
	headers := spanStrings(text, hs)
	return []Payload{{
		API:         api,
		Querystring: nameValues(text, pairs),
		ContentType: ct.strOrEmpty(text),
		Body:        body.strOrEmpty(text),
		Source:      Source{Name: coll.strOrEmpty(text), Encoding: enc.strOrEmpty(text), Hostname: host.strOrEmpty(text)},
		Context: Context{
			Timestamp:  time.UnixMilli(cp.timestamp).UTC(),
			IPAddress:  extractIPAddress(headers, ip.strOrEmpty(text)),
			UserAgent:  ua.strOrEmpty(text),
			RefererURI: refr.strOrEmpty(text),
			Headers:    headers,
			UserID:     nuid.strOrEmpty(text),
		},
	}}, nil
}

// textArena collects the text of one payload (one string in the end).
type textArena struct{ b []byte }

// add appends a Thrift string decoded as Java's new String(bytes, UTF-8);
// an unset string gives noSpan.
func (a *textArena) add(s tstr) span {
	if !s.set {
		return noSpan
	}
	start := len(a.b)
	if utf8.Valid(s.b) {
		a.b = append(a.b, s.b...)
	} else {
		a.b = appendJavaUTF8(a.b, s.b)
	}
	return span{int32(start), int32(len(a.b))}
}

// query parses a Thrift record's querystring in the record's encoding
// (UTF-8 when unset, as httpclient defaulted) into the arena.
func (a *textArena) query(q, enc tstr, pairs []qsPair) ([]qsPair, string) {
	if !q.set {
		return pairs, ""
	}
	qs := a.add(q)
	raw := qs.of(a.b)
	qlen, m := validateQuery(raw)
	encName := func() string {
		if !enc.set {
			return "null"
		}
		return enc.String()
	}
	if m != "" {
		return pairs, queryMessage(string(raw), encName(), m)
	}
	cs := csUTF8
	if enc.set {
		var ok bool
		if cs, ok = lookupCharsetBytes(enc.b); !ok {
			return pairs, queryMessage(string(raw), encName(), encName())
		}
	}
	return splitQuery(&a.b, raw[:qlen], cs, pairs), ""
}

func spanStrings(text string, spans []span) []string {
	if len(spans) == 0 {
		return nil
	}
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.strOrEmpty(text)
	}
	return out
}

// thriftQuerystring parses a querystring as a Thrift record's (see
// textArena.query) into name-value pairs.
func thriftQuerystring(q, enc tstr) ([]NameValue, string) {
	var a textArena
	pairs, msg := a.query(q, enc, nil)
	if msg != "" {
		return nil, msg
	}
	return nameValues(string(a.b), pairs), ""
}

// extractIPAddress is the IpAddressExtractor of Snowplow R108: the first
// header (lower-cased) matching ^x-forwarded-for: "?\[?([0-9a-f.:]+).* or
// ^forwarded: for="?\[?([0-9a-f.:]+).* gives the address, else lastIP.
func extractIPAddress(headers []string, lastIP string) string {
	for _, h := range headers {
		if ip, ok := forwardedIP(h, "x-forwarded-for: "); ok {
			return ip
		}
		if ip, ok := forwardedIP(h, "forwarded: for="); ok {
			return ip
		}
	}
	return lastIP
}

func forwardedIP(h, prefix string) (string, bool) {
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	rest := h[len(prefix):]
	i := 0
	if i < len(rest) && rest[i] == '"' {
		i++
	}
	if i < len(rest) && rest[i] == '[' {
		i++
	}
	j := i
	for j < len(rest) {
		c := rest[j]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		if !(('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || c == '.' || c == ':') {
			break
		}
		j++
	}
	if j == i || hasLineTerminator([]byte(rest[j:])) {
		return "", false
	}
	return strings.ToLower(rest[i:j]), true
}

// snowplowRawEvent holds the fields of a SnowplowRawEvent record.
type snowplowRawEvent struct {
	collector, encoding, ipAddress, hostname, userAgent, refererURI, networkUserID tstr
	timestamp                                                                      int64
	payloadSet                                                                     bool
	data                                                                           tstr
	headers                                                                        []tstr
}

func convertSnowplowRawEvent(data []byte) ([]Payload, error) {
	t := &tbReader{b: data}
	var ev snowplowRawEvent
	err := t.readStruct(func(typ byte, id int16) (bool, error) {
		var dst *tstr
		switch id {
		case 1:
			if typ != ttI64 {
				return false, nil
			}
			v, err := t.readI64()
			ev.timestamp = v
			return true, err
		case 41:
			if typ != ttStruct {
				return false, nil
			}
			ev.payloadSet = true
			ev.data = tstr{}
			return true, t.readStruct(func(typ byte, id int16) (bool, error) {
				switch {
				case (id == 1 || id == 2) && typ == ttI32:
					_, err := t.readI32()
					return true, err
				case id == 3 && typ == ttString:
					return true, t.readStr(&ev.data)
				}
				return false, nil
			})
		case 70:
			if typ != ttList {
				return false, nil
			}
			h, err := t.readStrList()
			ev.headers = h
			return true, err
		case 20:
			dst = &ev.collector
		case 30:
			dst = &ev.encoding
		case 40:
			dst = &ev.ipAddress
		case 45:
			dst = &ev.hostname
		case 50:
			dst = &ev.userAgent
		case 60:
			dst = &ev.refererURI
		case 80:
			dst = &ev.networkUserID
		default:
			return false, nil
		}
		if typ != ttString {
			return false, nil
		}
		return true, t.readStr(dst)
	})
	if err != nil {
		return nil, parseErr(msgDeserialize + err.Error())
	}
	if !ev.payloadSet {
		// snowplowRawEvent.payload.data on a null payload: a
		// NullPointerException, whose message is null.
		return nil, parseErr(msgDeserialize + "null")
	}
	ap := getArena()
	defer putArena(ap)
	a := textArena{b: (*ap)[:0]}
	var hbuf [16]span
	hs := hbuf[:0]
	for _, h := range ev.headers {
		hs = append(hs, a.add(h))
	}
	var pairsBuf [64]qsPair
	pairs, qsMsg := a.query(ev.data, ev.encoding, pairsBuf[:0])
	if qsMsg != "" {
		return nil, parseErr(qsMsg)
	}
	ip, ua, refr := a.add(ev.ipAddress), a.add(ev.userAgent), a.add(ev.refererURI)
	coll, enc, host, nuid := a.add(ev.collector), a.add(ev.encoding), a.add(ev.hostname), a.add(ev.networkUserID)
	*ap = a.b
	text := string(a.b)
	headers := spanStrings(text, hs)
	return []Payload{{
		API:         apiTP1, // SnowplowRawEvent carries no path: Snowplow assumed tp1
		Querystring: nameValues(text, pairs),
		Source:      Source{Name: coll.strOrEmpty(text), Encoding: enc.strOrEmpty(text), Hostname: host.strOrEmpty(text)},
		Context: Context{
			Timestamp:  time.UnixMilli(ev.timestamp).UTC(),
			IPAddress:  extractIPAddress(headers, ip.strOrEmpty(text)),
			UserAgent:  ua.strOrEmpty(text),
			RefererURI: refr.strOrEmpty(text),
			Headers:    headers,
			UserID:     nuid.strOrEmpty(text),
		},
	}}, nil
}
