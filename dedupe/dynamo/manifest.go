package dynamo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/furrowdata/furrow/dedupe"
)

// The table layout of RDB Shredder's duplicate storage (snowplow
// events-manifest DynamoDbManifest), kept byte for byte so that a table
// written by RDB Shredder keeps working: HASH key eventId (S), RANGE key
// fingerprint (S), etlTime (N, etl_tstamp in epoch seconds), ttl (N,
// etlTime + 180 days, the table's TTL attribute).
const (
	AttrEventID     = "eventId"
	AttrFingerprint = "fingerprint"
	AttrETLTime     = "etlTime"
	AttrTTL         = "ttl"

	// TTLSeconds is how long an entry lives after its etlTime (180 days).
	TTLSeconds = 180 * 24 * 60 * 60

	// putCondition is RDB Shredder's condition: the key is new, or it was
	// stored by this same batch (same etlTime: an interrupted earlier run).
	putCondition = "(attribute_not_exists(" + AttrEventID + ") AND attribute_not_exists(" + AttrFingerprint + ")) OR " + AttrETLTime + " = :tst"
)

// ErrThroughput is wrapped by Check errors caused by DynamoDB throttling
// (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded) that
// outlasted the bounded retries. The job must abort: dropping or keeping
// the event without an answer would be a guess.
var ErrThroughput = errors.New("dynamo: DynamoDB throughput exceeded after retries")

// Options are the Go-side settings of a Manifest (the JSON config carries
// only what RDB Shredder's did). The zero value plus defaults is production
// AWS with the table required to exist, as RDB Shredder required.
type Options struct {
	// Endpoint overrides the DynamoDB endpoint (e.g. dynalite,
	// "http://127.0.0.1:4567"). Empty: AWS for the config's region.
	Endpoint string
	// CreateTable creates the table when it is missing, with RDB Shredder's
	// key schema and TTL on "ttl". Default false: a missing table is an
	// error, as in RDB Shredder.
	CreateTable bool
	// OnDemand creates the table with PAY_PER_REQUEST billing instead of
	// provisioned ReadCapacity / WriteCapacity.
	OnDemand bool
	// ReadCapacity and WriteCapacity provision a created table. Defaults 20
	// and 100 (events-manifest's defaults).
	ReadCapacity, WriteCapacity int64
	// Concurrency is the number of PutItem requests in flight per Check.
	// Default 16.
	Concurrency int
	// MaxAttempts bounds the attempts per request (first included), with
	// exponential backoff up to MaxBackoff on throttling and transient
	// errors. Defaults 10 and 20s.
	MaxAttempts int
	MaxBackoff  time.Duration
	// TableWait bounds the wait for the table to become ACTIVE. Default 5m.
	TableWait time.Duration
	// Logger receives warnings (e.g. TTL could not be enabled). Default:
	// discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.ReadCapacity == 0 {
		o.ReadCapacity = 20
	}
	if o.WriteCapacity == 0 {
		o.WriteCapacity = 100
	}
	if o.Concurrency == 0 {
		o.Concurrency = 16
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 10
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 20 * time.Second
	}
	if o.TableWait == 0 {
		o.TableWait = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Validate reports invalid options, naming them.
func (o Options) Validate() error {
	var errs []error
	if o.ReadCapacity < 0 || o.WriteCapacity < 0 {
		errs = append(errs, fmt.Errorf("dynamo options: ReadCapacity %d / WriteCapacity %d must be positive", o.ReadCapacity, o.WriteCapacity))
	}
	if o.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("dynamo options: Concurrency %d is negative", o.Concurrency))
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("dynamo options: MaxAttempts %d is negative", o.MaxAttempts))
	}
	if o.MaxBackoff < 0 || o.TableWait < 0 {
		errs = append(errs, fmt.Errorf("dynamo options: MaxBackoff %v / TableWait %v is negative", o.MaxBackoff, o.TableWait))
	}
	return errors.Join(errs...)
}

// Manifest is the cross-batch manifest in a DynamoDB table (RDB Shredder's
// layout). It implements dedupe.Manifest and is safe for concurrent use by
// many Dedupers.
type Manifest struct {
	client *dynamodb.Client
	table  string
	opts   Options

	puts, duplicates atomic.Int64
}

var _ dedupe.Manifest = (*Manifest)(nil)

// Open connects to the table of cfg, checks (or, with Options.CreateTable,
// creates) it, and waits until it is ACTIVE. An existing table must have RDB
// Shredder's key schema.
func Open(ctx context.Context, cfg Config, opts Options) (*Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	loadOpts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.AccessKeyID != "" {
		loadOpts = append(loadOpts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS config for DynamoDB table %s: %w", cfg.Table, err)
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = opts.MaxAttempts
			so.MaxBackoff = opts.MaxBackoff
			// No client-side retry quota: throttling is retried up to
			// MaxAttempts, then Check fails and the job aborts.
			so.RateLimiter = ratelimit.None
		})
	})
	m := &Manifest{client: client, table: cfg.Table, opts: opts}
	if err := m.ensureTable(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Table returns the table name.
func (m *Manifest) Table() string { return m.table }

// Client returns the DynamoDB client (for tests and tooling).
func (m *Manifest) Client() *dynamodb.Client { return m.client }

// Counts returns how many items Check stored (or re-stored with the same
// etlTime) and how many it found stored by another batch, since Open.
func (m *Manifest) Counts() (stored, duplicates int64) {
	return m.puts.Load(), m.duplicates.Load()
}

func (m *Manifest) ensureTable(ctx context.Context) error {
	out, err := m.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(m.table)})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		if !m.opts.CreateTable {
			return fmt.Errorf("dynamo: table %s for the events manifest does not exist (create it, or set CreateTable)", m.table)
		}
		if err := m.createTable(ctx); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("describing DynamoDB table %s: %w", m.table, err)
	default:
		if err := checkKeySchema(m.table, out.Table); err != nil {
			return err
		}
	}
	return m.waitActive(ctx)
}

