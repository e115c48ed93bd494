package enrich

// Word-at-a-time scanning: eight bytes of a string tested at once for the
// bytes a scanner must stop at. Each test is exact as a yes/no answer; the
// scanner then finds the byte one at a time.

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// load64 reads s[i:i+8] as a little-endian word (one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// hasByte reports whether any byte of x is b.
func hasByte(x uint64, b byte) bool {
	y := x ^ (lo8 * uint64(b))
	return (y-lo8)&^y&hi8 != 0
}

// jsonPlain reports whether none of the bytes of x needs attention inside a
// JSON string literal: no '"', no '\\', no control character, no non-ASCII
// byte.
func jsonPlain(x uint64) bool {
	q := x ^ (lo8 * '"')
	bs := x ^ (lo8 * '\\')
	return ((x-lo8*0x20)&^x|(q-lo8)&^q|(bs-lo8)&^bs|x)&hi8 == 0
}
