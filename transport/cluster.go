package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Config configures a node's cluster membership. DefaultConfig suits EMR;
// LocalConfig suits several nodes on one host and tests.
type Config struct {
	// NodeName is the member's unique name. Default: the host name (one
	// worker per EMR node). Several nodes on one host need distinct names.
	NodeName string `yaml:"node_name" json:"node_name"`
	// BindAddr is the host:port the gossip listener binds (mutual TLS,
	// TCP). Port 0 picks a free port. Default "0.0.0.0:7946".
	BindAddr string `yaml:"bind_addr" json:"bind_addr"`
	// AdvertiseAddr is the host:port other members dial; a host name is
	// resolved once at start. Default: the bound IP, or with a wildcard
	// bind the host's first private IP, and the bound port.
	AdvertiseAddr string `yaml:"advertise_addr" json:"advertise_addr"`
	// Seeds are host:port gossip addresses Join contacts (on EMR the master's
	// private DNS name and gossip port).
	Seeds []string `yaml:"seeds" json:"seeds"`
	// Label is prepended to every gossip message; members with another label
	// ignore each other (two clusters on one network). Default "furrow".
	Label string `yaml:"label" json:"label"`

	// ProbeInterval is how often a member probes a random other member.
	ProbeInterval time.Duration `yaml:"probe_interval" json:"probe_interval"`
	// ProbeTimeout is how long a probe waits for an ack; below
	// ProbeInterval.
	ProbeTimeout time.Duration `yaml:"probe_timeout" json:"probe_timeout"`
	// SuspicionMult scales how long a suspected member has to refute before
	// it is declared failed (SuspicionMult × log10(members) × ProbeInterval
	// at least).
	SuspicionMult int `yaml:"suspicion_mult" json:"suspicion_mult"`
	// GossipInterval is how often state changes are gossiped.
	GossipInterval time.Duration `yaml:"gossip_interval" json:"gossip_interval"`
	// GossipToTheDeadTime is how long failed members still receive gossip
	// (so they learn they were declared dead).
	GossipToTheDeadTime time.Duration `yaml:"gossip_to_the_dead_time" json:"gossip_to_the_dead_time"`
	// PushPullInterval is how often a member syncs full state with another;
	// 0 disables it.
	PushPullInterval time.Duration `yaml:"push_pull_interval" json:"push_pull_interval"`
	// StreamTimeout bounds a stream exchange (join, push/pull, TCP probe),
	// handshake included.
	StreamTimeout time.Duration `yaml:"stream_timeout" json:"stream_timeout"`
	// PacketDialTimeout bounds dialing a pooled packet connection (TCP and
	// TLS handshake) and each packet write; a dial blocks memberlist's probe
	// or gossip loop while it runs, so keep it near ProbeTimeout.
	// After a failed dial, packets to that peer are dropped for this long,
	// doubling per further failure up to 8×, before the next attempt.
	PacketDialTimeout time.Duration `yaml:"packet_dial_timeout" json:"packet_dial_timeout"`
	// JoinRetryInterval is the wait between Join attempts while no seed
	// answers.
	JoinRetryInterval time.Duration `yaml:"join_retry_interval" json:"join_retry_interval"`
	// EventBuffer bounds the membership events queued for a slow consumer
	// of Events; beyond it the queue is replaced with one EventResync.
	EventBuffer int `yaml:"event_buffer" json:"event_buffer"`

	// Meta is what this member gossips about itself.
	Meta NodeMeta `yaml:"-" json:"-"`
}

// DefaultGossipPort is the default gossip port.
const DefaultGossipPort = 7946

