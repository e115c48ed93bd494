package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/furrowdata/furrow/transport"
)

// controlClient calls workers' control APIs over mutual TLS.
type controlClient struct {
	hc *http.Client
}

func newControlClient(m *transport.MTLS) *controlClient {
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return m.Dial(ctx, addr)
		},
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: 0,
		// Task replies come when the task ends: no response timeout here;
		// the caller's context bounds every call.
	}
	return &controlClient{hc: &http.Client{Transport: tr}}
}

func (c *controlClient) close() { c.hc.CloseIdleConnections() }

// connError is a failure to reach a worker or to read its reply: the
// worker is presumed lost.
type connError struct {
	addr string
	err  error
}

func (e *connError) Error() string { return fmt.Sprintf("worker %s unreachable: %v", e.addr, e.err) }
func (e *connError) Unwrap() error { return e.err }

// statusError is an error reply of the control API.
type statusError struct {
	status int
	api    apiError
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.status, e.api.Kind, e.api.Message)
}

// call sends a JSON request to a worker's control API and decodes a 2xx
// reply into out. A transport failure is a *connError, an error reply a
// *statusError.
func (c *controlClient) call(ctx context.Context, method, addr, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "https://"+addr+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &connError{addr: addr, err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRequestBody))
	if err != nil {
		return &connError{addr: addr, err: fmt.Errorf("reading the reply to %s %s: %w", method, path, err)}
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{status: resp.StatusCode}
		if json.Unmarshal(b, &se.api) != nil || se.api.Kind == "" {
			se.api = apiError{Kind: kindBadRequest, Message: fmt.Sprintf("%s %s: %s", method, path, bytes.TrimSpace(b))}
		}
		return se
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decoding the reply to %s %s from %s: %w", method, path, addr, err)
		}
	}
	return nil
}

// reachable reports whether a worker's control API answers within timeout.
func (c *controlClient) reachable(ctx context.Context, addr string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var st statusReply
	err := c.call(ctx, http.MethodGet, addr, pathStatus, nil, &st)
	var ce *connError
	return !errors.As(err, &ce)
}
