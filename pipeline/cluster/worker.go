package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/shuffle"
	"github.com/furrowdata/furrow/transport"
)

// WorkerConfig configures a worker daemon (`furrow worker`). Zero values
// take the defaults.
type WorkerConfig struct {
	// Listen is the host:port of the worker port: mutual TLS only, carrying
	// both the shuffle and the control API. Default "0.0.0.0:7447".
	Listen string
	// Advertise is the host (or host:port) other nodes dial to reach the
	// worker port. Default: Listen's host, or with a wildcard Listen the
	// host's first private IPv4 address.
	Advertise string
	// Gossip is the host:port membership (memberlist over mutual TLS)
	// binds. Default "0.0.0.0:7946".
	Gossip string
	// Join lists seed gossip addresses (host:port); empty starts a cluster
	// that others join.
	Join []string
	// JoinTimeout bounds joining at start. Default 2 minutes.
	JoinTimeout time.Duration
	// Bundle is the EMR PEM bundle (zip or folder). Required.
	Bundle string
	// TLS are the peer rules (default: the EMR rule, see transport.Options).
	TLS transport.Options
	// Membership overrides the gossip timings (transport.DefaultConfig when
	// nil). Its NodeName, BindAddr, Seeds and Meta are set from this config.
	Membership *transport.Config
	// NodeName is the member name. Default "<host name>/<advertised worker
	// port address>", unique even with several workers on one host.
	NodeName string
	// Metrics is an optional host:port serving /metrics over plain HTTP for
	// a Prometheus scraper (the same metrics are on the worker port over
	// mutual TLS). "" = none.
	Metrics string
	// SpillDir holds shuffle and dedupe spill files. Default: the OS temp
	// folder.
	SpillDir string
	// MemoryBudget is each job's budget unless the job sets one; the
	// shuffle server, shared by all jobs, keeps a quarter of it in memory
	// before it spills (pipeline.ShredShuffleBudget). Default 512 MiB.
	MemoryBudget int64
	// Parallelism is the number of tasks the worker runs at once (its
	// gossiped cores) and each job's parallelism unless the job sets one.
	// Default GOMAXPROCS.
	Parallelism int
	// DrainTimeout bounds how long Shutdown waits for running tasks before
	// cancelling them. Default 2 minutes.
	DrainTimeout time.Duration
	Logger       *slog.Logger

	// MapTaskDelay delays every map task. TEST ONLY: it makes the map stage
	// slow enough for failure tests to kill a worker in the middle of the
	// shuffle. `furrow worker` sets it from FURROW_TESTONLY_MAP_TASK_DELAY.
	MapTaskDelay time.Duration
	// ReduceTaskDelay delays every reduce task. TEST ONLY, as MapTaskDelay
	// (FURROW_TESTONLY_REDUCE_TASK_DELAY).
	ReduceTaskDelay time.Duration
}

// Validate reports every invalid setting, naming its flag.
func (c *WorkerConfig) Validate() error {
	var errs []error
	if c.Bundle == "" {
		errs = append(errs, errors.New("--tls-bundle is required"))
	}
	for _, hp := range []struct{ flag, v string }{{"--listen", c.Listen}, {"--gossip", c.Gossip}, {"--metrics", c.Metrics}} {
		if hp.v == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(hp.v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port: %v", hp.flag, hp.v, err))
		}
	}
	for i, s := range c.Join {
		if _, _, err := net.SplitHostPort(s); err != nil {
			errs = append(errs, fmt.Errorf("--join[%d]: %q is not host:port: %v", i, s, err))
		}
	}
	if c.MemoryBudget < 0 {
		errs = append(errs, fmt.Errorf("--memory-budget: %d is negative", c.MemoryBudget))
	}
	if c.Parallelism < 0 {
		errs = append(errs, fmt.Errorf("--parallelism: %d is negative", c.Parallelism))
	}
	if c.JoinTimeout < 0 || c.DrainTimeout < 0 {
		errs = append(errs, errors.New("--join-timeout and --drain-timeout must not be negative"))
	}
	if err := c.TLS.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("tls: %w", err))
	}
	return errors.Join(errs...)
}