// DefaultConfig is for an EMR cluster: memberlist's LAN timings (1s
// probes, failure detected in a few seconds, 30s push/pull).
func DefaultConfig() Config {
	return Config{
		BindAddr:            "0.0.0.0:" + strconv.Itoa(DefaultGossipPort),
		Label:               "furrow",
		ProbeInterval:       time.Second,
		ProbeTimeout:        500 * time.Millisecond,
		SuspicionMult:       4,
		GossipInterval:      200 * time.Millisecond,
		GossipToTheDeadTime: 30 * time.Second,
		PushPullInterval:    30 * time.Second,
		StreamTimeout:       10 * time.Second,
		PacketDialTimeout:   500 * time.Millisecond,
		JoinRetryInterval:   time.Second,
		EventBuffer:         1024,
	}
}

// LocalConfig is for nodes on one host or a test: binds 127.0.0.1 on a
// free port and detects failures within about a second.
func LocalConfig() Config {
	c := DefaultConfig()
	c.BindAddr = "127.0.0.1:0"
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 100 * time.Millisecond
	c.SuspicionMult = 3
	c.GossipInterval = 20 * time.Millisecond
	c.GossipToTheDeadTime = 2 * time.Second
	c.PushPullInterval = 2 * time.Second
	c.StreamTimeout = 2 * time.Second
	c.PacketDialTimeout = 250 * time.Millisecond
	c.JoinRetryInterval = 50 * time.Millisecond
	return c
}

// Validate reports every invalid setting, naming its key.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(c.NodeName) == "" {
		add("node_name: empty")
	}
	if err := checkHostPort(c.BindAddr, true); err != nil {
		add("bind_addr: %q: %v", c.BindAddr, err)
	}
	if c.AdvertiseAddr != "" {
		if err := checkHostPort(c.AdvertiseAddr, true); err != nil {
			add("advertise_addr: %q: %v", c.AdvertiseAddr, err)
		}
	}
	for i, s := range c.Seeds {
		if err := checkHostPort(s, false); err != nil {
			add("seeds[%d]: %q: %v", i, s, err)
		}
	}
	if len(c.Label) > 255 {
		add("label: %d bytes, at most 255", len(c.Label))
	}
	positive := []struct {
		key string
		d   time.Duration
	}{
		{"probe_interval", c.ProbeInterval}, {"probe_timeout", c.ProbeTimeout},
		{"gossip_interval", c.GossipInterval}, {"stream_timeout", c.StreamTimeout},
		{"packet_dial_timeout", c.PacketDialTimeout}, {"join_retry_interval", c.JoinRetryInterval},
	}
	for _, p := range positive {
		if p.d <= 0 {
			add("%s: %v: must be positive", p.key, p.d)
		}
	}
	if c.ProbeTimeout > 0 && c.ProbeInterval > 0 && c.ProbeTimeout >= c.ProbeInterval {
		add("probe_timeout: %v: must be below probe_interval (%v)", c.ProbeTimeout, c.ProbeInterval)
	}
	if c.PushPullInterval < 0 {
		add("push_pull_interval: %v: must not be negative (0 disables)", c.PushPullInterval)
	}
	if c.GossipToTheDeadTime < 0 {
		add("gossip_to_the_dead_time: %v: must not be negative", c.GossipToTheDeadTime)
	}
	if c.SuspicionMult < 1 {
		add("suspicion_mult: %d: must be at least 1", c.SuspicionMult)
	}
	if c.EventBuffer < 1 {
		add("event_buffer: %d: must be at least 1", c.EventBuffer)
	}
	if err := c.Meta.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkHostPort(s string, zeroPortOK bool) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || (p == 0 && !zeroPortOK) {
		if zeroPortOK {
			return errors.New("port must be 0..65535")
		}
		return errors.New("port must be 1..65535")
	}
	return nil
}

// MemberState is a member's state as this node sees it.
type MemberState int

// Member states.
const (
	StateAlive MemberState = iota
	// StateSuspect: a probe failed; the member may still refute.
	StateSuspect
	// StateDead: declared failed.
	StateDead
	// StateLeft: left gracefully.
	StateLeft
)

