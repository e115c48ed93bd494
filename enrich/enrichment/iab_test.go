package enrichment

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
)

func iabTestAssets(dir string) map[string]string {
	return map[string]string{
		"ipFile":               filepath.Join(dir, "ip_exclude_current_cidr.txt"),
		"includeUseragentFile": filepath.Join(dir, "include_current.txt"),
		"excludeUseragentFile": filepath.Join(dir, "exclude_current.txt"),
	}
}

func newTestIAB(t testing.TB, cfg *IABConfig) IAB {
	t.Helper()
	if cfg == nil {
		cfg = &IABConfig{}
	}
	b, err := newIAB(cfg, &Env{Name: NameIAB, assets: iabTestAssets(filepath.Join("testdata", "iab"))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// iabResult renders the context's data as robot/category/reason/impact.
func iabResult(t *testing.T, c json.RawMessage) string {
	t.Helper()
	var sd struct {
		Schema string `json:"schema"`
		Data   struct {
			SpiderOrRobot bool   `json:"spiderOrRobot"`
			Category      string `json:"category"`
			Reason        string `json:"reason"`
			PrimaryImpact string `json:"primaryImpact"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c, &sd); err != nil {
		t.Fatalf("context %s: %v", c, err)
	}
	if sd.Schema != "iglu:com.iab.snowplow/spiders_and_robots/jsonschema/1-0-0" {
		t.Fatalf("schema %s", sd.Schema)
	}
	robot := "browser"
	if sd.Data.SpiderOrRobot {
		robot = "robot"
	}
	return robot + "/" + sd.Data.Category + "/" + sd.Data.Reason + "/" + sd.Data.PrimaryImpact
}

func iabEvent(ua, ip, tstamp string) *event.Event {
	var e event.Event
	e.Fields[event.Useragent], e.Fields[event.UserIPAddress], e.Fields[event.DerivedTstamp] = ua, ip, tstamp
	return &e
}

const (
	iabBrowser     = "browser/BROWSER/PASSED_ALL/NONE"
	iabIPListed    = "robot/SPIDER_OR_ROBOT/FAILED_IP_EXCLUDE/UNKNOWN"
	iabNotIncluded = "robot/SPIDER_OR_ROBOT/FAILED_UA_INCLUDE/UNKNOWN"
)

func TestIAB(t *testing.T) {
	b := newTestIAB(t, nil)
	const at = "2023-01-02 03:04:05.000"
	cases := []struct{ ua, ip, ts, want string }{
		{"Mozilla/5.0 (X11; Linux) Firefox/119.0", "10.1.1.1", at, iabBrowser},
		{"Mozilla/5.0 Googlebot/2.1", "10.1.1.1", at, "robot/ACTIVE_SPIDER_OR_ROBOT/FAILED_UA_EXCLUDE/PAGE_IMPRESSIONS"},
		// An exception pattern of the record (trimmed, lowercased) spares the UA.
		{"Mozilla/5.0 robot-friendly bot", "10.1.1.1", at, iabBrowser},
		{"Mozilla/5.0 NOTABOT bot", "10.1.1.1", at, iabBrowser},
		{"Mozilla/5.0 Crawler", "10.1.1.1", at, "robot/ACTIVE_SPIDER_OR_ROBOT/FAILED_UA_EXCLUDE/AD_IMPRESSIONS"},
		// Start-of-string records.
		{"Mozilla/5.0 spider", "10.1.1.1", at, iabBrowser},
		{"spider Opera", "10.1.1.1", at, "robot/ACTIVE_SPIDER_OR_ROBOT/FAILED_UA_EXCLUDE/PAGE_AND_AD_IMPRESSIONS"},
		{"Firefox Mozilla/5.0", "10.1.1.1", at, iabNotIncluded},
		// An inactive exclude record with a date: active before it, inactive after.
		{"Opera oldbot", "10.1.1.1", "2018-12-31 23:59:59.999", "robot/ACTIVE_SPIDER_OR_ROBOT/FAILED_UA_EXCLUDE/PAGE_AND_AD_IMPRESSIONS"},
		{"Opera oldbot", "10.1.1.1", "2019-01-31 00:00:00.000", "robot/INACTIVE_SPIDER_OR_ROBOT/FAILED_UA_EXCLUDE/PAGE_AND_AD_IMPRESSIONS"},
		// An inactive exclude record without a date is ignored; the next one matches.
		{"Opera deadbot", "10.1.1.1", at, "robot/ACTIVE_SPIDER_OR_ROBOT/FAILED_UA_EXCLUDE/PAGE_IMPRESSIONS"},
		// An inactive include record counts until its date.
		{"RetiredBrowser 1.0", "10.1.1.1", "2020-06-14 23:59:59.999", iabBrowser},
		{"RetiredBrowser 1.0", "10.1.1.1", "2020-06-15 00:00:00.000", iabNotIncluded},
		{"A Quoted|Browser", "10.1.1.1", at, iabBrowser},
		{"CommentedBrowser", "10.1.1.1", at, iabNotIncluded},
		{"LOWERCASE ME", "10.1.1.1", at, iabBrowser},
		{"Navigateur-ÉTÉ 3", "10.1.1.1", at, iabBrowser}, // ISO-8859-1 list, lowercased
		// The IP list: plain lines, CIDR lines, IPv6 in Java's host form.
		{"Opera", "192.0.2.1", at, iabIPListed},
		{"Opera", "192.0.2.2", at, iabBrowser},
		{"Opera", "198.51.100.77", at, iabIPListed},
		{"Opera", "203.0.113.200", at, iabIPListed},
		{"Opera", "203.0.113.5", at, iabBrowser},
		{"Opera", "2001:db8:bad::1", at, iabIPListed},
		{"Opera", "2001:DB8::BAD", at, iabIPListed},
		{"Opera", "::1", at, iabBrowser}, // the list's "::1" is not Java's host form
		{"Opera", "::ffff:192.0.2.1", at, iabIPListed},
		{"Opera", "3221225985", at, iabIPListed}, // 192.0.2.1 as one number
		// The IP check comes before the user agent checks.
		{"Googlebot", "198.51.100.1", at, iabIPListed},
	}
	for _, c := range cases {
		for round := 0; round < 2; round++ { // the second round hits the caches
			ctx, err := b.IABContext(context.Background(), iabEvent(c.ua, c.ip, c.ts))
			if err != nil {
				t.Errorf("%q %s: %v", c.ua, c.ip, err)
				break
			}
			if got := iabResult(t, ctx); got != c.want {
				t.Errorf("%q %s %s: got %s, want %s", c.ua, c.ip, c.ts, got, c.want)
			}
		}
	}
}

func TestIABFailures(t *testing.T) {
	b := newTestIAB(t, nil)
	const at = "2023-01-02 03:04:05.000"
	cases := []struct{ ua, ip, ts, want string }{
		{"", "10.1.1.1", at, "One of required event fields missing. user agent: None, ip address: Some(10.1.1.1), time: Some(2023-01-02T03:04:05.000Z)"},
		{"Opera", "", "", "One of required event fields missing. user agent: Some(Opera), ip address: None, time: None"},
		{"Opera", "not-an-ip", at, "IP address not-an-ip was invald"},
		{"Opera badimpact", "10.1.1.1", at, "Unexpected error processing events: java.lang.IllegalArgumentException: Invalid value of impression flag: '9'"},
		{"Opera noimpact", "10.1.1.1", at, "Unexpected error processing events: java.lang.NullPointerException"},
	}
	for _, c := range cases {
		ctx, err := b.IABContext(context.Background(), iabEvent(c.ua, c.ip, c.ts))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q %q %q: got %s / %v, want error %q", c.ua, c.ip, c.ts, ctx, err, c.want)
		}
	}
}

// TestIABCustomLists covers the 1-0-1 includeUseragents and
// excludeUseragents, checked before everything else.
func TestIABCustomLists(t *testing.T) {
	b := newTestIAB(t, &IABConfig{IncludeUseragents: []string{"MyMonitor"}, ExcludeUseragents: []string{"OPERA"}})
	const at = "2023-01-02 03:04:05.000"
	cases := []struct{ ua, ip, want string }{
		{"mymonitor/1.0", "192.0.2.1", iabBrowser},
		{"Opera 10", "10.1.1.1", "robot/SPIDER_OR_ROBOT/FAILED_UA_EXCLUDE/UNKNOWN"},
		{"Mozilla/5.0 Firefox", "10.1.1.1", iabBrowser},
	}
	for _, c := range cases {
		ctx, err := b.IABContext(context.Background(), iabEvent(c.ua, c.ip, at))
		if err != nil {
			t.Fatal(err)
		}
		if got := iabResult(t, ctx); got != c.want {
			t.Errorf("%q: got %s, want %s", c.ua, got, c.want)
		}
	}
}

func TestIABConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := iabTestAssets(filepath.Join("testdata", "iab"))
	cases := []struct {
		key, content, want string
	}{
		{"ipFile", "1.2.3.4\n1.2.3.0/33\n", "ipFile: "},
		{"ipFile", "1.2.3.0/x\n", "line 1"},
		{"includeUseragentFile", "ok|1|0\n\"unterminated|1|0\n", "includeUseragentFile: "},
		{"excludeUseragentFile", "\"quoted\" junk|1\n", "invalid character"},
	}
	for i, c := range cases {
		assets := map[string]string{}
		for k, v := range good {
			assets[k] = v
		}
		assets[c.key] = write(c.key+string(rune('a'+i)), c.content)
		_, err := newIAB(&IABConfig{}, &Env{assets: assets})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: got %v, want an error containing %q", c.key, c.content, err, c.want)
		}
	}
	delete(good, "ipFile")
	if _, err := newIAB(&IABConfig{}, &Env{assets: good}); err == nil || !strings.Contains(err.Error(), "ipFile: the list file was not provided") {
		t.Errorf("missing asset: %v", err)
	}
}

func TestParseIABCSV(t *testing.T) {
	recs, err := parseIABCSV("a|b\r\n\r\n#c|d\n\"x\"\"y\"|\"multi\nline\" \n|\nlast")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(recs)
	if want := `[["a","b"],["x\"y","multi\nline"],["",""],["last"]]`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestIABDate(t *testing.T) {
	ms := func(s string) int64 {
		tt, err := event.ParseTimestamp(s)
		if err != nil {
			t.Fatal(err)
		}
		return tt.UnixMilli()
	}
	cases := map[string]int64{
		"03/30/2017":     ms("2017-03-30 00:00:00.000"),
		"3/5/2017":       ms("2017-03-05 00:00:00.000"),
		"13/01/2017":     ms("2018-01-01 00:00:00.000"), // lenient roll-over
		"02/30/2017":     ms("2017-03-02 00:00:00.000"),
		" 03/30/2017xyz": ms("2017-03-30 00:00:00.000"),
		"":               iabNoDate,
		"2017-03-30":     iabNoDate,
		"03/30":          iabNoDate,
	}
	for in, want := range cases {
		if got := iabDate(in); got != want {
			t.Errorf("iabDate(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzIABContext checks that any user agent and address give a context or
// an error, never a panic, and valid JSON.
func FuzzIABContext(f *testing.F) {
	for _, s := range []string{"Opera", "Mozilla/5.0 bot", "İSTANBUL", "\xff\xfe"} {
		f.Add(s, "192.0.2.1")
	}
	b := newTestIAB(f, &IABConfig{ExcludeUseragents: []string{"zz"}})
	f.Fuzz(func(t *testing.T, ua, ip string) {
		ctx, err := b.IABContext(context.Background(), iabEvent(ua, ip, "2023-01-02 03:04:05.000"))
		if err == nil && !json.Valid(ctx) {
			t.Fatalf("%q %q: invalid JSON %s", ua, ip, ctx)
		}
		if err == nil && (ua == "" || ip == "") {
			t.Fatalf("%q %q: no error for a missing field", ua, ip)
		}
	})
}
