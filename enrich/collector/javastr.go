package collector

import (
	"unicode"
	"unicode/utf8"
)

// Snowplow ran on the JVM: every line was a java.lang.String decoded from
// UTF-8 by Hadoop's Text (malformed input replaced by U+FFFD), and the
// loaders' regular expressions, indexes and re-encodings worked on UTF-16
// code units. The helpers here reproduce the parts of that behaviour that
// change results.

// appendJavaUTF8 appends b decoded as UTF-8 the way Java 8's UTF-8 decoder
// does with CodingErrorAction.REPLACE: each malformed sequence becomes one
// U+FFFD, where a sequence is as long as the valid prefix of a multi-byte
// character (so a truncated character is one replacement), encoded
// surrogates are one replacement for their three bytes, and a stray byte is
// one replacement.
func appendJavaUTF8(dst, b []byte) []byte {
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
		// Malformed: work out how many bytes Java folds into one U+FFFD.
		dst = utf8.AppendRune(dst, utf8.RuneError)
		i += javaMalformedLen(b[i:])
	}
	return dst
}

func isCont(c byte) bool { return c&0xc0 == 0x80 }

// javaMalformedLen is the length of the malformed sequence at the start of
// b (b[0] >= 0x80 and b does not start with a valid character), following
// sun.nio.cs.UTF_8.Decoder.
func javaMalformedLen(b []byte) int {
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

// javaString returns b as a valid UTF-8 string with Java's replacement of
// malformed input. Valid input is copied once.
func javaString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendJavaUTF8(make([]byte, 0, len(b)+8), b))
}

// utf16Len is the number of UTF-16 code units of the valid UTF-8 string s
// (Java's String.length()).
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// utf16Prefix returns the longest prefix of s that has at most n UTF-16
// code units (Java's substring(0, n), rounded down to a whole character).
func utf16Prefix(s string, n int) string {
	u := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if u+w > n {
			return s[:i]
		}
		u += w
		i += size
	}
	return s
}

// appendLowBytesRune appends, for each UTF-16 code unit of r, its low
// eight bits: what (byte) c does to Java chars, as httpclient's URL decoder
// did with unescaped characters.
func appendLowBytesRune(dst []byte, r rune) []byte {
	if r >= 0x10000 {
		r -= 0x10000
		return append(dst, byte(0xd800+(r>>10)), byte(0xdc00+(r&0x3ff)))
	}
	return append(dst, byte(r))
}

// javaUpper is Java's String.toUpperCase for the strings the loaders
// upper-case (HTTP methods): ASCII is mapped directly, the rest through
// Unicode case mapping with the one common special case (ß → SS).
func javaUpper(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c >= 'a' && c <= 'z' {
				b := []byte(s)
				for j := i; j < len(b); j++ {
					if b[j] >= 'a' && b[j] <= 'z' {
						b[j] -= 'a' - 'A'
					}
				}
				return string(b)
			}
		}
		return s
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == 'ß' {
			out = append(out, 'S', 'S')
			continue
		}
		out = append(out, unicode.ToUpper(r))
	}
	return string(out)
}
