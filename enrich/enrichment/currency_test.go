package enrichment

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// testRates are this package's own rates (not the conformance ones).
var testRates = testservers.OERRates{
	"2015-03-02": {"USD": "1", "EUR": "0.892", "GBP": "0.6481", "JPY": "119.6", "BHD": "0.377", "KWD": "0", "XBT": "0.0036"},
	"2015-03-03": {"USD": "1", "EUR": "0.9", "GBP": "0.65"},
	"2015-03-04": {"USD": "1", "GBP": "0.65"},
}

func newCurrencyForTest(t *testing.T, endpoint, base, rateAt string) *currencyEnrichment {
	t.Helper()
	t.Setenv(OEREndpointEnv, endpoint)
	impl, err := newCurrencyConversion(&CurrencyConversionConfig{APIKey: "k", BaseCurrency: base, RateAt: rateAt, AccountType: "DEVELOPER"},
		&Env{HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c := impl.(*currencyEnrichment)
	c.now = func() time.Time { return time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC) }
	return c
}

func TestCurrencyConversion(t *testing.T) {
	srv := testservers.StartOER(t, testRates)
	c := newCurrencyForTest(t, srv.URL, "EUR", "EOD_PRIOR")
	ts := time.Date(2015, 3, 2, 23, 59, 0, 0, time.UTC)
	var e event.Event
	e.Fields[event.TrCurrency], e.Fields[event.TrTotal], e.Fields[event.TrTax], e.Fields[event.TrShipping] = "USD", "100", "19.99", "0.005"
	e.Fields[event.TiCurrency], e.Fields[event.TiPrice] = "GBP", "2000"
	if err := c.ConvertCurrency(context.Background(), &e, ts); err != nil {
		t.Fatal(err)
	}
	// 19.99 is the double 19.989999999999998436…; × 0.892 = 17.8310799… → 17.83.
	// 0.005 (a little over) × 0.892 = 0.00446 → 0.00.
	// GBP: round6(1/0.6481) = 1.542972; × 0.892 = 1.376331024; × 2000 → 2752.66.
	want := map[event.Field]string{event.BaseCurrency: "EUR", event.TrTotalBase: "89.20", event.TrTaxBase: "17.83",
		event.TrShippingBase: "0.00", event.TiPriceBase: "2752.66"}
	for f, w := range want {
		if e.Fields[f] != w {
			t.Errorf("%s = %q, want %q", f.Name(), e.Fields[f], w)
		}
	}
	// The day's rates were fetched once.
	if n := srv.Requests(); n != 1 {
		t.Errorf("%d OER requests for one day, want 1", n)
	}

	// Other scales: JPY has no minor unit, BHD three.
	for base, want := range map[string]string{"JPY": "11960", "BHD": "37.700"} {
		c := newCurrencyForTest(t, srv.URL, base, "EOD_PRIOR")
		var e event.Event
		e.Fields[event.TrCurrency], e.Fields[event.TrTotal] = "USD", "100"
		if err := c.ConvertCurrency(context.Background(), &e, ts); err != nil || e.Fields[event.TrTotalBase] != want {
			t.Errorf("USD 100 → %s = %q, %v; want %s", base, e.Fields[event.TrTotalBase], err, want)
		}
	}

	// EOD_NOW takes the next day's rates.
	c = newCurrencyForTest(t, srv.URL, "EUR", "EOD_NOW")
	e = event.Event{}
	e.Fields[event.TrCurrency], e.Fields[event.TrTotal] = "USD", "10"
	if err := c.ConvertCurrency(context.Background(), &e, ts); err != nil || e.Fields[event.TrTotalBase] != "9.00" {
		t.Errorf("EOD_NOW: %q, %v; want 9.00", e.Fields[event.TrTotalBase], err)
	}
}

func TestCurrencyNothingToConvert(t *testing.T) {
	srv := testservers.StartOER(t, testRates)
	c := newCurrencyForTest(t, srv.URL, "EUR", "EOD_PRIOR")
	var e event.Event
	e.Fields[event.TrTotal] = "10" // no currency
	if err := c.ConvertCurrency(context.Background(), &e, time.Date(2015, 3, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if e.Fields[event.BaseCurrency] != "EUR" || e.Fields[event.TrTotalBase] != "" || srv.Requests() != 0 {
		t.Errorf("base_currency %q, tr_total_base %q, %d requests", e.Fields[event.BaseCurrency], e.Fields[event.TrTotalBase], srv.Requests())
	}
}

func TestCurrencyFailures(t *testing.T) {
	srv := testservers.StartOER(t, testRates)
	day := time.Date(2015, 3, 2, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name, base, trCur, tiCur string
		ts                       time.Time
		want                     []string
	}{
		{"unknown to OER and Joda", "EUR", "ZZZ", "", day, []string{
			"Open Exchange Rates error, type: [IllegalCurrency], message: [Currency [ZZZ] is not supported by Joda money Currency not found in the API, invalid currency ZZZ]",
			"Open Exchange Rates error, type: [IllegalCurrency], message: [Currency [ZZZ] is not supported by Joda money Currency not found in the API, invalid currency ZZZ]"}},
		{"known to OER, not Joda", "EUR", "XBT", "", day, []string{
			"Open Exchange Rates error, type: [IllegalCurrency], message: [The exchange rate of [XBT]:[EUR] is 247.777777976. However, Currency [XBT] is not supported by Joda money ]",
			"Open Exchange Rates error, type: [IllegalCurrency], message: [The exchange rate of [XBT]:[EUR] is 247.777777976. However, Currency [XBT] is not supported by Joda money ]"}},
		{"base missing that day", "EUR", "GBP", "", time.Date(2015, 3, 4, 1, 0, 0, 0, time.UTC), []string{
			"Base currency [EUR] not supported: [java.util.NoSuchElementException: Either.left.value on Right]"}},
		{"future day", "EUR", "USD", "", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), []string{
			"Open Exchange Rates error, type: [ResourcesNotAvailable], message: [Exchange rate unavailable on the date [2017-01-01T00:00:00.000Z] ]",
			"Open Exchange Rates error, type: [ResourcesNotAvailable], message: [Exchange rate unavailable on the date [2017-01-01T00:00:00.000Z] ]"}},
		{"day without rates", "EUR", "USD", "", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), []string{
			"Open Exchange Rates error, type: [OtherErrors], message: [not_available]",
			"Open Exchange Rates error, type: [OtherErrors], message: [not_available]"}},
		{"division by zero", "EUR", "KWD", "", day, []string{
			"Unexpected exception converting currency: [java.lang.ArithmeticException: Division by zero]"}},
		{"per-amount errors in R108's order", "EUR", "ZZZ", "USD", day, []string{
			"Open Exchange Rates error, type: [IllegalCurrency], message: [Currency [ZZZ] is not supported by Joda money Currency not found in the API, invalid currency ZZZ]",
			"Open Exchange Rates error, type: [IllegalCurrency], message: [Currency [ZZZ] is not supported by Joda money Currency not found in the API, invalid currency ZZZ]"}},
	}
	for _, c := range cases {
		cc := newCurrencyForTest(t, srv.URL, c.base, "EOD_PRIOR")
		var e event.Event
		e.Fields[event.TrCurrency], e.Fields[event.TrTotal], e.Fields[event.TrShipping] = c.trCur, "10", "1"
		e.Fields[event.TiCurrency], e.Fields[event.TiPrice] = c.tiCur, "5"
		err := cc.ConvertCurrency(context.Background(), &e, c.ts)
		got := Messages(err)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	// A missing collector timestamp, and an unreachable or unknown host.
	cc := newCurrencyForTest(t, srv.URL, "EUR", "EOD_PRIOR")
	var e event.Event
	e.Fields[event.TrCurrency], e.Fields[event.TrTotal] = "USD", "1"
	if err := cc.ConvertCurrency(context.Background(), &e, time.Time{}); err == nil || err.Error() != "Collector timestamp missing" {
		t.Errorf("no collector tstamp: %v", err)
	}
	cc = newCurrencyForTest(t, "http://127.0.0.1:1/api/", "EUR", "EOD_PRIOR")
	if err := cc.ConvertCurrency(context.Background(), &e, day); err == nil || !strings.HasPrefix(err.Error(), "Unexpected exception converting currency: [") {
		t.Errorf("connection refused: %v", err)
	}
	cc = newCurrencyForTest(t, "http://no-such-host.invalid/api/", "EUR", "EOD_PRIOR")
	if err := cc.ConvertCurrency(context.Background(), &e, day); err == nil || err.Error() != "Could not connect to Open Exchange Rates: [java.net.UnknownHostException: no-such-host.invalid]" {
		t.Errorf("unknown host: %v", err)
	}
}

func TestCurrencyConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  CurrencyConversionConfig
		want string
	}{
		{CurrencyConversionConfig{APIKey: "k", BaseCurrency: "EURO", RateAt: "EOD_PRIOR", AccountType: "DEVELOPER"}, "parameters.baseCurrency"},
		{CurrencyConversionConfig{APIKey: "k", BaseCurrency: "EUR", RateAt: "NOW", AccountType: "DEVELOPER"}, "parameters.rateAt"},
		{CurrencyConversionConfig{APIKey: "k", BaseCurrency: "EUR", RateAt: "EOD_PRIOR", AccountType: "FREE"}, "parameters.accountType"},
		{CurrencyConversionConfig{APIKey: "", BaseCurrency: "EUR", RateAt: "EOD_PRIOR", AccountType: "DEVELOPER"}, "parameters.apiKey"},
	}
	for _, c := range cases {
		if _, err := newCurrencyConversion(&c.cfg, &Env{HTTPClient: http.DefaultClient}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.cfg, err, c.want)
		}
	}
	t.Setenv(OEREndpointEnv, "ftp://x")
	if _, err := newCurrencyConversion(&CurrencyConversionConfig{APIKey: "k", BaseCurrency: "EUR", RateAt: "EOD_PRIOR", AccountType: "UNLIMITED"},
		&Env{HTTPClient: http.DefaultClient}); err == nil || !strings.Contains(err.Error(), OEREndpointEnv) {
		t.Errorf("bad endpoint accepted: %v", err)
	}
}
