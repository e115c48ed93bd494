package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/furrowdata/furrow/bootstrap"
	"github.com/furrowdata/furrow/emr"
	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/storage/location"
)

// emrCommands are the subcommands of `furrow emr`.
var emrCommands = []command{
	{"steps", "print the custom-jar step JSON (aws emr add-steps / create-cluster --steps)", runEMRSteps},
	{"bootstrap-actions", "print the bootstrap-action JSON (aws emr create-cluster --bootstrap-actions)", runEMRBootstrapActions},
	{"security-configuration", "print the security configuration JSON (aws emr create-security-configuration)", runEMRSecurityConfiguration},
	{"install-script", "print install-furrow.sh, the bootstrap action script, to upload to S3", runEMRInstallScript},
	{"worker-config", "print a node's /etc/furrow/worker.yml (used by install-furrow.sh)", runEMRWorkerConfig},
	{"systemd-unit", "print furrow-worker.service sized to a node (used by install-furrow.sh)", runEMRSystemdUnit},
}

func emrUsage() {
	fmt.Fprintf(os.Stderr, "Usage: furrow emr <subcommand> [flags]\n\nSubcommands:\n")
	for _, c := range emrCommands {
		fmt.Fprintf(os.Stderr, "  %-22s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "\nA whole cluster launch: bootstrap/README.md.\n")
}

// runEMR is `furrow emr`.
func runEMR(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		emrUsage()
		if len(args) == 0 {
			return usageError{errors.New("a subcommand is required")}
		}
		return nil
	}
	for _, c := range emrCommands {
		if c.name == args[0] {
			return c.run(ctx, args[1:])
		}
	}
	emrUsage()
	return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
}

// parseFlags parses a subcommand's flags, refusing positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	return nil
}

