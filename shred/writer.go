package shred

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/storage"
)

// Format is an output layout.
type Format string

// Output layouts.
const (
	// FormatLegacy is RDB Shredder 0.13's layout, byte for byte:
	// atomic-events/part-* (TSV, 128 fields) and
	// shredded-types/vendor=V/name=N/format=F/version=M-R-A/part-* (JSON lines
	// {"schema":{…},"data":…,"hierarchy":{…}}).
	FormatLegacy Format = "legacy"
	// FormatParquet is atomic/part-*.parquet (typed atomic columns) plus one
	// dataset per entity model,
	// shredded/vendor=V/name=N/format=F/model=M/part-*.parquet (hierarchy
	// columns + the entity's flattened properties).
	FormatParquet Format = "parquet"
	// FormatWideRow is one table, output=good/part-*.parquet: the atomic
	// columns plus one struct column per unstruct event model and one
	// list<struct> column per context model, named as the Snowplow lake
	// loader names them.
	FormatWideRow Format = "widerow"
)

// ParseFormat accepts "legacy", "parquet" or "widerow".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatLegacy, FormatParquet, FormatWideRow:
		return f, nil
	}
	return "", fmt.Errorf("shred: unknown output format %q (want legacy, parquet or widerow)", s)
}

// Typed reports whether the format needs typed columns (Config.Typed).
func (f Format) Typed() bool { return f != FormatLegacy }

// Defaults of WriterConfig.
const (
	DefaultRowGroupBytes = 128 << 20 // uncompressed bytes per Parquet row group
	DefaultFileBytes     = 512 << 20 // bytes per output file before a new part starts
	DefaultBatchRows     = 8192      // rows per Arrow record batch
	DefaultCompression   = "zstd"
	// CreatedBy is the fixed created_by of every Parquet footer furrow
	// writes (no version or time, so re-runs are byte-identical).
	CreatedBy = "furrow"
)

// WriterConfig configures one Writer (one per reduce task).
type WriterConfig struct {
	// Format is the output layout (required).
	Format Format
	// Store receives the files; Prefix is the output folder inside it.
	Store  storage.Store
	Prefix string
	// Partition is the reduce partition; it names the files
	// (part-<partition>-<seq>), so a retried task overwrites its own files.
	Partition int
	// Compression of Parquet pages: "zstd" (default), "snappy" or "none".
	Compression string
	// RowGroupBytes cuts Parquet row groups at about this many uncompressed
	// bytes (default 128 MiB).
	RowGroupBytes int64
	// FileBytes starts a new part file once one holds about this many bytes
	// (default 512 MiB).
	FileBytes int64
	// BatchRows is the number of rows per Arrow record batch (default 8192).
	BatchRows int
	// Allocator backs the Arrow builders (default memory.DefaultAllocator).
	// Buffers are pooled and reused across batches; everything is returned
	// by Close or Abort.
	Allocator memory.Allocator
	// Shredder provides the column layouts of the entity models (required
	// for the Parquet formats).
	Shredder *Shredder
}

// withDefaults fills in the defaults.
func (c WriterConfig) withDefaults() WriterConfig {
	if c.Compression == "" {
		c.Compression = DefaultCompression
	}
	if c.RowGroupBytes <= 0 {
		c.RowGroupBytes = DefaultRowGroupBytes
	}
	if c.FileBytes <= 0 {
		c.FileBytes = DefaultFileBytes
	}
	if c.BatchRows <= 0 {
		c.BatchRows = DefaultBatchRows
	}
	if c.Allocator == nil {
		c.Allocator = memory.DefaultAllocator
	}
	return c
}

