package shuffle

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ServerConfig configures a shuffle Server. Zero values take the defaults.
type ServerConfig struct {
	// MemoryBudget is how many bytes of received blocks the server keeps in
	// memory across all jobs; further blocks spill to files. Default 256 MiB.
	MemoryBudget int64
	// SpillDir is the folder in which the server makes its spill folder
	// (removed by Close). Default os.TempDir().
	SpillDir string
	// Window is each connection's credit window: the most DATA payload bytes
	// a peer may have sent that the server has not stored yet. It bounds the
	// server's unstored memory per connection. Default 8 MiB.
	Window int
	// MaxFrame is the largest DATA payload accepted, so the largest encoded
	// block a mapper can send. Default 16 MiB.
	MaxFrame int
	// MaxConns bounds concurrent connections; further ones are refused.
	// Default 512.
	MaxConns int
	// MaxStreams bounds the live streams (map attempts in flight) of one
	// connection. Default 4096.
	MaxStreams int
	// HandshakeTimeout bounds the TLS handshake and the HELLO exchange.
	// Default 10 s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds each write to a peer. Default 30 s.
	WriteTimeout time.Duration
	// Logger receives connection events. Default: discard.
	Logger *slog.Logger

	// storeHook, when set by tests, runs before each block is stored.
	storeHook func()
}

// Validate reports every invalid setting, naming its key.
func (c *ServerConfig) Validate() error {
	var errs []error
	if c.MemoryBudget < 0 {
		errs = append(errs, fmt.Errorf("shuffle: server memory_budget must be ≥ 0, got %d", c.MemoryBudget))
	}
	if c.Window != 0 && (c.Window < 4<<10 || c.Window > maxTaskID) {
		errs = append(errs, fmt.Errorf("shuffle: server window must be in [4096, %d] bytes, got %d", maxTaskID, c.Window))
	}
	if c.MaxFrame != 0 && (c.MaxFrame < 4<<10 || c.MaxFrame > 1<<30) {
		errs = append(errs, fmt.Errorf("shuffle: server max_frame must be in [4096, %d] bytes, got %d", 1<<30, c.MaxFrame))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("shuffle: server max_conns must be ≥ 0, got %d", c.MaxConns))
	}
	if c.MaxStreams < 0 || c.MaxStreams > maxTaskID {
		errs = append(errs, fmt.Errorf("shuffle: server max_streams must be in [0, %d], got %d", maxTaskID, c.MaxStreams))
	}
	if c.HandshakeTimeout < 0 {
		errs = append(errs, fmt.Errorf("shuffle: server handshake_timeout must be ≥ 0, got %s", c.HandshakeTimeout))
	}
	if c.WriteTimeout < 0 {
		errs = append(errs, fmt.Errorf("shuffle: server write_timeout must be ≥ 0, got %s", c.WriteTimeout))
	}
	return errors.Join(errs...)
}

