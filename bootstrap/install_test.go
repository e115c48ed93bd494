package bootstrap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// shims stand in for what a throwaway root cannot do for real: becoming
// root (sudo), the user database (id, useradd, chown of a user that only
// exists in $FURROW_ROOT/etc/passwd), systemd, and the AWS CLI (whose
// `aws s3 cp` is served by the furrow binary under test, against MinIO).
// Each records its calls in $SHIM_LOG.
var shims = map[string]string{
	"sudo": `#!/bin/sh
echo "sudo $*" >>"$SHIM_LOG"
exec "$@"
`,
	"id": `#!/bin/sh
# id -u: the caller is hadoop (1000); id -u NAME: from the fake passwd.
if [ "$#" -eq 1 ] && [ "$1" = -u ]; then echo 1000; exit 0; fi
if [ "$#" -eq 2 ] && [ "$1" = -u ]; then
  line=$(grep "^$2:" "$FURROW_ROOT/etc/passwd" 2>/dev/null) || exit 1
  echo "$line" | cut -d: -f3
  exit 0
fi
echo "id shim: unsupported: $*" >&2
exit 2
`,
	"useradd": `#!/bin/sh
echo "useradd $*" >>"$SHIM_LOG"
for last in "$@"; do :; done
mkdir -p "$FURROW_ROOT/etc"
echo "$last:x:990:990::/var/lib/furrow:/sbin/nologin" >>"$FURROW_ROOT/etc/passwd"
`,
	"chown": `#!/bin/sh
owner=$1
shift
user=${owner%%:*}
group=${owner#*:}
for u in "$user" "$group"; do
  if [ "$u" != root ] && ! grep -q "^$u:" "$FURROW_ROOT/etc/passwd" 2>/dev/null; then
    echo "chown: invalid user: '$owner'" >&2
    exit 1
  fi
done
for p in "$@"; do echo "chown $owner $p" >>"$SHIM_LOG"; done
`,
	"systemctl": `#!/bin/sh
echo "systemctl $*" >>"$SHIM_LOG"
`,
	"journalctl": `#!/bin/sh
exit 0
`,
	"aws": `#!/bin/sh
# aws s3 cp [--only-show-errors] SRC DST
echo "aws $*" >>"$SHIM_LOG"
[ "$1" = s3 ] && [ "$2" = cp ] || { echo "aws shim: unsupported: $*" >&2; exit 2; }
for a in "$@"; do src=$dst; dst=$a; done
exec "$FURROW_TEST_BIN" cp -q "$src" "$dst"
`,
}

const jobFlowJSON = `{
  "jobFlowId": "j-2AO77MNLG17NW",
  "jobFlowCreationInstant": 1429046932628,
  "instanceCount": 4,
  "masterInstanceId": "i-08dea4f4",
  "masterPrivateDnsName": "ip-10-0-1-23.eu-west-1.compute.internal",
  "masterInstanceType": "m5.xlarge",
  "slaveInstanceType": "r5.2xlarge",
  "hadoopVersion": "3.3.6",
  "instanceGroups": [{"instanceGroupId": "ig-16NXM94TY33LB", "instanceGroupName": "CORE", "instanceRole": "Core",
    "marketType": "OnDemand", "instanceType": "r5.2xlarge", "requestedInstanceCount": 3}]
}
`

const instanceJSON = `{"instanceGroupId":"ig-16NXM94TY33LB","isMaster":false,"isRunningNameNode":false,"isRunningDataNode":true,"isRunningJobTracker":false,"isRunningTaskTracker":true}`

// node is a throwaway root with EMR's info files and the shims.
type node struct {
	t             *testing.T
	root, shimDir string
	log           string
	env           []string
	bin, binSHA   string
	bundle        []byte
}

