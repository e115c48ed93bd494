package enrichment

import (
	"encoding/json"
	"strings"
	"testing"
)

func joinContexts(cs []json.RawMessage) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		if !json.Valid(c) {
			return "INVALID JSON: " + string(c)
		}
		parts[i] = string(c)
	}
	return strings.Join(parts, "\n")
}

func cookieCtx(name, value string) string {
	return `{"schema":"iglu:org.ietf/http_cookie/jsonschema/1-0-0","data":{"name":"` + name + `","value":` + value + `}}`
}

func TestCookieExtractor(t *testing.T) {
	c, err := newCookieExtractor(&CookieExtractorConfig{Cookies: []string{"sp", "_ga", "flag", "q", "x y"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		headers []string
		want    []string
	}{
		{[]string{"Host: example.com", "Cookie: sp=abc-123; other=1; _ga=GA1.2.3"},
			[]string{cookieCtx("sp", `"abc-123"`), cookieCtx("_ga", `"GA1.2.3"`)}},
		// Only the exact header name "Cookie".
		{[]string{"cookie: sp=1", "Cookie : sp=2", "Set-Cookie: sp=3", "Cookie"}, nil},
		// A pair without '=' has a null value; quoted values are unquoted.
		{[]string{`Cookie: flag; q="a \"b\" c"`}, []string{cookieCtx("flag", "null"), cookieCtx("q", `"a \"b\" c"`)}},
		// Blanks around and inside names and values.
		{[]string{"Cookie:   x   y  =  one   two  ;sp=\tz"}, []string{cookieCtx("x y", `"one two"`), cookieCtx("sp", `"z"`)}},
		// Parsing stops after the first ','.
		{[]string{"Cookie: sp=1, _ga=2; flag"}, []string{cookieCtx("sp", `"1"`)}},
		// Several headers, repeated cookies repeat, in order.
		{[]string{"Cookie: sp=1", "X: y", "Cookie: _ga=2; sp=3"},
			[]string{cookieCtx("sp", `"1"`), cookieCtx("_ga", `"2"`), cookieCtx("sp", `"3"`)}},
		{[]string{"Cookie:"}, nil},
		{nil, nil},
	}
	for _, tc := range cases {
		if got, want := joinContexts(c.ExtractCookies(tc.headers)), strings.Join(tc.want, "\n"); got != want {
			t.Errorf("%q:\n got %s\nwant %s", tc.headers, got, want)
		}
	}
	if _, err := newCookieExtractor(&CookieExtractorConfig{}, nil); err == nil || !strings.Contains(err.Error(), "cookies") {
		t.Errorf("missing cookies: %v", err)
	}
}

func TestParseHeaderParameters(t *testing.T) {
	render := func(ps []QueryParam) string {
		var b strings.Builder
		for _, p := range ps {
			b.WriteString("[" + p.Name)
			if !p.Null {
				b.WriteString("=" + p.Value)
			}
			b.WriteString("]")
		}
		return b.String()
	}
	cases := map[string]string{
		"a=b; c=d":               "[a=b][c=d]",
		" a = b ":                "[a=b]",
		"a":                      "[a]",
		"a;;b=":                  "[a][][b=]",
		`a="x;y" ; b`:            "[a=x;y][b]",
		`a="unterminated`:        "[a=unterminated]",
		`a="x\y\"z\\"`:           `[a=x\y"z\]`,
		`a="q"rest`:              "[a=qrest]",
		"a=b,c=d":                "[a=b]",
		",a=b":                   "[]",
		"k=v=w":                  "[k=v=w]",
		"k\r\n\t=\r\nv\tw":       "[k=v w]",
		"\u00e9t\u00e9=\u00e0 b": "[\u00e9t\u00e9=\u00e0 b]",
	}
	for in, want := range cases {
		if got := render(parseHeaderParameters(in)); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

// FuzzCookieExtractor checks that any header line gives valid JSON
// contexts and never panics.
func FuzzCookieExtractor(f *testing.F) {
	for _, s := range []string{"Cookie: sp=1", `Cookie: q="a\"`, "Cookie: ,", "Cookie:;=;", "Cookie: sp=\xff\xfe"} {
		f.Add(s)
	}
	c, err := newCookieExtractor(&CookieExtractorConfig{Cookies: []string{"sp", "q", ""}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, h string) {
		for _, ctx := range c.ExtractCookies([]string{h}) {
			if !json.Valid(ctx) {
				t.Fatalf("%q: invalid JSON %s", h, ctx)
			}
		}
	})
}

func headerCtx(name, value string) string {
	return `{"schema":"iglu:org.ietf/http_header/jsonschema/1-0-0","data":{"name":"` + name + `","value":"` + value + `"}}`
}

func TestHTTPHeaderExtractor(t *testing.T) {
	h, err := newHTTPHeaderExtractor(&HTTPHeaderExtractorConfig{HeadersPattern: "X-Forwarded-For|Host|(?i)user-agent"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	headers := []string{
		"Host: example.com",
		"X-Forwarded-For:  1.2.3.4, 5.6.7.8 ",
		"X-Forwarded-For-Not: no", // the whole name must match
		"Accept: */*",
		"USER-AGENT: Mozilla/5.0 (X: 1)",
		" Host: untrimmed name does not match",
		"Host",
		"Host:",
	}
	want := strings.Join([]string{
		headerCtx("Host", "example.com"),
		headerCtx("X-Forwarded-For", "1.2.3.4, 5.6.7.8"),
		headerCtx("USER-AGENT", "Mozilla/5.0 (X: 1)"),
		headerCtx("Host", ""),
	}, "\n")
	for round := 0; round < 2; round++ { // the second round hits the match cache
		if got := joinContexts(h.ExtractHeaders(headers)); got != want {
			t.Errorf("round %d:\n got %s\nwant %s", round, got, want)
		}
	}
	all, err := newHTTPHeaderExtractor(&HTTPHeaderExtractorConfig{HeadersPattern: ".*"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(all.ExtractHeaders(headers)); got != 7 {
		t.Errorf(".*: %d contexts, want 7", got)
	}
	if _, err := newHTTPHeaderExtractor(&HTTPHeaderExtractorConfig{HeadersPattern: "(?=X).*"}, nil); err == nil || !strings.Contains(err.Error(), "headersPattern") {
		t.Errorf("look-ahead: %v", err)
	}
}
