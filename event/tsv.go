package event

import (
	"fmt"
	"slices"
	"strings"
)

// MinTSVFields is the fewest tab-separated fields an enriched line may have:
// the older enriched layouts (R73 onwards) that RDB Shredder still accepted
// hold 108 fields; missing trailing fields are null.
const MinTSVFields = 108

// Sanitize makes v safe for a TSV field the way Snowplow did
// (ConversionUtils.fixTabsNewlines): every tab becomes four spaces and every
// other ASCII control character (U+0000–U+001F, U+007F) is removed. It
// returns v itself when there is nothing to change.
func Sanitize(v string) string {
	first := cleanPrefix(v)
	if first == len(v) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 8)
	b.WriteString(v[:first])
	for i := first; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\t':
			b.WriteString("    ")
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// AppendTSV appends e as one enriched TSV line (131 tab-separated fields, no
// trailing newline) to dst. Values are sanitized on the way out, so a value
// can never break the line or shift a column.
func AppendTSV(dst []byte, e *Event) []byte {
	n := NumFields - 1
	for i := range e.Fields {
		n += len(e.Fields[i])
	}
	dst = slices.Grow(dst, n) // enough unless tabs are widened
	for i := range e.Fields {
		if i > 0 {
			dst = append(dst, '\t')
		}
		if v := e.Fields[i]; v != "" {
			dst = appendSanitized(dst, v)
		}
	}
	return dst
}

// AppendTSVExcept appends e as a TSV line without the given fields (e.g. the
// atomic-events layout, which drops the three JSON fields).
func AppendTSVExcept(dst []byte, e *Event, skip ...Field) []byte {
	first := true
outer:
	for i := range e.Fields {
		for _, s := range skip {
			if int(s) == i {
				continue outer
			}
		}
		if !first {
			dst = append(dst, '\t')
		}
		first = false
		dst = appendSanitized(dst, e.Fields[i])
	}
	return dst
}

// SWAR constants: a byte repeated in every byte of a word.
const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// controlBits returns, in the high bit of each byte, a non-zero mark when
// any byte of the little-endian word x is below 0x20 or is 0x7f (exact as
// a yes/no answer).
func controlBits(x uint64) uint64 {
	y := x ^ (lo8 * 0x7f)
	return ((x-lo8*0x20)&^x | (y-lo8)&^y) & hi8
}

// hasControl reports whether any byte of x is a control character.
func hasControl(x uint64) bool { return controlBits(x) != 0 }

// load64 reads s[i:i+8] as a little-endian word (one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// cleanPrefix returns the length of the longest prefix of v without a
// control character, testing sixteen bytes at a time.
func cleanPrefix(v string) int {
	i := 0
	for ; len(v)-i >= 16; i += 16 {
		if controlBits(load64(v, i))|controlBits(load64(v, i+8)) != 0 {
			break
		}
	}
	for ; len(v)-i >= 8; i += 8 {
		if hasControl(load64(v, i)) {
			break
		}
	}
	for ; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			break
		}
	}
	return i
}

// appendSanitized appends Sanitize(v): runs of ordinary bytes are found
// sixteen at a time and copied whole, so a value without control
// characters is one copy.
func appendSanitized(dst []byte, v string) []byte {
	for {
		i := cleanPrefix(v)
		dst = append(dst, v[:i]...)
		if i == len(v) {
			return dst
		}
		if v[i] == '\t' {
			dst = append(dst, "    "...)
		}
		v = v[i+1:]
	}
}

// ParseTSV decodes one enriched TSV line (without its newline; a trailing
// "\r" is tolerated) into e. Lines with 108 to 131 fields are accepted (older
// layouts; the missing trailing fields are null); other field counts are an
// error. The field values share memory with line.
func ParseTSV(line string, e *Event) error {
	line = strings.TrimSuffix(line, "\r")
	n := 0
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] == '\t' {
			if n >= NumFields-1 {
				return fmt.Errorf("enriched line has more than %d tab-separated fields", NumFields)
			}
			e.Fields[n] = line[start:i]
			n++
			start = i + 1
		}
	}
	e.Fields[n] = line[start:]
	n++
	if n < MinTSVFields {
		return fmt.Errorf("enriched line has %d tab-separated fields, want %d (or at least %d for older layouts)", n, NumFields, MinTSVFields)
	}
	for i := n; i < NumFields; i++ {
		e.Fields[i] = ""
	}
	return nil
}

// CountTSVFields returns the number of tab-separated fields in line.
func CountTSVFields(line string) int { return strings.Count(line, "\t") + 1 }
