package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/transport"
)

// member is a worker as the scheduler sees it. Fields are owned by the
// scheduler's loop goroutine, except prepared (under prepMu).
type member struct {
	name, instance, addr string
	cores                int
	usable               bool // takes work: alive, not lost, not draining
	running              int
	contacted            bool
	ctx                  context.Context // cancelled when the member is lost
	cancel               context.CancelFunc

	prepMu   sync.Mutex
	prepared bool
}

// taskState is the scheduler's record of one map task or reduce partition.
type taskState struct {
	done     bool
	running  bool
	queued   bool
	failures int
	avoid    map[string]bool // members this task failed on
	lastErr  string
}

const (
	stageMap    = "map"
	stageReduce = "reduce"
)

// result is what a task goroutine reports to the loop.
type result struct {
	round   int
	stage   string
	id      int // map task or partition
	attempt int
	m       *member
	mapR    *mapReply
	redR    *reduceReply
	err     error // could not run it: *connError, *statusError, …
	// peerDead is set when a map attempt failed on a lost shuffle peer and
	// the peer's control API did not answer either.
	peerDead bool
}

// scheduler runs one job's tasks on the cluster's workers. Its state is
// owned by the goroutine running run; task goroutines only send results.
type scheduler struct {
	cfg    *CoordinatorConfig
	log    *slog.Logger
	client *controlClient
	spec   *JobSpec
	splits []pipeline.Split
	parts  int

	all     []*member          // every member seen, in order of arrival
	members map[string]*member // current instance by name

	results chan result
	quit    chan struct{}

	round       int
	roundCtx    context.Context
	roundCancel context.CancelFunc
	stage       string
	owners      []*member // per partition, this round
	ownerAddrs  []string
	ownerOf     []int
	maps        []taskState
	reds        []taskState
	mapQueue    []int
	redQueue    []int
	nextAttempt []int
	inflight    int

	winners     map[int]int
	mapCounters map[int]*mapReply // the winners' replies
	redCounters map[int]pipeline.Counters
	outputs     map[int]*pipeline.TaskOutput

	retries    int
	replans    int
	replanWhy  string
	lost       []string
	started    time.Time
	lastReport time.Time
}

func newScheduler(c *CoordinatorConfig, log *slog.Logger, client *controlClient, spec *JobSpec, splits []pipeline.Split, parts int) *scheduler {
	return &scheduler{
		cfg: c, log: log.With("job", spec.ID), client: client, spec: spec, splits: splits, parts: parts,
		members:     map[string]*member{},
		results:     make(chan result),
		quit:        make(chan struct{}),
		nextAttempt: make([]int, len(splits)),
		reds:        make([]taskState, parts),
		redCounters: map[int]pipeline.Counters{},
		outputs:     map[int]*pipeline.TaskOutput{},
	}
}

func (s *scheduler) usableCount() int {
	n := 0
	for _, m := range s.members {
		if m.usable {
			n++
		}
	}
	return n
}

// observe applies one membership view of a member.
func (s *scheduler) observe(kind transport.EventKind, mb transport.Member) {
	if mb.MetaErr != nil || mb.Meta.Role != transport.RoleWorker {
		return
	}
	cur := s.members[mb.Name]
	switch kind {
	case transport.EventJoin, transport.EventUpdate:
		if mb.State == transport.StateDead || mb.State == transport.StateLeft {
			if cur != nil && cur.instance == mb.Meta.Instance {
				s.memberLost(cur, "reported "+mb.State.String())
			}
			return
		}
		if cur != nil && cur.instance == mb.Meta.Instance {
			if mb.Meta.Leaving {
				s.memberLost(cur, "leaving the cluster")
			}
			return
		}
		if cur != nil {
			s.memberLost(cur, "restarted (new instance "+mb.Meta.Instance+")")
		}
		if mb.Meta.Leaving {
			return
		}
		m := &member{name: mb.Name, instance: mb.Meta.Instance, addr: mb.Meta.ShuffleAddr, cores: max(mb.Meta.Cores, 1), usable: true}
		m.ctx, m.cancel = context.WithCancel(context.Background())
		s.members[m.name] = m
		s.all = append(s.all, m)
		s.log.Info("worker available", "worker", m.name, "addr", m.addr, "cores", m.cores)
	case transport.EventLeave, transport.EventFail:
		if cur != nil && (mb.Meta.Instance == "" || cur.instance == mb.Meta.Instance) {
			s.memberLost(cur, "membership "+kind.String())
		}
	}
}

