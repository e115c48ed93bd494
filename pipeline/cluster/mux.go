package cluster

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// shuffleMagic is how every shuffle connection starts (the frame magic of
// the HELLO frame, see shuffle/net_doc.go).
const shuffleMagic = "fs"

// portMux serves the shuffle and the control API on one mutual-TLS port.
// After the TLS handshake (done by the transport listener: the peer is
// verified before a byte is read) it reads the client's first two bytes: the
// shuffle frame magic "fs" goes to the shuffle Server, an HTTP method (an
// upper-case ASCII letter) to the control API's HTTP server, anything else
// is closed. Both clients speak first, so no extra round trip is needed.
type portMux struct {
	ln      net.Listener
	shuffle *subListener
	control *subListener
	timeout time.Duration
	sem     chan struct{}
	log     *slog.Logger

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	refused   atomic.Int64
}

// newPortMux starts splitting ln. timeout bounds the wait for a client's
// first bytes.
func newPortMux(ln net.Listener, timeout time.Duration, log *slog.Logger) *portMux {
	m := &portMux{
		ln: ln, timeout: timeout, log: log,
		sem:  make(chan struct{}, 128),
		done: make(chan struct{}),
	}
	m.shuffle = newSubListener(ln.Addr())
	m.control = newSubListener(ln.Addr())
	m.wg.Add(1)
	go m.acceptLoop()
	return m
}

func (m *portMux) acceptLoop() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
			default:
				m.log.Error("cluster: worker listener stopped", "err", err)
			}
			m.shuffle.Close()
			m.control.Close()
			return
		}
		select {
		case m.sem <- struct{}{}:
		case <-m.done:
			c.Close()
			return
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer func() { <-m.sem }()
			m.classify(c)
		}()
	}
}

// classify routes one verified connection by its first bytes.
func (m *portMux) classify(c net.Conn) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		// transport.Listener only returns verified TLS connections.
		m.refused.Add(1)
		c.Close()
		return
	}
	c.SetReadDeadline(time.Now().Add(m.timeout))
	br := bufio.NewReaderSize(c, 16)
	b, err := br.Peek(2)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		m.log.Debug("cluster: connection closed before its first bytes", "peer", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	pc := &peekConn{Conn: tc, r: br}
	var dst *subListener
	switch {
	case string(b) == shuffleMagic:
		dst = m.shuffle
	case b[0] >= 'A' && b[0] <= 'Z':
		dst = m.control
	default:
		m.refused.Add(1)
		m.log.Warn("cluster: refusing a connection that speaks neither the shuffle protocol nor HTTP", "peer", c.RemoteAddr().String(), "first_bytes", fmt.Sprintf("%q", b))
		c.Close()
		return
	}
	if !dst.deliver(pc, m.done) {
		c.Close()
	}
}

// Close stops the listener and both sub-listeners and waits for the
// classifying goroutines (each bounded by the timeout).
func (m *portMux) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.done)
		err = m.ln.Close()
		m.shuffle.Close()
		m.control.Close()
		m.wg.Wait()
	})
	return err
}

// peekConn is a verified TLS connection whose first bytes were read into r.
// It keeps *tls.Conn's methods (CloseWrite, ConnectionState).
type peekConn struct {
	*tls.Conn
	r *bufio.Reader
}

func (c *peekConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// subListener is a net.Listener fed by the mux.
type subListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newSubListener(addr net.Addr) *subListener {
	return &subListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *subListener) deliver(c net.Conn, stop <-chan struct{}) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	case <-stop:
		return false
	}
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, fmt.Errorf("accepting on %s: %w", l.addr, net.ErrClosed)
	}
}

func (l *subListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *subListener) Addr() net.Addr { return l.addr }
