package enrich

import (
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// TestDecodeBase64Fast checks the fast path against commons-codec's
// decoding (decodeBase64URL) on both alphabets, every length, padding,
// skipped characters, mixed alphabets and invalid UTF-8.
func TestDecodeBase64Fast(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var inputs []string
	for n := 0; n < 200; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(2) == 0 {
				b[i] = byte(' ' + rng.IntN(95)) // mostly ASCII: valid UTF-8
			}
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			s := enc.EncodeToString(b)
			inputs = append(inputs, s, s+"x", s+"==junk", " "+s, s[:len(s)/2]+"\n"+s[len(s)/2:])
		}
	}
	inputs = append(inputs, "", "=", "a", "ab", "abc", "ab-+", "a_/b", "eyJhIjoxfQ", "eyJhIjoxfQ==", "e30", "e3=0", "////", "----", "++++", "____")
	for _, s := range inputs {
		if got, want := decodeBase64Fast(s), decodeBase64URL(s); got != want {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	}
}

func FuzzDecodeBase64Fast(f *testing.F) {
	f.Add("eyJhIjoxfQ")
	f.Add("e30=")
	f.Add("a-_+/b")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := decodeBase64Fast(s), decodeBase64URL(s); got != want {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}
