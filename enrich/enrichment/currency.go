package enrichment

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"time"

	"github.com/furrowdata/furrow/enrich/enrichment/forex"
	"github.com/furrowdata/furrow/event"
)

// currency_conversion_config (R108: CurrencyConversionEnrichment over
// scala-forex 0.5; arithmetic in package forex).
//
// base_currency is set to parameters.baseCurrency on every event. Each of
// tr_total, tr_tax and tr_shipping (in tr_currency) and ti_price (in
// ti_currency) that is present with its currency is converted at the
// end-of-day rate of the collector timestamp's UTC day (rateAt EOD_PRIOR,
// the only value R108's schema allows; EOD_NOW, which scala-forex also
// knew, takes the next day) into *_base. Rates come from Open Exchange
// Rates' historical/YYYY-MM-DD.json, against USD for every accountType
// (ENTERPRISE and UNLIMITED add &base=USD, as scala-forex did).
//
// The OER API base URL is the environment variable FURROW_OER_ENDPOINT
// (e.g. http://127.0.0.1:8080/api/), default forex.DefaultEndpoint; the
// config schema allows no extra key for it. Each day's rates are fetched
// once and kept (up to 1000 days).
//
// Failure messages are R108's: "Open Exchange Rates error, type: [T],
// message: [M]" per failed amount, or one message for the whole event when
// R108 threw ("Could not connect to Open Exchange Rates: […]", "Base
// currency [X] not supported: […]", "Unexpected exception converting
// currency: […]").

// OEREndpointEnv names the environment variable holding the OER API base
// URL of the currency conversion enrichment.
const OEREndpointEnv = "FURROW_OER_ENDPOINT"

const (
	oerBase      = "USD" // scala-forex's ForexConfig().baseCurrency
	oerCacheDays = 1000
)

// oerDataFrom is the first day OER has rates for (scala-forex's oerDataFrom).
var oerDataFrom = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)

type currencyEnrichment struct {
	base    string
	nextDay bool // EOD_NOW
	client  *forex.Client
	now     func() time.Time
}

func newCurrencyConversion(cfg *CurrencyConversionConfig, env *Env) (CurrencyConversion, error) {
	c := &currencyEnrichment{base: cfg.BaseCurrency, now: time.Now}
	if _, ok := forex.Decimals(cfg.BaseCurrency); !ok {
		return nil, fmt.Errorf("parameters.baseCurrency: [%s] is not an ISO 4217 currency code Joda-Money knows", cfg.BaseCurrency)
	}
	switch cfg.RateAt {
	case "EOD_PRIOR":
	case "EOD_NOW":
		c.nextDay = true
	default:
		return nil, fmt.Errorf("parameters.rateAt: [%s] is not one of EOD_PRIOR, EOD_NOW", cfg.RateAt)
	}
	var setBase bool
	switch cfg.AccountType {
	case "DEVELOPER":
	case "ENTERPRISE", "UNLIMITED":
		setBase = true
	default:
		return nil, fmt.Errorf("parameters.accountType: [%s] is not one of DEVELOPER, ENTERPRISE, and UNLIMITED", cfg.AccountType)
	}
	if cfg.APIKey == "" {
		return nil, errors.New("parameters.apiKey: empty")
	}
	endpoint := forex.DefaultEndpoint
	if s := os.Getenv(OEREndpointEnv); s != "" {
		endpoint = s
	}
	client, err := forex.NewClient(endpoint, cfg.APIKey, setBase, env.HTTPClient, oerCacheDays)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", OEREndpointEnv, err)
	}
	c.client = client
	return c, nil
}

// currencyFatal is a failure R108 threw: it replaces all of the event's
// conversion messages.
type currencyFatal struct{ msg string }

func (e *currencyFatal) Error() string { return e.msg }