func newNode(t *testing.T, m *testservers.MinIO) *node {
	t.Helper()
	n := &node{t: t, root: t.TempDir(), shimDir: t.TempDir()}
	n.log = filepath.Join(t.TempDir(), "shims.log")
	for name, body := range shims {
		if err := os.WriteFile(filepath.Join(n.shimDir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	info := filepath.Join(n.root, "mnt", "var", "lib", "info")
	mustWrite(t, filepath.Join(info, "job-flow.json"), jobFlowJSON)
	mustWrite(t, filepath.Join(info, "instance.json"), instanceJSON)
	mustWrite(t, filepath.Join(n.root, "proc", "meminfo"), "MemTotal:       16318480 kB\nMemFree:         9000000 kB\n")
	n.bin = furrowBinary(t)
	n.env = []string{
		"PATH=" + n.shimDir + ":/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + t.TempDir(),
		"FURROW_ROOT=" + n.root,
		"FURROW_MEMINFO=" + filepath.Join(n.root, "proc", "meminfo"),
		"SHIM_LOG=" + n.log,
		"FURROW_TEST_BIN=" + n.bin,
		"AWS_ACCESS_KEY_ID=" + m.RootUser,
		"AWS_SECRET_ACCESS_KEY=" + m.RootPassword,
		"AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_S3=" + m.Endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
		"FURROW_S3_PATH_STYLE=true",
		"FURROW_LOG_LEVEL=warn",
	}
	return n
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs the script with args; it returns the combined output, the shim
// calls of this run, and whether it succeeded.
func (n *node) run(args ...string) (string, string, bool) {
	n.t.Helper()
	_ = os.Remove(n.log)
	cmd := exec.Command("bash", append([]string{"install-furrow.sh"}, args...)...)
	cmd.Env = n.env
	out, err := cmd.CombinedOutput()
	calls, _ := os.ReadFile(n.log)
	return string(out), string(calls), err == nil
}

func (n *node) path(p string) string { return filepath.Join(n.root, p) }

func (n *node) mode(p string) os.FileMode {
	n.t.Helper()
	fi, err := os.Stat(n.path(p))
	if err != nil {
		n.t.Fatal(err)
	}
	return fi.Mode()
}

func (n *node) read(p string) []byte {
	n.t.Helper()
	b, err := os.ReadFile(n.path(p))
	if err != nil {
		n.t.Fatal(err)
	}
	return b
}

func put(t *testing.T, m *testservers.MinIO, key string, body []byte) {
	t.Helper()
	if _, err := m.Client(nil).PutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String("release"), Key: aws.String(key), Body: bytes.NewReader(body),
	}); err != nil {
		t.Fatal(err)
	}
}

// TestInstallScript runs install-furrow.sh in a throwaway root against
// MinIO: the binary through `aws s3 cp` (shimmed to `furrow cp`) and
// through curl of a presigned URL, the TLS bundle through the installed
// `furrow cp`.
func TestInstallScript(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "release")
	n := newNode(t, m)

	bin, err := os.ReadFile(n.bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	n.binSHA = hex.EncodeToString(sum[:])
	put(t, m, "furrow-linux-amd64", bin)
	put(t, m, "furrow-linux-amd64.sha256", []byte(n.binSHA+"  furrow-linux-amd64\n"))
	ca := transporttest.NewCA(t, "furrow test CA", transporttest.ECDSAP256)
	leaf := ca.Issue(t, transporttest.CertOptions{CommonName: "*.eu-west-1.compute.internal", DNSNames: []string{"*.eu-west-1.compute.internal"}, NoIP: true})
	n.bundle, err = os.ReadFile(transporttest.WriteZip(t, leaf.Bundle(), ""))
	if err != nil {
		t.Fatal(err)
	}
	put(t, m, "certs/my-certs.zip", n.bundle)
	expired := ca.Issue(t, transporttest.CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	expiredZip, _ := os.ReadFile(transporttest.WriteZip(t, expired.Bundle(), "certs"))
	put(t, m, "certs/expired.zip", expiredZip)
	presigned, err := awss3.NewPresignClient(m.Client(nil)).PresignGetObject(context.Background(),
		&awss3.GetObjectInput{Bucket: aws.String("release"), Key: aws.String("furrow-linux-amd64")},
		func(o *awss3.PresignOptions) { o.Expires = time.Hour })
	if err != nil {
		t.Fatal(err)
	}

	// First install: everything is new.
	out, calls, ok := n.run("--binary", "s3://release/furrow-linux-amd64", "--tls-bundle", "s3://release/certs/my-certs.zip")
	if !ok {
		t.Fatalf("first install failed:\n%s\ncalls:\n%s", out, calls)
	}
	if got := n.read("usr/local/bin/furrow"); !bytes.Equal(got, bin) {
		t.Fatal("installed binary differs from the release")
	}
	for p, want := range map[string]os.FileMode{
		"usr/local/bin/furrow":                     0o755,
		"etc/furrow/tls":                           os.ModeDir | 0o700,
		"etc/furrow/tls/bundle.zip":                0o600,
		"etc/furrow/worker.yml":                    0o640,
		"etc/systemd/system/furrow-worker.service": 0o644,
		"mnt/furrow/spill":                         os.ModeDir | 0o700,
	} {
		if got := n.mode(p); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
	}
	if !bytes.Equal(n.read("etc/furrow/tls/bundle.zip"), n.bundle) {
		t.Error("installed bundle differs from the S3 object")
	}
	for _, want := range []string{
		"aws s3 cp --only-show-errors s3://release/furrow-linux-amd64 ",
		"useradd --system --user-group --no-create-home --home-dir /var/lib/furrow --shell /sbin/nologin furrow",
		"chown furrow:furrow " + n.path("etc/furrow/tls") + "\n",
		"chown furrow:furrow " + n.path("etc/furrow/tls/bundle.zip") + "\n",
		"chown furrow:furrow " + n.path("mnt/furrow/spill") + "\n",
		"chown root:furrow " + n.path("etc/furrow/worker.yml") + "\n",
		"systemctl daemon-reload\n",
		"systemctl enable furrow-worker.service\n",
		"systemctl restart furrow-worker.service\n",
		"systemctl is-active --quiet furrow-worker.service\n",
	} {
		if !strings.Contains(calls, want) {
			t.Errorf("first install: no call %q", strings.TrimSpace(want))
		}
	}
	if !strings.Contains(calls, "sudo install -m 0600 ") {
		t.Error("files were not installed through sudo (the script runs as hadoop)")
	}
	w, err := ParseWorkerConfig(n.read("etc/furrow/worker.yml"))
	if err != nil {
		t.Fatal(err)
	}
	size, _ := SizeFor(16318480<<10, 0) // the node's MemTotal
	if len(w.Join) != 1 || w.Join[0] != "ip-10-0-1-23.eu-west-1.compute.internal:7946" || w.TLSBundle != "/etc/furrow/tls/bundle.zip" ||
		w.Listen != "0.0.0.0:7447" || w.SpillDir != "/mnt/furrow/spill" || w.MemoryBudget != strconv.FormatInt(size.MemoryBudget, 10) {
		t.Errorf("worker.yml: %+v", w)
	}
	unit := string(n.read("etc/systemd/system/furrow-worker.service"))
	for _, want := range []string{"User=furrow\n",
		"ExecStart=/usr/local/bin/furrow worker --listen 0.0.0.0:7447 --gossip 0.0.0.0:7946 --join ip-10-0-1-23.eu-west-1.compute.internal:7946 --tls-bundle /etc/furrow/tls/bundle.zip ",
		"Restart=on-failure\n", "StandardOutput=journal\n", "LimitNOFILE=1048576\n",
		fmt.Sprintf("MemoryHigh=%dM\n", size.MemoryHigh>>20), fmt.Sprintf("MemoryMax=%dM\n", size.MemoryMax>>20)} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
	stamp := func() map[string]time.Time {
		m := map[string]time.Time{}
		for _, p := range []string{"usr/local/bin/furrow", "etc/furrow/tls/bundle.zip", "etc/furrow/worker.yml", "etc/systemd/system/furrow-worker.service"} {
			fi, err := os.Stat(n.path(p))
			if err != nil {
				t.Fatal(err)
			}
			m[p] = fi.ModTime()
		}
		return m
	}
	before := stamp()

	// Re-run, the binary through curl this time: nothing changes, the
	// worker is not restarted, the user not re-created.
	out, calls, ok = n.run("--binary", presigned.URL, "--sha256", strings.ToUpper(n.binSHA), "--tls-bundle", "s3://release/certs/my-certs.zip")
	if !ok {
		t.Fatalf("re-run failed:\n%s", out)
	}
	for p, tm := range stamp() {
		if !tm.Equal(before[p]) {
			t.Errorf("re-run rewrote %s", p)
		}
	}
	for _, not := range []string{"useradd", "daemon-reload", "restart", "aws s3"} {
		if strings.Contains(calls, not) {
			t.Errorf("re-run called %q:\n%s", not, calls)
		}
	}
	if !strings.Contains(calls, "systemctl start furrow-worker.service") || !strings.Contains(out, "already up to date") {
		t.Errorf("re-run did not just make sure the worker runs:\n%s\n%s", out, calls)
	}

	// A changed seed changes worker.yml and the unit: reload and restart.
	out, calls, ok = n.run("--binary", "s3://release/furrow-linux-amd64", "--tls-bundle", "s3://release/certs/my-certs.zip", "--seed", "master.example.internal")
	if !ok {
		t.Fatalf("seed override failed:\n%s", out)
	}
	if w, _ := ParseWorkerConfig(n.read("etc/furrow/worker.yml")); len(w.Join) != 1 || w.Join[0] != "master.example.internal:7946" {
		t.Errorf("seed override: join %v", w.Join)
	}
	if !strings.Contains(string(n.read("etc/systemd/system/furrow-worker.service")), "--join master.example.internal:7946 ") {
		t.Error("seed override: the unit's ExecStart does not carry the new seed")
	}
	if !strings.Contains(calls, "systemctl restart furrow-worker.service") || !strings.Contains(calls, "daemon-reload") {
		t.Errorf("seed override calls:\n%s", calls)
	}

	// Failures leave what is installed alone and say why.
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"checksum", []string{"--binary", presigned.URL, "--sha256", strings.Repeat("0", 64), "--tls-bundle", "s3://release/certs/my-certs.zip"}, "SHA-256 mismatch"},
		{"expired bundle", []string{"--binary", "s3://release/furrow-linux-amd64", "--tls-bundle", "s3://release/certs/expired.zip"}, "is not usable"},
		{"missing bundle", []string{"--binary", "s3://release/furrow-linux-amd64", "--tls-bundle", "s3://release/certs/nope.zip"}, "downloading s3://release/certs/nope.zip failed"},
		{"no binary", []string{"--tls-bundle", "s3://release/certs/my-certs.zip"}, "--binary is required"},
		{"no bundle", []string{"--binary", "s3://release/furrow-linux-amd64"}, "--tls-bundle is required"},
		{"bad flag", []string{"--binary", "s3://release/furrow-linux-amd64", "--colour"}, "unknown argument '--colour'"},
	} {
		out, _, ok := n.run(tc.args...)
		if ok || !strings.Contains(out, tc.msg) {
			t.Errorf("%s: ok=%v, want a failure saying %q:\n%s", tc.name, ok, tc.msg, out)
		}
	}
	if !bytes.Equal(n.read("usr/local/bin/furrow"), bin) || !bytes.Equal(n.read("etc/furrow/tls/bundle.zip"), n.bundle) {
		t.Error("a failed run changed the installed files")
	}

	// Not an EMR node and no --seed: a clear error.
	if err := os.Remove(n.path("mnt/var/lib/info/job-flow.json")); err != nil {
		t.Fatal(err)
	}
	out, _, ok = n.run("--binary", "s3://release/furrow-linux-amd64", "--tls-bundle", "s3://release/certs/my-certs.zip")
	if ok || !strings.Contains(out, "no --seed given") {
		t.Errorf("no job-flow.json: %v\n%s", ok, out)
	}

	// --no-worker on a fresh node: the binary, user and spill folder only.
	n2 := newNode(t, m)
	out, calls, ok = n2.run("--binary", "s3://release/furrow-linux-amd64", "--no-worker")
	if !ok {
		t.Fatalf("--no-worker failed:\n%s", out)
	}
	if _, err := os.Stat(n2.path("etc/systemd/system/furrow-worker.service")); !os.IsNotExist(err) || strings.Contains(calls, "systemctl") {
		t.Errorf("--no-worker wrote a unit or called systemctl: %v\n%s", err, calls)
	}
	if n2.mode("usr/local/bin/furrow") != 0o755 || n2.mode("mnt/furrow/spill") != os.ModeDir|0o700 {
		t.Error("--no-worker did not install the binary and spill folder")
	}
}

// TestShellcheck lints the bootstrap action and the CI installer.
func TestShellcheck(t *testing.T) {
	sc := testservers.FindBinary("shellcheck")
	if sc == "" {
		testservers.Missing(t, "shellcheck is not installed (bash .ci/install-shellcheck.sh)")
	}
	root := testservers.RepoRoot(t)
	cmd := exec.Command(sc, "--severity=style", filepath.Join(root, "bootstrap", "install-furrow.sh"), filepath.Join(root, ".ci", "install-shellcheck.sh"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}

// TestEmbeddedScriptIsTheFile: `furrow emr install-script` prints this file.
func TestEmbeddedScriptIsTheFile(t *testing.T) {
	b, err := os.ReadFile("install-furrow.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, Script) {
		t.Fatal("Script differs from install-furrow.sh")
	}
	if !bytes.HasPrefix(b, []byte("#!/usr/bin/env bash\n")) || !bytes.Contains(b, []byte("\nset -euo pipefail\n")) {
		t.Fatal("the script must start with a bash shebang and set -euo pipefail")
	}
}
