package emr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
	"github.com/furrowdata/furrow/storage/s3"
)

// Defaults of furrow's own keys.
const (
	DefaultBinary       = "/usr/local/bin/furrow"
	DefaultTLSBundle    = "/etc/furrow/tls/bundle.zip"
	DefaultWorkerConfig = "/etc/furrow/worker.yml"
	DefaultUser         = "furrow"
	DefaultShufflePort  = 7447
	DefaultGossipPort   = 7946
	DefaultMetricsPort  = 9464
	DefaultSpillDir     = "/mnt/furrow/spill"
	// DefaultActionOnFailure is what EMR does when the furrow step fails:
	// EmrEtlRunner's transient clusters terminated.
	DefaultActionOnFailure = "TERMINATE_CLUSTER"
)

// Config is furrow.yml: EmrEtlRunner's config.yml (R10x layout) plus
// furrow's keys. Keys EmrEtlRunner had that furrow does not use are
// accepted so that an existing config.yml migrates by adding keys, not by
// deleting them; Notes lists the ones that are set. Unknown keys are errors.
type Config struct {
	AWS        AWS        `yaml:"aws"`
	Collectors Collectors `yaml:"collectors"`
	Enrich     Enrich     `yaml:"enrich"`
	Shred      Shred      `yaml:"shred"`
	Storage    Storage    `yaml:"storage"`
	Monitoring Monitoring `yaml:"monitoring"`
	Furrow     Furrow     `yaml:"furrow"`

	// Source is where the config was loaded from ("" when parsed from
	// bytes); the EMR step reads it from furrow.config_location or here.
	Source string `yaml:"-"`
}

// AWS is the aws: section.
type AWS struct {
	// AccessKeyID and SecretAccessKey: "iam", "env" or empty use the
	// default credential chain (EC2 instance role on EMR); anything else is
	// a static key pair.
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	S3              S3     `yaml:"s3"`
	EMR             EMR    `yaml:"emr"`
}

// S3 is aws.s3.
type S3 struct {
	// Region of the buckets; empty = discovered per bucket.
	Region  string  `yaml:"region"`
	Buckets Buckets `yaml:"buckets"`
	// ConsolidateShreddedOutput is EmrEtlRunner's; ignored.
	ConsolidateShreddedOutput bool `yaml:"consolidate_shredded_output"`

	// furrow: path-style addressing (S3-compatible servers).
	PathStyle bool `yaml:"path_style"`
	// furrow: endpoint URL override (default AWS, or AWS_ENDPOINT_URL_S3).
	Endpoint string `yaml:"endpoint"`
	// furrow: SSE mode of every write: AES256, aws:kms or none. Empty =
	// AES256 when buckets.encrypted is true, else none.
	SSE string `yaml:"sse"`
	// furrow: KMS key id or ARN for sse: aws:kms.
	SSEKMSKeyID string `yaml:"sse_kms_key_id"`
	// furrow: also send the SSE headers on multipart parts (MinIO IAM
	// policies need it; AWS rejects it).
	SSEOnParts bool `yaml:"sse_on_parts"`
	// furrow: multipart part size (default 16MB) and parts in flight.
	PartSize    Size `yaml:"part_size"`
	Concurrency int  `yaml:"concurrency"`
}

// Buckets is aws.s3.buckets.
type Buckets struct {
	Assets         string `yaml:"assets"`          // EmrEtlRunner's; ignored
	JSONPathAssets string `yaml:"jsonpath_assets"` // EmrEtlRunner's; ignored
	// Log is the EMR log location (create-cluster --log-uri).
	Log string `yaml:"log"`
	// Encrypted: every write carries SSE-S3 (x-amz-server-side-encryption: AES256).
	Encrypted bool     `yaml:"encrypted"`
	Raw       Raw      `yaml:"raw"`
	Enriched  Enriched `yaml:"enriched"`
	Shredded  Shredded `yaml:"shredded"`
}

// Raw is aws.s3.buckets.raw.
type Raw struct {
	In         StringList `yaml:"in"`
	Processing string     `yaml:"processing"`
	Archive    string     `yaml:"archive"`
}

// Enriched is aws.s3.buckets.enriched.
type Enriched struct {
	Good    string `yaml:"good"`
	Bad     string `yaml:"bad"`
	Errors  string `yaml:"errors"` // EmrEtlRunner's; ignored (furrow never drops a line: errors are bad rows)
	Archive string `yaml:"archive"`
	Stream  string `yaml:"stream"` // Stream Enrich mode: not supported
}

