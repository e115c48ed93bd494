package enrich

import (
	"time"

	"github.com/furrowdata/furrow/event"
)

// derivedTimestamp is EventEnrichments.getDerivedTimestamp: true_tstamp if
// set; else, when dvce_sent_tstamp, dvce_created_tstamp and
// collector_tstamp are all set and the device created the event before
// sending it, collector_tstamp minus the Joda Period between the two
// device timestamps; else collector_tstamp.
func derivedTimestamp(sent, created, collector, trueTs string) (string, string) {
	if trueTs != "" {
		return trueTs, ""
	}
	if sent == "" || created == "" || collector == "" {
		return collector, ""
	}
	s, err1 := event.TimestampUnixMilli(created)
	e, err2 := event.TimestampUnixMilli(sent)
	ct, err3 := event.TimestampUnixMilli(collector)
	for _, err := range [...]error{err1, err2, err3} {
		if err != nil {
			return "", "Exception calculating derived timestamp: [java.lang.IllegalArgumentException: " + err.Error() + "]"
		}
	}
	if s >= e {
		return collector, ""
	}
	out, ok := jodaTimestamp(jodaMinusPeriod(ct, s, e))
	if !ok {
		return "", "Exception calculating derived timestamp: [java.lang.IllegalArgumentException: " + out + "]"
	}
	return out, ""
}

const (
	msPerSecond = int64(1000)
	msPerMinute = 60 * msPerSecond
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
	msPerWeek   = 7 * msPerDay
)

// jodaMinusPeriod returns instant.minus(new Period(start, end)) in Joda's
// ISO chronology, UTC: the standard period (years, months, weeks, days,
// hours, minutes, seconds, millis) is measured field by field from start to
// end (start < end) and then subtracted field by field from instant.
func jodaMinusPeriod(instant, start, end int64) int64 {
	s := start
	years := yearDifference(end, s)
	if years != 0 {
		s = addYears(s, years)
	}
	months := monthDifference(end, s)
	if months != 0 {
		s = addMonths(s, months)
	}
	rest := end - s // weeks … millis are precise fields
	out := instant
	if years != 0 {
		out = addYears(out, -years)
	}
	if months != 0 {
		out = addMonths(out, -months)
	}
	// Subtracting weeks, days, hours, minutes, seconds and millis one by one
	// equals subtracting their sum.
	return out - rest
}

func utc(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func yearStart(y int) int64 { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() }

func monthStart(y int, m time.Month) int64 {
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// yearDifference is BasicGJChronology.getYearDifference (minuend >=
// subtrahend).
func yearDifference(minuend, subtrahend int64) int {
	my, sy := utc(minuend).Year(), utc(subtrahend).Year()
	mrem, srem := minuend-yearStart(my), subtrahend-yearStart(sy)
	const feb29 = (31 + 28) * msPerDay
	if srem >= feb29 {
		if isLeap(sy) {
			if !isLeap(my) {
				srem -= msPerDay
			}
		} else if mrem >= feb29 && isLeap(my) {
			mrem -= msPerDay
		}
	}
	d := my - sy
	if mrem < srem {
		d--
	}
	return d
}

// monthDifference is BasicMonthOfYearDateTimeField.getDifferenceAsLong
// (minuend >= subtrahend).
func monthDifference(minuend, subtrahend int64) int {
	mt, st := utc(minuend), utc(subtrahend)
	my, mm := mt.Year(), mt.Month()
	sy, sm := st.Year(), st.Month()
	d := (my-sy)*12 + int(mm) - int(sm)
	mdom := mt.Day()
	if mdom == daysIn(my, mm) && st.Day() > mdom {
		subtrahend -= int64(st.Day()-mdom) * msPerDay
	}
	if minuend-monthStart(my, mm) < subtrahend-monthStart(sy, sm) {
		d--
	}
	return d
}

// addYears is Joda's year field add: same month and day (Feb 29 becomes
// Feb 28 in a common year), same time of day.
func addYears(ms int64, n int) int64 {
	t := utc(ms)
	y := t.Year() + n
	d := t.Day()
	if t.Month() == time.February && d == 29 && !isLeap(y) {
		d = 28
	}
	return time.Date(y, t.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixMilli()
}

// addMonths is BasicMonthOfYearDateTimeField.add: the day of month is
// clamped to the target month's length.
func addMonths(ms int64, n int) int64 {
	t := utc(ms)
	total := t.Year()*12 + int(t.Month()) - 1 + n
	y := total / 12
	m := total % 12
	if m < 0 {
		m += 12
		y--
	}
	mon := time.Month(m + 1)
	d := t.Day()
	if max := daysIn(y, mon); d > max {
		d = max
	}
	return time.Date(y, mon, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixMilli()
}
