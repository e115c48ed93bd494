package jsonx

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestJacksonRendering(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a":1,"b":[true,false,null],"c":"x"}`, `{"a":1,"b":[true,false,null],"c":"x"}`},
		{` { "b" : 1 , "a" : 2 } `, `{"b":1,"a":2}`},           // order kept, whitespace gone
		{`{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},               // last value wins, first position
		{`-0`, `0`},                                            // IntNode
		{`12345678901234567890123`, `12345678901234567890123`}, // BigIntegerNode
		{`1.0`, `1.0`}, {`1.50`, `1.5`}, {`100`, `100`}, // DoubleNode / IntNode
		{`1e2`, `100.0`}, {`1E7`, `1.0E7`}, {`12345678.9`, `1.23456789E7`},
		{`0.001`, `0.001`}, {`0.0001`, `1.0E-4`}, {`-2e-5`, `-2.0E-5`},
		{`-0.0`, `-0.0`}, {`1e400`, `Infinity`}, {`9999999.0`, `9999999.0`},
		{`"\u00e9\/\b\f\n\r\t\u0001\u001f\u007f"`, "\"é/\\b\\f\\n\\r\\t\\u0001\\u001F\x7f\""},
		{`"\ud83d\ude00"`, `"😀"`}, // surrogate pair
		{`"\"\\"`, `"\"\\"`},
		{`[]`, `[]`}, {`{}`, `{}`},
	} {
		v, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%s): %v", c.in, err)
			continue
		}
		if got := string(Append(nil, &v)); got != c.want {
			t.Errorf("Append(Parse(%s)) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestJacksonErrors checks the messages the legacy bad rows carry, in the
// form RDB Shredder 0.13 reported them.
func TestJacksonErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`|%|`, `Unexpected character ('|' (code 124)): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [Source: |%|; line: 1, column: 2]`},
		{`&&&`, `Unexpected character ('&' (code 38)): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [Source: &&&; line: 1, column: 2]`},
		{`abc`, `Unrecognized token 'abc': was expecting ('true', 'false' or 'null') at [Source: abc; line: 1, column: 4]`},
		{`{"a" 1}`, `Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value at [Source: {"a" 1}; line: 1, column: 7]`},
		{`{a:1}`, `Unexpected character ('a' (code 97)): was expecting double-quote to start field name at [Source: {a:1}; line: 1, column: 3]`},
		{`[1 2]`, `Unexpected character ('2' (code 50)): was expecting comma to separate ARRAY entries at [Source: [1 2]; line: 1, column: 5]`},
		{`{"a":1`, `Unexpected end-of-input: expected close marker for OBJECT (from [Source: {"a":1; line: 1, column: 1]) at [Source: {"a":1; line: 1, column: 7]`},
		{"\"a\tb\"", "Illegal unquoted character ((CTRL-CHAR, code 9)): has to be escaped using backslash to be included in string value at [Source: \"a\tb\"; line: 1, column: 4]"},
		{`01`, `Invalid numeric value: Leading zeroes not allowed at [Source: 01; line: 1, column: 3]`},
	} {
		_, err := Parse(c.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a SyntaxError", c.in, err)
			continue
		}
		if got := se.Jackson(); got != c.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	for _, in := range []string{"", "  ", `{"a":1} x`, `[1,]`, `{"a":}`, `"abc`, `tru`, `nul`, `1.`, `1e`, `-`, `"\x"`, `"\u12G4"`, strings.Repeat("[", MaxDepth+1)} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted invalid JSON", in)
		}
	}
}

func TestAppendJavaDouble(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0.5, "0.5"}, {1e7, "1.0E7"}, {1e-3, "0.001"}, {9.999e-4, "9.999E-4"},
		{123456.789, "123456.789"}, {math.MaxFloat64, "1.7976931348623157E308"},
		{-1.5e300, "-1.5E300"}, {math.NaN(), "NaN"}, {math.Inf(-1), "-Infinity"},
	} {
		if got := string(AppendJavaDouble(nil, c.f)); got != c.want {
			t.Errorf("AppendJavaDouble(%v) = %s, want %s", c.f, got, c.want)
		}
	}
}

// FuzzParse checks that the parser never panics, agrees with encoding/json on
// what is valid JSON (within MaxDepth), and that rendering a parsed value
// gives JSON that parses to the same rendering.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `|%|`, `"\ud800"`, `1e99999`, `{"a":1,"a":2}`, `[[[]]]`, "\"\xff\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		std := json.Valid([]byte(s))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SyntaxError", err)
			}
			_ = se.Jackson()
			if std && !strings.Contains(se.Msg, "nesting") {
				t.Fatalf("rejected valid JSON %q: %v", s, err)
			}
			return
		}
		if !std {
			t.Fatalf("accepted invalid JSON %q", s)
		}
		out := Append(nil, &v)
		if !utf8.Valid(out) {
			t.Fatalf("rendering of %q is not UTF-8: %q", s, out)
		}
		v2, err := Parse(string(out))
		if err != nil {
			if strings.Contains(string(out), "Infinity") || strings.Contains(string(out), "NaN") {
				return // Jackson printed out-of-range doubles that way too
			}
			t.Fatalf("rendering %q of %q does not parse: %v", out, s, err)
		}
		if out2 := Append(nil, &v2); string(out2) != string(out) {
			t.Fatalf("rendering not stable: %q then %q", out, out2)
		}
	})
}
