package event

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFieldTable(t *testing.T) {
	if NumFields != 131 {
		t.Fatalf("NumFields = %d, want 131", NumFields)
	}
	for name, want := range map[string]Field{"app_id": 0, "event": 5, "event_id": 6, "contexts": 52, "unstruct_event": 58,
		"derived_contexts": 122, "event_fingerprint": 129, "true_tstamp": 130} {
		if f, ok := FieldByName(name); !ok || f != want || f.Name() != name {
			t.Errorf("FieldByName(%q) = %d, %v; want %d", name, f, ok, want)
		}
	}
	if EventType.Name() != "event" || GeoLatitude.Kind() != KindDouble || BrCookies.Kind() != KindBool ||
		CollectorTstamp.Kind() != KindTimestamp || Contexts.Kind() != KindJSON || EventID.MaxLen() != 36 {
		t.Fatal("field kinds or lengths wrong")
	}
	if _, ok := FieldByName("pii"); ok {
		t.Fatal("pii is not an enriched TSV field")
	}
}

func TestTSVRoundTrip(t *testing.T) {
	var e Event
	e.Set(AppID, "shop")
	e.Set(PageTitle, "a\ttitle\nwith\rcontrols\x7f")
	e.Set(TrueTstamp, "2026-11-02 10:00:00.000")
	line := string(AppendTSV(nil, &e))
	if CountTSVFields(line) != int(NumFields) || strings.ContainsAny(line, "\n\r") {
		t.Fatalf("line has %d fields or a line break: %q", CountTSVFields(line), line)
	}
	var back Event
	if err := ParseTSV(line+"\r", &back); err != nil {
		t.Fatal(err)
	}
	if back.Get(PageTitle) != "a    titlewithcontrols" || back.Get(AppID) != "shop" || back.Get(TrueTstamp) != "2026-11-02 10:00:00.000" {
		t.Fatalf("round trip: %q", back.Get(PageTitle))
	}
	if got := Sanitize("plain"); got != "plain" {
		t.Fatal(got)
	}
	skip := string(AppendTSVExcept(nil, &e, Contexts, UnstructEvent, DerivedContexts))
	if CountTSVFields(skip) != 128 {
		t.Fatalf("atomic layout has %d fields, want 128", CountTSVFields(skip))
	}
}

func TestParseTSVLayouts(t *testing.T) {
	var e Event
	old := strings.Repeat("x\t", 107) + "x" // 108 fields, an older layout
	if err := ParseTSV(old, &e); err != nil || e.Get(Field(107)) != "x" || e.Get(TrueTstamp) != "" {
		t.Fatalf("108 fields: %v", err)
	}
	for _, n := range []int{1, 107, 132} {
		if err := ParseTSV(strings.Repeat("x\t", n-1)+"x", &e); err == nil {
			t.Errorf("%d fields accepted", n)
		}
	}
}

func TestTimestamps(t *testing.T) {
	ts := time.Date(2013, 3, 25, 13, 52, 9, 188_900_000, time.UTC)
	if got := FormatTimestamp(ts); got != "2013-03-25 13:52:09.188" {
		t.Fatalf("FormatTimestamp = %q", got)
	}
	for in, want := range map[string]string{
		"2013-03-25 13:52:09.188": "2013-03-25 13:52:09.188",
		"2013-03-25 13:52:09":     "2013-03-25 13:52:09.000",
		"2013-03-25 13:52:09.1":   "2013-03-25 13:52:09.100",
	} {
		got, err := ParseTimestamp(in)
		if err != nil || FormatTimestamp(got) != want {
			t.Errorf("ParseTimestamp(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "29th May 2013 18:04:12", "2013-02-30 00:00:00.000", "2013-13-01 00:00:00.000", "2013-01-01T00:00:00.000", "2013-01-01 00:00:00."} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) succeeded", bad)
		}
	}
}

func TestValidateField(t *testing.T) {
	ok := map[Field]string{DomainSessionIdx: "12", GeoLatitude: "47.2513", BrCookies: "1", CollectorTstamp: "2013-03-25 13:52:09.188", GeoCountry: "US"}
	for f, v := range ok {
		if err := ValidateField(f, v); err != nil {
			t.Errorf("%s=%q: %v", f, v, err)
		}
	}
	bad := map[Field]string{DomainSessionIdx: "a", GeoLatitude: "north", BrCookies: "yes", CollectorTstamp: "yesterday", GeoCountry: "USA"}
	for f, v := range bad {
		if err := ValidateField(f, v); err == nil || !strings.Contains(err.Error(), f.Name()) {
			t.Errorf("%s=%q: err = %v, want one naming the field", f, v, err)
		}
	}
	if err := ValidateField(DomainSessionIdx, "99999999999"); err == nil {
		t.Error("an int field accepted a value beyond 32 bits")
	}
	var e Event
	e.Set(BrCookies, "2")
	if errs := e.Validate(); len(errs) != 1 {
		t.Fatalf("Validate = %v", errs)
	}
}

