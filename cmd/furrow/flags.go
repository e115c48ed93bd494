package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/storage/s3"
)

// sizeFlag is a flag.Value for byte sizes such as 512MB.
type sizeFlag struct{ p *int64 }

func (s sizeFlag) String() string {
	if s.p == nil || *s.p == 0 {
		return ""
	}
	return fmt.Sprint(*s.p)
}
func (s sizeFlag) Set(v string) error {
	n, err := pipeline.ParseSize(v)
	if err != nil {
		return err
	}
	*s.p = n
	return nil
}

// jobFlags binds the flags shared by enrich, shred and run to cfg.
func jobFlags(fs *flag.FlagSet, cfg *pipeline.Config, etl *string) {
	fs.StringVar(&cfg.Input, "input-folder", "", "input location: s3://bucket/prefix, hdfs://…, file:// or a path")
	fs.StringVar(&cfg.Output, "output-folder", "", "output location")
	fs.StringVar(&cfg.Bad, "bad-folder", "", "location for bad rows (one JSON object per line)")
	fs.StringVar(&cfg.IgluConfig, "iglu-config", "", "Iglu resolver config: base64-encoded JSON (as Spark took it) or its location; empty = embedded registry only")
	fs.StringVar(etl, "etl-timestamp", "", "the run's etl_tstamp: epoch milliseconds or yyyy-MM-dd HH:mm:ss.SSS (default: now)")
	fs.IntVar(&cfg.Partitions, "partitions", 0, "reduce partitions (output files per dataset); 0 = one per 256 MiB of input")
	fs.IntVar(&cfg.Parallelism, "parallelism", 0, "tasks and enrich workers run at once; 0 = number of CPUs")
	fs.Var(sizeFlag{&cfg.MemoryBudget}, "memory-budget", "memory the shuffle and dedupe may hold before spilling to --spill-dir (default 512MB)")
	fs.StringVar(&cfg.SpillDir, "spill-dir", "", "local folder for spill files (default: the OS temp folder)")
	fs.Var(sizeFlag{&cfg.SplitSize}, "split-size", "bytes per split of uncompressed line input (default 128MB)")
	fs.Var(sseFlag{&cfg.Storage.S3.SSE}, "sse", "S3 server-side encryption of every write: AES256 (SSE-S3) or aws:kms (SSE-KMS); default none")
	fs.StringVar(&cfg.Storage.S3.SSEKMSKeyID, "sse-kms-key-id", "", "KMS key id or ARN for --sse aws:kms (default: the account's aws/s3 key)")
}

// sseFlag is a flag.Value for --sse.
type sseFlag struct{ p *s3.SSE }

func (f sseFlag) String() string {
	if f.p == nil {
		return ""
	}
	return string(*f.p)
}
func (f sseFlag) Set(v string) error {
	switch s3.SSE(v) {
	case s3.SSEAES256, s3.SSEKMS:
		*f.p = s3.SSE(v)
	case "none", "":
		*f.p = s3.SSENone
	default:
		return fmt.Errorf("%q is not AES256, aws:kms or none", v)
	}
	return nil
}

func enrichFlags(fs *flag.FlagSet, cfg *pipeline.Config) {
	fs.StringVar(&cfg.InputFormat, "input-format", "", "collector format: cloudfront, clj-tomcat, thrift, ndjson/com.urbanairship.connect/v1, tsv/com.amazon.aws.cloudfront/wd_access_log")
	fs.StringVar(&cfg.Enrichments, "enrichments", "", "enrichments: base64-encoded enrichments JSON (as Spark took it), or the location of a bundle file or a folder of enrichment JSONs")
	fs.StringVar(&cfg.AssetsDir, "assets-dir", "", "local folder searched first for enrichment assets (MaxMind databases, IAB lists) by file name; nothing is downloaded for a hit")
	fs.Bool("local", false, "accepted for Spark Enrich compatibility (use --assets-dir for local asset files)")
}

func shredFlags(fs *flag.FlagSet, cfg *pipeline.Config) {
	fs.StringVar(&cfg.DuplicateStorageConfig, "duplicate-storage-config", "", "RDB Shredder's DynamoDB duplicate-storage JSON (base64 or location) for cross-batch deduplication")
	fs.StringVar(&cfg.OutputFormat, "format", "parquet", "shredded output: parquet, widerow or legacy (RDB Shredder 0.13 TSV/JSON layout)")
	fs.Var(sizeFlag{&cfg.RowGroupBytes}, "row-group-size", "uncompressed bytes per Parquet row group, 1MB to 1GB; the same on every node whatever its --memory-budget (default 128MB)")
}

// parseJobFlags parses args and finishes cfg (etl timestamp, output).
func parseJobFlags(fs *flag.FlagSet, args []string, cfg *pipeline.Config, etl *string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	if *etl != "" {
		t, err := pipeline.ParseETLTimestamp(*etl)
		if err != nil {
			return usageError{err}
		}
		cfg.ETLTimestamp = t
	}
	cfg.ProgressOut = os.Stderr
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}
