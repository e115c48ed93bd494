package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/shred"
	"github.com/furrowdata/furrow/storage/hdfs"
	"github.com/furrowdata/furrow/storage/location"
	"github.com/furrowdata/furrow/storage/s3"
)

// TestJobSpecShipsLocalFiles: local configuration files travel inline (a
// folder of enrichments as one bundle), relative locations become
// absolute, and the spec turns back into the same job configuration.
func TestJobSpecShipsLocalFiles(t *testing.T) {
	dir := t.TempDir()
	enr := filepath.Join(dir, "enrichments")
	if err := os.Mkdir(enr, 0o755); err != nil {
		t.Fatal(err)
	}
	a := `{"schema":"iglu:com.snowplowanalytics.snowplow/anon_ip/jsonschema/1-0-0","data":{"vendor":"com.snowplowanalytics.snowplow","name":"anon_ip","enabled":true,"parameters":{"anonOctets":1}}}`
	b := `{"schema":"iglu:com.snowplowanalytics.snowplow/campaign_attribution/jsonschema/1-0-0","data":{"enabled":false}}`
	os.WriteFile(filepath.Join(enr, "b.json"), []byte(b), 0o644)
	os.WriteFile(filepath.Join(enr, "a.json"), []byte(a+"\n"), 0o644)
	os.WriteFile(filepath.Join(enr, "README.txt"), []byte("not a config"), 0o644)
	iglu := filepath.Join(dir, "resolver.json")
	resolver := `{"schema":"iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-1","data":{"cacheSize":5,"repositories":[]}}`
	os.WriteFile(iglu, []byte(resolver), 0o644)
	dupInline := `{"schema":"iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0","data":{}}`
	t.Chdir(dir)

	etl := time.Date(2026, 11, 2, 10, 0, 0, 123e6, time.UTC)
	cfg := pipeline.Config{
		Job: pipeline.JobRun, Input: "in", InputFormat: "cloudfront", Output: "s3://bucket/out", AssetsDir: "assets",
		Enrichments: "enrichments", IgluConfig: "file://" + iglu, DuplicateStorageConfig: dupInline,
		OutputFormat: "legacy", ETLTimestamp: etl, WriteEnriched: true, SplitSize: 1 << 20, RowGroupBytes: 3 << 20,
	}
	spec, err := NewJobSpec(context.Background(), "job-1", "coord", cfg, pipeline.Config{Parallelism: 3}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Input != filepath.Join(dir, "in") || spec.Output != "s3://bucket/out" || spec.AssetsDir != filepath.Join(dir, "assets") {
		t.Fatalf("locations: input %q output %q assets %q", spec.Input, spec.Output, spec.AssetsDir)
	}
	decode := func(s string) []byte {
		t.Helper()
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("%q is not base64: %v", s, err)
		}
		return b
	}
	if got := string(decode(spec.IgluConfig)); got != resolver {
		t.Fatalf("iglu config shipped as %s", got)
	}
	if got := string(decode(spec.DuplicateStorageConfig)); got != dupInline {
		t.Fatalf("duplicate storage config shipped as %s", got)
	}
	var bundle struct {
		Schema string            `json:"schema"`
		Data   []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(decode(spec.Enrichments), &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.Schema != enrichmentsBundle || len(bundle.Data) != 2 || !strings.Contains(string(bundle.Data[0]), "anon_ip") {
		t.Fatalf("enrichments bundle: %s with %d configs (want a.json then b.json)", bundle.Schema, len(bundle.Data))
	}

	// Through the wire and back.
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var got JobSpec
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	wc, err := got.Config(NodeLocal{Parallelism: 16, MemoryBudget: 1 << 30, SpillDir: "/spill"})
	if err != nil {
		t.Fatal(err)
	}
	if !wc.ETLTimestamp.Equal(etl) || wc.Partitions != 7 || wc.Parallelism != 3 || wc.MemoryBudget != 1<<30 ||
		wc.SpillDir != "/spill" || wc.OutputFormat != "legacy" || !wc.WriteEnriched || wc.Job != pipeline.JobRun || wc.AssetsDir != spec.AssetsDir ||
		wc.RowGroupBytes != 3<<20 {
		t.Fatalf("worker config: %+v", wc)
	}
	for _, arg := range []string{wc.IgluConfig, wc.Enrichments, wc.DuplicateStorageConfig} {
		if _, err := pipeline.LoadArg(context.Background(), "arg", arg, wc.Storage); err != nil {
			t.Fatalf("the worker cannot load a shipped argument: %v", err)
		}
	}
}

func TestJobSpecErrors(t *testing.T) {
	cfg := pipeline.Config{Job: pipeline.JobRun, Input: "/in", InputFormat: "cloudfront", Output: "/out", ETLTimestamp: time.Now()}
	bad := cfg
	bad.IgluConfig = "/does/not/exist.json"
	if _, err := NewJobSpec(context.Background(), "j", "", bad, pipeline.Config{}, 1); err == nil || !strings.Contains(err.Error(), "--iglu-config") {
		t.Fatalf("a missing local config: %v, want an error naming --iglu-config", err)
	}
	bad = cfg
	bad.ETLTimestamp = time.Time{}
	if _, err := NewJobSpec(context.Background(), "j", "", bad, pipeline.Config{}, 1); err == nil {
		t.Fatal("an unresolved etl timestamp was accepted")
	}
	s := JobSpec{Version: 9, ID: "", Partitions: 0}
	err := s.Validate()
	for _, key := range []string{"v:", "id:", "partitions:", "etl_ms:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Fatalf("Validate: %v, want it to name %s", err, key)
		}
	}
}

// TestTaskOutputWire: shred.Stats (a map with struct keys) survives the
// wire.
func TestTaskOutputWire(t *testing.T) {
	k1 := shred.TypeKey{Schema: event.SchemaKey{Vendor: "com.acme", Name: "link_click", Format: "jsonschema", Version: event.SchemaVer{Model: 1, Revision: 0, Addition: 2}}, Entity: shred.UnstructEvent}
	k2 := shred.TypeKey{Schema: event.SchemaKey{Vendor: "com.acme", Name: "page", Format: "jsonschema", Version: event.SchemaVer{Model: 2}}, Entity: shred.Context}
	in := &pipeline.TaskOutput{Shred: &shred.Stats{
		Events: 42, Types: map[shred.TypeKey]int64{k1: 3, k2: 40},
		MinCollectorTstamp: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), MaxCollectorTstamp: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC),
		Files: []string{"atomic/part-00001.parquet"}, Bytes: 1234,
	}}
	b, err := json.Marshal(outputToWire(in))
	if err != nil {
		t.Fatal(err)
	}
	var w taskOutputWire
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	out, err := outputFromWire(&w)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out.Shred, in.Shred)
	}
	w.Shred.Types[0].Version = "1-x-0"
	if _, err := outputFromWire(&w); err == nil {
		t.Fatal("a bad schema version was accepted")
	}
	if _, err := outputFromWire(nil); err == nil {
		t.Fatal("a missing output was accepted")
	}
}

