package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/furrowdata/furrow/emr"
	"github.com/furrowdata/furrow/storage"
)

// CommandRunner is the jar EMR runs commands of custom-jar steps with.
const CommandRunner = "command-runner.jar"

// JSON shapes.
const (
	ShapeCLI = "cli" // aws emr add-steps / create-cluster --steps, --bootstrap-actions
	ShapeAPI = "api" // the EMR API's StepConfig / BootstrapActionConfig
)

// StepOptions adjust the generated step.
type StepOptions struct {
	// ConfigLocation is where the step reads furrow.yml (default:
	// furrow.config_location, else where the config was loaded from if that
	// is an s3:// object).
	ConfigLocation string
	// Skip and ResumeFrom are passed on to the staged run.
	Skip       []string
	ResumeFrom string
	// IgnoreLockOnStart resumes a failed run.
	IgnoreLockOnStart bool
	// ActionOnFailure overrides furrow.steps.action_on_failure.
	ActionOnFailure string
}

// Step is one custom-jar step, independent of the JSON shape.
type Step struct {
	Name            string
	ActionOnFailure string
	Jar             string
	Args            []string
}

// Steps returns the EMR steps of a staged run: one custom-jar step through
// command-runner.jar running `furrow run --config …` on the master as the
// furrow user, with --cluster, --join and --tls-bundle when
// furrow.cluster.enabled. One step keeps the run under one lock; its
// staging, pipeline and archive steps are `furrow run`'s own.
func Steps(cfg *emr.Config, o StepOptions) ([]Step, error) {
	loc := o.ConfigLocation
	if loc == "" {
		loc = cfg.Furrow.ConfigLocation
	}
	if loc == "" && strings.HasPrefix(cfg.Source, "s3://") {
		loc = cfg.Source
	}
	if loc == "" {
		return nil, errors.New("furrow.config_location: the step reads furrow.yml on the master: set it to the s3:// object you upload the config to (or pass --config-location)")
	}
	if l, err := storage.ParseLocation(loc); err != nil {
		return nil, fmt.Errorf("config location: %w", err)
	} else if l.Scheme == "file" {
		return nil, fmt.Errorf("config location %s: the master cannot read a local file of this machine: upload furrow.yml to S3", loc)
	}
	if _, err := emr.PlanSteps(o.Skip, o.ResumeFrom); err != nil {
		return nil, err
	}
	cl := &cfg.Furrow.Cluster
	args := []string{"sudo", "-u", cl.User, emr.DefaultBinary, "run", "--config", loc}
	resolveJoin := false
	if cl.Enabled {
		join := strings.Join(cl.Join, ",")
		if join == "" {
			// The master's private DNS name is only known on the master.
			join, resolveJoin = masterJoin+strconv.Itoa(cl.GossipPort), true
		}
		args = append(args, "--cluster", "--join", join, "--tls-bundle", cl.TLSBundle)
	}
	if cfg.Furrow.SpillDir == "" {
		args = append(args, "--spill-dir", cl.SpillDir)
	}
	if len(o.Skip) > 0 {
		args = append(args, "--skip", strings.Join(o.Skip, ","))
	}
	if o.ResumeFrom != "" {
		args = append(args, "--resume-from", o.ResumeFrom)
	}
	if o.IgnoreLockOnStart {
		args = append(args, "--ignore-lock-on-start")
	}
	action := o.ActionOnFailure
	if action == "" {
		action = cfg.Furrow.Steps.ActionOnFailure
	}
	switch action {
	case "TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW", "CANCEL_AND_WAIT", "CONTINUE":
	default:
		return nil, fmt.Errorf("action on failure %q is not TERMINATE_CLUSTER, CANCEL_AND_WAIT or CONTINUE", action)
	}
	if resolveJoin {
		args = shellCommand(args)
	}
	return []Step{{Name: cfg.Furrow.Steps.Name, ActionOnFailure: action, Jar: CommandRunner, Args: args}}, nil
}

// masterJoin is the placeholder of the master's own address in a step's
// --join; shellCommand expands it on the master.
const masterJoin = "$(hostname -f):"

// shellCommand turns args into `bash -c '…'`, every argument single-quoted
// except that the masterJoin placeholder is left for the shell to expand.
func shellCommand(args []string) []string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, masterJoin) {
			quoted[i] = `"` + a + `"`
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return []string{"bash", "-c", "exec " + strings.Join(quoted, " ")}
}

