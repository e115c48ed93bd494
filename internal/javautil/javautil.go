package javautil

import "unicode/utf8"

// HexVal is the value of the ASCII hex digit c (0-9, a-f, A-F), or -1.
func HexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// AppendUTF8 appends b decoded as UTF-8 the way Java 8's UTF-8 decoder
// (sun.nio.cs.UTF_8 with CodingErrorAction.REPLACE, as used by
// new String(bytes, UTF_8) and Hadoop's Text) did: each malformed sequence
// becomes one U+FFFD, where a sequence is as long as the valid prefix of a
// multi-byte character (so a truncated character is one replacement),
// encoded surrogates are one replacement for their three bytes, and a stray
// byte is one replacement. dst and b must not overlap.
func AppendUTF8(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, b[i:i+size]...)
			i += size
			continue
		}
		dst = utf8.AppendRune(dst, utf8.RuneError)
		i += malformedLen(b[i:])
	}
	return dst
}

// UTF8 is new String(b, UTF_8): b as a valid UTF-8 string, malformed input
// replaced as AppendUTF8 does. Valid input is copied once.
func UTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(AppendUTF8(make([]byte, 0, len(b)+8), b))
}

// UTF8String is UTF8 for bytes held in a string: s itself when it is valid
// UTF-8 (no allocation).
func UTF8String(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return UTF8([]byte(s))
}

func isCont(c byte) bool { return c&0xc0 == 0x80 }

// malformedLen is the length of the malformed sequence at the start of b
// (b[0] >= 0x80 and b does not start with a valid character), following
// sun.nio.cs.UTF_8.Decoder.
func malformedLen(b []byte) int {
	c := b[0]
	switch {
	case c >= 0xc2 && c <= 0xdf: // two-byte lead: only the lead is bad
		return 1
	case c >= 0xe0 && c <= 0xef:
		if len(b) < 2 {
			return 1
		}
		if (c == 0xe0 && b[1]&0xe0 == 0x80) || !isCont(b[1]) {
			return 1
		}
		if len(b) < 3 || !isCont(b[2]) {
			return 2
		}
		// Three well-formed bytes that are still invalid: an encoded
		// surrogate (ED A0..BF xx), one replacement for all three.
		return 3
	case c >= 0xf0 && c <= 0xf4:
		if len(b) < 2 {
			return 1
		}
		b2 := b[1]
		if (c == 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (c == 0xf4 && b2&0xf0 != 0x80) || !isCont(b2) {
			return 1
		}
		if len(b) < 3 || !isCont(b[2]) {
			return 2
		}
		return 3
	default: // continuation byte, C0, C1, F5..FF
		return 1
	}
}

// base64Decode is commons-codec's Base64 decode table: both the standard
// and the URL-safe alphabet decode ('+' and '-' are 62, '/' and '_' are
// 63); -1 marks the bytes it skips.
var base64Decode = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = int8(i)
	}
	t['-'] = 62
	t['_'] = 63
	return t
}()

// AppendBase64 appends the decoding of src the way commons-codec's
// Base64.decode (1.x) does it, which Snowplow used for base64 parameters
// (ConversionUtils.decodeBase64Url), Clojure-collector bodies and
// elephant-bird's base64 Thrift lines: characters outside both alphabets
// are ignored, decoding stops at the first '=', and a final group of two or
// three characters yields one or two bytes (a lone final character is
// dropped). It never fails.
func AppendBase64[T ~string | ~[]byte](dst []byte, src T) []byte {
	var work uint32
	n := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '=' {
			break
		}
		v := base64Decode[c]
		if v < 0 {
			continue
		}
		work = work<<6 | uint32(v)
		n++
		if n == 4 {
			dst = append(dst, byte(work>>16), byte(work>>8), byte(work))
			work, n = 0, 0
		}
	}
	switch n {
	case 2:
		dst = append(dst, byte(work>>4))
	case 3:
		work >>= 2
		dst = append(dst, byte(work>>8), byte(work))
	}
	return dst
}

// DecodeBase64 is ConversionUtils.decodeBase64Url: AppendBase64 of s read
// as UTF-8 (UTF8).
func DecodeBase64(s string) string {
	return UTF8(AppendBase64(make([]byte, 0, len(s)*3/4+2), s))
}
