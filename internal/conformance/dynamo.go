package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/furrowdata/furrow/event"
)

// Dynamo is a dynalite server for the cross-batch dedupe fixture.
type Dynamo struct {
	Endpoint string
	cmd      *exec.Cmd
	client   *dynamodb.Client
}

// StartDynalite starts node_modules/dynalite below root on a free port.
func StartDynalite(root string) (*Dynamo, error) {
	cli := filepath.Join(root, "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return nil, fmt.Errorf("dynalite: %w", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("dynalite needs node: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--createTableMs", "0")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting dynalite: %w", err)
	}
	d := &Dynamo{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			d.Close()
			return nil, fmt.Errorf("dynalite did not start: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	d.client = dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(d.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("furrow", "furrow", ""),
	})
	return d, nil
}

// Close stops dynalite.
func (d *Dynamo) Close() {
	if d != nil && d.cmd != nil {
		_ = d.cmd.Process.Kill()
		_ = d.cmd.Wait()
	}
}

func (d *Dynamo) env() []string {
	if d == nil {
		return nil
	}
	return []string{"AWS_ENDPOINT_URL_DYNAMODB=" + d.Endpoint}
}

// config is RDB Shredder's duplicate-storage JSON for table.
func (d *Dynamo) config(table string) []byte {
	b, _ := json.Marshal(map[string]any{
		"schema": "iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/1-0-1",
		"data": map[string]any{
			"name": "furrow conformance", "accessKeyId": "furrow", "secretAccessKey": "furrow",
			"awsRegion": "us-east-1", "dynamodbTable": table,
			"id": "56799a26-980c-4148-8bd9-c021b988c669", "purpose": "DUPLICATE_TRACKING",
		},
	})
	return b
}

// seed creates the manifest table and writes the fixture's items_before.
func (d *Dynamo) seed(ctx context.Context, table string, fx *ShredFixture, subst *strings.Replacer) error {
	_, err := d.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("eventId"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("fingerprint"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("eventId"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("fingerprint"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("creating table %s: %w", table, err)
	}
	items, err := fx.dynamoItems()
	if err != nil {
		return err
	}
	for _, it := range items {
		ts, err := event.ParseTimestamp(subst.Replace(it.ETL))
		if err != nil {
			return fmt.Errorf("items_before etlTstamp: %w", err)
		}
		_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"eventId":     &types.AttributeValueMemberS{Value: it.EventID},
				"fingerprint": &types.AttributeValueMemberS{Value: it.Fingerprint},
				"etlTime":     &types.AttributeValueMemberN{Value: strconv.FormatInt(ts.Unix(), 10)},
			},
		})
		if err != nil {
			return fmt.Errorf("seeding %s: %w", table, err)
		}
	}
	return nil
}

type dynamoItem struct {
	EventID     string `json:"eventId"`
	Fingerprint string `json:"eventFingerprint"`
	ETL         string `json:"etlTstamp"`
}

func (fx *ShredFixture) dynamoItems() ([]dynamoItem, error) {
	var d struct {
		DynamoDB struct {
			Before []dynamoItem `json:"items_before"`
			After  []string     `json:"event_ids_after_sorted"`
		} `json:"dynamodb"`
	}
	if err := json.Unmarshal(fx.Dedupe, &d); err != nil {
		return nil, fmt.Errorf("fixture dedupe.dynamodb: %w", err)
	}
	if len(d.DynamoDB.Before) == 0 {
		return nil, errors.New("fixture has no dedupe.dynamodb.items_before")
	}
	return d.DynamoDB.Before, nil
}

// compareManifest checks the table's event ids after the run.
func (r *Runner) compareManifest(ctx context.Context, fx *ShredFixture, table string, res *Result) {
	var d struct {
		DynamoDB struct {
			After []string `json:"event_ids_after_sorted"`
		} `json:"dynamodb"`
	}
	if err := json.Unmarshal(fx.Dedupe, &d); err != nil {
		res.check(false, "fixture dedupe.dynamodb: %v", err)
		return
	}
	out, err := r.Dynamo.client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		res.check(false, "scanning %s: %v", table, err)
		return
	}
	var ids []string
	for _, it := range out.Items {
		if v, ok := it["eventId"].(*types.AttributeValueMemberS); ok {
			ids = append(ids, v.Value)
		}
	}
	sort.Strings(ids)
	res.check(strings.Join(ids, ",") == strings.Join(d.DynamoDB.After, ","), "manifest event ids after the run: %v, want %v", ids, d.DynamoDB.After)
}