func (c *WorkerConfig) withDefaults() WorkerConfig {
	out := *c
	if out.Listen == "" {
		out.Listen = "0.0.0.0:7447"
	}
	if out.Gossip == "" {
		out.Gossip = "0.0.0.0:" + strconv.Itoa(transport.DefaultGossipPort)
	}
	if out.JoinTimeout == 0 {
		out.JoinTimeout = 2 * time.Minute
	}
	if out.MemoryBudget == 0 {
		out.MemoryBudget = 512 << 20
	}
	if out.SpillDir == "" {
		out.SpillDir = os.TempDir()
	}
	if out.Parallelism == 0 {
		out.Parallelism = runtime.GOMAXPROCS(0)
	}
	if out.DrainTimeout == 0 {
		out.DrainTimeout = 2 * time.Minute
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

// Worker is the long-running daemon of a cluster node: it serves the
// shuffle and the control API on its worker port, runs the map and reduce
// tasks coordinators send it, and is a member of the cluster.
type Worker struct {
	cfg WorkerConfig
	log *slog.Logger

	mtls    *transport.MTLS
	srv     *shuffle.Server
	peers   *shuffle.Peers
	mux     *portMux
	api     *http.Server
	metrics *workerMetrics
	metSrv  *http.Server
	cluster *transport.Cluster
	addr    string // advertised worker port
	metAddr string
	name    string

	serveDone  chan struct{} // shuffle and API serve loops
	eventsDone chan struct{}

	// taskCtx is cancelled when a drain runs out of time: it stops every task.
	taskCtx    context.Context
	taskCancel context.CancelFunc
	tasks      sync.WaitGroup

	mu       sync.Mutex
	draining bool
	jobs     map[string]*jobEntry
	running  int
	// members is the membership as the events told it (copies taken while
	// memberlist holds its lock: reading Cluster.Members races with
	// memberlist's in-place updates, see the package report).
	members map[string]transport.Member

	stopOnce sync.Once
	stopErr  error
}

// jobEntry is a job prepared (or being prepared) on this worker.
type jobEntry struct {
	spec    *JobSpec
	raw     string        // the spec's JSON, to tell a different spec under the same id
	ready   chan struct{} // closed when job or err is set
	job     *pipeline.Job
	err     error
	ctx     context.Context // cancelled when the job is dropped
	cancel  context.CancelFunc
	running int // tasks running (under Worker.mu)
	dropped bool
}

// StartWorker starts a worker: TLS material, shuffle server, the worker
// port (shuffle + control API), the optional metrics port, and last the
// cluster membership (so that others see it only once it serves). It
// returns once the worker joined the cluster (or started one, without
// seeds). Stop it with Shutdown.
func StartWorker(ctx context.Context, cfg WorkerConfig) (_ *Worker, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	w := &Worker{cfg: c, log: c.Logger, jobs: map[string]*jobEntry{}, members: map[string]transport.Member{}, serveDone: make(chan struct{}), eventsDone: make(chan struct{})}
	w.taskCtx, w.taskCancel = context.WithCancel(context.Background())
	var cleanup []func()
	defer func() {
		if err != nil {
			w.mu.Lock()
			w.draining = true
			w.mu.Unlock()
			for i := len(cleanup) - 1; i >= 0; i-- {
				cleanup[i]()
			}
			w.taskCancel()
		}
	}()

	bundle, err := transport.LoadBundle(c.Bundle)
	if err != nil {
		return nil, fmt.Errorf("--tls-bundle: %w", err)
	}
	var mc *workerMetrics
	opts := c.TLS
	userReject := opts.OnReject
	opts.OnReject = func(remote net.Addr, err error) {
		if mc != nil {
			mc.refused.Inc()
		}
		if userReject != nil {
			userReject(remote, err)
		}
	}
	if w.mtls, err = transport.NewMTLS(bundle, opts, c.Logger); err != nil {
		return nil, err
	}
	if w.srv, err = shuffle.NewServer(shuffle.ServerConfig{MemoryBudget: pipeline.ShredShuffleBudget(c.MemoryBudget), SpillDir: c.SpillDir, Logger: c.Logger}); err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { w.srv.Close() })
	if w.peers, err = shuffle.NewPeers(shuffle.PeersConfig{Dial: w.mtls.Dial, Logger: c.Logger}); err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { w.peers.Close() })

	ln, err := w.mtls.Listen(c.Listen)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	w.mux = newPortMux(ln, 10*time.Second, c.Logger)
	cleanup = append(cleanup, func() { w.mux.Close() })
	if w.addr, err = advertised(c.Advertise, ln.Addr().(*net.TCPAddr)); err != nil {
		return nil, err
	}
	w.name = c.NodeName
	if w.name == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("node name: the host name is unknown (%v): set --node-name", err)
		}
		w.name = host + "/" + w.addr
	}
	w.log = c.Logger.With("node", w.name)
	mc = newWorkerMetrics(w.srv, w.peers, w.mux.refused.Load)
	w.metrics = mc

	mux := http.NewServeMux()
	w.routes(mux)
	w.api = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn)}
	var serving sync.WaitGroup
	serving.Add(2)
	go func() {
		defer serving.Done()
		if err := w.srv.Serve(w.mux.shuffle); err != nil && !errors.Is(err, shuffle.ErrServerClosed) && !w.isDraining() {
			w.log.Error("cluster: shuffle server stopped", "err", err)
		}
	}()
	go func() {
		defer serving.Done()
		if err := w.api.Serve(w.mux.control); err != nil && !errors.Is(err, http.ErrServerClosed) && !w.isDraining() {
			w.log.Error("cluster: control API stopped", "err", err)
		}
	}()
	go func() { serving.Wait(); close(w.serveDone) }()
	cleanup = append(cleanup, func() {
		w.api.Close()
		w.srv.Close()
		<-w.serveDone
	})

	if c.Metrics != "" {
		mln, err := net.Listen("tcp", c.Metrics)
		if err != nil {
			return nil, fmt.Errorf("--metrics: %w", err)
		}
		w.metAddr = mln.Addr().String()
		mm := http.NewServeMux()
		mm.Handle("GET "+pathMetrics, promhttp.HandlerFor(mc.reg, promhttp.HandlerOpts{}))
		w.metSrv = &http.Server{Handler: mm, ReadHeaderTimeout: 10 * time.Second}
		go w.metSrv.Serve(mln)
		cleanup = append(cleanup, func() { w.metSrv.Close() })
	}

	mcfg := transport.DefaultConfig()
	if c.Membership != nil {
		mcfg = *c.Membership
	}
	mcfg.NodeName = w.name
	mcfg.BindAddr = c.Gossip
	mcfg.Seeds = c.Join
	mcfg.Meta = transport.NodeMeta{Role: transport.RoleWorker, ShuffleAddr: w.addr, Cores: c.Parallelism, MemoryBudget: c.MemoryBudget}
	if c.Advertise != "" {
		if host, port, err := net.SplitHostPort(c.Gossip); err == nil && port != "0" && isUnspecified(host) {
			mcfg.AdvertiseAddr = net.JoinHostPort(hostOf(c.Advertise), port)
		}
	}
	if w.cluster, err = transport.NewCluster(mcfg, w.mtls, c.Logger); err != nil {
		return nil, fmt.Errorf("--gossip: %w", err)
	}
	cleanup = append(cleanup, func() { w.cluster.Shutdown(); <-w.eventsDone })
	go w.watchMembers()
	if len(c.Join) > 0 {
		jctx, cancel := context.WithTimeout(ctx, c.JoinTimeout)
		n, err := w.cluster.Join(jctx, c.Join)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("--join: %w", err)
		}
		w.log.Info("joined the cluster", "seeds_answered", n)
	}
	w.log.Info("worker started", "worker_port", w.addr, "gossip", w.cluster.Addr(), "metrics", w.metAddr, "cores", c.Parallelism)
	return w, nil
}

