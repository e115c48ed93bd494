package gen

import (
	"bytes"
	"strings"
	"testing"
)

func TestDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	if !bytes.Equal(CloudFront(cfg), CloudFront(cfg)) || !bytes.Equal(Tomcat(cfg), Tomcat(cfg)) {
		t.Fatal("the same seed gave different bytes")
	}
	cfg2 := cfg
	cfg2.Seed++
	if bytes.Equal(CloudFront(cfg), CloudFront(cfg2)) {
		t.Fatal("different seeds gave the same bytes")
	}
}

func TestShape(t *testing.T) {
	cfg := DefaultConfig()
	cf := strings.Split(strings.TrimSuffix(string(CloudFront(cfg)), "\n"), "\n")
	if len(cf) != cfg.Lines+2 {
		t.Fatalf("cloudfront: %d lines, want %d + 2 headers", len(cf), cfg.Lines)
	}
	full := 0
	for _, l := range cf[2:] {
		if strings.Count(l, "\t") == 23 {
			full++
		}
	}
	if full < cfg.Lines*9/10 {
		t.Fatalf("only %d of %d CloudFront lines have 24 fields", full, cfg.Lines)
	}
	tc := string(Tomcat(cfg))
	if !strings.Contains(tc, "/com.snowplowanalytics.snowplow/tp2") || !strings.Contains(tc, "\t/i\t") {
		t.Fatal("tomcat log lacks POST batches or GET pixels")
	}
}
