// Package bootstrap owns how furrow gets onto an EMR cluster and runs
// there: the bootstrap action script (install-furrow.sh, embedded as
// Script), the systemd unit of the worker daemon and its /etc/furrow/worker.yml,
// how both are sized to the node, and the JSON that `aws emr` takes for
// furrow's bootstrap action, its custom-jar step and the cluster's
// security configuration — all generated from furrow.yml (package emr).
//
// The step runs on the master through command-runner.jar:
//
//	sudo -u furrow /usr/local/bin/furrow run --config s3://…/furrow.yml [--cluster --join … --tls-bundle …]
//
// as the dedicated user that owns the TLS material and the spill folder.
// JSON comes in two shapes: "cli", what `aws emr add-steps --steps
// file://…` and `aws emr create-cluster --steps/--bootstrap-actions
// file://…` read (Type/Jar/Args, Path/Args), and "api", the EMR API's
// StepConfig / BootstrapActionConfig as SDKs, Step Functions and Airflow's
// EmrAddStepsOperator take them. Both describe the same steps; the tests
// decode the api shape strictly into aws-sdk-go-v2's emr types and send it
// through the SDK's own validation and serialization.
//
// See README.md beside this file for a whole cluster launch.
package bootstrap
