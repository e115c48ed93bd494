package referer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSampleDatabase(t *testing.T) {
	db := sampleDB(t)
	const page = "www.example.com"
	cases := []struct{ ref, want string }{
		{"https://www.google.co.uk/url?sa=t&q=&esrc=s", "search/Google/null"},
		{"https://www.google.com/search?q=snowplow+analytics&ie=UTF-8", "search/Google/snowplow analytics"},
		{"https://www.google.com/imgres?imgurl=x&q=tarot", "search/Google Images/tarot"}, // every host suffix with the path comes before www.google.com alone
		{"https://google.com/imgres?q=tarot", "search/Google Images/tarot"},
		{"https://www.bing.com/images/search?q=cards", "search/Bing Images/cards"},
		{"https://www.bing.com/images/search/more?q=cards", "search/Bing/cards"}, // multi-segment keys need the exact path
		{"https://www.bing.com/search?Q=upper&q=lower", "search/Bing/upper"},
		{"https://duckduckgo.com/?q=a%2Bb+c", "search/DuckDuckGo/a+b c"},
		{"https://yandex.ru/search/?text=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82", "search/Yandex/привет"},
		{"https://yandex.ru/search/?text=caf\u00e9", "search/Yandex/caf\ufffd"},   // raw non-ASCII: low byte of the UTF-16 unit
		{"https://yandex.ru/search/?text=%E2%82", "search/Yandex/\ufffd"},         // truncated UTF-8: one U+FFFD
		{"https://yandex.ru/search/?text=%E0%80x", "search/Yandex/\ufffd\ufffdx"}, // invalid second byte: two
		{"https://yandex.ru/search/?text=100%", "none"},                           // java.net.URI rejects a bare '%'
		{"https://www.baidu.com/s?wd=%09tab", "search/Baidu/    tab"},             // cleaned as R108 stored it
		{"https://search.yahoo.com/search;_ylt=x?p=first;q=second", "search/Yahoo!/first"},
		{"https://search.yahoo.com/search?&p=lead", "search/Yahoo!/lead"},
		{"https://search.yahoo.com/search?p", "search/Yahoo!/null"},
		{"https://search.yahoo.com/search?%70=encoded+name", "search/Yahoo!/encoded name"},
		{"https://search.yahoo.com/search?p=+padded+", "search/Yahoo!/ padded "},
		{"http://l.facebook.com/l.php?u=x", "social/Facebook/null"},
		{"http://news.facebook.com/", "social/Facebook/null"}, // subdomain fallback
		{"http://webmail1m.orange.fr/webmail/fr_FR/read.html", "email/Orange Webmail/null"},
		{"http://orange.fr/", "unknown/null/null"},
		{"http://support.google.com/x?q=y", "unknown/Google/null"},
		{"http://www.example.com/other-page", "internal/null/null"},
		{"http://Www.example.com/other-page", "unknown/null/null"}, // case-sensitive page host
		{"http://shop.example.com/", "internal/null/null"},         // internal domain (entry trimmed)
		{"http://user:pw@www.bing.com:8080/?q=port", "search/Bing/port"},
		{"http://192.168.0.1/", "unknown/null/null"},
		{"http://[::1]:8080/", "unknown/null/null"},
		{"http://bad_host.bing.com/?q=x", "none"},
		{"http://bing.com:80x/?q=x", "none"},
		{"http://bing.com./?q=x", "unknown/null/null"}, // trailing dot: a host, but no key
		{"http://1.2.3/", "none"},
		{"http:///path", "none"},
		{"https:bing.com", "none"},
		{"mailto:someone@example.com", "none"},
		{"android-app://com.google.android.gm", "none"},
		{"//www.bing.com/?q=x", "none"},
		{"http://www.bing.com/?q=a b", "none"}, // not a URI
		{"", "none"},
	}
	for _, c := range cases {
		if got := show(db.Lookup(c.ref, page, []string{" shop.example.com "})); got != c.want {
			t.Errorf("Lookup(%q) = %s, want %s", c.ref, got, c.want)
		}
	}
}

