package enrich

import "github.com/furrowdata/furrow/internal/scalamap"

// R108 held the tracker-protocol parameters in a Scala 2.11 immutable
// Map[String, String] and MapTransformer iterated it: the order decided
// which of two parameters writing one field won (co/cx, ue_pr/ue_px,
// se_*/ev_*, ti_na/ti_nm) and the order of the failure messages. furrow
// sorts parameters by the HashTrieMap position of their names. (Maps of up
// to four entries kept insertion order, which adapter.RawEvent's Go map no
// longer knows; furrow uses the hash order for them too.)

// scalaMapOrder is the iteration position of key in a Scala 2.11
// HashTrieMap (smaller first).
func scalaMapOrder(key string) uint64 { return scalamap.Order(key) }
