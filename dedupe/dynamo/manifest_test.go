package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/furrowdata/furrow/dedupe"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

func testConfig(table string) Config {
	return Config{
		Schema: event.SchemaVer{Model: 2}, Name: "test", Purpose: "EVENTS_MANIFEST",
		AccessKeyID: "furrow", SecretAccessKey: "furrow", Region: "us-east-1", Table: table,
	}
}

func open(t *testing.T, endpoint, table string, opts Options) *Manifest {
	t.Helper()
	opts.Endpoint = endpoint
	m, err := Open(context.Background(), testConfig(table), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return m
}

func ts(s string) time.Time {
	t, err := event.ParseTimestamp(s)
	if err != nil {
		panic(err)
	}
	return t
}

func check(t *testing.T, m *Manifest, items ...dedupe.Item) []bool {
	t.Helper()
	keep := make([]bool, len(items))
	if err := m.Check(context.Background(), items, keep); err != nil {
		t.Fatalf("Check: %v", err)
	}
	return keep
}

func getItem(t *testing.T, m *Manifest, id, fp string) map[string]types.AttributeValue {
	t.Helper()
	out, err := m.Client().GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(m.Table()),
		ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			AttrEventID: &types.AttributeValueMemberS{Value: id}, AttrFingerprint: &types.AttributeValueMemberS{Value: fp},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func num(t *testing.T, item map[string]types.AttributeValue, attr string) string {
	t.Helper()
	n, ok := item[attr].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s is %T, want N", attr, item[attr])
	}
	return n.Value
}

const (
	id1 = "1799a90f-f570-4414-b91a-b0db8f39cc2e"
	id2 = "2718ac0f-f510-4314-a98a-cfdb8f39abe4"
	fpA = "bed9a39a0917874d2ff072033a6413d8"
	fpB = "e79bef64f3185e9d7c10d5dfdf27b9a3"
)

func TestCheckFreshSeenAndInterruptedRun(t *testing.T) {
	m := open(t, testservers.Dynalite(t), "manifest", Options{CreateTable: true})
	batch1, batch2 := ts("2024-03-01 10:00:00.123"), ts("2024-03-02 10:00:00.000")

	if got := check(t, m, dedupe.Item{EventID: id1, Fingerprint: fpA, ETLTime: batch1}, dedupe.Item{EventID: id2, Fingerprint: fpA, ETLTime: batch1}); !slices.Equal(got, []bool{true, true}) {
		t.Fatalf("fresh events: keep %v", got)
	}
	item := getItem(t, m, id1, fpA)
	if len(item) != 4 || num(t, item, AttrETLTime) != "1709287200" || num(t, item, AttrTTL) != fmt.Sprint(1709287200+TTLSeconds) {
		t.Fatalf("stored item %v", item)
	}
	// Another batch: seen → dropped; a new fingerprint of a seen id → kept.
	if got := check(t, m, dedupe.Item{EventID: id1, Fingerprint: fpA, ETLTime: batch2}, dedupe.Item{EventID: id1, Fingerprint: fpB, ETLTime: batch2}); !slices.Equal(got, []bool{false, true}) {
		t.Fatalf("second batch: keep %v", got)
	}
	if num(t, getItem(t, m, id1, fpA), AttrETLTime) != "1709287200" {
		t.Fatal("a failed put changed the stored etlTime")
	}
	// The first batch again (an interrupted run retried): same etl second → kept.
	if got := check(t, m, dedupe.Item{EventID: id1, Fingerprint: fpA, ETLTime: batch1.Add(500 * time.Millisecond)}, dedupe.Item{EventID: id2, Fingerprint: fpA, ETLTime: batch1}); !slices.Equal(got, []bool{true, true}) {
		t.Fatalf("re-run: keep %v", got)
	}
	if stored, dups := m.Counts(); stored != 5 || dups != 1 {
		t.Fatalf("counts %d stored, %d duplicates", stored, dups)
	}
}

// createRDBTable creates the table the way RDB Shredder's events-manifest
// did (DynamoDbManifest.createTable) and writes one item the way its put
// did, without going through this package.
func createRDBTable(t *testing.T, client *dynamodb.Client, table string) {
	t.Helper()
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("eventId"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("fingerprint"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("eventId"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("fingerprint"), KeyType: types.KeyTypeRange},
		},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(20), WriteCapacityUnits: aws.Int64(100)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"eventId":     &types.AttributeValueMemberS{Value: id1},
			"fingerprint": &types.AttributeValueMemberS{Value: fpA},
			"etlTime":     &types.AttributeValueMemberN{Value: "1480236400"}, // 2016-11-27 08:46:40
			"ttl":         &types.AttributeValueMemberN{Value: "1495788400"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExistingRDBShredderTable(t *testing.T) {
	endpoint := testservers.Dynalite(t)
	boot := open(t, endpoint, "bootstrap", Options{CreateTable: true}) // just for a client
	createRDBTable(t, boot.Client(), "rdb-manifest")

	m := open(t, endpoint, "rdb-manifest", Options{}) // must exist: no CreateTable
	got := check(t, m,
		dedupe.Item{EventID: id1, Fingerprint: fpA, ETLTime: ts("2016-11-28 08:46:40.000")}, // RDB saw it in another batch
		dedupe.Item{EventID: id1, Fingerprint: fpB, ETLTime: ts("2016-11-28 08:46:40.000")},
	)
	if !slices.Equal(got, []bool{false, true}) {
		t.Fatalf("keep %v", got)
	}
	if got := check(t, m, dedupe.Item{EventID: id1, Fingerprint: fpA, ETLTime: ts("2016-11-27 08:46:40.999")}); !got[0] {
		t.Fatal("same etl second as RDB's entry was dropped")
	}
}

func TestTableChecks(t *testing.T) {
	endpoint := testservers.Dynalite(t)
	_, err := Open(context.Background(), testConfig("missing"), Options{Endpoint: endpoint})
	if err == nil || !strings.Contains(err.Error(), "table missing for the events manifest does not exist") {
		t.Fatalf("missing table: %v", err)
	}

	m := open(t, endpoint, "created", Options{CreateTable: true, OnDemand: true})
	out, err := m.Client().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("created")})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkKeySchema("created", out.Table); err != nil || out.Table.TableStatus != types.TableStatusActive {
		t.Fatalf("created table: %v, status %s", err, out.Table.TableStatus)
	}
	// Opening again (another worker) is fine.
	open(t, endpoint, "created", Options{CreateTable: true})

	_, err = m.Client().CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:             aws.String("wrong-keys"),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), testConfig("wrong-keys"), Options{Endpoint: endpoint})
	if err == nil || !strings.Contains(err.Error(), "want HASH eventId and RANGE fingerprint") {
		t.Fatalf("wrong key schema: %v", err)
	}
}

