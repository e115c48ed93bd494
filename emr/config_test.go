package emr

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/storage/s3"
)

func readSample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/furrow.yml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSample(t *testing.T) {
	c, err := Parse(readSample(t), "testdata/furrow.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("sample does not validate:\n%v", err)
	}
	b := c.AWS.S3.Buckets
	if len(b.Raw.In) != 1 || b.Raw.In[0] != "s3://acme-collector-logs/cloudfront" || b.Raw.Processing != "s3://acme-etl/processing" {
		t.Errorf("raw: %+v", b.Raw)
	}
	if b.Shredded.Archive != "s3://acme-archive/shredded" || b.Enriched.Good != "s3://acme-data/enriched/good" {
		t.Errorf("buckets: %+v", b)
	}
	if c.SSE() != s3.SSEAES256 {
		t.Errorf("encrypted: true gives SSE %q", c.SSE())
	}
	if c.Furrow.MemoryBudget != 8<<30 {
		t.Errorf("memory_budget = %d", c.Furrow.MemoryBudget)
	}
	if c.LockLocation() != "s3://acme-etl/furrow.lock" {
		t.Errorf("lock = %s", c.LockLocation())
	}
	// Defaults.
	if c.Furrow.Cluster.GossipPort != DefaultGossipPort || c.Furrow.Cluster.ShufflePort != DefaultShufflePort ||
		c.Furrow.Cluster.User != "furrow" || len(c.Furrow.Cluster.Join) != 0 || !*c.Furrow.WriteEnriched {
		t.Errorf("defaults: %+v", c.Furrow.Cluster)
	}
	if len(c.Notes()) == 0 {
		t.Error("the sample sets EmrEtlRunner keys furrow ignores, but Notes is empty")
	}
	if s := c.S3Config(); s.Credentials != nil || s.Region != "eu-west-1" {
		t.Errorf("S3Config: %+v", s)
	}
}