func TestSchemaKeys(t *testing.T) {
	k, err := ParseSchemaKey("iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1")
	if err != nil || k.Vendor != "com.snowplowanalytics.snowplow" || k.Version != (SchemaVer{1, 0, 1}) || k.String() != "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1" {
		t.Fatalf("%+v %v", k, err)
	}
	if k.Model().String() != "com.snowplowanalytics.snowplow/link_click/jsonschema/1" {
		t.Fatal(k.Model().String())
	}
	for _, bad := range []string{"com.acme/x/jsonschema/1-0-0", "iglu:com.acme/x/jsonschema/1-0", "iglu:com.acme/x/jsonschema/0-0-0", "iglu:com.acme/x/jsonschema/01-0-0", "iglu:com acme/x/jsonschema/1-0-0", "iglu:com.acme/x.y/jsonschema/1-0-0"} {
		if _, err := ParseSchemaKey(bad); err == nil {
			t.Errorf("ParseSchemaKey(%q) succeeded", bad)
		}
	}
	if !(SchemaVer{1, 0, 1}).Less(SchemaVer{1, 1, 0}) || (SchemaVer{2, 0, 0}).Less(SchemaVer{1, 9, 9}) {
		t.Fatal("Less")
	}
	var sd SelfDescribing
	if err := json.Unmarshal([]byte(`{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{"a":1}}`), &sd); err != nil || string(sd.Data) != `{"a":1}` {
		t.Fatalf("%v %s", err, sd.Data)
	}
	out, _ := json.Marshal(sd)
	if string(out) != `{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{"a":1}}` {
		t.Fatal(string(out))
	}
	for _, bad := range []string{`{"data":1}`, `{"schema":"iglu:x","data":1}`, `{"schema":"iglu:com.acme/x/jsonschema/1-0-0"}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &sd); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestBadRow(t *testing.T) {
	row := NewBadRow("e=pv&p=web<x>", time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC), "Field [p]: [mobile] is not a supported tracking platform")
	got := string(row.AppendJSON(nil))
	want := `{"line":"e=pv&p=web<x>","errors":[{"level":"error","message":"Field [p]: [mobile] is not a supported tracking platform"}],"failure_tstamp":"2001-09-09T01:46:40.000Z"}`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	if got := string((BadRow{Line: "x"}).AppendJSON(nil)); !strings.Contains(got, `"errors":[]`) {
		t.Fatal(got)
	}
}

func FuzzParseTSV(f *testing.F) {
	var e Event
	e.Set(AppID, "a")
	f.Add(string(AppendTSV(nil, &e)))
	f.Add("x")
	f.Fuzz(func(t *testing.T, line string) {
		var e Event
		if err := ParseTSV(line, &e); err != nil {
			return
		}
		// What parses re-encodes to a line that parses to the same fields
		// (modulo sanitisation, which is idempotent).
		var back Event
		if err := ParseTSV(string(AppendTSV(nil, &e)), &back); err != nil {
			t.Fatalf("re-encoded line does not parse: %v", err)
		}
		for i := range e.Fields {
			if Sanitize(e.Fields[i]) != back.Fields[i] {
				t.Fatalf("field %d changed: %q → %q", i, e.Fields[i], back.Fields[i])
			}
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	f.Add("2013-03-25 13:52:09.188")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			return
		}
		if _, err := ParseTimestamp(FormatTimestamp(ts)); err != nil {
			t.Fatalf("%q parsed but its rendering %q does not", s, FormatTimestamp(ts))
		}
	})
}

func FuzzParseSchemaKey(f *testing.F) {
	f.Add("iglu:com.acme/x/jsonschema/1-0-0")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseSchemaKey(s)
		if err != nil {
			return
		}
		if k2, err := ParseSchemaKey(k.String()); err != nil || k2 != k {
			t.Fatalf("%q → %v does not round-trip", s, k)
		}
	})
}

// FuzzAppendSanitized checks the TSV encoder's copy of a value against
// Sanitize, byte by byte.
func FuzzAppendSanitized(f *testing.F) {
	for _, s := range []string{"", "plain", "a\tb", "\x00\x1f\x7f\t\n\r", "tab at end\t", "\tstart", "é\t\x01ü",
		"0123456789abcdef\x7f0123456\t89abcdef~\x80\xff", "longer than a word, no controls at all: ~}|{`_^]\\[ZYX"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := string(appendSanitized([]byte("x"), v)), "x"+Sanitize(v); got != want {
			t.Fatalf("appendSanitized(%q) = %q, want %q", v, got, want)
		}
	})
}

