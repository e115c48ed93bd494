package uautils

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
)

// sampleTable loads the repository's own sample table (DefaultPath).
func sampleTable(t testing.TB) *Table {
	t.Helper()
	tab, err := LoadFile(filepath.Join(testservers.RepoRoot(t), DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestSampleTableRules(t *testing.T) {
	tab := sampleTable(t)
	cases := []struct{ name, ua, want string }{
		{"version children match by prefix",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			"[Chrome 12 Chrome 120.0.0.0 Browser WEBKIT Windows 10 Windows Microsoft Corporation Computer 0]"},
		{"no version child: the parent answers",
			"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36",
			"[Chrome Chrome 70.0.3538.77 Browser WEBKIT Linux Linux Other Computer 0]"},
		{"top-level order: Edge before Chrome",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
			"[Microsoft Edge Microsoft Edge 120.0 Browser BLINK Windows 10 Windows Microsoft Corporation Computer 0]"},
		{"children are tried before the parent's exclusions",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15 ExampleBot",
			"[Safari 17 Safari 17.1 Browser WEBKIT Mac OS X Mac OS X Apple Inc. Computer 0]"},
		{"an excluded entry fails and the walk goes on to BOT, which forces the OS to Unknown",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.1 Safari/605.1.15 ExampleBot",
			"[Robot/Spider Robot/Spider <null> Robot OTHER Unknown Unknown Other Unknown 0]"},
		{"a child's exclusion only stops the child: the parent answers",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/120.0 Mobile/15E148 Safari/605.1.15",
			"[Firefox Mobile Firefox <null> Browser (mobile) GECKO iOS 17 (iPhone) iOS Apple Inc. Mobile 1]"},
		{"BOT forces Unknown OS despite Linux",
			"python-requests/2.2.1 CPython/3.3.5 Linux/3.2.0-61-generic",
			"[Robot/Spider Robot/Spider <null> Robot OTHER Unknown Unknown Other Unknown 0]"},
		{"BOT_MOBILE keeps OS matching",
			"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Googlebot-Mobile/2.1)",
			"[Mobile Robot/Spider Robot/Spider <null> Robot OTHER Android Mobile Android Google Inc. Mobile 1]"},
		{"tablet is not mobile",
			"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
			"[Chrome 11 Chrome 119.0.0.0 Browser WEBKIT Android Tablet Android Google Inc. Tablet 0]"},
		{"Safari version from the WebKit map",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_6_8) AppleWebKit/534.59.10 (KHTML, like Gecko) Safari/534.59.10",
			"[Safari 5 Safari 5.1.10 Browser WEBKIT Mac OS X Mac OS X Apple Inc. Computer 0]"},
		{"WebKit build missing from the map: no version",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_6_8) AppleWebKit/999.1 (KHTML, like Gecko) Safari/999.1",
			"[Safari Safari <null> Browser WEBKIT Mac OS X Mac OS X Apple Inc. Computer 0]"},
		{"version regexes are case-insensitive (ASCII)",
			"MOZILLA/5.0 (WINDOWS NT 6.1; RV:12.0) GECKO/20100101 FIREFOX/12.0",
			"[Firefox 12 Firefox 12.0 Browser GECKO Windows 7 Windows Microsoft Corporation Computer 0]"},
		{"Kelvin sign lowercases to k for aliases, but not in version regexes",
			"Mozilla/5.0 (Windows NT 10.0) Chrome/99.0 (\u212aHTML) Safari/537.36 Go-http-\u212alient",
			"[Chrome 9 Chrome 99.0 Browser WEBKIT Windows 10 Windows Microsoft Corporation Computer 0]"},
		{"capital I with dot lowercases to i + U+0307: no alias 'msie'",
			"Mozilla/4.0 (compatible; MS\u0130E 7.0; Windows NT 5.1)",
			"[Unknown Unknown <null> unknown OTHER Windows XP Windows Microsoft Corporation Computer 0]"},
		{"empty agent", "", "[Unknown Unknown <null> unknown OTHER Unknown Unknown Other Unknown 0]"},
		{"unknown agent", "Ruby", "[Unknown Unknown <null> unknown OTHER Unknown Unknown Other Unknown 0]"},
	}
	for _, c := range cases {
		got := fmt.Sprint(tab.Parse(c.ua).fields())
		if got != c.want {
			t.Errorf("%s: Parse(%q)\n got %s\nwant %s", c.name, c.ua, got, c.want)
		}
	}
}

func TestKelvinAliasMatches(t *testing.T) {
	tab := sampleTable(t)
	// Java lowercases the Kelvin sign to "k": "faceboo\u212aexternalhit"
	// contains the BOT alias "facebookexternalhit".
	if r := tab.Parse("Mozilla/5.0 (compatible) faceboo\u212aexternalhit/1.1"); r.BrName != "Robot/Spider" {
		t.Fatalf("Kelvin sign: got %q, want Robot/Spider", r.BrName)
	}
}

func TestParseTableErrors(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(testservers.RepoRoot(t), DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, from, to, want string }{
		{"not JSON", "{", "[", "decoding JSON"},
		{"unknown child", `"children": ["BOT_MOBILE"]`, `"children": ["NOPE"]`, `unknown child "NOPE"`},
		{"cycle", `"children": ["BOT_MOBILE"]`, `"children": ["BOT"]`, "its own descendant"},
		{"no UNKNOWN browser", `{"constant": "UNKNOWN", "name": "Unknown", "parent": null, "group": "UNKNOWN", "children": [],
     "manufacturer": "OTHER", "browser_type": "UNKNOWN"`, `{"constant": "UNKNOWN2", "name": "Unknown", "parent": null, "group": "UNKNOWN2", "children": [],
     "manufacturer": "OTHER", "browser_type": "UNKNOWN"`, "no UNKNOWN entry"},
		{"bad regex", `"Firefox\\/(`, `"Firefox\\/((?<=x)`, "FIREFOX: version_fetcher"},
		{"unknown manufacturer", `"manufacturer": "APPLE", "device_type": "COMPUTER"`, `"manufacturer": "PEAR", "device_type": "COMPUTER"`, `unknown manufacturer "PEAR"`},
		{"unknown fetcher source", `"effective_version_fetcher_from": "OPERA"`, `"effective_version_fetcher_from": "OPERA9"`, `unknown entry "OPERA9"`},
	}
	for _, c := range cases {
		data := strings.Replace(string(base), c.from, c.to, 1)
		if c.name == "no UNKNOWN browser" {
			data = strings.Replace(data, `"DOWNLOAD", "UNKNOWN"]`, `"DOWNLOAD", "UNKNOWN2"]`, 1)
		}
		if data == string(base) {
			t.Fatalf("%s: replacement did not apply", c.name)
		}
		_, err := Parse([]byte(data))
		if !errors.Is(err, ErrTable) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want ErrTable containing %q", c.name, err, c.want)
		}
	}
}

