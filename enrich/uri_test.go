package enrich

import (
	"fmt"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment"
)

func TestStringToURIAndExplode(t *testing.T) {
	type parts struct{ url, scheme, host, port, path, query, fragment string }
	for _, c := range []struct {
		in   string
		want parts
	}{
		{"http://www.psychicbazaar.com/crystals/335.html?view=print#detail",
			parts{"http://www.psychicbazaar.com/crystals/335.html?view=print#detail", "http", "www.psychicbazaar.com", "80", "/crystals/335.html", "view=print", "detail"}},
		{"https://secure.example.com/pay", parts{"https://secure.example.com/pay", "https", "secure.example.com", "443", "/pay", "", ""}},
		{"http://example.com:8080", parts{"http://example.com:8080", "http", "example.com", "8080", "", "", ""}},
		{"HTTPS://Example.COM:0443/x", parts{"HTTPS://Example.COM:0443/x", "HTTPS", "Example.COM", "443", "/x", "", ""}},
		// java.net.URI has no host for a registry-based authority
		{"http://my_host.example.com/x", parts{"http://my_host.example.com/x", "http", "", "80", "/x", "", ""}},
		{"http://bad-.example.com/", parts{"http://bad-.example.com/", "http", "", "80", "/", "", ""}},
		{"http://example.com:abc/", parts{"http://example.com:abc/", "http", "", "80", "/", "", ""}},
		{"http://203.0.113.9:81/a", parts{"http://203.0.113.9:81/a", "http", "203.0.113.9", "81", "/a", "", ""}},
		{"http://1.2.3.4.example.com/", parts{"http://1.2.3.4.example.com/", "http", "1.2.3.4.example.com", "80", "/", "", ""}},
		{"http://[2001:db8::1]:8443/a", parts{"http://[2001:db8::1]:8443/a", "http", "[2001:db8::1]", "8443", "/a", "", ""}},
		{"//cdn.example.com/lib.js", parts{"//cdn.example.com/lib.js", "", "cdn.example.com", "80", "/lib.js", "", ""}},
		{"mailto:someone@example.com", parts{"mailto:someone@example.com", "mailto", "", "80", "", "", ""}},
		{"/relative/path?x", parts{"/relative/path?x", "", "", "80", "/relative/path", "x", ""}},
		// a space in the host is an escape after the %20 rewrite: registry-based
		{"http://exa mple.com/", parts{"http://exa%20mple.com/", "http", "", "80", "/", "", ""}},
		{"http://example.com/a b", parts{"http://example.com/a%20b", "http", "example.com", "80", "/a%20b", "", ""}},
		{"http://example.com/café?q=ü", parts{"http://example.com/café?q=ü", "http", "example.com", "80", "/café", "q=ü", ""}},
		// rejected by java.net.URI, repaired by the net-a-porter fallback
		{"http://example.com/?q=a|b", parts{"http://example.com/?q=a%7Cb", "http", "example.com", "80", "/", "q=a%7Cb", ""}},
		{"http://example.com/p|q/r?a=1+2&b=%41", parts{"http://example.com/p%7Cq/r?a=1%2B2&b=A", "http", "example.com", "80", "/p%7Cq/r", "a=1%2B2&b=A", ""}},
		{"http://example.com/a?x=1#frag#2", parts{"http://example.com/a?x=1#frag%232", "http", "example.com", "80", "/a", "x=1", "frag%232"}},
		{"http://example.com/{x}?y=é|", parts{"http://example.com/%7Bx%7D?y=%C3%A9%7C", "http", "example.com", "80", "/%7Bx%7D", "y=%C3%A9%7C", ""}},
	} {
		u, ok, msg := stringToURI(c.in)
		if msg != "" || !ok {
			t.Errorf("stringToURI(%q): ok=%v msg=%q", c.in, ok, msg)
			continue
		}
		var got parts
		got.url = u.s
		got.scheme, got.host, got.port, got.path, got.query, got.fragment = explode(u)
		if got != c.want {
			t.Errorf("stringToURI(%q):\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func TestStringToURIFailures(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"http://example.com/%zz|", "Provided URI string [http://example.com/%zz|] could not be parsed by Netaporter: [Malformed escape pair at index 19: http://example.com/%zz|]"},
		{`http://example.com/"quoted"`, `Provided URI string [http://example.com/"quoted"] violates RFC 2396: [Illegal character in path at index 19: http://example.com/"quoted"]`},
		{"http:", "Provided URI string [http:] violates RFC 2396: [Expected scheme-specific part at index 5: http:]"},
		{"://x", "Provided URI string [://x] violates RFC 2396: [Expected scheme name at index 0: ://x]"},
		{"http://ex\"ample.com/", `Provided URI string [http://ex"ample.com/] violates RFC 2396: [Illegal character in authority at index 7: http://ex"ample.com/]`},
	} {
		_, ok, msg := stringToURI(c.in)
		if ok || msg != c.msg {
			t.Errorf("stringToURI(%q): ok=%v msg=%q\n want msg=%q", c.in, ok, msg, c.msg)
		}
	}
	if _, ok, msg := stringToURI(""); ok || msg != "" {
		t.Errorf("empty URI: ok=%v msg=%q", ok, msg)
	}
}

func TestParseQuerystring(t *testing.T) {
	q := parseQuerystring("utm_source=Google&utm_term=native%20american+deck;cid=a%zz&flag&=orphan&_sp=4da6.1381188927100&utm_source=Bing", charsetUTF8)
	want := enrichment.Query{
		{Name: "utm_source", Value: "Google"},
		{Name: "utm_term", Value: "native american deck"},
		{Name: "cid", Value: "a%zz"},
		{Name: "flag", Null: true},
		{Name: "_sp", Value: "4da6.1381188927100"},
		{Name: "utm_source", Value: "Bing"},
	}
	if len(q) != len(want) {
		t.Fatalf("got %+v, want %+v", q, want)
	}
	for i := range q {
		if q[i] != want[i] {
			t.Errorf("param %d: got %+v, want %+v", i, q[i], want[i])
		}
	}
	if v, ok := q.Get("utm_source"); !ok || v != "Bing" {
		t.Errorf("Get keeps the last value as Scala's toMap: %q %v", v, ok)
	}
	if got := parseQuerystring("name=%E9t%E9", charsetLatin1); got[0].Value != "été" {
		t.Errorf("latin-1 decoding: %q", got[0].Value)
	}
	if got := parseQuerystring("a=é", charsetUTF8); got[0].Value != "\uFFFD" {
		t.Errorf("raw non-ASCII chars are cast to bytes as HttpClient did: %q", got[0].Value)
	}
}

// FuzzStringToURI: never panics; an accepted URI parses again to the same
// components, and a failure always has a message.
//
//	go test ./enrich -run XXX -fuzz FuzzStringToURI -fuzztime 60s
func FuzzStringToURI(f *testing.F) {
	for _, s := range []string{"http://a.com/x?y=1#z", "http://[::1]:80/", "mailto:x", "http://a/%zz", "//h/p|q", "é?q=|#a#b", "http://u:p@h:99999/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok, msg := stringToURI(s)
		if s == "" {
			if ok || msg != "" {
				t.Fatalf("empty input: ok=%v msg=%q", ok, msg)
			}
			return
		}
		if ok == (msg != "") {
			t.Fatalf("stringToURI(%q): ok=%v msg=%q", s, ok, msg)
		}
		if !ok || u.s == "" { // "" is a valid (empty) URI whose string is null
			return
		}
		again, ok2, msg2 := stringToURI(u.s)
		if !ok2 || msg2 != "" {
			t.Fatalf("%q parsed as %q, which does not parse: %s", s, u.s, msg2)
		}
		if again.components() != u.components() {
			t.Fatalf("%q: components differ on re-parse: %+v vs %+v", s, u.components(), again.components())
		}
	})
}

// checkAuthorityFastPath compares the parse of s with and without the
// authority fast path.
func checkAuthorityFastPath(t *testing.T, s string) {
	t.Helper()
	fast, ferr := parseJavaURIMode(nil, s, false)
	slow, serr := parseJavaURIMode(nil, s, true)
	if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Message() != serr.Message() {
		t.Fatalf("%q: fast path error %v, full parse %v", s, msgOf(ferr), msgOf(serr))
	}
	if ferr == nil {
		fast.slowOnly = false
		slow.slowOnly = false
		if *fast != *slow {
			t.Fatalf("%q:\nfast path %+v\nfull parse %+v", s, *fast, *slow)
		}
	}
}

// TestAuthorityFastPath: every authority over a small alphabet (labels,
// dashes, dots, digits, ports) parses as the full java.net.URI rules do.
func TestAuthorityFastPath(t *testing.T) {
	const alphabet = "aZ0-.:"
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		for _, form := range []string{"http://%s/p?q", "//%s", "http://%s", "x://u@%s/"} {
			checkAuthorityFastPath(t, fmt.Sprintf(form, prefix))
		}
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			gen(prefix+alphabet[i:i+1], n-1)
		}
	}
	gen("", 6)
	for _, a := range []string{"www.acme-outdoor.example", "a.b.c.", "1.2.3.4", "1.2.3.4:80", "a:99999999", "a:999999999", "a:2147483648",
		"example.com:8080", "x-y.z", "x.-y", "x-.y", "9a.com", "a.9com", "a..b", ".a", "a.b:", "a.b:x", "ä.com", "a_b.com", "[::1]:80", "a%41.com"} {
		checkAuthorityFastPath(t, "http://"+a+"/")
	}
}

func FuzzAuthorityFastPath(f *testing.F) {
	f.Add("www.acme-outdoor.example:8080")
	f.Add("a.b.c.")
	f.Fuzz(func(t *testing.T, a string) {
		checkAuthorityFastPath(t, "http://"+a+"/x?y")
	})
}

func msgOf(e *uriError) string {
	if e == nil {
		return "<nil>"
	}
	return e.Message()
}
