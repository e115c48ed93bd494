package uautils

import (
	"strings"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch"
)

// Parse returns the fields R108 wrote for the user agent ua (used as is:
// not trimmed, any case). Every agent gives a result; an unrecognised or
// empty one gives the all-"Unknown" result. Safe for concurrent use.
func (t *Table) Parse(ua string) Result {
	var buf [8]uint64
	var seen []uint64
	if t.words <= len(buf) {
		seen = buf[:t.words]
	} else {
		seen = make([]uint64, t.words)
	}
	t.set.Scan(javaLowerSpecials(ua), seen)

	br := t.unknownBr
	for _, i := range t.browserTop {
		if r := check(t.browsers, i, seen); r >= 0 {
			br = r
			break
		}
	}
	os := t.unknownOS
	if br != t.bot {
		for _, i := range t.osTop {
			if r := check(t.oses, i, seen); r >= 0 {
				os = r
				break
			}
		}
	}
	res := t.brRes[br]
	o := &t.osRes[os]
	res.OSName, res.OSFamily, res.OSManufacturer = o.OSName, o.OSFamily, o.OSManufacturer
	res.DvceType, res.DvceIsMobile = o.DvceType, o.DvceIsMobile
	if f := t.fetch[br]; f != nil {
		res.BrVersion = f.version(ua)
	}
	return res
}

// check is UserAgentUtils' checkUserAgent: the entry qualifies when one of
// its aliases occurs; then its children are tried in order (first result
// wins), then the entry itself unless one of its exclusions occurs. It
// returns the matching entry or -1.
func check(nodes []node, i int32, seen []uint64) int32 {
	n := &nodes[i]
	if !anySeen(n.aliases, seen) {
		return -1
	}
	for _, c := range n.children {
		if r := check(nodes, c, seen); r >= 0 {
			return r
		}
	}
	if anySeen(n.excludes, seen) {
		return -1
	}
	return i
}

func anySeen(ids []uint32, seen []uint64) bool {
	for _, id := range ids {
		if uamatch.Has(seen, id) {
			return true
		}
	}
	return false
}

// javaLowerSpecials rewrites the two characters whose Java lowercase is
// (or starts with) ASCII but which the scanner's ASCII folding does not
// cover: U+0130 → "i\u0307" and U+212A (Kelvin sign) → "k". Every other
// non-ASCII character lowercases to non-ASCII and can never be part of an
// (ASCII) alias, so it is left alone. Returns ua itself when neither
// occurs.
func javaLowerSpecials(ua string) string {
	if strings.IndexByte(ua, 0xC4) < 0 && strings.IndexByte(ua, 0xE2) < 0 {
		return ua
	}
	if !strings.Contains(ua, "\u0130") && !strings.Contains(ua, "\u212a") {
		return ua
	}
	return strings.NewReplacer("\u0130", "i\u0307", "\u212a", "k").Replace(ua)
}
