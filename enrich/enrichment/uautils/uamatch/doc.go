// Package uamatch holds the matching machinery shared by the reference-table
// enrichments (uautils, uaparser): a multi-substring scanner (an
// Aho-Corasick automaton that reports which of a fixed set of needles occur
// in a text in one pass) and a translator that compiles Java
// java.util.regex patterns into Go regexps with Java's semantics where they
// differ from RE2's defaults (ASCII-only CASE_INSENSITIVE, Java's '.' and
// '\s'), plus the extraction of literals that every match must contain,
// used to skip rules cheaply.
//
// Everything here is built once at load time and is immutable afterwards:
// values are safe for concurrent use.
package uamatch
