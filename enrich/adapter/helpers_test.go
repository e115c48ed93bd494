package adapter

import (
	"math"
	"reflect"
	"testing"
)

func TestJavaDouble(t *testing.T) {
	tenth, fifth := 0.1, 0.2
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {-2.5, "-2.5"}, {0.001, "0.001"}, {0.0001, "1.0E-4"},
		{9999999, "9999999.0"}, {1e7, "1.0E7"}, {12345678.9, "1.23456789E7"}, {1e21, "1.0E21"}, {tenth + fifth, "0.30000000000000004"},
		{1.5e-10, "1.5E-10"}, {5e-324, "4.9E-324"}, {math.MaxFloat64, "1.7976931348623157E308"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
	} {
		if got := javaDouble(tc.f); got != tc.want {
			t.Errorf("javaDouble(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

func keys(m *smap) []string {
	var out []string
	for _, e := range m.entries {
		out = append(out, e.key)
	}
	return out
}

func TestScalaMapOrder(t *testing.T) {
	m := &smap{}
	for _, k := range []string{"k1", "k2", "k3", "k4"} {
		m.put(k, "v")
	}
	if got := keys(m); !reflect.DeepEqual(got, []string{"k1", "k2", "k3", "k4"}) {
		t.Fatalf("Map4 order %v", got)
	}
	m.put("k2", "updated") // an existing key keeps its place
	if got := keys(m); !reflect.DeepEqual(got, []string{"k1", "k2", "k3", "k4"}) || m.entries[1].val != "updated" {
		t.Fatalf("update changed order: %v", m.entries)
	}
	m.put("k5", "v") // the fifth key makes a HashMap
	if got := keys(m); !reflect.DeepEqual(got, []string{"k2", "k5", "k1", "k4", "k3"}) {
		t.Fatalf("HashMap order %v", got)
	}
	m = m.without("k5")
	if got := keys(m); !reflect.DeepEqual(got, []string{"k2", "k1", "k4", "k3"}) {
		t.Fatalf("after removal (still a HashMap) %v", got)
	}
	// Map.empty ++ m adds m's entries one by one: four entries are a Map4
	// again, in m's iteration order.
	small := (&smap{}).plus(m)
	if got := keys(small); small.hashed || !reflect.DeepEqual(got, []string{"k2", "k1", "k4", "k3"}) {
		t.Fatalf("empty ++ HashMap: hashed=%v order %v", small.hashed, got)
	}
}

func TestSplitForm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []formParam
	}{
		{"", nil},
		{"&a=1&&b=2;c&=x", []formParam{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}, {Name: "c", Null: true}}},
		{"a=x+y%20z&b=%C3%A9&c=%zz&d=%C3&e==", []formParam{{Name: "a", Value: "x y z"}, {Name: "b", Value: "é"}, {Name: "c", Value: "%zz"},
			{Name: "d", Value: "\uFFFD"}, {Name: "e", Value: "="}}},
		{" a = b  c\t", []formParam{{Name: "a", Value: "b c"}}},
	} {
		if got := splitForm(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitForm(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if _, err := parseForm("a=b c"); err == nil || err.Error() != "Illegal character in query at index 21: http://localhost/?a=b c" {
		t.Errorf("space: %v", err)
	}
	if ps, err := parseForm("a=1#frag"); err != nil || len(ps) != 1 || ps[0].Value != "1" {
		t.Errorf("fragment: %+v %v", ps, err)
	}
	if ps, err := parseForm("q=caf%C3%A9&n=ü"); err != nil || len(ps) != 2 || ps[0].Value != "café" {
		t.Errorf("non-ASCII: %+v %v", ps, err)
	}
}

func TestURLDecode(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"a+b%20c", "a b c", ""},
		{"%41%42", "AB", ""},
		{"%E2%82%AC and %E2%82", "€ and \uFFFD", ""},
		{"%+1", "\x01", ""},
		{"%", "", "URLDecoder: Incomplete trailing escape (%) pattern"},
		{"ab%4", "", "URLDecoder: Incomplete trailing escape (%) pattern"},
		{"%zz", "", `URLDecoder: Illegal hex characters in escape (%) pattern - For input string: "zz"`},
		{"%-1", "", "URLDecoder: Illegal hex characters in escape (%) pattern - negative value"},
	} {
		got, err := urlDecode(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("urlDecode(%q) error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("urlDecode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestBase64URLEncode(t *testing.T) {
	for in, want := range map[string]string{"": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "\xfb\xff": "-_8"} {
		if got := base64URLEncode(in); got != want {
			t.Errorf("base64URLEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, keep, last string }{
		{`{"a":1.50,"b":-0,"c":1e2,"d":"\u00e9\t\u0001\/\"","e":[true,false,null],"f":12345678901234567890123,"g":-1E-7}`,
			`{"a":1.5,"b":0,"c":100.0,"d":"é\t\u0001/\"","e":[true,false,null],"f":12345678901234567890123,"g":-1.0E-7}`, ""},
		{` {"x":1,"y":{"x":2},"x":3} trailing`, `{"x":1,"y":{"x":2},"x":3}`, `{"x":3,"y":{"x":2}}`},
		{`"\ud83d\ude00 \ud800"`, `"😀 ?"`, ""},
		{`[1e400,-1e400]`, `["Infinity","-Infinity"]`, ""},
		{"\"\x7f\u2028\"", "\"\x7f\u2028\"", ""},
	} {
		v, err := parseJSON(tc.in, dupKeep)
		if err != nil {
			t.Fatalf("parse %s: %v", tc.in, err)
		}
		if got := v.render(); got != tc.keep {
			t.Errorf("render(%s) = %s, want %s", tc.in, got, tc.keep)
		}
		if tc.last != "" {
			v, _ := parseJSON(tc.in, dupLast)
			if got := v.render(); got != tc.last {
				t.Errorf("tree render(%s) = %s, want %s", tc.in, got, tc.last)
			}
		}
	}
	for _, tc := range []struct{ in, err string }{
		{"", "no content to map due to end-of-input at line 1, column 1"},
		{"  \n ", "no content to map due to end-of-input at line 2, column 2"},
		{"[1,]", "unexpected character (']' (code 93)): expected a valid value (number, string, array, object, 'true', 'false' or 'null') at line 1, column 4"},
		{"01", "invalid numeric value: leading zeroes not allowed at line 1, column 1"},
		{"1.", "unexpected end-of-input: decimal point not followed by a digit at line 1, column 3"},
		{"[1a]", "unexpected character ('a' (code 97)): expected a separator after a number at line 1, column 3"},
		{"12x", "unexpected character ('x' (code 120)): expected space separating root-level values at line 1, column 3"},
		{"truex", "unrecognized token 'truex': was expecting 'null', 'true' or 'false' at line 1, column 1"},
		{"\"a\nb\"", "illegal unquoted character (CTRL-CHAR, code 10): has to be escaped using backslash to be included in string value at line 1, column 3"},
		{`"\q"`, "unrecognized character escape 'q' (code 113) at line 1, column 3"},
		{`"\u12G4"`, "unexpected character ('G' (code 71)): expected a hex-digit for character escape sequence at line 1, column 6"},
		{`{"a" 1}`, "unexpected character ('1' (code 49)): was expecting a colon to separate field name and value at line 1, column 6"},
		{`{"a":1 "b":2}`, `unexpected character ('"' (code 34)): was expecting comma to separate OBJECT entries at line 1, column 8`},
		{`["a"`, "unexpected end-of-input: expected close marker for ARRAY at line 1, column 5"},
	} {
		_, err := parseJSON(tc.in, dupKeep)
		if err == nil || err.Error() != tc.err {
			t.Errorf("parse(%q) error %v, want %s", tc.in, err, tc.err)
		}
	}
	deep := ""
	for i := 0; i < maxJSONDepth+1; i++ {
		deep += "["
	}
	if _, err := parseJSON(deep, dupKeep); err == nil {
		t.Error("no error for excessive nesting")
	}
}

func TestJSONMerge(t *testing.T) {
	parse := func(s string) *jvalue {
		v, err := parseJSON(s, dupKeep)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ a, b, want string }{
		{`{"x":1,"o":{"p":1}}`, `{"o":{"q":2},"y":2}`, `{"x":1,"o":{"p":1,"q":2},"y":2}`},
		{`{"d":[1,{"k":1,"j":2}]}`, `{"d":[{"j":2,"k":1},3]}`, `{"d":[1,{"k":1,"j":2},3]}`},
		{`[1]`, `{"d":[2]}`, `{"d":[2]}`},
		{`{"d":{"a":1}}`, `{"d":[2]}`, `{"d":[2]}`},
	} {
		if got := jmerge(parse(tc.a), parse(tc.b)).render(); got != tc.want {
			t.Errorf("merge(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestMultipartBoundary(t *testing.T) {
	long := "abcdefghij"
	long70 := long + long + long + long + long + long + long // 70 chars
	for _, tc := range []struct {
		ct, want string
		ok       bool
	}{
		{"multipart/form-data; boundary=353d603f-eede", "353d603f-eede", true},
		{`multipart/form-data; boundary="quoted"`, `quoted"`, true},
		{"multipart/form-data; charset=utf-8; boundary=b b", "b b", true},
		{"multipart/form-data", "", false},
		{"multipart/form-data; boundary=" + long70, "", false},
		{"multipart/form-data; boundary=" + long70[:69] + "   ", long70[:69], true},
		{"multipart/form-data; boundary=a\tb", "", false},
		{"application/x-www-form-urlencoded; boundary=x", "", false},
	} {
		got, ok := multipartBoundary(tc.ct)
		if got != tc.want || ok != tc.ok {
			t.Errorf("multipartBoundary(%q) = %q, %v; want %q, %v", tc.ct, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMailchimpKeys(t *testing.T) {
	for in, want := range map[string][]string{
		"data[merges][EMAIL]": {"data", "merges", "EMAIL"},
		"type":                {"type"},
		"a[]":                 {"a"},
		"[x]":                 {"", "x"},
		"[]":                  nil,
		"a]b[c":               {"a", "b", "c"},
	} {
		if got := mailchimpKeys(in); !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
			t.Errorf("mailchimpKeys(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCamelCase(t *testing.T) {
	for in, want := range map[string]string{
		"X-Mailgun-Sid": "xMailgunSid", "my_var_1": "myVar1", "Message-Id": "messageId", "a__b": "a_b",
		"attachment-1": "attachment1", "trailing_": "trailing_", "": "", "ÉTÉ_x": "éTÉX", "data.json": "data.json",
	} {
		if got := camelCase(in); got != want {
			t.Errorf("camelCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWebhookDateTime(t *testing.T) {
	for in, want := range map[string]string{
		"2014-10-09 16:23:45":  "2014-10-09T16:23:45.000Z",
		"2018-3-2 9:5:1":       "2018-03-02T09:05:01.000Z",
		"12018-03-02 10:11:12": "12018-03-02T10:11:12.000Z",
		"2018-02-29 00:00:00":  "2018-02-29 00:00:00",
		"2018-03-02 10:11:12x": "2018-03-02 10:11:12x",
		"2018-03-02T10:11:12":  "2018-03-02T10:11:12",
		"":                     "",
	} {
		if got := toJSONSchemaDateTime(in); got != want {
			t.Errorf("toJSONSchemaDateTime(%q) = %q, want %q", in, got, want)
		}
	}
	if got := secondsToJSONDate(-62135596800); got != "0001-01-01T00:00:00.000Z" {
		t.Errorf("year 1: %s", got)
	}
	if got := secondsToJSONDate(-62198755200); got != "-0001-01-01T00:00:00.000Z" {
		t.Errorf("year -1: %s", got)
	}
}

func TestParseISODateTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ms   int64
		okay bool
	}{
		{"2015-11-13T16:31:52.393Z", 1447432312393, true},
		{"2015-11-13T17:31:52.393+01:00", 1447432312393, true},
		{"2015-11-13T16:31:52+0000", 1447432312000, true},
		{"2015-11-13", 1447372800000, true},
		{"2015-11-13T16:31", 1447432260000, true},
		{"2015-13-13T16:31:52Z", 0, false},
		{"2015-11-13 16:31:52", 0, false},
		{"2015-11-13T16:31:52.Z", 0, false},
	} {
		got, ok := parseISODateTime(tc.in)
		if ok != tc.okay || (ok && got.UnixMilli() != tc.ms) {
			t.Errorf("parseISODateTime(%q) = %v (%d), %v; want %d, %v", tc.in, got, got.UnixMilli(), ok, tc.ms, tc.okay)
		}
	}
}

func TestJavaNumbers(t *testing.T) {
	for s, want := range map[string]bool{"12": true, "+12": true, "-0": true, "2147483647": true, "2147483648": false, "": false, "1.0": false, " 1": false} {
		if _, ok := javaParseInt(s); ok != want {
			t.Errorf("javaParseInt(%q) ok=%v", s, ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0.001", 0.001, true}, {" 2.5d ", 2.5, true}, {"1e3", 1000, true}, {".5", 0.5, true}, {"5.", 5, true},
		{"-Infinity", math.Inf(-1), true}, {"0x1p3", 0, false}, {"1e", 0, false}, {"", 0, false}, {"1_0", 0, false}, {"inf", 0, false},
	} {
		got, ok := javaParseDouble(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("javaParseDouble(%q) = %v, %v", tc.in, got, ok)
		}
	}
	if n, ok := bigLow64("18446744073709551617"); !ok || n != 1 {
		t.Errorf("bigLow64 wrap: %d %v", n, ok)
	}
	if n, ok := bigLow64("-1"); !ok || n != -1 {
		t.Errorf("bigLow64(-1): %d %v", n, ok)
	}
}
