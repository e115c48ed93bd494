package s3

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	valid := []Config{
		{},
		{SSE: "none"},
		{SSE: "AES256"},
		{SSE: "aes256"},
		{SSE: SSEKMS},
		{SSE: SSEKMS, SSEKMSKeyID: "arn:aws:kms:eu-west-1:1:key/x"},
		{SSE: SSEAES256, SSEOnParts: true},
		{PartSize: MinPartSize, Concurrency: 8, MaxAttempts: 1, MaxBackoff: time.Second, Endpoint: "http://127.0.0.1:9000"},
	}
	for _, c := range valid {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, c := range []struct {
		cfg  Config
		keys []string
	}{
		{Config{SSE: "AES128"}, []string{"s3.sse:"}},
		{Config{SSEKMSKeyID: "k"}, []string{"s3.sse_kms_key_id"}},
		{Config{SSE: SSEAES256, SSEKMSKeyID: "k"}, []string{"s3.sse_kms_key_id"}},
		{Config{SSEOnParts: true}, []string{"s3.sse_on_parts"}},
		{Config{PartSize: MinPartSize - 1, Concurrency: -1, MaxAttempts: -2, MaxBackoff: -time.Second},
			[]string{"s3.part_size", "s3.concurrency", "s3.max_attempts", "s3.max_backoff"}},
		{Config{Endpoint: "127.0.0.1:9000"}, []string{"s3.endpoint"}},
	} {
		err := c.cfg.Validate()
		for _, k := range c.keys {
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%+v: error %v does not name %s", c.cfg, err, k)
			}
		}
	}
}

func TestConfigDefaultsAndEnvironment(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	c := Config{SSE: "none"}.withDefaults(getenv)
	if c.SSE != SSENone || c.PartSize != DefaultPartSize || c.Concurrency != DefaultConcurrency ||
		c.MaxAttempts != DefaultMaxAttempts || c.MaxBackoff != DefaultMaxBackoff || c.PathStyle || c.Endpoint != "" || c.Logger == nil {
		t.Fatalf("defaults: %+v", c)
	}
	env["AWS_ENDPOINT_URL"] = "http://generic:1"
	if c := (Config{}).withDefaults(getenv); c.Endpoint != "http://generic:1" {
		t.Errorf("AWS_ENDPOINT_URL not used: %q", c.Endpoint)
	}
	env["AWS_ENDPOINT_URL_S3"] = "http://s3only:2"
	env[EnvPathStyle] = "TRUE"
	if c := (Config{}).withDefaults(getenv); c.Endpoint != "http://s3only:2" || !c.PathStyle {
		t.Errorf("AWS_ENDPOINT_URL_S3 / %s not used: %+v", EnvPathStyle, c)
	}
	if c := (Config{Endpoint: "http://explicit:3", SSE: "aes256"}).withDefaults(getenv); c.Endpoint != "http://explicit:3" || c.SSE != SSEAES256 {
		t.Errorf("explicit settings overridden: %+v", c)
	}
	env[EnvPathStyle] = "false"
	if c := (Config{}).withDefaults(getenv); c.PathStyle {
		t.Error("FURROW_S3_PATH_STYLE=false turned path style on")
	}
}

func TestFolderMarkers(t *testing.T) {
	for key, want := range map[string]bool{
		"in/":               true,
		"in/sub/":           true,
		"in_$folder$":       true,
		"in/a.tsv":          false,
		"in/_SUCCESS":       false, // left to storage.IsHidden
		"_var_log_tomcat8_": false,
	} {
		if got := isFolderMarker(key, 0); got != want {
			t.Errorf("isFolderMarker(%q, 0) = %v", key, got)
		}
	}
	if isFolderMarker("odd/", 12) {
		t.Error("a non-empty key ending in / is data, not a marker")
	}
}

func TestBackoffBounded(t *testing.T) {
	for i := 1; i < 40; i++ {
		if d := backoff(i, time.Second); d <= 0 || d > time.Second {
			t.Fatalf("backoff(%d) = %v", i, d)
		}
	}
}
