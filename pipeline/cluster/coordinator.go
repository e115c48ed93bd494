package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/transport"
)

// CoordinatorConfig configures a clustered run (`furrow run --cluster`).
// Zero values take the defaults.
type CoordinatorConfig struct {
	// Job is the job as the user gave it (pipeline.Config). Its input,
	// output and bad locations must be shared by every node.
	Job pipeline.Config
	// Join lists seed gossip addresses (host:port). Required.
	Join []string
	// Bundle is the EMR PEM bundle (zip or folder). Required.
	Bundle string
	// TLS are the peer rules (default: the EMR rule).
	TLS transport.Options
	// Gossip is the host:port the coordinator's membership binds. Default:
	// the local address that routes to the first seed, port 0.
	Gossip string
	// Membership overrides the gossip timings (transport.DefaultConfig when
	// nil).
	Membership *transport.Config
	// NodeName is the coordinator's member name. Default
	// "coordinator-<host>-<pid>".
	NodeName string
	// MinWorkers is how many workers must have joined before the job
	// starts. Default 1.
	MinWorkers int
	// WorkerWait bounds joining the cluster and waiting for MinWorkers.
	// Default 2 minutes.
	WorkerWait time.Duration
	// MaxAttempts is how many times a task may fail (not counting failures
	// caused by a lost worker) before the job fails. Default 3.
	MaxAttempts int
	// MaxReplans is how many times the job may be re-planned after losing a
	// worker that owned partitions before it fails. Default 3; -1 = never.
	MaxReplans int
	// ProgressOut receives a progress line every ProgressInterval (tasks
	// done, events/s, bytes shuffled). Nil: none.
	ProgressOut      io.Writer
	ProgressInterval time.Duration
	Logger           *slog.Logger
}

