package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/hdfs"
	"github.com/furrowdata/furrow/storage/location"
	"github.com/furrowdata/furrow/storage/s3"
)

// specVersion is the version of the JobSpec encoding.
const specVersion = 1

// enrichmentsBundle is the schema of the enrichments document a folder of
// enrichment files is shipped as.
const enrichmentsBundle = "iglu:com.snowplowanalytics.snowplow/enrichments/jsonschema/1-0-0"

// JobSpec is the wire form of a pipeline.Config that the coordinator sends
// to every worker: everything a worker needs to Prepare the same job, and
// nothing that only makes sense in the coordinator's process (logger, store
// wrappers, progress output, credentials).
//
// The coordinator resolves what must be equal on every node before it
// builds the spec: the ETL timestamp (and with it the run= folder) and the
// number of partitions. Configuration arguments are shipped inline
// (base64-encoded JSON), so workers need no copy of the coordinator's local
// files: --iglu-config, --duplicate-storage-config and --enrichments (a
// folder of enrichment files becomes one enrichments bundle document).
// Input, output and bad locations are not copied: they must name shared
// storage (s3://, hdfs://, or a path every node sees at the same place);
// relative paths are made absolute on the coordinator.
type JobSpec struct {
	Version int    `json:"v"`
	ID      string `json:"id"`
	// Coordinator is the member name of the coordinator that owns the job;
	// a worker drops the job when that member leaves or fails.
	Coordinator string `json:"coordinator,omitempty"`

	Job         string `json:"job"`
	Input       string `json:"input"`
	InputFormat string `json:"input_format,omitempty"`
	Output      string `json:"output"`
	Bad         string `json:"bad,omitempty"`
	Enrichments string `json:"enrichments,omitempty"`
	// AssetsDir is --assets-dir: a local folder, not shipped (MaxMind
	// databases are large): it must exist at this path on every worker.
	AssetsDir              string `json:"assets_dir,omitempty"`
	IgluConfig             string `json:"iglu_config,omitempty"`
	DuplicateStorageConfig string `json:"duplicate_storage_config,omitempty"`
	OutputFormat           string `json:"format,omitempty"`
	// ETLTimestampMillis is the resolved etl timestamp, epoch milliseconds.
	ETLTimestampMillis int64 `json:"etl_ms"`
	WriteEnriched      bool  `json:"write_enriched,omitempty"`
	// Partitions is the resolved number of reduce partitions (≥ 1).
	Partitions int `json:"partitions"`
	// Parallelism and MemoryBudget are what the user set on the run
	// command; 0 lets each worker use its own (--parallelism/--memory-budget
	// of `furrow worker`).
	Parallelism  int   `json:"parallelism,omitempty"`
	MemoryBudget int64 `json:"memory_budget,omitempty"`
	SplitSize    int64 `json:"split_size,omitempty"`
	// RowGroupBytes is the resolved Parquet row-group size: a job setting,
	// so every worker cuts row groups alike whatever its memory budget.
	RowGroupBytes int64 `json:"row_group_bytes,omitempty"`

	Storage StorageSpec `json:"storage"`
}

// StorageSpec is the wire form of location.Options without loggers and
// credentials (each node uses its own credential chain, e.g. its EC2
// instance role).
type StorageSpec struct {
	S3   S3Spec   `json:"s3"`
	HDFS HDFSSpec `json:"hdfs"`
}

// S3Spec mirrors s3.Config's serialisable fields.
type S3Spec struct {
	SSE         string        `json:"sse,omitempty"`
	SSEKMSKeyID string        `json:"sse_kms_key_id,omitempty"`
	SSEOnParts  bool          `json:"sse_on_parts,omitempty"`
	PathStyle   bool          `json:"path_style,omitempty"`
	Endpoint    string        `json:"endpoint,omitempty"`
	Region      string        `json:"region,omitempty"`
	PartSize    int64         `json:"part_size,omitempty"`
	Concurrency int           `json:"concurrency,omitempty"`
	MaxAttempts int           `json:"max_attempts,omitempty"`
	MaxBackoff  time.Duration `json:"max_backoff,omitempty"`
}