func TestResolveSource(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if s := ResolveSource("", getenv); !strings.HasSuffix(s.URI, DefaultPath) || s.Origin != "default" {
		t.Errorf("default: %+v", s)
	} else if _, err := LoadFile(s.URI); err != nil {
		t.Errorf("default table (found from the package directory): %v", err)
	}
	env[EnvVar] = "s3://bucket/ua.json"
	if s := ResolveSource("", getenv); s.URI != "s3://bucket/ua.json" || s.Origin != "env "+EnvVar {
		t.Errorf("env: %+v", s)
	}
	if s := ResolveSource("https://example.com/x/ua.json", getenv); s.URI != "https://example.com/x/ua.json" || s.Origin != "config" {
		t.Errorf("config: %+v", s)
	}
}

func TestLoadThroughFetch(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testservers.RepoRoot(t), DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	var asked string
	fetch := func(_ context.Context, uri string) ([]byte, error) {
		asked = uri
		if uri == "s3://bucket/missing.json" {
			return nil, errors.New("no such key")
		}
		return data, nil
	}
	tab, err := Load(context.Background(), "s3://bucket/ua.json", fetch)
	if err != nil || asked != "s3://bucket/ua.json" {
		t.Fatalf("Load: %v (fetched %q)", err, asked)
	}
	if r := tab.Parse("Mozilla/5.0 (Windows NT 6.1; rv:12.0) Gecko/20100101 Firefox/12.0"); r.BrName != "Firefox 12" {
		t.Errorf("got %q", r.BrName)
	}
	if _, err := Load(context.Background(), "s3://bucket/missing.json", fetch); err == nil || !strings.Contains(err.Error(), "no such key") {
		t.Errorf("missing object: %v", err)
	}
	if _, err := Load(context.Background(), "s3://bucket/ua.json", nil); err == nil || !strings.Contains(err.Error(), `no fetcher for URI scheme "s3"`) {
		t.Errorf("nil fetch: %v", err)
	}
	u := "file://" + filepath.Join(testservers.RepoRoot(t), DefaultPath)
	if _, err := Load(context.Background(), u, nil); err != nil {
		t.Errorf("file URI: %v", err)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("missing file: no error")
	}
}

// FuzzParse: any agent gives a result without panicking, and the result
// names a browser and an operating system.
func FuzzParse(f *testing.F) {
	tab := sampleTable(f)
	for _, a := range benchAgents {
		f.Add(a)
	}
	f.Add("\u0130\u212a\xff\xfe Chrome/")
	f.Fuzz(func(t *testing.T, ua string) {
		r := tab.Parse(ua)
		if r.BrName == "" || r.OSName == "" || r.BrType == "" || r.DvceType == "" {
			t.Fatalf("Parse(%q) = %+v", ua, r)
		}
	})
}
