package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/furrowdata/furrow/enrich"
	"github.com/furrowdata/furrow/pipeline"
)

func runEnrich(ctx context.Context, args []string) error {
	cfg := pipeline.Config{Job: pipeline.JobEnrich}
	var etl string
	fs := flag.NewFlagSet("enrich", flag.ContinueOnError)
	jobFlags(fs, &cfg, &etl)
	enrichFlags(fs, &cfg)
	if err := parseJobFlags(fs, args, &cfg, &etl); err != nil {
		return err
	}
	return report(pipeline.Run(ctx, cfg))
}

func runShred(ctx context.Context, args []string) error {
	cfg := pipeline.Config{Job: pipeline.JobShred}
	var etl string
	fs := flag.NewFlagSet("shred", flag.ContinueOnError)
	jobFlags(fs, &cfg, &etl)
	shredFlags(fs, &cfg)
	if err := parseJobFlags(fs, args, &cfg, &etl); err != nil {
		return err
	}
	return report(pipeline.Run(ctx, cfg))
}

func runRun(ctx context.Context, args []string) error {
	if isStagedRun(args) {
		return runStagedCommand(ctx, args)
	}
	cfg := pipeline.Config{Job: pipeline.JobRun}
	var etl string
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	jobFlags(fs, &cfg, &etl)
	enrichFlags(fs, &cfg)
	shredFlags(fs, &cfg)
	fs.BoolVar(&cfg.WriteEnriched, "write-enriched", false, "also archive the enriched TSV under <run folder>/enriched/")
	co := clusterFlags(fs)
	if err := parseJobFlags(fs, args, &cfg, &etl); err != nil {
		return err
	}
	if err := co.check(fs); err != nil {
		return err
	}
	if co.enabled {
		return report(runCluster(ctx, cfg, co))
	}
	return report(pipeline.Run(ctx, cfg))
}

// report prints the run summary to stdout; the job's error, if any, is returned.
func report(rep *pipeline.Report, err error) error {
	if rep != nil {
		fmt.Fprint(os.Stdout, rep.Summary())
	}
	return err
}

func runVersion(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	etl := fs.Bool("etl", false, "print only the v_etl value furrow writes into enriched events")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *etl {
		fmt.Println("furrow-" + enrich.Version)
		return nil
	}
	fmt.Printf("furrow %s (etl version %s)\n", enrich.Version, "furrow-"+enrich.Version)
	return nil
}