// loadConfig loads and validates furrow.yml.
func loadConfig(ctx context.Context, path string) (*emr.Config, error) {
	if path == "" {
		return nil, usageError{errors.New("--config is required")}
	}
	cfg, err := emr.Load(ctx, path, location.Options{})
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config %s:\n%w", path, err)
	}
	return cfg, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runEMRSteps(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("emr steps", flag.ContinueOnError)
	config := fs.String("config", "", "furrow.yml (a path or s3:// location)")
	format := fs.String("format", bootstrap.ShapeCLI, "JSON shape: cli (aws emr add-steps / create-cluster --steps file://…) or api (the EMR API's StepConfig list: SDKs, Step Functions, Airflow)")
	var o bootstrap.StepOptions
	fs.StringVar(&o.ConfigLocation, "config-location", "", "where the master reads furrow.yml (default: furrow.config_location)")
	skip := fs.String("skip", "", "steps the run skips, comma-separated (EmrEtlRunner's --skip)")
	fs.StringVar(&o.ResumeFrom, "resume-from", "", "step the run resumes from (EmrEtlRunner's --resume-from)")
	fs.BoolVar(&o.IgnoreLockOnStart, "ignore-lock-on-start", false, "resume a failed run that holds the lock")
	fs.StringVar(&o.ActionOnFailure, "action-on-failure", "", "TERMINATE_CLUSTER, CANCEL_AND_WAIT or CONTINUE (default: furrow.steps.action_on_failure)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.Skip = splitList(*skip)
	cfg, err := loadConfig(ctx, *config)
	if err != nil {
		return err
	}
	steps, err := bootstrap.Steps(cfg, o)
	if err != nil {
		return err
	}
	b, err := bootstrap.StepsJSON(steps, *format)
	if err != nil {
		return usageError{err}
	}
	_, err = os.Stdout.Write(b)
	return err
}

func runEMRBootstrapActions(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("emr bootstrap-actions", flag.ContinueOnError)
	config := fs.String("config", "", "furrow.yml (a path or s3:// location)")
	format := fs.String("format", bootstrap.ShapeCLI, "JSON shape: cli (create-cluster --bootstrap-actions file://…) or api (BootstrapActionConfig list)")
	var o bootstrap.BootstrapActionOptions
	fs.BoolVar(&o.NoWorker, "no-worker", false, "install furrow without starting the worker service")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(ctx, *config)
	if err != nil {
		return err
	}
	actions, err := bootstrap.BootstrapActions(cfg, o)
	if err != nil {
		return err
	}
	b, err := bootstrap.BootstrapActionsJSON(actions, *format)
	if err != nil {
		return usageError{err}
	}
	_, err = os.Stdout.Write(b)
	return err
}

func runEMRSecurityConfiguration(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("emr security-configuration", flag.ContinueOnError)
	config := fs.String("config", "", "furrow.yml (a path or s3:// location)")
	var o bootstrap.SecurityOptions
	fs.StringVar(&o.LocalDiskKMSKey, "local-disk-kms-key", "", "KMS key ARN for local-disk (and EBS) encryption")
	fs.BoolVar(&o.NoLocalDisk, "no-local-disk", false, "leave local-disk encryption out")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(ctx, *config)
	if err != nil {
		return err
	}
	b, err := bootstrap.SecurityConfiguration(cfg, o)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}

func runEMRInstallScript(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("emr install-script", flag.ContinueOnError)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := os.Stdout.Write(bootstrap.Script)
	return err
}

func runEMRWorkerConfig(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("emr worker-config", flag.ContinueOnError)
	var p bootstrap.WorkerParams
	fs.StringVar(&p.Seed, "seed", "", "the master's private DNS name (install-furrow.sh reads it from /mnt/var/lib/info/job-flow.json)")
	fs.IntVar(&p.ShufflePort, "shuffle-port", emr.DefaultShufflePort, "shuffle (mutual TLS) port")
	fs.IntVar(&p.GossipPort, "gossip-port", emr.DefaultGossipPort, "gossip (membership) port")
	fs.IntVar(&p.MetricsPort, "metrics-port", emr.DefaultMetricsPort, "Prometheus /metrics port")
	fs.StringVar(&p.TLSBundle, "tls-bundle", emr.DefaultTLSBundle, "the EMR PEM bundle on the node")
	fs.StringVar(&p.SpillDir, "spill-dir", emr.DefaultSpillDir, "the worker's spill folder")
	fs.StringVar(&p.Role, "role", "", "the node's role (a comment)")
	fs.StringVar(&p.JobFlowID, "job-flow-id", "", "the cluster id (a comment)")
	var total, budget int64
	fs.Var(sizeFlag{&total}, "memory-total", "the node's memory (e.g. 16318480KiB, MemTotal of /proc/meminfo)")
	fs.Var(sizeFlag{&budget}, "memory-budget", "the worker's memory budget (default: half of --memory-total)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := bootstrap.SizeFor(total, budget)
	if err != nil {
		return usageError{err}
	}
	p.MemoryBudget = s.MemoryBudget
	b, err := bootstrap.RenderWorkerConfig(p)
	if err != nil {
		return usageError{err}
	}
	_, err = os.Stdout.Write(b)
	return err
}

func runEMRSystemdUnit(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("emr systemd-unit", flag.ContinueOnError)
	var p bootstrap.UnitParams
	fs.StringVar(&p.User, "user", emr.DefaultUser, "the user the worker runs as")
	fs.StringVar(&p.Binary, "binary", emr.DefaultBinary, "the furrow binary")
	workerConfig := fs.String("worker-config", emr.DefaultWorkerConfig, "the node's worker.yml (from `furrow emr worker-config`): the unit runs the worker with its flags")
	fs.StringVar(&p.LogLevel, "log-level", "INFO", "FURROW_LOG_LEVEL of the worker")
	var total int64
	fs.Var(sizeFlag{&total}, "memory-total", "the node's memory (e.g. 16318480KiB)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, err := os.ReadFile(*workerConfig)
	if err != nil {
		return err
	}
	if p.Worker, err = bootstrap.ParseWorkerConfig(b); err != nil {
		return fmt.Errorf("%s: %w", *workerConfig, err)
	}
	var budget int64
	if p.Worker.MemoryBudget != "" {
		if budget, err = pipeline.ParseSize(p.Worker.MemoryBudget); err != nil {
			return err
		}
	}
	if p.Sizing, err = bootstrap.SizeFor(total, budget); err != nil {
		return usageError{err}
	}
	if b, err = bootstrap.RenderUnit(p); err != nil {
		return usageError{err}
	}
	_, err = os.Stdout.Write(b)
	return err
}

// stagedOptions are the flags of an EmrEtlRunner-style run, `furrow run --config`.
type stagedOptions struct {
	config, skip, resumeFrom, lock string
	ignoreLock                     bool
	cluster                        *clusterOpts
}

// isStagedRun reports whether `furrow run` args ask for a staged run (--config).
func isStagedRun(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "config" {
			return true
		}
	}
	return false
}

// stagedFlagSet is `furrow run --config`'s flags: the staged-run flags and
// every `furrow run` flag (bound to base). When `furrow run` gains flags
// (e.g. the cluster's), bind them here too.
func stagedFlagSet(base *pipeline.Config, o *stagedOptions, etl *string) *flag.FlagSet {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	jobFlags(fs, base, etl)
	enrichFlags(fs, base)
	shredFlags(fs, base)
	fs.BoolVar(&base.WriteEnriched, "write-enriched", false, "also archive the enriched TSV under <run folder>/enriched/")
	fs.StringVar(&o.config, "config", "", "furrow.yml: run the pipeline as EmrEtlRunner did (staging, enrich, shred, archive) with its buckets")
	fs.StringVar(&o.skip, "skip", "", "steps to skip, comma-separated: staging, enrich, shred, archive_raw, archive_enriched, archive_shredded (EmrEtlRunner's others are accepted)")
	fs.StringVar(&o.resumeFrom, "resume-from", "", "resume from a step: enrich, shred, archive_raw, archive_enriched, archive_shredded")
	fs.BoolVar(&o.ignoreLock, "ignore-lock-on-start", false, "take over the run lock and resume the run it records")
	fs.StringVar(&o.lock, "lock", "", "the run lock's location (default: furrow.lock, else <raw.processing>.lock)")
	o.cluster = clusterFlags(fs) // the --cluster flags `furrow emr steps` generates
	return fs
}

// configOwned are the `furrow run` flags that furrow.yml decides in a staged run.
var configOwned = []string{"input-folder", "output-folder", "bad-folder", "input-format", "enrichments", "iglu-config",
	"duplicate-storage-config", "format", "sse", "sse-kms-key-id", "etl-timestamp", "write-enriched"}

// runStagedCommand is `furrow run --config furrow.yml [--skip …|--resume-from …]
// [--ignore-lock-on-start] [--lock …]` plus the tuning flags of `furrow run`
// (--partitions, --parallelism, --memory-budget, --spill-dir, --split-size),
// which override furrow.yml's furrow: keys. Flags furrow.yml decides
// (locations, formats, configs, encryption) are refused.
func runStagedCommand(ctx context.Context, args []string) error {
	var base pipeline.Config
	var o stagedOptions
	var etl string
	fs := stagedFlagSet(&base, &o, &etl)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var conflicts []string
	fs.Visit(func(f *flag.Flag) {
		for _, owned := range configOwned {
			if f.Name == owned {
				conflicts = append(conflicts, "--"+owned)
			}
		}
	})
	if len(conflicts) > 0 {
		return usageError{fmt.Errorf("%s cannot be combined with --config: furrow.yml decides them (aws.s3.buckets, collectors.format, enrich, shred, aws.s3.sse)", strings.Join(conflicts, ", "))}
	}
	if err := o.cluster.check(fs); err != nil {
		return err
	}
	var run func(context.Context, pipeline.Config) (*pipeline.Report, error)
	if o.cluster.enabled {
		run = func(ctx context.Context, c pipeline.Config) (*pipeline.Report, error) {
			return runCluster(ctx, c, o.cluster)
		}
	}
	cfg, err := loadConfig(ctx, o.config)
	if err != nil {
		return err
	}
	base.ProgressOut = os.Stderr
	rep, err := emr.RunStaged(ctx, cfg, emr.RunOptions{
		Skip: splitList(o.skip), ResumeFrom: o.resumeFrom, IgnoreLockOnStart: o.ignoreLock, Lock: o.lock,
		Base: base, Run: run,
	})
	if rep != nil {
		fmt.Fprint(os.Stdout, rep.Summary())
	}
	return err
}