func (s MemberState) String() string {
	switch s {
	case StateAlive:
		return "alive"
	case StateSuspect:
		return "suspect"
	case StateDead:
		return "dead"
	case StateLeft:
		return "left"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Member is a cluster member as this node sees it.
type Member struct {
	Name string
	// Addr is the member's gossip address (ip:port).
	Addr  string
	State MemberState
	Meta  NodeMeta
	// MetaErr is set when the member's metadata did not decode (Meta is
	// then zero): such a member must not be given work.
	MetaErr error
}

// EventKind is the kind of a membership event.
type EventKind int

// Event kinds.
const (
	// EventJoin: a member joined (also emitted for this node at start).
	EventJoin EventKind = iota
	// EventUpdate: a member's metadata changed.
	EventUpdate
	// EventLeave: a member left gracefully (Leave).
	EventLeave
	// EventFail: a member was declared failed: whatever ran on it is lost.
	EventFail
	// EventResync: events were dropped because the consumer fell
	// EventBuffer behind; reconcile with Members(). Member is zero.
	EventResync
)

func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventUpdate:
		return "update"
	case EventLeave:
		return "leave"
	case EventFail:
		return "fail"
	case EventResync:
		return "resync"
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event is a membership change.
type Event struct {
	Kind   EventKind
	Member Member
	Time   time.Time
}

// Cluster is this node's membership in a furrow cluster: memberlist over
// the node's mutual TLS, gossip encrypted with the bundle's derived key.
// Methods are safe for concurrent use.
type Cluster struct {
	cfg       Config
	logger    *slog.Logger
	transport *gossipTransport
	ml        *memberlist.Memberlist
	instance  string
	meta      atomic.Pointer[[]byte] // what NodeMeta serves

	metaMu  sync.Mutex // serialises UpdateMeta and Leave
	current NodeMeta

	// table holds copies of the live members, kept by the event delegate
	// (memberlist calls it with its own lock held): memberlist updates its
	// Node values in place, so reading them outside its lock would race.
	tableMu sync.Mutex
	table   map[string]Member

	queue        eventQueue
	out          chan Event
	stop         chan struct{}
	dispatchDone chan struct{}
	shutdownOnce sync.Once
	shutdownErr  error
}

// NewCluster starts this node's membership: the gossip listener on
// cfg.BindAddr (mutual TLS through m) and memberlist, with
// memberlist's SecretKey set to m's bundle GossipKey (AES-256-GCM) and
// encryption required both ways. The node is alone until Join. logger may
// be nil.
func NewCluster(cfg Config, m *MTLS, logger *slog.Logger) (*Cluster, error) {
	if m == nil {
		return nil, errors.New("transport: NewCluster: nil MTLS")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("node_name: empty and the host name is unknown: %w", err)
		}
		cfg.NodeName = h
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	var advIP string
	var advPort int
	if cfg.AdvertiseAddr != "" {
		host, port, _ := net.SplitHostPort(cfg.AdvertiseAddr)
		advPort, _ = strconv.Atoi(port)
		ip, err := resolveIP(host)
		if err != nil {
			return nil, fmt.Errorf("advertise_addr: %q: %w", cfg.AdvertiseAddr, err)
		}
		advIP = ip.String()
	}

	var inst [8]byte
	rand.Read(inst[:])
	c := &Cluster{
		cfg:          cfg,
		logger:       logger.With("node", cfg.NodeName),
		instance:     hex.EncodeToString(inst[:]),
		out:          make(chan Event),
		stop:         make(chan struct{}),
		dispatchDone: make(chan struct{}),
		table:        map[string]Member{},
	}
	c.queue.init(cfg.EventBuffer)
	if err := c.setMeta(cfg.Meta); err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}

	// Start order: event dispatcher, transport, memberlist. Shutdown
	// reverses it.
	go c.dispatch()
	t, err := newGossipTransport(m, cfg.BindAddr, cfg.PacketDialTimeout, cfg.PacketDialTimeout, c.logger)
	if err != nil {
		c.stopDispatch()
		return nil, fmt.Errorf("starting gossip transport: %w", err)
	}
	c.transport = t

	mlc := memberlist.DefaultLANConfig()
	mlc.Name = cfg.NodeName
	mlc.Transport = t
	mlc.BindAddr = t.Addr().IP.String()
	mlc.BindPort = t.Addr().Port
	mlc.AdvertiseAddr = advIP
	mlc.AdvertisePort = advPort
	mlc.Label = cfg.Label
	mlc.SecretKey = m.Bundle().GossipKey()
	mlc.GossipVerifyIncoming = true
	mlc.GossipVerifyOutgoing = true
	mlc.ProbeInterval = cfg.ProbeInterval
	mlc.ProbeTimeout = cfg.ProbeTimeout
	mlc.SuspicionMult = cfg.SuspicionMult
	mlc.GossipInterval = cfg.GossipInterval
	mlc.GossipToTheDeadTime = cfg.GossipToTheDeadTime
	mlc.PushPullInterval = cfg.PushPullInterval
	mlc.TCPTimeout = cfg.StreamTimeout
	mlc.Delegate = (*metaDelegate)(c)
	mlc.Events = (*eventDelegate)(c)
	mlc.Logger = newMemberlistLogger(c.logger)
	ml, err := memberlist.Create(mlc)
	if err != nil {
		t.Shutdown()
		c.stopDispatch()
		return nil, fmt.Errorf("starting memberlist: %w", err)
	}
	c.ml = ml
	c.logger.Info("cluster membership started", "gossip_addr", c.Addr(), "label", cfg.Label)
	return c, nil
}

func resolveIP(host string) (net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if ip4 := ip.To4(); ip4 != nil {
			return ip4, nil
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s resolves to no address", host)
	}
	return ips[0], nil
}

// Addr is the gossip address (ip:port) other members know this node by.
func (c *Cluster) Addr() string {
	n := c.ml.LocalNode()
	return n.Address()
}

// Name is this node's member name.
func (c *Cluster) Name() string { return c.cfg.NodeName }

// Join contacts seeds (cfg.Seeds when nil) and merges state with every
// seed that answers, retrying every JoinRetryInterval until at least one
// answered or ctx is done. It returns how many seeds answered. A seed that
// is this node itself counts. Joining only seeds this node refuses (or
// that refuse it: another CA, another gossip key) fails when ctx is done,
// with the last error.
func (c *Cluster) Join(ctx context.Context, seeds []string) (int, error) {
	if seeds == nil {
		seeds = c.cfg.Seeds
	}
	if len(seeds) == 0 {
		return 0, errors.New("joining cluster: no seeds")
	}
	for i, s := range seeds {
		if err := checkHostPort(s, false); err != nil {
			return 0, fmt.Errorf("joining cluster: seeds[%d]: %q: %w", i, s, err)
		}
	}
	type result struct {
		n   int
		err error
	}
	var last error
	for {
		ch := make(chan result, 1)
		// memberlist's Join is bounded by StreamTimeout per seed but does
		// not take a context; a cancelled Join returns at once and lets the
		// attempt finish in the background.
		go func() {
			n, err := c.ml.Join(seeds)
			ch <- result{n, err}
		}()
		select {
		case r := <-ch:
			if r.n > 0 {
				if r.err != nil {
					c.logger.Warn("some seeds did not answer", "answered", r.n, "err", r.err)
				}
				return r.n, nil
			}
			last = r.err
		case <-ctx.Done():
			return 0, fmt.Errorf("joining cluster via %v: %w (last attempt: %s)", seeds, ctx.Err(), oneLine(last))
		}
		select {
		case <-time.After(c.cfg.JoinRetryInterval):
		case <-ctx.Done():
			return 0, fmt.Errorf("joining cluster via %v: %w (last attempt: %s)", seeds, ctx.Err(), oneLine(last))
		}
	}
}

// oneLine flattens memberlist's multi-line multierror text.
func oneLine(err error) string {
	if err == nil {
		return "none finished"
	}
	s := strings.ReplaceAll(err.Error(), "occurred:\n\t* ", "occurred: ")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n\t* ", "; ")), " ")
}

// Stats reports the gossip transport's counters.
func (c *Cluster) Stats() GossipStats { return c.transport.stats() }

// Members lists the members not known to be dead or gone (alive and
// suspect), this node included, sorted by name.
func (c *Cluster) Members() []Member {
	c.tableMu.Lock()
	out := make([]Member, 0, len(c.table))
	for _, m := range c.table {
		out = append(out, m)
	}
	c.tableMu.Unlock()
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Local is this node as a member.
func (c *Cluster) Local() Member {
	c.tableMu.Lock()
	m, ok := c.table[c.cfg.NodeName]
	c.tableMu.Unlock()
	if ok {
		return m
	}
	return toMember(c.ml.LocalNode()) // before memberlist reported our own join
}

// Events delivers membership events in the order memberlist reported them,
// from the start of the node (its own join first). The channel is closed by
// Shutdown. A consumer that falls EventBuffer events behind receives one
// EventResync instead of the dropped events and should reconcile with
// Members; Meta.Instance tells a restarted member from the old one.
func (c *Cluster) Events() <-chan Event { return c.out }

// UpdateMeta replaces this node's metadata and gossips it, waiting at most
// timeout for the update to be broadcast.
func (c *Cluster) UpdateMeta(meta NodeMeta, timeout time.Duration) error {
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	if err := c.setMeta(meta); err != nil {
		return err
	}
	if err := c.ml.UpdateNode(timeout); err != nil {
		return fmt.Errorf("broadcasting node metadata: %w", err)
	}
	return nil
}

// setMeta encodes meta (with this run's Instance) for NodeMeta to serve.
func (c *Cluster) setMeta(meta NodeMeta) error {
	meta.Instance = c.instance
	enc, err := meta.Encode()
	if err != nil {
		return err
	}
	c.current = meta
	c.meta.Store(&enc)
	return nil
}

// Leave marks this node as leaving in its metadata, then broadcasts that
// it leaves; each step waits at most half of timeout for its broadcast.
// Other members then report EventLeave rather than EventFail. Call
// Shutdown afterwards.
func (c *Cluster) Leave(timeout time.Duration) error {
	c.metaMu.Lock()
	meta := c.current
	meta.Leaving = true
	err := c.setMeta(meta)
	if err == nil {
		err = c.ml.UpdateNode(timeout / 2)
	}
	c.metaMu.Unlock()
	if err != nil {
		// Still leave: at worst others see a failure.
		c.logger.Warn("announcing leave in metadata", "err", err)
	}
	if err := c.ml.Leave(timeout / 2); err != nil {
		return fmt.Errorf("leaving cluster: %w", err)
	}
	return nil
}

// Shutdown stops the node in reverse order of start: memberlist, the gossip
// transport (listener and connections closed, its goroutines awaited at
// most 5s), then the event dispatcher, closing Events. Without a prior
// Leave, other members see this node fail. It is idempotent.
func (c *Cluster) Shutdown() error {
	c.shutdownOnce.Do(func() {
		var errs []error
		if err := c.ml.Shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("stopping memberlist: %w", err))
		}
		if err := c.transport.Shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("stopping gossip transport: %w", err))
		}
		c.stopDispatch()
		c.shutdownErr = errors.Join(errs...)
	})
	return c.shutdownErr
}