// BootstrapAction is one bootstrap action, independent of the JSON shape.
type BootstrapAction struct {
	Name string
	Path string
	Args []string
}

// BootstrapActionOptions adjust the generated bootstrap action.
type BootstrapActionOptions struct {
	// NoWorker installs the binary and TLS material without starting the worker.
	NoWorker bool
}

// BootstrapActions returns the bootstrap action that installs furrow on
// every node (install-furrow.sh, uploaded to furrow.release.install_script).
func BootstrapActions(cfg *emr.Config, o BootstrapActionOptions) ([]BootstrapAction, error) {
	r := &cfg.Furrow.Release
	cl := &cfg.Furrow.Cluster
	var errs []error
	if r.InstallScript == "" {
		errs = append(errs, errors.New("furrow.release.install_script: required: the s3:// object you uploaded bootstrap/install-furrow.sh to"))
	}
	if r.Binary == "" {
		errs = append(errs, errors.New("furrow.release.binary: required: the s3:// (or https://) location of the furrow linux binary"))
	}
	if cl.Enabled && cl.TLSBundleSource == "" && !o.NoWorker {
		errs = append(errs, errors.New("furrow.cluster.tls_bundle_source: required with furrow.cluster.enabled: the EMR PEM bundle zip your security configuration names"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	args := []string{"--binary", r.Binary}
	if r.SHA256 != "" {
		args = append(args, "--sha256", strings.ToLower(r.SHA256))
	}
	if cl.TLSBundleSource != "" {
		args = append(args, "--tls-bundle", cl.TLSBundleSource)
	}
	if cl.User != emr.DefaultUser {
		args = append(args, "--user", cl.User)
	}
	if cl.ShufflePort != emr.DefaultShufflePort {
		args = append(args, "--shuffle-port", strconv.Itoa(cl.ShufflePort))
	}
	if cl.GossipPort != emr.DefaultGossipPort {
		args = append(args, "--gossip-port", strconv.Itoa(cl.GossipPort))
	}
	if cl.MetricsPort != emr.DefaultMetricsPort {
		args = append(args, "--metrics-port", strconv.Itoa(cl.MetricsPort))
	}
	if cl.SpillDir != emr.DefaultSpillDir {
		args = append(args, "--spill-dir", cl.SpillDir)
	}
	if cl.MemoryBudget > 0 {
		args = append(args, "--memory-budget", strconv.FormatInt(int64(cl.MemoryBudget), 10))
	}
	if cl.Seed != "" {
		args = append(args, "--seed", cl.Seed)
	}
	if o.NoWorker || !cl.Enabled {
		args = append(args, "--no-worker")
	}
	return []BootstrapAction{{Name: "furrow: install binary, TLS material and worker service", Path: r.InstallScript, Args: args}}, nil
}

// The JSON shapes. omitempty everywhere: the EMR API and CLI take absent
// members, not nulls.
type (
	cliStep struct {
		Type            string   `json:"Type"`
		Name            string   `json:"Name"`
		ActionOnFailure string   `json:"ActionOnFailure"`
		Jar             string   `json:"Jar"`
		Args            []string `json:"Args"`
	}
	apiStep struct {
		Name            string     `json:"Name"`
		ActionOnFailure string     `json:"ActionOnFailure"`
		HadoopJarStep   apiJarStep `json:"HadoopJarStep"`
	}
	apiJarStep struct {
		Jar  string   `json:"Jar"`
		Args []string `json:"Args"`
	}
	cliAction struct {
		Name string   `json:"Name"`
		Path string   `json:"Path"`
		Args []string `json:"Args,omitempty"`
	}
	apiAction struct {
		Name                  string          `json:"Name"`
		ScriptBootstrapAction apiScriptAction `json:"ScriptBootstrapAction"`
	}
	apiScriptAction struct {
		Path string   `json:"Path"`
		Args []string `json:"Args,omitempty"`
	}
)

// StepsJSON renders steps in a shape, indented, with a final newline.
func StepsJSON(steps []Step, shape string) ([]byte, error) {
	var v any
	switch shape {
	case ShapeCLI, "":
		out := make([]cliStep, len(steps))
		for i, s := range steps {
			out[i] = cliStep{Type: "CUSTOM_JAR", Name: s.Name, ActionOnFailure: s.ActionOnFailure, Jar: s.Jar, Args: s.Args}
		}
		v = out
	case ShapeAPI:
		out := make([]apiStep, len(steps))
		for i, s := range steps {
			out[i] = apiStep{Name: s.Name, ActionOnFailure: s.ActionOnFailure, HadoopJarStep: apiJarStep{Jar: s.Jar, Args: s.Args}}
		}
		v = out
	default:
		return nil, fmt.Errorf("--format %q is not cli or api", shape)
	}
	return marshal(v)
}

// BootstrapActionsJSON renders bootstrap actions in a shape.
func BootstrapActionsJSON(actions []BootstrapAction, shape string) ([]byte, error) {
	var v any
	switch shape {
	case ShapeCLI, "":
		out := make([]cliAction, len(actions))
		for i, a := range actions {
			out[i] = cliAction(a)
		}
		v = out
	case ShapeAPI:
		out := make([]apiAction, len(actions))
		for i, a := range actions {
			out[i] = apiAction{Name: a.Name, ScriptBootstrapAction: apiScriptAction{Path: a.Path, Args: a.Args}}
		}
		v = out
	default:
		return nil, fmt.Errorf("--format %q is not cli or api", shape)
	}
	return marshal(v)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SecurityOptions adjust the security configuration.
type SecurityOptions struct {
	// LocalDiskKMSKey is the KMS key ARN EMR encrypts local disks (instance
	// store and EBS) with. Required unless NoLocalDisk.
	LocalDiskKMSKey string
	// NoLocalDisk leaves local-disk encryption out.
	NoLocalDisk bool
}

// SecurityConfiguration returns the EMR security configuration JSON (for
// `aws emr create-security-configuration --security-configuration
// file://…`) matching furrow.yml: S3 encryption as the buckets' (SSE-S3, or
// SSE-KMS with aws.s3.sse_kms_key_id), local-disk encryption with a KMS
// key, and in-transit encryption with the PEM provider pointing at
// furrow.cluster.tls_bundle_source — the same zip the bootstrap action
// installs for furrow's own shuffle.
func SecurityConfiguration(cfg *emr.Config, o SecurityOptions) ([]byte, error) {
	var errs []error
	src := cfg.Furrow.Cluster.TLSBundleSource
	if src == "" {
		errs = append(errs, errors.New("furrow.cluster.tls_bundle_source: required: the s3:// PEM bundle zip for in-transit encryption"))
	}
	if !o.NoLocalDisk && !strings.HasPrefix(o.LocalDiskKMSKey, "arn:") {
		errs = append(errs, fmt.Errorf("local-disk encryption needs a KMS key ARN (--local-disk-kms-key arn:aws:kms:…), got %q", o.LocalDiskKMSKey))
	}
	s3enc := map[string]any{"EncryptionMode": "SSE-S3"}
	switch cfg.SSE() {
	case "aws:kms":
		if cfg.AWS.S3.SSEKMSKeyID == "" {
			errs = append(errs, errors.New("aws.s3.sse_kms_key_id: EMR's SSE-KMS mode needs the key"))
		}
		s3enc = map[string]any{"EncryptionMode": "SSE-KMS", "AwsKmsKey": cfg.AWS.S3.SSEKMSKeyID}
	case "":
		errs = append(errs, errors.New("aws.s3.buckets.encrypted: false: set it (or aws.s3.sse) so that furrow's writes match the cluster's S3 encryption"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	atRest := map[string]any{"S3EncryptionConfiguration": s3enc}
	if !o.NoLocalDisk {
		atRest["LocalDiskEncryptionConfiguration"] = map[string]any{
			"EncryptionKeyProviderType": "AwsKms",
			"AwsKmsKey":                 o.LocalDiskKMSKey,
			"EnableEbsEncryption":       true,
		}
	}
	doc := map[string]any{
		"EncryptionConfiguration": map[string]any{
			"EnableInTransitEncryption": true,
			"EnableAtRestEncryption":    true,
			"InTransitEncryptionConfiguration": map[string]any{
				"TLSCertificateConfiguration": map[string]any{
					"CertificateProviderType": "PEM",
					"S3Object":                src,
				},
			},
			"AtRestEncryptionConfiguration": atRest,
		},
	}
	return marshal(doc)
}
