package forex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/sync/singleflight"

	"github.com/furrowdata/furrow/enrich/enrichment/lru"
)

// DefaultEndpoint is the OER API base URL. (R108 called it over plain
// http://openexchangerates.org/api/; furrow defaults to HTTPS.)
const DefaultEndpoint = "https://openexchangerates.org/api/"

// maxResponseBytes bounds one OER response body.
const maxResponseBytes = 4 << 20

// Rates are one day's rates: currency code → units per USD.
type Rates map[string]Decimal

// Decimal is an exact decimal number with the scale (fraction digits) of
// its text, as java.math.BigDecimal held it.
type Decimal struct {
	Rat   *big.Rat
	Scale int
}

// Client fetches end-of-day rates from the OER API, keeping up to
// CacheDays days of them. Safe for concurrent use.
type Client struct {
	endpoint string
	appID    string
	base     string // "" (DEVELOPER: OER answers in USD), else "&base=USD"
	http     *http.Client
	cache    *lru.Cache[string, Rates]
	group    singleflight.Group
}

// NetError is a transport failure reaching OER (R108 threw these as
// exceptions, failing all of an event's conversions with one message).
type NetError struct {
	UnknownHost bool
	Host        string
	Err         error
}

func (e *NetError) Error() string {
	if e.UnknownHost {
		return "java.net.UnknownHostException: " + e.Host
	}
	return e.Err.Error()
}

func (e *NetError) Unwrap() error { return e.Err }

// NewClient returns a client for endpoint (the API base URL, e.g.
// DefaultEndpoint). setBase adds "&base=USD" to every request, as
// scala-forex did for ENTERPRISE and UNLIMITED accounts.
func NewClient(endpoint, appID string, setBase bool, hc *http.Client, cacheDays int) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OER endpoint %q is not an http(s) URL", endpoint)
	}
	if !strings.HasSuffix(endpoint, "/") {
		endpoint += "/"
	}
	c := &Client{endpoint: endpoint, appID: appID, http: hc, cache: lru.New[string, Rates](cacheDays, 0, nil)}
	if setBase {
		c.base = "&base=USD"
	}
	return c, nil
}

// Historical returns the rates of day ("2006-01-02"), from the cache or
// OER. Failed requests are not cached (as scala-forex).
func (c *Client) Historical(ctx context.Context, day string) (Rates, error) {
	if r, ok := c.cache.Get(day); ok {
		return r, nil
	}
	v, err, _ := c.group.Do(day, func() (any, error) {
		if r, ok := c.cache.Get(day); ok {
			return r, nil
		}
		r, err := c.fetch(ctx, "historical/"+day+".json?app_id="+url.QueryEscape(c.appID)+c.base)
		if err != nil {
			return nil, err
		}
		c.cache.Put(day, r)
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(Rates), nil
}

func (c *Client) fetch(ctx context.Context, path string) (Rates, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+path, nil)
	if err != nil {
		return nil, &NetError{Err: err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return nil, &NetError{UnknownHost: true, Host: req.URL.Hostname(), Err: err}
		}
		return nil, &NetError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, &NetError{Err: fmt.Errorf("reading the OER response: %w", err)}
	}
	if len(body) > maxResponseBytes {
		return nil, &Error{OtherErrors, fmt.Sprintf("OER response larger than %d bytes", maxResponseBytes)}
	}
	if resp.StatusCode >= 400 {
		// scala-forex reported the "message" of OER's error document.
		var e struct {
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Message == nil {
			return nil, &Error{OtherErrors, fmt.Sprintf("HTTP status %d without an OER error message", resp.StatusCode)}
		}
		return nil, &Error{OtherErrors, *e.Message}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc struct {
		Rates map[string]json.Number `json:"rates"`
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, &Error{OtherErrors, "invalid OER response: " + err.Error()}
	}
	if doc.Rates == nil {
		return nil, &Error{OtherErrors, "invalid OER response: no rates"}
	}
	out := make(Rates, len(doc.Rates))
	for k, v := range doc.Rates {
		d, ok := ParseDecimal(v.String())
		if !ok {
			return nil, &Error{OtherErrors, fmt.Sprintf("invalid OER response: rate %q of %s", v, k)}
		}
		out[k] = d
	}
	return out, nil
}