func (c *ServerConfig) withDefaults() ServerConfig {
	out := *c
	if out.MemoryBudget == 0 {
		out.MemoryBudget = 256 << 20
	}
	if out.SpillDir == "" {
		out.SpillDir = os.TempDir()
	}
	if out.Window == 0 {
		out.Window = 8 << 20
	}
	if out.MaxFrame == 0 {
		out.MaxFrame = 16 << 20
	}
	if out.MaxConns == 0 {
		out.MaxConns = 512
	}
	if out.MaxStreams == 0 {
		out.MaxStreams = 4096
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

// ErrServerClosed is returned by Serve after Close, and to peers that open
// streams while the server shuts down.
var ErrServerClosed = errors.New("shuffle: server closed")

// ErrMissingOutput is wrapped by ReadPartition when a winning map attempt's
// output for the partition is not on this server (never sent here, not
// committed, or lost with a connection): the scheduler must re-run that map
// task.
var ErrMissingOutput = errors.New("shuffle: map output missing")

// Server is the receiving side of the network shuffle, one per worker
// process. It accepts connections from mappers (Serve), stores the blocks
// they push per (job, map task, attempt, partition) in memory up to the
// budget and in spill files beyond it, and serves the committed output of a
// partition to the local reduce task (ReadPartition). All methods are safe
// for concurrent use.
type Server struct {
	cfg      ServerConfig
	log      *slog.Logger
	spillDir string

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	jobs      map[string]*netJob
	dropped   map[string]struct{} // recently dropped jobs: late streams are refused
	dropOrder []string

	wg      sync.WaitGroup
	memUsed atomic.Int64
	st      serverCounters
}

// controlQueueMax bounds the control frames (OPEN, COMMIT, ABORT) a
// connection may have queued for its store goroutine; DATA is bounded by
// the credit window.
const controlQueueMax = 64 << 20

// droppedJobsKept is how many dropped job ids a server remembers to refuse
// late streams of those jobs.
const droppedJobsKept = 4096

// ServerStats are a Server's counters.
type ServerStats struct {
	Connections      int64 // connections open now
	ConnectionsTotal int64 // connections that completed the handshake
	Refused          int64 // connections refused: over MaxConns, failed TLS or HELLO, other version
	Frames           int64 // frames received after the handshake
	BytesReceived    int64 // frame bytes received (headers and payloads)
	Blocks           int64 // blocks stored
	MemoryBytes      int64 // block bytes held in memory now
	SpilledBytes     int64 // block bytes written to spill files so far
	PendingBytes     int64 // DATA bytes received and not yet stored, now
	PendingHigh      int64 // the most unstored DATA bytes seen on one connection (≤ Window)
	Committed        int64 // map attempts sealed by a COMMIT
	Dropped          int64 // map attempts dropped: abort, refusal, lost connection, non-winner, DropJob
	CorruptFrames    int64 // connections closed on a frame that failed to decode
	ProtocolErrors   int64 // connections closed on a protocol violation
}

type serverCounters struct {
	conns, connsTotal, refused, frames, bytes, blocks, spilled,
	pending, pendingHigh, committed, dropped, corrupt, protocol atomic.Int64
}

// NewServer returns a server; call Serve to accept connections.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if err := os.MkdirAll(c.SpillDir, 0o755); err != nil {
		return nil, fmt.Errorf("shuffle: creating spill_dir %s: %w", c.SpillDir, err)
	}
	dir, err := os.MkdirTemp(c.SpillDir, "furrow-shuffle-*")
	if err != nil {
		return nil, fmt.Errorf("shuffle: creating a spill folder in %s: %w", c.SpillDir, err)
	}
	return &Server{
		cfg:       c,
		log:       c.Logger,
		spillDir:  dir,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*serverConn]struct{}),
		jobs:      make(map[string]*netJob),
		dropped:   make(map[string]struct{}),
	}, nil
}

// Stats returns the server's counters so far.
func (s *Server) Stats() ServerStats {
	return ServerStats{
		Connections:      s.st.conns.Load(),
		ConnectionsTotal: s.st.connsTotal.Load(),
		Refused:          s.st.refused.Load(),
		Frames:           s.st.frames.Load(),
		BytesReceived:    s.st.bytes.Load(),
		Blocks:           s.st.blocks.Load(),
		MemoryBytes:      s.memUsed.Load(),
		SpilledBytes:     s.st.spilled.Load(),
		PendingBytes:     s.st.pending.Load(),
		PendingHigh:      s.st.pendingHigh.Load(),
		Committed:        s.st.committed.Load(),
		Dropped:          s.st.dropped.Load(),
		CorruptFrames:    s.st.corrupt.Load(),
		ProtocolErrors:   s.st.protocol.Load(),
	}
}

// Serve accepts connections on ln until Close (then it returns nil) or until
// ln fails for good. ln may be a crypto/tls listener: the TLS handshake then
// runs under HandshakeTimeout. Serve may be called for several listeners.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("shuffle: accepting on %s: %w", ln.Addr(), err)
			}
			// Transient (out of descriptors, aborted handshake): back off,
			// bounded, as net/http does. Close interrupts Accept, not this
			// pause, which is at most a second.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("shuffle: accept failed; retrying", "listener", ln.Addr().String(), "err", err, "backoff", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed || len(s.conns) >= s.cfg.MaxConns {
			full := !s.closed
			s.mu.Unlock()
			s.st.refused.Add(1)
			if full {
				s.log.Warn("shuffle: refusing connection: max_conns reached", "peer", c.RemoteAddr().String(), "max_conns", s.cfg.MaxConns)
			}
			c.Close()
			continue
		}
		sc := newServerConn(s, c)
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.st.conns.Add(1)
		go sc.run()
	}
}

