package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Connection kinds: the first byte a dialer writes after the handshake.
const (
	kindPackets byte = 'P' // a long-lived stream of length-prefixed packets
	kindStream  byte = 'S' // one memberlist stream (push/pull, TCP ping)
)

// maxPacket bounds one gossip packet on the wire. memberlist packets are at
// most its UDPBufferSize (1400 bytes by default); the margin allows for a
// label header and encryption overhead.
const maxPacket = 1 << 20

// gossipTransport is a memberlist.NodeAwareTransport carrying memberlist's
// packets and streams over mutual TLS on one TCP port.
//
// Packets (memberlist's UDP traffic: probes, acks, gossip) go over one
// pooled connection per peer and direction, dialed on first use and kept:
// no handshake per packet. Each packet is a 4-byte big-endian length and the
// payload. A write error or deadline drops the packet (memberlist treats
// packets as best effort) and the connection; the next packet redials,
// after a short back-off if the dial failed, so an unreachable peer does
// not stall memberlist's probe loop (the back-off doubles per failed dial,
// up to 8× PacketDialTimeout).
//
// Streams (memberlist's TCP traffic) are one TLS connection each, as
// memberlist closes them when done; the session cache makes these
// abbreviated handshakes.
type gossipTransport struct {
	m      *MTLS
	ln     *Listener
	logger *slog.Logger

	packetDialTimeout  time.Duration
	packetWriteTimeout time.Duration
	dialBackoff        time.Duration

	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	done     chan struct{}

	mu       sync.Mutex
	peers    map[string]*peerConn
	outbound map[net.Conn]struct{} // pooled packet connections
	inbound  map[net.Conn]struct{}

	wg           sync.WaitGroup
	shutdownOnce sync.Once

	packetDials, streamDials, packetsSent, packetsReceived, sendErrors atomic.Int64
}

// GossipStats counts the gossip transport's work since start.
type GossipStats struct {
	// PacketDials is how many pooled packet connections were dialed (each a
	// TLS handshake); PacketsSent is how many packets they carried.
	PacketDials, PacketsSent int64
	// PacketsReceived counts packets read from peers.
	PacketsReceived int64
	// StreamDials counts memberlist streams opened (push/pull, join, TCP
	// probes); each is a TLS connection, resumed when possible.
	StreamDials int64
	// SendErrors counts packets that could not be sent (peer down or
	// refusing us); memberlist treats them as lost.
	SendErrors int64
}

func (t *gossipTransport) stats() GossipStats {
	return GossipStats{
		PacketDials: t.packetDials.Load(), PacketsSent: t.packetsSent.Load(),
		PacketsReceived: t.packetsReceived.Load(), StreamDials: t.streamDials.Load(),
		SendErrors: t.sendErrors.Load(),
	}
}

// peerConn is the pooled packet connection to one peer address.
type peerConn struct {
	mu        sync.Mutex
	conn      net.Conn
	failUntil time.Time
	failures  int // consecutive failed dials, for the back-off
	buf       []byte
}

var _ memberlist.NodeAwareTransport = (*gossipTransport)(nil)

func newGossipTransport(m *MTLS, bindAddr string, packetDialTimeout, dialBackoff time.Duration, logger *slog.Logger) (*gossipTransport, error) {
	l, err := m.Listen(bindAddr)
	if err != nil {
		return nil, err
	}
	t := &gossipTransport{
		m:                  m,
		ln:                 l.(*Listener),
		logger:             logger,
		packetDialTimeout:  packetDialTimeout,
		packetWriteTimeout: packetDialTimeout,
		dialBackoff:        dialBackoff,
		packetCh:           make(chan *memberlist.Packet),
		streamCh:           make(chan net.Conn),
		done:               make(chan struct{}),
		peers:              map[string]*peerConn{},
		outbound:           map[net.Conn]struct{}{},
		inbound:            map[net.Conn]struct{}{},
	}
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// Addr is the bound address.
func (t *gossipTransport) Addr() *net.TCPAddr { return t.ln.Addr().(*net.TCPAddr) }

// FinalAdvertiseAddr implements memberlist.Transport: the configured
// address, else the bound IP, else (bound to all interfaces) the first
// private IPv4 address of the host.
func (t *gossipTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	bound := t.Addr()
	if port == 0 {
		port = bound.Port
	}
	if ip != "" {
		a := net.ParseIP(ip)
		if a == nil {
			return nil, 0, fmt.Errorf("advertise address %q is not an IP address", ip)
		}
		if a4 := a.To4(); a4 != nil {
			a = a4
		}
		return a, port, nil
	}
	if !bound.IP.IsUnspecified() {
		if a4 := bound.IP.To4(); a4 != nil {
			return a4, port, nil
		}
		return bound.IP, port, nil
	}
	a, err := privateIP()
	if err != nil {
		return nil, 0, err
	}
	return a, port, nil
}

// privateIP is the first private (RFC 1918 / RFC 4193) address of an up
// interface, IPv4 first.
func privateIP() (net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("listing interface addresses: %w", err)
	}
	var v6 net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || !n.IP.IsPrivate() {
			continue
		}
		if a4 := n.IP.To4(); a4 != nil {
			return a4, nil
		}
		if v6 == nil {
			v6 = n.IP
		}
	}
	if v6 != nil {
		return v6, nil
	}
	return nil, errors.New("bound to all interfaces and no private IP address found: set advertise_addr")
}

