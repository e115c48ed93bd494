package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"time"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/pipeline/cluster"
)

// clusterOpts are the flags of `furrow run --cluster`.
type clusterOpts struct {
	enabled     bool
	join        string
	bundle      string
	peerNames   string
	gossip      string
	profile     string
	minWorkers  int
	workerWait  time.Duration
	maxAttempts int
	maxReplans  int
}

// clusterFlags binds the clustered-run flags of `furrow run`.
func clusterFlags(fs *flag.FlagSet) *clusterOpts {
	o := &clusterOpts{}
	fs.BoolVar(&o.enabled, "cluster", false, "run on the cluster: this process coordinates, `furrow worker` daemons run the tasks")
	fs.StringVar(&o.join, "join", "", "with --cluster: seed gossip addresses host:port[,…] (a worker's --gossip)")
	fs.StringVar(&o.bundle, "tls-bundle", "", "with --cluster: EMR PEM bundle, zip or folder (the workers' bundle)")
	fs.StringVar(&o.peerNames, "tls-peer-names", "", "with --cluster: names peers must be certified for, comma-separated (default: the bundle certificate's names)")
	fs.StringVar(&o.gossip, "gossip", "", "with --cluster: the coordinator's gossip host:port (default: the local address toward the first seed, any port)")
	fs.StringVar(&o.profile, "gossip-profile", "lan", "with --cluster: membership timings, lan or local (as the workers')")
	fs.IntVar(&o.minWorkers, "min-workers", 1, "with --cluster: workers that must have joined before the job starts")
	fs.DurationVar(&o.workerWait, "worker-wait", 2*time.Minute, "with --cluster: how long to wait for the cluster and --min-workers")
	fs.IntVar(&o.maxAttempts, "max-attempts", 3, "with --cluster: failures of one task (not caused by a lost worker) before the job fails")
	fs.IntVar(&o.maxReplans, "max-replans", 3, "with --cluster: re-plans after losing a worker that owned partitions before the job fails (0: none)")
	return o
}

// check rejects cluster flags given without --cluster.
func (o *clusterOpts) check(fs *flag.FlagSet) error {
	if o.enabled {
		return nil
	}
	var set []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "join", "tls-bundle", "tls-peer-names", "gossip", "gossip-profile", "min-workers", "worker-wait", "max-attempts", "max-replans":
			set = append(set, "--"+f.Name)
		}
	})
	if len(set) > 0 {
		return usageError{errors.New(set[0] + " needs --cluster")}
	}
	return nil
}

// runCluster is `furrow run --cluster`: this process joins the cluster as
// its coordinator and runs the job on the workers.
func runCluster(ctx context.Context, cfg pipeline.Config, o *clusterOpts) (*pipeline.Report, error) {
	m, err := gossipProfile(o.profile)
	if err != nil {
		return nil, usageError{err}
	}
	maxReplans := o.maxReplans
	if maxReplans <= 0 {
		maxReplans = -1 // the flag's 0 means none; the config's 0 means the default
	}
	cc := cluster.CoordinatorConfig{
		Job: cfg, Join: splitAddrs(o.join), Bundle: o.bundle, Gossip: o.gossip, Membership: m,
		MinWorkers: o.minWorkers, WorkerWait: o.workerWait, MaxAttempts: o.maxAttempts, MaxReplans: maxReplans,
		ProgressOut: os.Stderr,
	}
	cc.TLS.PeerNames = splitAddrs(o.peerNames)
	cc.Job.ProgressOut = nil
	if err := cc.Validate(); err != nil {
		return nil, usageError{err}
	}
	return cluster.RunCoordinator(ctx, cc)
}