// Close stops every listener given to Serve, closes every connection (their
// unsealed attempts are dropped), waits for the connection goroutines, frees
// every job and removes the spill folder.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()
	for _, sc := range conns {
		sc.fail(ErrServerClosed)
	}
	s.wg.Wait()

	s.mu.Lock()
	jobs := s.jobs
	s.jobs = make(map[string]*netJob)
	s.mu.Unlock()
	for _, j := range jobs {
		j.dropAll(s)
	}
	if err := os.RemoveAll(s.spillDir); err != nil {
		return fmt.Errorf("shuffle: removing spill folder %s: %w", s.spillDir, err)
	}
	return nil
}

// reserveMem takes n bytes of the memory budget if they fit.
func (s *Server) reserveMem(n int64) bool {
	for {
		cur := s.memUsed.Load()
		if cur+n > s.cfg.MemoryBudget {
			return false
		}
		if s.memUsed.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// outFrame is a frame queued for a connection's writer. last asks the
// writer to stop after writing it (an ERROR before closing); pooled frames
// go back to their Peers' buffer pool once written.
type outFrame struct {
	b      []byte
	last   bool
	pooled bool
}

// serverConn is one accepted connection: a reader goroutine (run) that
// decodes and checks frames and queues them, a store goroutine that applies
// them in order, and a writer goroutine for replies and credits.
type serverConn struct {
	s      *Server
	conn   net.Conn
	remote string
	log    *slog.Logger

	idle time.Duration // read deadline: 3 × the peer's keep-alive

	q           itemQueue
	out         chan outFrame
	poke        chan struct{} // credit owed: wake the writer
	owed        atomic.Int64  // credit bytes not yet sent
	outstanding atomic.Int64  // DATA bytes received and not stored
	live        atomic.Int64  // streams opened and not yet finished
	ctlQueued   atomic.Int64  // bytes of control frames queued for the store goroutine
	lastDone    chan struct{} // the writer wrote a last frame
	closing     atomic.Bool   // closeWith has started

	streams map[uint32]*srvStream // owned by the store goroutine

	once sync.Once
	done chan struct{}
	err  error // why the connection ended; set before done closes
}

// srvStream is the server side of one map attempt's stream.
type srvStream struct {
	job    *netJob
	att    *netAttempt
	failed bool // RESET sent; frames are ignored until COMMIT or ABORT
}

func newServerConn(s *Server, c net.Conn) *serverConn {
	remote := c.RemoteAddr().String()
	return &serverConn{
		s:        s,
		conn:     c,
		remote:   remote,
		log:      s.log.With("peer", remote),
		out:      make(chan outFrame, 256),
		poke:     make(chan struct{}, 1),
		lastDone: make(chan struct{}),
		streams:  make(map[uint32]*srvStream),
		done:     make(chan struct{}),
		q:        itemQueue{notify: make(chan struct{}, 1)},
	}
}

// fail ends the connection once; err says why.
func (sc *serverConn) fail(err error) {
	sc.once.Do(func() {
		sc.err = err
		close(sc.done)
		sc.conn.Close()
	})
}

func (sc *serverConn) run() {
	s := sc.s
	defer func() {
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		s.st.conns.Add(-1)
		s.wg.Done()
	}()
	if err := sc.handshake(); err != nil {
		s.st.refused.Add(1)
		sc.log.Warn("shuffle: refused connection", "err", err)
		sc.fail(err)
		return
	}
	s.st.connsTotal.Add(1)
	sc.log.Debug("shuffle: peer connected")

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sc.writeLoop() }()
	go func() { defer wg.Done(); sc.storeLoop() }()
	err := sc.readLoop()
	sc.closeWith(err, true)
	wg.Wait()

	// The store goroutine has exited: drop what it left half-received.
	for id, st := range sc.streams {
		if st.att != nil {
			s.dropAttempt(st.job, st.att)
		}
		delete(sc.streams, id)
	}
	sc.q.drain()
	s.st.pending.Add(-sc.outstanding.Swap(0))
	if errors.Is(sc.err, ErrServerClosed) || errors.Is(sc.err, io.EOF) {
		sc.log.Debug("shuffle: peer disconnected", "err", sc.err)
	} else {
		sc.log.Warn("shuffle: peer connection ended", "err", sc.err)
	}
}

// closeWith ends the connection after err. A peer fault (corrupt frame,
// protocol violation) is reported to the peer in an ERROR frame first; with
// drain (only the reader goroutine may ask) the connection is then
// half-closed and read out briefly, so that the peer reads the ERROR rather
// than a reset caused by unread data.
func (sc *serverConn) closeWith(err error, drain bool) {
	if !sc.closing.CompareAndSwap(false, true) {
		// Another goroutine is closing (maybe sending its ERROR): wait.
		t := time.NewTimer(2 * time.Second)
		defer t.Stop()
		select {
		case <-sc.done:
		case <-t.C:
			sc.fail(err)
		}
		return
	}
	select {
	case <-sc.done:
		return
	default:
	}
	switch {
	case errors.Is(err, ErrCorruptFrame):
		sc.s.st.corrupt.Add(1)
	case errors.Is(err, ErrProtocol):
		sc.s.st.protocol.Add(1)
	default:
		sc.fail(err)
		return
	}
	f := outFrame{b: messageFrame(frameError, 0, err.Error()), last: true}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	written := false
	select {
	case sc.out <- f:
		select {
		case <-sc.lastDone:
			written = true
		case <-sc.done:
		case <-t.C:
		}
	case <-sc.done:
	case <-t.C:
	}
	if written && drain {
		if cw, ok := sc.conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			sc.conn.SetReadDeadline(time.Now().Add(time.Second))
			io.CopyN(io.Discard, sc.conn, int64(sc.s.cfg.Window)+int64(sc.s.cfg.MaxFrame))
		}
	}
	sc.fail(err)
}