func TestLookupURI(t *testing.T) {
	db := sampleDB(t)
	// The enricher hands over java.net.URI's parts: raw path decoded here.
	m, s, term, ok := db.LookupURI(URI{Scheme: "https", Host: "webmail1m.orange.fr", Path: "/%77ebmail/x", RawQuery: "q=1"}, "", nil)
	if show(m, s, term, ok) != "email/Orange Webmail/null" {
		t.Errorf("encoded path: %s", show(m, s, term, ok))
	}
	// Parts java.net.URI would not have produced are still handled: a
	// bare '%' is kept, values are trimmed before decoding.
	for q, want := range map[string]string{"text=100%": "search/Yandex/100%", "text= %20x ": "search/Yandex/ x", "text=%zz": "search/Yandex/%zz"} {
		if got := show(db.LookupURI(URI{Scheme: "http", Host: "yandex.ru", RawQuery: q}, "", nil)); got != want {
			t.Errorf("query %q: %s, want %s", q, got, want)
		}
	}
	if _, _, _, ok := db.LookupURI(URI{Scheme: "https", Path: "/x"}, "", nil); ok {
		t.Error("no host: want no result")
	}
}

func TestYAMLDuplicateKeys(t *testing.T) {
	db, err := LoadFile(filepath.Join("testdata", "duplicates.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"first.example.com":  "search/First",
		"shared.example.com": "search/Second", // later domain overwrites
		"kept.example.com":   "search/Twice",  // repeated source: later definition
		"nested.example.com": "social/Nested", // repeated 'domains' key: later list
	}
	for key, w := range want {
		r, ok := db.Get(key)
		if !ok || r.Medium+"/"+r.Source != w {
			t.Errorf("%s: got %+v %v, want %s", key, r, ok, w)
		}
	}
	if r, _ := db.Get("kept.example.com"); len(r.Parameters) != 1 || r.Parameters[0] != "t" {
		t.Errorf("repeated source parameters: %q", r.Parameters)
	}
	for _, gone := range []string{"lost.example.com", "dropped.example.com"} {
		if _, ok := db.Get(gone); ok {
			t.Errorf("%s present", gone)
		}
	}
	if db.Len() != 4 {
		t.Errorf("Len = %d, want 4", db.Len())
	}
}

func TestJSONDatabase(t *testing.T) {
	db, err := LoadFile(filepath.Join("testdata", "referers.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ ref, want string }{
		{"http://search.example.com/?query=x", "social/Example Social/null"}, // later medium overwrites
		{"http://www.example.org/find/more?q=x&query=y", "search/Example Search/x"},
		{"http://quiet.example.net/?q=x", "search/Quiet Search/null"}, // search without parameters
		{"http://ads.example.com/", "paid/Example Ads/null"},
	}
	for _, c := range cases {
		if got := show(db.Lookup(c.ref, "", nil)); got != c.want {
			t.Errorf("Lookup(%q) = %s, want %s", c.ref, got, c.want)
		}
	}
}

func TestDatabaseErrors(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"empty", "", "empty document"},
		{"not a mapping", "- a\n- b\n", "not a mapping of media"},
		{"unknown medium", "paid:\n  X:\n    domains: [x.com]\n", `medium "paid" is not one of unknown, internal, search, social, email (referer-parser 0.3.0)`},
		{"search without parameters", "search:\n  X:\n    domains: [x.com]\n", `medium "search" source "X": a search source needs parameters (line 3)`},
		{"social with parameters", "social:\n  X:\n    parameters: [q]\n    domains: [x.com]\n", "only search sources may have parameters"},
		{"no domains", "email:\n  X:\n    other: 1\n", `medium "email" source "X": no domains list`},
		{"domains not a list", "email:\n  X:\n    domains: x.com\n", "no domains list"},
		{"bad YAML", "email: [\n", "decoding YAML"},
		{"JSON unknown medium", `{"weird": {}}`, `medium "weird" is not one of`},
		{"bad JSON", `{"search": [}`, "decoding JSON"},
		{"JSON trailing", `{} {}`, "data after the top-level value"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.data))
		if !errors.Is(err, ErrDatabase) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrDatabase containing %q", c.name, err, c.want)
		}
	}
}

