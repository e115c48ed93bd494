package bootstrap

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsemr "github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"

	"github.com/furrowdata/furrow/emr"
)

func sampleConfig(t *testing.T) *emr.Config {
	t.Helper()
	b, err := os.ReadFile("../emr/testdata/furrow.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := emr.Parse(b, "furrow.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// strictDecode decodes b into v, failing on any member v has no field for.
func strictDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding into %T: %v\n%s", v, err, b)
	}
}

// emrAPI is a local stand-in for the EMR endpoint: it records the JSON
// the SDK sends and answers with a canned body, so that the SDK's own
// parameter validation and serialization run on the generated input.
type emrAPI struct {
	target string
	body   map[string]any
}

func (a *emrAPI) start(t *testing.T, reply string) *awsemr.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.target = r.Header.Get("X-Amz-Target")
		b, _ := io.ReadAll(r.Body)
		a.body = nil
		if err := json.Unmarshal(b, &a.body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return awsemr.New(awsemr.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

func TestStepsJSONIsTheEMRAPIShape(t *testing.T) {
	cfg := sampleConfig(t)
	steps, err := Steps(cfg, StepOptions{Skip: []string{"archive_raw"}})
	if err != nil {
		t.Fatal(err)
	}
	api, err := StepsJSON(steps, ShapeAPI)
	if err != nil {
		t.Fatal(err)
	}
	var configs []types.StepConfig
	strictDecode(t, api, &configs)
	if len(configs) != 1 {
		t.Fatalf("%d steps", len(configs))
	}
	s := configs[0]
	if !slices.Contains(types.ActionOnFailure("").Values(), s.ActionOnFailure) || s.ActionOnFailure != types.ActionOnFailureTerminateCluster {
		t.Errorf("ActionOnFailure %q", s.ActionOnFailure)
	}
	if aws.ToString(s.HadoopJarStep.Jar) != "command-runner.jar" {
		t.Errorf("Jar %q", aws.ToString(s.HadoopJarStep.Jar))
	}
	// command-runner.jar runs `bash -c …` on the master: what the shell
	// runs there, with the master's host name.
	want := []string{"sudo", "-u", "furrow", "/usr/local/bin/furrow", "run", "--config", "s3://acme-etl/config/furrow.yml",
		"--cluster", "--join", "ip-10-0-1-23.eu-west-1.compute.internal:7946", "--tls-bundle", "/etc/furrow/tls/bundle.zip", "--skip", "archive_raw"}
	if got := onMaster(t, s.HadoopJarStep.Args); !reflect.DeepEqual(got, want) {
		t.Errorf("the master runs\n %q\nwant %q", got, want)
	}

	// The SDK accepts it (its required-member validation runs before
	// sending) and sends exactly this JSON.
	var a emrAPI
	client := a.start(t, `{"StepIds": ["s-FURROW"]}`)
	out, err := client.AddJobFlowSteps(context.Background(), &awsemr.AddJobFlowStepsInput{JobFlowId: aws.String("j-TEST"), Steps: configs})
	if err != nil {
		t.Fatalf("AddJobFlowSteps: %v", err)
	}
	if len(out.StepIds) != 1 || a.target != "ElasticMapReduce.AddJobFlowSteps" {
		t.Fatalf("reply %v, target %q", out.StepIds, a.target)
	}
	var generated any
	if err := json.Unmarshal(api, &generated); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.body["Steps"], generated) {
		t.Errorf("the SDK sent\n%v\nfor the generated\n%v", a.body["Steps"], generated)
	}
	// The validation is real: a step without a jar is refused before sending.
	bad := []types.StepConfig{{Name: aws.String("x"), HadoopJarStep: &types.HadoopJarStepConfig{}}}
	if _, err := client.AddJobFlowSteps(context.Background(), &awsemr.AddJobFlowStepsInput{JobFlowId: aws.String("j-TEST"), Steps: bad}); err == nil || !strings.Contains(err.Error(), "Jar") {
		t.Fatalf("a jar-less step: %v", err)
	}
}

// onMaster runs a step's command as command-runner.jar would, with `sudo`
// and `hostname` replaced by shims (the host name is the master's private
// DNS name), and returns the argv sudo received.
func onMaster(t *testing.T, args []string) []string {
	t.Helper()
	if len(args) == 0 || args[0] != "bash" {
		return args
	}
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "sudo"), "#!/bin/sh\nfor a in sudo \"$@\"; do printf '%s\\n' \"$a\"; done\n")
	mustWrite(t, filepath.Join(dir, "hostname"), "#!/bin/sh\n[ \"$1\" = -f ] && echo ip-10-0-1-23.eu-west-1.compute.internal\n")
	for _, f := range []string{"sudo", "hostname"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running %q: %v", args, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// cliStepShape is what `aws emr add-steps --steps file://…` and
// `create-cluster --steps` read (the CLI's own step syntax).
type cliStepShape struct {
	Type, Name, ActionOnFailure, Jar, MainClass string
	Args                                        []string
	Properties                                  string
}

func TestStepsJSONCLIShapeMatchesAPI(t *testing.T) {
	cfg := sampleConfig(t)
	steps, err := Steps(cfg, StepOptions{ResumeFrom: "archive_raw", IgnoreLockOnStart: true, ActionOnFailure: "CANCEL_AND_WAIT"})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := StepsJSON(steps, ShapeCLI)
	if err != nil {
		t.Fatal(err)
	}
	var got []cliStepShape
	strictDecode(t, cli, &got)
	if len(got) != 1 || got[0].Type != "CUSTOM_JAR" || got[0].Jar != CommandRunner || got[0].ActionOnFailure != "CANCEL_AND_WAIT" {
		t.Fatalf("cli shape: %+v", got)
	}
	if !reflect.DeepEqual(got[0].Args, steps[0].Args) || got[0].Name != steps[0].Name {
		t.Fatalf("cli shape differs from the step: %+v vs %+v", got[0], steps[0])
	}
	argv := onMaster(t, got[0].Args)
	if tail := strings.Join(argv[len(argv)-3:], " "); tail != "--resume-from archive_raw --ignore-lock-on-start" {
		t.Errorf("args end %q", tail)
	}
	// An explicit join needs no shell.
	cfg.Furrow.Cluster.Join = []string{"10.0.1.23:7946", "10.0.1.24:7946"}
	steps, err = Steps(cfg, StepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a := steps[0].Args; a[0] != "sudo" || !strings.Contains(strings.Join(a, " "), "--join 10.0.1.23:7946,10.0.1.24:7946 ") {
		t.Errorf("explicit join: %q", a)
	}
}

func TestStepsErrors(t *testing.T) {
	cfg := sampleConfig(t)
	cfg.Furrow.ConfigLocation = ""
	cfg.Source = "/home/me/furrow.yml"
	if _, err := Steps(cfg, StepOptions{}); err == nil || !strings.Contains(err.Error(), "furrow.config_location") {
		t.Errorf("local config: %v", err)
	}
	if _, err := Steps(cfg, StepOptions{ConfigLocation: "file:///etc/furrow.yml"}); err == nil || !strings.Contains(err.Error(), "upload") {
		t.Errorf("file:// config location: %v", err)
	}
	cfg.Source = "s3://b/furrow.yml"
	if _, err := Steps(cfg, StepOptions{Skip: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "--skip") {
		t.Errorf("bad skip: %v", err)
	}
	if _, err := Steps(cfg, StepOptions{ActionOnFailure: "EXPLODE"}); err == nil {
		t.Error("bad action on failure accepted")
	}
	cfg.Furrow.Cluster.Enabled = false
	cfg.Furrow.SpillDir = ""
	steps, err := Steps(cfg, StepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(steps[0].Args, " "); strings.Contains(got, "--cluster") || !strings.Contains(got, "--config s3://b/furrow.yml --spill-dir /mnt/furrow/spill") {
		t.Errorf("single-node step args %q", got)
	}
}

func TestBootstrapActionsJSONIsTheEMRAPIShape(t *testing.T) {
	cfg := sampleConfig(t)
	cfg.Furrow.Cluster.GossipPort = 17946
	cfg.Furrow.Release.SHA256 = strings.Repeat("AB", 32)
	actions, err := BootstrapActions(cfg, BootstrapActionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api, err := BootstrapActionsJSON(actions, ShapeAPI)
	if err != nil {
		t.Fatal(err)
	}
	var configs []types.BootstrapActionConfig
	strictDecode(t, api, &configs)
	want := []string{"--binary", "s3://acme-etl/release/furrow-linux-amd64", "--sha256", strings.Repeat("ab", 32),
		"--tls-bundle", "s3://acme-etl/config/my-certs.zip", "--gossip-port", "17946"}
	if len(configs) != 1 || aws.ToString(configs[0].ScriptBootstrapAction.Path) != "s3://acme-etl/release/install-furrow.sh" ||
		!reflect.DeepEqual(configs[0].ScriptBootstrapAction.Args, want) {
		t.Fatalf("bootstrap action: %+v", configs)
	}

	// A whole RunJobFlow through the SDK: bootstrap action and step together.
	steps, err := Steps(cfg, StepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stepJSON, _ := StepsJSON(steps, ShapeAPI)
	var stepConfigs []types.StepConfig
	strictDecode(t, stepJSON, &stepConfigs)
	var a emrAPI
	client := a.start(t, `{"JobFlowId": "j-FURROW", "ClusterArn": "arn:aws:elasticmapreduce:eu-west-1:123456789012:cluster/j-FURROW"}`)
	out, err := client.RunJobFlow(context.Background(), &awsemr.RunJobFlowInput{
		Name: aws.String("furrow"), ReleaseLabel: aws.String("emr-7.5.0"), LogUri: aws.String(cfg.AWS.S3.Buckets.Log),
		SecurityConfiguration: aws.String(cfg.AWS.EMR.SecurityConfiguration),
		Instances: &types.JobFlowInstancesConfig{
			InstanceCount: aws.Int32(4), MasterInstanceType: aws.String("m5.xlarge"), SlaveInstanceType: aws.String("r5.2xlarge"),
			Ec2SubnetId: aws.String(cfg.AWS.EMR.EC2SubnetID),
		},
		JobFlowRole: aws.String(cfg.AWS.EMR.JobflowRole), ServiceRole: aws.String(cfg.AWS.EMR.ServiceRole),
		BootstrapActions: configs, Steps: stepConfigs,
	})
	if err != nil {
		t.Fatalf("RunJobFlow: %v", err)
	}
	if aws.ToString(out.JobFlowId) != "j-FURROW" || a.target != "ElasticMapReduce.RunJobFlow" {
		t.Fatalf("reply %+v, target %q", out, a.target)
	}
	var generated any
	_ = json.Unmarshal(api, &generated)
	if !reflect.DeepEqual(a.body["BootstrapActions"], generated) {
		t.Errorf("the SDK sent\n%v\nfor the generated\n%v", a.body["BootstrapActions"], generated)
	}

	cli, err := BootstrapActionsJSON(actions, ShapeCLI)
	if err != nil {
		t.Fatal(err)
	}
	var cliShape []struct {
		Name, Path string
		Args       []string
	}
	strictDecode(t, cli, &cliShape)
	if cliShape[0].Path != actions[0].Path || !reflect.DeepEqual(cliShape[0].Args, want) {
		t.Fatalf("cli shape: %+v", cliShape)
	}
}

func TestBootstrapActionsErrors(t *testing.T) {
	cfg := sampleConfig(t)
	cfg.Furrow.Release = emr.Release{}
	cfg.Furrow.Cluster.TLSBundleSource = ""
	_, err := BootstrapActions(cfg, BootstrapActionOptions{})
	for _, key := range []string{"furrow.release.install_script", "furrow.release.binary", "furrow.cluster.tls_bundle_source"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
	cfg = sampleConfig(t)
	cfg.Furrow.Cluster.Enabled = false
	actions, err := BootstrapActions(cfg, BootstrapActionOptions{})
	if err != nil || actions[0].Args[len(actions[0].Args)-1] != "--no-worker" {
		t.Fatalf("single-node: %v %v", actions, err)
	}
}

func TestSecurityConfiguration(t *testing.T) {
	cfg := sampleConfig(t)
	b, err := SecurityConfiguration(cfg, SecurityOptions{LocalDiskKMSKey: "arn:aws:kms:eu-west-1:123456789012:key/abcd"})
	if err != nil {
		t.Fatal(err)
	}
	// The documented structure of an EMR security configuration.
	var doc struct {
		EncryptionConfiguration struct {
			EnableInTransitEncryption        bool
			EnableAtRestEncryption           bool
			InTransitEncryptionConfiguration struct {
				TLSCertificateConfiguration struct{ CertificateProviderType, S3Object string }
			}
			AtRestEncryptionConfiguration struct {
				S3EncryptionConfiguration        struct{ EncryptionMode, AwsKmsKey string }
				LocalDiskEncryptionConfiguration struct {
					EncryptionKeyProviderType, AwsKmsKey string
					EnableEbsEncryption                  bool
				}
			}
		}
	}
	strictDecode(t, b, &doc)
	e := doc.EncryptionConfiguration
	if !e.EnableInTransitEncryption || !e.EnableAtRestEncryption ||
		e.InTransitEncryptionConfiguration.TLSCertificateConfiguration.CertificateProviderType != "PEM" ||
		e.InTransitEncryptionConfiguration.TLSCertificateConfiguration.S3Object != "s3://acme-etl/config/my-certs.zip" ||
		e.AtRestEncryptionConfiguration.S3EncryptionConfiguration.EncryptionMode != "SSE-S3" ||
		e.AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration.EncryptionKeyProviderType != "AwsKms" ||
		!e.AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration.EnableEbsEncryption {
		t.Fatalf("security configuration:\n%s", b)
	}
	// It goes into CreateSecurityConfiguration as a string.
	var a emrAPI
	client := a.start(t, `{"Name": "furrow-encryption", "CreationDateTime": 1.7e9}`)
	if _, err := client.CreateSecurityConfiguration(context.Background(), &awsemr.CreateSecurityConfigurationInput{
		Name: aws.String("furrow-encryption"), SecurityConfiguration: aws.String(string(b)),
	}); err != nil {
		t.Fatal(err)
	}
	if a.body["SecurityConfiguration"] != string(b) {
		t.Error("the SDK did not send the document unchanged")
	}

	if _, err := SecurityConfiguration(cfg, SecurityOptions{}); err == nil || !strings.Contains(err.Error(), "--local-disk-kms-key") {
		t.Errorf("no KMS key: %v", err)
	}
	cfg.AWS.S3.Buckets.Encrypted = false
	if _, err := SecurityConfiguration(cfg, SecurityOptions{NoLocalDisk: true}); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("unencrypted buckets: %v", err)
	}
	cfg.AWS.S3.SSE, cfg.AWS.S3.SSEKMSKeyID = "aws:kms", "arn:aws:kms:eu-west-1:123456789012:key/s3"
	b, err = SecurityConfiguration(cfg, SecurityOptions{NoLocalDisk: true})
	if err != nil || !strings.Contains(string(b), `"SSE-KMS"`) || strings.Contains(string(b), "LocalDisk") {
		t.Fatalf("SSE-KMS: %v\n%s", err, b)
	}
}