// WriteTo implements memberlist.Transport.
func (t *gossipTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress implements memberlist.NodeAwareTransport.
func (t *gossipTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if len(b) > maxPacket {
		return time.Time{}, fmt.Errorf("gossip packet of %d bytes exceeds %d", len(b), maxPacket)
	}
	select {
	case <-t.done:
		return time.Time{}, errors.New("transport: gossip transport shut down")
	default:
	}
	pc := t.peer(a.Addr)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.buf = binary.BigEndian.AppendUint32(pc.buf[:0], uint32(len(b)))
	pc.buf = append(pc.buf, b...)
	for {
		fresh := pc.conn == nil
		if fresh {
			if err := t.connect(pc, a.Addr); err != nil {
				t.sendErrors.Add(1)
				return time.Time{}, err
			}
		}
		pc.conn.SetWriteDeadline(time.Now().Add(t.packetWriteTimeout))
		_, err := pc.conn.Write(pc.buf)
		if err == nil {
			t.packetsSent.Add(1)
			return time.Now(), nil
		}
		t.untrack(t.outbound, pc.conn)
		pc.conn.Close()
		pc.conn = nil
		if fresh {
			t.sendErrors.Add(1)
			return time.Time{}, remoteError("write", a.Addr, err)
		}
		// A pooled connection the peer had closed (it restarted, or
		// watchOutbound saw it go): one retry on a fresh connection.
	}
}

// connect dials the pooled packet connection of pc, honouring the back-off
// after failed dials. pc.mu is held.
func (t *gossipTransport) connect(pc *peerConn, addr string) error {
	if time.Now().Before(pc.failUntil) {
		return remoteError("dial", addr, errors.New("not redialed yet after a failed dial"))
	}
	t.packetDials.Add(1)
	c, err := t.dial(addr, kindPackets, t.packetDialTimeout)
	if err != nil {
		// Exponential back-off, capped at 8× the base: a vanished host
		// (SYNs unanswered) costs memberlist's gossip loop a blocked dial
		// only now and then, and a restarted one is redialed soon.
		pc.failUntil = time.Now().Add(t.dialBackoff << min(pc.failures, 3))
		pc.failures++
		return remoteError("dial", addr, err)
	}
	pc.failures = 0
	if !t.track(t.outbound, c) {
		c.Close()
		return errors.New("transport: gossip transport shut down")
	}
	pc.conn = c
	// The peer never writes on a packet connection; a read returns when it
	// closes (it left, died or restarted) and the connection is closed here
	// rather than left half-open in the pool, so the next write fails
	// locally and is retried on a fresh connection instead of vanishing
	// into a socket the peer reset.
	t.wg.Add(1)
	go t.watchOutbound(c)
	return nil
}

// remoteError reports a packet that could not be sent because of the peer
// or the network. memberlist recognises a failed peer only by an unwrapped
// *net.OpError with Net "tcp" and Op "dial" or "write" (failedRemote in its
// state.go); with that it starts indirect probes and suspicion at once
// instead of waiting for the next probe round.
func remoteError(op, addr string, err error) error {
	oe := &net.OpError{Op: op, Net: "tcp", Err: err}
	if ta, rerr := net.ResolveTCPAddr("tcp", addr); rerr == nil {
		oe.Addr = ta
	}
	return oe
}

func (t *gossipTransport) peer(addr string) *peerConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	pc, ok := t.peers[addr]
	if !ok {
		pc = &peerConn{}
		t.peers[addr] = pc
	}
	return pc
}

