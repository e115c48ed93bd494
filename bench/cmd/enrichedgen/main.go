// Command enrichedgen writes deterministic, realistic enriched TSV (the
// input of `furrow shred`) with bench/gen: page views, page pings,
// structured, self-describing and transaction events, each with three
// contexts (page_context and user from testdata/iglu, ua_parser_context from
// the embedded registry), and a share of natural and synthetic duplicates.
//
//	go run ./bench/cmd/enrichedgen -events 5000000 -out /tmp/enriched-5m
//
// It prints the counts as one JSON object.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/furrowdata/furrow/bench/gen"
)

func main() {
	cfg := gen.DefaultEnrichedConfig()
	out := flag.String("out", "", "folder to write part-NNNNN files into (created)")
	perFile := flag.Int("lines-per-file", 1_000_000, "lines per part file")
	flag.IntVar(&cfg.Events, "events", cfg.Events, "lines to write, duplicates included")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (same seed, same bytes)")
	flag.Float64Var(&cfg.NaturalDupShare, "natural", cfg.NaturalDupShare, "share of natural duplicates (same event_id and fingerprint)")
	flag.Float64Var(&cfg.SyntheticDupShare, "synthetic", cfg.SyntheticDupShare, "share of synthetic duplicates (same event_id, other fingerprint)")
	flag.Float64Var(&cfg.UnstructShare, "unstruct", cfg.UnstructShare, "share of self-describing button_click events")
	flag.StringVar(&cfg.Vendor, "vendor", cfg.Vendor, "Iglu vendor of the sample schemas")
	flag.Parse()
	if err := run(cfg, *out, *perFile); err != nil {
		fmt.Fprintln(os.Stderr, "enrichedgen:", err)
		os.Exit(1)
	}
}

func run(cfg gen.EnrichedConfig, out string, perFile int) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if perFile < 1 {
		return fmt.Errorf("-lines-per-file must be ≥ 1, got %d", perFile)
	}
	st, err := gen.WriteEnrichedFiles(out, cfg, perFile)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(map[string]any{"folder": filepath.Clean(out), "stats": st})
	fmt.Println(string(b))
	return nil
}
