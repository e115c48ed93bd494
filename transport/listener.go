package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Listener accepts mutual-TLS connections. Handshakes run concurrently
// (at most MaxPendingHandshakes at a time, each bounded by
// HandshakeTimeout), so a slow or hostile client never blocks Accept;
// refused connections are reported through Options.OnReject and the log and
// never returned. Safe for concurrent use.
type Listener struct {
	m     *MTLS
	ln    net.Listener
	ready chan *tls.Conn
	done  chan struct{}
	sem   chan struct{}

	closeOnce sync.Once
	wg        sync.WaitGroup

	mu      sync.Mutex
	pending map[net.Conn]struct{}
}

// Listen listens on addr (host:port; port 0 picks one) for mutual-TLS
// connections. Accept returns a *tls.Conn whose handshake has completed:
// the peer was verified and ConnectionState reports the negotiated version
// and suite. There is no plaintext port: a client that does not speak TLS
// is refused like any other failed handshake.
func (m *MTLS) Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return m.newListener(ln), nil
}

func (m *MTLS) newListener(ln net.Listener) *Listener {
	l := &Listener{
		m:       m,
		ln:      ln,
		ready:   make(chan *tls.Conn),
		done:    make(chan struct{}),
		sem:     make(chan struct{}, m.opts.MaxPendingHandshakes),
		pending: map[net.Conn]struct{}{},
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// Accept waits for the next verified connection. After Close it returns an
// error wrapping net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, fmt.Errorf("accepting on %s: %w", l.ln.Addr(), net.ErrClosed)
	}
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops listening, aborts handshakes in progress and waits for the
// listener's goroutines (each exits promptly once its connection is
// closed). Connections already returned by Accept stay open.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.ln.Close()
		l.mu.Lock()
		for c := range l.pending {
			c.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
	return err
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var delay time.Duration
	for {
		raw, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Resource exhaustion (EMFILE and the like): back off and retry,
			// as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			l.m.logger.Warn("accepting TLS connection", "addr", l.ln.Addr().String(), "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-l.done:
				return
			}
			continue
		}
		delay = 0
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			raw.Close()
			return
		}
		if !l.track(raw) {
			raw.Close()
			<-l.sem
			return
		}
		l.wg.Add(1)
		go l.handshake(raw)
	}
}

// track registers a connection in flight; false after Close.
func (l *Listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
	}
	l.pending[c] = struct{}{}
	return true
}

func (l *Listener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
}

func (l *Listener) handshake(raw net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.sem }()
	defer l.untrack(raw)
	tc := tls.Server(raw, l.m.server)
	raw.SetDeadline(time.Now().Add(l.m.opts.HandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		raw.Close()
		select {
		case <-l.done: // aborted by Close: not a refusal
		default:
			l.m.rejected(raw.RemoteAddr(), err)
		}
		return
	}
	raw.SetDeadline(time.Time{})
	select {
	case l.ready <- tc:
	case <-l.done:
		tc.Close()
	}
}