// advertised is the worker port address other nodes dial.
func advertised(adv string, bound *net.TCPAddr) (string, error) {
	port := strconv.Itoa(bound.Port)
	if adv != "" {
		if h, p, err := net.SplitHostPort(adv); err == nil {
			return net.JoinHostPort(h, p), nil
		}
		return net.JoinHostPort(adv, port), nil
	}
	if !bound.IP.IsUnspecified() {
		return net.JoinHostPort(bound.IP.String(), port), nil
	}
	ip, err := firstPrivateIP()
	if err != nil {
		return "", fmt.Errorf("--listen %s: a wildcard address needs --advertise: %w", bound, err)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

func firstPrivateIP() (net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip := n.IP.To4(); ip != nil && ip.IsPrivate() {
				return ip, nil
			}
		}
	}
	return nil, errors.New("no private IPv4 address on this host")
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

func hostOf(hp string) string {
	if h, _, err := net.SplitHostPort(hp); err == nil {
		return h
	}
	return hp
}

func (w *Worker) isDraining() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.draining
}

// Name is the worker's member name.
func (w *Worker) Name() string { return w.name }

// Addr is the advertised worker port (shuffle and control API).
func (w *Worker) Addr() string { return w.addr }

// GossipAddr is the advertised gossip address.
func (w *Worker) GossipAddr() string { return w.cluster.Addr() }

// MetricsAddr is the plain-HTTP metrics address, "" without --metrics.
func (w *Worker) MetricsAddr() string { return w.metAddr }

