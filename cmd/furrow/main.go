// Command furrow is the furrow CLI: a native replacement for the Spark jobs
// of a Snowplow batch pipeline (Spark Enrich R108 and RDB Shredder 0.13).
//
//	furrow run       raw collector logs → enrich → dedupe → shred, one pass
//	furrow enrich    raw collector logs → enriched TSV + bad rows (Spark Enrich's flags)
//	furrow shred     enriched TSV → shredded output (RDB Shredder's flags)
//	furrow worker    the long-running cluster worker daemon
//	furrow emr       print EMR step / bootstrap-action JSON
//	furrow validate  check a configuration
//	furrow version   print the version
//
// The command only parses flags and configuration and calls package
// pipeline; see `furrow <command> -h`.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

var commands = []command{
	{"run", "raw collector logs → enrich → dedupe → shred in one pass (the main job)", runRun},
	{"enrich", "raw collector logs → enriched TSV and bad rows (Spark Enrich's flags)", runEnrich},
	{"shred", "enriched TSV → shredded output (RDB Shredder's flags)", runShred},
	{"worker", "run the cluster worker daemon", runWorker},
	{"emr", "print EMR step and bootstrap-action JSON", runEMR},
	{"validate", "check a furrow.yml configuration", runValidate},
	{"cp", "copy objects between locations (s3://, hdfs://, file://, paths)", runCp},
	{"version", "print the version (--etl: the v_etl value furrow writes)", runVersion},
}

func usage() {
	fmt.Fprintf(os.Stderr, "furrow — a native Snowplow batch pipeline (enrich, dedupe, shred)\n\nUsage: furrow <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'furrow <command> -h' for a command's flags.\n")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands {
		if c.name == os.Args[1] {
			if err := c.run(ctx, os.Args[2:]); err != nil {
				var u usageError
				if errors.As(err, &u) {
					fmt.Fprintf(os.Stderr, "furrow %s: %v\n", c.name, err)
					os.Exit(2)
				}
				fmt.Fprintf(os.Stderr, "furrow %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "furrow: unknown command %q\n\n", os.Args[1])
	usage()
	os.Exit(2)
}

// usageError is a command-line mistake (exit status 2).
type usageError struct{ error }

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("FURROW_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
