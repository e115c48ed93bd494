package scalamap

import (
	"cmp"
	"slices"
	"unicode/utf8"
)

// StringHash is java.lang.String.hashCode of s read as UTF-16 code units
// (a rune above U+FFFF counts as its surrogate pair; an invalid UTF-8 byte
// as U+FFFD).
func StringHash(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + uint32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + uint32(0xD800+(r>>10))
			h = 31*h + uint32(0xDC00+(r&0x3FF))
		} else {
			h = 31*h + uint32(r)
		}
	}
	return h
}

// TriePos is the iteration position in a Scala 2.11 HashTrieMap of a key
// whose hashCode is h (smaller first).
func TriePos(h uint32) uint64 {
	h += ^(h << 9) // scala.collection.immutable.HashMap.improve
	h ^= h >> 14
	h += h << 4
	h ^= h >> 10
	var o uint64
	for i := 0; i < 7; i++ {
		o = o<<5 | uint64(h>>(5*uint(i))&31)
	}
	return o
}

// Order is the iteration position of the String key in a Scala 2.11
// HashTrieMap (smaller first): TriePos(StringHash(key)).
func Order(key string) uint64 { return TriePos(StringHash(key)) }

// SortStable puts s, the entries of a map in insertion order, in the order
// a Scala 2.11 immutable Map of them iterates: unchanged up to four entries
// (Map1..Map4), by Order of each entry's key from five on. Entries whose
// keys share a position keep their relative order.
func SortStable[E any](s []E, key func(E) string) {
	if len(s) <= 4 {
		return
	}
	slices.SortStableFunc(s, func(a, b E) int { return cmp.Compare(Order(key(a)), Order(key(b))) })
}
