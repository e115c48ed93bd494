package adapter

import (
	"strconv"
	"time"
)

// Date handling as the R108 adapters did it with Joda-Time: timestamps were
// printed with the pattern "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" in UTC, webhook
// date-times were parsed with "yyyy-MM-dd HH:mm:ss" in UTC, and ISO 8601
// strings with ISODateTimeFormat.dateTimeParser.

// appendJodaYear appends y as Joda's "yyyy" printer did: at least four
// digits, a '-' for years before year 0.
func appendJodaYear(dst []byte, y int) []byte {
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	s := strconv.Itoa(y)
	for i := len(s); i < 4; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// jsonSchemaDateTime formats t (in UTC) as yyyy-MM-dd'T'HH:mm:ss.SSS'Z'.
func jsonSchemaDateTime(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 24)
	b = appendJodaYear(b, t.Year())
	b = append(b, '-')
	b = append2(b, int(t.Month()))
	b = append(b, '-')
	b = append2(b, t.Day())
	b = append(b, 'T')
	b = append2(b, t.Hour())
	b = append(b, ':')
	b = append2(b, t.Minute())
	b = append(b, ':')
	b = append2(b, t.Second())
	ms := t.Nanosecond() / 1e6
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return string(b)
}

// secondsToJSONDate is Adapter.cleanupJsonEventValues' toStringField:
// seconds since the epoch (multiplied by 1000 with Java long overflow) as a
// JSON Schema date-time.
func secondsToJSONDate(sec int64) string {
	return jsonSchemaDateTime(time.UnixMilli(sec * 1000))
}

// jodaNumber reads 1..max ASCII digits (with an optional sign when signed)
// from s at i, as Joda's numeric field parsers did.
func jodaNumber(s string, i, max int, signed bool) (int, int, bool) {
	neg := false
	if signed && i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	v := 0
	for i < len(s) && i-start < max && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + int(s[i]-'0')
		i++
	}
	if i == start {
		return 0, i, false
	}
	if neg {
		v = -v
	}
	return v, i, true
}

func validCivil(y, mo, d, h, mi, sec int) bool {
	if mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return false
	}
	return d <= time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseWebhookDateTime parses s with the Joda pattern "yyyy-MM-dd HH:mm:ss"
// in UTC (year up to 9 digits with an optional sign, other fields 1-2
// digits, the whole string consumed, field ranges checked).
func parseWebhookDateTime(s string) (time.Time, bool) {
	var f [6]int
	i := 0
	var ok bool
	seps := [...]byte{'-', '-', ' ', ':', ':'}
	for k := 0; k < 6; k++ {
		max, signed := 2, false
		if k == 0 {
			max, signed = 9, true
		}
		f[k], i, ok = jodaNumber(s, i, max, signed)
		if !ok {
			return time.Time{}, false
		}
		if k < 5 {
			if i >= len(s) || s[i] != seps[k] {
				return time.Time{}, false
			}
			i++
		}
	}
	if i != len(s) || !validCivil(f[0], f[1], f[2], f[3], f[4], f[5]) {
		return time.Time{}, false
	}
	return time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, time.UTC), true
}

// toJSONSchemaDateTime is JsonUtils.toJsonSchemaDateTime with the webhook
// pattern: the reformatted date-time, or s unchanged when it does not parse.
func toJSONSchemaDateTime(s string) string {
	t, ok := parseWebhookDateTime(s)
	if !ok {
		return s
	}
	return jsonSchemaDateTime(t)
}

// parseISODateTime parses the ISO 8601 forms Joda's
// ISODateTimeFormat.dateTimeParser accepted for calendar dates:
// yyyy[-MM[-dd]] optionally followed by 'T' and HH[:mm[:ss[.fraction]]]
// and an offset (Z, ±HH, ±HH:mm or ±HHmm). Without an offset the time is
// UTC (the zone the R108 jobs ran in).
func parseISODateTime(s string) (time.Time, bool) {
	y, i, ok := jodaNumber(s, 0, 9, true)
	if !ok {
		return time.Time{}, false
	}
	mo, d := 1, 1
	if i < len(s) && s[i] == '-' {
		if mo, i, ok = jodaNumber(s, i+1, 2, false); !ok {
			return time.Time{}, false
		}
		if i < len(s) && s[i] == '-' {
			if d, i, ok = jodaNumber(s, i+1, 2, false); !ok {
				return time.Time{}, false
			}
		}
	}
	h, mi, sec, nanos := 0, 0, 0, 0
	loc := time.UTC
	if i < len(s) && s[i] == 'T' {
		if h, i, ok = jodaNumber(s, i+1, 2, false); !ok {
			return time.Time{}, false
		}
		if i < len(s) && s[i] == ':' {
			if mi, i, ok = jodaNumber(s, i+1, 2, false); !ok {
				return time.Time{}, false
			}
			if i < len(s) && s[i] == ':' {
				if sec, i, ok = jodaNumber(s, i+1, 2, false); !ok {
					return time.Time{}, false
				}
				if i < len(s) && (s[i] == '.' || s[i] == ',') {
					start := i + 1
					i = start
					scale := 100000000
					for i < len(s) && s[i] >= '0' && s[i] <= '9' {
						nanos += int(s[i]-'0') * scale
						scale /= 10
						i++
					}
					if i == start {
						return time.Time{}, false
					}
				}
			}
		}
		if i < len(s) {
			switch s[i] {
			case 'Z':
				i++
			case '+', '-':
				sign := 1
				if s[i] == '-' {
					sign = -1
				}
				oh, j, ok := jodaNumber(s, i+1, 2, false)
				if !ok || j-(i+1) != 2 {
					return time.Time{}, false
				}
				i = j
				om := 0
				if i < len(s) && s[i] == ':' {
					i++
				}
				if i < len(s) {
					if om, j, ok = jodaNumber(s, i, 2, false); !ok || j-i != 2 {
						return time.Time{}, false
					}
					i = j
				}
				if oh > 23 || om > 59 {
					return time.Time{}, false
				}
				loc = time.FixedZone("", sign*(oh*3600+om*60))
			}
		}
	}
	if i != len(s) || !validCivil(y, mo, d, h, mi, sec) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, nanos/1e6*1e6, loc), true
}

// isoDateTimeError is the message of a failed ISO date-time parse.
func isoDateTimeError(s string) string {
	return `Invalid format: "` + s + `"`
}
