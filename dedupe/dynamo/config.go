package dynamo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/furrowdata/furrow/event"
)

// ErrConfig is wrapped by every error ParseConfig and Config.Validate return.
var ErrConfig = errors.New("dynamo: invalid duplicate storage config")

// Config is RDB Shredder's duplicate-storage configuration: a
// self-describing JSON of
// iglu:com.snowplowanalytics.snowplow.storage/amazon_dynamodb_config/jsonschema/
// 1-0-0, 1-0-1 (purpose DUPLICATE_TRACKING, top-level accessKeyId and
// secretAccessKey) or 2-0-0 (purpose EVENTS_MANIFEST, credentials under
// "auth", which may be null for the default AWS credential chain).
type Config struct {
	// Schema is the configuration's schema version (1-0-0, 1-0-1 or 2-0-0).
	Schema event.SchemaVer
	// Name is a human-readable name of the storage target.
	Name string
	// ID is the storage target's UUID (absent in 1-0-0).
	ID string
	// Purpose is DUPLICATE_TRACKING (1-0-x) or EVENTS_MANIFEST (2-0-0).
	Purpose string
	// AccessKeyID and SecretAccessKey are static credentials; both empty
	// (2-0-0 with "auth": null) means the default AWS credential chain
	// (environment, shared config, EC2/ECS instance role).
	AccessKeyID, SecretAccessKey string
	// Region is the AWS region of the table.
	Region string
	// Table is the DynamoDB table name.
	Table string
}

const (
	configVendor = "com.snowplowanalytics.snowplow.storage"
	configName   = "amazon_dynamodb_config"
)

var (
	tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	uuidForm  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// ParseConfig reads a duplicate-storage config as RDB Shredder's
// --duplicate-storage-config received it: the self-describing JSON itself
// or its base64 encoding. It checks what the Iglu schema of its version
// demands (required keys, types, no other keys, the purpose enum, the id
// UUID format) plus a valid DynamoDB table name and a region, and reports
// every problem naming the key.
func ParseConfig(data []byte) (Config, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] != '{' {
		dec, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			if dec, err = base64.URLEncoding.DecodeString(string(data)); err != nil {
				return Config{}, fmt.Errorf("%w: neither JSON nor base64-encoded JSON", ErrConfig)
			}
		}
		data = bytes.TrimSpace(dec)
	}
	var sd event.SelfDescribing
	if err := json.Unmarshal(data, &sd); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	k := sd.Schema
	if k.Vendor != configVendor || k.Name != configName || k.Format != "jsonschema" {
		return Config{}, fmt.Errorf("%w: schema %s is not iglu:%s/%s/jsonschema/*", ErrConfig, k, configVendor, configName)
	}
	v := k.Version
	var (
		allowed, required []string
		purpose           string
	)
	switch v {
	case event.SchemaVer{Model: 1, Revision: 0, Addition: 0}:
		allowed = []string{"name", "accessKeyId", "secretAccessKey", "awsRegion", "dynamodbTable", "purpose"}
		required, purpose = allowed, "DUPLICATE_TRACKING"
	case event.SchemaVer{Model: 1, Revision: 0, Addition: 1}:
		allowed = []string{"name", "accessKeyId", "secretAccessKey", "awsRegion", "dynamodbTable", "id", "purpose"}
		required = []string{"name", "accessKeyId", "secretAccessKey", "awsRegion", "dynamodbTable", "purpose"}
		purpose = "DUPLICATE_TRACKING"
	case event.SchemaVer{Model: 2, Revision: 0, Addition: 0}:
		allowed = []string{"name", "auth", "awsRegion", "dynamodbTable", "id", "purpose"}
		required, purpose = allowed, "EVENTS_MANIFEST"
	default:
		return Config{}, fmt.Errorf("%w: schema version %s is not supported (1-0-0, 1-0-1, 2-0-0 are)", ErrConfig, v)
	}

	var obj map[string]json.RawMessage
	if err := json.Unmarshal(sd.Data, &obj); err != nil || obj == nil {
		return Config{}, fmt.Errorf("%w: data is not a JSON object", ErrConfig)
	}
	var errs []error
	problem := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	var unknown []string
	for key := range obj {
		if !slices.Contains(allowed, key) {
			unknown = append(unknown, key)
		}
	}
	sort.Strings(unknown)
	for _, key := range unknown {
		problem("unknown key %q for schema %s (allowed: %s)", key, v, strings.Join(allowed, ", "))
	}
	for _, key := range required {
		if _, ok := obj[key]; !ok {
			problem("%q is required by schema %s", key, v)
		}
	}
	str := func(m map[string]json.RawMessage, key, where string) string {
		raw, ok := m[key]
		if !ok {
			return ""
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			problem("%q%s must be a string, got %s", key, where, raw)
		}
		return s
	}
	c := Config{
		Schema:  v,
		Name:    str(obj, "name", ""),
		ID:      str(obj, "id", ""),
		Purpose: str(obj, "purpose", ""),
		Region:  str(obj, "awsRegion", ""),
		Table:   str(obj, "dynamodbTable", ""),
	}
	if v.Model == 1 {
		c.AccessKeyID = str(obj, "accessKeyId", "")
		c.SecretAccessKey = str(obj, "secretAccessKey", "")
	} else if raw, ok := obj["auth"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		var auth map[string]json.RawMessage
		if err := json.Unmarshal(raw, &auth); err != nil || auth == nil {
			problem(`"auth" must be an object {accessKeyId, secretAccessKey} or null, got %s`, raw)
		} else {
			for _, key := range []string{"accessKeyId", "secretAccessKey"} {
				if _, ok := auth[key]; !ok {
					problem("%q is required in \"auth\"", key)
				}
			}
			c.AccessKeyID = str(auth, "accessKeyId", ` in "auth"`)
			c.SecretAccessKey = str(auth, "secretAccessKey", ` in "auth"`)
		}
	}
	if _, ok := obj["purpose"]; ok && c.Purpose != purpose {
		problem("%q is %q, schema %s requires %q", "purpose", c.Purpose, v, purpose)
	}
	if _, ok := obj["id"]; ok && !uuidForm.MatchString(c.ID) {
		problem("%q %q is not a UUID", "id", c.ID)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate reports what DynamoDB itself would refuse: an empty region, an
// invalid table name, half of a static credential pair.
func (c Config) Validate() error {
	var errs []error
	if c.Region == "" {
		errs = append(errs, fmt.Errorf("%w: %q is empty", ErrConfig, "awsRegion"))
	}
	if !tableName.MatchString(c.Table) {
		errs = append(errs, fmt.Errorf("%w: %q %q is not a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)", ErrConfig, "dynamodbTable", c.Table))
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		errs = append(errs, fmt.Errorf("%w: %q and %q must be both set or both empty", ErrConfig, "accessKeyId", "secretAccessKey"))
	}
	return errors.Join(errs...)
}
