//go:build ignore

// generate.go writes the bundled sample logs from bench/gen (fixed seed).
// Run from the repository root: go run testdata/generate.go
package main

import (
	"bytes"
	"compress/gzip"
	"log"
	"os"

	"github.com/furrowdata/furrow/bench/gen"
)

func main() {
	cfg := gen.DefaultConfig()
	must(os.WriteFile("testdata/sample/cloudfront/E2SAMPLE.2026-11-02-09.a1b2c3d4", gen.CloudFront(cfg), 0o644))
	cfg.Seed = 7
	cfg.Lines = 200
	// Rotated Tomcat logs arrive gzipped, under the collector's odd name.
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	must(err)
	zw.ModTime = cfg.Start // fixed header: the same bytes on every run
	_, err = zw.Write(gen.Tomcat(cfg))
	must(err)
	must(zw.Close())
	must(os.WriteFile("testdata/sample/clj-tomcat/_var_log_tomcat8_rotated_localhost_access_log.txt1762074000.gz", gz.Bytes(), 0o644))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
