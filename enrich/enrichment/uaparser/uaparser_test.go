package uaparser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/tablesrc"
	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch"
	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch/uamatchtest"
	"github.com/furrowdata/furrow/internal/testservers"
	uapgo "github.com/ua-parser/uap-go/uaparser"
)

// ctx renders the data part of a context in a compact, readable form.
func show(r Result) string {
	n := func(v NullString) string {
		if !v.Valid {
			return "null"
		}
		return fmt.Sprintf("%q", v.Value)
	}
	return fmt.Sprintf("%s/%s/%s/%s %q | %s/%s/%s/%s/%s %q | %s",
		r.UAFamily, n(r.UAMajor), n(r.UAMinor), n(r.UAPatch), r.UAVersion(),
		r.OSFamily, n(r.OSMajor), n(r.OSMinor), n(r.OSPatch), n(r.OSPatchMinor), r.OSVersion(), r.DeviceFamily)
}

// TestReferenceExamples: ua-parser-1.3.0.md sections 3 and 5.
func TestReferenceExamples(t *testing.T) {
	p := referenceParser(t)
	cases := []struct{ ua, want string }{
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 5_1_1 like Mac OS X) AppleWebKit/534.46 (KHTML, like Gecko) Version/5.1 Mobile/9B206 Safari/7534.48.3",
			`Mobile Safari/"5"/"1"/null "Mobile Safari 5.1" | iOS/"5"/"1"/"1"/null "iOS 5.1.1" | iPhone`},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_1) AppleWebKit/600.2.5 (KHTML, like Gecko) Version/8.0.2 Safari/600.2.5",
			`Safari/"8"/"0"/"2" "Safari 8.0.2" | Mac OS X/"10"/"10"/"1"/null "Mac OS X 10.10.1" | Other`},
		{"Mozilla/5.0 (Windows NT 6.1; WOW64; rv:12.0) Gecko/20100101 Firefox/12.0",
			`Firefox/"12"/"0"/null "Firefox 12.0" | Windows 7/null/null/null/null "Windows 7" | Other`},
		{"IE 7 - Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; .NET CLR 1.1.4322; .NET CLR 2.0.50727; .NET CLR 3.0.04506.30)",
			`IE/"7"/"0"/null "IE 7.0" | Windows XP/null/null/null/null "Windows XP" | Other`},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			`Googlebot/"2"/"1"/null "Googlebot 2.1" | Other/null/null/null/null "Other" | Spider`},
		{"Ruby", `Other/null/null/null "Other" | Other/null/null/null/null "Other" | Other`},
		{"", `Other/null/null/null "Other" | Other/null/null/null/null "Other" | Other`},
		// Issue #2214: the 2013 rules see Edge 12 as Chrome 42.
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.10240",
			`Chrome/"42"/"0"/"2311" "Chrome 42.0.2311" | Windows/null/null/null/null "Windows" | Other`},
	}
	for _, c := range cases {
		if got := show(p.Parse(c.ua)); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.ua, got, c.want)
		}
	}
}

// TestConformanceFixtures: the ua_parser_context inside derived_contexts of
// every expected good event equals ours byte for byte.
func TestConformanceFixtures(t *testing.T) {
	p := referenceParser(t)
	n, agents := 0, map[string]bool{}
	for name, fx := range loadFixtures(t) {
		enabled := false
		for _, e := range fx.Enrichments.Data {
			enabled = enabled || e.Data.Name == "ua_parser_config" && e.Data.Enabled
		}
		for ri, row := range fx.ExpectedGood {
			if len(row) <= 122 || row[122] == nil || row[77] == nil {
				continue
			}
			var dc struct{ Data []json.RawMessage }
			if err := json.Unmarshal([]byte(*row[122]), &dc); err != nil {
				t.Fatalf("%s row %d: derived_contexts: %v", name, ri, err)
			}
			var want []byte
			for _, c := range dc.Data {
				if bytes.Contains(c, []byte(`"schema":"`+ContextSchema+`"`)) {
					want = c
				}
			}
			if !enabled {
				if want != nil {
					t.Errorf("%s row %d: ua_parser_context without the enrichment", name, ri)
				}
				continue
			}
			if want == nil {
				t.Errorf("%s row %d: no ua_parser_context although enabled", name, ri)
				continue
			}
			if got := p.Context(*row[77]); !bytes.Equal(got, want) {
				t.Errorf("%s row %d (ua %q):\n got %s\nwant %s", name, ri, *row[77], got, want)
			}
			n++
			agents[*row[77]] = true
		}
	}
	if n == 0 {
		t.Fatal("no fixture row with a ua_parser_context")
	}
	t.Logf("%d contexts (%d distinct agents) identical", n, len(agents))
}