// Shredded is aws.s3.buckets.shredded.
type Shredded struct {
	Good    string `yaml:"good"`
	Bad     string `yaml:"bad"`
	Errors  string `yaml:"errors"` // EmrEtlRunner's; ignored
	Archive string `yaml:"archive"`
}

// EMR is aws.emr: EmrEtlRunner's cluster settings. furrow does not start
// clusters (see bootstrap/README.md); region and security_configuration
// feed the generated commands and checks, the rest is accepted and ignored.
type EMR struct {
	JobName               string                       `yaml:"job_name"`
	AMIVersion            string                       `yaml:"ami_version"`
	Region                string                       `yaml:"region"`
	JobflowRole           string                       `yaml:"jobflow_role"`
	ServiceRole           string                       `yaml:"service_role"`
	Placement             string                       `yaml:"placement"`
	EC2SubnetID           string                       `yaml:"ec2_subnet_id"`
	EC2KeyName            string                       `yaml:"ec2_key_name"`
	SecurityConfiguration string                       `yaml:"security_configuration"`
	Bootstrap             []string                     `yaml:"bootstrap"`
	Software              map[string]string            `yaml:"software"`
	Jobflow               Jobflow                      `yaml:"jobflow"`
	BootstrapFailureTries int                          `yaml:"bootstrap_failure_tries"`
	Configuration         map[string]map[string]string `yaml:"configuration"`
	AdditionalInfo        string                       `yaml:"additional_info"`
}

// Jobflow is aws.emr.jobflow (EmrEtlRunner's instance groups).
type Jobflow struct {
	MasterInstanceType string `yaml:"master_instance_type"`
	CoreInstanceCount  int    `yaml:"core_instance_count"`
	CoreInstanceType   string `yaml:"core_instance_type"`
	CoreInstanceEBS    struct {
		VolumeSize   int    `yaml:"volume_size"`
		VolumeType   string `yaml:"volume_type"`
		VolumeIOPS   int    `yaml:"volume_iops"`
		EBSOptimized *bool  `yaml:"ebs_optimized"`
	} `yaml:"core_instance_ebs"`
	TaskInstanceCount int      `yaml:"task_instance_count"`
	TaskInstanceType  string   `yaml:"task_instance_type"`
	TaskInstanceBid   *float64 `yaml:"task_instance_bid"`
}

// Collectors is the collectors: section.
type Collectors struct {
	// Format is the raw input's collector format (--input-format).
	Format string `yaml:"format"`
}

// Enrich is the enrich: section.
type Enrich struct {
	Versions                  map[string]string `yaml:"versions"`                     // EmrEtlRunner's; ignored
	ContinueOnUnexpectedError bool              `yaml:"continue_on_unexpected_error"` // EmrEtlRunner's; ignored
	// OutputCompression: only NONE (furrow writes the enriched TSV uncompressed).
	OutputCompression string `yaml:"output_compression"`
	// furrow: the enrichments (EmrEtlRunner's --enrichments): a local
	// folder of enrichment JSONs, a folder location ending in "/" (e.g.
	// s3://bucket/enrichments/), or an enrichments bundle's location.
	Enrichments string `yaml:"enrichments"`
	// furrow: the Iglu resolver config's location (EmrEtlRunner's --resolver).
	Resolver string `yaml:"resolver"`
}

// Shred is furrow's shred: section (RDB Shredder's options).
type Shred struct {
	// Format is parquet (default), widerow or legacy.
	Format string `yaml:"format"`
	// DuplicateStorage is RDB Shredder's DynamoDB duplicate-storage JSON
	// (a location or base64) for cross-batch deduplication.
	DuplicateStorage string `yaml:"duplicate_storage"`
}

// Storage is EmrEtlRunner's storage: section; ignored.
type Storage struct {
	Versions map[string]string `yaml:"versions"`
}

// Monitoring is the monitoring: section.
type Monitoring struct {
	Tags    map[string]string `yaml:"tags"`
	Logging struct {
		// Level: DEBUG, INFO, WARN or ERROR.
		Level string `yaml:"level"`
	} `yaml:"logging"`
	Snowplow *struct {
		Method    string `yaml:"method"`
		AppID     string `yaml:"app_id"`
		Collector string `yaml:"collector"`
		Protocol  string `yaml:"protocol"`
		Port      int    `yaml:"port"`
	} `yaml:"snowplow"` // EmrEtlRunner's self-tracking; ignored
}