func TestWinnerList(t *testing.T) {
	m := map[int]int{3: 1, 0: 0, 7: 4}
	w := newWinnerList(m)
	if !reflect.DeepEqual(w, winnerList{{0, 0}, {3, 1}, {7, 4}}) {
		t.Fatalf("winner list %v", w)
	}
	back, err := w.toMap()
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("back: %v %v", back, err)
	}
	if _, err := (winnerList{{1, 0}, {1, 2}}).toMap(); err == nil {
		t.Fatal("a task listed twice was accepted")
	}
}

// TestAssignPartitions: rendezvous hashing spreads partitions, ignores the
// order of members, and moves only the partitions of a removed member.
func TestAssignPartitions(t *testing.T) {
	members := []string{"node-a:7447", "node-b:7447", "node-c:7447", "node-d:7447"}
	const n = 4096
	own := assignPartitions(members, n)
	count := make([]int, len(members))
	for _, i := range own {
		count[i]++
	}
	for i, c := range count {
		if c < n/len(members)*3/4 || c > n/len(members)*5/4 {
			t.Fatalf("member %s owns %d of %d partitions: unbalanced %v", members[i], c, n, count)
		}
	}
	rev := []string{members[3], members[2], members[1], members[0]}
	ownRev := assignPartitions(rev, n)
	for p := range own {
		if members[own[p]] != rev[ownRev[p]] {
			t.Fatalf("partition %d: owner depends on member order", p)
		}
	}
	survivors := []string{members[0], members[1], members[3]}
	after := assignPartitions(survivors, n)
	for p := range own {
		before := members[own[p]]
		if before != members[2] && survivors[after[p]] != before {
			t.Fatalf("partition %d moved from surviving %s to %s", p, before, survivors[after[p]])
		}
	}
}

// TestJobSpecCoversConfig fails when pipeline.Config (or the storage
// configs) gains a field that JobSpec neither ships nor deliberately leaves
// to each node: a new job setting must reach the workers.
func TestJobSpecCoversConfig(t *testing.T) {
	for _, c := range []struct {
		typ   reflect.Type
		known []string
	}{
		{reflect.TypeOf(pipeline.Config{}), []string{
			// shipped
			"Job", "Input", "InputFormat", "Output", "Bad", "Enrichments", "AssetsDir", "IgluConfig",
			"DuplicateStorageConfig", "OutputFormat", "ETLTimestamp", "WriteEnriched", "Partitions",
			"Parallelism", "MemoryBudget", "SplitSize", "RowGroupBytes", "Storage",
			// the worker's own
			"SpillDir", "WrapStore", "Logger", "ProgressOut",
		}},
		{reflect.TypeOf(s3.Config{}), []string{
			"SSE", "SSEKMSKeyID", "SSEOnParts", "PathStyle", "Endpoint", "Region", "PartSize", "Concurrency",
			"MaxAttempts", "MaxBackoff",
			"Credentials", "Logger", // each node's credential chain and logger
		}},
		{reflect.TypeOf(hdfs.Config{}), []string{"User", "ConfDir", "DialTimeout", "Logger"}},
		{reflect.TypeOf(location.Options{}), []string{"S3", "HDFS", "Logger"}},
	} {
		known := map[string]bool{}
		for _, k := range c.known {
			known[k] = true
		}
		for i := 0; i < c.typ.NumField(); i++ {
			if f := c.typ.Field(i); f.IsExported() && !known[f.Name] {
				t.Errorf("%s.%s is new: ship it in JobSpec (spec.go) or list it as node-local here", c.typ, f.Name)
			}
		}
	}
}
