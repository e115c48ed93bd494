package shuffle

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// NetConfig configures a NetExchange: the mapper side of one job's network
// shuffle. Zero values take the defaults.
type NetConfig struct {
	// JobID names the job on every server (1..1024 bytes). Required.
	JobID string
	// Partitions is the number of reduce partitions. Required, ≥ 1.
	Partitions int
	// Owner returns the shuffle address of the server that owns partition
	// p. Required. It is called for every partition at each OpenMap; an
	// attempt sends to the owners its OpenMap saw.
	Owner func(p int) string
	// Peers holds the connections, shared by every job of the process. If
	// nil, the exchange makes its own from Dial and closes them on Close.
	Peers *Peers
	// Dial opens a connection to a peer when Peers is nil.
	Dial DialFunc
	// BlockSize is the raw size at which a partition's buffer is encoded
	// into a block and sent. Default 64 KiB.
	BlockSize int
	// Logger is used for the private Peers. Default: discard.
	Logger *slog.Logger
}

// Validate reports every invalid setting, naming its key.
func (c *NetConfig) Validate() error {
	var errs []error
	if c.JobID == "" || len(c.JobID) > jobIDMax {
		errs = append(errs, fmt.Errorf("shuffle: net job_id must be 1..%d bytes, got %d", jobIDMax, len(c.JobID)))
	}
	if c.Partitions < 1 || c.Partitions > maxTaskID {
		errs = append(errs, fmt.Errorf("shuffle: net partitions must be in [1, %d], got %d", maxTaskID, c.Partitions))
	}
	if c.Owner == nil {
		errs = append(errs, errors.New("shuffle: net owner is required"))
	}
	if c.Peers == nil && c.Dial == nil {
		errs = append(errs, errors.New("shuffle: net peers or dial is required"))
	}
	if c.BlockSize < 0 {
		errs = append(errs, fmt.Errorf("shuffle: net block_size must be ≥ 0, got %d", c.BlockSize))
	}
	return errors.Join(errs...)
}

// ErrMapSideRead is returned by NetExchange.ReadPartition.
var ErrMapSideRead = errors.New("shuffle: a NetExchange cannot read partitions: a reduce task reads its partition from its local Server (Server.ReadPartition) with the job's winning attempts")

// abortWait bounds how long Abort waits to queue its ABORT frames.
const abortWait = 5 * time.Second

// NetExchange is the Exchange of a clustered run on the mapper side: map
// outputs push their blocks to the Server owning each partition. The
// reduce side is Server.ReadPartition, so ReadPartition here returns
// ErrMapSideRead. Safe for concurrent use.
type NetExchange struct {
	cfg   NetConfig
	peers *Peers
	own   bool
	stats statCounters

	mu     sync.Mutex
	closed bool
}

var _ Exchange = (*NetExchange)(nil)

