package enrichment

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// Stamps of 2016-03-01 (day start 1456790400), written for these tests.
var owmStamps = []testservers.OWMStamp{
	{DT: 1456790400, Fields: `"main":{"temp":276.15,"temp_min":276.15,"temp_max":276.15,"pressure":1012,"humidity":93,"temp_kf":0},"wind":{"speed":2.6,"deg":250},"clouds":{"all":90},"weather":[{"id":804,"main":"Clouds","description":"overcast clouds","icon":"04n"}]`},
	{DT: 1456801200, Fields: `"main":{"grnd_level":1000.5,"temp":277.0,"temp_min":276.5,"temp_max":277.5,"pressure":1013.25,"humidity":87,"sea_level":1019},"wind":{"speed":3.1,"deg":260,"gust":7.2,"var_beg":230,"var_end":290},"clouds":{"all":75},"rain":{"3h":0.25},"snow":{},"weather":[{"id":500,"main":"Rain","description":"light rain","icon":"10d"},{"id":701,"main":"Mist","description":"mist","icon":"50d"}]`},
	{DT: 1456812000, Fields: `"main":{"temp":279.2,"temp_min":279,"temp_max":280,"pressure":1014,"humidity":80},"wind":{"speed":1.5,"deg":200},"clouds":{"all":20},"weather":[{"id":801,"main":"Clouds","description":"few clouds","icon":"02d"}]`},
	{DT: 1456876800, Fields: `"main":{"temp":1,"temp_min":1,"temp_max":1,"pressure":1,"humidity":1},"wind":{"speed":1,"deg":1},"clouds":{"all":1},"weather":[]`}, // the next day
}

