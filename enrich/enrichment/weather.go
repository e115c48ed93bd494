package enrichment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/enrich/enrichment/lru"
	"github.com/furrowdata/furrow/event"
)

// weather_enrichment_config (R108: WeatherEnrichment over scala-weather
// 0.3's OwmCacheClient).
//
// For geo_latitude, geo_longitude (R108's Java Floats) and derived_tstamp
// the enrichment asks OpenWeatherMap's history API for the event's whole UTC
// day at the event's coordinates:
//
//	GET http://{apiHost}/data/2.5/history/city?lat=…&lon=…&start=DAY&end=DAY+86400&cnt=24&appid=KEY
//
// apiHost is a host[:port] (plain HTTP, as R108) or a full http(s):// base
// URL. The day's stamps are cached under the day and the coordinates
// rounded to 1/geoPrecision of a degree (then to one decimal, as
// scala-weather's roundCoordinate did), so the first event of a day and
// place decides the request (cacheSize entries, LRU; failures are cached
// too, except timeouts, which are retried) and the stamp closest
// to the event's time becomes the iglu:org.openweathermap/weather/
// jsonschema/1-0-0 context: main, wind, clouds, rain, snow, weather and dt
// (ISO-8601 UTC), with absent optional values left out, as scala-weather's
// case classes rendered them. A missing input, an OWM error or a response
// that does not parse fails the event with R108's message.

const weatherSchema = "iglu:org.openweathermap/weather/jsonschema/1-0-0"

// maxWeatherResponse bounds one OWM response body.
const maxWeatherResponse = 16 << 20

type weatherKey struct {
	day      int64
	lat, lon float32
}

// weatherDay is one cached history response: its stamps or its error.
type weatherDay struct {
	stamps  []weatherStamp
	err     string
	timeout bool
}

type weatherStamp struct {
	dt  int64
	ctx json.RawMessage
}

type weatherEnrichment struct {
	apiKey    string
	base      string // scheme://host[:port]
	precision int
	timeout   time.Duration
	client    *http.Client
	cache     *lru.Cache[weatherKey, weatherDay]
	group     singleflight.Group
}

func newWeather(cfg *WeatherConfig, env *Env) (Weather, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("parameters.apiKey: empty")
	}
	if cfg.CacheSize < 1 {
		return nil, fmt.Errorf("parameters.cacheSize: %d is not positive", cfg.CacheSize)
	}
	if cfg.GeoPrecision < 1 {
		return nil, fmt.Errorf("parameters.geoPrecision: OwmCacheClient geoPrecision must be greater than zero (got %d)", cfg.GeoPrecision)
	}
	if cfg.Timeout < 1 {
		return nil, fmt.Errorf("parameters.timeout: %d is not a positive number of seconds", cfg.Timeout)
	}
	base := cfg.APIHost
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("parameters.apiHost: %q is not a host[:port] or an http(s) base URL", cfg.APIHost)
	}
	return &weatherEnrichment{
		apiKey: cfg.APIKey, base: u.Scheme + "://" + u.Host, precision: cfg.GeoPrecision,
		timeout: time.Duration(cfg.Timeout) * time.Second, client: env.HTTPClient,
		cache: lru.New[weatherKey, weatherDay](cfg.CacheSize, 0, nil),
	}, nil
}

