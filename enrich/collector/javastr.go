package collector

import (
	"unicode"
	"unicode/utf8"

	"github.com/furrowdata/furrow/internal/javautil"
)

// Snowplow ran on the JVM: every line was a java.lang.String decoded from
// UTF-8 by Hadoop's Text (malformed input replaced by U+FFFD), and the
// loaders' regular expressions, indexes and re-encodings worked on UTF-16
// code units. The helpers here reproduce the parts of that behaviour that
// change results.

// appendJavaUTF8 appends b decoded as UTF-8 the way Java 8's UTF-8 decoder
// did (javautil.AppendUTF8); javaString is new String(b, UTF_8)
// (javautil.UTF8). The oracle tests check both against the JVM.
func appendJavaUTF8(dst, b []byte) []byte { return javautil.AppendUTF8(dst, b) }

func javaString(b []byte) string { return javautil.UTF8(b) }

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