// resync reconciles with the full member list after dropped events.
func (s *scheduler) resync(cl *transport.Cluster) {
	seen := map[string]bool{}
	for _, mb := range cl.Members() {
		if mb.MetaErr != nil || mb.Meta.Role != transport.RoleWorker {
			continue
		}
		seen[mb.Name] = true
		s.observe(transport.EventJoin, mb)
	}
	for name, m := range s.members {
		if !seen[name] {
			s.memberLost(m, "no longer a member")
		}
	}
}

func (s *scheduler) handleEvent(cl *transport.Cluster, e transport.Event) {
	if e.Kind == transport.EventResync {
		s.resync(cl)
		return
	}
	s.observe(e.Kind, e.Member)
}

// waitWorkers waits until MinWorkers workers are usable.
// Members are learnt from the events (every member known at join time is
// reported as a join), not by polling Cluster.Members, whose reads race with
// memberlist's in-place updates.
func (s *scheduler) waitWorkers(ctx context.Context, cl *transport.Cluster, events <-chan transport.Event) error {
	for s.usableCount() < s.cfg.MinWorkers {
		select {
		case e := <-events:
			s.handleEvent(cl, e)
		case <-ctx.Done():
			return fmt.Errorf("waiting for workers: %d of --min-workers %d joined within %s (%w)", s.usableCount(), s.cfg.MinWorkers, s.cfg.WorkerWait, ctx.Err())
		}
	}
	return nil
}

// memberLost stops giving work to m, cancels what runs there, and asks for
// a re-plan when m owns partitions whose reduce is not done.
func (s *scheduler) memberLost(m *member, why string) {
	if !m.usable {
		return
	}
	m.usable = false
	m.cancel()
	s.lost = append(s.lost, fmt.Sprintf("%s (%s): %s", m.name, m.addr, why))
	s.log.Warn("worker lost", "worker", m.name, "addr", m.addr, "reason", why)
	if s.owners == nil {
		return
	}
	var owned []int
	for p, o := range s.owners {
		if o == m && !s.reds[p].done {
			owned = append(owned, p)
		}
	}
	if len(owned) > 0 && s.replanWhy == "" {
		s.replanWhy = fmt.Sprintf("worker %s (%s) owned partitions %s: %s", m.name, m.addr, partitionList(owned), why)
	}
}