// checkKeySchema verifies RDB Shredder's key schema.
func checkKeySchema(table string, d *types.TableDescription) error {
	want := map[string]types.KeyType{AttrEventID: types.KeyTypeHash, AttrFingerprint: types.KeyTypeRange}
	if len(d.KeySchema) != 2 {
		return fmt.Errorf("dynamo: table %s has %d key attributes, want HASH %s and RANGE %s", table, len(d.KeySchema), AttrEventID, AttrFingerprint)
	}
	for _, k := range d.KeySchema {
		if want[aws.ToString(k.AttributeName)] != k.KeyType {
			return fmt.Errorf("dynamo: table %s has key %s %s, want HASH %s and RANGE %s", table, aws.ToString(k.AttributeName), k.KeyType, AttrEventID, AttrFingerprint)
		}
	}
	for _, a := range d.AttributeDefinitions {
		if _, ok := want[aws.ToString(a.AttributeName)]; ok && a.AttributeType != types.ScalarAttributeTypeS {
			return fmt.Errorf("dynamo: table %s key %s has type %s, want S", table, aws.ToString(a.AttributeName), a.AttributeType)
		}
	}
	return nil
}

func (m *Manifest) createTable(ctx context.Context) error {
	in := &dynamodb.CreateTableInput{
		TableName: aws.String(m.table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrEventID), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrFingerprint), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrEventID), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrFingerprint), KeyType: types.KeyTypeRange},
		},
	}
	if m.opts.OnDemand {
		in.BillingMode = types.BillingModePayPerRequest
	} else {
		in.ProvisionedThroughput = &types.ProvisionedThroughput{
			ReadCapacityUnits:  aws.Int64(m.opts.ReadCapacity),
			WriteCapacityUnits: aws.Int64(m.opts.WriteCapacity),
		}
	}
	_, err := m.client.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil // another worker created it first
	}
	if err != nil {
		return fmt.Errorf("creating DynamoDB table %s: %w", m.table, err)
	}
	if err := m.waitActive(ctx); err != nil {
		return err
	}
	_, err = m.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(m.table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrTTL),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		// Entries then never expire; dedupe stays correct.
		m.opts.Logger.Warn("dynamo: could not enable TTL on the events manifest", "table", m.table, "attribute", AttrTTL, "err", err)
	}
	return nil
}

func (m *Manifest) waitActive(ctx context.Context) error {
	w := dynamodb.NewTableExistsWaiter(m.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(m.table)}, m.opts.TableWait); err != nil {
		return fmt.Errorf("waiting for DynamoDB table %s to be ACTIVE: %w", m.table, err)
	}
	return nil
}

// Check implements dedupe.Manifest with RDB Shredder's conditional put, up
// to Options.Concurrency requests in flight. keep[i] is false when items[i]
// was stored by another batch (a ConditionalCheckFailedException). Any other
// outcome after retries is an error (wrapping ErrThroughput for throttling)
// and the caller must abort.
func (m *Manifest) Check(ctx context.Context, items []dedupe.Item, keep []bool) error {
	if len(keep) != len(items) {
		return fmt.Errorf("dynamo: Check got %d items and %d keep slots", len(items), len(keep))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(m.opts.Concurrency)
	for i := range items {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			ok, err := m.put(gctx, &items[i])
			keep[i] = ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// Put stores one item with RDB Shredder's condition and reports whether the
// event is kept (new, or stored before by the same batch).
func (m *Manifest) put(ctx context.Context, it *dedupe.Item) (bool, error) {
	if it.EventID == "" || it.Fingerprint == "" {
		return false, fmt.Errorf("dynamo: item with empty event id %q or fingerprint %q", it.EventID, it.Fingerprint)
	}
	// RDB Shredder: (etlTstamp.toEpochMilli / 1000).toInt, truncating.
	etl := it.ETLTime.UnixMilli() / 1000
	etlN := strconv.FormatInt(etl, 10)
	_, err := m.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(m.table),
		Item: map[string]types.AttributeValue{
			AttrEventID:     &types.AttributeValueMemberS{Value: it.EventID},
			AttrFingerprint: &types.AttributeValueMemberS{Value: it.Fingerprint},
			AttrETLTime:     &types.AttributeValueMemberN{Value: etlN},
			AttrTTL:         &types.AttributeValueMemberN{Value: strconv.FormatInt(etl+TTLSeconds, 10)},
		},
		ConditionExpression:       aws.String(putCondition),
		ExpressionAttributeValues: map[string]types.AttributeValue{":tst": &types.AttributeValueMemberN{Value: etlN}},
	})
	var condFailed *types.ConditionalCheckFailedException
	if errors.As(err, &condFailed) {
		m.duplicates.Add(1)
		return false, nil
	}
	if err != nil {
		var (
			pt *types.ProvisionedThroughputExceededException
			th *types.ThrottlingException
			rl *types.RequestLimitExceeded
		)
		if errors.As(err, &pt) || errors.As(err, &th) || errors.As(err, &rl) {
			return false, fmt.Errorf("%w: putting event %s/%s into %s: %v", ErrThroughput, it.EventID, it.Fingerprint, m.table, err)
		}
		return false, fmt.Errorf("putting event %s/%s into DynamoDB table %s: %w", it.EventID, it.Fingerprint, m.table, err)
	}
	m.puts.Add(1)
	return true, nil
}
