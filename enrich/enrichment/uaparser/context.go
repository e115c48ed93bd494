package uaparser

import "unicode/utf8"

// ContextSchema is the schema of the context R108 produced.
const ContextSchema = "iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0"

// UAVersion is useragentVersion as R108 built it: the family, then " " +
// major, "." + minor and "." + patch, each only when not null.
func (r *Result) UAVersion() string {
	return joinVersion(r.UAFamily, r.UAMajor, r.UAMinor, r.UAPatch, NullString{})
}

// OSVersion is osVersion as R108 built it: the family, then " " + major,
// "." + minor, "." + patch and "." + patch-minor, each only when not null.
func (r *Result) OSVersion() string {
	return joinVersion(r.OSFamily, r.OSMajor, r.OSMinor, r.OSPatch, r.OSPatchMinor)
}

func joinVersion(family string, major, minor, patch, patchMinor NullString) string {
	s := family
	if major.Valid {
		s += " " + major.Value
	}
	for _, v := range [...]NullString{minor, patch, patchMinor} {
		if v.Valid {
			s += "." + v.Value
		}
	}
	return s
}

// AppendContext appends the self-describing ua_parser_context JSON to dst,
// exactly as R108 rendered it (json4s compact: keys in the order below, no
// whitespace, null versions written as null, strings escaped as Jackson
// did).
func (r *Result) AppendContext(dst []byte) []byte {
	dst = append(dst, `{"schema":"`+ContextSchema+`","data":{"useragentFamily":`...)
	dst = appendString(dst, r.UAFamily)
	dst = appendField(dst, `,"useragentMajor":`, r.UAMajor)
	dst = appendField(dst, `,"useragentMinor":`, r.UAMinor)
	dst = appendField(dst, `,"useragentPatch":`, r.UAPatch)
	dst = append(dst, `,"useragentVersion":`...)
	dst = appendString(dst, r.UAVersion())
	dst = append(dst, `,"osFamily":`...)
	dst = appendString(dst, r.OSFamily)
	dst = appendField(dst, `,"osMajor":`, r.OSMajor)
	dst = appendField(dst, `,"osMinor":`, r.OSMinor)
	dst = appendField(dst, `,"osPatch":`, r.OSPatch)
	dst = appendField(dst, `,"osPatchMinor":`, r.OSPatchMinor)
	dst = append(dst, `,"osVersion":`...)
	dst = appendString(dst, r.OSVersion())
	dst = append(dst, `,"deviceFamily":`...)
	dst = appendString(dst, r.DeviceFamily)
	return append(dst, "}}"...)
}

// Context returns the ua_parser_context JSON for ua (a new slice).
func (p *Parser) Context(ua string) []byte {
	r := p.Parse(ua)
	return r.AppendContext(make([]byte, 0, 512))
}

func appendField(dst []byte, key string, v NullString) []byte {
	dst = append(dst, key...)
	if !v.Valid {
		return append(dst, "null"...)
	}
	return appendString(dst, v.Value)
}

const hexUpper = "0123456789ABCDEF"

// appendString quotes s as Jackson's generator did: '"' and '\\' escaped,
// control characters as \b \t \n \f \r or \u00XX (upper-case hex), all
// else as is. Invalid UTF-8 bytes become U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			dst = utf8.AppendRune(dst, r) // RuneError for an invalid byte
			i += size
			continue
		}
		switch {
		case c == '"':
			dst = append(dst, '\\', '"')
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xf])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}