// Validate reports every invalid setting, naming its flag.
func (c *CoordinatorConfig) Validate() error {
	var errs []error
	if len(c.Join) == 0 {
		errs = append(errs, errors.New("--join is required with --cluster"))
	}
	for i, s := range c.Join {
		if _, _, err := net.SplitHostPort(s); err != nil {
			errs = append(errs, fmt.Errorf("--join[%d]: %q is not host:port: %v", i, s, err))
		}
	}
	if c.Bundle == "" {
		errs = append(errs, errors.New("--tls-bundle is required with --cluster"))
	}
	if c.Gossip != "" {
		if _, _, err := net.SplitHostPort(c.Gossip); err != nil {
			errs = append(errs, fmt.Errorf("--gossip: %q is not host:port: %v", c.Gossip, err))
		}
	}
	if c.MinWorkers < 0 {
		errs = append(errs, fmt.Errorf("--min-workers: %d is negative", c.MinWorkers))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("--max-attempts: %d is negative", c.MaxAttempts))
	}
	if c.MaxReplans < -1 {
		errs = append(errs, fmt.Errorf("--max-replans: %d: want -1 (never) or more", c.MaxReplans))
	}
	if c.WorkerWait < 0 || c.ProgressInterval < 0 {
		errs = append(errs, errors.New("--worker-wait and the progress interval must not be negative"))
	}
	if err := c.TLS.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("tls: %w", err))
	}
	if err := c.Job.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *CoordinatorConfig) withDefaults() CoordinatorConfig {
	out := *c
	if out.MinWorkers == 0 {
		out.MinWorkers = 1
	}
	if out.WorkerWait == 0 {
		out.WorkerWait = 2 * time.Minute
	}
	if out.MaxAttempts == 0 {
		out.MaxAttempts = 3
	}
	if out.MaxReplans == 0 {
		out.MaxReplans = 3
	} else if out.MaxReplans < 0 {
		out.MaxReplans = 0
	}
	if out.ProgressInterval == 0 {
		out.ProgressInterval = 5 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.NodeName == "" {
		host, _ := os.Hostname()
		out.NodeName = fmt.Sprintf("coordinator-%s-%d", host, os.Getpid())
	}
	return out
}

// RunCoordinator runs one job on the cluster: it prepares and plans the
// job itself, joins the cluster as a coordinator, waits for MinWorkers
// workers, schedules the map and reduce tasks on them (see the package
// documentation for the failure handling), and commits the job (run report,
// then the commit markers, _SUCCESS last) only when every partition's
// outputs are written. A failed job writes its report and no _SUCCESS. The
// report is returned whenever the job was prepared.
func RunCoordinator(ctx context.Context, cfg CoordinatorConfig) (*pipeline.Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	start := time.Now()
	bundle, err := transport.LoadBundle(c.Bundle)
	if err != nil {
		return nil, fmt.Errorf("--tls-bundle: %w", err)
	}
	mt, err := transport.NewMTLS(bundle, c.TLS, c.Logger)
	if err != nil {
		return nil, err
	}
	jcfg := c.Job
	jcfg.Logger = c.Logger
	jcfg.ProgressOut = nil
	j, err := pipeline.Prepare(ctx, jcfg)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	rep := j.NewReport(start)
	outputs, err := coordinate(ctx, &c, mt, j, rep)
	err = j.Finish(ctx, rep, outputs, err)
	return rep, err
}

// coordinate plans the job, runs it on the cluster and fills rep's task
// counts and counters; it returns the reduce outputs.
func coordinate(ctx context.Context, c *CoordinatorConfig, mt *transport.MTLS, j *pipeline.Job, rep *pipeline.Report) (map[int]*pipeline.TaskOutput, error) {
	log := c.Logger
	splits, parts, err := j.Plan(ctx)
	if err != nil {
		return nil, err
	}
	rep.MapTasks, rep.Partitions = len(splits), parts
	var rnd [6]byte
	rand.Read(rnd[:])
	id := "furrow-" + j.Config().ETLTimestamp.Format("20060102T150405.000") + "-" + hex.EncodeToString(rnd[:])
	spec, err := NewJobSpec(ctx, id, c.NodeName, j.Config(), c.Job, parts)
	if err != nil {
		return nil, err
	}

	mcfg := transport.DefaultConfig()
	if c.Membership != nil {
		mcfg = *c.Membership
	}
	mcfg.NodeName = c.NodeName
	mcfg.BindAddr = c.Gossip
	if mcfg.BindAddr == "" {
		mcfg.BindAddr = net.JoinHostPort(localIPToward(c.Join[0]), "0")
	}
	mcfg.Seeds = c.Join
	mcfg.Meta = transport.NodeMeta{Role: transport.RoleCoordinator}
	cl, err := transport.NewCluster(mcfg, mt, log)
	if err != nil {
		return nil, fmt.Errorf("starting cluster membership: %w", err)
	}
	events := make(chan transport.Event, 256)
	stopFwd := make(chan struct{})
	var fwd sync.WaitGroup
	fwd.Add(1)
	go func() {
		defer fwd.Done()
		for e := range cl.Events() {
			select {
			case events <- e:
			case <-stopFwd:
			}
		}
	}()
	client := newControlClient(mt)
	defer func() {
		// Reverse order: stop using the cluster, leave, shut down.
		close(stopFwd)
		client.close()
		if err := cl.Leave(5 * time.Second); err != nil {
			log.Warn("leaving the cluster", "err", err)
		}
		cl.Shutdown()
		fwd.Wait()
	}()

	jctx, cancel := context.WithTimeout(ctx, c.WorkerWait)
	defer cancel()
	if _, err := cl.Join(jctx, c.Join); err != nil {
		return nil, fmt.Errorf("--join: %w", err)
	}
	s := newScheduler(c, log, client, spec, splits, parts)
	if err := s.waitWorkers(jctx, cl, events); err != nil {
		return nil, err
	}
	cancel()
	log.Info("cluster job starting", "job", id, "map_tasks", len(splits), "partitions", parts, "workers", s.usableCount(), "output", j.OutputURL())
	err = s.run(ctx, cl, events)
	s.dropJob(client)
	s.fill(rep)
	if err != nil {
		return nil, err
	}
	return s.outputs, nil
}

// localIPToward is this host's address on the route to seed (no packet is
// sent), or the wildcard address when it cannot be told.
func localIPToward(seed string) string {
	c, err := net.Dial("udp", seed)
	if err != nil {
		return "0.0.0.0"
	}
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return a.IP.String()
	}
	return "0.0.0.0"
}

// dropJob tells every worker that took part to forget the job (best
// effort, bounded).
func (s *scheduler) dropJob(client *controlClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, m := range s.all {
		if !m.contacted {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := client.call(ctx, http.MethodDelete, m.addr, pathJobs+s.spec.ID, nil, nil); err != nil && m.usable {
				s.log.Warn("dropping the job on a worker", "worker", m.name, "err", err)
			}
		}()
	}
	wg.Wait()
}
