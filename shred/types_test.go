package shred

import (
	"strings"
	"testing"
)

// describe renders a field tree compactly for comparisons:
// name:type[?] with struct members in braces and list elements in brackets.
func describe(f *Field) string {
	var b strings.Builder
	var walk func(f *Field)
	walk = func(f *Field) {
		b.WriteString(f.Type.String())
		switch f.Type {
		case TypeDecimal:
			b.WriteString("(" + itoa(int(f.Precision)) + "," + itoa(int(f.Scale)) + ")")
		case TypeString:
			if f.MaxLength > 0 {
				b.WriteString("(" + itoa(f.MaxLength) + ")")
			}
		case TypeStruct:
			b.WriteString("{")
			for i, s := range f.Fields {
				if i > 0 {
					b.WriteString(" ")
				}
				b.WriteString(s.Column + ":")
				walk(s)
				if s.Nullable {
					b.WriteString("?")
				}
			}
			b.WriteString("}")
		case TypeList:
			b.WriteString("[")
			walk(f.Elem)
			if f.Elem.Nullable {
				b.WriteString("?")
			}
			b.WriteString("]")
		}
	}
	walk(f)
	return b.String()
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestFieldsFromSchema(t *testing.T) {
	for _, c := range []struct{ schema, want string }{
		{`{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}},"required":["a"]}`, `struct{a:int64 b:string?}`},
		{`{"type":"object","properties":{"s":{"type":["string","null"],"maxLength":12}},"required":["s"]}`, `struct{s:string(12)?}`},
		{`{"type":"object","properties":{"t":{"type":"string","format":"date-time"},"d":{"type":"string","format":"date"}}}`, `struct{d:date? t:timestamp?}`},
		{`{"type":"object","properties":{"i":{"type":"integer","minimum":0,"maximum":2147483647},"j":{"type":"integer","minimum":-1,"maximum":2147483648},"k":{"type":"integer","minimum":0,"maximum":1e30}}}`, `struct{i:int32? j:int64? k:decimal(31,0)?}`},
		{`{"type":"object","properties":{"n":{"type":"number"},"m":{"type":"number","multipleOf":0.01,"minimum":0,"maximum":1000},"o":{"type":"number","multipleOf":1,"minimum":0,"maximum":10},"p":{"type":"number","multipleOf":0.1}}}`, `struct{m:decimal(6,2)? n:float64? o:int32? p:float64?}`},
		{`{"type":"object","properties":{"e":{"enum":["a","b",null]},"f":{"enum":[1,2.5]},"g":{"enum":["a",1]}}}`, `struct{e:string? f:decimal(2,1)? g:json?}`},
		{`{"type":"object","properties":{"u":{"type":["string","integer"]},"v":{},"w":{"type":"object"},"x":{"$ref":"#/definitions/x"}}}`, `struct{u:json? v:json? w:json? x:json?}`},
		{`{"type":"object","properties":{"l":{"type":"array","items":{"type":"string"}},"m":{"type":"array"},"n":{"type":"array","items":[{"type":"string"}]},"o":{"type":"array","items":{"type":["integer","null"]}}}}`, `struct{l:list[string]? m:list[json?]? n:list[json?]? o:list[int64?]?}`},
		{`{"type":"object","properties":{"o":{"type":"object","properties":{"fooBar":{"type":"boolean"},"HTMLParser":{"type":"string"},"a-b.c":{"type":"string"}},"required":["fooBar"]}},"required":["o"]}`, `struct{o:struct{html_parser:string? a_b_c:string? foo_bar:boolean}}`},
		{`{"type":"object","properties":{"fooBar":{"type":"string"},"foo_bar":{"type":"string"}}}`, `struct{foo_bar:string? foo_bar_2:string?}`},
		{`{"type":"array","items":{"type":"integer"}}`, `list[int64]`},
	} {
		f, err := FieldsFromSchema([]byte(c.schema))
		if err != nil {
			t.Errorf("%s: %v", c.schema, err)
			continue
		}
		if got := describe(f); got != c.want {
			t.Errorf("FieldsFromSchema(%s)\n got %s\nwant %s", c.schema, got, c.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{`, `"x"`} {
		if _, err := FieldsFromSchema([]byte(bad)); err == nil {
			t.Errorf("FieldsFromSchema(%q) accepted it", bad)
		}
	}
}

func TestMerge(t *testing.T) {
	parse := func(s string) *Field {
		f, err := FieldsFromSchema([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range []struct{ a, b, want string }{
		// a new optional member is appended; members missing on one side become nullable
		{`{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"string"}},"required":["a","b"]}`,
			`{"type":"object","properties":{"a":{"type":"string"},"c":{"type":"integer"}},"required":["a","c"]}`,
			`struct{a:string b:string? c:int64?}`},
		// numeric widening and string formats
		{`{"type":"object","properties":{"i":{"type":"integer","minimum":0,"maximum":10},"n":{"type":"integer"},"s":{"type":"string","format":"date"},"j":{"type":"boolean"}}}`,
			`{"type":"object","properties":{"i":{"type":"integer"},"n":{"type":"number"},"s":{"type":"string","maxLength":5},"j":{"type":"string"}}}`,
			`struct{i:int64? j:json? n:float64? s:string?}`},
		{`{"type":"object","properties":{"d":{"type":"number","multipleOf":0.01,"minimum":0,"maximum":100}}}`,
			`{"type":"object","properties":{"d":{"type":"number","multipleOf":0.001,"minimum":0,"maximum":10000}}}`,
			`struct{d:decimal(8,3)?}`},
		{`{"type":"object","properties":{"l":{"type":"array","items":{"type":"integer","minimum":0,"maximum":5}}}}`,
			`{"type":"object","properties":{"l":{"type":"array","items":{"type":["integer","null"]}}}}`,
			`struct{l:list[int64?]?}`},
		{`{"type":"object","properties":{"s":{"type":"string","maxLength":5}}}`,
			`{"type":"object","properties":{"s":{"type":"string","maxLength":9}}}`,
			`struct{s:string(9)?}`},
	} {
		a, b := parse(c.a), parse(c.b)
		da, db := describe(a), describe(b)
		if got := describe(Merge(a, b)); got != c.want {
			t.Errorf("Merge\n got %s\nwant %s", got, c.want)
		}
		if describe(a) != da || describe(b) != db {
			t.Error("Merge modified its arguments")
		}
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"PascalCase": "pascal_case", "camelCase": "camel_case", "HTMLParser": "html_parser",
		"already_snake": "already_snake", "a-b": "a_b", "WebPage": "web_page", "useragentFamily": "useragent_family",
		"osPatchMinor": "os_patch_minor", "X": "x", "ab2Cd": "ab2_cd",
	} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"a.b c": "a_b_c", "é": "_", "": "_", "a$b": "a_b"} {
		if got := NormalizeColumn(in); got != want {
			t.Errorf("NormalizeColumn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, c := range []struct {
		in          string
		prec, scale int32
		want        string
		ok          bool
	}{
		{"12.34", 18, 2, "1234", true}, {"-0.5", 18, 2, "-50", true}, {"1.005", 18, 2, "101", true},
		{"1.004", 18, 2, "100", true}, {"-1.005", 18, 2, "-101", true}, {"1e3", 18, 2, "100000", true},
		{"1.5E-1", 18, 2, "15", true}, {"0", 18, 2, "0", true}, {"9999999999999999.99", 18, 2, "999999999999999999", true},
		{"99999999999999999.99", 18, 2, "", false}, {"abc", 18, 2, "", false}, {"1e999", 38, 0, "", false},
		{"123456789012345678901234567890", 38, 0, "123456789012345678901234567890", true},
	} {
		n, err := parseDecimal(c.in, c.prec, c.scale)
		if (err == nil) != c.ok {
			t.Errorf("parseDecimal(%s) error %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && n.BigInt().String() != c.want {
			t.Errorf("parseDecimal(%s) = %s, want %s", c.in, n.BigInt(), c.want)
		}
	}
}
