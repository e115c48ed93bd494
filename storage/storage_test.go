package storage

import "testing"

func TestIsHidden(t *testing.T) {
	hidden := []string{"_SUCCESS", "out/_SUCCESS", "_temporary/0/part-0", "a/.part-0.crc", ".hidden", "logs/_logs/x",
		"in/_run_report.json", "x_$folder$", "_committed_123", "_started_9"}
	visible := []string{"part-00000", "in/2026/11/02/E2SAMPLE.gz", "_var_log_tomcat8_rotated_localhost_access_log.txt1762074000.gz",
		"in/_var_log_tomcat8_x.gz", "run=2026-11-02-09-00-00/atomic/part-0.parquet"}
	for _, k := range hidden {
		if !IsHidden(k) {
			t.Errorf("IsHidden(%q) = false, want true", k)
		}
	}
	for _, k := range visible {
		if IsHidden(k) {
			t.Errorf("IsHidden(%q) = true, want false", k)
		}
	}
}

func TestParseLocation(t *testing.T) {
	cases := []struct{ in, scheme, host, path string }{
		{"s3://bucket/raw/in/", "s3", "bucket", "raw/in"},
		{"s3a://bucket", "s3", "bucket", ""},
		{"hdfs://nn:8020/data/x", "hdfs", "nn:8020", "/data/x"},
		{"hdfs:///data", "hdfs", "", "/data"},
		{"file:///tmp/x/", "file", "", "/tmp/x"},
		{"/abs/path", "file", "", "/abs/path"},
	}
	for _, c := range cases {
		l, err := ParseLocation(c.in)
		if err != nil {
			t.Fatalf("ParseLocation(%q): %v", c.in, err)
		}
		if l.Scheme != c.scheme || l.Host != c.host || l.Path != c.path {
			t.Errorf("ParseLocation(%q) = %+v, want %s %s %s", c.in, l, c.scheme, c.host, c.path)
		}
	}
	for _, bad := range []string{"", "ftp://x/y", "s3:///nobucket", "file://host/x"} {
		if _, err := ParseLocation(bad); err == nil {
			t.Errorf("ParseLocation(%q) succeeded, want an error", bad)
		}
	}
	if got := (Location{Scheme: "s3", Host: "b", Path: "p"}).Child("run=1/x").String(); got != "s3://b/p/run=1/x" {
		t.Errorf("Child = %s", got)
	}
}
