package enrichment

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
)

func TestEventFingerprint(t *testing.T) {
	params := map[string]string{"tv": "js-2.0", "e": "pv", "aid": "pbzsite", "eid": "123", "stm": "1000"}
	// Digests of "aid\x1fpbzsite\x1fe\x1fpv\x1ftv\x1fjs-2.0\x1f" (computed
	// independently).
	cases := map[string]string{
		"MD5":    "f8e066a9a419bcb954e15b5753d057ae",
		"SHA1":   "11f3ce728f846913e696f841285388dd68fd872b",
		"SHA256": "18b6ce863b9e8e1f3de59df3f727d32bb6e7fe809b9c47281628f6146019c070",
		"SHA384": "dacddaaba56aa65eaae8ba76ece6c59425defbc57a5d40f70906fcc01f081c4b75b767c473be9b37a8c600da5952d4b3",
		"SHA512": "56c607085f8434e87fcf7572a3a0f67ed9ed4e86e22db69a6d9be645129cb35038f1902995378fd5e213b2f1c51b1eb5a8e7d414f6ac4fac2bb266f9dba0219d",
	}
	for algo, want := range cases {
		f, err := newEventFingerprint(&EventFingerprintConfig{HashAlgorithm: algo, ExcludeParameters: []string{"eid", "stm"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ { // pooled buffers are reused correctly
			if got := fingerprintBoth(t, f, params); got != want {
				t.Errorf("%s: got %s, want %s", algo, got, want)
			}
		}
	}
	// Excluded parameters do not matter; others do.
	f, _ := newEventFingerprint(&EventFingerprintConfig{HashAlgorithm: "MD5", ExcludeParameters: []string{"eid", "stm"}}, nil)
	a := fingerprintBoth(t, f, params)
	params["eid"] = "other"
	if fingerprintBoth(t, f, params) != a {
		t.Error("an excluded parameter changed the fingerprint")
	}
	params["e"] = "se"
	if fingerprintBoth(t, f, params) == a {
		t.Error("an included parameter did not change the fingerprint")
	}
	// Java String order: U+1F600 (a surrogate pair, 0xD83D…) sorts before
	// U+FB01; the digest of "\U0001F600\x1f2\x1f\uFB01\x1f1\x1f".
	if got := fingerprintBoth(t, f, map[string]string{"\uFB01": "1", "\U0001F600": "2"}); got != "139fcb58b4dd1a1e98a0876a685ea10e" {
		t.Errorf("UTF-16 order: %s", got)
	}
	// Many parameters (beyond the stack buffer) and an empty map.
	big := map[string]string{}
	for i := 0; i < 300; i++ {
		big[strings.Repeat("k", i%7+1)+string(rune('a'+i%26))+string(rune('A'+i/26))] = "v"
	}
	if got := fingerprintBoth(t, f, big); len(got) != 32 {
		t.Errorf("big: %q", got)
	}
	if got := fingerprintBoth(t, f, nil); got != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("empty: %s", got)
	}
}

func TestEventFingerprintConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  EventFingerprintConfig
		want string
	}{
		{EventFingerprintConfig{HashAlgorithm: "CRC32", ExcludeParameters: []string{}}, "hashAlgorithm: [CRC32] is not a supported"},
		{EventFingerprintConfig{ExcludeParameters: []string{}}, "hashAlgorithm: missing"},
		{EventFingerprintConfig{HashAlgorithm: "MD5"}, "excludeParameters: missing"},
	} {
		if _, err := newEventFingerprint(&c.cfg, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestCompareUTF16(t *testing.T) {
	in := []string{"b", "a", "ab", "", "\uFB01", "\U0001F600", "\U0001F601", "\u00e9", "A", "aa"}
	slices.SortFunc(in, compareUTF16)
	want := []string{"", "A", "a", "aa", "ab", "b", "\u00e9", "\U0001F600", "\U0001F601", "\uFB01"}
	if !slices.Equal(in, want) {
		t.Errorf("got %q\nwant %q", in, want)
	}
}

// TestEventFingerprintConcurrent shares one implementation between
// goroutines (go test -race): the pooled buffers must not leak between
// calls.
func TestEventFingerprintConcurrent(t *testing.T) {
	f, err := newEventFingerprint(&EventFingerprintConfig{HashAlgorithm: "MD5", ExcludeParameters: []string{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []map[string]string{{"e": "pv"}, {"e": "se", "se_ca": strings.Repeat("x", 5000)}, {"aid": "a", "tv": "js"}}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		want[i] = fingerprintBoth(t, f, in)
	}
	done := make(chan string)
	for g := 0; g < 6; g++ {
		go func(g int) {
			for i := 0; i < 500; i++ {
				k := (g + i) % len(inputs)
				if got := f.Fingerprint(inputs[k]); got != want[k] {
					done <- "input " + want[k] + " gave " + got
					return
				}
			}
			done <- ""
		}(g)
	}
	for g := 0; g < 6; g++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// TestEventFingerprintOrder checks the byte-order fast sort against a
// reference (Java String order over the whole map) on keys that share long
// prefixes, hold NUL bytes, non-ASCII letters, and many excluded names.
func TestEventFingerprintOrder(t *testing.T) {
	excl := []string{"eid", "stm", "x1", "x2", "x3", "x4", "x5", "x6", "x7"} // > 8: the map lookup
	for _, exclude := range [][]string{excl[:2], excl} {
		f, err := newEventFingerprint(&EventFingerprintConfig{HashAlgorithm: "MD5", ExcludeParameters: exclude}, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{"eid", "stm", "x7", "a", "a\x00", "a\x00b", "abcdefgh", "abcdefghi", "abcdefgh\x00", "abcdefgg~",
			"ä", "äb", "zz", "Z", "tr_tt", "tr_tx", "ti_pr", "\u00ff", "\u07ff", "\u0800x", "\ud7ff"}
		params := map[string]string{}
		for i, k := range keys {
			params[k] = strings.Repeat("v", i)
		}
		ref := func() string {
			var names []string
			for k := range params {
				if !slices.Contains(exclude, k) {
					names = append(names, k)
				}
			}
			slices.SortFunc(names, compareUTF16)
			var b []byte
			for _, k := range names {
				b = append(append(append(append(b, k...), 0x1f), params[k]...), 0x1f)
			}
			s := md5.Sum(b)
			return hex.EncodeToString(s[:])
		}
		for i := 0; i < 5; i++ { // random map orders
			if got, want := fingerprintBoth(t, f, params), ref(); got != want {
				t.Fatalf("exclude %v: %s, want %s", exclude, got, want)
			}
		}
		params["\uFB01"], params["\U0001F600"] = "1", "2" // the UTF-16 order path
		if got, want := fingerprintBoth(t, f, params), ref(); got != want {
			t.Fatalf("exclude %v, UTF-16 order: %s, want %s", exclude, got, want)
		}
	}
}

// fingerprintBoth is f.Fingerprint(params), checked against
// FingerprintParams on the same parameters as a list.
func fingerprintBoth(t *testing.T, f EventFingerprint, params map[string]string) string {
	t.Helper()
	want := f.Fingerprint(params)
	list := make([]Param, 0, len(params))
	for k, v := range params {
		list = append(list, Param{k, v})
	}
	if got := f.(ParamsFingerprint).FingerprintParams(list); got != want {
		t.Fatalf("FingerprintParams %s, Fingerprint %s", got, want)
	}
	return want
}

// TestEventFingerprintExcludeFilter: the first-byte/length prefilter of the
// exclude list never hides an excluded name (empty, same first byte, same
// length, lengths 8 apart).
func TestEventFingerprintExcludeFilter(t *testing.T) {
	excl := []string{"", "cv", "eid", "e0123456789", "nuid"}
	f, err := newEventFingerprint(&EventFingerprintConfig{HashAlgorithm: "MD5", ExcludeParameters: excl}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"e": "pv", "cd": "24", "eia": "1", "e012": "x", "nuie": "y"}
	want := fingerprintBoth(t, f, base)
	with := map[string]string{}
	for k, v := range base {
		with[k] = v
	}
	for _, k := range excl {
		with[k] = "excluded"
	}
	if got := fingerprintBoth(t, f, with); got != want {
		t.Errorf("excluded names changed the fingerprint: %s, want %s", got, want)
	}
}