// NewNetExchange returns the mapper side of job cfg.JobID.
func NewNetExchange(cfg NetConfig) (*NetExchange, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BlockSize == 0 {
		cfg.BlockSize = 64 << 10
	}
	x := &NetExchange{cfg: cfg, peers: cfg.Peers}
	if x.peers == nil {
		p, err := NewPeers(PeersConfig{Dial: cfg.Dial, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		x.peers, x.own = p, true
	}
	return x, nil
}

// Partitions implements Exchange.
func (x *NetExchange) Partitions() int { return x.cfg.Partitions }

// Stats implements Exchange: the records and bytes of attempts committed
// through this exchange. SpilledBytes and Replaced stay 0 on the mapper
// side (see ServerStats).
func (x *NetExchange) Stats() Stats { return x.stats.snapshot() }

// ReadPartition returns ErrMapSideRead: see Server.ReadPartition.
func (x *NetExchange) ReadPartition(context.Context, int, func([]byte) error) error {
	return ErrMapSideRead
}

// Close stops new map outputs and closes the private connections, if any.
func (x *NetExchange) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	if x.own {
		return x.peers.Close()
	}
	return nil
}

// OpenMap implements Exchange. It connects to every partition owner and
// opens the attempt's stream there (every owner receives a COMMIT, even with
// no records for it, so a reader can tell "empty" from "missing"). ctx
// governs Add, which waits for credit under it; Commit uses its own.
func (x *NetExchange) OpenMap(ctx context.Context, task, attempt int) (MapOutput, error) {
	x.mu.Lock()
	closed := x.closed
	x.mu.Unlock()
	if closed {
		return nil, errors.New("shuffle: exchange is closed")
	}
	if task < 0 || task > maxTaskID || attempt < 0 || attempt > maxTaskID {
		return nil, fmt.Errorf("shuffle: map task %d attempt %d out of range [0,%d]", task, attempt, maxTaskID)
	}
	P := x.cfg.Partitions
	m := &netMap{
		x: x, ctx: ctx, task: task, attempt: attempt,
		open:   openMsg{task: uint32(task), attempt: uint32(attempt), partitions: uint32(P), job: x.cfg.JobID},
		owner:  make([]int32, P),
		raw:    make([][]byte, P),
		n:      make([]int, P),
		totals: make([]commitEntry, P),
	}
	index := make(map[string]int)
	for p := 0; p < P; p++ {
		addr := x.cfg.Owner(p)
		if addr == "" {
			return nil, fmt.Errorf("shuffle: job %q: partition %d has no owner", x.cfg.JobID, p)
		}
		i, ok := index[addr]
		if !ok {
			i = len(m.targets)
			index[addr] = i
			m.targets = append(m.targets, &mapTarget{addr: addr})
		}
		m.owner[p] = int32(i)
		m.targets[i].parts = append(m.targets[i].parts, uint32(p))
		m.totals[p].partition = uint32(p)
	}
	for _, t := range m.targets {
		pc, err := x.peers.conn(ctx, t.addr)
		if err == nil {
			t.st, err = pc.openStream(ctx, m.open)
		}
		if err != nil {
			m.abortStreams()
			return nil, m.wrap(err)
		}
	}
	return m, nil
}

// netMap is one map attempt's output on the mapper side.
type netMap struct {
	x             *NetExchange
	ctx           context.Context
	task, attempt int
	open          openMsg

	owner   []int32 // partition → target
	targets []*mapTarget
	raw     [][]byte
	n       []int
	totals  []commitEntry // blocks and records sent per partition

	records, rawBytes, encoded int64
	done                       bool
	err                        error // sticky: the attempt failed
}

type mapTarget struct {
	addr  string
	st    *clientStream
	parts []uint32 // partitions this peer owns, ascending
}

func (m *netMap) wrap(err error) error {
	var pe *PeerError
	if errors.As(err, &pe) {
		return err // names the peer already
	}
	return fmt.Errorf("shuffle: job %q map task %d attempt %d: %w", m.x.cfg.JobID, m.task, m.attempt, err)
}

// Add implements MapOutput. It blocks while the owner of p has not stored
// enough of what was sent (credit), so a slow receiver slows the mapper.
func (m *netMap) Add(p int, rec []byte) error {
	if m.done {
		return errors.New("shuffle: add to a finished map output")
	}
	if m.err != nil {
		return m.err
	}
	if p < 0 || p >= len(m.raw) {
		return fmt.Errorf("shuffle: partition %d out of range [0,%d)", p, len(m.raw))
	}
	if m.raw[p] == nil {
		m.raw[p] = m.x.peers.getBuf()
	}
	m.raw[p] = appendRecord(m.raw[p], rec)
	m.n[p]++
	m.records++
	m.rawBytes += int64(len(rec))
	if len(m.raw[p]) >= m.x.cfg.BlockSize {
		return m.flush(m.ctx, p)
	}
	return nil
}

// flush encodes partition p's buffer into one DATA frame and queues it for
// the owner's connection once credit allows.
func (m *netMap) flush(ctx context.Context, p int) error {
	if m.n[p] == 0 {
		return nil
	}
	t := m.targets[m.owner[p]]
	st, pc := t.st, t.st.pc
	select {
	case <-st.done:
		if st.err != nil {
			m.err = st.err
			return m.err
		}
	default:
	}
	buf := beginFrame(m.x.peers.getBuf(), frameData, st.id)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(p))
	buf = EncodeBlock(buf, m.raw[p], m.n[p])
	size := int64(len(buf) - frameHeaderLen)
	if size > int64(pc.maxFrame)+4 {
		m.x.peers.putBuf(buf)
		m.err = m.wrap(fmt.Errorf("partition %d: a block of %d records encodes to %d bytes, over the %d-byte frame limit of %s (a record is too large)",
			p, m.n[p], size-4, pc.maxFrame, t.addr))
		return m.err
	}
	buf = endFrame(buf, 0)
	if err := pc.acquire(ctx, size); err != nil {
		m.x.peers.putBuf(buf)
		m.err = m.wrap(err)
		return m.err
	}
	if err := pc.sendFrame(ctx, outFrame{b: buf, pooled: true}); err != nil {
		pc.release(size)
		m.x.peers.putBuf(buf)
		m.err = m.wrap(err)
		return m.err
	}
	m.totals[p].blocks++
	m.totals[p].records += uint64(m.n[p])
	m.encoded += size - 4
	m.raw[p], m.n[p] = m.raw[p][:0], 0
	return nil
}