func TestConcurrentPutsOfOneKey(t *testing.T) {
	m := open(t, testservers.Dynalite(t), "race", Options{CreateTable: true})
	const n = 8
	var wg sync.WaitGroup
	var kept atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keep := make([]bool, 1)
			// Eight batches (different etl seconds) race for one key.
			if err := m.Check(context.Background(), []dedupe.Item{{EventID: id1, Fingerprint: fpA, ETLTime: time.Unix(int64(1e9+i), 0)}}, keep); err != nil {
				t.Error(err)
			}
			if keep[0] {
				kept.Add(1)
			}
		}()
	}
	wg.Wait()
	if kept.Load() != 1 {
		t.Fatalf("%d of %d racing batches kept the event, want exactly 1", kept.Load(), n)
	}
}

// throttlingProxy forwards to dynalite but answers PutItem with
// ProvisionedThroughputExceededException while fail(n) is true for the
// n-th PutItem (1-based).
func throttlingProxy(t *testing.T, endpoint string, fail func(n int64) bool) (string, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var puts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".PutItem") {
			if n := puts.Add(1); fail(n) {
				_, _ = io.Copy(io.Discard, r.Body)
				body := `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, body)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &puts
}

func TestThrottlingIsRetriedThenAborts(t *testing.T) {
	endpoint := testservers.Dynalite(t)
	open(t, endpoint, "throttled", Options{CreateTable: true})
	opts := Options{MaxAttempts: 4, MaxBackoff: 10 * time.Millisecond, Concurrency: 1}

	// Two throttled attempts, then success: retried transparently.
	url, puts := throttlingProxy(t, endpoint, func(n int64) bool { return n <= 2 })
	m := open(t, url, "throttled", opts)
	if got := check(t, m, dedupe.Item{EventID: id1, Fingerprint: fpA, ETLTime: ts("2024-01-01 00:00:00.000")}); !got[0] || puts.Load() != 3 {
		t.Fatalf("keep %v after %d PutItem requests, want kept after 3", got, puts.Load())
	}

	// Always throttled: MaxAttempts, then an error; the Deduper aborts and
	// emits nothing.
	url, puts = throttlingProxy(t, endpoint, func(int64) bool { return true })
	m = open(t, url, "throttled", opts)
	keep := make([]bool, 1)
	err := m.Check(context.Background(), []dedupe.Item{{EventID: id2, Fingerprint: fpA, ETLTime: ts("2024-01-01 00:00:00.000")}}, keep)
	if !errors.Is(err, ErrThroughput) || puts.Load() != 4 {
		t.Fatalf("err %v after %d attempts, want ErrThroughput after 4", err, puts.Load())
	}
	d, err := dedupe.New(dedupe.Config{Manifest: m, ETLTime: ts("2024-01-01 00:00:00.000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Add(line(id2, fpA, "2024-01-01 00:00:00.000", "2024-01-01 00:00:00.000")); err != nil {
		t.Fatal(err)
	}
	emitted := 0
	if _, err := d.Finish(context.Background(), func([]byte, *dedupe.Synthetic) error { emitted++; return nil }); !errors.Is(err, ErrThroughput) || emitted != 0 {
		t.Fatalf("Finish: %v, emitted %d", err, emitted)
	}
}

// line builds an enriched TSV line.
func line(id, fp, etl, collector string) []byte {
	var e event.Event
	e.Fields[event.AppID] = "blog"
	e.Fields[event.Platform] = "web"
	e.Fields[event.ETLTstamp] = etl
	e.Fields[event.CollectorTstamp] = collector
	e.Fields[event.EventType] = "page_view"
	e.Fields[event.EventID] = id
	e.Fields[event.EventFingerprint] = fp
	return event.AppendTSV(nil, &e)
}

func runDedupe(t *testing.T, m *Manifest, etl time.Time, lines [][]byte) ([]string, dedupe.Stats) {
	t.Helper()
	d, err := dedupe.New(dedupe.Config{Manifest: m, ETLTime: etl})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if err := d.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	st, err := d.Finish(context.Background(), func(l []byte, _ *dedupe.Synthetic) error {
		out = append(out, string(l))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

func scanEventIDs(t *testing.T, m *Manifest) []string {
	t.Helper()
	var ids []string
	p := dynamodb.NewScanPaginator(m.Client(), &dynamodb.ScanInput{TableName: aws.String(m.Table())})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			ids = append(ids, it[AttrEventID].(*types.AttributeValueMemberS).Value)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestConcurrentReducers(t *testing.T) {
	m := open(t, testservers.Dynalite(t), "reducers", Options{CreateTable: true})
	const parts, perPart = 4, 40
	mk := func(p, i int, etl string) []byte {
		return line(fmt.Sprintf("%08x-0000-4000-8000-%012x", p, i), fmt.Sprintf("fp%d", i%7), etl, "2024-01-01 00:00:00.000")
	}
	runBatch := func(etl string, from, to int) (kept int64) {
		var wg sync.WaitGroup
		var total atomic.Int64
		for p := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var lines [][]byte
				for i := from; i < to; i++ {
					lines = append(lines, mk(p, i, etl))
				}
				d, _ := dedupe.New(dedupe.Config{Manifest: m, ETLTime: ts(etl), ManifestBatch: 16})
				for _, l := range lines {
					if err := d.Add(l); err != nil {
						t.Error(err)
						return
					}
				}
				st, err := d.Finish(context.Background(), func([]byte, *dedupe.Synthetic) error { return nil })
				if err != nil {
					t.Error(err)
				}
				total.Add(st.Emitted)
			}()
		}
		wg.Wait()
		return total.Load()
	}
	if kept := runBatch("2024-01-01 01:00:00.000", 0, perPart); kept != parts*perPart {
		t.Fatalf("batch 1 kept %d, want %d", kept, parts*perPart)
	}
	// Batch 2 overlaps half of batch 1 and adds as many new events.
	if kept := runBatch("2024-01-02 01:00:00.000", perPart/2, perPart*3/2); kept != parts*perPart/2 {
		t.Fatalf("batch 2 kept %d, want %d (only the new events)", kept, parts*perPart/2)
	}
	// Batch 2 retried after an interruption: it keeps what it kept.
	if kept := runBatch("2024-01-02 01:00:00.000", perPart/2, perPart*3/2); kept != parts*perPart/2 {
		t.Fatalf("batch 2 re-run kept %d, want %d", kept, parts*perPart/2)
	}
	if got := len(scanEventIDs(t, m)); got != parts*perPart*3/2 {
		t.Fatalf("%d items stored, want %d", got, parts*perPart*3/2)
	}
}

// TestCrossBatchScenario reproduces RDB Shredder's CrossBatchDeduplicationSpec
// with this package's own data: an event stored by a previous batch is
// dropped, one stored by this batch (an interrupted run) kept, natural
// duplicates collapsed before the manifest, a new event kept.
func TestCrossBatchScenario(t *testing.T) {
	m := open(t, testservers.Dynalite(t), "crossbatch", Options{CreateTable: true})
	now := time.Now().UTC().Truncate(time.Millisecond)
	cur, prev := event.FormatTimestamp(now), event.FormatTimestamp(now.Add(-7200*time.Millisecond))
	const (
		seen  = "aaaaaaaa-0000-4000-8000-000000000001"
		dup   = "bbbbbbbb-0000-4000-8000-000000000002"
		rerun = "cccccccc-0000-4000-8000-000000000003"
	)
	check(t, m,
		dedupe.Item{EventID: seen, Fingerprint: fpA, ETLTime: ts(prev)},
		dedupe.Item{EventID: "randomUuid", Fingerprint: fpA, ETLTime: ts(prev)},
		dedupe.Item{EventID: seen, Fingerprint: "randomFp", ETLTime: ts(prev)},
		dedupe.Item{EventID: rerun, Fingerprint: fpB, ETLTime: ts(cur)},
	)
	out, st := runDedupe(t, m, ts(cur), [][]byte{
		line(seen, fpA, cur, "2016-11-27 07:16:07.000"),
		line(dup, "aba1c39a091787aa231072033a647caa", cur, "2016-11-27 06:26:17.000"),
		line(dup, "aba1c39a091787aa231072033a647caa", cur, "2016-11-27 06:26:17.000"),
		line(rerun, fpB, cur, "2016-11-27 18:12:17.000"),
	})
	var ids []string
	for _, l := range out {
		ids = append(ids, strings.Split(l, "\t")[event.EventID])
	}
	if !slices.Equal(ids, []string{dup, rerun}) || st.NaturalDuplicates != 1 || st.CrossBatchDuplicates != 1 {
		t.Fatalf("kept %v, stats %+v", ids, st)
	}
	if got, want := scanEventIDs(t, m), []string{seen, seen, dup, rerun, "randomUuid"}; !slices.Equal(got, want) {
		t.Fatalf("stored ids %v, want %v", got, want)
	}
}
