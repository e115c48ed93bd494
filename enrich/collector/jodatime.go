package collector

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Snowplow built collector timestamps of the text logs with
//
//	DateTime.parse(date + "T" + time + "+00:00")
//
// i.e. Joda-Time's ISODateTimeFormat.dateTimeParser() with the offset
// parsed. This file ports the parts of that parser the constructed text can
// reach: the date element (yyyy[-MM[-dd]], yyyy-DDD, xxxx-Www[-e]), the time
// element (HH[:mm[:ss]] with '.'/',' fractions of the last unit) and the
// offset, with Joda's rules for choosing among alternatives and for the
// error position, the "Invalid format" messages, and the field range checks
// ("Cannot parse ...: Value 13 for monthOfYear must be in the range
// [1,12]").

// jbucket holds the fields parsed so far (Joda's DateTimeParserBucket).
type jbucket struct {
	set                          uint32
	year, month, day, doy        int
	weekyear, week, dow          int
	hour, minute, second         int
	fracMillis, fracUnit, offset int
}

// field bits of jbucket.set
const (
	jYear = 1 << iota
	jMonth
	jDay
	jDOY
	jWeekyear
	jWeek
	jDOW
	jHour
	jMinute
	jSecond
	jFrac
	jOffset
)

// jparser parses text at pos into b and returns the new position, or the
// bitwise complement of the failure position.
type jparser func(b *jbucket, text []byte, pos int) int

func jseq(ps ...jparser) jparser {
	return func(b *jbucket, text []byte, pos int) int {
		for _, p := range ps {
			if pos < 0 {
				break
			}
			pos = p(b, text, pos)
		}
		return pos
	}
}

// jalt is Joda's MatchingParser: the alternative that parses furthest wins
// (the first to reach the end, or the last alternative, wins at once); a
// nil alternative makes the whole optional. On failure the furthest failure
// position is reported.
func jalt(ps ...jparser) jparser {
	return func(b *jbucket, text []byte, pos int) int {
		orig := *b
		bestValid, bestInvalid := pos, pos
		var bestState jbucket
		haveBest, optional := false, false
		for i, p := range ps {
			if p == nil {
				if bestValid <= pos {
					return pos
				}
				optional = true
				break
			}
			r := p(b, text, pos)
			if r >= pos {
				if r > bestValid {
					if r >= len(text) || i+1 >= len(ps) || ps[i+1] == nil {
						return r
					}
					bestValid, bestState, haveBest = r, *b, true
				}
			} else if r < 0 {
				if f := ^r; f > bestInvalid {
					bestInvalid = f
				}
			}
			*b = orig
		}
		if bestValid > pos || (bestValid == pos && optional) {
			if haveBest {
				*b = bestState
			}
			return bestValid
		}
		return ^bestInvalid
	}
}

func jopt(p jparser) jparser { return jalt(p, nil) }

func toUpperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// jlit matches a literal, ignoring ASCII case as Joda does.
func jlit(lit string) jparser {
	return func(_ *jbucket, text []byte, pos int) int {
		if len(text)-pos < len(lit) {
			return ^pos
		}
		for i := 0; i < len(lit); i++ {
			if toUpperASCII(text[pos+i]) != toUpperASCII(lit[i]) {
				return ^pos
			}
		}
		return pos + len(lit)
	}
}

// jnum is Joda's NumberFormatter: up to maxDigits digits, with an optional
// sign for signed fields.
func jnum(field uint32, maxDigits int, signed bool) jparser {
	return func(b *jbucket, text []byte, pos int) int {
		limit := min(maxDigits, len(text)-pos)
		neg, sign := false, false
		n := 0
		for n < limit {
			c := text[pos+n]
			if n == 0 && signed && (c == '-' || c == '+') {
				if n+1 >= limit {
					break
				}
				if d := text[pos+n+1]; d < '0' || d > '9' {
					break
				}
				neg, sign = c == '-', true
				n++
				limit = min(limit+1, len(text)-pos)
				continue
			}
			if c < '0' || c > '9' {
				break
			}
			n++
		}
		if n == 0 || (sign && n == 1) {
			return ^pos
		}
		digits := text[pos:][:n]
		if sign {
			digits = digits[1:]
		}
		v := 0
		for _, d := range digits {
			v = v*10 + int(d-'0')
		}
		if neg {
			v = -v
		}
		b.put(field, v)
		return pos + n
	}
}

