package enrich

import "unicode/utf8"

// R108 held the tracker-protocol parameters in a Scala 2.11 immutable
// Map[String, String] and MapTransformer iterated it: the order decided
// which of two parameters writing one field won (co/cx, ue_pr/ue_px,
// se_*/ev_*, ti_na/ti_nm) and the order of the failure messages. A map of
// five or more entries is a HashTrieMap, iterated in the order of the 5-bit
// chunks of the improved String.hashCode, least significant chunk first;
// furrow sorts parameters by that key. (Maps of up to four entries kept
// insertion order, which adapter.RawEvent's Go map no longer knows; furrow
// uses the hash order for them too.)

// javaStringHash is java.lang.String.hashCode over UTF-16 code units.
func javaStringHash(s string) uint32 {
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

// scalaMapOrder is the iteration position of key in a Scala 2.11
// HashTrieMap (smaller first).
func scalaMapOrder(key string) uint64 {
	h := javaStringHash(key)
	h = h + ^(h << 9) // scala.collection.immutable.HashMap.improve
	h ^= h >> 14
	h += h << 4
	h ^= h >> 10
	var o uint64
	for i := 0; i < 7; i++ {
		o = o<<5 | uint64(h>>(5*uint(i))&31)
	}
	return o
}
