package testservers

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// OWMStamp is one weather stamp of a loopback OpenWeatherMap history
// response: dt (Unix seconds) and the JSON members of the list item other
// than dt, in order (e.g. `"main":{…},"wind":{…},"clouds":{"all":0},"weather":[…]`).
type OWMStamp struct {
	DT     int64
	Fields string
}

// OWMRequest is a history request the server received.
type OWMRequest struct {
	Lat, Lon, Start, End, Cnt, AppID string
}

// OWM is a loopback server speaking OpenWeatherMap's history API:
// GET /data/2.5/history/city?lat=&lon=&start=&end=&cnt=&appid=. It answers
// {"message":"","cod":"200","city_id":…,"calctime":…,"cnt":n,"list":[…]}
// with the configured stamps whose dt lies in [start, end), 401 without an
// appid, and 400 with OWM's error document for missing coordinates. Delay
// makes it slow (for timeout tests).
type OWM struct {
	// Host is "127.0.0.1:port": the value for the enrichment's apiHost.
	Host     string
	srv      *http.Server
	requests atomic.Int64
	mu       sync.Mutex
	log      []OWMRequest
	delay    atomic.Int64
}

// NewOWM starts an OWM history server on 127.0.0.1 with a free port; the
// caller must Close it.
func NewOWM(stamps []OWMStamp) (*OWM, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	o := &OWM{Host: l.Addr().String()}
	o.srv = &http.Server{Handler: o.handler(stamps), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = o.srv.Serve(l) }()
	return o, nil
}

// StartOWM starts an OWM server for a test and stops it in t.Cleanup.
func StartOWM(t testing.TB, stamps []OWMStamp) *OWM {
	t.Helper()
	o, err := NewOWM(stamps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	return o
}

// Close stops the server.
func (o *OWM) Close() { _ = o.srv.Close() }

// SetDelay makes every following answer wait d first.
func (o *OWM) SetDelay(d time.Duration) { o.delay.Store(int64(d)) }

// Requests returns the history requests received so far.
func (o *OWM) Requests() []OWMRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]OWMRequest(nil), o.log...)
}

func (o *OWM) handler(stamps []OWMStamp) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		req := OWMRequest{q.Get("lat"), q.Get("lon"), q.Get("start"), q.Get("end"), q.Get("cnt"), q.Get("appid")}
		o.mu.Lock()
		o.log = append(o.log, req)
		o.mu.Unlock()
		o.requests.Add(1)
		if d := time.Duration(o.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch {
		case r.URL.Path != "/data/2.5/history/city":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"cod":"404","message":"Internal error"}`))
			return
		case req.AppID == "":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"cod":401,"message":"Invalid API key. Please see http://openweathermap.org/faq#error401 for more info."}`))
			return
		case req.Lat == "" || req.Lon == "":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"cod":"400","message":"Nothing to geocode"}`))
			return
		}
		start, _ := strconv.ParseInt(req.Start, 10, 64)
		end, err := strconv.ParseInt(req.End, 10, 64)
		if err != nil {
			end = 1 << 62
		}
		var items []string
		for _, s := range stamps {
			if s.DT >= start && s.DT < end {
				items = append(items, fmt.Sprintf(`{%s,"dt":%d}`, s.Fields, s.DT))
			}
		}
		body := fmt.Sprintf(`{"message":"","cod":"200","city_id":5803786,"calctime":0.0042,"cnt":%d,"list":[`, len(items))
		for i, it := range items {
			if i > 0 {
				body += ","
			}
			body += it
		}
		_, _ = w.Write([]byte(body + "]}"))
	})
}