func (b *jbucket) put(field uint32, v int) {
	b.set |= field
	switch field {
	case jYear:
		b.year = v
	case jMonth:
		b.month = v
	case jDay:
		b.day = v
	case jDOY:
		b.doy = v
	case jWeekyear:
		b.weekyear = v
	case jWeek:
		b.week = v
	case jDOW:
		b.dow = v
	case jHour:
		b.hour = v
	case jMinute:
		b.minute = v
	case jSecond:
		b.second = v
	}
}

// jfrac is Joda's Fraction parser for a unit of unitMillis: up to nine
// digits, truncated to milliseconds.
func jfrac(unitMillis int) jparser {
	return func(b *jbucket, text []byte, pos int) int {
		limit := min(9, len(text)-pos)
		var value int64
		n := int64(unitMillis) * 10
		k := 0
		for k < limit {
			c := text[pos+k]
			if c < '0' || c > '9' {
				break
			}
			k++
			nn := n / 10
			value += int64(c-'0') * nn
			n = nn
		}
		value /= 10
		if k == 0 {
			return ^pos
		}
		b.set |= jFrac
		b.fracMillis, b.fracUnit = int(value), unitMillis
		return pos + k
	}
}

func digitCount(text []byte, pos, max int) int {
	n := 0
	for n < max && pos+n < len(text) && text[pos+n] >= '0' && text[pos+n] <= '9' {
		n++
	}
	return n
}

// joffset is appendTimeZoneOffset("Z", true, 2, 4).
func joffset(b *jbucket, text []byte, pos int) int {
	if pos < len(text) && (text[pos] == 'Z' || text[pos] == 'z') {
		b.set |= jOffset
		b.offset = 0
		return pos + 1
	}
	if len(text)-pos <= 1 {
		return ^pos
	}
	neg := false
	switch text[pos] {
	case '-':
		neg = true
	case '+':
	default:
		return ^pos
	}
	pos++
	if digitCount(text, pos, 2) < 2 {
		return ^pos
	}
	two := func(p int) int { return int(text[p]-'0')*10 + int(text[p+1]-'0') }
	hours := two(pos)
	if hours > 23 {
		return ^pos
	}
	off := hours * 3600000
	pos += 2
	func() {
		if pos >= len(text) {
			return
		}
		sep := false
		switch c := text[pos]; {
		case c == ':':
			sep = true
			pos++
		case c >= '0' && c <= '9':
		default:
			return
		}
		cnt := digitCount(text, pos, 2)
		if cnt == 0 && !sep {
			return
		} else if cnt < 2 {
			pos = ^pos
			return
		}
		m := two(pos)
		if m > 59 {
			pos = ^pos
			return
		}
		off += m * 60000
		pos += 2
		if pos >= len(text) {
			return
		}
		if sep {
			if text[pos] != ':' {
				return
			}
			pos++
		}
		cnt = digitCount(text, pos, 2)
		if cnt == 0 && !sep {
			return
		} else if cnt < 2 {
			pos = ^pos
			return
		}
		s := two(pos)
		if s > 59 {
			pos = ^pos
			return
		}
		off += s * 1000
		pos += 2
		if pos >= len(text) {
			return
		}
		if sep {
			if text[pos] != '.' && text[pos] != ',' {
				return
			}
			pos++
		}
		cnt = digitCount(text, pos, 3)
		if cnt == 0 && !sep {
			return
		} else if cnt < 1 {
			pos = ^pos
			return
		}
		off += int(text[pos]-'0') * 100
		pos++
		if cnt > 1 {
			off += int(text[pos]-'0') * 10
			pos++
			if cnt > 2 {
				off += int(text[pos] - '0')
				pos++
			}
		}
	}()
	if pos < 0 {
		return pos
	}
	if neg {
		off = -off
	}
	b.set |= jOffset
	b.offset = off
	return pos
}

