package shuffletest

import (
	"net"
	"sync"
	"sync/atomic"
)

// Relay is a TCP proxy on 127.0.0.1 between a shuffle client and a server
// that injects network faults: it can kill every connection abruptly
// (RST), freeze them (stop forwarding, keep them open: a silent peer), or
// flip one bit of the client→server byte stream at a given offset.
type Relay struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	pairs  []*relayPair
	closed bool
	thaw   chan struct{} // closed when not frozen

	up        atomic.Int64 // client→server bytes forwarded, all connections
	corruptAt atomic.Int64 // upstream offset whose byte gets a bit flipped; -1: none
	killAt    atomic.Int64 // upstream offset at which everything is killed; -1: never
	wg        sync.WaitGroup
}

type relayPair struct{ client, server net.Conn }

// NewRelay listens on 127.0.0.1:0 and forwards each connection to target.
func NewRelay(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{ln: ln, target: target, thaw: make(chan struct{})}
	close(r.thaw)
	r.corruptAt.Store(-1)
	r.killAt.Store(-1)
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is the relay's address, to give to clients.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Upstream returns the client→server bytes forwarded so far.
func (r *Relay) Upstream() int64 { return r.up.Load() }

// CorruptAt flips the lowest bit of the client→server byte at offset off
// (counted over all connections from the relay's start).
func (r *Relay) CorruptAt(off int64) { r.corruptAt.Store(off) }

// KillAt kills every connection once off client→server bytes went through.
func (r *Relay) KillAt(off int64) { r.killAt.Store(off) }

// Freeze stops forwarding in both directions; connections stay open.
func (r *Relay) Freeze() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.thaw:
		r.thaw = make(chan struct{})
	default:
	}
}

// Thaw resumes forwarding.
func (r *Relay) Thaw() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.thaw:
	default:
		close(r.thaw)
	}
}

// Kill resets every current connection (both sides see an abrupt close).
func (r *Relay) Kill() {
	r.mu.Lock()
	pairs := r.pairs
	r.pairs = nil
	r.mu.Unlock()
	for _, p := range pairs {
		for _, c := range []net.Conn{p.client, p.server} {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
		}
	}
}

// Close stops the relay and kills its connections.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	err := r.ln.Close()
	r.Thaw()
	r.Kill()
	r.wg.Wait()
	return err
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		p := &relayPair{client: c, server: s}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		r.pairs = append(r.pairs, p)
		r.mu.Unlock()
		r.wg.Add(2)
		go func() { defer r.wg.Done(); r.pipe(s, c, true) }()
		go func() { defer r.wg.Done(); r.pipe(c, s, false) }()
	}
}

func (r *Relay) frozen() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.thaw
}

func (r *Relay) pipe(dst, src net.Conn, upstream bool) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			<-r.frozen()
			b := buf[:n]
			if upstream {
				start := r.up.Add(int64(n)) - int64(n)
				if at := r.corruptAt.Load(); at >= start && at < start+int64(n) {
					b[at-start] ^= 1
					r.corruptAt.Store(-1)
				}
				if at := r.killAt.Load(); at >= 0 && at < start+int64(n) {
					r.killAt.Store(-1)
					r.Kill()
					return
				}
			}
			if _, werr := dst.Write(b); werr != nil {
				return
			}
		}
		if err != nil {
			<-r.frozen() // a frozen network delivers no close either
			return       // EOF or error: close both ways
		}
	}
}