func TestParseRejectsEveryUnknownKey(t *testing.T) {
	doc := strings.Replace(string(readSample(t)), "    region: eu-west-1\n    path_style", "    regoin: eu-west-1\n    path_style", 1)
	doc = strings.Replace(doc, "collectors:\n  format: cloudfront", "collectors:\n  fromat: cloudfront", 1)
	doc = strings.Replace(doc, "      raw:\n        in:", "      raw:\n        inn: x\n        in:", 1)
	doc += "extra_section:\n  a: 1\n"
	_, err := Parse([]byte(doc), "bad.yml")
	if err == nil {
		t.Fatal("unknown keys accepted")
	}
	for _, want := range []string{
		"aws.s3.regoin (line 8): unknown key",
		"collectors.fromat",
		"aws.s3.buckets.raw.inn",
		"extra_section",
		"the top level takes aws, collectors, enrich, furrow, monitoring, shred, storage",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestParseTypeErrorsNameTheKey(t *testing.T) {
	doc := `
aws:
  s3:
    buckets:
      encrypted: maybe
furrow:
  memory_budget: lots
  partitions: many
`
	_, err := Parse([]byte(doc), "t.yml")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"aws.s3.buckets.encrypted (line 5)", "furrow.memory_budget (line 7)", "furrow.partitions (line 8)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

func TestParseEnvReferences(t *testing.T) {
	t.Setenv("FURROW_TEST_KEY", "AKIAEXAMPLE")
	t.Setenv("FURROW_TEST_SECRET", "s3cr3t")
	doc := "aws:\n  access_key_id: <%= ENV['FURROW_TEST_KEY'] %>\n  secret_access_key: <%= ENV[\"FURROW_TEST_SECRET\"] %>\n"
	c, err := Parse([]byte(doc), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.AWS.AccessKeyID != "AKIAEXAMPLE" || c.AWS.SecretAccessKey != "s3cr3t" {
		t.Fatalf("got %+v", c.AWS)
	}
	if c.S3Config().Credentials == nil {
		t.Error("a literal key pair gives no static credentials")
	}
	_, err = Parse([]byte("aws:\n  access_key_id: <%= ENV['FURROW_TEST_UNSET_VARIABLE'] %>\n"), "t.yml")
	if err == nil || !strings.Contains(err.Error(), "FURROW_TEST_UNSET_VARIABLE") {
		t.Fatalf("unset variable: %v", err)
	}
}

func TestParseRubySymbolKeysHint(t *testing.T) {
	_, err := Parse([]byte(":aws:\n  :s3:\n    :region: x\n"), "old.yml")
	if err == nil || !strings.Contains(err.Error(), "Ruby-symbol") {
		t.Fatalf("got %v", err)
	}
}

func TestRawInTakesStringOrList(t *testing.T) {
	for doc, want := range map[string]int{
		"aws: {s3: {buckets: {raw: {in: s3://a/x}}}}":             1,
		"aws: {s3: {buckets: {raw: {in: [s3://a/x, s3://b/y]}}}}": 2,
	} {
		c, err := Parse([]byte(doc), "t.yml")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.AWS.S3.Buckets.Raw.In) != want {
			t.Errorf("%s: %v", doc, c.AWS.S3.Buckets.Raw.In)
		}
	}
}

func TestValidateNamesEveryBadKey(t *testing.T) {
	doc := `
aws:
  access_key_id: AKIA
  s3:
    sse: rot13
    part_size: 1KB
    buckets:
      encrypted: true
      raw:
        in: s3://logs/in
        processing: s3://logs/in/processing
      enriched:
        good: s3://data/enriched/good
        stream: s3://data/stream
      shredded:
        good: ftp://data/shredded
collectors:
  format: carrier-pigeon
enrich:
  output_compression: GZIP
shred:
  format: csv
furrow:
  partitions: -1
  lock: hdfs://nn/lock
  cluster:
    gossip_port: 7447
    join: [master]
    user: Root!
    tls_bundle_source: /local/certs.zip
  release:
    binary: ftp://x/furrow
    sha256: abc
  steps:
    action_on_failure: PANIC
`
	c, err := Parse([]byte(doc), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil {
		t.Fatal("valid")
	}
	for _, want := range []string{
		"aws.s3.buckets.raw.archive: required",
		"aws.s3.buckets.enriched.bad: required",
		"aws.s3.buckets.shredded.archive: required",
		"aws.s3.buckets.shredded.good: location",
		"aws.s3.buckets.enriched.stream",
		"aws.s3.buckets.raw.processing (s3://logs/in/processing) is inside aws.s3.buckets.raw.in[0]",
		"collectors.format",
		"enrich.output_compression: GZIP",
		"shred.format",
		"aws.access_key_id and aws.secret_access_key",
		"aws.s3.sse: \"rot13\"",
		"aws.s3.part_size",
		"furrow.partitions",
		"furrow.lock",
		"furrow.cluster.shuffle_port and gossip_port",
		"furrow.cluster.join[0]",
		"furrow.cluster.user",
		"furrow.cluster.tls_bundle_source",
		"furrow.release.binary",
		"furrow.release.sha256",
		"furrow.steps.action_on_failure",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate does not mention %q", want)
		}
	}
	if t.Failed() {
		t.Logf("Validate:\n%v", err)
	}
}

func TestPlanStepsAsEmrEtlRunner(t *testing.T) {
	type want struct {
		staging, enrich, shred, archiveRaw bool
		ae, as                             string
	}
	for _, tc := range []struct {
		skip   []string
		resume string
		want   want
	}{
		{nil, "", want{true, true, true, true, ArchivePipeline, ArchivePipeline}},
		{[]string{"staging"}, "", want{false, true, true, true, ArchivePipeline, ArchivePipeline}},
		{[]string{"shred"}, "", want{true, true, false, true, ArchivePipeline, ArchiveRecover}},
		{[]string{"staging", "enrich"}, "", want{false, false, true, true, ArchiveRecover, ArchivePipeline}},
		{[]string{"archive_raw", "rdb_load"}, "", want{true, true, true, false, ArchivePipeline, ArchivePipeline}},
		{nil, "enrich", want{false, true, true, true, ArchivePipeline, ArchivePipeline}},
		{nil, "shred", want{false, false, true, true, ArchiveRecover, ArchivePipeline}},
		{nil, "archive_raw", want{false, false, false, true, ArchiveRecover, ArchiveRecover}},
		{nil, "rdb_load", want{false, false, false, false, ArchiveRecover, ArchiveRecover}},
		{nil, "archive_enriched", want{false, false, false, false, ArchiveRecover, ArchiveRecover}},
		{nil, "archive_shredded", want{false, false, false, false, ArchiveSkip, ArchiveRecover}},
	} {
		p, err := PlanSteps(tc.skip, tc.resume)
		if err != nil {
			t.Fatal(err)
		}
		got := want{p.Staging, p.Enrich, p.Shred, p.ArchiveRaw, p.ArchiveEnriched, p.ArchiveShredded}
		if got != tc.want {
			t.Errorf("skip %v resume %q: got %+v, want %+v", tc.skip, tc.resume, got, tc.want)
		}
	}
	for _, bad := range []struct {
		skip   []string
		resume string
		msg    string
	}{
		{[]string{"stagin"}, "", "--skip: \"stagin\""},
		{nil, "staging", "--resume-from: \"staging\""},
		{[]string{"staging"}, "enrich", "mutually exclusive"},
	} {
		if _, err := PlanSteps(bad.skip, bad.resume); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("skip %v resume %q: %v", bad.skip, bad.resume, err)
		}
	}
}

func TestInside(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"s3://b/x/y", "s3://b/x", true},
		{"s3://b/x", "s3://b/x/", true},
		{"s3://b/xy", "s3://b/x", false},
		{"s3://b/x", "s3://c/x", false},
		{"s3://b/anything", "s3://b", true},
		{"/data/in/p", "/data/in", true},
	} {
		if got := inside(tc.a, tc.b); got != tc.want {
			t.Errorf("inside(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

// FuzzParse: any input gives a config or an error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add(readSampleF(f))
	f.Add([]byte("aws: {s3: {buckets: {raw: {in: [a, b]}}}}"))
	f.Add([]byte("furrow: {memory_budget: 12GB, cluster: {join: [x:1]}}"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b, "fuzz.yml")
		if err == nil {
			_ = c.Validate()
			_ = c.Notes()
		}
	})
}

func readSampleF(f *testing.F) []byte {
	b, err := os.ReadFile("testdata/furrow.yml")
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func TestParseAliasBomb(t *testing.T) {
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := range 8 {
		name := string(rune('b' + i))
		doc += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	done := make(chan error, 1)
	go func() {
		_, err := Parse([]byte("aws:\n  emr:\n    configuration:\n"+indent(doc)), "bomb.yml")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("an alias bomb parsed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Parse did not return within 10s on an alias bomb")
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("      " + l + "\n")
	}
	return b.String()
}
