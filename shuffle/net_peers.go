package shuffle

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DialFunc opens a connection to a peer's shuffle Server. It is where the
// transport (mutual TLS) plugs in: the shuffle protocol runs on whatever
// connection it returns.
type DialFunc func(ctx context.Context, addr string) (net.Conn, error)

// PeersConfig configures the mapper side's connections. Zero values take
// the defaults.
type PeersConfig struct {
	// Dial opens a connection to a peer. Required.
	Dial DialFunc
	// KeepAlive is the PING interval on every connection; the server drops
	// a connection silent for 3 × KeepAlive. Default 10 s.
	KeepAlive time.Duration
	// IdleTimeout fails a connection whose server sent nothing (not even a
	// PONG) for this long: a peer that stopped responding fails the
	// attempts in flight instead of hanging them. Default 3 × KeepAlive.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds dialing plus the HELLO exchange. Default 10 s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds each write to a peer. Default 30 s.
	WriteTimeout time.Duration
	// Logger receives connection events. Default: discard.
	Logger *slog.Logger
}

// Validate reports every invalid setting, naming its key.
func (c *PeersConfig) Validate() error {
	var errs []error
	if c.Dial == nil {
		errs = append(errs, errors.New("shuffle: peers dial is required"))
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"keep_alive", c.KeepAlive}, {"idle_timeout", c.IdleTimeout}, {"handshake_timeout", c.HandshakeTimeout}, {"write_timeout", c.WriteTimeout}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("shuffle: peers %s must be ≥ 0, got %s", d.key, d.v))
		}
	}
	if c.KeepAlive != 0 && (c.KeepAlive < 50*time.Millisecond || c.KeepAlive > 10*time.Minute) {
		errs = append(errs, fmt.Errorf("shuffle: peers keep_alive must be in [50ms, 10m], got %s", c.KeepAlive))
	}
	if c.KeepAlive != 0 && c.IdleTimeout != 0 && c.IdleTimeout <= c.KeepAlive {
		errs = append(errs, fmt.Errorf("shuffle: peers idle_timeout (%s) must exceed keep_alive (%s)", c.IdleTimeout, c.KeepAlive))
	}
	return errors.Join(errs...)
}