func newWeatherForTest(t *testing.T, host string, precision int) *weatherEnrichment {
	t.Helper()
	impl, err := newWeather(&WeatherConfig{APIKey: "key", CacheSize: 10, GeoPrecision: precision, APIHost: host, Timeout: 1},
		&Env{HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return impl.(*weatherEnrichment)
}

func weatherEvent(lat, lon, tstamp string) *event.Event {
	var e event.Event
	e.Fields[event.GeoLatitude], e.Fields[event.GeoLongitude], e.Fields[event.DerivedTstamp] = lat, lon, tstamp
	return &e
}

func TestWeatherContext(t *testing.T) {
	srv := testservers.StartOWM(t, owmStamps)
	w := newWeatherForTest(t, srv.Host, 1)
	got, err := w.WeatherContext(context.Background(), weatherEvent("47.2513", "-122.3149", "2016-03-01 02:35:53.000"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"iglu:org.openweathermap/weather/jsonschema/1-0-0","data":{"main":{"grnd_level":1000.5,"humidity":87,"pressure":1013.25,"sea_level":1019,"temp":277.0,"temp_min":276.5,"temp_max":277.5},` +
		`"wind":{"speed":3.1,"deg":260,"gust":7.2,"var_end":290,"var_beg":230},"clouds":{"all":75},"rain":{"3h":0.25},"snow":{},` +
		`"weather":[{"main":"Rain","description":"light rain","id":500,"icon":"10d"},{"main":"Mist","description":"mist","id":701,"icon":"50d"}],"dt":"2016-03-01T03:00:00.000Z"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0] != (testservers.OWMRequest{Lat: "47.2513", Lon: "-122.3149", Start: "1456790400", End: "1456876800", Cnt: "24", AppID: "key"}) {
		t.Errorf("requests %+v", reqs)
	}
	// Same day and rounded place (47, -122): served from the cache; closest stamp.
	got, err = w.WeatherContext(context.Background(), weatherEvent("47.4", "-122.1", "2016-03-01 00:10:00.000"))
	if err != nil || !strings.Contains(string(got), `"dt":"2016-03-01T00:00:00.000Z"`) || !strings.Contains(string(got), `"main":{"humidity":93,"pressure":1012,"temp":276.15`) {
		t.Errorf("cached day: %s, %v", got, err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1 (cached)", n)
	}
}

func TestWeatherRoundCoordinate(t *testing.T) {
	cases := []struct {
		c         float32
		precision int
		want      float32
	}{
		{47.2513, 1, 47}, {47.2513, 2, 47.5}, {47.2513, 4, 47.3}, // quarters rounded again to tenths (47.25 → 47.3)
		{47.6, 1, 48}, {-122.3149, 1, -122}, {-122.3149, 3, -122.3}, {-0.2, 1, 0}, {12.5, 1, 13}, {-12.5, 1, -12},
	}
	for _, c := range cases {
		if got := roundCoordinate(c.c, c.precision); got != c.want {
			t.Errorf("roundCoordinate(%v, %d) = %v, want %v", c.c, c.precision, got, c.want)
		}
	}
}

func TestWeatherFailures(t *testing.T) {
	srv := testservers.StartOWM(t, owmStamps)
	w := newWeatherForTest(t, srv.Host, 1)
	ctx := context.Background()
	cases := []struct {
		e    *event.Event
		want string
	}{
		{weatherEvent("", "-122.3149", "2016-03-01 02:35:53.000"), "One of required event fields missing. latitude: None, longitude: Some(-122.3149), tstamp: Some(2016-03-01T02:35:53.000Z)"},
		{weatherEvent("47.2513", "", ""), "One of required event fields missing. latitude: Some(47.2513), longitude: None, tstamp: None"},
		{weatherEvent("10", "10", "2016-03-05 00:00:00.000"), "InternalError(Server response has no weather stamps)"},
	}
	for _, c := range cases {
		if _, err := w.WeatherContext(ctx, c.e); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	bad := newWeatherForTest(t, srv.Host, 1)
	bad.apiKey = ""
	if _, err := bad.WeatherContext(ctx, weatherEvent("1", "1", "2016-03-01 00:00:00.000")); err == nil || err.Error() != "AuthorizationError" {
		t.Errorf("no key: %v", err)
	}
	// A slow server times out; the timeout is not served from the cache.
	srv.SetDelay(1500 * time.Millisecond)
	slow := newWeatherForTest(t, srv.Host, 1)
	if _, err := slow.WeatherContext(ctx, weatherEvent("5", "5", "2016-03-01 00:00:00.000")); err == nil || err.Error() != "TimeoutError(OpenWeatherMap Error: server didn't responded in 1 seconds. Timeout)" {
		t.Fatalf("slow server: %v", err)
	}
	srv.SetDelay(0)
	if _, err := slow.WeatherContext(ctx, weatherEvent("5", "5", "2016-03-01 00:00:00.000")); err != nil {
		t.Errorf("after a timeout the request was not retried: %v", err)
	}
}

func TestParseOWMHistoryErrors(t *testing.T) {
	cases := map[string]string{
		`not json`: "ParseError(",
		`{"cod":"404","message":"city not found"}`:                      "ErrorResponse(Some(404),city not found)",
		`{"cod":"200","cnt":1,"list":[{"dt":1}]}`:                       "ParseError(Could not extract History from the OpenWeatherMap response: No usable value for list[0].main)",
		`{"cod":"200","cnt":1,"list":[{"main":{"temp":"hot"},"dt":1}]}`: "No usable value for list[0].main.humidity",
		`{"cod":"200","list":[]}`:                                       "No usable value for cnt",
		`{"cod":"200","cnt":0,"list":{}}`:                               "No usable value for list",
	}
	for body, want := range cases {
		_, got := parseOWMHistory([]byte(body))
		if !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want it to contain %q", body, got, want)
		}
	}
}

func TestWeatherConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  WeatherConfig
		want string
	}{
		{WeatherConfig{APIKey: "", CacheSize: 1, GeoPrecision: 1, APIHost: "h", Timeout: 1}, "parameters.apiKey"},
		{WeatherConfig{APIKey: "k", CacheSize: 0, GeoPrecision: 1, APIHost: "h", Timeout: 1}, "parameters.cacheSize"},
		{WeatherConfig{APIKey: "k", CacheSize: 1, GeoPrecision: 0, APIHost: "h", Timeout: 1}, "parameters.geoPrecision"},
		{WeatherConfig{APIKey: "k", CacheSize: 1, GeoPrecision: 1, APIHost: "h", Timeout: 0}, "parameters.timeout"},
		{WeatherConfig{APIKey: "k", CacheSize: 1, GeoPrecision: 1, APIHost: "ftp://h", Timeout: 1}, "parameters.apiHost"},
		{WeatherConfig{APIKey: "k", CacheSize: 1, GeoPrecision: 1, APIHost: "http://h/path", Timeout: 1}, "parameters.apiHost"},
	}
	for _, c := range cases {
		if _, err := newWeather(&c.cfg, &Env{HTTPClient: http.DefaultClient}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.cfg, err, c.want)
		}
	}
}

func TestWeatherConcurrentSingleRequest(t *testing.T) {
	srv := testservers.StartOWM(t, owmStamps)
	w := newWeatherForTest(t, srv.Host, 1)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.WeatherContext(context.Background(), weatherEvent("47.2513", "-122.3149", "2016-03-01 02:35:53.000")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests for one day and place, want 1", n)
	}
}