func TestJava130Semantics(t *testing.T) {
	p, err := LoadFile(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ ua, want string }{
		{"OtherAgent/3 Browser/1.2.3", `Browser/"1"/"2"/"3" "Browser 1.2.3" | Other/null/null/null/null "Other" | Other`},
		{"Dollar/1.2.3", `Dollar and $1/"1"/"x"/null "Dollar and $1 1.x" | Other/null/null/null/null "Other" | Other`},
		{"NoGroup/", `Lit $1/null/null/null "Lit $1" | Other/null/null/null/null "Other" | Other`},
		{"Empty/.5", `Empty/""/"5"/null "Empty .5" | Other/null/null/null/null "Other" | Other`},
		{"Dup/4", `Second/"4"/null/null "Second 4" | Other/null/null/null/null "Other" | Other`},
		{"flagged/1.2.3 Browser/9.8", `Browser/"9"/"8"/null "Browser 9.8" | Other/null/null/null/null "Other" | Other`},
		{"Flagged/1.2.3", `Flagged/"1"/"2"/"3" "Flagged 1.2.3" | Other/null/null/null/null "Other" | Other`},
		{"Sys 1.2.3.4 Phone-X1", `Other/null/null/null "Other" | $1 OS/"1"/"2"/"3"/"4" "$1 OS 1.2.3.4" | Device Phone $1`},
		{"Plain 5 Tablet", `Other/null/null/null "Other" | Plain/"5"/"7"/null/null "Plain 5.7" | Tab`},
	}
	for _, c := range cases {
		if got := show(p.Parse(c.ua)); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.ua, got, c.want)
		}
	}
}