// ConvertCurrency sets base_currency and the *_base fields of e.
func (c *currencyEnrichment) ConvertCurrency(ctx context.Context, e *event.Event, collectorTstamp time.Time) error {
	e.Fields[event.BaseCurrency] = c.base
	type job struct {
		amount, currency, out event.Field
	}
	// R108 evaluated total, item price, tax, shipping; it reported failures
	// in the order total, tax, shipping, price.
	jobs := [...]job{
		{event.TrTotal, event.TrCurrency, event.TrTotalBase},
		{event.TiPrice, event.TiCurrency, event.TiPriceBase},
		{event.TrTax, event.TrCurrency, event.TrTaxBase},
		{event.TrShipping, event.TrCurrency, event.TrShippingBase},
	}
	if collectorTstamp.IsZero() {
		return r108Error("Collector timestamp missing")
	}
	var results [4]string
	var errs [4]error
	for i, j := range jobs {
		amountText, cur := e.Fields[j.amount], e.Fields[j.currency]
		if amountText == "" || cur == "" {
			continue
		}
		amount, err := strconv.ParseFloat(amountText, 64)
		if err != nil {
			return r108Errorf("Unexpected exception converting currency: [java.lang.NumberFormatException: %s]", amountText)
		}
		results[i], errs[i] = c.convert(ctx, amount, cur, collectorTstamp)
		var fatal *currencyFatal
		if errors.As(errs[i], &fatal) {
			return r108Error(fatal.msg)
		}
	}
	if err := errors.Join(errs[0], errs[2], errs[3], errs[1]); err != nil {
		return err
	}
	for i, j := range jobs {
		if results[i] != "" {
			e.Fields[j.out] = results[i]
		}
	}
	return nil
}

// convert is ForexLookupWhen.at (+ eod, getHistoricalRate,
// returnMoneyOrJodaError, returnApiError) for one amount.
func (c *currencyEnrichment) convert(ctx context.Context, amount float64, from string, tstamp time.Time) (string, error) {
	day := tstamp.UTC().Truncate(24 * time.Hour)
	if c.nextDay {
		day = day.Add(24 * time.Hour)
	}
	fromPlaces, fromOK := forex.Decimals(from)
	toPlaces, toOK := forex.Decimals(c.base)
	joda := func() string {
		s := ""
		if !fromOK {
			s += "Currency [" + from + "] is not supported by Joda money "
		}
		if !toOK { // scala-forex named the source currency here too
			s += "Currency [" + from + "] is not supported by Joda money "
		}
		return s
	}
	if day.Before(oerDataFrom) || day.After(c.now()) {
		return "", &forex.Error{Type: forex.ResourcesNotAvailable,
			Message: joda() + "Exchange rate unavailable on the date [" + day.Format("2006-01-02T15:04:05.000Z") + "] "}
	}
	rates, err := c.client.Historical(ctx, day.Format("2006-01-02"))
	if err != nil {
		var nerr *forex.NetError
		if errors.As(err, &nerr) {
			if nerr.UnknownHost {
				return "", &currencyFatal{"Could not connect to Open Exchange Rates: [" + nerr.Error() + "]"}
			}
			return "", &currencyFatal{"Unexpected exception converting currency: [" + nerr.Error() + "]"}
		}
		var ferr *forex.Error
		if errors.As(err, &ferr) {
			return "", &forex.Error{Type: ferr.Type, Message: joda() + ferr.Message}
		}
		return "", &currencyFatal{"Unexpected exception converting currency: [" + err.Error() + "]"}
	}
	baseOverFrom, ok := rates[from]
	if !ok {
		return "", &forex.Error{Type: forex.IllegalCurrency, Message: joda() + "Currency not found in the API, invalid currency " + from}
	}
	baseOverTo, ok := rates[c.base]
	if !ok {
		// R108 called from.left.get on a Right here and caught the
		// exception in convertCurrencies.
		return "", &currencyFatal{"Base currency [" + c.base + "] not supported: [java.util.NoSuchElementException: Either.left.value on Right]"}
	}
	rate, err := forex.Rate(from == oerBase, baseOverFrom, baseOverTo)
	if err != nil {
		return "", &currencyFatal{"Unexpected exception converting currency: [" + err.Error() + "]"}
	}
	if !fromOK || !toOK {
		return "", &forex.Error{Type: forex.IllegalCurrency,
			Message: "The exchange rate of [" + from + "]:[" + c.base + "] is " + rate.String() + ". However, " + joda()}
	}
	if from == c.base {
		out, err := forex.Convert(amount, big.NewRat(1, 1), fromPlaces)
		if err != nil {
			return "", &currencyFatal{"Unexpected exception converting currency: [" + err.Error() + "]"}
		}
		return out, nil
	}
	out, err := forex.Convert(amount, rate.Rat, toPlaces)
	if err != nil {
		return "", &currencyFatal{"Unexpected exception converting currency: [" + err.Error() + "]"}
	}
	return out, nil
}
