package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/furrowdata/furrow/emr"
)

// runValidate is `furrow validate --config furrow.yml` (config keys, Iglu
// resolver, enrichments with their assets, access to every location, the
// run lock, TLS material, release objects) or `furrow validate
// --tls-bundle PATH` (the bundle alone, as the bootstrap action checks it).
// It prints one line per finding and fails if any check failed.
func runValidate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	config := fs.String("config", "", "furrow.yml (a path or s3:// location)")
	var o emr.CheckOptions
	fs.StringVar(&o.TLSBundle, "tls-bundle", "", "check this EMR PEM bundle (zip or folder) instead of furrow.cluster.tls_bundle")
	fs.BoolVar(&o.NoProbe, "no-probe", false, "only list the locations: do not write and delete a probe object in each")
	fs.DurationVar(&o.Timeout, "timeout", 0, "bound on each check (default 30s)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var findings []emr.Finding
	switch {
	case *config != "":
		findings = emr.CheckFile(ctx, *config, o)
	case o.TLSBundle != "":
		findings = emr.CheckBundle(o.TLSBundle, o)
	default:
		return usageError{errors.New("--config or --tls-bundle is required")}
	}
	if err := emr.WriteFindings(os.Stdout, findings); err != nil {
		return err
	}
	if emr.Failed(findings) {
		n := 0
		for _, f := range findings {
			if f.Level == emr.LevelFail {
				n++
			}
		}
		return fmt.Errorf("%d problem(s) found", n)
	}
	return nil
}
