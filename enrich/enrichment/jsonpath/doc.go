// Package jsonpath owns the JSON document model and the JSONPath engine that
// the PII, API request and SQL query enrichments share.
//
// Documents are parsed into a Value tree that keeps what R108's JVM libraries
// kept: object members in document order, integers as exact decimal text
// (json4s JInt) and other numbers as float64 (json4s JDouble). Render prints a
// tree as json4s-jackson's compact did: no whitespace, Jackson's string
// escaping, integers exactly, other numbers as java.lang.Double.toString.
//
// Compile accepts the JSONPath dialect common to Jayway JsonPath (used by
// R108's PII enrichment) and Gatling JsonPath (used by its API request and SQL
// query enrichments):
//
//	$                     the root
//	.name  ['name']  ["name"]  ['a','b']   members (".[" is read as "[")
//	.*  [*]               every member or element
//	..name  ..*  ..[…]    recursive descent
//	[0]  [-1]  [0,2]  [1:3]  [::2]         array elements and slices
//	[?(@.a)]  [?(@.a == 'x' && @.b > 2)]   filters (==, !=, <, <=, >, >=,
//	                      &&, ||, !, parentheses; @ and $ paths; string,
//	                      number, true, false and null literals)
//
// A Path is immutable and safe for concurrent use. Query returns the matched
// values in document order; Map replaces matched values in place (Jayway's
// DocumentContext.map) and never adds a member that was absent.
package jsonpath