// Validate reports every problem, naming the key.
func (c WriterConfig) Validate() error {
	var errs []error
	if _, err := ParseFormat(string(c.Format)); err != nil {
		errs = append(errs, fmt.Errorf("format: %w", err))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("store: required"))
	}
	if c.Partition < 0 {
		errs = append(errs, fmt.Errorf("partition: %d is negative", c.Partition))
	}
	switch c.Compression {
	case "", "zstd", "snappy", "none":
	default:
		errs = append(errs, fmt.Errorf("compression: %q is not zstd, snappy or none", c.Compression))
	}
	if c.Format.Typed() && c.Shredder == nil {
		errs = append(errs, errors.New("shredder: required for the Parquet formats"))
	}
	if c.Shredder != nil && c.Format.Typed() && !c.Shredder.cfg.Typed {
		errs = append(errs, errors.New("shredder: the Parquet formats need a Shredder with Config.Typed set"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("shred writer config: %w", errors.Join(errs...))
	}
	return nil
}

// Writer writes the shredded events of one reduce task. It is not safe for
// concurrent use. Files get deterministic names from the partition and a
// sequence number, so identical input gives identical files and a retried
// task overwrites what an earlier attempt wrote.
type Writer interface {
	// Write adds one event. An error is fatal for the task (storage
	// failure, or a broken invariant); per-event problems were already
	// turned into bad rows by the Shredder.
	Write(ctx context.Context, s *Shredded) error
	// Close flushes and completes every file and returns what was written.
	// Nothing is visible unless Close returns nil (except files completed
	// before it, which a retry overwrites).
	Close(ctx context.Context) (Stats, error)
	// Abort discards unfinished files and releases all memory.
	Abort()
}

// NewWriter returns the writer of cfg.Format.
func NewWriter(cfg WriterConfig) (Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	switch cfg.Format {
	case FormatLegacy:
		return newLegacyWriter(cfg), nil
	case FormatParquet:
		return newParquetWriter(cfg)
	default:
		return newWideRowWriter(cfg)
	}
}

// TypeKey identifies one shredded type in the statistics: a schema and
// whether it came as the event's unstruct event or as a context.
type TypeKey struct {
	Schema event.SchemaKey
	Entity EntityKind // UnstructEvent or Context (derived contexts count as Context)
}

// Stats summarizes what writers wrote. Merge combines the Stats of all tasks.
type Stats struct {
	// Events is the number of atomic rows.
	Events int64
	// Types counts the entity rows per shredded type.
	Types map[TypeKey]int64
	// MinCollectorTstamp and MaxCollectorTstamp bound the events'
	// collector_tstamp (zero when Events is 0).
	MinCollectorTstamp, MaxCollectorTstamp time.Time
	// Files are the keys written, relative to the store.
	Files []string
	// Bytes is the size of the files written.
	Bytes int64
}

// add records one event.
func (s *Stats) add(sh *Shredded) {
	s.Events++
	t := sh.CollectorTstamp
	if s.Events == 1 || t.Before(s.MinCollectorTstamp) {
		s.MinCollectorTstamp = t
	}
	if s.Events == 1 || t.After(s.MaxCollectorTstamp) {
		s.MaxCollectorTstamp = t
	}
	if s.Types == nil {
		s.Types = make(map[TypeKey]int64)
	}
	for i := range sh.Entities {
		k := TypeKey{Schema: sh.Entities[i].Key, Entity: Context}
		if sh.Entities[i].Kind == UnstructEvent {
			k.Entity = UnstructEvent
		}
		s.Types[k]++
	}
}

// Merge adds o into s.
func (s *Stats) Merge(o Stats) {
	if o.Events > 0 {
		if s.Events == 0 || o.MinCollectorTstamp.Before(s.MinCollectorTstamp) {
			s.MinCollectorTstamp = o.MinCollectorTstamp
		}
		if s.Events == 0 || o.MaxCollectorTstamp.After(s.MaxCollectorTstamp) {
			s.MaxCollectorTstamp = o.MaxCollectorTstamp
		}
	}
	s.Events += o.Events
	if len(o.Types) > 0 && s.Types == nil {
		s.Types = make(map[TypeKey]int64, len(o.Types))
	}
	for k, n := range o.Types {
		s.Types[k] += n
	}
	s.Files = append(s.Files, o.Files...)
	slices.Sort(s.Files)
	s.Bytes += o.Bytes
}

// SortedTypes returns the shredded types in a stable order (by schema URI,
// then entity kind).
func (s *Stats) SortedTypes() []TypeKey {
	keys := slices.Collect(maps.Keys(s.Types))
	slices.SortFunc(keys, func(a, b TypeKey) int {
		if c := strings.Compare(a.Schema.String(), b.Schema.String()); c != 0 {
			return c
		}
		return int(a.Entity) - int(b.Entity)
	})
	return keys
}

// partName is the deterministic name of a part file.
func partName(partition, seq int, ext string) string {
	return fmt.Sprintf("part-%05d-%05d%s", partition, seq, ext)
}