// isoDateTimeParser is ISODateTimeFormat.dateTimeParser().
var isoDateTimeParser = func() jparser {
	decimalPoint := jalt(jlit("."), jlit(","))
	timeElement := jseq(
		jnum(jHour, 2, false),
		jalt(
			jseq(jlit(":"), jnum(jMinute, 2, false),
				jalt(
					jseq(jlit(":"), jnum(jSecond, 2, false), jopt(jseq(decimalPoint, jfrac(1000)))),
					jseq(decimalPoint, jfrac(60000)),
					nil)),
			jseq(decimalPoint, jfrac(3600000)),
			nil),
	)
	dateElement := jalt(
		jseq(jnum(jYear, 9, true), jopt(jseq(jlit("-"), jnum(jMonth, 2, false), jopt(jseq(jlit("-"), jnum(jDay, 2, false)))))),
		jseq(jnum(jWeekyear, 9, true), jlit("-W"), jnum(jWeek, 2, false), jopt(jseq(jlit("-"), jnum(jDOW, 1, false)))),
		jseq(jnum(jYear, 9, true), jlit("-"), jnum(jDOY, 3, false)),
	)
	timeOnly := jseq(jlit("T"), timeElement, jopt(joffset))
	dateOptTime := jseq(dateElement, jopt(jseq(jlit("T"), jopt(timeElement), jopt(joffset))))
	return jalt(timeOnly, dateOptTime)
}()

// Joda's ISO chronology year range.
const (
	jodaMinYear = -292275055
	jodaMaxYear = 292278994
)

// jodaInvalidFormat is FormatUtils.createErrorMessage; errorPos is a byte
// index of text at a character boundary (Java counts UTF-16 units).
func jodaInvalidFormat(text string, errorPos int) string {
	u := utf16Len(text[:errorPos])
	sample := text
	if utf16Len(text) > u+32+3 {
		sample = utf16Prefix(text, u+32) + "..."
	}
	switch {
	case u <= 0:
		return `Invalid format: "` + sample + `"`
	case errorPos >= len(text):
		return `Invalid format: "` + sample + `" is too short`
	}
	rest := sample[len(utf16Prefix(sample, u)):]
	return `Invalid format: "` + sample + `" is malformed at "` + rest + `"`
}

func fieldRange(text, name string, v, lo, hi int) string {
	return `Cannot parse "` + text + `": Value ` + strconv.Itoa(v) + " for " + name +
		" must be in the range [" + strconv.Itoa(lo) + "," + strconv.Itoa(hi) + "]"
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d (proleptic
// Gregorian, astronomical year numbering as Joda's ISO chronology).
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// isoWeekday of a day count from the epoch: 1 = Monday … 7 = Sunday.
func isoWeekday(days int64) int {
	w := (days + 3) % 7 // 1970-01-01 was a Thursday
	if w < 0 {
		w += 7
	}
	return int(w) + 1
}

func weeksInWeekyear(y int) int {
	jan1 := isoWeekday(daysFromCivil(y, 1, 1))
	if jan1 == 4 || (jan1 == 3 && isLeap(y)) {
		return 53
	}
	return 52
}

func digits2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	return int(d0)*10 + int(d1), d0 <= 9 && d1 <= 9
}

// fastCollectorTime handles the layout every real log has, "yyyy-MM-dd"
// and "HH:mm:ss" with an optional fraction, without the general parser.
// ok is false for anything else, including out-of-range fields, which the
// general parser then reports with Joda's message.
func fastCollectorTime(date, clock []byte) (ms int64, ok bool) {
	if len(date) != 10 || date[4] != '-' || date[7] != '-' || len(clock) < 8 || clock[2] != ':' || clock[5] != ':' {
		return 0, false
	}
	y1, ok1 := digits2(date[0:2])
	y2, ok2 := digits2(date[2:4])
	mo, ok3 := digits2(date[5:7])
	d, ok4 := digits2(date[8:10])
	h, ok5 := digits2(clock[0:2])
	mi, ok6 := digits2(clock[3:5])
	sec, ok7 := digits2(clock[6:8])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, false
	}
	y := y1*100 + y2
	if mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	frac := 0
	if len(clock) > 8 {
		f := clock[9:]
		if clock[8] != '.' && clock[8] != ',' || len(f) == 0 || len(f) > 9 {
			return 0, false
		}
		for i, c := range f {
			if c < '0' || c > '9' {
				return 0, false
			}
			if i < 3 {
				frac = frac*10 + int(c-'0')
			}
		}
		for i := len(f); i < 3; i++ {
			frac *= 10
		}
	}
	ms = daysFromCivil(y, mo, d)*86400000 + int64(h)*3600000 + int64(mi)*60000 + int64(sec)*1000 + int64(frac)
	return ms, true
}

