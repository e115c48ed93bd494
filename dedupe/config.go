package dedupe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Defaults of Config.
const (
	DefaultMemoryBudget  = 256 << 20 // bytes
	DefaultManifestBatch = 1000      // items per Manifest.Check call
	DefaultMaxMergeFanIn = 64        // spill runs merged at once
)

// Config configures one Deduper (one partition). The zero value plus
// defaults is a valid in-batch-only configuration.
type Config struct {
	// MemoryBudget bounds the bytes the Deduper holds for lines and their
	// sort keys (slice capacity included). Beyond it, sorted runs are spilled
	// to SpillDir. Default DefaultMemoryBudget. A single line larger than
	// the budget is still accepted (it is held alone).
	MemoryBudget int64
	// SpillDir is the local folder for spill runs; each Deduper makes its
	// own temporary sub-folder there and removes it in Finish or Close.
	// Default os.TempDir().
	SpillDir string
	// MaxMergeFanIn caps how many runs are merged at once; the effective
	// fan-in is also limited by MemoryBudget (about 512 KiB per open run).
	// Default DefaultMaxMergeFanIn; minimum 2.
	MaxMergeFanIn int

	// Manifest enables cross-batch deduplication: every event surviving
	// in-batch natural dedupe is checked against it (see Manifest). nil
	// disables cross-batch dedupe.
	Manifest Manifest
	// ManifestBatch is the number of items per Manifest.Check call.
	// Default DefaultManifestBatch.
	ManifestBatch int
	// ETLTime stands in for a null etl_tstamp in manifest items (RDB
	// Shredder used its job start time). Required when Manifest is set; the
	// pipeline passes the run's etl timestamp so that re-runs agree.
	ETLTime time.Time

	// Logger receives debug logs about spills. Default: discard.
	Logger *slog.Logger
}

// WithDefaults returns c with every unset field set to its default.
func (c Config) WithDefaults() Config {
	if c.MemoryBudget == 0 {
		c.MemoryBudget = DefaultMemoryBudget
	}
	if c.SpillDir == "" {
		c.SpillDir = os.TempDir()
	}
	if c.MaxMergeFanIn == 0 {
		c.MaxMergeFanIn = DefaultMaxMergeFanIn
	}
	if c.ManifestBatch == 0 {
		c.ManifestBatch = DefaultManifestBatch
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate reports every invalid field of c (after defaults), naming it.
func (c Config) Validate() error {
	var errs []error
	if c.MemoryBudget < 0 {
		errs = append(errs, fmt.Errorf("dedupe config: MemoryBudget %d is negative", c.MemoryBudget))
	}
	if c.MaxMergeFanIn < 0 || c.MaxMergeFanIn == 1 {
		errs = append(errs, fmt.Errorf("dedupe config: MaxMergeFanIn %d must be at least 2", c.MaxMergeFanIn))
	}
	if c.ManifestBatch < 0 {
		errs = append(errs, fmt.Errorf("dedupe config: ManifestBatch %d is negative", c.ManifestBatch))
	}
	if c.Manifest != nil && c.ETLTime.IsZero() {
		errs = append(errs, errors.New("dedupe config: ETLTime is required with a Manifest (it stands in for null etl_tstamps)"))
	}
	if c.SpillDir != "" {
		if fi, err := os.Stat(c.SpillDir); err != nil {
			errs = append(errs, fmt.Errorf("dedupe config: SpillDir %q: %w", c.SpillDir, err))
		} else if !fi.IsDir() {
			errs = append(errs, fmt.Errorf("dedupe config: SpillDir %q is not a folder", c.SpillDir))
		}
	}
	return errors.Join(errs...)
}

// Item is one event as the cross-batch manifest sees it.
type Item struct {
	// EventID is the event_id in canonical lowercase UUID form.
	EventID string
	// Fingerprint is the event_fingerprint (never empty: events without a
	// fingerprint are never sent to the manifest, see Manifest).
	Fingerprint string
	// ETLTime is the event's etl_tstamp (Config.ETLTime when null).
	ETLTime time.Time
}

// Manifest is the cross-batch duplicate store (RDB Shredder's
// DuplicateStorage / EventsManifest). For each item, Check stores it if its
// (EventID, Fingerprint) is new, or if the stored entry has the same ETL time
// (an earlier, interrupted run of this same batch), and reports keep=true;
// when the pair was stored by another batch (another ETL time) it reports
// keep=false and the event is dropped as a cross-batch duplicate.
//
// Check fills keep[i] for items[i] (len(keep) == len(items)). Any error
// (throughput exhausted after retries, network, permissions) aborts the job:
// the Deduper never guesses, so no event is dropped or duplicated by an
// error. A re-run is safe because stored entries carry the batch's ETL
// time. Implementations must be safe for concurrent use by several
// Dedupers (reduce tasks).
//
// Events with a null fingerprint are never checked: RDB Shredder stored them
// under a random fingerprint, which can never match, so they were always
// kept; the Deduper keeps them without a write.
type Manifest interface {
	Check(ctx context.Context, items []Item, keep []bool) error
}
