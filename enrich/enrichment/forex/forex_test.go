package forex

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/furrowdata/furrow/internal/testservers"
)

func TestForexRounding(t *testing.T) {
	r := func(s string) *big.Rat { x, _ := new(big.Rat).SetString(s); return x }
	cases := []struct {
		amount float64
		rate   string
		places int
		want   string
	}{
		{2.5, "1", 0, "2"}, {3.5, "1", 0, "4"}, {-2.5, "1", 0, "-2"}, {0.125, "1", 2, "0.12"}, {0.375, "1", 2, "0.38"},
		{1.005, "1", 2, "1.00"}, // the double 1.005 is 1.00499999999999989…
		{8000, "0.798057", 2, "6384.46"}, {50, "0.798057", 2, "39.90"},
	}
	for _, c := range cases {
		got, err := Convert(c.amount, r(c.rate), c.places)
		if err != nil || got != c.want {
			t.Errorf("Convert(%v, %s, %d) = %s, %v; want %s", c.amount, c.rate, c.places, got, err, c.want)
		}
	}
	d := func(s string) Decimal { x, _ := ParseDecimal(s); return x }
	rate, _ := Rate(false, d("0.63816"), d("0.798057"))
	if got := rate.String(); got != "1.250559309285" {
		t.Errorf("GBP→EUR rate = %s", got)
	}
	rate, _ = Rate(false, d("0.5"), d("0.90"))
	if got := rate.String(); got != "1.80000000" { // BigDecimal keeps the scale 6+2
		t.Errorf("rate = %s, want 1.80000000", got)
	}
	if x := d("1.5E-3"); x.Scale != 4 || x.String() != "0.0015" {
		t.Errorf("1.5E-3 = %+v", x)
	}
}

func TestClient(t *testing.T) {
	srv := testservers.StartOER(t, testservers.OERRates{"2012-05-27": {"USD": "1", "EUR": "0.798057", "GBP": "6.3816E-1"}})
	c, err := NewClient(srv.URL, "key", true, &http.Client{Timeout: 5 * time.Second}, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := c.Historical(ctx, "2012-05-27")
	if err != nil {
		t.Fatal(err)
	}
	if r["EUR"].String() != "0.798057" || r["GBP"].Scale != 5 || r["GBP"].String() != "0.63816" {
		t.Errorf("rates %v %v", r["EUR"], r["GBP"])
	}
	if _, err := c.Historical(ctx, "2012-05-27"); err != nil || srv.Requests() != 1 {
		t.Errorf("second lookup: %v, %d requests (want 1: cached)", err, srv.Requests())
	}
	_, err = c.Historical(ctx, "2012-05-28")
	var fe *Error
	if !errors.As(err, &fe) || fe.Type != OtherErrors || fe.Message != "not_available" {
		t.Errorf("missing day: %v", err)
	}
	noKey, _ := NewClient(srv.URL, "", false, http.DefaultClient, 2)
	if _, err := noKey.Historical(ctx, "2012-05-27"); !errors.As(err, &fe) || fe.Message != "invalid_app_id" {
		t.Errorf("no app_id: %v", err)
	}
	if _, err := NewClient("file:///x", "k", false, http.DefaultClient, 1); err == nil {
		t.Error("a file: endpoint was accepted")
	}
	if d, ok := Decimals("JPY"); !ok || d != 0 {
		t.Errorf("JPY decimals %d %v", d, ok)
	}
	if _, ok := Decimals("BTC"); ok {
		t.Error("BTC is not a Joda-Money currency")
	}
}
