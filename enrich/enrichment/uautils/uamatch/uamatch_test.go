package uamatch

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch/uamatchtest"
)

func TestSetMatchesContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "abAB/. k\u212a\u0130é"
	randStr := func(n int) string {
		r := []rune(alphabet)
		var b strings.Builder
		for range n {
			b.WriteRune(r[rng.IntN(len(r))])
		}
		return b.String()
	}
	for round := range 200 {
		fold := round%2 == 1
		needles := make([]string, 1+rng.IntN(30))
		for i := range needles {
			needles[i] = randStr(rng.IntN(5))
		}
		set := NewSet(needles, fold)
		seen := make([]uint64, set.Words())
		for range 50 {
			text := randStr(rng.IntN(40))
			clear(seen)
			set.Scan(text, seen)
			hay := text
			if fold {
				hay = asciiLower(text)
			}
			for i, nd := range needles {
				if fold {
					nd = asciiLower(nd)
				}
				if want := strings.Contains(hay, nd); Has(seen, uint32(i)) != want {
					t.Fatalf("fold=%v needles %q text %q: needle %d %q reported %v, want %v", fold, needles, text, i, needles[i], !want, want)
				}
			}
		}
	}
}

func TestSetEmpty(t *testing.T) {
	s := NewSet(nil, true)
	s.Scan("anything", nil) // no needles: nothing to mark, no panic
	if s.Words() != 0 || s.Len() != 0 {
		t.Fatalf("empty set: words %d len %d", s.Words(), s.Len())
	}
}

func TestCompileJavaSemantics(t *testing.T) {
	cases := []struct {
		expr  string
		ci    bool
		text  string
		match bool
	}{
		{"a.b", false, "a\rb", false},                // Java's '.' excludes \r
		{"a.b", false, "a\u2028b", false},            // … and U+2028
		{"a.b", false, "a\u0085b", false},            // … and U+0085
		{"a.b", false, "a\tb", true},                 //
		{`a\sb`, false, "a\x0Bb", true},              // Java's \s includes VT
		{`a[\s]b`, false, "a\x0Bb", true},            // also inside a class
		{`a\Sb`, false, "a\x0Bb", false},             //
		{`\Q\s\E`, false, `\s`, true},                // quoted text is left alone
		{"konqueror", true, "KONQUEROR", true},       //
		{"konqueror", true, "\u212aonqueror", false}, // ASCII-only folding
		{"s", true, "\u017f", false},                 // long s
		{"[a-c]x", true, "Bx", true},                 //
		{"[^a]x", true, "Ax", false},                 // negated class folds before negating
		{"[^a]x", true, "bx", true},                  //
		{"(?:CriOS|Chrome)/", true, "chrome/", true}, //
		{"Chrome", false, "chrome", false},           // case-sensitive by default
	}
	for _, c := range cases {
		re, err := CompileJava(c.expr, JavaFlags{CaseInsensitive: c.ci})
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		if got := re.MatchString(c.text); got != c.match {
			t.Errorf("CompileJava(%q, ci=%v).MatchString(%q) = %v, want %v (Go regexp %s)", c.expr, c.ci, c.text, got, c.match, re)
		}
	}
	if _, err := CompileJava(`a(?=b)`, JavaFlags{}); err == nil {
		t.Error("look-ahead compiled; want an error")
	}
}