// Furrow is furrow's own furrow: section.
type Furrow struct {
	// Lock is the run lock's location (default <raw.processing>.lock):
	// s3:// or a local path.
	Lock string `yaml:"lock"`
	// ConfigLocation is where the EMR step reads this file (an s3://
	// object); default: where it was loaded from.
	ConfigLocation string `yaml:"config_location"`
	// WriteEnriched keeps the enriched TSV in enriched.good/run=ID (default true).
	WriteEnriched *bool `yaml:"write_enriched"`
	Partitions    int   `yaml:"partitions"`
	Parallelism   int   `yaml:"parallelism"`
	MemoryBudget  Size  `yaml:"memory_budget"`
	SplitSize     Size  `yaml:"split_size"`
	// SpillDir is the local spill folder of `furrow run` (default: the OS
	// temp folder; on EMR the steps pass /mnt/furrow/spill).
	SpillDir string `yaml:"spill_dir"`
	// MoveConcurrency is the number of files staged or archived at once (default 16).
	MoveConcurrency int          `yaml:"move_concurrency"`
	Cluster         Cluster      `yaml:"cluster"`
	Release         Release      `yaml:"release"`
	Steps           StepSettings `yaml:"steps"`
}

// Cluster is furrow.cluster: the worker daemons and `furrow run --cluster`.
type Cluster struct {
	// Enabled runs the EMR step as `furrow run --cluster`.
	Enabled bool `yaml:"enabled"`
	// Join is where the coordinator joins the cluster. Default: the
	// master's own private DNS name, resolved on the master when the step
	// runs (`hostname -f`), at gossip_port: the seed every worker joins, so
	// the coordinator advertises the address workers reach it at.
	Join []string `yaml:"join"`
	// TLSBundle is the bundle's path on the nodes (default /etc/furrow/tls/bundle.zip).
	TLSBundle string `yaml:"tls_bundle"`
	// TLSBundleSource is the EMR PEM bundle zip the bootstrap action
	// downloads: the S3 object the security configuration names.
	TLSBundleSource string `yaml:"tls_bundle_source"`
	ShufflePort     int    `yaml:"shuffle_port"`
	GossipPort      int    `yaml:"gossip_port"`
	MetricsPort     int    `yaml:"metrics_port"`
	// User runs the worker and the step (default furrow).
	User string `yaml:"user"`
	// MemoryBudget of each worker; default sized to the node by the bootstrap action.
	MemoryBudget Size `yaml:"memory_budget"`
	// SpillDir of each worker (default /mnt/furrow/spill).
	SpillDir string `yaml:"spill_dir"`
	// Seed overrides the master's private DNS name read from
	// /mnt/var/lib/info/job-flow.json by the bootstrap action.
	Seed string `yaml:"seed"`
}

// Release is furrow.release: what the bootstrap action installs.
type Release struct {
	// Binary is the furrow linux binary: s3:// (downloaded with the AWS
	// CLI) or https://.
	Binary string `yaml:"binary"`
	// SHA256 is the binary's hex SHA-256; empty = read <binary>.sha256.
	SHA256 string `yaml:"sha256"`
	// InstallScript is install-furrow.sh's s3:// location (the bootstrap action's path).
	InstallScript string `yaml:"install_script"`
}

// StepSettings is furrow.steps: the generated EMR step.
type StepSettings struct {
	Name            string `yaml:"name"`
	ActionOnFailure string `yaml:"action_on_failure"`
}

// Size is a byte size written as a number or with a unit (512MB, 2GiB).
type Size int64

// UnmarshalYAML accepts an integer or a size string.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "want a size such as 512MB")
	}
	v, err := pipeline.ParseSize(n.Value)
	if err != nil {
		return typeError(n, err.Error())
	}
	*s = Size(v)
	return nil
}

// StringList is one string or a list of strings (raw.in takes both).
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*l = nil
			return nil
		}
		*l = StringList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(StringList, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return typeError(c, "want a location string")
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return typeError(n, "want a location or a list of locations")
}

// typeError is a decode error the decoder collects (rather than stopping at).
func typeError(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}

// envRef is EmrEtlRunner's ERB environment reference, <%= ENV['NAME'] %>.
var envRef = regexp.MustCompile(`<%=\s*ENV\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]\s*%>`)