func (c *Cluster) stopDispatch() {
	close(c.stop)
	<-c.dispatchDone
}

func toMember(n *memberlist.Node) Member {
	m := Member{Name: n.Name, Addr: n.Address()}
	switch n.State {
	case memberlist.StateAlive:
		m.State = StateAlive
	case memberlist.StateSuspect:
		m.State = StateSuspect
	case memberlist.StateDead:
		m.State = StateDead
	case memberlist.StateLeft:
		m.State = StateLeft
	}
	m.Meta, m.MetaErr = DecodeNodeMeta(n.Meta)
	return m
}

// metaDelegate is memberlist's Delegate: it serves this node's metadata.
// There are no user messages or extra state.
type metaDelegate Cluster

func (d *metaDelegate) NodeMeta(limit int) []byte {
	b := *d.meta.Load()
	if len(b) > limit {
		// Encode enforces MetaMaxSize; memberlist's limit is the same.
		return nil
	}
	return b
}
func (d *metaDelegate) NotifyMsg([]byte)                           {}
func (d *metaDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *metaDelegate) LocalState(join bool) []byte                { return nil }
func (d *metaDelegate) MergeRemoteState(buf []byte, join bool)     {}

// eventDelegate is memberlist's EventDelegate. memberlist calls it with its
// state lock held: it only queues.
type eventDelegate Cluster