// WeatherContext returns the weather context of e.
func (w *weatherEnrichment) WeatherContext(ctx context.Context, e *event.Event) (json.RawMessage, error) {
	lat, latOK := parseJavaFloat(e.Fields[event.GeoLatitude])
	lon, lonOK := parseJavaFloat(e.Fields[event.GeoLongitude])
	ts, tsErr := event.ParseTimestamp(e.Fields[event.DerivedTstamp])
	if !latOK || !lonOK || tsErr != nil {
		opt := func(ok bool, s string) string {
			if !ok {
				return "None"
			}
			return "Some(" + s + ")"
		}
		return nil, r108Errorf("One of required event fields missing. latitude: %s, longitude: %s, tstamp: %s",
			opt(latOK, jsonpath.JavaFloat(lat)), opt(lonOK, jsonpath.JavaFloat(lon)),
			opt(tsErr == nil, ts.UTC().Format("2006-01-02T15:04:05.000Z")))
	}
	sec := ts.Unix() // (getMillis / 1000).toInt
	if sec > math.MaxInt32 || sec < math.MinInt32 {
		sec = int64(int32(sec))
	}
	key := weatherKey{day: floorDiv(sec, 86400) * 86400, lat: roundCoordinate(lat, w.precision), lon: roundCoordinate(lon, w.precision)}
	day, ok := w.cache.Get(key)
	if !ok || day.timeout {
		v, _, _ := w.group.Do(fmt.Sprint(key), func() (any, error) {
			if d, ok := w.cache.Get(key); ok && !d.timeout {
				return d, nil
			}
			d := w.fetch(ctx, key, lat, lon)
			w.cache.Put(key, d)
			return d, nil
		})
		day = v.(weatherDay)
	}
	if day.err != "" {
		return nil, r108Error(day.err)
	}
	if sec < 1 {
		return nil, r108Error("InternalError(Timestamp should be greater than 0)")
	}
	if len(day.stamps) == 0 {
		return nil, r108Error("InternalError(Server response has no weather stamps)")
	}
	best := day.stamps[0]
	for _, s := range day.stamps[1:] { // the first of the closest, as a stable sortBy
		if abs64(sec-s.dt) < abs64(sec-best.dt) {
			best = s
		}
	}
	return best.ctx, nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// parseJavaFloat reads a POJO Float field.
func parseJavaFloat(s string) (float32, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return 0, false
	}
	return float32(f), true
}

// roundCoordinate is scala-weather's WeatherCache.roundCoordinate:
// Math.round(c × precision) / precision in float arithmetic, then
// BigDecimal(thatAsDouble).setScale(1, HALF_UP).toFloat.
func roundCoordinate(c float32, precision int) float32 {
	x := c * float32(precision)
	r := float32(math.Floor(float64(x) + 0.5))
	q := r / float32(precision)
	d, ok := new(big.Rat).SetString(jsonpath.JavaDouble(float64(q)))
	if !ok {
		return q
	}
	// HALF_UP to one decimal: sign(d) × floor(|d| × 10 + 1/2) / 10.
	neg := d.Sign() < 0
	d.Abs(d)
	d.Mul(d, big.NewRat(10, 1))
	d.Add(d, big.NewRat(1, 2))
	n := new(big.Int).Quo(d.Num(), d.Denom())
	if neg {
		n.Neg(n)
	}
	f, _ := strconv.ParseFloat(new(big.Rat).SetFrac(n, big.NewInt(10)).FloatString(1), 32)
	return float32(f)
}

// fetch asks OWM for one day and place.
func (w *weatherEnrichment) fetch(ctx context.Context, key weatherKey, lat, lon float32) weatherDay {
	q := "lat=" + jsonpath.JavaFloat(lat) + "&lon=" + jsonpath.JavaFloat(lon) +
		"&start=" + strconv.FormatInt(key.day, 10) + "&end=" + strconv.FormatInt(key.day+86400, 10) +
		"&cnt=24&appid=" + url.QueryEscape(w.apiKey)
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+"/data/2.5/history/city?"+q, nil)
	if err != nil {
		return weatherDay{err: "InternalError(" + err.Error() + ")"}
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return weatherDay{err: fmt.Sprintf("TimeoutError(OpenWeatherMap Error: server didn't responded in %d seconds. Timeout)", int(w.timeout/time.Second)), timeout: true}
		}
		return weatherDay{err: "InternalError(" + err.Error() + ")"}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxWeatherResponse+1))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return weatherDay{err: fmt.Sprintf("TimeoutError(OpenWeatherMap Error: server didn't responded in %d seconds. Timeout)", int(w.timeout/time.Second)), timeout: true}
		}
		return weatherDay{err: "InternalError(" + err.Error() + ")"}
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return weatherDay{err: "AuthorizationError"}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return weatherDay{err: fmt.Sprintf("HTTPError(Request failed with status %d)", resp.StatusCode)}
	case len(body) > maxWeatherResponse:
		return weatherDay{err: fmt.Sprintf("ParseError(response larger than %d bytes)", maxWeatherResponse)}
	}
	stamps, errText := parseOWMHistory(body)
	if errText != "" {
		return weatherDay{err: errText}
	}
	return weatherDay{stamps: stamps}
}

