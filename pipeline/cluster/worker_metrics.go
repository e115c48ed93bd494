package cluster

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/shuffle"
)

// workerMetrics are a worker's Prometheus metrics, in its own registry
// (served on /metrics of the control port and of --metrics).
type workerMetrics struct {
	reg *prometheus.Registry

	tasksRun    *prometheus.CounterVec // by stage: map, reduce
	tasksFailed *prometheus.CounterVec
	running     prometheus.Gauge
	events      prometheus.Counter
	inputBytes  prometheus.Counter
	written     prometheus.Counter
	shuffledRaw prometheus.Counter
	refused     prometheus.Counter
	jobs        prometheus.Gauge
}

func newWorkerMetrics(srv *shuffle.Server, peers *shuffle.Peers, mux func() int64) *workerMetrics {
	m := &workerMetrics{reg: prometheus.NewRegistry()}
	m.tasksRun = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "furrow_worker_tasks_run_total", Help: "Task attempts that succeeded (map: committed to every owner; reduce: outputs written), by stage.",
	}, []string{"stage"})
	m.tasksFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "furrow_worker_tasks_failed_total", Help: "Task attempts that failed, by stage.",
	}, []string{"stage"})
	m.running = prometheus.NewGauge(prometheus.GaugeOpts{Name: "furrow_worker_tasks_running", Help: "Tasks running now."})
	m.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "furrow_worker_good_events_total", Help: "Good events out of committed map attempts."})
	m.inputBytes = prometheus.NewCounter(prometheus.CounterOpts{Name: "furrow_worker_input_bytes_total", Help: "Input bytes read by committed map attempts."})
	m.written = prometheus.NewCounter(prometheus.CounterOpts{Name: "furrow_worker_written_events_total", Help: "Events written by successful reduce tasks."})
	m.shuffledRaw = prometheus.NewCounter(prometheus.CounterOpts{Name: "furrow_shuffle_committed_raw_bytes_total", Help: "Record bytes (before framing and compression) that this worker's committed map attempts shuffled."})
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "furrow_worker_refused_connections_total", Help: "Connections to the worker port refused: failed mutual-TLS handshake (plaintext, unknown CA, no client certificate, weak suite) or unknown protocol."})
	m.jobs = prometheus.NewGauge(prometheus.GaugeOpts{Name: "furrow_worker_jobs", Help: "Jobs prepared on this worker now."})
	m.reg.MustRegister(m.tasksRun, m.tasksFailed, m.running, m.events, m.inputBytes, m.written, m.shuffledRaw, m.refused, m.jobs)
	for _, stage := range []string{"map", "reduce"} {
		m.tasksRun.WithLabelValues(stage)
		m.tasksFailed.WithLabelValues(stage)
	}

	srvStat := func(f func(shuffle.ServerStats) int64) func() float64 {
		return func() float64 { return float64(f(srv.Stats())) }
	}
	peerStat := func(f func(shuffle.PeerStats) int64) func() float64 {
		return func() float64 { return float64(f(peers.Stats())) }
	}
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "furrow_shuffle_received_bytes_total", Help: "Shuffle frame bytes received by this worker's server."},
			srvStat(func(s shuffle.ServerStats) int64 { return s.BytesReceived })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "furrow_shuffle_sent_bytes_total", Help: "Shuffle frame bytes sent by this worker's map attempts."},
			peerStat(func(s shuffle.PeerStats) int64 { return s.BytesSent })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "furrow_shuffle_spilled_bytes_total", Help: "Received block bytes written to spill files."},
			srvStat(func(s shuffle.ServerStats) int64 { return s.SpilledBytes })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "furrow_shuffle_committed_attempts_total", Help: "Map attempts sealed by this worker's server."},
			srvStat(func(s shuffle.ServerStats) int64 { return s.Committed })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "furrow_shuffle_credit_waits_total", Help: "Times a map attempt waited for a peer's credit (backpressure)."},
			peerStat(func(s shuffle.PeerStats) int64 { return s.CreditWaits })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "furrow_shuffle_lost_connections_total", Help: "Shuffle connections to peers that failed after the handshake."},
			peerStat(func(s shuffle.PeerStats) int64 { return s.Lost })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "furrow_shuffle_memory_bytes", Help: "Received block bytes held in memory now."},
			srvStat(func(s shuffle.ServerStats) int64 { return s.MemoryBytes })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "furrow_shuffle_connections", Help: "Shuffle connections accepted and open now."},
			srvStat(func(s shuffle.ServerStats) int64 { return s.Connections })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "furrow_worker_unknown_protocol_connections_total", Help: "Verified connections closed because they spoke neither the shuffle protocol nor HTTP."},
			func() float64 { return float64(mux()) }),
	)
	return m
}

// mapDone records a committed map attempt.
func (m *workerMetrics) mapDone(c *pipeline.Counters, raw int64) {
	m.tasksRun.WithLabelValues("map").Inc()
	m.events.Add(float64(c.Good))
	m.inputBytes.Add(float64(c.BytesIn))
	m.shuffledRaw.Add(float64(raw))
}

// reduceDone records a successful reduce task.
func (m *workerMetrics) reduceDone(c *pipeline.Counters) {
	m.tasksRun.WithLabelValues("reduce").Inc()
	m.written.Add(float64(c.Written))
}