// jodaParseCollectorTime is CloudfrontLoader.toTimestamp(date, time). On
// failure it returns Snowplow's message.
func jodaParseCollectorTime(date, clock []byte) (time.Time, string) {
	if ms, ok := fastCollectorTime(date, clock); ok {
		return time.UnixMilli(ms).UTC(), ""
	}
	return jodaParseSlow(date, clock)
}

func jodaParseSlow(date, clock []byte) (time.Time, string) {
	var tb [64]byte
	text := append(append(append(append(tb[:0], date...), 'T'), clock...), "+00:00"...)
	if !utf8.Valid(text) {
		text = appendJavaUTF8(nil, text)
	}
	var b jbucket
	pos := isoDateTimeParser(&b, text, 0)
	if pos < 0 || pos < len(text) {
		if pos < 0 {
			pos = ^pos
		}
		return time.Time{}, collectorTimeMessage(date, clock, jodaInvalidFormat(string(text), pos))
	}
	ms, msg := b.millis(string(text))
	if msg != "" {
		return time.Time{}, collectorTimeMessage(date, clock, msg)
	}
	return time.UnixMilli(ms).UTC(), ""
}

func collectorTimeMessage(date, clock []byte, cause string) string {
	return "Unexpected exception converting date [" + javaString(date) + "] and time [" + javaString(clock) +
		"] to timestamp: [" + cause + "]"
}

// millis computes the instant, checking field ranges in Joda's order
// (largest field first).
func (b *jbucket) millis(text string) (int64, string) {
	var days int64
	switch {
	case b.set&jWeekyear != 0:
		if b.weekyear < jodaMinYear || b.weekyear > jodaMaxYear {
			return 0, fieldRange(text, "weekyear", b.weekyear, jodaMinYear, jodaMaxYear)
		}
		if n := weeksInWeekyear(b.weekyear); b.week < 1 || b.week > n {
			return 0, fieldRange(text, "weekOfWeekyear", b.week, 1, n)
		}
		dow := 1 // Joda gives the Monday of the week when no day is given
		if b.set&jDOW != 0 {
			if b.dow < 1 || b.dow > 7 {
				return 0, fieldRange(text, "dayOfWeek", b.dow, 1, 7)
			}
			dow = b.dow
		}
		jan4 := daysFromCivil(b.weekyear, 1, 4)
		monday := jan4 - int64(isoWeekday(jan4)-1)
		days = monday + int64(b.week-1)*7 + int64(dow-1)
	default:
		y := 1970
		if b.set&jYear != 0 {
			if b.year < jodaMinYear || b.year > jodaMaxYear {
				return 0, fieldRange(text, "year", b.year, jodaMinYear, jodaMaxYear)
			}
			y = b.year
		}
		if b.set&jDOY != 0 {
			n := 365
			if isLeap(y) {
				n = 366
			}
			if b.doy < 1 || b.doy > n {
				return 0, fieldRange(text, "dayOfYear", b.doy, 1, n)
			}
			days = daysFromCivil(y, 1, 1) + int64(b.doy-1)
			break
		}
		m, d := 1, 1
		if b.set&jMonth != 0 {
			if b.month < 1 || b.month > 12 {
				return 0, fieldRange(text, "monthOfYear", b.month, 1, 12)
			}
			m = b.month
		}
		if b.set&jDay != 0 {
			if n := daysInMonth(y, m); b.day < 1 || b.day > n {
				return 0, fieldRange(text, "dayOfMonth", b.day, 1, n)
			}
			d = b.day
		}
		days = daysFromCivil(y, m, d)
	}
	ms := days * 86400000
	if b.set&jHour != 0 {
		if b.hour > 23 {
			return 0, fieldRange(text, "hourOfDay", b.hour, 0, 23)
		}
		ms += int64(b.hour) * 3600000
	}
	if b.set&jMinute != 0 {
		if b.minute > 59 {
			return 0, fieldRange(text, "minuteOfHour", b.minute, 0, 59)
		}
		ms += int64(b.minute) * 60000
	}
	if b.set&jSecond != 0 {
		if b.second > 59 {
			return 0, fieldRange(text, "secondOfMinute", b.second, 0, 59)
		}
		ms += int64(b.second) * 1000
	}
	if b.set&jFrac != 0 {
		ms += int64(b.fracMillis)
	}
	if b.set&jOffset != 0 {
		ms -= int64(b.offset)
	}
	return ms, ""
}