// parseOWMHistory extracts scala-weather's History(cnt, cod, list) and
// renders each stamp as the context R108 built from it.
func parseOWMHistory(body []byte) ([]weatherStamp, string) {
	doc, err := jsonpath.Parse(string(body))
	if err != nil {
		return nil, "ParseError(" + err.Error() + ")"
	}
	if doc.Kind != jsonpath.Object {
		return nil, "ParseError(the response is not a JSON object)"
	}
	if cod := doc.Get("cod"); cod != nil && scalarText(cod) != "200" {
		msg := ""
		if m := doc.Get("message"); m != nil {
			msg = scalarText(m)
		}
		code := "None"
		if n, err := strconv.Atoi(scalarText(cod)); err == nil {
			code = "Some(" + strconv.Itoa(n) + ")"
		}
		return nil, "ErrorResponse(" + code + "," + msg + ")"
	}
	var p owmParser
	if doc.Get("cnt") == nil || (doc.Get("cnt").Kind != jsonpath.Int) {
		p.fail("cnt")
	}
	if c := doc.Get("cod"); c == nil || (c.Kind != jsonpath.String && c.Kind != jsonpath.Int) {
		p.fail("cod")
	}
	list := doc.Get("list")
	if list == nil || list.Kind != jsonpath.Array {
		p.fail("list")
	}
	var out []weatherStamp
	if p.err == "" {
		for i, item := range list.Arr {
			s, ok := p.stamp(item, fmt.Sprintf("list[%d]", i))
			if !ok {
				break
			}
			out = append(out, s)
		}
	}
	if p.err != "" {
		return nil, "ParseError(Could not extract History from the OpenWeatherMap response: No usable value for " + p.err + ")"
	}
	return out, ""
}

func scalarText(v *jsonpath.Value) string {
	switch v.Kind {
	case jsonpath.String:
		return v.Str
	case jsonpath.Int:
		return v.Num
	case jsonpath.Float:
		return jsonpath.JavaDouble(v.Float)
	}
	return jsonpath.Render(v)
}

type owmParser struct{ err string }

func (p *owmParser) fail(path string) {
	if p.err == "" {
		p.err = path
	}
}

// number copies a BigDecimal field: required unless opt.
func (p *owmParser) number(b []byte, obj *jsonpath.Value, name, path string, opt, integer bool) []byte {
	v := obj.Get(name)
	if v == nil || v.Kind == jsonpath.Null {
		if !opt {
			p.fail(path + "." + name)
		}
		return b
	}
	if v.Kind != jsonpath.Int && (integer || v.Kind != jsonpath.Float) {
		p.fail(path + "." + name)
		return b
	}
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = jsonpath.AppendString(b, name)
	b = append(b, ':')
	return jsonpath.AppendRender(b, v)
}

func (p *owmParser) object(item *jsonpath.Value, name, path string, opt bool) *jsonpath.Value {
	v := item.Get(name)
	if v == nil || v.Kind == jsonpath.Null {
		if !opt {
			p.fail(path + "." + name)
		}
		return nil
	}
	if v.Kind != jsonpath.Object {
		p.fail(path + "." + name)
		return nil
	}
	return v
}

