// Package scalamap reproduces the key order of Scala 2.11's immutable
// Map[String, _] as R108 iterated it on the JVM. It owns the one copy of
// java.lang.String.hashCode and of the HashTrieMap position furrow uses.
//
// Up to four entries Scala used Map1..Map4, which keep insertion order; from
// the fifth entry on the map is a HashTrieMap, iterated in the order of the
// 5-bit chunks of the improved String.hashCode
// (scala.collection.immutable.HashMap.improve), least significant chunk
// first. That order decided which of two parameters writing one field won,
// the order of failure messages and the key order of JSON objects built from
// maps; callers sort by Order to reproduce it.
package scalamap