func (c *PeersConfig) withDefaults() PeersConfig {
	out := *c
	if out.KeepAlive == 0 {
		out.KeepAlive = 10 * time.Second
	}
	if out.IdleTimeout == 0 {
		out.IdleTimeout = 3 * out.KeepAlive
	}
	if out.HandshakeTimeout == 0 {
		out.HandshakeTimeout = 10 * time.Second
	}
	if out.WriteTimeout == 0 {
		out.WriteTimeout = 30 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out
}

// PeerError is the error of a map attempt that failed because of one peer:
// its connection was lost (Lost) or it refused the attempt. The scheduler
// retries the map task, elsewhere if the peer is gone.
type PeerError struct {
	Addr string // the peer's address, as Owner returned it
	Lost bool   // the connection failed (dial, handshake, I/O, timeout, protocol)
	Err  error
}

func (e *PeerError) Error() string {
	if e.Lost {
		return fmt.Sprintf("shuffle: peer %s: connection lost: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("shuffle: peer %s: %v", e.Addr, e.Err)
}

func (e *PeerError) Unwrap() error { return e.Err }

// Peers holds one multiplexed connection per peer address, shared by every
// map output of the process (of any job) that sends to that peer. Safe for
// concurrent use.
type Peers struct {
	cfg PeersConfig
	log *slog.Logger

	mu      sync.Mutex
	closed  bool
	conns   map[string]*peerConn
	dialing map[string]*dialCall

	bufs sync.Pool // DATA frame buffers
	st   peerCounters
}

// PeerStats are the mapper side's counters.
type PeerStats struct {
	Dials        int64 // connections dialled (and handshaken)
	DialFailures int64 // dials or handshakes that failed
	Connections  int64 // connections open now
	Lost         int64 // connections that failed after the handshake
	Frames       int64 // frames written
	BytesSent    int64 // frame bytes written
	CreditWaits  int64 // times a block waited for credit
	Waiting      int64 // blocks waiting for credit now
}

type peerCounters struct {
	dials, dialFailures, conns, lost, frames, bytes, creditWaits, waiting atomic.Int64
}

type dialCall struct {
	done chan struct{}
	pc   *peerConn
	err  error
}

// NewPeers returns an empty connection set.
func NewPeers(cfg PeersConfig) (*Peers, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	return &Peers{cfg: c, log: c.Logger, conns: make(map[string]*peerConn), dialing: make(map[string]*dialCall)}, nil
}

// Stats returns the counters so far.
func (ps *Peers) Stats() PeerStats {
	return PeerStats{
		Dials:        ps.st.dials.Load(),
		DialFailures: ps.st.dialFailures.Load(),
		Connections:  ps.st.conns.Load(),
		Lost:         ps.st.lost.Load(),
		Frames:       ps.st.frames.Load(),
		BytesSent:    ps.st.bytes.Load(),
		CreditWaits:  ps.st.creditWaits.Load(),
		Waiting:      ps.st.waiting.Load(),
	}
}

// Close closes every connection; attempts in flight fail.
func (ps *Peers) Close() error {
	ps.mu.Lock()
	ps.closed = true
	conns := make([]*peerConn, 0, len(ps.conns))
	for _, pc := range ps.conns {
		conns = append(conns, pc)
	}
	ps.mu.Unlock()
	for _, pc := range conns {
		pc.fail(errors.New("shuffle: peers closed"))
		pc.wg.Wait()
	}
	return nil
}

// conn returns the live connection to addr, dialling it if needed. Callers
// for the same address share one dial.
func (ps *Peers) conn(ctx context.Context, addr string) (*peerConn, error) {
	for {
		ps.mu.Lock()
		if ps.closed {
			ps.mu.Unlock()
			return nil, errors.New("shuffle: peers closed")
		}
		if pc := ps.conns[addr]; pc != nil {
			ps.mu.Unlock()
			return pc, nil
		}
		call := ps.dialing[addr]
		if call == nil {
			call = &dialCall{done: make(chan struct{})}
			ps.dialing[addr] = call
			// The dial outlives the caller's cancellation (others may wait
			// for it) but not HandshakeTimeout.
			go ps.dial(context.WithoutCancel(ctx), addr, call)
		}
		ps.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if call.err != nil {
			return nil, call.err
		}
		select {
		case <-call.pc.done: // lost already: dial again
			continue
		default:
			return call.pc, nil
		}
	}
}

func (ps *Peers) dial(ctx context.Context, addr string, call *dialCall) {
	ctx, cancel := context.WithTimeout(ctx, ps.cfg.HandshakeTimeout)
	defer cancel()
	pc, err := ps.handshake(ctx, addr)
	ps.mu.Lock()
	delete(ps.dialing, addr)
	if err == nil && ps.closed {
		err = &PeerError{Addr: addr, Lost: true, Err: errors.New("peers closed")}
	}
	if err == nil {
		ps.conns[addr] = pc
	}
	ps.mu.Unlock()
	if err != nil {
		if pc != nil {
			pc.fail(err)
		}
		ps.st.dialFailures.Add(1)
		ps.log.Warn("shuffle: connecting to peer", "peer", addr, "err", err)
	} else {
		ps.st.dials.Add(1)
		ps.st.conns.Add(1)
		pc.start()
	}
	call.pc, call.err = pc, err
	close(call.done)
}

func (ps *Peers) handshake(ctx context.Context, addr string) (*peerConn, error) {
	lost := func(err error) error { return &PeerError{Addr: addr, Lost: true, Err: err} }
	c, err := ps.cfg.Dial(ctx, addr)
	if err != nil {
		return nil, lost(fmt.Errorf("dialing: %w", err))
	}
	deadline, _ := ctx.Deadline()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if err := c.SetDeadline(deadline); err != nil {
		c.Close()
		return nil, lost(err)
	}
	hello := helloMsg{version: protocolVersion, keepAliveMs: uint32(ps.cfg.KeepAlive / time.Millisecond)}
	if _, err := c.Write(appendFrame(nil, frameHello, 0, hello.append(nil))); err != nil {
		c.Close()
		return nil, lost(fmt.Errorf("writing HELLO: %w", err))
	}
	fr := frameReader{r: c, maxCtl: handshakeMaxPayload + messageMax}
	f, err := fr.next()
	if err != nil {
		c.Close()
		return nil, lost(fmt.Errorf("reading HELLO_ACK: %w", err))
	}
	switch f.typ {
	case frameHelloAck:
	case frameError:
		msg, _ := parseMessage(f.payload)
		c.Close()
		return nil, lost(fmt.Errorf("%w: handshake refused: %s", ErrProtocol, msg))
	default:
		c.Close()
		return nil, lost(fmt.Errorf("%w: expected HELLO_ACK, got %s", ErrProtocol, f.typ))
	}
	ack, err := parseHelloAck(f.payload)
	if err == nil && ack.version != protocolVersion {
		err = fmt.Errorf("%w: server speaks shuffle protocol version %d, this process %d", ErrProtocol, ack.version, protocolVersion)
	}
	if err != nil {
		c.Close()
		return nil, lost(err)
	}
	if !stop() {
		c.Close()
		return nil, lost(ctx.Err())
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return nil, lost(err)
	}
	return &peerConn{
		ps:         ps,
		addr:       addr,
		conn:       c,
		window:     int64(ack.window),
		avail:      int64(ack.window),
		maxFrame:   int(ack.maxFrame),
		credNotify: make(chan struct{}),
		out:        make(chan outFrame, 128),
		done:       make(chan struct{}),
		streams:    make(map[uint32]*clientStream),
	}, nil
}

// peerConn is one multiplexed connection to a peer's Server.
type peerConn struct {
	ps   *Peers
	addr string
	conn net.Conn

	window   int64 // the server's credit window
	maxFrame int   // the largest DATA payload the server accepts

	credMu     sync.Mutex
	avail      int64         // credit left: window minus unacknowledged DATA bytes
	credNotify chan struct{} // closed and replaced on each grant

	out chan outFrame

	mu      sync.Mutex
	nextID  uint32
	streams map[uint32]*clientStream

	wg   sync.WaitGroup
	once sync.Once
	done chan struct{}
	err  error // a *PeerError, set before done closes
}

// clientStream is one map attempt's stream to one peer.
type clientStream struct {
	pc   *peerConn
	id   uint32
	open openMsg // identifies the attempt (sent again with ABORT)
	done chan struct{}
	err  error // nil after COMMITTED; the RESET reason otherwise
}

func (pc *peerConn) start() {
	pc.wg.Add(2)
	go func() { defer pc.wg.Done(); pc.readLoop() }()
	go func() { defer pc.wg.Done(); pc.writeLoop() }()
}

// fail ends the connection once; attempts using it fail with a *PeerError.
func (pc *peerConn) fail(cause error) {
	pc.once.Do(func() {
		var pe *PeerError
		if !errors.As(cause, &pe) {
			pe = &PeerError{Addr: pc.addr, Lost: true, Err: cause}
		}
		pc.err = pe
		close(pc.done)
		pc.conn.Close()
		ps := pc.ps
		ps.mu.Lock()
		if ps.conns[pc.addr] == pc {
			delete(ps.conns, pc.addr)
			ps.st.conns.Add(-1)
			ps.st.lost.Add(1)
			ps.log.Warn("shuffle: peer connection lost", "peer", pc.addr, "err", cause)
		}
		ps.mu.Unlock()
	})
}

// openStream sends OPEN for an attempt.
func (pc *peerConn) openStream(ctx context.Context, m openMsg) (*clientStream, error) {
	pc.mu.Lock()
	pc.nextID++
	if pc.nextID == 0 { // 2^32 streams on one connection: start over on a new one
		pc.mu.Unlock()
		pc.fail(errors.New("stream ids exhausted"))
		return nil, pc.err
	}
	st := &clientStream{pc: pc, id: pc.nextID, open: m, done: make(chan struct{})}
	pc.streams[st.id] = st
	pc.mu.Unlock()
	if err := pc.send(ctx, appendFrame(nil, frameOpen, st.id, m.append(nil))); err != nil {
		pc.forget(st.id)
		return nil, err
	}
	return st, nil
}

func (pc *peerConn) forget(id uint32) {
	pc.mu.Lock()
	delete(pc.streams, id)
	pc.mu.Unlock()
}

// finish completes a stream on COMMITTED (err nil) or RESET.
func (pc *peerConn) finish(id uint32, err error) {
	pc.mu.Lock()
	st := pc.streams[id]
	delete(pc.streams, id)
	pc.mu.Unlock()
	if st != nil {
		st.err = err
		close(st.done)
	}
}

// send queues a frame for the writer.
func (pc *peerConn) send(ctx context.Context, b []byte) error {
	return pc.sendFrame(ctx, outFrame{b: b})
}

func (pc *peerConn) sendFrame(ctx context.Context, f outFrame) error {
	select {
	case pc.out <- f:
		return nil
	case <-pc.done:
		return pc.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// acquire takes n bytes of credit, waiting while the server has not stored
// enough of what was sent. A frame larger than the window goes alone, when
// the whole window is free.
func (pc *peerConn) acquire(ctx context.Context, n int64) error {
	waited := false
	for {
		pc.credMu.Lock()
		if pc.avail >= n || pc.avail == pc.window {
			pc.avail -= n
			pc.credMu.Unlock()
			if waited {
				pc.ps.st.waiting.Add(-1)
			}
			return nil
		}
		ch := pc.credNotify
		pc.credMu.Unlock()
		if !waited {
			waited = true
			pc.ps.st.creditWaits.Add(1)
			pc.ps.st.waiting.Add(1)
		}
		select {
		case <-ch:
		case <-pc.done:
			pc.ps.st.waiting.Add(-1)
			return pc.err
		case <-ctx.Done():
			pc.ps.st.waiting.Add(-1)
			return ctx.Err()
		}
	}
}

// release returns credit taken by acquire for a frame that was never sent.
func (pc *peerConn) release(n int64) error {
	pc.credMu.Lock()
	defer pc.credMu.Unlock()
	pc.avail += n
	if pc.avail > pc.window {
		return fmt.Errorf("%w: %d bytes of credit beyond the %d-byte window", ErrProtocol, pc.avail-pc.window, pc.window)
	}
	close(pc.credNotify)
	pc.credNotify = make(chan struct{})
	return nil
}

func (pc *peerConn) readLoop() {
	fr := frameReader{r: bufio.NewReaderSize(pc.conn, 16<<10), maxCtl: controlMaxPayload}
	idle := pc.ps.cfg.IdleTimeout
	for {
		if err := pc.conn.SetReadDeadline(time.Now().Add(idle)); err != nil {
			pc.fail(err)
			return
		}
		f, err := fr.next()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = fmt.Errorf("no frame from the server for %s: %w", idle, err)
			}
			pc.fail(err)
			return
		}
		switch f.typ {
		case frameCredit:
			n, err := parseCredit(f.payload)
			if err == nil {
				err = pc.release(int64(n))
			}
			if err != nil {
				pc.fail(err)
				return
			}
		case frameCommitted:
			pc.finish(f.stream, nil)
		case frameReset:
			msg, err := parseMessage(f.payload)
			if err != nil {
				pc.fail(err)
				return
			}
			pc.finish(f.stream, &PeerError{Addr: pc.addr, Err: fmt.Errorf("refused the attempt: %s", msg)})
		case framePong:
		case frameError:
			msg, _ := parseMessage(f.payload)
			pc.fail(fmt.Errorf("server closed the connection: %s", msg))
			return
		default:
			pc.fail(fmt.Errorf("%w: unexpected %s frame from a server", ErrProtocol, f.typ))
			return
		}
	}
}

// directWrite is the frame size from which the writer bypasses its buffer.
const directWrite = 8 << 10

func (pc *peerConn) writeLoop() {
	bw := bufio.NewWriterSize(pc.conn, 64<<10)
	ping := time.NewTicker(pc.ps.cfg.KeepAlive)
	defer ping.Stop()
	var nonce [8]byte
	var pings uint64
	st := &pc.ps.st
	for {
		var first outFrame
		select {
		case <-pc.done:
			return
		case first = <-pc.out:
		case <-ping.C:
			pings++
			binary.LittleEndian.PutUint64(nonce[:], pings)
			first = outFrame{b: appendFrame(nil, framePing, 0, nonce[:])}
		}
		if err := pc.conn.SetWriteDeadline(time.Now().Add(pc.ps.cfg.WriteTimeout)); err != nil {
			pc.fail(err)
			return
		}
		var err error
		write := func(f outFrame) {
			if err == nil {
				if len(f.b) >= directWrite {
					// Big DATA frames skip the buffer: one copy less.
					if err = bw.Flush(); err == nil {
						_, err = pc.conn.Write(f.b)
					}
				} else {
					_, err = bw.Write(f.b)
				}
				st.frames.Add(1)
				st.bytes.Add(int64(len(f.b)))
			}
			if f.pooled {
				pc.ps.putBuf(f.b)
			}
		}
		write(first)
	drain:
		for err == nil {
			select {
			case f := <-pc.out:
				write(f)
			default:
				break drain
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			pc.fail(fmt.Errorf("writing: %w", err))
			return
		}
	}
}

// getBuf returns an empty DATA frame buffer from the pool shared by map
// outputs and writers.
func (ps *Peers) getBuf() []byte {
	if b, ok := ps.bufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

func (ps *Peers) putBuf(b []byte) {
	if cap(b) == 0 || cap(b) > 4<<20 {
		return
	}
	b = b[:0]
	ps.bufs.Put(&b)
}
