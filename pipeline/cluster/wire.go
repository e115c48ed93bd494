package cluster

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/shred"
)

// The control API's paths (HTTP/1.1, JSON bodies, over the worker's
// mutual-TLS port).
const (
	pathStatus  = "/v1/status"
	pathMetrics = "/metrics"
	pathJobs    = "/v1/jobs/" // + {id}, + {id}/map, + {id}/reduce
)

// Error kinds of a task reply; they tell the coordinator what to do.
const (
	// kindTask: the task failed; retry it (bounded).
	kindTask = "task"
	// kindPermanent: the task failed in a way a retry cannot fix (a corrupt
	// input file); the job fails.
	kindPermanent = "permanent"
	// kindPeer: the map attempt failed because of a shuffle peer (Peer);
	// Lost says its connection failed. The coordinator checks the peer.
	kindPeer = "peer"
	// kindMissing: a reduce task found a winning map output missing on its
	// node (the node lost state): re-plan.
	kindMissing = "missing_output"
	// kindUnknownJob: the worker has not prepared the job (it restarted):
	// prepare again.
	kindUnknownJob = "unknown_job"
	// kindDraining: the worker is shutting down and takes no new work.
	kindDraining = "draining"
	// kindBadRequest: the request is malformed (a bug or a version skew).
	kindBadRequest = "bad_request"
	// kindPrepare: the worker could not prepare the job from its spec.
	kindPrepare = "prepare"
)