// HDFSSpec mirrors hdfs.Config's serialisable fields.
type HDFSSpec struct {
	User        string        `json:"user,omitempty"`
	ConfDir     string        `json:"conf_dir,omitempty"`
	DialTimeout time.Duration `json:"dial_timeout,omitempty"`
}

// NewJobSpec builds the spec of job id from cfg, the configuration the
// coordinator prepared (cfg.ETLTimestamp must be resolved: use
// Job.Config()), with partitions resolved by planning. user holds the
// values the user gave (before defaults) for Parallelism and MemoryBudget.
// Local configuration files are read and shipped inline; an unreadable one
// is an error naming its flag.
func NewJobSpec(ctx context.Context, id, coordinator string, cfg pipeline.Config, user pipeline.Config, partitions int) (*JobSpec, error) {
	if cfg.ETLTimestamp.IsZero() {
		return nil, errors.New("cluster: job spec: the etl timestamp is not resolved")
	}
	if partitions < 1 {
		return nil, fmt.Errorf("cluster: job spec: %d partitions", partitions)
	}
	s := &JobSpec{
		Version: specVersion, ID: id, Coordinator: coordinator,
		Job: cfg.Job, InputFormat: cfg.InputFormat, OutputFormat: cfg.OutputFormat,
		ETLTimestampMillis: cfg.ETLTimestamp.UnixMilli(), WriteEnriched: cfg.WriteEnriched,
		Partitions: partitions, Parallelism: user.Parallelism, MemoryBudget: user.MemoryBudget,
		SplitSize: cfg.SplitSize, RowGroupBytes: cfg.RowGroupBytes,
		Storage: StorageSpec{
			S3: S3Spec{
				SSE: string(cfg.Storage.S3.SSE), SSEKMSKeyID: cfg.Storage.S3.SSEKMSKeyID, SSEOnParts: cfg.Storage.S3.SSEOnParts,
				PathStyle: cfg.Storage.S3.PathStyle, Endpoint: cfg.Storage.S3.Endpoint, Region: cfg.Storage.S3.Region,
				PartSize: cfg.Storage.S3.PartSize, Concurrency: cfg.Storage.S3.Concurrency,
				MaxAttempts: cfg.Storage.S3.MaxAttempts, MaxBackoff: cfg.Storage.S3.MaxBackoff,
			},
			HDFS: HDFSSpec{User: cfg.Storage.HDFS.User, ConfDir: cfg.Storage.HDFS.ConfDir, DialTimeout: cfg.Storage.HDFS.DialTimeout},
		},
	}
	var err error
	for _, l := range []struct {
		flag string
		in   string
		out  *string
	}{{"--input-folder", cfg.Input, &s.Input}, {"--output-folder", cfg.Output, &s.Output}, {"--bad-folder", cfg.Bad, &s.Bad}, {"--assets-dir", cfg.AssetsDir, &s.AssetsDir}} {
		if *l.out, err = sharedLocation(l.flag, l.in); err != nil {
			return nil, err
		}
	}
	if s.IgluConfig, err = inlineArg(ctx, "--iglu-config", cfg.IgluConfig, cfg.Storage); err != nil {
		return nil, err
	}
	if s.DuplicateStorageConfig, err = inlineArg(ctx, "--duplicate-storage-config", cfg.DuplicateStorageConfig, cfg.Storage); err != nil {
		return nil, err
	}
	if s.Enrichments, err = inlineEnrichments(ctx, cfg.Enrichments, cfg.Storage); err != nil {
		return nil, err
	}
	return s, nil
}

// sharedLocation makes a local path absolute (every node must see it at
// the same place); other locations are kept as given.
func sharedLocation(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	loc, err := storage.ParseLocation(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	if loc.Scheme == "file" && !strings.Contains(v, "://") {
		return loc.Path, nil
	}
	return v, nil
}

// inlineArg resolves a configuration argument as the job does (base64,
// inline JSON or a location) and returns it base64-encoded, so that a
// worker reads the very document the coordinator read.
func inlineArg(ctx context.Context, flag, v string, opts location.Options) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	doc, err := pipeline.LoadArg(ctx, flag, v, opts)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(doc), nil
}

