package jsonpath

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseRender(t *testing.T) {
	cases := []struct{ in, out string }{
		{`{"b":1,"a":[true,false,null],"c":"x"}`, `{"b":1,"a":[true,false,null],"c":"x"}`},
		{` { "k" : 1.50 } `, `{"k":1.5}`},
		{`[1e3, 1E-7, -0, -0.0, 12345678.0, 0.001, 100]`, `[1000.0,1.0E-7,0,-0.0,1.2345678E7,0.001,100]`},
		{`123456789012345678901234567890`, `123456789012345678901234567890`},
		{`"a\"b\\c\/d\n\t\u0001\u00e9\ud83d\ude00"`, `"a\"b\\c/d\n\t\u0001é😀"`},
		{`"\u007f ®"`, "\"\u007f ®\""},
		{`[]`, `[]`},
		{`{}`, `{}`},
		{`1e400`, `"Infinity"`},
	}
	for _, c := range cases {
		v, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%s): %v", c.in, err)
			continue
		}
		if got := Render(v); got != c.out {
			t.Errorf("Render(Parse(%s)) = %s, want %s", c.in, got, c.out)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,]`, `{"a"}`, `01`, `1.`, `1e`, `"x`, "\"\x01\"", `tru`, `{} x`, `"\x"`, `[1 2]`} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", in, err)
		}
	}
	deep := strings.Repeat("[", 1100) + strings.Repeat("]", 1100)
	if _, err := Parse(deep); err == nil {
		t.Error("Parse accepted 1100 nested arrays")
	}
}

func TestJavaNumbers(t *testing.T) {
	d := []struct {
		f    float64
		want string
	}{{1, "1.0"}, {0.1, "0.1"}, {1e7, "1.0E7"}, {9999999.5, "9999999.5"}, {0.0009, "9.0E-4"}, {-2.5e-10, "-2.5E-10"}, {123.456, "123.456"}}
	for _, c := range d {
		if got := JavaDouble(c.f); got != c.want {
			t.Errorf("JavaDouble(%v) = %s, want %s", c.f, got, c.want)
		}
	}
	f := []struct {
		f    float32
		want string
	}{{47.2513, "47.2513"}, {0.1, "0.1"}, {-122.3149, "-122.3149"}, {47, "47.0"}, {1e8, "1.0E8"}}
	for _, c := range f {
		if got := JavaFloat(c.f); got != c.want {
			t.Errorf("JavaFloat(%v) = %s, want %s", c.f, got, c.want)
		}
	}
	if got := string(AppendJavaDouble(nil, math.Inf(-1))); got != `"-Infinity"` {
		t.Errorf("-Inf = %s", got)
	}
}

const store = `{"store":{"book":[
 {"category":"reference","author":"Nigel Rees","title":"Sayings","price":8.95},
 {"category":"fiction","author":"Evelyn Waugh","title":"Sword","price":12.99},
 {"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553","price":8.99},
 {"category":"fiction","author":"J. R. R. Tolkien","title":"LOTR","isbn":"0-395","price":22.99}],
 "bicycle":{"color":"red","price":19.95}},"expensive":10,"e-mail":"a@b"}`

