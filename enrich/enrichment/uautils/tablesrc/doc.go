// Package tablesrc locates and reads the reference tables of the
// enrichments whose old libraries bundled them (uautils, uaparser,
// referer): the precedence configured location > environment variable >
// default, and reading a plain path, a file:// URI or, through an injected
// Fetch, any other URI.
package tablesrc