// inlineEnrichments ships --enrichments inline: a local folder of
// enrichment JSON files becomes one enrichments bundle (files in name
// order, as enrichment.LoadDir reads them); anything else is resolved as
// inlineArg does.
func inlineEnrichments(ctx context.Context, v string, opts location.Options) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	dir := strings.TrimPrefix(v, "file://")
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return inlineArg(ctx, "--enrichments", v, opts)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("--enrichments %s: %w", dir, err)
	}
	docs := []json.RawMessage{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("--enrichments: %w", err)
		}
		if !json.Valid(b) {
			return "", fmt.Errorf("--enrichments: %s is not valid JSON", p)
		}
		docs = append(docs, b)
	}
	bundle, err := json.Marshal(struct {
		Schema string            `json:"schema"`
		Data   []json.RawMessage `json:"data"`
	}{enrichmentsBundle, docs})
	if err != nil {
		return "", fmt.Errorf("--enrichments %s: %w", dir, err)
	}
	return base64.StdEncoding.EncodeToString(bundle), nil
}

// Validate reports every problem of a received spec.
func (s *JobSpec) Validate() error {
	var errs []error
	if s.Version != specVersion {
		errs = append(errs, fmt.Errorf("v: job spec version %d, this worker reads version %d", s.Version, specVersion))
	}
	if s.ID == "" || len(s.ID) > 1024 {
		errs = append(errs, fmt.Errorf("id: must be 1..1024 bytes, got %d", len(s.ID)))
	}
	if s.Partitions < 1 {
		errs = append(errs, fmt.Errorf("partitions: %d, want ≥ 1", s.Partitions))
	}
	if s.ETLTimestampMillis == 0 {
		errs = append(errs, errors.New("etl_ms: the etl timestamp is not resolved"))
	}
	return errors.Join(errs...)
}

// NodeLocal are the settings a worker applies to every job it prepares.
type NodeLocal struct {
	// Parallelism applies when the spec leaves it 0.
	Parallelism int
	// MemoryBudget applies when the spec leaves it 0.
	MemoryBudget int64
	// SpillDir is the worker's spill folder.
	SpillDir string
}

// Config turns the spec back into a pipeline.Config for this node.
func (s *JobSpec) Config(local NodeLocal) (pipeline.Config, error) {
	if err := s.Validate(); err != nil {
		return pipeline.Config{}, fmt.Errorf("cluster: job spec: %w", err)
	}
	c := pipeline.Config{
		Job: s.Job, Input: s.Input, InputFormat: s.InputFormat, Output: s.Output, Bad: s.Bad,
		Enrichments: s.Enrichments, AssetsDir: s.AssetsDir, IgluConfig: s.IgluConfig, DuplicateStorageConfig: s.DuplicateStorageConfig,
		OutputFormat: s.OutputFormat, ETLTimestamp: time.UnixMilli(s.ETLTimestampMillis).UTC(),
		WriteEnriched: s.WriteEnriched, Partitions: s.Partitions,
		Parallelism: s.Parallelism, MemoryBudget: s.MemoryBudget, SplitSize: s.SplitSize,
		RowGroupBytes: s.RowGroupBytes,
		SpillDir:      local.SpillDir,
		Storage: location.Options{
			S3: s3.Config{
				SSE: s3.SSE(s.Storage.S3.SSE), SSEKMSKeyID: s.Storage.S3.SSEKMSKeyID, SSEOnParts: s.Storage.S3.SSEOnParts,
				PathStyle: s.Storage.S3.PathStyle, Endpoint: s.Storage.S3.Endpoint, Region: s.Storage.S3.Region,
				PartSize: s.Storage.S3.PartSize, Concurrency: s.Storage.S3.Concurrency,
				MaxAttempts: s.Storage.S3.MaxAttempts, MaxBackoff: s.Storage.S3.MaxBackoff,
			},
			HDFS: hdfs.Config{User: s.Storage.HDFS.User, ConfDir: s.Storage.HDFS.ConfDir, DialTimeout: s.Storage.HDFS.DialTimeout},
		},
	}
	if c.Parallelism == 0 {
		c.Parallelism = local.Parallelism
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = local.MemoryBudget
	}
	if err := c.Validate(); err != nil {
		return pipeline.Config{}, fmt.Errorf("cluster: job spec %s: %w", s.ID, err)
	}
	return c, nil
}
