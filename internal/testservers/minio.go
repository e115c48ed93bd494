package testservers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/madmin-go/v3"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// MinIOKMSKeyID is the name of the KMS key StartMinIO configures
// (MINIO_KMS_SECRET_KEY): the key id for SSE-KMS requests. With it SSE-S3
// (AES256) works too; without a KMS key MinIO answers NotImplemented to
// every SSE request.
const MinIOKMSKeyID = "furrow-key"

// MinIO is a running MinIO server on 127.0.0.1 with a fresh data folder.
type MinIO struct {
	// Endpoint is the S3 endpoint URL, e.g. "http://127.0.0.1:41234".
	Endpoint string
	// RootUser and RootPassword are the root credentials. Root bypasses
	// every IAM policy: use AddUser for policy tests.
	RootUser, RootPassword string
	// Dir is the server's data folder.
	Dir string
	// Log is the server's log file.
	Log string
}

// StartMinIO starts the pinned MinIO (.ci/install-minio.sh) with a KMS key
// so SSE-S3 and SSE-KMS work, waits for /minio/health/ready and stops it in
// t.Cleanup. A missing binary calls Missing. env adds server environment
// ("MINIO_SITE_REGION=eu-west-3").
func StartMinIO(t testing.TB, env ...string) *MinIO {
	t.Helper()
	bin := FindBinary("minio")
	if bin == "" {
		Missing(t, "the minio binary is not in %s/bin or on PATH (bash .ci/install-minio.sh builds it)", ToolsDir())
	}
	port, console := FreePort(t), FreePort(t)
	for console == port {
		console = FreePort(t)
	}
	var key [32]byte
	_, _ = rand.Read(key[:])
	m := &MinIO{
		Endpoint:     "http://127.0.0.1:" + strconv.Itoa(port),
		RootUser:     "furrowroot",
		RootPassword: "furrow-" + randomHex(12),
		Dir:          t.TempDir(),
	}
	cmd := exec.Command(bin, "server", "--quiet",
		"--address", "127.0.0.1:"+strconv.Itoa(port),
		"--console-address", "127.0.0.1:"+strconv.Itoa(console),
		m.Dir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.RootUser,
		"MINIO_ROOT_PASSWORD="+m.RootPassword,
		"MINIO_KMS_SECRET_KEY="+MinIOKMSKeyID+":"+base64.StdEncoding.EncodeToString(key[:]),
		"MINIO_BROWSER=off",
		"MINIO_CI_CD=1",
		"MINIO_UPDATE=off",
	)
	cmd.Env = append(cmd.Env, env...)
	m.Log = StartProcess(t, cmd)
	if err := WaitHTTP(m.Endpoint+"/minio/health/ready", 200, 30*time.Second); err != nil {
		logText, _ := os.ReadFile(m.Log)
		t.Fatalf("minio did not become ready: %v\nlog:\n%s", err, logText)
	}
	return m
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RootCredentials returns static credentials of the root user.
func (m *MinIO) RootCredentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(m.RootUser, m.RootPassword, "")
}

// Client returns a path-style S3 client for the server with the given
// credentials (nil: root), for test setup and assertions.
func (m *MinIO) Client(creds aws.CredentialsProvider) *s3.Client {
	if creds == nil {
		creds = m.RootCredentials()
	}
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(m.Endpoint),
		UsePathStyle: true,
		Credentials:  creds,
	})
}

// CreateBucket creates a bucket as root.
func (m *MinIO) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := m.Client(nil).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			t.Fatalf("creating bucket %s: %v", name, err)
		}
	}
}

// AddUser creates a non-root user with the given IAM policy document
// attached (MinIO applies bucket policies only to anonymous requests, so
// IAM policies on a user are how tests enforce "deny unencrypted puts") and
// returns the user's credentials.
func (m *MinIO) AddUser(t testing.TB, user string, policy []byte) aws.CredentialsProvider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatalf("minio endpoint %q: %v", m.Endpoint, err)
	}
	adm, err := madmin.NewWithOptions(u.Host, &madmin.Options{Creds: miniocreds.NewStaticV4(m.RootUser, m.RootPassword, "")})
	if err != nil {
		t.Fatalf("minio admin client: %v", err)
	}
	secret := "secret-" + randomHex(12)
	policyName := user + "-policy"
	if err := adm.AddCannedPolicy(ctx, policyName, policy); err != nil {
		t.Fatalf("adding policy %s: %v\n%s", policyName, err, policy)
	}
	if err := adm.AddUser(ctx, user, secret); err != nil {
		t.Fatalf("adding user %s: %v", user, err)
	}
	if _, err := adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{policyName}, User: user}); err != nil {
		t.Fatalf("attaching policy %s to %s: %v", policyName, user, err)
	}
	return credentials.NewStaticCredentialsProvider(user, secret, "")
}

// DenyUnencryptedPutsPolicy is the IAM policy of the EMR/S3 guidance: full
// access to the buckets, except that s3:PutObject (which also governs
// CreateMultipartUpload) is denied when the x-amz-server-side-encryption
// header is missing or is not AES256.
func DenyUnencryptedPutsPolicy(buckets ...string) []byte {
	var res []string
	for _, b := range buckets {
		res = append(res, "arn:aws:s3:::"+b, "arn:aws:s3:::"+b+"/*")
	}
	objects := make([]string, 0, len(buckets))
	for _, b := range buckets {
		objects = append(objects, "arn:aws:s3:::"+b+"/*")
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{"Sid": "AllowBuckets", "Effect": "Allow", "Action": []string{"s3:*"}, "Resource": res},
			map[string]any{
				"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Action": "s3:PutObject", "Resource": objects,
				"Condition": map[string]any{"StringNotEquals": map[string]string{"s3:x-amz-server-side-encryption": "AES256"}},
			},
			map[string]any{
				"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Action": "s3:PutObject", "Resource": objects,
				"Condition": map[string]any{"Null": map[string]string{"s3:x-amz-server-side-encryption": "true"}},
			},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("marshalling a constant policy: %v", err)) // cannot happen
	}
	return b
}

// Host returns the server's host:port.
func (m *MinIO) Host() string {
	u, _ := url.Parse(m.Endpoint)
	h, p, _ := net.SplitHostPort(u.Host)
	return net.JoinHostPort(h, p)
}