// testPatterns are patterns of the shapes the tables use.
var testPatterns = []struct {
	expr string
	ci   bool
}{
	{`(?:CriOS|CrMo|Chrome)\/(([0-9]+)\.?([\w]+)?(\.[\w]+)?(\.[\w]+)?)`, true},
	{`(?:Trident\/7|IE)(?:\.[0-9]*;)?(?:.*rv:| )(([0-9]+)\.?([0-9]+))`, true},
	{`[o][p][e]?[r][a]?\/(([\d]+)\.([\w]+)(\.([\w]+))?(\.([\w]+))?)`, true},
	{`Lynx\/(([0-9]+)\.([\d]+)\.?([\w-+]+)?\.?([\w-+]+)?)`, true},
	{`AppleWebKit/(\d+(?:.\d+){1,2})`, false},
	{`(SeaMonkey|Camino)/(\d+)\.(\d+)\.?([ab]?\d+[a-z]*)`, false},
	{`Mobile.*(Firefox)/(\d+)\.(\d+)`, false},
	{`(Pale[Mm]oon)/(\d+)\.(\d+)\.?(\d+)?`, false},
	{`^(Luminary)/(\d+)`, false},
	{`\b(Opera)x$`, false},
	{`(Windows (?:NT 5\.2|NT 5\.1))`, false},
	{`; *([Nn]exus) ?(\d+)`, false},
	{`(\d+)\.(\d+)`, false},
	{`(bot|borg|google(^tv)|yahoo|slurp)`, false},
	{`(iPod|iPhone|iPad);.*CPU.*OS (\d+)(?:_\d+)?_(\d+).*Mobile`, false},
	{`(?:\bx|y)z(\d)`, false},
	{`(Bo|Bolt)(?:lt)?/(\d+)`, false},
	{`(Bolt|Jasmine|Chrome|Chromium|IE)/(\d+)\.(\d+)\.?(\d+)?`, false},
	{`(bolt|jasmine|IE|ie)/(\d+)`, true},
	{`(bot|borg|google(^tv)|yahoo|(sl)urp)x?`, false},
	{`^(1207|3gso|a(?: wa|c(?:er|s-))|b(?:ell|ird))`, false},
	{`^(?:x*|(a))b`, false},
	{`(iPhone).*Version/(\d+)\.(\d+)\.(\d+)`, false},
	{`(iPod|iPhone|iPad);.*CPU.*OS (\d+)(?:_\d+)?_(\d+).*Mobile`, false},
	{`(?:Chrome).*(OPR)/(\d+)\.(\d+)\.(\d+)`, false},
	{`(iPh|iPhone).*e(\d)`, false},
	{`(ab)c.*d(\d)`, false},
	{`(Win 3.1|Win 98)`, false},
	{`(Win 3.|Win 98)(\d)?`, false},
	{`(chrome|\bIE|[0-9]+x|op(era)?|^Moz)/?(\d)?`, false},
	{`(?:CSimpleSpider|\b\w{0,30}favicon\w{0,30}\b|\bYeti(?:-[a-z]{1,30}|)|(?:[A-Za-z]{1,30}-|)Googlebot(?:-[A-Za-z]{1,30}|)|^NING|bot)(?:/(\d+))?`, false},
	{`(Version)/(\d+)\.(\d+)(?:\.(\d+))?.*Safari/`, false},
}

var junk = []string{"", "Mozilla/5.0 (", "; ", "chrome/x ", "IE", "op", "\u212a", "AppleWebKit/", "\r", "x\u2028y", "\n", "\xff", "Win 3\u00e91", "Win 3\u212a"}

// samples returns texts around generated matches of expr.
func samples(t *testing.T, expr string, rng *rand.Rand, n int) []string {
	out := uamatchtest.Surround(expr, rng, n, junk)
	if out == nil {
		t.Fatalf("%q does not parse", expr)
	}
	return out
}