// maxConfigBytes bounds furrow.yml.
const maxConfigBytes = 1 << 20

// Load reads and parses furrow.yml from a location (a path, file://, s3://,
// hdfs://). Reading an s3:// config uses opts (and the environment:
// AWS_ENDPOINT_URL_S3, FURROW_S3_PATH_STYLE), since the file's own S3
// settings are not known yet.
func Load(ctx context.Context, loc string, opts location.Options) (*Config, error) {
	b, err := location.ReadFile(ctx, loc, opts)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(b, loc)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes furrow.yml. EmrEtlRunner's <%= ENV['NAME'] %> references are
// replaced by the environment's values (an unset variable is an error).
// Every unknown key and every badly typed value is reported, each with its
// dotted key and line; then the defaults are applied. Parse does not call
// Validate.
func Parse(b []byte, source string) (*Config, error) {
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("config %s: %d bytes is more than the %d a config may have", source, len(b), maxConfigBytes)
	}
	var errs []error
	b = envRef.ReplaceAllFunc(b, func(m []byte) []byte {
		name := string(envRef.FindSubmatch(m)[1])
		v, ok := os.LookupEnv(name)
		if !ok {
			errs = append(errs, fmt.Errorf("ENV['%s'] is referenced but not set", name))
		}
		return []byte(v)
	})
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if err.Error() == "EOF" {
			return nil, fmt.Errorf("config %s: empty", source)
		}
		return nil, fmt.Errorf("config %s: %w", source, err)
	}
	c := &Config{}
	w := &keyWalk{lines: map[int]string{}, budget: maxWalkNodes}
	if len(root.Content) > 0 {
		w.check(root.Content[0], reflect.TypeOf(c).Elem(), "")
	}
	if w.budget < 0 {
		return nil, fmt.Errorf("config %s: more than %d nodes once aliases are expanded", source, maxWalkNodes)
	}
	errs = append(errs, w.errs...)
	lines := w.lines
	if err := root.Decode(c); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				errs = append(errs, errors.New(describeTypeError(m, lines)))
			}
		} else {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config %s:\n%w", source, joinIndented(errs))
	}
	c.Source = source
	c.applyDefaults()
	return c, nil
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// maxWalkNodes bounds the nodes checkKeys visits: aliases can make a small
// document expand exponentially.
const maxWalkNodes = 100000

// keyWalk checks a document's keys against the Config type.
type keyWalk struct {
	lines  map[int]string // line → the dotted key of the value there
	errs   []error
	budget int
}