func TestQuery(t *testing.T) {
	root, err := Parse(store)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{`$`, ``}, // checked separately
		{`$.expensive`, `[10]`},
		{`$['expensive']`, `[10]`},
		{`$["e-mail"]`, `["a@b"]`},
		{`$.e-mail`, `["a@b"]`},
		{`$.store.bicycle.['color', 'price']`, `["red",19.95]`},
		{`$.store.bicycle['price','color','nope']`, `[19.95,"red"]`},
		{`$.store.book[*].author`, `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{`$..author`, `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{`$.store.*.color`, `["red"]`},
		{`$..price`, `[8.95,12.99,8.99,22.99,19.95]`},
		{`$..book[2].title`, `["Moby Dick"]`},
		{`$..book[-1].title`, `["LOTR"]`},
		{`$.store.book[0,1].price`, `[8.95,12.99]`},
		{`$.store.book[:2].price`, `[8.95,12.99]`},
		{`$.store.book[-2:].price`, `[8.99,22.99]`},
		{`$.store.book[::2].price`, `[8.95,8.99]`},
		{`$.store.book[::-1].price`, `[22.99,8.99,12.99,8.95]`},
		{`$.store.book[?(@.isbn)].title`, `["Moby Dick","LOTR"]`},
		{`$.store.book[?(@.price < 10)].title`, `["Sayings","Moby Dick"]`},
		{`$.store.book[?(@.category == 'fiction' && @.price >= 12.99)].title`, `["Sword","LOTR"]`},
		{`$.store.book[?(@.price > $.expensive || @.author == "Nigel Rees")].title`, `["Sayings","Sword","LOTR"]`},
		{`$.store.book[?(!(@.isbn))].title`, `["Sayings","Sword"]`},
		{`$.store.book[?(@.isbn != '0-553')].title`, `["LOTR"]`},
		{`$.nothing`, `null`},
		{`$.store.book.author`, `null`},
		{`$.expensive[0]`, `null`},
	}
	for _, c := range cases {
		p, err := Compile(c.path)
		if err != nil {
			t.Errorf("Compile(%s): %v", c.path, err)
			continue
		}
		got := p.Query(root)
		if c.path == "$" {
			if len(got) != 1 || got[0] != root {
				t.Errorf("$ did not return the root")
			}
			continue
		}
		s := "null"
		if got != nil {
			s = Render(&Value{Kind: Array, Arr: got})
		}
		if s != c.want {
			t.Errorf("%s = %s, want %s", c.path, s, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, p := range []string{``, `store`, `$.`, `$..`, `$[`, `$['a'`, `$[a]`, `$.a.`, `$[?(@.a ==)]`, `$[?(@.a`, `$.length()`, `$[1:2:0]`, `$ x`, `$[?('a')]`, `$[99999999999]`} {
		if _, err := Compile(p); !errors.Is(err, ErrPath) {
			t.Errorf("Compile(%q) = %v, want ErrPath", p, err)
		}
	}
}

func TestMap(t *testing.T) {
	root, _ := Parse(`{"data":{"email":"a@b","ip_opt":"1.2.3.4","n":5,"list":["x","y"]},"email":"top"}`)
	p := MustCompile(`$.data.['email', 'ip_opt', 'missing', 'n']`)
	n := p.Map(root, func(v *Value) *Value {
		if v.Kind != String {
			return v
		}
		return NewString(strings.ToUpper(v.Str))
	})
	if n != 3 {
		t.Errorf("Map replaced %d values, want 3", n)
	}
	want := `{"data":{"email":"A@B","ip_opt":"1.2.3.4","n":5,"list":["x","y"]},"email":"top"}`
	want = strings.Replace(want, `"1.2.3.4"`, `"1.2.3.4"`, 1)
	if got := Render(root); got != want {
		t.Errorf("after Map: %s\nwant %s", got, want)
	}
	MustCompile(`$..list[*]`).Map(root, func(v *Value) *Value { return NewString(v.Str + "!") })
	if got := Render(root.Get("data").Get("list")); got != `["x!","y!"]` {
		t.Errorf("list after Map: %s", got)
	}
	if MustCompile(`$`).Map(root, func(v *Value) *Value { return nil }) != 0 {
		t.Error("Map replaced the root")
	}
}

func TestRenderMatchesEncodingJSON(t *testing.T) {
	// Render must always produce JSON that encoding/json accepts and reads
	// back as the same document.
	for _, in := range []string{store, `{"a":[1,2.5,{"b":null}],"c":"\u2028\u0000"}`} {
		v, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		var x, y any
		if err := json.Unmarshal([]byte(in), &x); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(Render(v)), &y); err != nil {
			t.Fatalf("Render output is not JSON: %v", err)
		}
		a, _ := json.Marshal(x)
		b, _ := json.Marshal(y)
		if string(a) != string(b) {
			t.Errorf("round trip changed the document:\n%s\n%s", a, b)
		}
	}
}

// FuzzParse: go test -fuzz FuzzParse ./enrich/enrichment/jsonpath
func FuzzParse(f *testing.F) {
	for _, s := range []string{store, `[1,"a",{"b":null}]`, `"\ud800"`, `-0.0e-0`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		out := Render(v)
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("Render output does not parse: %q: %v", out, err)
		}
		if out2 := Render(v2); out2 != out {
			t.Fatalf("Render is not stable: %q then %q", out, out2)
		}
		if !json.Valid([]byte(out)) {
			t.Fatalf("Render output is not valid JSON: %q", out)
		}
	})
}

// FuzzPath: go test -fuzz FuzzPath ./enrich/enrichment/jsonpath
func FuzzPath(f *testing.F) {
	for _, s := range []string{`$..book[?(@.price < 10 && @.isbn)].title`, `$.a['b','c'][1:3:2]`, `$..*`, `$[?(!(@.a == $.b))]`, `$.data.['email', 'ip_opt']`} {
		f.Add(s)
	}
	root, _ := Parse(store)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Compile(s)
		if err != nil {
			if !errors.Is(err, ErrPath) {
				t.Fatalf("Compile(%q) error does not wrap ErrPath: %v", s, err)
			}
			return
		}
		doc := root.Clone()
		_ = p.Query(doc)
		p.Map(doc, func(v *Value) *Value { return NewString("x") })
		if !json.Valid([]byte(Render(doc))) {
			t.Fatalf("Map broke the document for %q", s)
		}
	})
}

func TestParsePrefix(t *testing.T) {
	cases := []struct {
		in, want string
		end      int
	}{
		{"12 books", "12", 2}, {` {"a":1} tail`, `{"a":1}`, 8}, {"true", "true", 4}, {"2016-01-08", "2016", 4},
	}
	for _, c := range cases {
		v, end, err := ParsePrefix(c.in)
		if err != nil || Render(v) != c.want || end != c.end {
			t.Errorf("ParsePrefix(%q) = %v, %d, %v; want %s, %d", c.in, v, end, err, c.want, c.end)
		}
	}
	if _, _, err := ParsePrefix("x"); err == nil {
		t.Error("ParsePrefix(x) succeeded")
	}
}
