package enrich

import (
	"strings"
	"testing"
	"time"
)

type convCase struct {
	in, out, msg string
}

func runConv(t *testing.T, name string, f func(field, s string) (string, string), field string, cases []convCase) {
	t.Helper()
	for _, c := range cases {
		out, msg := f(field, c.in)
		if out != c.out || msg != c.msg {
			t.Errorf("%s(%q) = %q, %q; want %q, %q", name, c.in, out, msg, c.out, c.msg)
		}
	}
}

func TestStringToJInteger(t *testing.T) {
	runConv(t, "stringToJInteger", stringToJInteger, "vid", []convCase{
		{"42", "42", ""},
		{"+7", "7", ""},
		{"-0", "0", ""},
		{"007", "7", ""},
		{"2147483647", "2147483647", ""},
		{"-2147483648", "-2147483648", ""},
		{"٣", "3", ""}, // Java's Character.digit takes any Unicode digit
		{"2147483648", "", "Field [vid]: cannot convert [2147483648] to Int"},
		{"a", "", "Field [vid]: cannot convert [a] to Int"},
		{"", "", "Field [vid]: cannot convert [] to Int"},
		{"-", "", "Field [vid]: cannot convert [-] to Int"},
		{"1.0", "", "Field [vid]: cannot convert [1.0] to Int"},
		{" 1", "", "Field [vid]: cannot convert [ 1] to Int"},
	})
}

func TestValidateInteger(t *testing.T) {
	runConv(t, "validateInteger", validateInteger, "tid", []convCase{
		{"637309", "637309", ""},
		{"019539", "019539", ""}, // the value is kept as given
		{"+5", "+5", ""},
		{"x1", "", "Field [tid]: [x1] is not a valid integer"},
		{"99999999999", "", "Field [tid]: [99999999999] is not a valid integer"},
	})
}

func TestStringToDoublelike(t *testing.T) {
	runConv(t, "stringToDoublelike", stringToDoublelike, "se_va", []convCase{
		{"2000", "2000", ""},
		{"1.50", "1.50", ""},
		{"-0.00", "0.00", ""},
		{"-1.5", "-1.5", ""},
		{".5", "0.5", ""},
		{"5.", "5", ""},
		{"1E+3", "1000", ""},
		{"1.2e-3", "0.0012", ""},
		{"12E-1", "1.2", ""},
		{"0E+3", "0", ""},
		{"+3.4028235E38", "340282350000000000000000000000000000000", ""},
		{"0001.10", "1.10", ""},
		{"null", "", ""}, // the JavaScript tracker's legacy "null"
		{"abc", "", "Field [se_va]: cannot convert [abc] to Double-like String"},
		{"1.2.3", "", "Field [se_va]: cannot convert [1.2.3] to Double-like String"},
		{"1e", "", "Field [se_va]: cannot convert [1e] to Double-like String"},
		{"", "", "Field [se_va]: cannot convert [] to Double-like String"},
		{".", "", "Field [se_va]: cannot convert [.] to Double-like String"},
		{"1e-99999", "", "Field [se_va]: cannot convert [1e-99999] to Double-like String"}, // furrow's length guard
	})
}

func TestBooleanlike(t *testing.T) {
	runConv(t, "stringToBooleanlike", stringToBooleanlike, "f_pdf", []convCase{
		{"1", "1", ""},
		{"0", "0", ""},
		{"true", "", "Field [f_pdf]: cannot convert [true] to Boolean-like JByte"},
		{"", "", "Field [f_pdf]: cannot convert [] to Boolean-like JByte"},
	})
}

