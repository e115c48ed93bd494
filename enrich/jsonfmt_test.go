package enrich

import (
	"encoding/json"
	"testing"
)

func TestReformatJSON(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{` { "a" : 1 , "b" : [ true , false , null ] } `, `{"a":1,"b":[true,false,null]}`},
		{`{"speed":25.0,"alt":0.3,"n":-0,"big":12345678901234567890123,"e":1e2,"f":1.5E-7,"g":12345678.9}`,
			`{"speed":25.0,"alt":0.3,"n":0,"big":12345678901234567890123,"e":100.0,"f":1.5E-7,"g":1.23456789E7}`},
		{`{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`}, // Jackson: first position, last value
		{`{"s":"tab\there \u0001 \/ \u00e9 é \"q\" \\"}`, `{"s":"tab\there \u0001 / é é \"q\" \\"}`},
		{`{"s":"\ud83d\ude00 \u001f"}`, `{"s":"😀 \u001F"}`},
		{`{"a":{}} trailing garbage`, `{"a":{}}`}, // readTree ignores what follows the value
		{`[]`, `[]`},
		{`"just a string"`, `"just a string"`},
		{"\r\n{\"a\":\r\n1}", `{"a":1}`},
	} {
		out, msg := reformatJSON(c.in)
		if msg != "" || out != c.out {
			t.Errorf("reformatJSON(%q) = %q, %q; want %q", c.in, out, msg, c.out)
		}
	}
}

// TestReformatJSONErrors checks Jackson's messages. The first is verified
// against R108 output (BadTrackerCfLinesSpec); for the others furrow applies
// Jackson's rule that the location is the input position after the
// offending character.
func TestReformatJSONErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		// the message R108 wrote for ue_px=am9obitzbWl0aA (BadTrackerCfLinesSpec)
		{"john+smith", "Unrecognized token 'john': was expecting ('true', 'false' or 'null') at [Source: john+smith; line: 1, column: 5]"},
		{"", "No content to map due to end-of-input at [Source: ; line: 1, column: 1]"},
		{"]", "Unexpected character (']' (code 93)): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [Source: ]; line: 1, column: 2]"},
		{`{"a":1`, `Unexpected end-of-input: expected close marker for OBJECT (from [Source: {"a":1; line: 1, column: 1]) at [Source: {"a":1; line: 1, column: 7]`},
		{`{a:1}`, `Unexpected character ('a' (code 97)): was expecting double-quote to start field name at [Source: {a:1}; line: 1, column: 3]`},
		{`{"a" 1}`, `Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value at [Source: {"a" 1}; line: 1, column: 7]`},
		{`[1 2]`, `Unexpected character ('2' (code 50)): was expecting comma to separate ARRAY entries at [Source: [1 2]; line: 1, column: 5]`},
		{`[01]`, `Invalid numeric value: Leading zeroes not allowed at [Source: [01]; line: 1, column: 3]`},
		{`[1.]`, `Unexpected character (']' (code 93)) in numeric value: Decimal point not followed by a digit at [Source: [1.]; line: 1, column: 5]`},
		{`[trux]`, `Unrecognized token 'trux': was expecting 'null', 'true', 'false' or NaN at [Source: [trux]; line: 1, column: 6]`},
		{"\"a\nb\"", "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value at [Source: \"ab\"; line: 1, column: 4]"},
		{`"\q"`, `Unrecognized character escape 'q' (code 113) at [Source: "\q"; line: 1, column: 4]`},
		{"{\"x@1a2b;\":\t}", "Unexpected character ('}' (code 125)): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [Source: {\"x@xxxxxx;\":    }; line: 1, column: 14]"},
	} {
		out, msg := reformatJSON(c.in)
		if out != "" || msg != c.msg {
			t.Errorf("reformatJSON(%q):\n got %q\nwant %q", c.in, msg, c.msg)
		}
	}
}

func TestReformatJSONDepth(t *testing.T) {
	deep := make([]byte, 0, 2*maxJSONDepth+4)
	for i := 0; i <= maxJSONDepth; i++ {
		deep = append(deep, '[')
	}
	if _, msg := reformatJSON(string(deep)); msg == "" {
		t.Fatal("a document nested deeper than the limit must fail")
	}
}

func TestAppendJavaDouble(t *testing.T) {
	for v, want := range map[float64]string{
		1: "1.0", 0.001: "0.001", 0.0001: "1.0E-4", 1e7: "1.0E7", 9999999: "9999999.0",
		123456789.123: "1.23456789123E8", -2.5: "-2.5", 1e21: "1.0E21", 1.7976931348623157e308: "1.7976931348623157E308",
	} {
		if got := string(appendJavaDouble(nil, v)); got != want {
			t.Errorf("appendJavaDouble(%v) = %q, want %q", v, got, want)
		}
	}
}

// FuzzReformatJSON checks that the reformatter never panics, that what it
// accepts and prints is valid JSON that reformats to itself, and that it
// accepts everything encoding/json accepts as one value.
func FuzzReformatJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x\u0000"]}`, `john+smith`, `[`, `{"a":1,"a":2}`, `-0.0e-5`, `"\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, msg := reformatJSON(s)
		if msg != "" {
			if json.Valid([]byte(s)) {
				t.Fatalf("rejected valid JSON %q: %s", s, msg)
			}
			return
		}
		if !json.Valid([]byte(out)) {
			t.Fatalf("reformatJSON(%q) = %q is not valid JSON", s, out)
		}
		again, msg := reformatJSON(out)
		if msg != "" || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q (%s)", s, out, again, msg)
		}
	})
}

// FuzzSkipJSON checks skipJSON's string scan against a byte-by-byte one on
// the compact JSON reformatJSON produces (the only input it gets).
func FuzzSkipJSON(f *testing.F) {
	for _, s := range []string{`"a"`, `"a\"b"`, `"a\\"`, `"\\\\\"x"`, `{"a":["b\\",{"c":"\""}],"d":1}`, `[1,"x\\\\",true]`} {
		f.Add(s)
	}
	ref := func(s string, i int) int { // the scan skipJSON had before
		if s[i] != '"' {
			return skipJSON(s, i)
		}
		for i++; i < len(s); {
			switch s[i] {
			case '\\':
				i += 2
			case '"':
				return i + 1
			default:
				i++
			}
		}
		return i
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, msg := reformatJSON(in)
		if msg != "" {
			return
		}
		for i := 0; i < len(s); i++ {
			if s[i] == '"' && (i == 0 || s[i-1] != '\\') {
				if got, want := skipJSON(s, i), ref(s, i); got != want && want <= len(s) {
					t.Fatalf("skipJSON(%q, %d) = %d, want %d", s, i, got, want)
				}
			}
		}
		// Whole values: the end is the length of the document.
		if end := skipJSON(s, 0); end != len(s) && s[0] != '-' && (s[0] < '0' || s[0] > '9') && s[0] != 't' && s[0] != 'f' && s[0] != 'n' {
			t.Fatalf("skipJSON(%q, 0) = %d, want %d", s, end, len(s))
		}
	})
}
