package enrich

import (
	"math/rand/v2"
	"testing"
)

// TestSWAR checks the word tests against byte-by-byte ones on random words
// built from the bytes that matter.
func TestSWAR(t *testing.T) {
	interesting := []byte{0, 0x1f, 0x20, 0x21, '"', '\\', 'a', 0x7e, 0x7f, 0x80, 0xff, '/', '#', '?', 0x5b, 0x5d}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200000; n++ {
		var b [8]byte
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = byte(r.IntN(256))
			} else {
				b[i] = interesting[r.IntN(len(interesting))]
			}
		}
		x := load64(string(b[:]), 0)
		plain, has := true, map[byte]bool{}
		for _, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				plain = false
			}
			has[c] = true
		}
		if jsonPlain(x) != plain {
			t.Fatalf("jsonPlain(% x) = %v", b, !plain)
		}
		for _, c := range interesting {
			if hasByte(x, c) != has[c] {
				t.Fatalf("hasByte(% x, %#x) = %v", b, c, !has[c])
			}
		}
	}
}