// startRound assigns partitions to the usable workers and (re)queues every
// map task and every reduce partition not done yet.
func (s *scheduler) startRound(parent context.Context) error {
	var names []string
	byName := map[string]*member{}
	for name, m := range s.members {
		if m.usable {
			names = append(names, name)
			byName[name] = m
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no worker left to run the job (lost: %s)", strings.Join(s.lost, "; "))
	}
	sort.Strings(names)
	s.round++
	s.roundCtx, s.roundCancel = context.WithCancel(parent)
	idx := assignPartitions(names, s.parts)
	s.owners = make([]*member, s.parts)
	s.ownerAddrs = make([]string, len(names))
	s.ownerOf = idx
	for i, n := range names {
		s.ownerAddrs[i] = byName[n].addr
	}
	perOwner := map[string][]int{}
	for p, i := range idx {
		s.owners[p] = byName[names[i]]
		perOwner[names[i]] = append(perOwner[names[i]], p)
	}
	for n, ps := range perOwner {
		s.log.Info("partitions assigned", "round", s.round, "worker", n, "partitions", partitionList(ps))
	}
	s.stage = stageMap
	s.maps = make([]taskState, len(s.splits))
	s.mapQueue = s.mapQueue[:0]
	for t := range s.splits {
		s.maps[t].queued = true
		s.mapQueue = append(s.mapQueue, t)
	}
	s.redQueue = s.redQueue[:0]
	for p := range s.reds {
		s.reds[p].running, s.reds[p].queued = false, false
		if !s.reds[p].done {
			s.reds[p].queued = true
			s.redQueue = append(s.redQueue, p)
		}
	}
	s.winners = map[int]int{}
	s.mapCounters = map[int]*mapReply{}
	s.replanWhy = ""
	return nil
}

// run schedules the job to the end: every partition reduced, or an error.
func (s *scheduler) run(ctx context.Context, cl *transport.Cluster, events <-chan transport.Event) (err error) {
	s.started = time.Now()
	s.lastReport = s.started
	tick := time.NewTicker(s.cfg.ProgressInterval)
	defer tick.Stop()
	defer func() {
		if s.roundCancel != nil {
			s.roundCancel()
		}
		s.drain(30 * time.Second)
		close(s.quit)
		s.progress(true)
	}()
	if err := s.startRound(ctx); err != nil {
		return err
	}
	for {
		if s.replanWhy != "" {
			if s.replans >= s.cfg.MaxReplans {
				return fmt.Errorf("lost a worker and the job was re-planned %d times (limit %d): %s", s.replans, s.cfg.MaxReplans, s.replanWhy)
			}
			why := s.replanWhy
			s.roundCancel()
			s.drain(30 * time.Second)
			s.replans++
			s.log.Warn("re-planning the job: re-running the map stage with new attempts on the surviving workers", "replan", s.replans, "reason", why)
			if err := s.startRound(ctx); err != nil {
				return err
			}
		}
		if err := s.dispatch(); err != nil {
			return err
		}
		if s.stage == stageReduce && s.allDone(s.reds) {
			return nil
		}
		if s.inflight == 0 && s.replanWhy == "" {
			if s.usableCount() == 0 {
				return fmt.Errorf("no worker left to run the job (lost: %s)", strings.Join(s.lost, "; "))
			}
		}
		select {
		case r := <-s.results:
			if err := s.handle(r); err != nil {
				return err
			}
		case e := <-events:
			s.handleEvent(cl, e)
		case <-tick.C:
			s.progress(false)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *scheduler) allDone(ts []taskState) bool {
	for i := range ts {
		if !ts[i].done {
			return false
		}
	}
	return true
}

// drain waits (at most d) for the tasks in flight, which were cancelled;
// results of reduce tasks that still succeeded are kept (their outputs are
// complete and written).
func (s *scheduler) drain(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for s.inflight > 0 {
		select {
		case r := <-s.results:
			s.settle(r)
			if r.stage == stageReduce && r.err == nil && r.redR != nil && r.redR.Error == nil {
				s.reduceSucceeded(r)
			}
		case <-t.C:
			s.log.Warn("tasks did not stop after cancellation", "in_flight", s.inflight)
			return
		}
	}
}

// settle accounts for a finished task goroutine.
func (s *scheduler) settle(r result) {
	s.inflight--
	r.m.running--
	if r.round != s.round {
		return
	}
	if r.stage == stageMap {
		s.maps[r.id].running = false
	} else {
		s.reds[r.id].running = false
	}
}

// pick chooses the usable member with a free slot and the lowest load,
// avoiding the members a task already failed on while others exist.
func (s *scheduler) pick(avoid map[string]bool) *member {
	var best *member
	var fallback *member
	better := func(a, b *member) bool {
		if b == nil {
			return true
		}
		la, lb := a.running*b.cores, b.running*a.cores
		if la != lb {
			return la < lb
		}
		return a.name < b.name
	}
	avoidedAll := true
	for _, m := range s.members {
		if !m.usable {
			continue
		}
		if !avoid[m.name] {
			avoidedAll = false
		}
		if m.running >= m.cores {
			continue
		}
		if avoid[m.name] {
			if better(m, fallback) {
				fallback = m
			}
			continue
		}
		if better(m, best) {
			best = m
		}
	}
	if best == nil && avoidedAll {
		return fallback
	}
	return best
}

// dispatch starts queued tasks on members with free slots.
func (s *scheduler) dispatch() error {
	if s.stage == stageMap {
		for len(s.mapQueue) > 0 {
			t := s.mapQueue[0]
			st := &s.maps[t]
			m := s.pick(st.avoid)
			if m == nil {
				break
			}
			s.mapQueue = s.mapQueue[1:]
			st.queued, st.running = false, true
			attempt := s.nextAttempt[t]
			s.nextAttempt[t]++
			s.launch(m, stageMap, t, attempt)
		}
		if len(s.mapQueue) == 0 && s.allDone(s.maps) {
			s.stage = stageReduce
			s.log.Info("map stage done", "round", s.round, "map_tasks", len(s.splits), "elapsed", time.Since(s.started).Round(time.Millisecond))
		} else {
			return nil
		}
	}
	var keep []int
	for _, p := range s.redQueue {
		st := &s.reds[p]
		if st.done || st.running {
			continue
		}
		o := s.owners[p]
		if !o.usable {
			if s.replanWhy == "" {
				s.replanWhy = fmt.Sprintf("partition %d's owner %s is lost", p, o.name)
			}
			keep = append(keep, p)
			continue
		}
		if o.running >= o.cores {
			keep = append(keep, p)
			continue
		}
		st.queued, st.running = false, true
		s.launch(o, stageReduce, p, 0)
	}
	s.redQueue = keep
	return nil
}

// launch runs one task on m in a goroutine that reports to the loop.
func (s *scheduler) launch(m *member, stage string, id, attempt int) {
	m.running++
	m.contacted = true
	s.inflight++
	round, rctx := s.round, s.roundCtx
	ctx, cancel := context.WithCancel(rctx)
	stop := context.AfterFunc(m.ctx, cancel)
	var mreq *mapRequest
	var rreq *reduceRequest
	if stage == stageMap {
		mreq = &mapRequest{Task: id, Attempt: attempt, Split: s.splits[id], Owners: s.ownerAddrs, OwnerOf: s.ownerOf}
	} else {
		rreq = &reduceRequest{Partition: id, Winners: newWinnerList(s.winners)}
	}
	go func() {
		defer cancel()
		defer stop()
		r := result{round: round, stage: stage, id: id, attempt: attempt, m: m}
		r.err = s.ensurePrepared(ctx, m)
		if r.err == nil {
			if stage == stageMap {
				var rep mapReply
				r.err = s.client.call(ctx, http.MethodPost, m.addr, pathJobs+s.spec.ID+"/map", mreq, &rep)
				r.mapR = &rep
				if r.err == nil && rep.Error != nil && rep.Error.Kind == kindPeer && rep.Error.Lost {
					// Is the peer gone, or was it a passing fault?
					r.peerDead = !s.client.reachable(ctx, rep.Error.Peer, 5*time.Second) && ctx.Err() == nil
				}
			} else {
				var rep reduceReply
				r.err = s.client.call(ctx, http.MethodPost, m.addr, pathJobs+s.spec.ID+"/reduce", rreq, &rep)
				r.redR = &rep
			}
		}
		select {
		case s.results <- r:
		case <-s.quit:
		}
	}()
}

// ensurePrepared sends the job spec to m once (the worker caches the
// prepared job by id).
func (s *scheduler) ensurePrepared(ctx context.Context, m *member) error {
	m.prepMu.Lock()
	defer m.prepMu.Unlock()
	if m.prepared {
		return nil
	}
	if err := s.client.call(ctx, http.MethodPut, m.addr, pathJobs+s.spec.ID, s.spec, nil); err != nil {
		return err
	}
	m.prepared = true
	return nil
}

func (s *scheduler) memberByAddr(addr string) *member {
	for _, m := range s.members {
		if m.addr == addr {
			return m
		}
	}
	return nil
}

// handle applies one task result.
func (s *scheduler) handle(r result) error {
	s.settle(r)
	if r.round != s.round {
		if r.stage == stageReduce && r.err == nil && r.redR != nil && r.redR.Error == nil {
			s.reduceSucceeded(r)
		}
		return nil
	}
	var st *taskState
	what := ""
	if r.stage == stageMap {
		st = &s.maps[r.id]
		what = fmt.Sprintf("map task %d (%s@%d)", r.id, s.splits[r.id].Key, s.splits[r.id].Offset)
	} else {
		st = &s.reds[r.id]
		what = fmt.Sprintf("reduce task %d", r.id)
	}
	requeue := func() {
		st.queued = true
		if r.stage == stageMap {
			s.mapQueue = append(s.mapQueue, r.id)
		} else {
			s.redQueue = append(s.redQueue, r.id)
		}
	}
	// counted records a failure of the task itself: retry it elsewhere, up
	// to MaxAttempts.
	counted := func(msg string) error {
		st.failures++
		st.lastErr = msg
		if st.avoid == nil {
			st.avoid = map[string]bool{}
		}
		st.avoid[r.m.name] = true
		if st.failures >= s.cfg.MaxAttempts {
			return fmt.Errorf("%s failed %d times; last on worker %s: %s", what, st.failures, r.m.name, msg)
		}
		s.retries++
		s.log.Warn("retrying task", "task", what, "failures", st.failures, "worker", r.m.name, "err", msg)
		requeue()
		return nil
	}

	if r.err != nil {
		var ce *connError
		var se *statusError
		switch {
		case errors.As(r.err, &ce) || (errors.As(r.err, &se) && se.api.Kind == kindDraining):
			if s.roundCtx.Err() != nil {
				return nil // cancelled for a re-plan
			}
			s.memberLost(r.m, r.err.Error())
			if r.stage == stageMap {
				s.retries++
				requeue()
			}
			return nil
		case errors.As(r.err, &se) && se.api.Kind == kindUnknownJob:
			r.m.prepMu.Lock()
			r.m.prepared = false
			r.m.prepMu.Unlock()
			if r.stage == stageReduce {
				// A reduce needs the map outputs the worker held for the job.
				if s.replanWhy == "" {
					s.replanWhy = fmt.Sprintf("worker %s forgot the job: %s", r.m.name, se.api.Message)
				}
				return nil
			}
			return counted(se.api.Message)
		case errors.As(r.err, &se):
			return counted(se.api.Message)
		default:
			return counted(r.err.Error())
		}
	}

	var ae *apiError
	if r.stage == stageMap {
		ae = r.mapR.Error
	} else {
		ae = r.redR.Error
	}
	if ae == nil {
		if r.stage == stageMap {
			st.done = true
			s.winners[r.id] = r.attempt
			s.mapCounters[r.id] = r.mapR
		} else {
			s.reduceSucceeded(r)
		}
		return nil
	}
	switch ae.Kind {
	case kindPermanent:
		return fmt.Errorf("%s: %s", what, ae.Message)
	case kindPeer:
		if r.peerDead {
			if p := s.memberByAddr(ae.Peer); p != nil {
				s.memberLost(p, "shuffle peer unreachable: "+ae.Message)
			}
			s.retries++
			requeue()
			return nil
		}
		return counted(ae.Message)
	case kindMissing:
		if s.replanWhy == "" {
			s.replanWhy = fmt.Sprintf("worker %s lost map outputs: %s", r.m.name, ae.Message)
		}
		return nil
	default:
		if s.roundCtx.Err() != nil {
			return nil
		}
		return counted(ae.Message)
	}
}

func (s *scheduler) reduceSucceeded(r result) {
	st := &s.reds[r.id]
	if st.done {
		return
	}
	out, err := outputFromWire(r.redR.Output)
	if err != nil {
		s.log.Error("reduce reply", "partition", r.id, "err", err)
		st.lastErr = err.Error()
		return
	}
	st.done = true
	s.redCounters[r.id] = r.redR.Counters
	s.outputs[r.id] = out
}

// progress prints one progress line.
func (s *scheduler) progress(final bool) {
	if s.cfg.ProgressOut == nil {
		return
	}
	mapsDone, redsDone := 0, 0
	var events, shuffled int64
	for t := range s.maps {
		if s.maps[t].done {
			mapsDone++
		}
	}
	for _, r := range s.mapCounters {
		events += r.Counters.Good
		shuffled += r.RawBytes
	}
	for p := range s.reds {
		if s.reds[p].done {
			redsDone++
		}
	}
	el := time.Since(s.started)
	rate := 0.0
	if el > 0 {
		rate = float64(events) / el.Seconds()
	}
	label := "furrow cluster"
	if final {
		label = "furrow cluster (end)"
	}
	fmt.Fprintf(s.cfg.ProgressOut, "%s: map %d/%d  reduce %d/%d  events %d  %.0f events/s  shuffled %s  workers %d  round %d  elapsed %s\n",
		label, mapsDone, len(s.splits), redsDone, s.parts, events, rate, pipeline.HumanBytes(shuffled), s.usableCount(), s.round, el.Round(time.Second))
}

// fill copies the committed tasks' counters into the report.
func (s *scheduler) fill(rep *pipeline.Report) {
	for _, r := range s.mapCounters {
		rep.Counters.Add(&r.Counters)
		rep.ShuffledRaw += r.RawBytes
	}
	for _, c := range s.redCounters {
		rep.Counters.Add(&c)
	}
	rep.Retries = s.retries
}
