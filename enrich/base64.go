package enrich

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// decodeBase64Fast is decodeBase64URL (commons-codec's lenient decoding
// read as UTF-8) with a fast path for the text trackers send: one alphabet
// only, nothing to skip but CR and LF, and no lone final character. Then
// commons-codec and encoding/base64's unpadded decoding (which, not
// strict, ignores the final group's unused bits as commons-codec does)
// give the same bytes, and valid UTF-8 bytes are the string as they are;
// anything else takes the general path.
func decodeBase64Fast(s string) string {
	if i := strings.IndexByte(s, '='); i >= 0 {
		s = s[:i] // commons-codec stops at the first '='
	}
	if len(s)%4 == 1 || len(s) > 1<<20 {
		return decodeBase64URL(s)
	}
	var stack [1024]byte
	buf := stack[:]
	if n := base64.RawURLEncoding.DecodedLen(len(s)); n > len(buf) {
		buf = make([]byte, n)
	}
	// Either alphabet: the decoders reject any other byte (and skip CR and
	// LF, as commons-codec does).
	n, err := base64.RawURLEncoding.Decode(buf, []byte(s))
	if err != nil {
		n, err = base64.RawStdEncoding.Decode(buf, []byte(s))
	}
	if err != nil || !utf8.Valid(buf[:n]) {
		return decodeBase64URL(s)
	}
	return string(buf[:n])
}
