package bootstrap

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/furrowdata/furrow/pipeline"
)

// Script is install-furrow.sh, the bootstrap action.
//
//go:embed install-furrow.sh
var Script []byte

//go:embed furrow-worker.service.tmpl
var unitTemplate string

// WorkerConfig is /etc/furrow/worker.yml: its keys mirror `furrow worker`'s
// flags (--listen, --gossip, --join, --tls-bundle, --metrics, --spill-dir,
// --memory-budget). The unit starts the worker with exactly these flags
// (Args), so the file is what the node runs with.
type WorkerConfig struct {
	Listen       string   `yaml:"listen"`
	Gossip       string   `yaml:"gossip"`
	Join         []string `yaml:"join"`
	TLSBundle    string   `yaml:"tls_bundle"`
	Metrics      string   `yaml:"metrics"`
	SpillDir     string   `yaml:"spill_dir"`
	MemoryBudget string   `yaml:"memory_budget"`
}

// ParseWorkerConfig decodes worker.yml, rejecting unknown keys, and
// validates it.
func ParseWorkerConfig(b []byte) (WorkerConfig, error) {
	var w WorkerConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		return WorkerConfig{}, fmt.Errorf("worker config: %w", err)
	}
	return w, w.Validate()
}

// Args are the `furrow worker` flags the config stands for.
func (w WorkerConfig) Args() []string {
	args := []string{"--listen", w.Listen, "--gossip", w.Gossip, "--join", strings.Join(w.Join, ","), "--tls-bundle", w.TLSBundle}
	if w.Metrics != "" {
		args = append(args, "--metrics", w.Metrics)
	}
	args = append(args, "--spill-dir", w.SpillDir)
	if w.MemoryBudget != "" {
		args = append(args, "--memory-budget", w.MemoryBudget)
	}
	return args
}

// Validate reports every bad key.
func (w WorkerConfig) Validate() error {
	var errs []error
	for _, a := range []struct{ key, v string }{{"listen", w.Listen}, {"gossip", w.Gossip}, {"metrics", w.Metrics}} {
		if a.v == "" && a.key == "metrics" {
			continue
		}
		if _, port, err := net.SplitHostPort(a.v); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not HOST:PORT", a.key, a.v))
		}
	}
	if len(w.Join) == 0 {
		errs = append(errs, errors.New("join: at least one HOST:PORT (the master's gossip address)"))
	}
	for i, j := range w.Join {
		if _, _, err := net.SplitHostPort(j); err != nil {
			errs = append(errs, fmt.Errorf("join[%d]: %q is not HOST:PORT", i, j))
		}
	}
	if w.TLSBundle == "" {
		errs = append(errs, errors.New("tls_bundle: required"))
	}
	if w.SpillDir == "" {
		errs = append(errs, errors.New("spill_dir: required"))
	}
	if w.MemoryBudget != "" {
		if _, err := pipeline.ParseSize(w.MemoryBudget); err != nil {
			errs = append(errs, fmt.Errorf("memory_budget: %v", err))
		}
	}
	return errors.Join(errs...)
}

// Sizing is how a worker is sized to its node.
type Sizing struct {
	// MemoryBudget is what the shuffle and dedupe hold before spilling:
	// half the node's memory (the rest is for decoding, enrichment
	// databases, HDFS and YARN daemons and the page cache).
	MemoryBudget int64
	// MemoryHigh throttles the service (systemd MemoryHigh), at 75%;
	// MemoryMax kills it (MemoryMax, then Restart=on-failure), at 85%.
	MemoryHigh, MemoryMax int64
}

