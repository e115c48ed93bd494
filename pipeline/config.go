package pipeline

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
)

// Job kinds.
const (
	JobEnrich = "enrich"
	JobShred  = "shred"
	JobRun    = "run"
)

// Config is one job. Keys are named after the command-line flags.
type Config struct {
	Job string // enrich | shred | run

	Input       string // --input-folder: a location (s3://, hdfs://, file://, path)
	InputFormat string // --input-format: a collector format (enrich, run)
	Output      string // --output-folder
	Bad         string // --bad-folder ("" for run: <run folder>/bad)

	// Enrichments is --enrichments: a base64-encoded enrichments JSON (as
	// Spark Enrich took it), or the location of a bundle file or of a folder
	// of single enrichment JSON files. "" = no enrichments.
	Enrichments string
	// AssetsDir is --assets-dir: a local folder searched first for every
	// enrichment asset (MaxMind databases, IAB lists, …) by its database file
	// name, as Spark Enrich's local mode did; a hit is used in place and
	// nothing is downloaded. "" = fetch every asset from its uri.
	AssetsDir string
	// IgluConfig is --iglu-config: a base64-encoded resolver config or its
	// location. "" = only the embedded registry.
	IgluConfig string
	// DuplicateStorageConfig is --duplicate-storage-config (shred, run):
	// RDB Shredder's DynamoDB JSON, base64 or a location. "" = no
	// cross-batch deduplication.
	DuplicateStorageConfig string
	// OutputFormat is --format (shred, run): parquet, widerow or legacy.
	OutputFormat string

	// ETLTimestamp is --etl-timestamp; zero = the job's start time.
	ETLTimestamp time.Time
	// WriteEnriched also archives the enriched TSV (run): <run>/enriched/.
	WriteEnriched bool

	// Partitions is --partitions: reduce partitions; 0 = one per 256 MiB of
	// input (at least 1). It fixes the output file layout, so it depends only
	// on the input, never on the machine.
	Partitions int
	// Parallelism is --parallelism: tasks and enrich workers at once; 0 = GOMAXPROCS.
	Parallelism int
	// MemoryBudget is --memory-budget: bytes the shuffle and dedupe keep in
	// memory before spilling (default 512 MiB). In jobs with a shred stage
	// (shred, run) the in-process shuffle gets a quarter of it, the reduce
	// tasks' dedupe buffers a quarter together, and the rest is for the
	// Parquet writers (Arrow batches, buffered row groups: ~80 MiB per
	// running reduce task) and the runtime; the process's soft memory limit
	// is set from it (see memoryLimit).
	MemoryBudget int64
	// SpillDir is --spill-dir (default: the OS temp folder).
	SpillDir string
	// SplitSize is --split-size: bytes per split of splittable input (default 128 MiB).
	SplitSize int64
	// RowGroupBytes is --row-group-size (shred, run; Parquet formats): a
	// Parquet row group is cut once it holds about this many uncompressed
	// bytes (default shred.DefaultRowGroupBytes, 128 MiB; at least 1 MiB,
	// at most 1 GiB). It is a job setting, never derived from a node's
	// memory budget or parallelism, so that every node and every run of the
	// same input writes the same bytes.
	RowGroupBytes int64

	// Storage configures s3:// and hdfs:// locations (encryption, endpoint,
	// addressing, part size, HDFS user).
	Storage location.Options

	// WrapStore, when set, wraps every store the job opens ("input",
	// "output", "bad"): failure injection in tests, instrumentation.
	WrapStore func(role string, s storage.Store) storage.Store

	Logger *slog.Logger
	// ProgressOut receives the live progress line when it is a terminal.
	ProgressOut io.Writer
}