// check reports every mapping key of n that t has no field for, with its
// dotted path, and records the path of each value's line.
func (w *keyWalk) check(n *yaml.Node, t reflect.Type, path string) {
	if w.budget--; w.budget < 0 {
		return
	}
	lines, errs := w.lines, &w.errs
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if path != "" {
		lines[n.Line] = path // children come later: the deepest key of a line wins
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error the decoder reports
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // merge key
				w.check(v, t, path)
				continue
			}
			p := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				hint := ""
				if strings.HasPrefix(k.Value, ":") {
					hint = " (EmrEtlRunner's Ruby-symbol keys: write it without the leading ':')"
				}
				*errs = append(*errs, fmt.Errorf("%s (line %d): unknown key%s; %s takes %s", p, k.Line, hint, orRoot(path), strings.Join(names, ", ")))
				continue
			}
			w.check(v, ft, p)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.check(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			w.check(c, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

var typeErrLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// describeTypeError puts the key's path in front of yaml's "line N: …".
func describeTypeError(msg string, lines map[int]string) string {
	m := typeErrLine.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	n, _ := strconv.Atoi(m[1])
	if p, ok := lines[n]; ok {
		return fmt.Sprintf("%s (line %d): %s", p, n, m[2])
	}
	return msg
}

// joinIndented joins errors one per line, indented, for a one-screen report.
func joinIndented(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = "  " + e.Error()
	}
	return errors.New(strings.Join(msgs, "\n"))
}

func (c *Config) applyDefaults() {
	f := &c.Furrow
	if f.WriteEnriched == nil {
		t := true
		f.WriteEnriched = &t
	}
	if f.MoveConcurrency == 0 {
		f.MoveConcurrency = 16
	}
	cl := &f.Cluster
	if cl.TLSBundle == "" {
		cl.TLSBundle = DefaultTLSBundle
	}
	if cl.ShufflePort == 0 {
		cl.ShufflePort = DefaultShufflePort
	}
	if cl.GossipPort == 0 {
		cl.GossipPort = DefaultGossipPort
	}
	if cl.MetricsPort == 0 {
		cl.MetricsPort = DefaultMetricsPort
	}
	if cl.User == "" {
		cl.User = DefaultUser
	}
	if cl.SpillDir == "" {
		cl.SpillDir = DefaultSpillDir
	}
	if f.Steps.Name == "" {
		f.Steps.Name = "furrow: staged run (staging, enrich, shred, archive)"
	}
	if f.Steps.ActionOnFailure == "" {
		f.Steps.ActionOnFailure = DefaultActionOnFailure
	}
	if c.Shred.Format == "" {
		c.Shred.Format = "parquet"
	}
	if c.Enrich.OutputCompression == "" {
		c.Enrich.OutputCompression = "NONE"
	}
}

// Validate reports every problem of a parsed config, one per line, each
// naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	b := &c.AWS.S3.Buckets

	type loc struct{ key, url string }
	var locs []loc
	need := func(key, v string) {
		if v == "" {
			bad("%s: required", key)
			return
		}
		if _, err := storage.ParseLocation(v); err != nil {
			bad("%s: %v", key, err)
			return
		}
		locs = append(locs, loc{key, v})
	}
	if len(b.Raw.In) == 0 {
		bad("aws.s3.buckets.raw.in: required (one location or a list)")
	}
	for i, in := range b.Raw.In {
		need(fmt.Sprintf("aws.s3.buckets.raw.in[%d]", i), in)
	}
	need("aws.s3.buckets.raw.processing", b.Raw.Processing)
	need("aws.s3.buckets.raw.archive", b.Raw.Archive)
	need("aws.s3.buckets.enriched.good", b.Enriched.Good)
	need("aws.s3.buckets.enriched.bad", b.Enriched.Bad)
	need("aws.s3.buckets.enriched.archive", b.Enriched.Archive)
	need("aws.s3.buckets.shredded.good", b.Shredded.Good)
	need("aws.s3.buckets.shredded.bad", b.Shredded.Bad)
	need("aws.s3.buckets.shredded.archive", b.Shredded.Archive)
	if b.Enriched.Stream != "" {
		bad("aws.s3.buckets.enriched.stream: Stream Enrich mode (staging_stream_enrich) is not supported by furrow; remove the key")
	}
	// EmrEtlRunner: "do not put your raw:processing inside your raw:in
	// bucket, or your enriched:good inside your raw:processing".
	for i := range locs {
		for j := range locs {
			if i == j {
				continue
			}
			if inside(locs[i].url, locs[j].url) {
				bad("%s (%s) is inside %s (%s): moving files between them would loop", locs[i].key, locs[i].url, locs[j].key, locs[j].url)
			}
		}
	}
	if p := b.Raw.Processing; p != "" && c.Furrow.Lock == "" {
		if l, err := storage.ParseLocation(p); err == nil && l.Scheme == "s3" && l.Path == "" {
			bad("aws.s3.buckets.raw.processing (%s): use a sub-folder (EmrEtlRunner required one), or set furrow.lock", p)
		}
	}
	if c.Furrow.Lock != "" {
		if l, err := storage.ParseLocation(c.Furrow.Lock); err != nil {
			bad("furrow.lock: %v", err)
		} else if l.Scheme == "hdfs" {
			bad("furrow.lock: %s: the lock needs a conditional create: use s3:// or a local path", c.Furrow.Lock)
		}
	}

	if c.Collectors.Format == "" {
		bad("collectors.format: required (cloudfront, clj-tomcat, thrift, tsv/com.amazon.aws.cloudfront/wd_access_log, ndjson/…)")
	} else if _, err := collector.Lookup(c.Collectors.Format); err != nil {
		bad("collectors.format: %v", err)
	}
	switch strings.ToUpper(c.Enrich.OutputCompression) {
	case "NONE":
	case "GZIP":
		bad("enrich.output_compression: GZIP is not supported by furrow (the enriched TSV is written uncompressed); use NONE")
	default:
		bad("enrich.output_compression: %q is not NONE", c.Enrich.OutputCompression)
	}
	switch c.Shred.Format {
	case "parquet", "widerow", "legacy":
	default:
		bad("shred.format: %q is not parquet, widerow or legacy", c.Shred.Format)
	}
	switch strings.ToUpper(c.Monitoring.Logging.Level) {
	case "", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL":
	default:
		bad("monitoring.logging.level: %q is not DEBUG, INFO, WARN or ERROR", c.Monitoring.Logging.Level)
	}

	s := &c.AWS.S3
	if (c.AWS.AccessKeyID == "") != (c.AWS.SecretAccessKey == "") || isChain(c.AWS.AccessKeyID) != isChain(c.AWS.SecretAccessKey) {
		bad("aws.access_key_id and aws.secret_access_key: set both to a key pair, or both to iam (or env, or leave both empty) for the default credential chain")
	}
	if s.SSE != "" {
		switch strings.ToLower(s.SSE) {
		case "aes256", "aws:kms", "none":
		default:
			bad("aws.s3.sse: %q is not AES256, aws:kms or none", s.SSE)
		}
		if b.Encrypted && strings.EqualFold(s.SSE, "none") {
			bad("aws.s3.sse: none contradicts aws.s3.buckets.encrypted: true")
		}
	}
	if err := c.S3Config().Validate(); err != nil {
		for _, e := range splitJoined(err) {
			bad("aws.%s", e.Error())
		}
	}

	f := &c.Furrow
	if f.Partitions < 0 || f.Partitions > 65536 {
		bad("furrow.partitions: %d is not between 0 (auto) and 65536", f.Partitions)
	}
	if f.Parallelism < 0 {
		bad("furrow.parallelism: %d is negative", f.Parallelism)
	}
	if f.MoveConcurrency < 1 || f.MoveConcurrency > 256 {
		bad("furrow.move_concurrency: %d is not between 1 and 256", f.MoveConcurrency)
	}
	if f.MemoryBudget < 0 {
		bad("furrow.memory_budget: negative")
	}
	if f.SplitSize < 0 {
		bad("furrow.split_size: negative")
	}
	if f.ConfigLocation != "" {
		if _, err := storage.ParseLocation(f.ConfigLocation); err != nil {
			bad("furrow.config_location: %v", err)
		}
	}
	cl := &f.Cluster
	for _, p := range []struct {
		key string
		v   int
	}{{"furrow.cluster.shuffle_port", cl.ShufflePort}, {"furrow.cluster.gossip_port", cl.GossipPort}, {"furrow.cluster.metrics_port", cl.MetricsPort}} {
		if p.v < 1 || p.v > 65535 {
			bad("%s: %d is not a TCP port", p.key, p.v)
		}
	}
	if cl.ShufflePort == cl.GossipPort {
		bad("furrow.cluster.shuffle_port and gossip_port: both %d", cl.ShufflePort)
	}
	for i, j := range cl.Join {
		if _, port, ok := strings.Cut(j, ":"); !ok || port == "" {
			bad("furrow.cluster.join[%d]: %q is not HOST:PORT", i, j)
		}
	}
	if !validUser.MatchString(cl.User) {
		bad("furrow.cluster.user: %q is not a valid user name", cl.User)
	}
	if cl.TLSBundleSource != "" {
		if l, err := storage.ParseLocation(cl.TLSBundleSource); err != nil {
			bad("furrow.cluster.tls_bundle_source: %v", err)
		} else if l.Scheme != "s3" {
			bad("furrow.cluster.tls_bundle_source: %s: want the s3:// object the EMR security configuration names", cl.TLSBundleSource)
		}
	}
	if cl.Seed != "" && !validHost.MatchString(cl.Seed) {
		bad("furrow.cluster.seed: %q is not a host name", cl.Seed)
	}
	r := &f.Release
	if r.Binary != "" && !strings.HasPrefix(r.Binary, "s3://") && !strings.HasPrefix(r.Binary, "https://") && !strings.HasPrefix(r.Binary, "http://") {
		bad("furrow.release.binary: %q: want an s3:// or https:// URL", r.Binary)
	}
	if r.SHA256 != "" && !validSHA256.MatchString(r.SHA256) {
		bad("furrow.release.sha256: %q is not 64 hex digits", r.SHA256)
	}
	if r.InstallScript != "" && !strings.HasPrefix(r.InstallScript, "s3://") {
		bad("furrow.release.install_script: %q: a bootstrap action's path is an s3:// object", r.InstallScript)
	}
	switch f.Steps.ActionOnFailure {
	case "TERMINATE_JOB_FLOW", "TERMINATE_CLUSTER", "CANCEL_AND_WAIT", "CONTINUE":
	default:
		bad("furrow.steps.action_on_failure: %q is not TERMINATE_CLUSTER, CANCEL_AND_WAIT or CONTINUE", f.Steps.ActionOnFailure)
	}
	return errors.Join(errs...)
}

