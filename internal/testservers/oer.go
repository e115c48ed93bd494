package testservers

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// OERRates are the rates a loopback Open Exchange Rates server serves: day
// ("2006-01-02") → currency code → units per USD, as decimal text (printed
// as JSON numbers exactly as given).
type OERRates map[string]map[string]string

// OER is a loopback server speaking the Open Exchange Rates API:
// GET /api/historical/YYYY-MM-DD.json?app_id=… and /api/latest.json (the
// latest configured day), answering in USD (with &base=USD accepted, any
// other base refused as OER refuses it for the plans furrow's tests model).
// Errors are OER's JSON error documents: 401 invalid_app_id without an
// app_id, 400 not_available for a day it has no rates for, 404 otherwise.
type OER struct {
	// URL is the API base URL, ending in "/api/": the value for
	// FURROW_OER_ENDPOINT.
	URL      string
	srv      *http.Server
	requests atomic.Int64
}

// NewOER starts an OER server on 127.0.0.1 with a free port. The caller
// must Close it. It is the entry point for non-test callers (the
// conformance harness); tests use StartOER.
func NewOER(rates OERRates) (*OER, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	o := &OER{URL: "http://" + l.Addr().String() + "/api/"}
	o.srv = &http.Server{Handler: o.handler(rates), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = o.srv.Serve(l) }()
	return o, nil
}

// StartOER starts an OER server for a test and stops it in t.Cleanup.
func StartOER(t testing.TB, rates OERRates) *OER {
	t.Helper()
	o, err := NewOER(rates)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	return o
}

// Close stops the server.
func (o *OER) Close() { _ = o.srv.Close() }

// Requests returns how many API requests the server has answered.
func (o *OER) Requests() int64 { return o.requests.Load() }

func oerError(w http.ResponseWriter, status int, message, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": true, "status": status, "message": message, "description": description})
}

func (o *OER) handler(rates OERRates) http.Handler {
	days := make([]string, 0, len(rates))
	for d := range rates {
		days = append(days, d)
	}
	sort.Strings(days)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		if r.Method != http.MethodGet {
			oerError(w, http.StatusMethodNotAllowed, "not_allowed", "Only GET is supported.")
			return
		}
		q := r.URL.Query()
		if q.Get("app_id") == "" {
			oerError(w, http.StatusUnauthorized, "invalid_app_id", "Invalid App ID provided.")
			return
		}
		if b := q.Get("base"); b != "" && b != "USD" {
			oerError(w, http.StatusForbidden, "not_allowed", "Changing the API `base` currency is not available for this plan.")
			return
		}
		var day string
		switch p := r.URL.Path; {
		case p == "/api/latest.json" && len(days) > 0:
			day = days[len(days)-1]
		case strings.HasPrefix(p, "/api/historical/") && strings.HasSuffix(p, ".json"):
			day = strings.TrimSuffix(strings.TrimPrefix(p, "/api/historical/"), ".json")
			if _, err := time.Parse("2006-01-02", day); err != nil {
				oerError(w, http.StatusBadRequest, "invalid_date", "Invalid date requested.")
				return
			}
		default:
			oerError(w, http.StatusNotFound, "not_found", "Requested API endpoint not found.")
			return
		}
		rs, ok := rates[day]
		if !ok {
			oerError(w, http.StatusBadRequest, "not_available", "Historical rates for the requested date are not available.")
			return
		}
		ts, _ := time.Parse("2006-01-02", day)
		codes := make([]string, 0, len(rs))
		for c := range rs {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		var b strings.Builder
		fmt.Fprintf(&b, "{\n  \"disclaimer\": \"furrow test server\",\n  \"license\": \"test data\",\n  \"timestamp\": %d,\n  \"base\": \"USD\",\n  \"rates\": {", ts.Add(24*time.Hour-time.Second).Unix())
		for i, c := range codes {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "\n    %q: %s", c, rs[c])
		}
		b.WriteString("\n  }\n}\n")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	})
}

// ConformanceOERRates returns rates from which the *_base values that the
// peer's CurrencyConversionTransactionSpec and
// CurrencyConversionTransactionItemSpec expect follow, for their collector
// day 2012-05-27 (base EUR, rateAt EOD_PRIOR):
//
//   - EUR 0.798057 per USD: USD 8000, 200 and 50 give 6384.456 → 6384.46,
//     159.6114 → 159.61 and 39.90285 → 39.90 (any EUR rate in
//     [0.798056875, 0.798058125) does);
//   - GBP 0.63816 per USD: round(1/0.63816, 6) = 1.567005, and
//     2000 × 1.567005 × 0.798057 = 2501.1186… → 2501.12.
//
// These are derived from the expected values alone (they are also close to
// the real rates of that day); the peer's own test called the live OER API.
func ConformanceOERRates() OERRates {
	return OERRates{"2012-05-27": {"USD": "1", "EUR": "0.798057", "GBP": "0.63816", "JPY": "79.4725"}}
}
