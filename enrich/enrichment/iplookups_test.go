package enrichment

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/enrich/enrichment/internal/mmdbgen"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// ipTestDBDir is testdata/maxmind at the repository root (the databases
// internal/mmdbgen generates).
func ipTestDBDir(t testing.TB) string {
	return filepath.Join(testservers.RepoRoot(t), "testdata", "maxmind")
}

func ipTestEnv(assets map[string]string) *Env {
	return &Env{Name: NameIPLookups, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), assets: assets}
}

// newTestIPLookups opens the four furrow test databases.
func newTestIPLookups(t testing.TB) *ipLookups {
	t.Helper()
	dir := ipTestDBDir(t)
	db := &Database{URI: "file://" + dir}
	cfg := &IPLookupsConfig{Geo: db, ISP: db, Domain: db, ConnectionType: db}
	env := ipTestEnv(map[string]string{
		"geo":            filepath.Join(dir, mmdbgen.CityFile),
		"isp":            filepath.Join(dir, mmdbgen.ISPFile),
		"domain":         filepath.Join(dir, mmdbgen.DomainFile),
		"connectionType": filepath.Join(dir, mmdbgen.ConnectionTypeFile),
	})
	impl, err := newIPLookups(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	l := impl.(*ipLookups)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// ipFields renders the 12 ip_lookups fields of e, "|"-separated.
func ipFields(e *event.Event) string {
	parts := make([]string, len(ipLookupFields))
	for i, f := range ipLookupFields {
		parts[i] = e.Fields[f]
	}
	return strings.Join(parts, "|")
}

func TestIPLookupsFields(t *testing.T) {
	l := newTestIPLookups(t)
	// country|region|city|zip|lat|lon|region_name|timezone|isp|org|domain|netspeed
	cases := []struct{ ip, want string }{
		{"216.160.83.56", "US|WA|Seattle|98101|47.6062|-122.3321|Washington|America/Los_Angeles|CenturyLink|Acme Outdoor Seattle|centurylink.net|Cable/DSL"},
		// The most specific (last) subdivision.
		{"81.2.69.160", "GB|CAM|Cambridge|CB2|52.2053|0.1218|Cambridgeshire|Europe/London|Andrews & Arnold|Andrews & Arnold Ltd|aa.net.uk|Cable/DSL"},
		{"81.2.69.142", "GB|ENG|London|EC2V|51.5136|-0.0889|England|Europe/London|Andrews & Arnold|Andrews & Arnold Ltd|aa.net.uk|Corporate"},
		// ISP record without organization; non-ASCII names.
		{"89.160.20.130", "SE|O|Göteborg||57.7089|11.9746|Västra Götaland County|Europe/Stockholm|Bredband2||bredband2.se|"},
		// Country only; not in the ISP database.
		{"67.43.156.12", "BT||||27.5|90.5||Asia/Thimphu|||drukpa.bt|"},
		// No location: R108 printed 0.0.
		{"198.51.100.7", "DE||||0.0|0.0||||||"},
		// A connection type GeoIP2 Java did not know ("Satellite").
		{"202.196.224.5", "PH|00|Manila|1000|14.5995|120.9842|Metro Manila|Asia/Manila||||"},
		// IPv6, bracketed IPv6, IPv4-mapped IPv6, the JVM's short IPv4 forms.
		{"2001:db8:1::5", "DE|BE|Berlin|10115|52.52|13.405|Land Berlin|Europe/Berlin|Deutsche Telekom|Telekom Berlin|telekom.de|Cable/DSL"},
		{"[2001:DB8:1:0::5]", "DE|BE|Berlin|10115|52.52|13.405|Land Berlin|Europe/Berlin|Deutsche Telekom|Telekom Berlin|telekom.de|Cable/DSL"},
		{"::ffff:216.160.83.56", "US|WA|Seattle|98101|47.6062|-122.3321|Washington|America/Los_Angeles|CenturyLink|Acme Outdoor Seattle|centurylink.net|Cable/DSL"},
		{"216.160.21304", "US|WA|Seattle|98101|47.6062|-122.3321|Washington|America/Los_Angeles|CenturyLink|Acme Outdoor Seattle|centurylink.net|Cable/DSL"},
		{"3634385720", "US|WA|Seattle|98101|47.6062|-122.3321|Washington|America/Los_Angeles|CenturyLink|Acme Outdoor Seattle|centurylink.net|Cable/DSL"},
		{"216.160.083.056", "US|WA|Seattle|98101|47.6062|-122.3321|Washington|America/Los_Angeles|CenturyLink|Acme Outdoor Seattle|centurylink.net|Cable/DSL"},
		// Nothing found, not an address, a host name: nothing set, no error.
		{"10.0.0.1", "|||||||||||"},
		{"not-an-ip", "|||||||||||"},
		{"1.2.3.4.5", "|||||||||||"},
		{"256.1.1.1", "|||||||||||"},
		{"[1.2.3.4]", "|||||||||||"},
		{"fe80::1%eth0", "|||||||||||"},
		{"localhost", "|||||||||||"},
	}
	for _, c := range cases {
		for round := 0; round < 2; round++ { // the second round comes from the cache
			var e event.Event
			if err := l.LookupIP(c.ip, &e); err != nil {
				t.Fatalf("%s: %v", c.ip, err)
			}
			if got := ipFields(&e); got != c.want {
				t.Errorf("%s (round %d):\n got %s\nwant %s", c.ip, round, got, c.want)
			}
		}
	}
}

// TestIPLookupsOnlyConfiguredDatabases checks that a database that is not
// configured leaves its fields alone.
func TestIPLookupsOnlyConfiguredDatabases(t *testing.T) {
	dir := ipTestDBDir(t)
	db := &Database{URI: dir}
	impl, err := newIPLookups(&IPLookupsConfig{Domain: db}, ipTestEnv(map[string]string{"domain": filepath.Join(dir, mmdbgen.DomainFile)}))
	if err != nil {
		t.Fatal(err)
	}
	defer impl.(*ipLookups).Close()
	var e event.Event
	e.Fields[event.GeoCity] = "kept"
	if err := impl.LookupIP("216.160.83.56", &e); err != nil {
		t.Fatal(err)
	}
	if e.Fields[event.IPDomain] != "centurylink.net" || e.Fields[event.GeoCity] != "kept" || e.Fields[event.GeoCountry] != "" {
		t.Errorf("got %s", ipFields(&e))
	}
}

func TestIPLookupsConfigErrors(t *testing.T) {
	dir := ipTestDBDir(t)
	db := &Database{URI: dir}
	junk := filepath.Join(t.TempDir(), "junk.mmdb")
	if err := os.WriteFile(junk, []byte("not a maxmind database"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		cfg    *IPLookupsConfig
		assets map[string]string
		want   string
	}{
		{"missing asset", &IPLookupsConfig{Geo: db}, nil, "geo: the database file was not provided"},
		{"wrong type", &IPLookupsConfig{ISP: db}, map[string]string{"isp": filepath.Join(dir, mmdbgen.CityFile)}, `isp: `},
		{"not a database", &IPLookupsConfig{Domain: db}, map[string]string{"domain": junk}, "domain: opening"},
		{"missing file", &IPLookupsConfig{ConnectionType: db}, map[string]string{"connectionType": filepath.Join(dir, "nope.mmdb")}, "connectionType: opening"},
	}
	for _, c := range cases {
		_, err := newIPLookups(c.cfg, ipTestEnv(c.assets))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	_, err := newIPLookups(&IPLookupsConfig{ISP: db}, ipTestEnv(map[string]string{"isp": filepath.Join(dir, mmdbgen.CityFile)}))
	if err == nil || !strings.Contains(err.Error(), `"GeoIP2-City" database, not a ISP database`) {
		t.Errorf("wrong type: %v", err)
	}
}

func TestJavaFloatString(t *testing.T) {
	cases := map[float32]string{
		47.2513: "47.2513", -122.3149: "-122.3149", 0: "0.0", 51: "51.0", -0.0889: "-0.0889",
		0.001: "0.001", 0.0001: "1.0E-4", 1e7: "1.0E7", 9999999: "9999999.0", 1.5e-5: "1.5E-5",
		-3e10: "-3.0E10", 123.456: "123.456", 0.1: "0.1", 14.5995: "14.5995",
	}
	for f, want := range cases {
		if got := javaFloatString(f); got != want {
			t.Errorf("javaFloatString(%v) = %q, want %q", f, got, want)
		}
	}
	if got := javaFloatString(float32(math.Inf(-1))); got != "-Infinity" {
		t.Errorf("-Inf: %q", got)
	}
	if got := javaFloatString(float32(math.NaN())); got != "NaN" {
		t.Errorf("NaN: %q", got)
	}
}

func TestJavaInetAddress(t *testing.T) {
	cases := []struct{ in, want string }{
		{"1.2.3.4", "1.2.3.4"}, {"127.1", "127.0.0.1"}, {"1.2.772", "1.2.3.4"}, {"16909060", "1.2.3.4"},
		{"010.1.1.1", "10.1.1.1"}, {"::ffff:1.2.3.4", "1.2.3.4"}, {"[::1]", "::1"}, {"2001:DB8::1", "2001:db8::1"},
		{"::1.2.3.4", "::102:304"}, {"fe80::1%2", "fe80::1%2"},
		{"", ""}, {"1.2.3.256", ""}, {"1.2.3.4.", ""}, {".1.2.3", ""}, {"1..2", ""}, {"4294967296", ""},
		{"0001.0002.0003.4", ""}, {"[1.2.3.4]", ""}, {"[::1", ""}, {"g::1", ""}, {" 1.2.3.4", ""},
		{"1.2.3.4 ", ""}, {"::g", ""}, {"fe80::1%eth0", ""}, {"example.com", ""},
	}
	for _, c := range cases {
		a, ok := javaInetAddress(c.in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != c.want {
			t.Errorf("javaInetAddress(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := javaHostAddress(netip.MustParseAddr("2001:db8::1")); got != "2001:db8:0:0:0:0:0:1" {
		t.Errorf("javaHostAddress: %q", got)
	}
	if got := javaHostAddress(netip.MustParseAddr("1.2.3.4")); got != "1.2.3.4" {
		t.Errorf("javaHostAddress: %q", got)
	}
}

// FuzzJavaInetAddress checks that parsing never panics, that an accepted
// value's Java host address parses back to the same address, and that ip
// lookups accept any string.
func FuzzJavaInetAddress(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "127.1", "::ffff:1.2.3.4", "[::1]", "fe80::1%2", "16909060", "", "[", "1..2", "2001:db8:1::5"} {
		f.Add(s)
	}
	l := newTestIPLookups(f)
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := javaInetAddress(s)
		if ok {
			b, ok2 := javaInetAddress(javaHostAddress(a))
			if !ok2 || b != a {
				t.Fatalf("%q: %v does not round-trip through %q (%v %v)", s, a, javaHostAddress(a), b, ok2)
			}
			if a.Is4In6() {
				t.Fatalf("%q: IPv4-mapped address not unmapped: %v", s, a)
			}
		}
		var e event.Event
		if err := l.LookupIP(s, &e); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if !ok && ipFields(&e) != "|||||||||||" {
			t.Fatalf("%q: not an address but fields %s", s, ipFields(&e))
		}
	})
}

func TestKeyedLRUBounded(t *testing.T) {
	c := newKeyedLRU[string, int](100)
	for i := 0; i < 10000; i++ {
		c.put(fmt.Sprint(i), i)
		if v, ok := c.get(fmt.Sprint(i)); !ok || v != i {
			t.Fatalf("get %d: %v %v", i, v, ok)
		}
	}
	if n := c.len(); n > 112 || n < 90 {
		t.Errorf("len %d, want about 100", n)
	}
	// The most recently used survive, the oldest are gone.
	if _, ok := c.get("0"); ok {
		t.Error("oldest entry still cached")
	}
	// Updating an existing key keeps one entry.
	c.put("9999", -1)
	if v, _ := c.get("9999"); v != -1 {
		t.Errorf("update: %d", v)
	}
	one := newKeyedLRU[string, string](1)
	one.put("a", "A")
	one.put("b", "B")
	if _, ok := one.get("a"); ok || one.len() != 1 {
		t.Errorf("capacity 1: len %d", one.len())
	}
}

// TestIPLookupsCacheBounded checks that many distinct addresses keep the
// cache at its bound.
func TestIPLookupsCacheBounded(t *testing.T) {
	l := newTestIPLookups(t)
	var e event.Event
	for i := 0; i < ipLookupsCacheSize+5000; i++ {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if err := l.LookupIP(ip, &e); err != nil {
			t.Fatal(err)
		}
	}
	if n := l.cache.len(); n > ipLookupsCacheSize+keyedLRUShards {
		t.Errorf("cache holds %d entries, bound %d", n, ipLookupsCacheSize)
	}
}

// TestIPLookupsConcurrent runs lookups from many goroutines (go test -race).
func TestIPLookupsConcurrent(t *testing.T) {
	l := newTestIPLookups(t)
	ips := []string{"216.160.83.56", "81.2.69.160", "2001:db8:1::5", "67.43.156.12", "10.1.1.1"}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 2000; i++ {
				var e event.Event
				ip := ips[(g+i)%len(ips)]
				if i%7 == 0 {
					ip = fmt.Sprintf("10.0.%d.%d", g, i%256) // misses too
				}
				if err := l.LookupIP(ip, &e); err != nil {
					done <- err
					return
				}
				if ip == "216.160.83.56" && e.Fields[event.GeoCity] != "Seattle" {
					done <- fmt.Errorf("%s: city %q", ip, e.Fields[event.GeoCity])
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
