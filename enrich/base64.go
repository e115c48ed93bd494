package enrich

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// Byte classes of base64 text for decodeBase64Fast.
const (
	b64Both  = 1 << iota // A-Z a-z 0-9: in both alphabets
	b64URL               // '-' '_'
	b64Std               // '+' '/'
	b64Other             // anything else ('=' is cut off before)
)

var b64Class = func() (t [256]uint8) {
	for i := range t {
		t[i] = b64Other
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c+'a'-'A'] = b64Both, b64Both
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = b64Both
	}
	t['-'], t['_'] = b64URL, b64URL
	t['+'], t['/'] = b64Std, b64Std
	return t
}()

// decodeBase64Fast is decodeBase64URL (commons-codec's lenient decoding
// read as UTF-8) with a fast path for the text trackers send: one alphabet
// only, nothing to skip, and no lone final character. Then commons-codec
// and encoding/base64's unpadded decoding (which, not strict, ignores the
// final group's unused bits as commons-codec does) give the same bytes, and
// valid UTF-8 bytes are the string as they are; anything else takes the
// general path.
func decodeBase64Fast(s string) string {
	if i := strings.IndexByte(s, '='); i >= 0 {
		s = s[:i] // commons-codec stops at the first '='
	}
	if len(s)%4 == 1 || len(s) > 1<<20 {
		return decodeBase64URL(s)
	}
	var seen uint8
	for i := 0; i < len(s); i++ {
		seen |= b64Class[s[i]]
	}
	var enc *base64.Encoding
	switch {
	case seen&(b64Other|b64URL|b64Std) == 0, seen&(b64Other|b64Std) == 0:
		enc = base64.RawURLEncoding
	case seen&(b64Other|b64URL) == 0:
		enc = base64.RawStdEncoding
	default:
		return decodeBase64URL(s)
	}
	var stack [1024]byte
	buf := stack[:]
	if n := enc.DecodedLen(len(s)); n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := enc.Decode(buf, []byte(s))
	if err != nil || !utf8.Valid(buf[:n]) {
		return decodeBase64URL(s)
	}
	return string(buf[:n])
}