// dial opens a mutual-TLS connection of the given kind.
func (t *gossipTransport) dial(addr string, kind byte, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Shutdown aborts dials in progress.
	go func() {
		select {
		case <-t.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	c, err := t.m.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte{kind}); err != nil {
		c.Close()
		return nil, fmt.Errorf("opening gossip connection to %s: %w", addr, err)
	}
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

// PacketCh implements memberlist.Transport.
func (t *gossipTransport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// DialTimeout implements memberlist.Transport.
func (t *gossipTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport.
func (t *gossipTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	t.streamDials.Add(1)
	return t.dial(a.Addr, kindStream, timeout)
}

// StreamCh implements memberlist.Transport.
func (t *gossipTransport) StreamCh() <-chan net.Conn { return t.streamCh }

// Shutdown implements memberlist.Transport: it stops listening, closes
// every pooled and inbound connection and waits for the transport's
// goroutines, at most 5 seconds. It is idempotent.
func (t *gossipTransport) Shutdown() error {
	var err error
	t.shutdownOnce.Do(func() {
		close(t.done)
		err = t.ln.Close()
		t.mu.Lock()
		// Closing a *tls.Conn while a Write is in flight is allowed: it
		// closes the socket and the Write fails.
		for c := range t.outbound {
			c.Close()
		}
		for c := range t.inbound {
			c.Close()
		}
		t.mu.Unlock()
		waited := make(chan struct{})
		go func() { t.wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			err = errors.Join(err, errors.New("transport: gossip goroutines still running 5s after shutdown"))
		}
	})
	return err
}

func (t *gossipTransport) acceptLoop() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		if !t.track(t.inbound, c) {
			c.Close()
			return
		}
		t.wg.Add(1)
		go t.serve(c)
	}
}

// track adds c to set (outbound or inbound); false after Shutdown.
func (t *gossipTransport) track(set map[net.Conn]struct{}, c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.done:
		return false
	default:
	}
	set[c] = struct{}{}
	return true
}

func (t *gossipTransport) untrack(set map[net.Conn]struct{}, c net.Conn) {
	t.mu.Lock()
	delete(set, c)
	t.mu.Unlock()
}

// serve reads the kind byte of an accepted connection and hands it on.
func (t *gossipTransport) serve(c net.Conn) {
	defer t.wg.Done()
	c.SetReadDeadline(time.Now().Add(t.m.opts.HandshakeTimeout))
	var kind [1]byte
	if _, err := io.ReadFull(c, kind[:]); err != nil {
		t.untrack(t.inbound, c)
		c.Close()
		t.logger.Debug("gossip connection closed before its kind byte", "remote", c.RemoteAddr().String(), "err", err)
		return
	}
	c.SetReadDeadline(time.Time{})
	switch kind[0] {
	case kindStream:
		// memberlist owns the stream from here and closes it.
		t.untrack(t.inbound, c)
		select {
		case t.streamCh <- c:
		case <-t.done:
			c.Close()
		}
	case kindPackets:
		defer t.untrack(t.inbound, c)
		defer c.Close()
		if err := t.readPackets(c); err != nil {
			select {
			case <-t.done:
			default:
				t.logger.Debug("gossip packet connection ended", "remote", c.RemoteAddr().String(), "err", err)
			}
		}
	default:
		t.untrack(t.inbound, c)
		c.Close()
		t.logger.Warn("gossip connection of unknown kind", "remote", c.RemoteAddr().String(), "kind", strconv.Quote(string(kind[:])))
	}
}

func (t *gossipTransport) readPackets(c net.Conn) error {
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > maxPacket {
			return fmt.Errorf("gossip packet length %d out of range 1..%d", n, maxPacket)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		p := &memberlist.Packet{Buf: buf, From: c.RemoteAddr(), Timestamp: time.Now()}
		t.packetsReceived.Add(1)
		select {
		case t.packetCh <- p:
		case <-t.done:
			return nil
		}
	}
}

// watchOutbound waits for the peer to close a pooled packet connection.
func (t *gossipTransport) watchOutbound(c net.Conn) {
	defer t.wg.Done()
	_, err := io.Copy(io.Discard, c)
	t.untrack(t.outbound, c)
	c.Close()
	select {
	case <-t.done:
	default:
		t.logger.Debug("gossip packet connection closed by peer", "remote", c.RemoteAddr().String(), "err", err)
	}
}