func TestContextJSON(t *testing.T) {
	r := Result{UAFamily: "A \"q\" \\ \t\x01\u2028é", UAMajor: NullString{"1", true}, UAPatch: NullString{"", true},
		OSFamily: "Other", DeviceFamily: "D\xff"}
	got := string(r.AppendContext(nil))
	want := `{"schema":"iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0","data":{` +
		`"useragentFamily":"A \"q\" \\ \t\u0001` + "\u2028é" + `","useragentMajor":"1","useragentMinor":null,"useragentPatch":"",` +
		`"useragentVersion":"A \"q\" \\ \t\u0001` + "\u2028é" + ` 1.","osFamily":"Other","osMajor":null,"osMinor":null,` +
		`"osPatch":null,"osPatchMinor":null,"osVersion":"Other","deviceFamily":"D` + "\ufffd" + `"}}`
	if got != want {
		t.Errorf("context\n got %s\nwant %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Error("not valid JSON")
	}
}

func TestRulesErrors(t *testing.T) {
	cases := []struct {
		name, data string
		sem        Semantics
		want       string
	}{
		{"not YAML", "user_agent_parsers: [", Java130, "decoding YAML"},
		{"not a mapping", "- a", Java130, "top level is not a mapping"},
		{"missing list", "user_agent_parsers: []\nos_parsers: []\n", Java130, "no device_parsers list"},
		{"missing list is fine for uap-core", "user_agent_parsers: []\n", UapCore, ""},
		{"no regex", "user_agent_parsers:\n  - family_replacement: x\nos_parsers: []\ndevice_parsers: []\n", Java130, "user_agent_parsers[0] (line 2): no regex"},
		{"bad regex", "user_agent_parsers: []\nos_parsers:\n  - regex: '(?<=a)b'\ndevice_parsers: []\n", Java130, "os_parsers[0] (line 3)"},
		{"non-string", "user_agent_parsers:\n  - regex: [a]\nos_parsers: []\ndevice_parsers: []\n", Java130, "regex is not a string"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.data), c.sem)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// bruteForce applies the rules without the literal prefilter.
func (p *Parser) bruteForce(ua string) Result {
	all := make([]uint64, p.words)
	for i := range all {
		all[i] = ^uint64(0)
	}
	cand := make([]uint64, p.cwords)
	for i := range cand {
		cand[i] = ^uint64(0)
	}
	res := Result{UAFamily: "Other", OSFamily: "Other", DeviceFamily: "Other"}
	var out [5]NullString
	if p.first(kindUA, ua, all, cand, &out) {
		res.UAFamily, res.UAMajor, res.UAMinor, res.UAPatch = out[0].Value, out[1], out[2], out[3]
	}
	if p.first(kindOS, ua, all, cand, &out) {
		res.OSFamily, res.OSMajor, res.OSMinor, res.OSPatch, res.OSPatchMinor = out[0].Value, out[1], out[2], out[3], out[4]
	}
	if p.first(kindDevice, ua, all, cand, &out) {
		res.DeviceFamily = out[0].Value
	}
	return res
}

// differential checks, on texts generated to match every rule of a rules
// file, that each rule's Matcher finds what the plain translated regexp
// finds, and that the prefiltered parse equals the brute-force parse.
func differential(t *testing.T, p *Parser, data []byte, sem Semantics, perRule int) {
	raw, err := readRules(data, sem)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	junk := append([]string{"", "Mozilla/5.0 (", "; ", " Safari/", "\r", "\u2028"}, benchAgents...)
	texts := 0
	for k := range raw {
		for i, r := range raw[k] {
			ci := sem == UapCore && strings.Contains(r.flag, "i")
			plain, err := uamatch.CompileJava(r.regex, uamatch.JavaFlags{CaseInsensitive: ci})
			if err != nil {
				t.Fatal(err)
			}
			m := p.rules[k][i].m.get()
			if m == nil {
				t.Fatalf("%s[%d] %q: %v", kind(k).listName(), i, r.regex, p.rules[k][i].m.err)
			}
			for _, s := range uamatchtest.Surround(r.regex, rng, perRule, junk) {
				if got, want := m.FindStringSubmatchIndex(s), plain.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
					t.Fatalf("%s[%d] %q (%s) on %q: matcher %v, regexp %v", kind(k).listName(), i, r.regex, m.Strategy(), s, got, want)
				}
				if got, want := p.Parse(s), p.bruteForce(s); got != want {
					t.Fatalf("%q:\nprefiltered %s\nbrute force %s", s, show(got), show(want))
				}
				texts++
			}
		}
	}
	t.Logf("%d texts agree", texts)
}

// TestDifferentialJava130: every rule of the 1.3.0 file.
func TestDifferentialJava130(t *testing.T) {
	p := referenceParser(t)
	data, err := tablesrc.Read(t.Context(), testservers.SharedPath(t, "reference", "uap-regexes-java-1.3.0.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	differential(t, p, data, Java130, 6)
}

// TestDifferentialEmbedded: every rule of uap-go's embedded file (runs
// without the reference data).
func TestDifferentialEmbedded(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	n := 3
	if testing.Short() {
		n = 1
	}
	differential(t, p, uapgo.DefinitionYaml, UapCore, n)
}

func TestDefaultRules(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if p.Semantics() != UapCore {
		t.Errorf("semantics %v", p.Semantics())
	}
	ua, os, dev := p.Rules()
	if ua < 100 || os < 50 || dev < 100 {
		t.Errorf("rules: %d %d %d", ua, os, dev)
	}
	cases := map[string]string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1": `Mobile Safari/"17"/"1"/null "Mobile Safari 17.1" | iOS/"17"/"1"/"2"/null "iOS 17.1.2" | iPhone`,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36":                           `Chrome/"120"/"0"/"0" "Chrome 120.0.0" | Windows/"10"/null/null/null "Windows 10" | Other`,
		"Ruby": `Other/null/null/null "Other" | Other/null/null/null/null "Other" | Other`,
	}
	for ua, want := range cases {
		if got := show(p.Parse(ua)); got != want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", ua, got, want)
		}
	}
}

// FuzzContext: any agent gives a valid context without panicking, and the
// prefilter agrees with the brute-force parse.
func FuzzContext(f *testing.F) {
	p, err := LoadFile(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, a := range benchAgents {
		f.Add(a)
	}
	f.Add("Dollar/1.2.3 Sys 1.2.3.4 Phone-\xff\u2028")
	f.Fuzz(func(t *testing.T, ua string) {
		ctx := p.Context(ua)
		if !json.Valid(ctx) {
			t.Fatalf("invalid JSON for %q: %s", ua, ctx)
		}
		if got, want := p.Parse(ua), p.bruteForce(ua); got != want {
			t.Fatalf("%q: prefiltered %s, brute force %s", ua, show(got), show(want))
		}
	})
}

func TestResolveSourceAndLoad(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	src := ResolveSource("", getenv)
	if src != (Source{Origin: "default"}) {
		t.Fatalf("default: %+v", src)
	}
	p, err := LoadSource(t.Context(), src, nil)
	if err != nil || p.Semantics() != UapCore {
		t.Fatalf("embedded: %v", err)
	}
	env[EnvVar] = filepath.Join("testdata", "rules.yaml")
	src = ResolveSource("", getenv)
	if src.Origin != "env "+EnvVar {
		t.Fatalf("env: %+v", src)
	}
	if p, err = LoadSource(t.Context(), src, nil); err != nil || p.Semantics() != Java130 {
		t.Fatalf("env file: %v", err)
	}
	if src := ResolveSource("https://h/regexes.yaml", getenv); src.Origin != "config" {
		t.Errorf("config: %+v", src)
	}
	if _, err := Load(t.Context(), "s3://b/regexes.yaml", nil, Java130); err == nil || !strings.Contains(err.Error(), `no fetcher for URI scheme "s3"`) {
		t.Errorf("nil fetch: %v", err)
	}
}

// TestConcurrentParse: a Parser is used from many goroutines at once.
func TestConcurrentParse(t *testing.T) {
	p, err := LoadFile(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	agents := append([]string{"Dollar/1.2.3 Sys 1.2.3.4 Phone-X1", "Plain 5 Tablet", "Browser/1.2"}, benchAgents...)
	want := make([]string, len(agents))
	for i, a := range agents {
		want[i] = string(p.Context(a))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 500 {
				i := (g + n) % len(agents)
				if got := string(p.Context(agents[i])); got != want[i] {
					errs <- fmt.Sprintf("%q: %s, want %s", agents[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
