package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/furrowdata/furrow/pipeline/cluster"
	"github.com/furrowdata/furrow/transport"
)

// These delay every map or reduce task of a worker: TEST ONLY (the
// cluster's failure tests use them to kill a worker in mid-shuffle or
// mid-reduce).
const (
	testMapDelayEnv    = "FURROW_TESTONLY_MAP_TASK_DELAY"
	testReduceDelayEnv = "FURROW_TESTONLY_REDUCE_TASK_DELAY"
)

// runWorker is `furrow worker`: the long-running cluster daemon. It runs
// until SIGTERM/SIGINT, then drains (running tasks finish within
// --drain-timeout) and leaves the cluster.
func runWorker(ctx context.Context, args []string) error {
	var cfg cluster.WorkerConfig
	var join, peerNames, profile string
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&cfg.Listen, "listen", "0.0.0.0:7447", "worker port host:port: mutual TLS only, shuffle data and the control API")
	fs.StringVar(&cfg.Advertise, "advertise", "", "host (or host:port) other nodes dial for the worker port (default: the --listen host, or the first private IP)")
	fs.StringVar(&cfg.Gossip, "gossip", "0.0.0.0:7946", "membership (gossip over mutual TLS) host:port")
	fs.StringVar(&join, "join", "", "seed gossip addresses host:port[,…] (on EMR: the master's private DNS name); empty starts a cluster")
	fs.StringVar(&cfg.Bundle, "tls-bundle", "", "EMR PEM bundle: a zip or folder with privateKey.pem, certificateChain.pem [, trustedCertificates.pem] (required)")
	fs.StringVar(&peerNames, "tls-peer-names", "", "host names or wildcards peers must be certified for, comma-separated (default: the names of the bundle's certificate, the EMR rule)")
	fs.StringVar(&cfg.Metrics, "metrics", "", "host:port serving /metrics (Prometheus) over plain HTTP; also served on the worker port over mutual TLS")
	fs.StringVar(&cfg.SpillDir, "spill-dir", "", "local folder for shuffle and dedupe spill files (default: the OS temp folder)")
	fs.Var(sizeFlag{&cfg.MemoryBudget}, "memory-budget", "memory the shuffle and each job keep before spilling (default 512MB)")
	fs.IntVar(&cfg.Parallelism, "parallelism", 0, "tasks run at once, gossiped as the worker's cores; 0 = number of CPUs")
	fs.StringVar(&cfg.NodeName, "node-name", "", "member name (default: <host name>/<advertised worker port host:port>)")
	fs.DurationVar(&cfg.JoinTimeout, "join-timeout", 2*time.Minute, "how long to try joining the seeds at start")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", 2*time.Minute, "on SIGTERM, how long running tasks may take before they are cancelled")
	fs.StringVar(&profile, "gossip-profile", "lan", "membership timings: lan (EMR: 1s probes) or local (one host, tests: failures detected in about a second)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	cfg.Join = splitAddrs(join)
	cfg.TLS.PeerNames = splitAddrs(peerNames)
	m, err := gossipProfile(profile)
	if err != nil {
		return usageError{err}
	}
	cfg.Membership = m
	for _, knob := range []struct {
		env string
		d   *time.Duration
	}{{testMapDelayEnv, &cfg.MapTaskDelay}, {testReduceDelayEnv, &cfg.ReduceTaskDelay}} {
		if v := os.Getenv(knob.env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return usageError{fmt.Errorf("%s: %v", knob.env, err)}
			}
			*knob.d = d
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	return cluster.RunWorker(ctx, cfg, func(w *cluster.Worker) {
		// One line on stdout for scripts and tests.
		fmt.Printf("furrow worker ready: name=%s listen=%s gossip=%s metrics=%s\n", w.Name(), w.Addr(), w.GossipAddr(), w.MetricsAddr())
	})
}

func splitAddrs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func gossipProfile(name string) (*transport.Config, error) {
	switch name {
	case "lan", "":
		c := transport.DefaultConfig()
		return &c, nil
	case "local":
		c := transport.LocalConfig()
		return &c, nil
	}
	return nil, fmt.Errorf("--gossip-profile: %q is not lan or local", name)
}