func TestValidateUUID(t *testing.T) {
	runConv(t, "validateUUID", validateUUID, "eid", []convCase{
		{"550e8400-e29b-41d4-a716-446655440000", "550e8400-e29b-41d4-a716-446655440000", ""},
		{"550E8400-E29B-41D4-A716-446655440000", "550e8400-e29b-41d4-a716-446655440000", ""},
		{"550e8400e29b41d4a716446655440000", "", "Field [eid]: [550e8400e29b41d4a716446655440000] is not a valid UUID"},
		{"1-1-1-1-1", "", "Field [eid]: [1-1-1-1-1] is not a valid UUID"},
		{"550e8400-e29b-41d4-a716-44665544000g", "", "Field [eid]: [550e8400-e29b-41d4-a716-44665544000g] is not a valid UUID"},
	})
}

func TestExtractViewDimensions(t *testing.T) {
	for _, c := range []struct{ in, w, h, msg string }{
		{"1200x800", "1200", "800", ""},
		{"0800x0600", "800", "600", ""},
		{"1200X800", "", "", "Field [res]: [1200X800] does not contain valid view dimensions"},
		{"1200x", "", "", "Field [res]: [1200x] does not contain valid view dimensions"},
		{"-1x2", "", "", "Field [res]: [-1x2] does not contain valid view dimensions"},
		{"1x2x3", "", "", "Field [res]: [1x2x3] does not contain valid view dimensions"},
		{"3000000000x1", "", "", "Field [res]: view dimensions [3000000000x1] exceed Integer's max range"},
	} {
		w, h, msg := extractViewDimensions("res", c.in)
		if w != c.w || h != c.h || msg != c.msg {
			t.Errorf("extractViewDimensions(%q) = %q, %q, %q; want %q, %q, %q", c.in, w, h, msg, c.w, c.h, c.msg)
		}
	}
}

func TestEventTypesAndPlatforms(t *testing.T) {
	runConv(t, "extractEventType", extractEventType, "e", []convCase{
		{"pv", "page_view", ""}, {"pp", "page_ping", ""}, {"tr", "transaction", ""}, {"ti", "transaction_item", ""},
		{"se", "struct", ""}, {"ev", "struct", ""}, {"ue", "unstruct", ""}, {"ad", "ad_impression", ""},
		{"lol", "", "Field [e]: [lol] is not a recognised event code"},
		{"PV", "", "Field [e]: [PV] is not a recognised event code"},
	})
	for _, p := range []string{"web", "mob", "pc", "srv", "app", "tv", "cnsl", "iot"} {
		if out, msg := extractPlatform("p", p); out != p || msg != "" {
			t.Errorf("platform %q: %q, %q", p, out, msg)
		}
	}
	if _, msg := extractPlatform("p", "mobile"); msg != "Field [p]: [mobile] is not a supported tracking platform" {
		t.Errorf("platform mobile: %q", msg)
	}
}

func TestExtractTimestamp(t *testing.T) {
	runConv(t, "extractTimestamp", extractTimestamp, "dtm", []convCase{
		{"1364219529188", "2013-03-25 13:52:09.188", ""},
		{"0", "1970-01-01 00:00:00.000", ""},
		{"-1", "1969-12-31 23:59:59.999", ""},
		{"253402300799999", "9999-12-31 23:59:59.999", ""},
		{"253402300800000", "", "Field [dtm]: [253402300800000] is formatted as [10000-01-01 00:00:00.000] which isn't Redshift-compatible"},
		{"-62167219200001", "", "Field [dtm]: [-62167219200001] is formatted as [-0001-12-31 23:59:59.999] which isn't Redshift-compatible"},
		{"1364219529.188", "", "Field [dtm]: [1364219529.188] is not in the expected format (ms since epoch)"},
		{"", "", "Field [dtm]: [] is not in the expected format (ms since epoch)"},
	})
	if ts, msg := formatCollectorTstamp(time.Time{}); ts != "" || msg != "No collector_tstamp set" {
		t.Errorf("missing collector tstamp: %q %q", ts, msg)
	}
	if ts, msg := formatCollectorTstamp(time.Date(2012, 5, 24, 0, 6, 42, 0, time.UTC)); ts != "2012-05-24 00:06:42.000" || msg != "" {
		t.Errorf("collector tstamp: %q %q", ts, msg)
	}
	if _, msg := formatCollectorTstamp(time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)); !strings.HasPrefix(msg, "Collector timestamp [") || !strings.HasSuffix(msg, "] formatted as [12000-01-01 00:00:00.000] which isn't Redshift-compatible") {
		t.Errorf("far-future collector tstamp: %q", msg)
	}
}