func (d *eventDelegate) NotifyJoin(n *memberlist.Node) { d.push(EventJoin, n) }
func (d *eventDelegate) NotifyUpdate(n *memberlist.Node) {
	d.push(EventUpdate, n)
}

// NotifyLeave reports a member that left or failed. memberlist v0.7.0
// passes the node with a stale State (alive), so a graceful leave is known
// by the Leaving flag the member set in its metadata before leaving.
func (d *eventDelegate) NotifyLeave(n *memberlist.Node) {
	m := toMember(n)
	if m.MetaErr == nil && m.Meta.Leaving {
		m.State = StateLeft
		d.pushMember(EventLeave, m)
	} else {
		m.State = StateDead
		d.pushMember(EventFail, m)
	}
}

func (d *eventDelegate) push(k EventKind, n *memberlist.Node) { d.pushMember(k, toMember(n)) }

func (d *eventDelegate) pushMember(k EventKind, m Member) {
	d.tableMu.Lock()
	switch k {
	case EventJoin, EventUpdate:
		d.table[m.Name] = m
	case EventLeave, EventFail:
		delete(d.table, m.Name)
	}
	d.tableMu.Unlock()
	e := Event{Kind: k, Member: m, Time: time.Now()}
	if e.Member.MetaErr != nil && k != EventLeave && k != EventFail {
		d.logger.Warn("member metadata unreadable", "member", m.Name, "err", m.MetaErr)
	}
	if d.queue.push(e) {
		d.logger.Warn("membership event consumer is behind; dropping queued events for one resync", "event_buffer", d.cfg.EventBuffer)
	}
}