// Validate reports every problem, naming the flag.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Job {
	case JobEnrich, JobShred, JobRun:
	default:
		bad("job: unknown job %q", c.Job)
	}
	if c.Input == "" {
		bad("--input-folder is required")
	}
	if c.Output == "" {
		bad("--output-folder is required")
	}
	if c.Job != JobShred && c.InputFormat == "" {
		bad("--input-format is required (cloudfront, clj-tomcat, thrift, ndjson/com.urbanairship.connect/v1, tsv/com.amazon.aws.cloudfront/wd_access_log)")
	}
	if c.Job != JobRun && c.Bad == "" {
		bad("--bad-folder is required")
	}
	if c.Job != JobEnrich {
		switch c.OutputFormat {
		case "", "parquet", "widerow", "legacy":
		default:
			bad("--format: %q is not parquet, widerow or legacy", c.OutputFormat)
		}
	}
	if c.Partitions < 0 || c.Partitions > 65536 {
		bad("--partitions: %d is not between 0 (auto) and 65536", c.Partitions)
	}
	if c.Parallelism < 0 {
		bad("--parallelism: %d is negative", c.Parallelism)
	}
	if c.MemoryBudget < 0 {
		bad("--memory-budget: %d is negative", c.MemoryBudget)
	}
	if c.SplitSize < 0 {
		bad("--split-size: %d is negative", c.SplitSize)
	}
	if c.RowGroupBytes != 0 && (c.RowGroupBytes < minRowGroupBytes || c.RowGroupBytes > maxRowGroupBytes) {
		bad("--row-group-size: %d bytes is not between 1MiB and 1GiB (0 = the default, 128MiB)", c.RowGroupBytes)
	}
	if err := c.Storage.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Bounds of Config.RowGroupBytes.
const (
	minRowGroupBytes = 1 << 20
	maxRowGroupBytes = 1 << 30
)

func (c *Config) withDefaults() Config {
	out := *c
	if out.Parallelism == 0 {
		out.Parallelism = runtime.GOMAXPROCS(0)
	}
	if out.MemoryBudget == 0 {
		out.MemoryBudget = 512 << 20
	}
	if out.SplitSize == 0 {
		out.SplitSize = 128 << 20
	}
	if out.RowGroupBytes == 0 {
		out.RowGroupBytes = shred.DefaultRowGroupBytes
	}
	if out.OutputFormat == "" {
		out.OutputFormat = "parquet"
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.Storage.Logger == nil {
		out.Storage.Logger = out.Logger
	}
	return out
}

// shuffleBudget is the in-process shuffle's share of the memory budget:
// all of it for enrich (its reduce tasks only copy lines), a quarter when a
// shred stage's dedupe buffers and Parquet writers need the rest (beyond
// it, blocks spill to disk and are read back once, in sequence: holding
// more of them in memory saves little).
func (c *Config) shuffleBudget() int64 {
	if c.Job == JobEnrich {
		return c.MemoryBudget
	}
	return ShredShuffleBudget(c.MemoryBudget)
}

// ShredShuffleBudget is the share of a memory budget that a shuffle may
// hold in memory when a shred stage runs beside it: a quarter, the rest
// being the dedupe buffers and the Parquet writers. A cluster worker's
// shuffle server, which serves every kind of job, takes this share.
func ShredShuffleBudget(memoryBudget int64) int64 {
	return memoryBudget / 4
}

// dedupeBudget is one reduce task's dedupe buffer: a quarter of the budget
// shared by the Parallelism tasks that run at once (at least 16 MiB).
func (c *Config) dedupeBudget() int64 {
	return max(c.MemoryBudget/int64(4*c.Parallelism), 16<<20)
}

// memoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) of a
// process running a job with a shred stage: 1.4 × the budget (the shuffle
// and dedupe shares, the writers, and room for garbage so that the
// collector does not run back to back), at least 384 MiB. Without it the
// collector lets the heap grow to twice the live data (GOGC=100).
func (c *Config) memoryLimit() int64 {
	return max(c.MemoryBudget*7/5, 384<<20)
}

// ParseSize parses a byte size: a number with an optional unit
// (B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T…; all binary multiples).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q is not a number of bytes (e.g. 512MB, 2GiB)", s)
	}
	return int64(n * float64(mult)), nil
}

// ParseETLTimestamp parses --etl-timestamp: epoch milliseconds (as Spark
// Enrich took it) or "yyyy-MM-dd HH:mm:ss[.SSS]" / RFC 3339.
func ParseETLTimestamp(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.000", "2006-01-02 15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--etl-timestamp: %q is neither epoch milliseconds nor yyyy-MM-dd HH:mm:ss.SSS", s)
}
