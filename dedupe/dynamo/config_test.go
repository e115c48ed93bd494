package dynamo

import (
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseConfigVersions(t *testing.T) {
	for _, c := range []struct {
		file                string
		wantVer, wantPurp   string
		wantKey, wantSecret string
	}{
		{"testdata/duplicate-storage-1-0-0.json", "1-0-0", "DUPLICATE_TRACKING", "AKIAEXAMPLE", "secret/example"},
		{"testdata/duplicate-storage-1-0-1.json", "1-0-1", "DUPLICATE_TRACKING", "AKIAEXAMPLE", "secret/example"},
		{"testdata/duplicate-storage-2-0-0.json", "2-0-0", "EVENTS_MANIFEST", "AKIAEXAMPLE", "secret/example"},
		{"testdata/duplicate-storage-2-0-0-default-credentials.json", "2-0-0", "EVENTS_MANIFEST", "", ""},
	} {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			for name, in := range map[string][]byte{
				"json":   raw,
				"base64": []byte(base64.StdEncoding.EncodeToString(raw)),
			} {
				cfg, err := ParseConfig(in)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if cfg.Schema.String() != c.wantVer || cfg.Purpose != c.wantPurp || cfg.AccessKeyID != c.wantKey ||
					cfg.SecretAccessKey != c.wantSecret || cfg.Region != "eu-west-1" || cfg.Table != "snowplow-events-manifest" || cfg.Name == "" {
					t.Fatalf("%s: %+v", name, cfg)
				}
			}
		})
	}
}

func TestParseConfigErrorsNameTheKey(t *testing.T) {
	const v2 = `{"schema":"iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0","data":`
	const v1 = `{"schema":"iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/1-0-0","data":`
	for name, c := range map[string]struct{ in, want string }{
		"not json":         {`{nope`, "invalid"},
		"not base64":       {`%%%`, "neither JSON nor base64"},
		"other schema":     {`{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{}}`, "is not iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config"},
		"unknown version":  {`{"schema":"iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/3-0-0","data":{}}`, "3-0-0 is not supported"},
		"data not object":  {v2 + `[]}`, "data is not a JSON object"},
		"missing table":    {v2 + `{"name":"n","auth":null,"awsRegion":"eu-west-1","id":"5c3f7f58-7e0c-4a3a-9c5c-9b0a4f0b1c2d","purpose":"EVENTS_MANIFEST"}}`, `"dynamodbTable" is required`},
		"missing id v2":    {v2 + `{"name":"n","auth":null,"awsRegion":"eu-west-1","dynamodbTable":"tbl","purpose":"EVENTS_MANIFEST"}}`, `"id" is required`},
		"unknown key":      {v2 + `{"name":"n","auth":null,"awsRegion":"eu-west-1","dynamodbTable":"tbl","id":"5c3f7f58-7e0c-4a3a-9c5c-9b0a4f0b1c2d","purpose":"EVENTS_MANIFEST","auto":true}}`, `unknown key "auto"`},
		"v1 keys in v2":    {v2 + `{"name":"n","accessKeyId":"a","secretAccessKey":"s","awsRegion":"eu-west-1","dynamodbTable":"tbl","id":"5c3f7f58-7e0c-4a3a-9c5c-9b0a4f0b1c2d","purpose":"EVENTS_MANIFEST","auth":null}}`, `unknown key "accessKeyId"`},
		"wrong purpose v2": {v2 + `{"name":"n","auth":null,"awsRegion":"eu-west-1","dynamodbTable":"tbl","id":"5c3f7f58-7e0c-4a3a-9c5c-9b0a4f0b1c2d","purpose":"DUPLICATE_TRACKING"}}`, `"purpose" is "DUPLICATE_TRACKING", schema 2-0-0 requires "EVENTS_MANIFEST"`},
		"wrong purpose v1": {v1 + `{"name":"n","accessKeyId":"a","secretAccessKey":"s","awsRegion":"eu-west-1","dynamodbTable":"tbl","purpose":"EVENTS_MANIFEST"}}`, `requires "DUPLICATE_TRACKING"`},
		"bad id":           {v2 + `{"name":"n","auth":null,"awsRegion":"eu-west-1","dynamodbTable":"tbl","id":"nope","purpose":"EVENTS_MANIFEST"}}`, `"id" "nope" is not a UUID`},
		"region type":      {v2 + `{"name":"n","auth":null,"awsRegion":3,"dynamodbTable":"tbl","id":"5c3f7f58-7e0c-4a3a-9c5c-9b0a4f0b1c2d","purpose":"EVENTS_MANIFEST"}}`, `"awsRegion" must be a string`},
		"auth incomplete":  {v2 + `{"name":"n","auth":{"accessKeyId":"a"},"awsRegion":"eu-west-1","dynamodbTable":"tbl","id":"5c3f7f58-7e0c-4a3a-9c5c-9b0a4f0b1c2d","purpose":"EVENTS_MANIFEST"}}`, `"secretAccessKey" is required in "auth"`},
		"auth not object":  {v2 + `{"name":"n","auth":"x","awsRegion":"eu-west-1","dynamodbTable":"tbl","id":"5c3f7f58-7e0c-4a3a-9c5c-9b0a4f0b1c2d","purpose":"EVENTS_MANIFEST"}}`, `"auth" must be an object`},
		"bad table name":   {v1 + `{"name":"n","accessKeyId":"a","secretAccessKey":"s","awsRegion":"eu-west-1","dynamodbTable":"a b","purpose":"DUPLICATE_TRACKING"}}`, `"dynamodbTable" "a b" is not a DynamoDB table name`},
		"empty region":     {v1 + `{"name":"n","accessKeyId":"a","secretAccessKey":"s","awsRegion":"","dynamodbTable":"tbl","purpose":"DUPLICATE_TRACKING"}}`, `"awsRegion" is empty`},
		"half credentials": {v1 + `{"name":"n","accessKeyId":"a","secretAccessKey":"","awsRegion":"eu-west-1","dynamodbTable":"tbl","purpose":"DUPLICATE_TRACKING"}}`, `must be both set`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.in))
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, c.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, p := range []string{"testdata/duplicate-storage-1-0-0.json", "testdata/duplicate-storage-2-0-0.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":"iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/2-0-0","data":{"auth":{}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseConfig(b)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error does not wrap ErrConfig: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
	})
}