// TestHasControl checks the word test of appendSanitized against a
// byte-by-byte one.
func TestHasControl(t *testing.T) {
	interesting := []byte{0, '\t', 0x1f, 0x20, 0x21, 'a', 0x7e, 0x7f, 0x80, 0x9f, 0xff}
	for n := 0; n < 100000; n++ {
		var b [8]byte
		x := uint64(n) * 0x9E3779B97F4A7C15
		for i := range b {
			b[i] = interesting[int(x>>(8*i)&0xff)%len(interesting)]
			if n%3 == 0 {
				b[i] = byte(x >> (8 * i))
			}
		}
		want := false
		for _, c := range b {
			want = want || c < 0x20 || c == 0x7f
		}
		if got := hasControl(load64(string(b[:]), 0)); got != want {
			t.Fatalf("hasControl(% x) = %v", b, got)
		}
	}
}

// TestTimestampUnixMilli checks the calendar arithmetic against package
// time over every year's month ends and random instants of 0000-9999, and
// that its errors are ParseTimestamp's.
func TestTimestampUnixMilli(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, werr := ParseTimestamp(s)
		got, gerr := TimestampUnixMilli(s)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("%q: error %v, ParseTimestamp %v", s, gerr, werr)
		}
		if werr == nil && got != want.UnixMilli() {
			t.Fatalf("%q: %d ms, time says %d", s, got, want.UnixMilli())
		}
		if verr := ValidateField(CollectorTstamp, s); (verr == nil) != (werr == nil) {
			t.Fatalf("%q: ValidateField %v, ParseTimestamp %v", s, verr, werr)
		}
	}
	for y := 0; y <= 9999; y++ {
		for mo := 1; mo <= 12; mo++ {
			for _, d := range []int{1, 28, 29, 30, 31} {
				check(fmt.Sprintf("%04d-%02d-%02d 23:59:59.999", y, mo, d))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()
	for range 100000 {
		ms := lo + rng.Int64N(hi-lo)
		check(FormatTimestamp(time.UnixMilli(ms)))
	}
	for _, s := range []string{"2026-02-29 00:00:00", "2024-02-29 00:00:00.1", "2026-13-01 00:00:00", "x", "2026-01-01 24:00:00.000", "2026-01-01 00:00:00."} {
		check(s)
	}
}

// TestValidateNumberFastPaths checks the digit-only fast paths of
// ValidateField against strconv on numbers near the limits.
func TestValidateNumberFastPaths(t *testing.T) {
	var intField, floatField Field = -1, -1
	for f := Field(0); int(f) < NumFields; f++ {
		switch {
		case f.Kind() == KindInt && intField < 0:
			intField = f
		case f.Kind() == KindDouble && f.MaxLen() == 0 && floatField < 0:
			floatField = f
		}
	}
	if intField < 0 || floatField < 0 {
		t.Fatal("no int or double field")
	}
	for _, v := range []string{"0", "7", "999999999", "2147483647", "2147483648", "-2147483648", "-2147483649", "+5", "-", "+", "1e3",
		"0.5", "-0.5", "+0.5", ".5", "5.", "1.2.3", "0x10", "١٢", "00000000000000000000000001", strings.Repeat("9", 300), strings.Repeat("9", 310),
		strings.Repeat("9", 299) + ".5", "NaN", "Inf", " 1"} {
		_, ierr := strconv.ParseInt(v, 10, 32)
		if got := ValidateField(intField, v); (got == nil) != (ierr == nil) {
			t.Errorf("int %q: %v, strconv %v", v, got, ierr)
		}
		_, ferr := strconv.ParseFloat(v, 64)
		if got := ValidateField(floatField, v); (got == nil) != (ferr == nil) {
			t.Errorf("double %q: %v, strconv %v", v, got, ferr)
		}
	}
}

// TestAppendTimestampMillis checks the calendar arithmetic against
// package time's formatting at the range ends, around month and year
// boundaries and at random instants; outside 0000-9999 it reports false.
func TestAppendTimestampMillis(t *testing.T) {
	check := func(ms int64) {
		t.Helper()
		got, ok := AppendTimestampMillis(nil, ms)
		tm := time.UnixMilli(ms).UTC()
		inRange := tm.Year() >= 0 && tm.Year() <= 9999
		if ok != inRange {
			t.Fatalf("%d (%v): ok=%v", ms, tm, ok)
		}
		if want := tm.Format(TimestampLayout); ok && string(got) != want {
			t.Fatalf("%d: %s, time says %s", ms, got, want)
		}
	}
	for _, ms := range []int64{minTimestampMillis - 1, minTimestampMillis, endTimestampMillis - 1, endTimestampMillis, 0, -1, 1, 86399999, -86400000, -86400001} {
		check(ms)
	}
	for y := 0; y <= 9999; y++ {
		for mo := 1; mo <= 12; mo++ {
			start := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
			check(start)
			check(start - 1)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		check(minTimestampMillis - 1e12 + rng.Int64N(endTimestampMillis-minTimestampMillis+2e12))
	}
}