// SizeFor sizes a worker to a node with memTotal bytes of memory; budget,
// when positive, overrides the memory budget.
func SizeFor(memTotal, budget int64) (Sizing, error) {
	if memTotal < 512<<20 {
		return Sizing{}, fmt.Errorf("memory total %d bytes: a node needs at least 512MiB", memTotal)
	}
	s := Sizing{MemoryBudget: memTotal / 2, MemoryHigh: memTotal / 4 * 3, MemoryMax: memTotal / 20 * 17}
	if budget > 0 {
		if budget >= s.MemoryHigh {
			return Sizing{}, fmt.Errorf("memory budget %s is not below the service's MemoryHigh %s (75%% of %s)",
				pipeline.HumanBytes(budget), pipeline.HumanBytes(s.MemoryHigh), pipeline.HumanBytes(memTotal))
		}
		s.MemoryBudget = budget
	}
	return s, nil
}

// WorkerParams are what a node's worker.yml is made of.
type WorkerParams struct {
	Seed                                 string // the master's private DNS name
	GossipPort, ShufflePort, MetricsPort int
	TLSBundle, SpillDir                  string
	MemoryBudget                         int64
	// Role and JobFlowID are written as comments.
	Role, JobFlowID string
}

// RenderWorkerConfig renders worker.yml.
func RenderWorkerConfig(p WorkerParams) ([]byte, error) {
	if p.Seed == "" {
		return nil, errors.New("seed: required (the master's private DNS name)")
	}
	w := WorkerConfig{
		Listen:       net.JoinHostPort("0.0.0.0", strconv.Itoa(p.ShufflePort)),
		Gossip:       net.JoinHostPort("0.0.0.0", strconv.Itoa(p.GossipPort)),
		Join:         []string{net.JoinHostPort(p.Seed, strconv.Itoa(p.GossipPort))},
		TLSBundle:    p.TLSBundle,
		Metrics:      net.JoinHostPort("0.0.0.0", strconv.Itoa(p.MetricsPort)),
		SpillDir:     p.SpillDir,
		MemoryBudget: sizeString(p.MemoryBudget),
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	body, err := yaml.Marshal(w)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# /etc/furrow/worker.yml, written by install-furrow.sh (the EMR bootstrap action).\n")
	b.WriteString("# Its keys mirror `furrow worker`'s flags; furrow-worker.service runs the worker with them.\n")
	fmt.Fprintf(&b, "# node role: %s; job flow: %s; seed: the master's private DNS name.\n", orDash(p.Role), orDash(p.JobFlowID))
	b.Write(body)
	return b.Bytes(), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sizeString renders bytes as MiB when exact, which ParseSize reads back.
func sizeString(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10)
}

// UnitParams are what furrow-worker.service is made of.
type UnitParams struct {
	User, Binary string
	// Worker is the node's worker.yml: the unit passes it as flags.
	Worker   WorkerConfig
	Sizing   Sizing
	LogLevel string
}

// unitData is what the template sees.
type unitData struct {
	UnitParams
	ExecStart string
}

// RenderUnit renders the systemd unit of the worker: restart on failure,
// logs to journald, file and task limits for a shuffle with many peers,
// memory limits from the node's size, and a read-only system apart from
// the spill folder.
func RenderUnit(p UnitParams) ([]byte, error) {
	var errs []error
	if err := p.Worker.Validate(); err != nil {
		errs = append(errs, err)
	}
	args := append([]string{p.Binary, "worker"}, p.Worker.Args()...)
	for _, f := range append([]string{p.User}, args...) {
		if f == "" || strings.ContainsAny(f, " \t\n\"'\\%$;") {
			errs = append(errs, fmt.Errorf("%q is empty or has characters a unit file would need quoted", f))
		}
	}
	if p.Sizing.MemoryMax <= 0 || p.Sizing.MemoryHigh <= 0 {
		errs = append(errs, errors.New("sizing: no memory limits"))
	}
	if p.LogLevel == "" {
		p.LogLevel = "INFO"
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	t, err := template.New("unit").Funcs(template.FuncMap{"mib": func(n int64) string { return strconv.FormatInt(n>>20, 10) + "M" }}).Parse(unitTemplate)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, unitData{UnitParams: p, ExecStart: strings.Join(args, " ")}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