func (sc *serverConn) handshake() error {
	cfg := &sc.s.cfg
	deadline := time.Now().Add(cfg.HandshakeTimeout)
	if err := sc.conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("setting handshake deadline: %w", err)
	}
	if tc, ok := sc.conn.(*tls.Conn); ok {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("tls handshake: %w", err)
		}
	}
	fr := frameReader{r: sc.conn, maxCtl: handshakeMaxPayload}
	f, err := fr.next()
	if err != nil {
		return fmt.Errorf("reading HELLO: %w", err)
	}
	refuse := func(err error) error {
		sc.conn.Write(messageFrame(frameError, 0, err.Error()))
		return err
	}
	if f.typ != frameHello {
		return refuse(fmt.Errorf("%w: expected HELLO, got %s", ErrProtocol, f.typ))
	}
	h, err := parseHello(f.payload)
	if err != nil {
		return refuse(err)
	}
	if h.version != protocolVersion {
		return refuse(fmt.Errorf("%w: unsupported shuffle protocol version %d; this server speaks version %d", ErrProtocol, h.version, protocolVersion))
	}
	ka := time.Duration(h.keepAliveMs) * time.Millisecond
	ka = min(max(ka, 50*time.Millisecond), 10*time.Minute)
	sc.idle = 3 * ka
	ack := helloAckMsg{
		version:    protocolVersion,
		window:     uint32(cfg.Window),
		maxFrame:   uint32(cfg.MaxFrame),
		maxStreams: uint32(cfg.MaxStreams),
	}
	if _, err := sc.conn.Write(appendFrame(nil, frameHelloAck, 0, ack.append(nil))); err != nil {
		return fmt.Errorf("writing HELLO_ACK: %w", err)
	}
	return sc.conn.SetDeadline(time.Time{})
}