// eventQueue is a bounded FIFO between memberlist's delegate (which must
// not block) and the Events channel.
type eventQueue struct {
	mu       sync.Mutex
	max      int
	buf      []Event
	overflow bool
	signal   chan struct{}
}

func (q *eventQueue) init(max int) {
	q.max = max
	q.signal = make(chan struct{}, 1)
}

// push queues e; it reports true when this push overflowed the queue (the
// queued events are replaced by a resync marker).
func (q *eventQueue) push(e Event) (overflowed bool) {
	q.mu.Lock()
	if len(q.buf) >= q.max {
		q.buf = q.buf[:0]
		overflowed = !q.overflow
		q.overflow = true
	}
	q.buf = append(q.buf, e)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
	return overflowed
}

// take removes everything queued.
func (q *eventQueue) take() (events []Event, resync bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	events, resync = q.buf, q.overflow
	q.buf, q.overflow = nil, false
	return events, resync
}

func (c *Cluster) dispatch() {
	defer close(c.dispatchDone)
	defer close(c.out)
	for {
		select {
		case <-c.queue.signal:
		case <-c.stop:
			return
		}
		events, resync := c.queue.take()
		if resync {
			events = append([]Event{{Kind: EventResync, Time: time.Now()}}, events...)
		}
		for _, e := range events {
			select {
			case c.out <- e:
			case <-c.stop:
				return
			}
		}
	}
}
