package pipeline

import (
	"context"
	"fmt"

	"github.com/furrowdata/furrow/storage"
)

// PlanConfig says how inputs are cut into splits.
type PlanConfig struct {
	// SplitSize is the target bytes per split of a splittable input
	// (default 128 MiB, as HDFS blocks).
	SplitSize int64
	// CanSplit reports whether an object may be cut into byte ranges (an
	// uncompressed file of a line format). nil = never.
	CanSplit func(ctx context.Context, info storage.ObjectInfo) (bool, error)
}

// Plan lists the input objects below prefix (skipping hidden files such as
// _SUCCESS, _temporary/ and .crc files, and empty objects) and returns the
// splits in a deterministic order: by key, then offset. The same input
// always gives the same plan, so task numbers — and output names — are
// stable across runs.
func Plan(ctx context.Context, s storage.Store, prefix string, cfg PlanConfig) ([]Split, error) {
	if cfg.SplitSize <= 0 {
		cfg.SplitSize = 128 << 20
	}
	var splits []Split
	err := s.List(ctx, prefix, func(o storage.ObjectInfo) error {
		rel := o.Key[len(prefix):]
		if storage.IsHidden(rel) || o.Size == 0 {
			return nil
		}
		can := false
		if cfg.CanSplit != nil && o.Size > cfg.SplitSize {
			var err error
			if can, err = cfg.CanSplit(ctx, o); err != nil {
				return fmt.Errorf("inspecting %s: %w", s.URL(o.Key), err)
			}
		}
		if !can {
			splits = append(splits, Split{Key: o.Key, Offset: 0, Length: -1, Size: o.Size})
			return nil
		}
		for off := int64(0); off < o.Size; off += cfg.SplitSize {
			n := min(cfg.SplitSize, o.Size-off)
			splits = append(splits, Split{Key: o.Key, Offset: off, Length: n, Size: o.Size})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing inputs at %s: %w", s.URL(prefix), err)
	}
	return splits, nil
}
