// Package forex owns the currency arithmetic and the Open Exchange Rates
// client of the currency conversion enrichment, reproducing what R108 got
// from scala-forex 0.5 and Joda-Money:
//
//   - rates are end-of-day rates against USD from OER's
//     historical/YYYY-MM-DD.json (scala-forex's ForexConfig default base);
//   - the rate from X to Y is rate(Y) when X is USD, otherwise
//     round(1/rate(X), 6 decimals, HALF_EVEN) × rate(Y), exactly
//     (Forex.getForexRate);
//   - the amount is the exact binary value of the double the event held
//     (new java.math.BigDecimal(double)), multiplied by the rate and rounded
//     HALF_EVEN to the target currency's ISO 4217 minor units
//     (BigMoney.convertedTo(…).toMoney(HALF_EVEN)), printed plain
//     (toPlainString: "39.90").
//
// All arithmetic is exact (math/big.Rat) until that final rounding.
package forex

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Client-facing errors carry the scala-forex error type R108 printed.
type ErrorType string

// The scala-forex OerResponseError types.
const (
	OtherErrors           ErrorType = "OtherErrors"
	IllegalCurrency       ErrorType = "IllegalCurrency"
	ResourcesNotAvailable ErrorType = "ResourcesNotAvailable"
)

// Error is a scala-forex OerResponseError: the conversion failed in a way
// R108 reported as "Open Exchange Rates error, type: [T], message: [M]".
type Error struct {
	Type    ErrorType
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("Open Exchange Rates error, type: [%s], message: [%s]", e.Type, e.Message)
}

// Decimals returns the number of minor-unit digits Joda-Money used for an
// ISO 4217 currency code; ok is false for a code Joda-Money did not know.
func Decimals(code string) (int, bool) {
	if d, ok := decimals[code]; ok {
		return d, true
	}
	return 0, false
}

// decimals is Joda-Money's currency data (ISO 4217 minor units; the
// pseudo-currencies, "N.A." in ISO 4217, use 0 places).
var decimals = func() map[string]int {
	m := map[string]int{}
	two := `AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
		CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
		GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL LTL LVL
		MAD MDL MGA MKD MMK MNT MOP MRO MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR
		PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SSP STD SVC SYP SZL THB TJS TMT TOP TRY TTD
		TWD TZS UAH USD USN UYU UZS VEF WST XCD YER ZAR ZMK ZMW ZWL`
	for _, c := range strings.Fields(two) {
		m[c] = 2
	}
	for _, c := range strings.Fields(`BIF BYR CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF
		XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX`) {
		m[c] = 0
	}
	for _, c := range strings.Fields(`BHD IQD JOD KWD LYD OMR TND`) {
		m[c] = 3
	}
	m["CLF"] = 4
	return m
}()

// ParseDecimal parses a JSON number exactly, with the scale
// java.math.BigDecimal gave it ("0.798057" → 6, "1" → 0, "1.5E-3" → 4).
func ParseDecimal(s string) (Decimal, bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Decimal{}, false
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil {
			return Decimal{}, false
		}
		exp = e
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
	}
	return Decimal{Rat: r, Scale: scale - exp}, true
}

// String prints d as BigDecimal.toString did for its scale (plain notation;
// furrow does not reproduce the scientific notation BigDecimal used for
// negative scales and very small numbers).
func (d Decimal) String() string {
	if d.Scale <= 0 {
		return d.Rat.FloatString(0)
	}
	return d.Rat.FloatString(d.Scale)
}

// Rate is Forex.getForexRate: the multiplier from one currency to another
// given both rates against the base (USD): rate(to) when from is the base,
// else round(1/rate(from), 6, HALF_EVEN) × rate(to). It fails like Java's
// BigDecimal division by zero.
func Rate(fromIsBase bool, baseOverFrom, baseOverTo Decimal) (Decimal, error) {
	if fromIsBase {
		return baseOverTo, nil
	}
	if baseOverFrom.Rat.Sign() == 0 {
		return Decimal{}, fmt.Errorf("java.lang.ArithmeticException: Division by zero")
	}
	inv := new(big.Rat).Inv(baseOverFrom.Rat)
	inv = RoundHalfEven(inv, 6)
	return Decimal{Rat: inv.Mul(inv, baseOverTo.Rat), Scale: 6 + baseOverTo.Scale}, nil
}

// RoundHalfEven rounds x to places decimal places, ties to even.
func RoundHalfEven(x *big.Rat, places int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	n := new(big.Int).Mul(x.Num(), scale)
	d := x.Denom()
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	// Compare 2|r| with d.
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	switch c := r2.Cmp(d); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, scale)
}

// Convert converts amount (the double an event field held) with rate and
// rounds HALF_EVEN to places, returning it as BigDecimal.toPlainString
// printed it (exactly places fraction digits).
func Convert(amount float64, rate *big.Rat, places int) (string, error) {
	if math.IsNaN(amount) || math.IsInf(amount, 0) {
		return "", fmt.Errorf("java.lang.NumberFormatException: Infinite or NaN")
	}
	if rate.Sign() < 0 {
		return "", fmt.Errorf("java.lang.IllegalArgumentException: Exchange rate must not be negative")
	}
	x := new(big.Rat).SetFloat64(amount)
	x.Mul(x, rate)
	return Plain(RoundHalfEven(x, places), places), nil
}

// Plain prints x, which has at most places decimals, with exactly places
// fraction digits ("39.90", "1234", "-0.50").
func Plain(x *big.Rat, places int) string {
	return x.FloatString(places)
}