// apiError is the body of every error reply and the error part of a task
// reply.
type apiError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Peer is the shuffle address of the peer that failed a map attempt.
	Peer string `json:"peer,omitempty"`
	Lost bool   `json:"lost,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

// mapRequest asks a worker to run one attempt of a map task.
type mapRequest struct {
	Task    int            `json:"task"`
	Attempt int            `json:"attempt"`
	Split   pipeline.Split `json:"split"`
	// Owners are the shuffle addresses of this round's partition owners;
	// OwnerOf[p] indexes Owners.
	Owners  []string `json:"owners"`
	OwnerOf []int    `json:"owner_of"`
}

// owner returns the shuffle address of partition p.
func (r *mapRequest) owner(p int) string { return r.Owners[r.OwnerOf[p]] }

func (r *mapRequest) validate(partitions int) error {
	if r.Task < 0 || r.Attempt < 0 {
		return fmt.Errorf("task %d attempt %d: negative", r.Task, r.Attempt)
	}
	if len(r.OwnerOf) != partitions {
		return fmt.Errorf("owner_of lists %d partitions, the job has %d", len(r.OwnerOf), partitions)
	}
	for p, i := range r.OwnerOf {
		if i < 0 || i >= len(r.Owners) || r.Owners[i] == "" {
			return fmt.Errorf("owner_of[%d] = %d: not an index of owners (%d)", p, i, len(r.Owners))
		}
	}
	return nil
}

// mapReply is the outcome of a map attempt. Without Error the attempt
// committed its output to every owner.
type mapReply struct {
	Counters pipeline.Counters `json:"counters"`
	// RawBytes and EncodedBytes are what the attempt shuffled.
	RawBytes     int64     `json:"raw_bytes"`
	EncodedBytes int64     `json:"encoded_bytes"`
	Error        *apiError `json:"error,omitempty"`
}

// reduceRequest asks a partition's owner to run its reduce task.
type reduceRequest struct {
	Partition int `json:"partition"`
	// Winners maps each map task to its committed attempt.
	Winners winnerList `json:"winners"`
}

// winnerList is the compact wire form of a task → attempt map: a list of
// [task, attempt] pairs in task order.
type winnerList [][2]int

func newWinnerList(m map[int]int) winnerList {
	w := make(winnerList, 0, len(m))
	for t, a := range m {
		w = append(w, [2]int{t, a})
	}
	sort.Slice(w, func(i, j int) bool { return w[i][0] < w[j][0] })
	return w
}

func (w winnerList) toMap() (map[int]int, error) {
	m := make(map[int]int, len(w))
	for _, p := range w {
		if p[0] < 0 || p[1] < 0 {
			return nil, fmt.Errorf("winner [%d, %d]: negative", p[0], p[1])
		}
		if _, dup := m[p[0]]; dup {
			return nil, fmt.Errorf("map task %d listed twice in winners", p[0])
		}
		m[p[0]] = p[1]
	}
	return m, nil
}

// reduceReply is the outcome of a reduce task. Without Error its outputs
// are written.
type reduceReply struct {
	Counters pipeline.Counters `json:"counters"`
	Output   *taskOutputWire   `json:"output,omitempty"`
	Error    *apiError         `json:"error,omitempty"`
}

// taskOutputWire is pipeline.TaskOutput on the wire: shred.Stats' Types map
// has struct keys, so it travels as a list.
type taskOutputWire struct {
	Shred *shredStatsWire `json:"shred,omitempty"`
}

type shredStatsWire struct {
	Events int64           `json:"events"`
	Types  []typeCountWire `json:"types,omitempty"`
	Min    time.Time       `json:"min_collector_tstamp"`
	Max    time.Time       `json:"max_collector_tstamp"`
	Files  []string        `json:"files,omitempty"`
	Bytes  int64           `json:"bytes"`
}

type typeCountWire struct {
	Vendor  string `json:"vendor"`
	Name    string `json:"name"`
	Format  string `json:"format"`
	Version string `json:"version"` // M-R-A
	Entity  uint8  `json:"entity"`  // shred.EntityKind
	Count   int64  `json:"count"`
}

func outputToWire(o *pipeline.TaskOutput) *taskOutputWire {
	if o == nil {
		return nil
	}
	w := &taskOutputWire{}
	if s := o.Shred; s != nil {
		sw := &shredStatsWire{Events: s.Events, Min: s.MinCollectorTstamp, Max: s.MaxCollectorTstamp, Files: s.Files, Bytes: s.Bytes}
		for _, k := range s.SortedTypes() {
			sw.Types = append(sw.Types, typeCountWire{
				Vendor: k.Schema.Vendor, Name: k.Schema.Name, Format: k.Schema.Format,
				Version: k.Schema.Version.String(), Entity: uint8(k.Entity), Count: s.Types[k],
			})
		}
		w.Shred = sw
	}
	return w
}

func outputFromWire(w *taskOutputWire) (*pipeline.TaskOutput, error) {
	if w == nil {
		return nil, errors.New("reduce reply without an output")
	}
	o := &pipeline.TaskOutput{}
	if sw := w.Shred; sw != nil {
		s := &shred.Stats{Events: sw.Events, MinCollectorTstamp: sw.Min.UTC(), MaxCollectorTstamp: sw.Max.UTC(), Files: sw.Files, Bytes: sw.Bytes}
		for i, t := range sw.Types {
			v, err := event.ParseSchemaVer(t.Version)
			if err != nil {
				return nil, fmt.Errorf("output types[%d]: %w", i, err)
			}
			if t.Entity > uint8(shred.DerivedContext) {
				return nil, fmt.Errorf("output types[%d]: entity kind %d", i, t.Entity)
			}
			if s.Types == nil {
				s.Types = make(map[shred.TypeKey]int64, len(sw.Types))
			}
			k := shred.TypeKey{Schema: event.SchemaKey{Vendor: t.Vendor, Name: t.Name, Format: t.Format, Version: v}, Entity: shred.EntityKind(t.Entity)}
			s.Types[k] += t.Count
		}
		o.Shred = s
	}
	return o, nil
}

// statusReply is GET /v1/status: the worker as it sees itself.
type statusReply struct {
	Name     string       `json:"name"`
	Instance string       `json:"instance"`
	Addr     string       `json:"addr"`
	Gossip   string       `json:"gossip"`
	Cores    int          `json:"cores"`
	Draining bool         `json:"draining"`
	Jobs     []string     `json:"jobs"`
	Running  int          `json:"running_tasks"`
	Members  []memberWire `json:"members"`
}

type memberWire struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	State   string `json:"state"`
	Shuffle string `json:"shuffle,omitempty"`
}
