package pipeline

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/parquet/file"

	"github.com/furrowdata/furrow/bench/gen"
)

// TestShredParquetIndependentOfNode runs one shred job twice with the same
// job settings (--partitions, --row-group-size) but different node settings
// (--memory-budget, --parallelism, as two cluster nodes or two machines
// would have): the Parquet files must be byte-identical. The row-group size
// once followed the memory budget, which made them differ.
func TestShredParquetIndependentOfNode(t *testing.T) {
	chdirRoot(t)
	in := t.TempDir()
	gc := gen.DefaultEnrichedConfig()
	gc.Events = 18000 // > 8192 rows (one Arrow batch) per partition: row groups can be cut
	if _, err := gen.WriteEnrichedFiles(in, gc, 5000); err != nil {
		t.Fatal(err)
	}
	run := func(budget int64, parallelism int) map[string][]byte {
		t.Helper()
		out := t.TempDir()
		cfg := enrichConfig(t, in, "", out)
		cfg.Job, cfg.InputFormat, cfg.OutputFormat, cfg.ETLTimestamp = JobShred, "", "parquet", gc.ETL
		cfg.Partitions, cfg.RowGroupBytes = 2, 1<<20
		cfg.MemoryBudget, cfg.Parallelism = budget, parallelism
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Bad+rep.ShredBad != 0 || rep.Written == 0 || rep.Synthetic == 0 {
			t.Fatalf("report: %d written, %d bad, %d synthetic duplicates", rep.Written, rep.Bad+rep.ShredBad, rep.Synthetic)
		}
		files := map[string][]byte{}
		for name, b := range tree(t, filepath.Join(out, "good")) {
			if strings.HasSuffix(name, ".parquet") {
				files[name] = b
			}
		}
		return files
	}
	small := run(16<<20, 1) // dedupe and shuffle spill; the old rule gave 4 MiB row groups
	large := run(2<<30, 2)  // everything in memory; the old rule gave 128 MiB row groups
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range small {
			if !yield(n) {
				return
			}
		}
	})
	if len(names) < 4 {
		t.Fatalf("%d Parquet files, want the atomic and entity datasets of 2 partitions: %v", len(names), names)
	}
	if len(large) != len(small) {
		t.Fatalf("%d files with a small budget, %d with a large one", len(small), len(large))
	}
	multi := false
	for _, n := range names {
		if !bytes.Equal(small[n], large[n]) {
			t.Errorf("%s differs between --memory-budget 16MB --parallelism 1 and --memory-budget 2GB --parallelism 2", n)
		}
		r, err := file.NewParquetReader(bytes.NewReader(small[n]))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		multi = multi || r.NumRowGroups() > 1
		r.Close()
	}
	if !multi {
		t.Fatal("no file has more than one row group: --row-group-size 1MB was not applied")
	}
}

// TestRowGroupSizeValidated: --row-group-size outside 1 MiB..1 GiB is
// rejected, naming the flag; 0 takes the default.
func TestRowGroupSizeValidated(t *testing.T) {
	base := Config{Job: JobShred, Input: "in", Output: "out", Bad: "bad"}
	for _, n := range []int64{-1, 1<<20 - 1, 1<<30 + 1} {
		c := base
		c.RowGroupBytes = n
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--row-group-size") {
			t.Errorf("RowGroupBytes %d: error %v, want one naming --row-group-size", n, err)
		}
	}
	for _, n := range []int64{0, 1 << 20, 1 << 30} {
		c := base
		c.RowGroupBytes = n
		if err := c.Validate(); err != nil {
			t.Errorf("RowGroupBytes %d: %v", n, err)
		}
	}
	if d := base.withDefaults(); d.RowGroupBytes != 128<<20 {
		t.Errorf("default row-group size %d, want 128 MiB", d.RowGroupBytes)
	}
}
