// Package uaparser reproduces the ua_parser_config enrichment of Snowplow
// R108, which called the Java ua-parser 1.3.0: it turns a user agent into
// the ua_parser_context derived context
// (iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0),
// byte for byte as R108 rendered it.
//
// The rules are not compiled in: they are loaded at start-up from a
// regexes.yaml (user_agent_parsers, os_parsers, device_parsers) given by a
// file or URI (Load, LoadFile, Parse), or taken from the regexes that
// github.com/ua-parser/uap-go embeds (Default). ResolveSource picks the
// location: the enrichment's uri + database, else FURROW_UA_PARSER_REGEXES,
// else the embedded regexes.
//
// Two rule semantics are implemented (Semantics):
//
//   - Java130, ua-parser Java 1.3.0 as R108 ran it, for rules files loaded
//     from a path or URI (the 2013 regexes.yaml R108 bundled): rules tried
//     in file order, a rule that matches but yields no family is skipped,
//     only the first "$1" of family_replacement and device_replacement is
//     substituted (and only when group 1 took part), os_replacement and the
//     version replacements are used as written, the UA patch is dropped when
//     v2_replacement is given, a group that did not take part is null (one
//     that matched "" is ""), and v3/os_v3/os_v4/brand/model replacements
//     and regex_flag are ignored;
//   - UapCore, the uap-core specification, for the embedded modern
//     regexes (which rely on "$N" in every replacement and on regex_flag),
//     so that the default gives sensible results.
//
// Regexes are compiled with Java's semantics where RE2 differs ('.' and
// '\s'; see package uamatch). A Parser is immutable and safe for
// concurrent use. Parse scans the agent once for the literals that each
// rule's matches must contain (an Aho-Corasick automaton over all rules)
// and runs only the regexes of rules that can match.
package uaparser
