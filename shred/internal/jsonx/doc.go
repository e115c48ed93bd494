// Package jsonx is the shredder's JSON tree: a strict parser that keeps
// object key order (duplicate keys resolved as Jackson did: the last value
// wins, at the position of the first), number tokens as their text, and
// errors worded as Jackson 2.6's, plus a serializer that renders a tree
// byte-for-byte as Jackson's JsonNode.toString() did in RDB Shredder 0.13
// (compact, '\uXXXX' escapes in upper-case hex for control characters,
// doubles in java.lang.Double.toString form).
//
// The legacy shredded-types layout, the Parquet JSON-string columns and the
// JSON → row conversion all read entities through this package, so one parse
// serves validation, conversion and output.
package jsonx