var (
	validUser   = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	validHost   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$`)
	validSHA256 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

func isChain(v string) bool {
	switch strings.ToLower(v) {
	case "", "iam", "env", "default":
		return true
	}
	return false
}

// splitJoined returns the errors an errors.Join made, or err alone.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// inside reports whether location a is b or lies below it.
func inside(a, b string) bool {
	la, err1 := storage.ParseLocation(a)
	lb, err2 := storage.ParseLocation(b)
	if err1 != nil || err2 != nil || la.Scheme != lb.Scheme || la.Host != lb.Host {
		return false
	}
	pa, pb := strings.Trim(la.Path, "/"), strings.Trim(lb.Path, "/")
	return pa == pb || pb == "" || strings.HasPrefix(pa, pb+"/")
}

// SSE returns the effective server-side encryption of writes.
func (c *Config) SSE() s3.SSE {
	switch strings.ToLower(c.AWS.S3.SSE) {
	case "aes256":
		return s3.SSEAES256
	case "aws:kms":
		return s3.SSEKMS
	case "none":
		return s3.SSENone
	}
	if c.AWS.S3.Buckets.Encrypted {
		return s3.SSEAES256
	}
	return s3.SSENone
}

// S3Config returns the S3 settings every store of a run uses.
func (c *Config) S3Config() s3.Config {
	s := &c.AWS.S3
	cfg := s3.Config{
		SSE:         c.SSE(),
		SSEKMSKeyID: s.SSEKMSKeyID,
		SSEOnParts:  s.SSEOnParts,
		PathStyle:   s.PathStyle,
		Endpoint:    s.Endpoint,
		Region:      s.Region,
		PartSize:    int64(s.PartSize),
		Concurrency: s.Concurrency,
	}
	if !isChain(c.AWS.AccessKeyID) && !isChain(c.AWS.SecretAccessKey) {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AWS.AccessKeyID, c.AWS.SecretAccessKey, "")
	}
	return cfg
}

// StorageOptions returns the location options of every store of a run.
func (c *Config) StorageOptions() location.Options {
	return location.Options{S3: c.S3Config()}
}

// LockLocation is furrow.lock, or <raw.processing>.lock.
func (c *Config) LockLocation() string {
	if c.Furrow.Lock != "" {
		return c.Furrow.Lock
	}
	return strings.TrimRight(c.AWS.S3.Buckets.Raw.Processing, "/") + ".lock"
}

// Notes lists the EmrEtlRunner keys that are set but that furrow ignores,
// for `furrow validate`.
func (c *Config) Notes() []string {
	var n []string
	note := func(set bool, key, why string) {
		if set {
			n = append(n, key+": "+why)
		}
	}
	b := &c.AWS.S3.Buckets
	note(b.Enriched.Errors != "" || b.Shredded.Errors != "", "aws.s3.buckets.*.errors", "ignored: furrow never drops a line, unexpected errors become bad rows")
	note(b.Assets != "" || b.JSONPathAssets != "", "aws.s3.buckets.assets / jsonpath_assets", "ignored: furrow is one binary, installed by the bootstrap action")
	note(c.Enrich.ContinueOnUnexpectedError, "enrich.continue_on_unexpected_error", "ignored: furrow always continues, with a bad row")
	note(len(c.Enrich.Versions) > 0 || len(c.Storage.Versions) > 0, "enrich.versions / storage.versions", "ignored: the furrow binary replaces Spark Enrich and RDB Shredder")
	note(c.AWS.S3.ConsolidateShreddedOutput, "aws.s3.consolidate_shredded_output", "ignored")
	note(c.Monitoring.Snowplow != nil, "monitoring.snowplow", "ignored: furrow reports through its run report and /metrics")
	e := &c.AWS.EMR
	note(e.AMIVersion != "" || e.Jobflow.CoreInstanceCount > 0 || e.Jobflow.MasterInstanceType != "" || len(e.Bootstrap) > 0,
		"aws.emr.*", "cluster shape is given to `aws emr create-cluster` (bootstrap/README.md); furrow does not start clusters")
	return n
}