func TestDecodeString(t *testing.T) {
	for _, c := range []struct{ enc, in, out, msg string }{
		{"UTF-8", "Mozilla/5.0%20(iPhone;%20CPU)", "Mozilla/5.0 (iPhone; CPU)", ""},
		{"UTF-8", "a+b", "a b", ""},
		{"UTF-8", "caf%C3%A9", "café", ""},
		{"UTF-8", "bad%C3", "bad\uFFFD", ""},
		{"UTF-8", "tab%09and%0Anewline%0D", "tab    andnewline", ""},
		{"UTF-8", "%+1x", "\x01x", ""}, // Integer.parseInt("+1", 16)
		{"ISO-8859-1", "caf%E9", "café", ""},
		{"UTF-8", "100%", "", "Field [useragent]: Exception URL-decoding [100%] (encoding [UTF-8]): [URLDecoder: Incomplete trailing escape (%) pattern]"},
		{"UTF-8", "%zz", "", "Field [useragent]: Exception URL-decoding [%zz] (encoding [UTF-8]): [URLDecoder: Illegal hex characters in escape (%) pattern - For input string: \"zz\"]"},
		{"UTF-8", "%-1", "", "Field [useragent]: Exception URL-decoding [%-1] (encoding [UTF-8]): [URLDecoder: Illegal hex characters in escape (%) pattern - negative value]"},
		{"EBCDIC-XYZ", "a", "", "Field [useragent]: Exception URL-decoding [a] (encoding [EBCDIC-XYZ]): [EBCDIC-XYZ]"},
	} {
		out, msg := decodeString(c.enc, "useragent", c.in)
		if out != c.out || msg != c.msg {
			t.Errorf("decodeString(%q, %q) = %q, %q; want %q, %q", c.enc, c.in, out, msg, c.out, c.msg)
		}
	}
}

func TestToTsvSafe(t *testing.T) {
	runConv(t, "toTsvSafe", toTsvSafe, "page", []convCase{
		{"Psychic Bazaar\tShop", "Psychic Bazaar    Shop", ""},
		{"a\x01b\x7fc\r\n", "abc", ""},
		{"\n", "", ""},
	})
}

// TestTransformLookup checks the transform table (every parameter found,
// others not) and that R108's order gives every transform its own rank.
func TestTransformLookup(t *testing.T) {
	for i := range transformMap {
		tr := &transformMap[i]
		if got := lookupTransform(tr.key); got != tr {
			t.Errorf("lookupTransform(%q) = %v", tr.key, got)
		}
		if transformsInOrder[tr.rank] != tr {
			t.Errorf("%q: rank %d holds %q", tr.key, tr.rank, transformsInOrder[tr.rank].key)
		}
		for _, other := range []string{tr.key + "x", tr.key[:len(tr.key)-1], "x" + tr.key, strings.ToUpper(tr.key)} {
			if got := lookupTransform(other); got != nil && got.key != other {
				t.Errorf("lookupTransform(%q) = transform %q", other, got.key)
			}
		}
	}
	for _, k := range []string{"", "cx2", "tnuid", "schema", "ue_px_", "\xff"} {
		if got := lookupTransform(k); got != nil {
			t.Errorf("lookupTransform(%q) = %q", k, got.key)
		}
	}
	for i := 1; i < len(transformsInOrder); i++ {
		if transformsInOrder[i-1].order >= transformsInOrder[i].order {
			t.Errorf("transforms %q and %q are not strictly ordered", transformsInOrder[i-1].key, transformsInOrder[i].key)
		}
	}
}
