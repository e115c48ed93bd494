// Package uamatchtest generates texts that regexes match, for differential
// tests of the matchers built on package uamatch (prefilters must never
// skip a rule that would match).
package uamatchtest