// stamp renders one scala-weather Weather as TransformedWeather.
func (p *owmParser) stamp(item *jsonpath.Value, path string) (weatherStamp, bool) {
	if item.Kind != jsonpath.Object {
		p.fail(path)
		return weatherStamp{}, false
	}
	b := []byte(`{"schema":"` + weatherSchema + `","data":{"main":{`)
	main := p.object(item, "main", path, false)
	if main != nil {
		mp := path + ".main"
		inner := []byte{'{'}
		inner = p.number(inner, main, "grnd_level", mp, true, false)
		inner = p.number(inner, main, "humidity", mp, false, false)
		inner = p.number(inner, main, "pressure", mp, false, false)
		inner = p.number(inner, main, "sea_level", mp, true, false)
		inner = p.number(inner, main, "temp", mp, false, false)
		inner = p.number(inner, main, "temp_min", mp, false, false)
		inner = p.number(inner, main, "temp_max", mp, false, false)
		b = append(b, inner[1:]...)
	}
	b = append(b, `},"wind":{`...)
	if wind := p.object(item, "wind", path, false); wind != nil {
		wp := path + ".wind"
		inner := []byte{'{'}
		inner = p.number(inner, wind, "speed", wp, false, false)
		inner = p.number(inner, wind, "deg", wp, false, false)
		inner = p.number(inner, wind, "gust", wp, true, false)
		inner = p.number(inner, wind, "var_end", wp, true, true)
		inner = p.number(inner, wind, "var_beg", wp, true, true)
		b = append(b, inner[1:]...)
	}
	b = append(b, `},"clouds":{`...)
	if clouds := p.object(item, "clouds", path, false); clouds != nil {
		inner := p.number([]byte{'{'}, clouds, "all", path+".clouds", false, true)
		b = append(b, inner[1:]...)
	}
	b = append(b, '}')
	for _, name := range []string{"rain", "snow"} {
		if o := p.object(item, name, path, true); o != nil {
			inner := []byte{'{'}
			inner = p.number(inner, o, "1h", path+"."+name, true, false)
			inner = p.number(inner, o, "3h", path+"."+name, true, false)
			b = append(b, `,"`+name+`":`...)
			b = append(b, inner...)
			b = append(b, '}')
		}
	}
	b = append(b, `,"weather":[`...)
	conds := item.Get("weather")
	if conds == nil || conds.Kind != jsonpath.Array {
		p.fail(path + ".weather")
	} else {
		for i, c := range conds.Arr {
			cp := fmt.Sprintf("%s.weather[%d]", path, i)
			if c.Kind != jsonpath.Object {
				p.fail(cp)
				break
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			for j, f := range []string{"main", "description", "id", "icon"} {
				v := c.Get(f)
				switch {
				case v == nil:
					p.fail(cp + "." + f)
				case f == "id" && v.Kind != jsonpath.Int:
					p.fail(cp + ".id")
				case f != "id" && v.Kind != jsonpath.String:
					p.fail(cp + "." + f)
				}
				if j > 0 {
					b = append(b, ',')
				}
				b = jsonpath.AppendString(b, f)
				b = append(b, ':')
				b = jsonpath.AppendRender(b, v)
			}
			b = append(b, '}')
		}
	}
	b = append(b, ']')
	dtv := item.Get("dt")
	var dt int64
	if dtv == nil || dtv.Kind != jsonpath.Int {
		p.fail(path + ".dt")
	} else if n, err := strconv.ParseInt(dtv.Num, 10, 64); err != nil || n > math.MaxInt32 || n < math.MinInt32 {
		p.fail(path + ".dt")
	} else {
		dt = n
	}
	if p.err != "" {
		return weatherStamp{}, false
	}
	b = append(b, `,"dt":"`...)
	b = time.Unix(dt, 0).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `"}}`...)
	return weatherStamp{dt: dt, ctx: b}, true
}
