package dedupe

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/google/uuid"
)

func TestParseUUIDRoundTrip(t *testing.T) {
	for _, s := range []string{idA, strings.ToUpper(idB), "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"} {
		hi, lo, ok := parseUUID([]byte(s))
		if !ok {
			t.Fatalf("parseUUID(%s) failed", s)
		}
		if got := string(appendUUID(nil, hi, lo)); got != strings.ToLower(s) {
			t.Fatalf("round trip %s -> %s", s, got)
		}
		u := uuid.MustParse(s)
		if got := string(appendUUID(nil, hi, lo)); got != u.String() {
			t.Fatalf("%s != google/uuid %s", got, u)
		}
	}
	for _, s := range []string{"", idA[:35], idA + "0", strings.Replace(idA, "-", "x", 1), strings.Replace(idA, "a", "g", 1), "{" + idA[1:], strings.Replace(idA, "1", " ", 1)} {
		if _, _, ok := parseUUID([]byte(s)); ok {
			t.Errorf("parseUUID(%q) accepted", s)
		}
	}
}

// TestParseUUIDEveryByte puts every byte value at every digit position: it
// is accepted exactly when it is a hex digit, with google/uuid's value.
func TestParseUUIDEveryByte(t *testing.T) {
	for pos := range len(idA) {
		if idA[pos] == '-' {
			continue
		}
		for c := range 256 {
			s := []byte(idA)
			s[pos] = byte(c)
			hi, lo, ok := parseUUID(s)
			isHex := strings.IndexByte("0123456789abcdefABCDEF", byte(c)) >= 0
			if ok != isHex {
				t.Fatalf("position %d byte %#x: accepted %v", pos, c, ok)
			}
			if ok {
				if got, want := string(appendUUID(nil, hi, lo)), uuid.MustParse(string(s)).String(); got != want {
					t.Fatalf("position %d byte %#x: %s, want %s", pos, c, got, want)
				}
			}
		}
	}
}

func TestSyntheticNamespace(t *testing.T) {
	want := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/furrowdata/furrow/dedupe#synthetic-duplicate"))
	if want.String() != SyntheticNamespace {
		t.Fatalf("SyntheticNamespace = %s, derivation gives %s", SyntheticNamespace, want)
	}
	id := SyntheticEventID(idA, fp1)
	u := uuid.MustParse(id)
	if u.Version() != 5 || u.Variant() != uuid.RFC4122 {
		t.Fatalf("%s is not a UUIDv5", id)
	}
	if id != uuid.NewSHA1(want, []byte(idA+"/"+fp1)).String() || id == SyntheticEventID(idA, fp2) {
		t.Fatal("SyntheticEventID is not UUIDv5(namespace, id/fingerprint)")
	}
}

func TestRewriteEventID(t *testing.T) {
	l := ev{id: idA, fp: fp1}.line()
	got, err := RewriteEventID(nil, l, idB)
	if err != nil || field(string(got), event.EventID) != idB {
		t.Fatalf("RewriteEventID: %v", err)
	}
	if !bytes.Equal(bytes.Replace(got, []byte(idB), []byte(idA), 1), l) {
		t.Fatal("other bytes changed")
	}
	if _, err := RewriteEventID(nil, []byte("a\tb"), idB); !errors.Is(err, ErrMalformedLine) {
		t.Fatalf("short line: %v", err)
	}
	if _, err := ReplaceField(nil, l, event.AppID, []byte("a\tb")); err == nil {
		t.Fatal("a tab in a value was accepted")
	}
}

func TestAppendWithDuplicateContext(t *testing.T) {
	l := ev{id: idA, fp: fp1}.line()
	got, err := AppendWithDuplicateContext(nil, l, idA)
	if err != nil {
		t.Fatal(err)
	}
	dc := field(string(got), event.DerivedContexts)
	want := `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[` +
		`{"schema":"iglu:com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0","data":{"originalEventId":"` + idA + `"}},` +
		`{"schema":"iglu:com.example/ctx/jsonschema/1-0-0","data":{"a":"<b>"}}]}`
	if dc != want {
		t.Fatalf("derived_contexts =\n%s\nwant\n%s", dc, want)
	}
	// Only derived_contexts changed.
	var a, b event.Event
	_ = event.ParseTSV(string(l), &a)
	_ = event.ParseTSV(string(got), &b)
	a.Fields[event.DerivedContexts], b.Fields[event.DerivedContexts] = "", ""
	if a != b {
		t.Fatal("other fields changed")
	}
	// Empty derived_contexts gets an envelope.
	empty, _ := ReplaceField(nil, l, event.DerivedContexts, nil)
	got, err = AppendWithDuplicateContext(nil, empty, idA)
	if err != nil || !strings.HasPrefix(field(string(got), event.DerivedContexts), `{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[{"schema":"iglu:com.snowplowanalytics.snowplow/duplicate`) {
		t.Fatalf("empty derived_contexts: %v %s", err, field(string(got), event.DerivedContexts))
	}
	bad, _ := ReplaceField(nil, l, event.DerivedContexts, []byte("{not json"))
	if _, err := AppendWithDuplicateContext(nil, bad, idA); !errors.Is(err, ErrMalformedLine) {
		t.Fatalf("bad derived_contexts: %v", err)
	}
}

func BenchmarkScanLine(b *testing.B) {
	l := ev{id: idA, fp: fp1, ip: strings.Repeat("x", 600)}.line()
	b.SetBytes(int64(len(l)))
	for b.Loop() {
		if _, err := scanLine(l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseUUID(b *testing.B) {
	s := []byte(idA)
	for b.Loop() {
		parseUUID(s)
	}
}
