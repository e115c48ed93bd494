package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/shuffle"
)

// maxRequestBody bounds a control API request (a job spec with inline
// enrichments, or a reduce request listing every map task's winner).
const maxRequestBody = 256 << 20

func (w *Worker) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+pathStatus, w.handleStatus)
	mux.Handle("GET "+pathMetrics, promhttp.HandlerFor(w.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("PUT "+pathJobs+"{id}", w.handlePrepare)
	mux.HandleFunc("DELETE "+pathJobs+"{id}", w.handleDrop)
	mux.HandleFunc("POST "+pathJobs+"{id}/map", w.handleMap)
	mux.HandleFunc("POST "+pathJobs+"{id}/reduce", w.handleReduce)
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(v)
}

func writeError(rw http.ResponseWriter, status int, kind, format string, args ...any) {
	writeJSON(rw, status, &apiError{Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding request body: %w", err)
	}
	// Read to the end: the server notices a client that goes away (and
	// cancels the request's context, hence the task) only once the body
	// is consumed.
	io.Copy(io.Discard, r.Body)
	return nil
}

func (w *Worker) handleStatus(rw http.ResponseWriter, _ *http.Request) {
	w.mu.Lock()
	st := statusReply{
		Name: w.name, Addr: w.addr, Gossip: w.cluster.Addr(), Cores: w.cfg.Parallelism,
		Draining: w.draining, Running: w.running, Jobs: []string{},
	}
	for id := range w.jobs {
		st.Jobs = append(st.Jobs, id)
	}
	for _, m := range w.members {
		if m.Name == w.name {
			st.Instance = m.Meta.Instance
		}
		st.Members = append(st.Members, memberWire{Name: m.Name, Role: string(m.Meta.Role), State: m.State.String(), Shuffle: m.Meta.ShuffleAddr})
	}
	w.mu.Unlock()
	sort.Strings(st.Jobs)
	sort.Slice(st.Members, func(i, j int) bool { return st.Members[i].Name < st.Members[j].Name })
	writeJSON(rw, http.StatusOK, st)
}

// handlePrepare prepares a job from its spec (PUT /v1/jobs/{id}); it is
// idempotent: concurrent and repeated calls with the same spec share one
// prepared Job.
func (w *Worker) handlePrepare(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var spec JobSpec
	if err := decodeBody(r, &spec); err != nil {
		writeError(rw, http.StatusBadRequest, kindBadRequest, "%v", err)
		return
	}
	if spec.ID != id {
		writeError(rw, http.StatusBadRequest, kindBadRequest, "spec id %q does not match the path's %q", spec.ID, id)
		return
	}
	raw, _ := json.Marshal(&spec)
	w.mu.Lock()
	if w.draining {
		w.mu.Unlock()
		writeError(rw, http.StatusServiceUnavailable, kindDraining, "worker %s is shutting down", w.name)
		return
	}
	e := w.jobs[id]
	if e != nil && e.raw != string(raw) {
		w.mu.Unlock()
		writeError(rw, http.StatusConflict, kindBadRequest, "job %s is prepared here with another spec", id)
		return
	}
	if e == nil {
		e = &jobEntry{spec: &spec, raw: string(raw), ready: make(chan struct{})}
		e.ctx, e.cancel = context.WithCancel(w.taskCtx)
		w.jobs[id] = e
		w.metrics.jobs.Inc()
		go w.prepare(e)
	}
	w.mu.Unlock()
	select {
	case <-e.ready:
	case <-r.Context().Done():
		return
	}
	if e.err != nil {
		writeError(rw, http.StatusUnprocessableEntity, kindPrepare, "worker %s: preparing job %s: %v", w.name, id, e.err)
		return
	}
	writeJSON(rw, http.StatusOK, struct{}{})
}

func (w *Worker) prepare(e *jobEntry) {
	defer close(e.ready)
	cfg, err := e.spec.Config(NodeLocal{Parallelism: w.cfg.Parallelism, MemoryBudget: w.cfg.MemoryBudget, SpillDir: w.cfg.SpillDir})
	if err == nil {
		cfg.Logger = w.log.With("job", e.spec.ID)
		var j *pipeline.Job
		if j, err = pipeline.Prepare(e.ctx, cfg); err == nil {
			j.SetPartitions(e.spec.Partitions)
			e.job = j
		}
	}
	if err != nil {
		e.err = err
		w.log.Warn("cluster: preparing job", "job", e.spec.ID, "err", err)
		// Forget it so that a later prepare can try again.
		w.mu.Lock()
		if w.jobs[e.spec.ID] == e {
			delete(w.jobs, e.spec.ID)
			w.metrics.jobs.Dec()
		}
		w.mu.Unlock()
		return
	}
	w.log.Info("cluster: job prepared", "job", e.spec.ID, "partitions", e.spec.Partitions, "output", e.job.OutputURL())
}

func (w *Worker) handleDrop(rw http.ResponseWriter, r *http.Request) {
	w.dropJob(r.PathValue("id"))
	writeJSON(rw, http.StatusOK, struct{}{})
}

// dropJob forgets a job: its running tasks are cancelled, and once they
// returned its Job is closed and its shuffle data freed.
func (w *Worker) dropJob(id string) {
	w.mu.Lock()
	e := w.jobs[id]
	if e != nil {
		delete(w.jobs, id)
		w.metrics.jobs.Dec()
		e.dropped = true
	}
	idle := e != nil && e.running == 0
	w.mu.Unlock()
	if e == nil {
		w.srv.DropJob(id)
		return
	}
	e.cancel()
	if idle {
		w.closeJob(e)
	}
}

func (w *Worker) closeJob(e *jobEntry) {
	go func() {
		<-e.ready
		if e.job != nil {
			e.job.Close()
		}
		w.srv.DropJob(e.spec.ID)
		w.log.Info("cluster: job dropped", "job", e.spec.ID)
	}()
}

// acquire registers a task of job id; the caller must call release. It
// fails when the worker drains or the job is not prepared here.
func (w *Worker) acquire(id string) (*jobEntry, *apiError, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.draining {
		return nil, &apiError{Kind: kindDraining, Message: fmt.Sprintf("worker %s is shutting down", w.name)}, http.StatusServiceUnavailable
	}
	e := w.jobs[id]
	if e == nil {
		return nil, &apiError{Kind: kindUnknownJob, Message: fmt.Sprintf("job %s is not prepared on worker %s", id, w.name)}, http.StatusNotFound
	}
	select {
	case <-e.ready:
	default:
		return nil, &apiError{Kind: kindUnknownJob, Message: fmt.Sprintf("job %s is still being prepared on worker %s", id, w.name)}, http.StatusNotFound
	}
	if e.job == nil {
		return nil, &apiError{Kind: kindUnknownJob, Message: fmt.Sprintf("job %s failed to prepare on worker %s", id, w.name)}, http.StatusNotFound
	}
	e.running++
	w.running++
	w.tasks.Add(1)
	w.metrics.running.Inc()
	return e, nil, 0
}

func (w *Worker) release(e *jobEntry) {
	w.mu.Lock()
	e.running--
	w.running--
	closeNow := e.dropped && e.running == 0
	w.mu.Unlock()
	w.metrics.running.Dec()
	w.tasks.Done()
	if closeNow {
		w.closeJob(e)
	}
}

// taskContext ends when the request ends (the coordinator gave up), the
// job is dropped, or a drain runs out of time.
func taskContext(r *http.Request, e *jobEntry) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(e.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

func (w *Worker) handleMap(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req mapRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(rw, http.StatusBadRequest, kindBadRequest, "%v", err)
		return
	}
	e, aerr, status := w.acquire(id)
	if aerr != nil {
		writeJSON(rw, status, aerr)
		return
	}
	defer w.release(e)
	if err := req.validate(e.spec.Partitions); err != nil {
		writeError(rw, http.StatusBadRequest, kindBadRequest, "map task: %v", err)
		return
	}
	ctx, cancel := taskContext(r, e)
	defer cancel()
	start := time.Now()
	reply := w.runMap(ctx, e, &req)
	if reply.Error != nil {
		w.metrics.tasksFailed.WithLabelValues("map").Inc()
		w.log.Warn("cluster: map task failed", "job", id, "task", req.Task, "attempt", req.Attempt, "kind", reply.Error.Kind, "err", reply.Error.Message)
	} else {
		w.metrics.mapDone(&reply.Counters, reply.RawBytes)
		w.log.Debug("cluster: map task done", "job", id, "task", req.Task, "attempt", req.Attempt, "events", reply.Counters.Good, "took", time.Since(start))
	}
	writeJSON(rw, http.StatusOK, reply)
}

func (w *Worker) runMap(ctx context.Context, e *jobEntry, req *mapRequest) *mapReply {
	fail := func(err error) *mapReply {
		return &mapReply{Error: classify(err, fmt.Sprintf("worker %s: map task %d attempt %d", w.name, req.Task, req.Attempt))}
	}
	if d := w.cfg.MapTaskDelay; d > 0 { // test only
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
	x, err := shuffle.NewNetExchange(shuffle.NetConfig{
		JobID: e.spec.ID, Partitions: e.spec.Partitions, Owner: req.owner, Peers: w.peers, Logger: w.log,
	})
	if err != nil {
		return fail(err)
	}
	defer x.Close()
	out, err := x.OpenMap(ctx, req.Task, req.Attempt)
	if err != nil {
		return fail(err)
	}
	var c pipeline.Counters
	err = e.job.MapTask(ctx, req.Task, req.Split, out, &c)
	if err == nil {
		err = out.Commit(ctx)
	} else {
		out.Abort()
	}
	if err != nil {
		return fail(err)
	}
	st := x.Stats()
	return &mapReply{Counters: c, RawBytes: st.RawBytes, EncodedBytes: st.EncodedBytes}
}

func (w *Worker) handleReduce(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req reduceRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(rw, http.StatusBadRequest, kindBadRequest, "%v", err)
		return
	}
	winners, err := req.Winners.toMap()
	if err != nil {
		writeError(rw, http.StatusBadRequest, kindBadRequest, "reduce task: %v", err)
		return
	}
	e, aerr, status := w.acquire(id)
	if aerr != nil {
		writeJSON(rw, status, aerr)
		return
	}
	defer w.release(e)
	if req.Partition < 0 || req.Partition >= e.spec.Partitions {
		writeError(rw, http.StatusBadRequest, kindBadRequest, "reduce task: partition %d out of range [0,%d)", req.Partition, e.spec.Partitions)
		return
	}
	ctx, cancel := taskContext(r, e)
	defer cancel()
	if d := w.cfg.ReduceTaskDelay; d > 0 { // test only
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	read := func(fn func([]byte) error) error {
		return w.srv.ReadPartition(ctx, id, req.Partition, winners, fn)
	}
	var c pipeline.Counters
	out, err := e.job.ReduceTask(ctx, req.Partition, read, &c)
	var reply reduceReply
	if err != nil {
		reply.Error = classify(err, fmt.Sprintf("worker %s: reduce task %d", w.name, req.Partition))
		w.metrics.tasksFailed.WithLabelValues("reduce").Inc()
		w.log.Warn("cluster: reduce task failed", "job", id, "partition", req.Partition, "kind", reply.Error.Kind, "err", reply.Error.Message)
	} else {
		reply.Counters, reply.Output = c, outputToWire(out)
		w.metrics.reduceDone(&c)
	}
	writeJSON(rw, http.StatusOK, &reply)
}

// classify turns a task error into the reply the coordinator acts on.
func classify(err error, what string) *apiError {
	e := &apiError{Kind: kindTask, Message: what + ": " + err.Error()}
	var pe *shuffle.PeerError
	switch {
	case errors.As(err, &pe):
		e.Kind, e.Peer, e.Lost = kindPeer, pe.Addr, pe.Lost
	case errors.Is(err, shuffle.ErrMissingOutput):
		e.Kind = kindMissing
	case pipeline.IsPermanent(err):
		e.Kind = kindPermanent
	}
	return e
}
