package enrich

import (
	"testing"

	"github.com/furrowdata/furrow/event"
)

func TestDerivedTimestamp(t *testing.T) {
	for _, c := range []struct{ sent, created, collector, trueTs, want string }{
		// DerivedTstampSpec: collector - (sent - created)
		{"2013-10-07 23:35:27.572", "2013-10-07 23:35:27.571", "2013-10-07 23:35:30.000", "", "2013-10-07 23:35:29.999"},
		// true_tstamp wins
		{"2013-10-07 23:35:27.572", "2013-10-07 23:35:27.571", "2013-10-07 23:35:30.000", "2013-01-01 00:00:00.000", "2013-01-01 00:00:00.000"},
		// sent before (or equal to) created: the collector timestamp
		{"2013-10-07 23:35:27.000", "2013-10-07 23:35:28.000", "2013-10-07 23:35:30.000", "", "2013-10-07 23:35:30.000"},
		// a device timestamp missing: the collector timestamp
		{"", "2013-10-07 23:35:28.000", "2013-10-07 23:35:30.000", "", "2013-10-07 23:35:30.000"},
		{"", "", "", "", ""},
		// Joda subtracts a Period field by field, not a duration: created
		// Jan 31, sent Mar 1 (2013) is "1 month 1 day"; Mar 31 minus 1 month
		// is Feb 28, minus 1 day is Feb 27 (a duration would give Mar 2).
		{"2013-03-01 00:00:00.000", "2013-01-31 00:00:00.000", "2013-03-31 12:00:00.000", "", "2013-02-27 12:00:00.000"},
		// 1 year from a leap day: Feb 29 2012 to Mar 1 2013 is 1 year 1 day.
		{"2013-03-01 00:00:00.000", "2012-02-29 00:00:00.000", "2014-02-15 00:00:00.000", "", "2013-02-14 00:00:00.000"},
		// weeks, days, hours, minutes, seconds, millis are exact
		{"2013-01-20 10:11:12.013", "2013-01-01 00:00:00.000", "2013-06-30 00:00:00.000", "", "2013-06-10 13:48:47.987"},
	} {
		got, msg := derivedTimestamp(c.sent, c.created, c.collector, c.trueTs)
		if got != c.want || msg != "" {
			t.Errorf("derivedTimestamp(%q, %q, %q, %q) = %q, %q; want %q", c.sent, c.created, c.collector, c.trueTs, got, msg, c.want)
		}
	}
}

func TestMonthDifference(t *testing.T) {
	ms := func(s string) int64 {
		tt, err := parseTS(s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	for _, c := range []struct {
		end, start string
		want       int
	}{
		{"2013-03-01 00:00:00.000", "2013-01-31 00:00:00.000", 1},
		{"2013-02-28 00:00:00.000", "2013-01-31 00:00:00.000", 1}, // last day of a short month
		{"2013-02-27 00:00:00.000", "2013-01-31 00:00:00.000", 0},
		{"2014-01-15 00:00:00.000", "2013-01-15 00:00:00.001", 11},
	} {
		if got := monthDifference(ms(c.end), ms(c.start)); got != c.want {
			t.Errorf("monthDifference(%s, %s) = %d, want %d", c.end, c.start, got, c.want)
		}
	}
}

func parseTS(s string) (int64, error) {
	tt, err := event.ParseTimestamp(s)
	if err != nil {
		return 0, err
	}
	return tt.UnixMilli(), nil
}