func TestResolveSourceAndLoad(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if s := ResolveSource("", getenv); !strings.HasSuffix(s.URI, DefaultPath) || s.Origin != "default" {
		t.Errorf("default: %+v", s)
	} else if _, err := LoadFile(s.URI); err != nil {
		t.Errorf("default database (found from the package directory): %v", err)
	}
	env[EnvVar] = "s3://b/referers.yml"
	if s := ResolveSource("", getenv); s != (Source{URI: "s3://b/referers.yml", Origin: "env " + EnvVar}) {
		t.Errorf("env: %+v", s)
	}
	if s := ResolveSource("http://h/r.json", getenv); s.Origin != "config" {
		t.Errorf("config: %+v", s)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "referers.json"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Load(context.Background(), "https://assets.example/referers.json", func(_ context.Context, uri string) ([]byte, error) {
		return data, nil
	})
	if err != nil || db.Len() != 5 {
		t.Fatalf("Load through fetch: %v", err)
	}
	if _, err := Load(context.Background(), "s3://b/r.yml", nil); err == nil || !strings.Contains(err.Error(), `no fetcher for URI scheme "s3"`) {
		t.Errorf("nil fetch: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("search:\n  X:\n    domains: [a]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); err == nil || !strings.Contains(err.Error(), "loading "+bad) {
		t.Errorf("bad file: %v", err)
	}
}

// FuzzLookup: no referrer string panics, and a result always has a medium.
func FuzzLookup(f *testing.F) {
	db := sampleDB(f)
	for _, s := range []string{"http://www.google.com/search?q=x", "https://a.b/c?%", "http://[::1]/", "http://u@h:1/p;q?x=%E2%82&&;q", "x:/", "http://bing.com/images/search?q=1"} {
		f.Add(s, "www.example.com")
	}
	f.Fuzz(func(t *testing.T, ref, page string) {
		m, _, _, ok := db.Lookup(ref, page, []string{page})
		if ok && m == "" {
			t.Fatalf("Lookup(%q) gave a result without a medium", ref)
		}
	})
}

// FuzzParse: no database document panics; a failure is ErrDatabase.
func FuzzParse(f *testing.F) {
	f.Add([]byte("search:\n  G:\n    parameters: [q]\n    domains: [g.com, g.com/x]\n"))
	f.Add([]byte(`{"social": {"S": {"domains": ["s.com"]}}}`))
	f.Add([]byte("a: &x [1]\nb: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := Parse(data)
		if err != nil && !errors.Is(err, ErrDatabase) {
			t.Fatalf("error not ErrDatabase: %v", err)
		}
		if err == nil {
			db.Lookup("http://g.com/x?q=1", "", nil)
		}
	})
}

func TestYAMLAliasBomb(t *testing.T) {
	// Ten levels of ten aliases each: 10^10 nodes once expanded.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		ref := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "a%d: &a%d [%s%s]\n", i, i, strings.Repeat(ref+", ", 9), ref)
	}
	_, err := ParseYAML([]byte(b.String()))
	if !errors.Is(err, ErrDatabase) || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("alias bomb: %v", err)
	}
}

func TestExtend(t *testing.T) {
	db := sampleDB(t)
	ext, err := db.Extend("search", "Acme Search", []string{"search.acme.com", "www.google.com"}, []string{"k"})
	if err != nil {
		t.Fatal(err)
	}
	if got := show(ext.Lookup("http://search.acme.com/?k=x", "", nil)); got != "search/Acme Search/x" {
		t.Errorf("added source: %s", got)
	}
	if got := show(ext.Lookup("http://www.google.com/?k=y&q=z", "", nil)); got != "search/Acme Search/y" {
		t.Errorf("replaced domain: %s", got)
	}
	if got := show(db.Lookup("http://www.google.com/?k=y&q=z", "", nil)); got != "search/Google/z" {
		t.Errorf("receiver changed: %s", got)
	}
	if _, err := db.Extend("weird", "X", []string{"x.com"}, nil); !errors.Is(err, ErrDatabase) {
		t.Errorf("bad medium: %v", err)
	}
	if _, err := db.Extend("social", "X", nil, nil); !errors.Is(err, ErrDatabase) {
		t.Errorf("no domains: %v", err)
	}
}