// readLoop decodes frames until the connection ends; it never blocks on
// storage, so keep-alives are answered while the store goroutine is slow.
func (sc *serverConn) readLoop() error {
	s := sc.s
	fr := frameReader{
		r:       bufio.NewReaderSize(sc.conn, 64<<10),
		maxData: s.cfg.MaxFrame + 4,
		maxCtl:  controlMaxPayload,
	}
	window := int64(s.cfg.Window)
	for {
		if err := sc.conn.SetReadDeadline(time.Now().Add(sc.idle)); err != nil {
			return err
		}
		f, err := fr.next()
		if err != nil {
			select {
			case <-sc.done:
				return sc.err
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("peer silent for %s (no keep-alive): %w", sc.idle, err)
			}
			return err
		}
		s.st.frames.Add(1)
		s.st.bytes.Add(int64(frameHeaderLen + len(f.payload)))
		if f.stream == 0 {
			switch f.typ {
			case framePing:
				if len(f.payload) != 8 {
					return fmt.Errorf("%w: PING of %d bytes", ErrCorruptFrame, len(f.payload))
				}
				if !sc.send(appendFrame(nil, framePong, 0, f.payload)) {
					return sc.err
				}
			case frameError:
				msg, _ := parseMessage(f.payload)
				return fmt.Errorf("peer closed the connection: %s", msg)
			default:
				return fmt.Errorf("%w: %s frame on stream 0", ErrProtocol, f.typ)
			}
			continue
		}
		it := inItem{typ: f.typ, stream: f.stream}
		switch f.typ {
		case frameOpen:
			if it.open, err = parseOpen(f.payload); err != nil {
				return err
			}
			if n := sc.live.Add(1); n > int64(s.cfg.MaxStreams) {
				return fmt.Errorf("%w: more than %d live streams", ErrProtocol, s.cfg.MaxStreams)
			}
		case frameData:
			if it.part, it.block, err = parseData(f.payload); err != nil {
				return err
			}
			n := int64(len(f.payload))
			before := sc.outstanding.Load()
			if before > 0 && before+n > window {
				return fmt.Errorf("%w: %d DATA bytes beyond the %d-byte credit window", ErrProtocol, before+n-window, window)
			}
			it.size = n
			now := sc.outstanding.Add(n)
			s.st.pending.Add(n)
			for {
				high := s.st.pendingHigh.Load()
				if now <= high || s.st.pendingHigh.CompareAndSwap(high, now) {
					break
				}
			}
		case frameCommit:
			if it.commit, err = parseCommit(f.payload); err != nil {
				return err
			}
		case frameAbort:
			if it.open, err = parseOpen(f.payload); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unexpected %s frame from a mapper", ErrProtocol, f.typ)
		}
		if f.typ != frameData {
			it.ctl = int64(len(f.payload)) + 64
			if n := sc.ctlQueued.Add(it.ctl); n > controlQueueMax {
				return fmt.Errorf("%w: %d bytes of control frames queued, over %d", ErrProtocol, n, controlQueueMax)
			}
		}
		sc.q.push(it)
	}
}

// send queues a control frame for the writer; false if the connection ended.
func (sc *serverConn) send(b []byte) bool {
	select {
	case sc.out <- outFrame{b: b}:
		return true
	case <-sc.done:
		return false
	}
}

// grant returns n bytes of credit to the peer, coalesced by the writer.
func (sc *serverConn) grant(n int64) {
	sc.outstanding.Add(-n)
	sc.s.st.pending.Add(-n)
	sc.owed.Add(n)
	select {
	case sc.poke <- struct{}{}:
	default:
	}
}