// watchMembers consumes membership events: it logs them and drops the jobs
// of a coordinator that left or failed.
func (w *Worker) watchMembers() {
	defer close(w.eventsDone)
	for e := range w.cluster.Events() {
		w.mu.Lock()
		switch e.Kind {
		case transport.EventJoin, transport.EventUpdate:
			w.members[e.Member.Name] = e.Member
		case transport.EventLeave, transport.EventFail:
			delete(w.members, e.Member.Name)
		}
		w.mu.Unlock()
		switch e.Kind {
		case transport.EventJoin, transport.EventUpdate:
			w.log.Debug("cluster: member", "event", e.Kind.String(), "member", e.Member.Name, "role", string(e.Member.Meta.Role))
		case transport.EventLeave, transport.EventFail:
			if e.Member.Name == w.name {
				continue
			}
			w.log.Info("cluster: member gone", "event", e.Kind.String(), "member", e.Member.Name, "role", string(e.Member.Meta.Role))
			if e.Member.Meta.Role == transport.RoleCoordinator {
				w.dropJobsOf(e.Member.Name)
			}
		case transport.EventResync:
			alive := map[string]bool{}
			all := w.cluster.Members()
			w.mu.Lock()
			w.members = map[string]transport.Member{}
			for _, m := range all {
				alive[m.Name] = true
				w.members[m.Name] = m
			}
			var gone []string
			for _, e := range w.jobs {
				if e.spec.Coordinator != "" && !alive[e.spec.Coordinator] {
					gone = append(gone, e.spec.Coordinator)
				}
			}
			w.mu.Unlock()
			for _, c := range gone {
				w.dropJobsOf(c)
			}
		}
	}
}

func (w *Worker) dropJobsOf(coordinator string) {
	w.mu.Lock()
	var ids []string
	for id, e := range w.jobs {
		if e.spec.Coordinator == coordinator {
			ids = append(ids, id)
		}
	}
	w.mu.Unlock()
	for _, id := range ids {
		w.log.Warn("cluster: dropping the job of a coordinator that is gone", "job", id, "coordinator", coordinator)
		w.dropJob(id)
	}
}

// Shutdown drains and stops the worker: it refuses new tasks, waits for
// the running ones at most DrainTimeout (then cancels them and waits at
// most 10 s more), leaves the cluster gracefully (others see a leave, not
// a failure), and stops the rest in reverse order of start. ctx bounds the
// whole drain too. It is idempotent.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.stopOnce.Do(func() { w.stopErr = w.shutdown(ctx) })
	return w.stopErr
}

func (w *Worker) shutdown(ctx context.Context) error {
	w.mu.Lock()
	w.draining = true
	running := w.running
	w.mu.Unlock()
	w.log.Info("draining: no new tasks", "running", running, "drain_timeout", w.cfg.DrainTimeout)
	drained := make(chan struct{})
	go func() { w.tasks.Wait(); close(drained) }()
	t := time.NewTimer(w.cfg.DrainTimeout)
	defer t.Stop()
	var errs []error
	select {
	case <-drained:
	case <-t.C:
		errs = append(errs, fmt.Errorf("drain: tasks still running after %s: cancelled", w.cfg.DrainTimeout))
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("drain: %w: running tasks cancelled", ctx.Err()))
	}
	w.taskCancel()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		errs = append(errs, errors.New("drain: cancelled tasks did not stop within 10s"))
	}

	// Reverse order of start: membership, metrics, control API and
	// shuffle serving, the worker port, connections to peers, the shuffle
	// server, then the jobs.
	if err := w.cluster.Leave(5 * time.Second); err != nil {
		// Others then see a failure instead of a leave: worth a warning,
		// not a failed exit.
		w.log.Warn("leaving the cluster gracefully", "err", err)
	}
	if err := w.cluster.Shutdown(); err != nil {
		errs = append(errs, err)
	}
	<-w.eventsDone
	if w.metSrv != nil {
		w.metSrv.Close()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := w.api.Shutdown(sctx); err != nil {
		w.api.Close()
	}
	cancel()
	w.mux.Close()
	w.peers.Close()
	if err := w.srv.Close(); err != nil {
		errs = append(errs, err)
	}
	<-w.serveDone
	w.mu.Lock()
	jobs := w.jobs
	w.jobs = map[string]*jobEntry{}
	w.mu.Unlock()
	for _, e := range jobs {
		e.cancel()
		<-e.ready
		if e.job != nil {
			e.job.Close()
		}
	}
	w.log.Info("worker stopped; left the cluster")
	return errors.Join(errs...)
}

// RunWorker starts a worker, calls ready (if not nil) once it serves, runs
// until ctx is done (SIGTERM) and then drains and stops it.
func RunWorker(ctx context.Context, cfg WorkerConfig, ready func(*Worker)) error {
	w, err := StartWorker(ctx, cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(w)
	}
	<-ctx.Done()
	return w.Shutdown(context.Background())
}
