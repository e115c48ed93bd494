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
	if b, ok := AppendTimestampMillis(dst, t.UnixMilli()); ok {
		return b
	}
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

// Milliseconds since the epoch of 0000-01-01 00:00:00.000 and of
// 10000-01-01 00:00:00.000 UTC: AppendTimestampMillis's range.
const (
	minTimestampMillis = -62167219200000
	endTimestampMillis = 253402300800000
)

// AppendTimestampMillis appends the enriched-event rendering of ms
// milliseconds since the Unix epoch (UTC) to dst, as AppendTimestamp of
// time.UnixMilli(ms) does; ok is false, and dst unchanged, for an instant
// outside the years 0000-9999.
func AppendTimestampMillis(dst []byte, ms int64) ([]byte, bool) {
	if ms < minTimestampMillis || ms >= endTimestampMillis {
		return dst, false
	}
	days := ms / 86400000
	rem := ms % 86400000
	if rem < 0 {
		days--
		rem += 86400000
	}
	y, mo, d := civilFromDays(days)
	var b [23]byte
	put := func(i, v, width int) {
		for j := i + width - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, mo, 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = ' '
	put(11, int(rem/3600000), 2)
	b[13] = ':'
	put(14, int(rem/60000%60), 2)
	b[16] = ':'
	put(17, int(rem/1000%60), 2)
	b[19] = '.'
	put(20, int(rem%1000), 3)
	return append(dst, b[:]...), true
}

// civilFromDays is the proleptic Gregorian date of the day that is days
// after 1970-01-01 (H. Hinnant's civil_from_days).
func civilFromDays(days int64) (y, mo, d int) {
	z := days + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	mo = int(mp + 3)
	if mp >= 10 {
		mo = int(mp - 9)
	}
	y = int(yoe + era*400)
	if mo <= 2 {
		y++
	}
	return y, mo, d
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
	p, err := parseTimestampParts(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(p.y, time.Month(p.mo), p.d, p.h, p.mi, p.sec, p.ms*1e6, time.UTC), nil
}

// TimestampUnixMilli is ParseTimestamp(s) as milliseconds since the Unix
// epoch (same errors), without building a time.Time.
func TimestampUnixMilli(s string) (int64, error) {
	p, err := parseTimestampParts(s)
	if err != nil {
		return 0, err
	}
	days := daysFromCivil(p.y, p.mo, p.d)
	return ((days*24+int64(p.h))*60+int64(p.mi))*60000 + int64(p.sec)*1000 + int64(p.ms), nil
}

// tsParts are the fields of a timestamp.
type tsParts struct{ y, mo, d, h, mi, sec, ms int }

func parseTimestampParts(s string) (tsParts, error) {
	if len(s) < 19 || len(s) > 23 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return tsParts{}, fmt.Errorf("timestamp [%s] is not yyyy-MM-dd HH:mm:ss.SSS", s)
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
		return tsParts{}, fmt.Errorf("timestamp [%s] is not yyyy-MM-dd HH:mm:ss.SSS", s)
	}
	if d > daysIn(y, mo) {
		return tsParts{}, fmt.Errorf("timestamp [%s] is not a calendar date", s)
	}
	return tsParts{y, mo, d, h, mi, sec, ms}, nil
}

// daysIn is the number of days of month mo (1-12) of year y (proleptic
// Gregorian, as package time).
func daysIn(y, mo int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-mo-d (proleptic
// Gregorian; H. Hinnant's days_from_civil).
func daysFromCivil(y, mo, d int) int64 {
	if mo <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	m := mo + 9
	if mo > 2 {
		m = mo - 3
	}
	doy := (153*m+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
