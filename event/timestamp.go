package event

import (
	"fmt"
	"time"
)

// TimestampLayout is the enriched-event timestamp layout (Joda
// "yyyy-MM-dd HH:mm:ss.SSS"), always UTC.
const TimestampLayout = "2006-01-02 15:04:05.000"

// FormatTimestamp renders t as an enriched-event timestamp in UTC, truncated
// to milliseconds. Years outside 0000-9999 are clamped by the caller's
// validation; this function never fails.
func FormatTimestamp(t time.Time) string {
	var buf [32]byte
	return string(AppendTimestamp(buf[:0], t))
}

// AppendTimestamp appends the enriched-event rendering of t (UTC, ms) to dst.
func AppendTimestamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, TimestampLayout)
	}
	dst = appendInt(dst, y, 4)
	dst = append(dst, '-')
	dst = appendInt(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, d, 2)
	dst = append(dst, ' ')
	dst = appendInt(dst, h, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, s, 2)
	dst = append(dst, '.')
	return appendInt(dst, ms, 3)
}

func appendInt(dst []byte, v, width int) []byte {
	var buf [8]byte
	i := len(buf)
	for w := 0; w < width || v > 0; w++ {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[i:]...)
}

// ParseTimestamp parses an enriched-event timestamp. It accepts the canonical
// "yyyy-MM-dd HH:mm:ss.SSS" and, as loaders did, a missing or shorter
// fraction ("yyyy-MM-dd HH:mm:ss", ".S", ".SS").
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) < 19 || len(s) > 23 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, fmt.Errorf("timestamp [%s] is not yyyy-MM-dd HH:mm:ss.SSS", s)
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	ms := 0
	ok7 := true
	if len(s) > 19 {
		if s[19] != '.' || len(s) == 20 {
			ok7 = false
		} else {
			frac, ok := num(20, len(s))
			ok7 = ok
			for i := len(s) - 20; i < 3; i++ {
				frac *= 10
			}
			ms = frac
		}
	}
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("timestamp [%s] is not yyyy-MM-dd HH:mm:ss.SSS", s)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*1e6, time.UTC)
	if t.Day() != d {
		return time.Time{}, fmt.Errorf("timestamp [%s] is not a calendar date", s)
	}
	return t, nil
}
