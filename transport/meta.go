package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// MetaMaxSize is memberlist's limit on node metadata.
const MetaMaxSize = 512

// metaVersion is the version of the NodeMeta encoding.
const metaVersion = 1

// Role is what a member does in the cluster.
type Role string

// Roles.
const (
	// RoleWorker runs map and reduce tasks and serves shuffle data.
	RoleWorker Role = "worker"
	// RoleCoordinator plans a job and schedules its tasks (furrow run
	// --cluster); it runs no tasks.
	RoleCoordinator Role = "coordinator"
)

// NodeMeta is what a member tells the others about itself, gossiped as
// compact JSON of at most MetaMaxSize bytes.
type NodeMeta struct {
	// Role of the member.
	Role Role `json:"role"`
	// ShuffleAddr is the host:port where the member's shuffle listener
	// accepts mutual-TLS connections. Required for workers.
	ShuffleAddr string `json:"shuffle,omitempty"`
	// Cores is the number of tasks the member runs at once.
	Cores int `json:"cores,omitempty"`
	// MemoryBudget is the member's memory budget in bytes (the shuffle and
	// dedupe spill to disk beyond it).
	MemoryBudget int64 `json:"mem,omitempty"`
	// Instance identifies one run of the member's process; the cluster sets
	// it at start. A member that restarted under the same name has a new
	// Instance: whatever the scheduler had placed on the old one is lost.
	Instance string `json:"inst,omitempty"`
	// Leaving is set by Cluster.Leave just before the leave broadcast: it
	// is how other members tell a graceful leave from a failure (memberlist
	// v0.7.0 passes NotifyLeave a node whose State is stale).
	Leaving bool `json:"leaving,omitempty"`
	// Version is the encoding version; Encode sets it.
	Version int `json:"v"`
}

// Validate reports every invalid field.
func (m NodeMeta) Validate() error {
	var errs []error
	switch m.Role {
	case RoleWorker:
		if m.ShuffleAddr == "" {
			errs = append(errs, errors.New("meta.shuffle_addr: required for a worker"))
		}
		if m.Cores < 1 {
			errs = append(errs, fmt.Errorf("meta.cores: %d: a worker needs at least 1", m.Cores))
		}
	case RoleCoordinator:
	default:
		errs = append(errs, fmt.Errorf("meta.role: %q: want %q or %q", m.Role, RoleWorker, RoleCoordinator))
	}
	if m.ShuffleAddr != "" {
		if _, port, err := net.SplitHostPort(m.ShuffleAddr); err != nil {
			errs = append(errs, fmt.Errorf("meta.shuffle_addr: %q: %w", m.ShuffleAddr, err))
		} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("meta.shuffle_addr: %q: port must be 1..65535", m.ShuffleAddr))
		}
	}
	if m.Cores < 0 {
		errs = append(errs, fmt.Errorf("meta.cores: %d: must not be negative", m.Cores))
	}
	if m.MemoryBudget < 0 {
		errs = append(errs, fmt.Errorf("meta.memory_budget: %d: must not be negative", m.MemoryBudget))
	}
	return errors.Join(errs...)
}

// Encode validates m and encodes it for gossip.
func (m NodeMeta) Encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	m.Version = metaVersion
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding node metadata: %w", err)
	}
	if len(b) > MetaMaxSize {
		return nil, fmt.Errorf("node metadata is %d bytes, over memberlist's limit of %d", len(b), MetaMaxSize)
	}
	return b, nil
}

// DecodeNodeMeta decodes and validates a member's metadata. Unknown JSON
// fields are ignored (a newer member may add some); a newer Version is
// decoded as far as this one understands it.
func DecodeNodeMeta(b []byte) (NodeMeta, error) {
	var m NodeMeta
	if len(b) == 0 {
		return m, errors.New("empty node metadata")
	}
	if len(b) > MetaMaxSize {
		return m, fmt.Errorf("node metadata is %d bytes, over the limit of %d", len(b), MetaMaxSize)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return NodeMeta{}, fmt.Errorf("decoding node metadata: %w", err)
	}
	if m.Version < 1 {
		return NodeMeta{}, fmt.Errorf("node metadata version %d: want at least 1", m.Version)
	}
	if err := m.Validate(); err != nil {
		return NodeMeta{}, fmt.Errorf("node metadata: %w", err)
	}
	return m, nil
}
