package shred

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/furrowdata/furrow/storage"
)

// Commit markers, written last into the output folder.
const (
	CompleteFile = "shredding_complete.json"
	SuccessFile  = "_SUCCESS"
)

// Summary describes a finished shred run; the coordinator builds it from the
// merged Stats of every reduce task.
type Summary struct {
	// Prefix is the output folder inside the store (the run folder).
	Prefix string
	// Base is the full location of that folder (Store.URL), for loaders.
	Base   string
	Format Format
	// Compression of the data files: "zstd", "snappy", "none" (Parquet) or
	// "none" (legacy text).
	Compression string
	// Stats are the merged writer statistics.
	Stats Stats
	// Bad and Duplicates count the bad rows and the dropped natural
	// duplicates of the run.
	Bad, Duplicates int64
	// JobStarted and JobCompleted are the run's processing time.
	JobStarted, JobCompleted time.Time
	// Artifact and Version identify the processor (e.g. "furrow", "1.2.0").
	Artifact, Version string
}

// completeType is one entry of shredding_complete.json's "types".
type completeType struct {
	SchemaKey      string `json:"schemaKey"`
	Format         string `json:"format"`
	SnowplowEntity string `json:"snowplowEntity"`
	Count          int64  `json:"count"`
}

// completeDoc is shredding_complete.json: RDB Shredder's shredding_complete
// message (base, compression, types, timestamps, processor, count) with
// furrow's per-type counts, bad and duplicate counts and file list.
type completeDoc struct {
	Base        string         `json:"base"`
	Layout      string         `json:"layout"`
	Compression string         `json:"compression"`
	Types       []completeType `json:"types"`
	Timestamps  struct {
		JobStarted   string  `json:"jobStarted"`
		JobCompleted string  `json:"jobCompleted"`
		Min          *string `json:"min"`
		Max          *string `json:"max"`
	} `json:"timestamps"`
	Processor struct {
		Artifact string `json:"artifact"`
		Version  string `json:"version"`
	} `json:"processor"`
	Count struct {
		Good       int64 `json:"good"`
		Bad        int64 `json:"bad"`
		Duplicates int64 `json:"duplicates"`
	} `json:"count"`
	Files []string `json:"files"`
	Bytes int64    `json:"bytes"`
}

const rfc3339Millis = "2006-01-02T15:04:05.000Z07:00"

// CompleteJSON renders shredding_complete.json for s (indented, ending in a
// newline). Types are sorted, so the document depends only on s.
func (s Summary) CompleteJSON() ([]byte, error) {
	var d completeDoc
	d.Base, d.Layout, d.Compression = s.Base, string(s.Format), s.Compression
	format := "PARQUET"
	if s.Format == FormatLegacy {
		format = "JSON"
	}
	d.Types = []completeType{}
	for _, k := range s.Stats.SortedTypes() {
		d.Types = append(d.Types, completeType{SchemaKey: k.Schema.String(), Format: format, SnowplowEntity: k.Entity.String(), Count: s.Stats.Types[k]})
	}
	d.Timestamps.JobStarted = s.JobStarted.UTC().Format(rfc3339Millis)
	d.Timestamps.JobCompleted = s.JobCompleted.UTC().Format(rfc3339Millis)
	if s.Stats.Events > 0 {
		mn := s.Stats.MinCollectorTstamp.UTC().Format(rfc3339Millis)
		mx := s.Stats.MaxCollectorTstamp.UTC().Format(rfc3339Millis)
		d.Timestamps.Min, d.Timestamps.Max = &mn, &mx
	}
	d.Processor.Artifact, d.Processor.Version = s.Artifact, s.Version
	d.Count.Good, d.Count.Bad, d.Count.Duplicates = s.Stats.Events, s.Bad, s.Duplicates
	d.Files = s.Stats.Files
	if d.Files == nil {
		d.Files = []string{}
	}
	d.Bytes = s.Stats.Bytes
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", CompleteFile, err)
	}
	return buf.Bytes(), nil
}

// Commit marks a run complete: it writes shredding_complete.json and then,
// last, an empty _SUCCESS into s.Prefix. The coordinator calls it once, after
// every reduce task succeeded; readers trust only folders with _SUCCESS. A
// failed Commit leaves no _SUCCESS and can be repeated.
func Commit(ctx context.Context, store storage.Store, s Summary) error {
	doc, err := s.CompleteJSON()
	if err != nil {
		return err
	}
	key := storage.Join(s.Prefix, CompleteFile)
	if err := storage.WriteAll(ctx, store, key, doc); err != nil {
		return fmt.Errorf("writing %s: %w", key, err)
	}
	key = storage.Join(s.Prefix, SuccessFile)
	if err := storage.WriteAll(ctx, store, key, nil); err != nil {
		return fmt.Errorf("writing %s: %w", key, err)
	}
	return nil
}