// Commit implements MapOutput: it flushes every partition, sends COMMIT to
// every owner and returns once each has stored and sealed the attempt. On
// any failure the attempt is aborted everywhere and the error (a *PeerError
// when a peer is to blame) is returned.
func (m *netMap) Commit(ctx context.Context) error {
	if m.done {
		return errors.New("shuffle: commit of a finished map output")
	}
	fail := func(err error) error {
		m.Abort()
		return err
	}
	if m.err != nil {
		return fail(m.err)
	}
	for p := range m.raw {
		if err := m.flush(ctx, p); err != nil {
			return fail(err)
		}
	}
	entries := make([]commitEntry, 0, len(m.totals))
	for _, t := range m.targets {
		entries = entries[:0]
		for _, p := range t.parts {
			entries = append(entries, m.totals[p])
		}
		if err := t.st.pc.send(ctx, appendFrame(nil, frameCommit, t.st.id, appendCommit(nil, entries))); err != nil {
			return fail(m.wrap(err))
		}
	}
	for _, t := range m.targets {
		st := t.st
		select {
		case <-st.done:
		case <-st.pc.done:
			select {
			case <-st.done: // COMMITTED arrived just before the connection ended
			default:
				return fail(st.pc.err)
			}
		case <-ctx.Done():
			return fail(m.wrap(fmt.Errorf("waiting for %s to store the attempt: %w", t.addr, ctx.Err())))
		}
		if st.err != nil {
			return fail(st.err)
		}
	}
	m.done = true
	m.recycle()
	m.x.stats.records.Add(m.records)
	m.x.stats.raw.Add(m.rawBytes)
	m.x.stats.encoded.Add(m.encoded)
	return nil
}

// Abort implements MapOutput: every owner is told to drop the attempt (best
// effort, bounded by a few seconds: a receiver whose connection is gone
// drops it anyway). Abort after Commit is a no-op.
func (m *netMap) Abort() {
	if m.done {
		return
	}
	m.done = true
	m.recycle()
	m.abortStreams()
}

// recycle returns the partition buffers to the pool.
func (m *netMap) recycle() {
	for _, b := range m.raw {
		m.x.peers.putBuf(b)
	}
	m.raw, m.n = nil, nil
}

func (m *netMap) abortStreams() {
	ctx, cancel := context.WithTimeout(context.Background(), abortWait)
	defer cancel()
	payload := m.open.append(nil)
	for _, t := range m.targets {
		if t.st == nil {
			continue
		}
		t.st.pc.forget(t.st.id)
		t.st.pc.send(ctx, appendFrame(nil, frameAbort, t.st.id, payload))
	}
}