// TestMatcherAgreesWithRegexp: the prefix/window search finds exactly what
// the translated regexp's own search finds.
func TestMatcherAgreesWithRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range testPatterns {
		m, err := CompileMatcher(p.expr, JavaFlags{CaseInsensitive: p.ci})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := CompileJava(p.expr, JavaFlags{CaseInsensitive: p.ci})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", p.expr, m.Strategy())
		hits := 0
		for _, s := range samples(t, p.expr, rng, 400) {
			got, want := m.FindStringSubmatchIndex(s), ref.FindStringSubmatchIndex(s)
			if !slices.Equal(got, want) {
				t.Fatalf("%q on %q: matcher %v, regexp %v", p.expr, s, got, want)
			}
			if want != nil {
				hits++
			}
		}
		if hits == 0 {
			t.Errorf("%q: no sample matched; the test proves nothing", p.expr)
		}
	}
	if m, _ := CompileMatcher(`^(Luminary)/(\d+)`, JavaFlags{}); m.Strategy() != "full start-bytes" {
		t.Errorf("anchored pattern: strategy %s, want full start-bytes", m.Strategy())
	}
	if m, _ := CompileMatcher(`(?:\bx|y)z`, JavaFlags{}); !strings.Contains(m.Strategy(), "(1 searched)") {
		t.Errorf("word boundary at the start of a branch: strategy %s, want that branch searched", m.Strategy())
	}
	if m, _ := CompileMatcher(`\bxz`, JavaFlags{}); m.Strategy() != "full" {
		t.Errorf("word boundary at the start: strategy %s, want full", m.Strategy())
	}
	if m, _ := CompileMatcher(`(Bolt|Chrome)/(\d+)`, JavaFlags{}); !strings.HasPrefix(m.Strategy(), "prefix+window branches 2") {
		t.Errorf("leading alternation: strategy %s, want prefix+window branches 2", m.Strategy())
	}
	if m, _ := CompileMatcher(`(bot|google(^tv)|yahoo)`, JavaFlags{}); !strings.HasPrefix(m.Strategy(), "prefix") {
		t.Errorf("assertion after the first character: strategy %s, want prefix", m.Strategy())
	}
	if m, _ := CompileMatcher(`(?:CriOS|Chrome)\/(\d+)`, JavaFlags{CaseInsensitive: true}); !strings.HasPrefix(m.Strategy(), "prefix+window") {
		t.Errorf("version pattern: strategy %s, want prefix+window", m.Strategy())
	}
}

// TestRequiredLiteralsSound: every text a pattern matches contains one of
// its required literals.
func TestRequiredLiteralsSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	useful := 0
	for _, p := range testPatterns {
		if p.ci {
			continue
		}
		sets, ok := RequiredLiterals(p.expr)
		if !ok {
			continue
		}
		useful++
		re := regexp.MustCompile(p.expr)
		for _, s := range samples(t, p.expr, rng, 400) {
			if !re.MatchString(s) {
				continue
			}
			for _, lits := range sets {
				found := false
				for _, l := range lits {
					found = found || strings.Contains(s, l)
				}
				if !found {
					t.Fatalf("%q matches %q, which contains none of %q", p.expr, s, lits)
				}
			}
		}
	}
	if useful < 5 {
		t.Errorf("only %d patterns had required literals", useful)
	}
	want := map[string][][]string{
		`(SeaMonkey|Camino)/(\d+)`:           {{"Camino/", "SeaMonkey/"}},
		`(Pale[Mm]oon)/(\d+)`:                {{"PaleMoon/", "Palemoon/"}},
		`Mobile.*(Firefox)/(\d+)`:            {{"Firefox/"}, {"Mobile"}},
		`(\d+)\.(\d+)`:                       {{"."}},
		`(Windows (?:NT 5\.2|NT 5\.1))`:      {{"Windows NT 5.1", "Windows NT 5.2"}},
		`(bot|google(^tv)|yahoo)`:            {{"bot", "googletv", "yahoo"}}, // the google branch cannot match at all
		`(iPod|iPhone|iPad);.*CPU.*OS (\d+)`: {{"iPad;", "iPhone;", "iPod;"}, {"CPU"}, {"OS "}},
	}
	for expr, w := range want {
		got, ok := RequiredLiterals(expr)
		if !ok || !slices.EqualFunc(got, w, func(a, b []string) bool { return slices.Equal(a, b) }) {
			t.Errorf("RequiredLiterals(%q) = %q, %v; want %q", expr, got, ok, w)
		}
	}
	if _, ok := RequiredLiterals(`(\d+)?x?`); ok {
		t.Error(`RequiredLiterals((\d+)?x?) found literals in a pattern that matches ""`)
	}
}

func TestFoldLiteralClasses(t *testing.T) {
	// The parser turns [Kk\x{212A}] into a folded literal: Java matches all
	// three spellings, and [Mm] only M and m.
	re, err := CompileJava(`[Kk\x{212A}]o[Mm]`, JavaFlags{})
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{"koM": true, "Kom": true, "\u212aom": true, "kOm": false} {
		if got := re.MatchString(text); got != want {
			t.Errorf("%s on %q: %v, want %v", re, text, got, want)
		}
	}
}