func (sc *serverConn) writeLoop() {
	bw := bufio.NewWriterSize(sc.conn, 32<<10)
	var credit [4]byte
	for {
		var first outFrame
		have := false
		select {
		case <-sc.done:
			return
		case first = <-sc.out:
			have = true
		case <-sc.poke:
		}
		if err := sc.conn.SetWriteDeadline(time.Now().Add(sc.s.cfg.WriteTimeout)); err != nil {
			sc.fail(err)
			return
		}
		last := false
		var err error
		write := func(f outFrame) {
			if err == nil {
				_, err = bw.Write(f.b)
				last = last || f.last
			}
		}
		if have {
			write(first)
		}
	drain:
		for !last && err == nil {
			select {
			case f := <-sc.out:
				write(f)
			default:
				break drain
			}
		}
		for n := sc.owed.Swap(0); n > 0 && err == nil && !last; {
			c := min(n, maxTaskID)
			n -= c
			credit[0], credit[1], credit[2], credit[3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
			_, err = bw.Write(appendFrame(nil, frameCredit, 0, credit[:]))
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			sc.fail(fmt.Errorf("writing to peer: %w", err))
			return
		}
		if last {
			close(sc.lastDone)
			return
		}
	}
}

// storeLoop applies queued frames in arrival order.
func (sc *serverConn) storeLoop() {
	for {
		it, ok := sc.q.pop(sc.done)
		if !ok {
			return
		}
		sc.ctlQueued.Add(-it.ctl)
		var err error
		switch it.typ {
		case frameOpen:
			err = sc.handleOpen(it.stream, it.open)
		case frameData:
			err = sc.handleData(it.stream, it.part, it.block)
			sc.grant(it.size)
		case frameCommit:
			err = sc.handleCommit(it.stream, it.commit)
		case frameAbort:
			sc.handleAbort(it.stream, it.open)
		}
		if err != nil {
			go sc.closeWith(err, false)
			return
		}
	}
}

// reset refuses or drops a stream, telling the peer why.
func (sc *serverConn) reset(id uint32, err error) {
	sc.log.Warn("shuffle: stream reset", "stream", id, "err", err)
	sc.send(messageFrame(frameReset, id, err.Error()))
}

func (sc *serverConn) handleOpen(id uint32, m openMsg) error {
	if _, dup := sc.streams[id]; dup {
		return fmt.Errorf("%w: stream %d opened twice", ErrProtocol, id)
	}
	job, att, err := sc.s.openAttempt(m, sc, id)
	if err != nil {
		sc.streams[id] = &srvStream{failed: true}
		sc.reset(id, err)
		return nil
	}
	sc.streams[id] = &srvStream{job: job, att: att}
	return nil
}

func (sc *serverConn) handleData(id uint32, part uint32, block []byte) error {
	st := sc.streams[id]
	if st == nil {
		return fmt.Errorf("%w: DATA on stream %d, which is not open", ErrProtocol, id)
	}
	if st.failed {
		return nil
	}
	if h := sc.s.cfg.storeHook; h != nil {
		h()
	}
	if err := st.att.addBlock(sc.s, st.job, part, block); err != nil {
		st.failed = true
		sc.s.dropAttempt(st.job, st.att)
		sc.reset(id, err)
	}
	return nil
}

func (sc *serverConn) handleCommit(id uint32, entries []commitEntry) error {
	st := sc.streams[id]
	if st == nil {
		return fmt.Errorf("%w: COMMIT on stream %d, which is not open", ErrProtocol, id)
	}
	delete(sc.streams, id)
	sc.live.Add(-1)
	if st.failed {
		return nil
	}
	if err := st.att.seal(st.job, entries); err != nil {
		sc.s.dropAttempt(st.job, st.att)
		sc.reset(id, err)
		return nil
	}
	sc.s.st.committed.Add(1)
	sc.send(appendFrame(nil, frameCommitted, id, nil))
	return nil
}

// handleAbort drops the stream's attempt; an ABORT for a stream already
// committed withdraws that sealed attempt (the mapper's Commit failed on
// another peer).
func (sc *serverConn) handleAbort(id uint32, m openMsg) {
	if st := sc.streams[id]; st != nil {
		delete(sc.streams, id)
		sc.live.Add(-1)
		if st.att != nil {
			sc.s.dropAttempt(st.job, st.att)
		}
		return
	}
	sc.s.withdrawSealed(m, sc, id)
}

// inItem is a decoded frame waiting for the store goroutine.
type inItem struct {
	typ    frameType
	stream uint32
	open   openMsg // OPEN, ABORT
	part   uint32  // DATA
	block  []byte  // DATA
	size   int64   // DATA payload bytes (credit)
	ctl    int64   // control frame bytes counted in ctlQueued
	commit []commitEntry
}

// itemQueue is the FIFO between a connection's reader and store goroutines.
// It has no fixed capacity: the credit window bounds its DATA bytes and
// MaxStreams its control frames, so the reader never blocks on it.
type itemQueue struct {
	mu     sync.Mutex
	items  []inItem
	head   int
	notify chan struct{}
}

func (q *itemQueue) push(it inItem) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *itemQueue) pop(done <-chan struct{}) (inItem, bool) {
	for {
		select {
		case <-done:
			return inItem{}, false
		default:
		}
		q.mu.Lock()
		if q.head < len(q.items) {
			it := q.items[q.head]
			q.items[q.head] = inItem{}
			q.head++
			if q.head == len(q.items) {
				q.items, q.head = q.items[:0], 0
			} else if q.head > 1024 && q.head*2 > len(q.items) {
				n := copy(q.items, q.items[q.head:])
				clear(q.items[n:])
				q.items, q.head = q.items[:n], 0
			}
			q.mu.Unlock()
			return it, true
		}
		q.mu.Unlock()
		select {
		case <-done:
			return inItem{}, false
		case <-q.notify:
		}
	}
}

// drain discards what is left after the connection ended.
func (q *itemQueue) drain() {
	q.mu.Lock()
	q.items, q.head = nil, 0
	q.mu.Unlock()
}
