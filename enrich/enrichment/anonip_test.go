package enrichment

import (
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
)

func newTestAnonIP(t testing.TB, version string, octets int, segments *int) AnonIP {
	t.Helper()
	ver, err := event.ParseSchemaVer(version)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newAnonIP(&AnonIPConfig{AnonOctets: octets, AnonSegments: segments},
		&Env{Name: NameAnonIP, Schema: event.SchemaKey{Vendor: vendorSnowplow, Name: NameAnonIP, Format: "jsonschema", Version: ver}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAnonIPR108 covers R108's positional anonymization (schema 1-0-0).
func TestAnonIPR108(t *testing.T) {
	cases := []struct {
		octets  int
		in, out string
	}{
		{1, "216.160.83.56", "216.160.83.x"},
		{2, "216.160.83.56", "216.160.x.x"},
		{3, "216.160.83.56", "216.x.x.x"},
		{4, "216.160.83.56", "x.x.x.x"},
		{2, "255.255.255.255", "255.255.x.x"},
		// IPv6 has one "."-part: unchanged except with 4 octets.
		{2, "2001:db8::1", "2001:db8::1"},
		{4, "2001:db8::1", "x"},
		// Not addresses: by position all the same.
		{1, "777.2.23", "777.2.23"},
		{2, "777.2.23", "777.2.x"},
		{1, "1.2.3.4.5", "1.2.3.x.x"},
		{2, "a.b", "a.b"},
		{1, "1.2.3.", "1.2.3"}, // Java's split drops the trailing empty part
		{4, "...", ""},
		{3, ".1.2.3", ".x.x.x"},
		{1, "nodots", "nodots"},
	}
	for _, c := range cases {
		a := newTestAnonIP(t, "1-0-0", c.octets, nil)
		if got := a.AnonymizeIP(c.in); got != c.out {
			t.Errorf("octets %d %q: got %q, want %q", c.octets, c.in, got, c.out)
		}
	}
}

// TestAnonIPSegments covers schema 1-0-1 (IPv6 segments).
func TestAnonIPSegments(t *testing.T) {
	seg := func(n int) *int { return &n }
	cases := []struct {
		octets   int
		segments *int
		in, out  string
	}{
		{1, nil, "0.23.0.20", "0.23.0.x"},
		{3, seg(4), "94.15.223.151", "94.x.x.x"},
		{3, seg(4), "2605:2700:0:3::4713:93e3", "2605:2700:0:3:x:x:x:x"},
		{2, nil, "2001:db8::1", "2001:db8:0:0:0:0:x:x"}, // segments default to anonOctets
		{1, seg(8), "::1", "x:x:x:x:x:x:x:x"},
		{2, seg(1), "FE80::AB:1", "fe80:0:0:0:0:0:ab:x"},
		{2, seg(3), "::ffff:1.2.3.4", "::ffff:1.2.x.x"},     // IPv4-mapped: an IPv4 address
		{2, seg(3), "::FFFF:1.2.3.4", "::FFFF:1.2.x.x"},     // the uppercase prefix kept aside
		{2, seg(3), "::1.2.3.4", "0:0:0:0:0:x:x:x"},         // IPv4-compatible: IPv6
		{2, seg(2), "2001:db8::zz", "2001:db8::zz:x:x:x:x"}, // invalid: split on ":", padded with x
		{2, seg(2), "777.2.23", "777.2.x"},
		{2, seg(2), "nothing", "nothing"},
		{4, seg(2), "", "x"},
	}
	for _, c := range cases {
		a := newTestAnonIP(t, "1-0-1", c.octets, c.segments)
		if got := a.AnonymizeIP(c.in); got != c.out {
			t.Errorf("octets %d segments %v %q: got %q, want %q", c.octets, c.segments, c.in, got, c.out)
		}
	}
}

func TestAnonIPConfigErrors(t *testing.T) {
	ver := event.SchemaVer{Model: 1}
	env := &Env{Schema: event.SchemaKey{Version: ver}}
	seg := 3
	if _, err := newAnonIP(&AnonIPConfig{AnonOctets: 5}, env); err == nil || !strings.Contains(err.Error(), "anonOctets") {
		t.Errorf("octets 5: %v", err)
	}
	if _, err := newAnonIP(&AnonIPConfig{AnonOctets: 2, AnonSegments: &seg}, env); err == nil || !strings.Contains(err.Error(), "anonSegments") {
		t.Errorf("segments on 1-0-0: %v", err)
	}
	bad := 9
	env101 := &Env{Schema: event.SchemaKey{Version: event.SchemaVer{Model: 1, Addition: 1}}}
	if _, err := newAnonIP(&AnonIPConfig{AnonOctets: 2, AnonSegments: &bad}, env101); err == nil || !strings.Contains(err.Error(), "anonSegments") {
		t.Errorf("segments 9: %v", err)
	}
}

// anonReference is R108's zipWithIndex formulation, without shortcuts.
func anonReference(ip string, octets int) string {
	parts := javaSplit(ip, '.')
	out := make([]string, len(parts))
	for i, p := range parts {
		if octets >= 4-i {
			out[i] = "x"
		} else {
			out[i] = p
		}
	}
	return strings.Join(out, ".")
}

// FuzzAnonymizeIP checks both schema versions never panic, that the R108
// version equals the reference formulation, and that a valid IPv4 address
// keeps its first 4-octets parts.
func FuzzAnonymizeIP(f *testing.F) {
	for _, s := range []string{"216.160.83.56", "2001:db8::1", "::ffff:1.2.3.4", "", ".", "1.2.3.", "a.b.c.d.e", "::"} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, ip string, n uint8) {
		octets := int(n%4) + 1
		old := newTestAnonIP(t, "1-0-0", octets, nil).AnonymizeIP(ip)
		if want := anonReference(ip, octets); old != want {
			t.Fatalf("1-0-0 %q octets %d: got %q, reference %q", ip, octets, old, want)
		}
		segs := int(n%8) + 1
		out := newTestAnonIP(t, "1-0-1", octets, &segs).AnonymizeIP(ip)
		if a, ok := guavaInetAddress(ip); ok && a.Is4() {
			if out != old {
				t.Fatalf("1-0-1 %q: IPv4 gave %q, R108 %q", ip, out, old)
			}
		}
		if a, ok := guavaInetAddress(ip); ok && a.Is6() && !a.Is4In6() {
			if got := strings.Count(out, ":"); got != 7 {
				t.Fatalf("1-0-1 %q: %q does not have 8 groups", ip, out)
			}
			if !strings.HasSuffix(out, strings.Repeat(":x", segs-1)) {
				t.Fatalf("1-0-1 %q segments %d: %q", ip, segs, out)
			}
		}
	})
}
