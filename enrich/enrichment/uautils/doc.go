// Package uautils reproduces the user_agent_utils_config enrichment of
// Snowplow R108, which called eu.bitwalker:UserAgentUtils 1.21: it turns a
// user agent into the enriched-event fields br_name, br_family, br_version,
// br_type, br_renderengine, os_name, os_family, os_manufacturer, dvce_type
// and dvce_ismobile, exactly as R108 wrote them.
//
// The library's browser and operating-system enums are not compiled in:
// they are loaded at start-up from a JSON table (the format of
// user-agent-utils-1.21.json, described in the reference notes
// user-agent-utils-1.21.md) with Load, LoadFile or Parse. Where the table
// comes from is decided by ResolveSource: a configured location, else the
// FURROW_UA_UTILS_TABLE environment variable, else the small sample table
// shipped in the repository (DefaultPath).
//
// Matching follows UserAgentUtils 1.21 exactly, quirks included: aliases
// and exclusions are plain substrings of the agent lowercased the way Java
// lowercases it (U+0130 becomes "i\u0307", the Kelvin sign becomes "k");
// an entry's children are tried before the entry itself and its exclusions
// only stop the entry; version children match by prefix ("chrome/8" also
// matches Chrome/80); the top-level BOT entry forces the operating system
// to UNKNOWN; versions come from the effective fetcher (the entry's own,
// else its top-level group's) run on the original-case agent with
// ASCII-only case-insensitive Java regexes, the Safari fetcher falling back
// to the WebKit-build table.
//
// A Table is immutable after loading and safe for concurrent use. Parse
// does one pass over the agent for all aliases (an Aho-Corasick automaton
// built at load) and at most a couple of regex searches for the version;
// caching repeated agents is left to the caller.
package uautils
