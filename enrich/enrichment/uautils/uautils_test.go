package uautils

import (
	"fmt"
	"testing"
)

func (r Result) fields() []string {
	mob := "0"
	if r.DvceIsMobile {
		mob = "1"
	}
	v := r.BrVersion
	if v == "" {
		v = "<null>"
	}
	return []string{r.BrName, r.BrFamily, v, r.BrType, r.BrRenderEngine, r.OSName, r.OSFamily, r.OSManufacturer, r.DvceType, mob}
}

func TestReferenceExamples(t *testing.T) {
	tab := referenceTable(t)
	cases := []struct {
		ua   string
		want string
	}{
		// user-agent-utils-1.21.md section 6.
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 5_1_1 like Mac OS X) AppleWebKit/534.46 (KHTML, like Gecko) Version/5.1 Mobile/9B206 Safari/7534.48.3",
			"[Mobile Safari Safari 5.1 Browser (mobile) WEBKIT iOS 5 (iPhone) iOS Apple Inc. Mobile 1]"},
		{"IE 7 - Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; .NET CLR 1.1.4322; .NET CLR 2.0.50727; .NET CLR 3.0.04506.30)",
			"[Internet Explorer 7 Internet Explorer 7.0 Browser TRIDENT Windows XP Windows Microsoft Corporation Computer 0]"},
		{"python-requests/2.2.1 CPython/3.3.5 Linux/3.2.0-61-generic",
			"[Robot/Spider Robot/Spider <null> Robot OTHER Unknown Unknown Other Unknown 0]"},
		{"Apache-HttpClient/4.5.1 (Java/1.8.0_101)",
			"[Robot/Spider Robot/Spider <null> Robot OTHER Unknown Unknown Other Unknown 0]"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_6_8) AppleWebKit/534.59.10 (KHTML, like Gecko) Safari/534.59.10",
			"[Safari 5 Safari 5.1.10 Browser WEBKIT Mac OS X Mac OS X Apple Inc. Computer 0]"},
		// Section 5: unknown and empty agents.
		{"Ruby", "[Unknown Unknown <null> unknown OTHER Unknown Unknown Other Unknown 0]"},
		{"", "[Unknown Unknown <null> unknown OTHER Unknown Unknown Other Unknown 0]"},
		// Section 4.2: substring version children.
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.132 Safari/537.36",
			"[Chrome 8 Chrome 80.0.3987.132 Browser WEBKIT Windows 10 Windows Microsoft Corporation Computer 0]"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
			"[Firefox 12 Firefox 120.0 Browser GECKO Windows 10 Windows Microsoft Corporation Computer 0]"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36",
			"[Chrome Chrome 70.0.3538.77 Browser WEBKIT Linux Linux Other Computer 0]"},
		// Section 4.1: U+0130 lowercases to "i\u0307" in Java.
		{"Mozilla/4.0 (compatible; \u0130E 7.0; Windows NT 5.1)",
			"[Mozilla Mozilla <null> Browser OTHER Windows XP Windows Microsoft Corporation Computer 0]"},
		// Section 7: the Kelvin sign matches "k" as an alias but not in the
		// ASCII-only case-insensitive version regex.
		{"Mozilla/5.0 (compatible; \u212aonqueror/4.2; Linux) KHTML/4.2.4 (like Gecko)",
			"[Konqueror Konqueror <null> Browser KHTML Linux Linux Other Computer 0]"},
		{"Mozilla/5.0 (compatible; Konqueror/4.2; Linux) KHTML/4.2.4 (like Gecko)",
			"[Konqueror Konqueror 4.2 Browser KHTML Linux Linux Other Computer 0]"},
	}
	for _, c := range cases {
		got := fmt.Sprint(tab.Parse(c.ua).fields())
		if got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.ua, got, c.want)
		}
	}
}

// TestConformanceFixtures checks the br_*/os_*/dvce_* fields of every
// expected good event of the peer's enrich fixtures that has a user agent.
func TestConformanceFixtures(t *testing.T) {
	tab := referenceTable(t)
	fixtures := loadFixtures(t)
	// enriched-event indexes of the fields Parse fills, in Result.fields order.
	idx := []int{78, 79, 80, 81, 82, 97, 98, 99, 101, 102}
	rows, fields, agents := 0, 0, map[string]bool{}
	for name, fx := range fixtures {
		for ri, row := range fx.ExpectedGood {
			if len(row) <= 102 || row[77] == nil {
				continue
			}
			ua := *row[77]
			agents[ua] = true
			got := tab.Parse(ua).fields()
			for k, i := range idx {
				want := "<null>"
				if row[i] != nil {
					want = *row[i]
				}
				if got[k] != want {
					t.Errorf("%s row %d field %d: got %q, want %q (ua %q)", name, ri, i, got[k], want, ua)
				}
				fields++
			}
			rows++
		}
	}
	if rows == 0 {
		t.Fatal("no fixture row with a user agent")
	}
	t.Logf("%d rows, %d distinct agents, %d fields compared", rows, len(agents), fields)
}
