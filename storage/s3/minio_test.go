package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/s3"
	"github.com/furrowdata/furrow/storage/storetest"
)

// newStore opens a Store on m with root credentials unless cfg has others.
func newStore(t testing.TB, m *testservers.MinIO, bucket, prefix string, cfg s3.Config) *s3.Store {
	t.Helper()
	if cfg.Endpoint == "" {
		cfg.Endpoint = m.Endpoint
	}
	cfg.PathStyle = true
	if cfg.Credentials == nil {
		cfg.Credentials = m.RootCredentials()
	}
	st, err := s3.New(context.Background(), bucket, prefix, cfg)
	if err != nil {
		t.Fatalf("s3.New: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func head(t testing.TB, c *awss3.Client, bucket, key string) *awss3.HeadObjectOutput {
	t.Helper()
	out, err := c.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HEAD %s/%s: %v", bucket, key, err)
	}
	return out
}

// assertNoUploads fails when the bucket has an incomplete multipart upload.
func assertNoUploads(t testing.TB, c *awss3.Client, bucket string) {
	t.Helper()
	out, err := c.ListMultipartUploads(context.Background(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	for _, u := range out.Uploads {
		t.Errorf("incomplete multipart upload left behind: key %s id %s", aws.ToString(u.Key), aws.ToString(u.UploadId))
	}
}

// waitUpload polls until a multipart upload of key is in progress, so a test
// that kills a write knows the write had really gone multipart.
func waitUpload(t testing.TB, c *awss3.Client, bucket, key string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.ListMultipartUploads(context.Background(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) == key {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no multipart upload of %s started", key)
}

func TestStoreContractMinIO(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "contract")
	t.Run("prefix", func(t *testing.T) {
		st := newStore(t, m, "contract", "/some/prefix/", s3.Config{})
		storetest.Run(t, st)
		if got := st.URL("a/b"); got != "s3://contract/some/prefix/a/b" {
			t.Errorf("URL = %q", got)
		}
		s := st.Stats()
		if s.Requests == 0 || s.Attempts < s.Requests || s.BytesRead == 0 || s.BytesWritten == 0 {
			t.Errorf("stats not counted: %+v", s)
		}
	})
	t.Run("bucket-root", func(t *testing.T) {
		m.CreateBucket(t, "rootbucket")
		storetest.Run(t, newStore(t, m, "rootbucket", "", s3.Config{}))
	})
}

func TestListSkipsFolderMarkersAndPaginates(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "list")
	c := m.Client(nil)
	ctx := context.Background()
	put := func(key, body string) {
		t.Helper()
		if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("list"), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put("p/in/", "")            // console-style folder marker
	put("p/in_$folder$", "")    // Hadoop/EMRFS placeholder
	put("p/in/_SUCCESS", "")    // a real (empty) object: listed; storage.IsHidden filters it for inputs
	put("p/in/a.tsv", "a")      //
	put("p/in/sub/", "")        // nested marker
	put("p/in/sub/b.tsv", "bb") //
	for i := 0; i < 1005; i++ { // more than one ListObjectsV2 page (1000 keys)
		put("p/many/"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+"-"+itoa(i), "")
	}
	st := newStore(t, m, "list", "p", s3.Config{})
	var keys []string
	if err := st.List(ctx, "in", func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{"in/_SUCCESS", "in/a.tsv", "in/sub/b.tsv"}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("List(in) = %q, want %q", keys, want)
	}
	n, last := 0, ""
	if err := st.List(ctx, "many/", func(o storage.ObjectInfo) error {
		if o.Key <= last {
			t.Fatalf("listing out of order: %q after %q", o.Key, last)
		}
		last = o.Key
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1005 {
		t.Fatalf("listed %d keys across pages, want 1005", n)
	}
	stop := errors.New("stop")
	if err := st.List(ctx, "many/", func(storage.ObjectInfo) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error not returned: %v", err)
	}
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[p:])
		}
	}
}

// TestSSEPolicy runs as a non-root user whose IAM policy denies every
// PutObject/CreateMultipartUpload without x-amz-server-side-encryption:
// AES256, as the EMR/S3 guidance's bucket policy does.
func TestSSEPolicy(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "secure")
	creds := m.AddUser(t, "furrowwriter", testservers.DenyUnencryptedPutsPolicy("secure"))
	root := m.Client(nil)
	ctx := context.Background()

	t.Run("encrypted-writes-pass-the-policy", func(t *testing.T) {
		st := newStore(t, m, "secure", "enc", s3.Config{SSE: s3.SSEAES256, Credentials: creds})
		storetest.Run(t, st)
		for _, key := range []string{"a.bin", "deep/b.bin"} {
			if err := storage.WriteAll(ctx, st, key, []byte("payload "+key)); err != nil {
				t.Fatalf("encrypted write of %s denied: %v", key, err)
			}
		}
		n := 0
		if err := st.List(ctx, "", func(o storage.ObjectInfo) error {
			n++
			out := head(t, root, "secure", st.ObjectKey(o.Key))
			if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
				t.Errorf("%s: ServerSideEncryption = %q, want AES256", o.Key, out.ServerSideEncryption)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n < 4 { // in.txt, in/…, other/d.txt from storetest plus the two above
			t.Fatalf("only %d objects to check", n)
		}
	})

	t.Run("unencrypted-writes-are-denied", func(t *testing.T) {
		st := newStore(t, m, "secure", "plain", s3.Config{Credentials: creds})
		err := storage.WriteAll(ctx, st, "x/part-0", []byte("plain"))
		if err == nil {
			t.Fatal("an unencrypted write passed a deny-unencrypted policy")
		}
		msg := err.Error()
		if !strings.Contains(msg, "AccessDenied") || !strings.Contains(msg, "s3://secure/plain/x/part-0") {
			t.Fatalf("error should say AccessDenied and name the object: %v", err)
		}
		if _, err := st.Stat(ctx, "x/part-0"); !st.IsNotFound(err) {
			t.Fatalf("denied object exists? stat err = %v", err)
		}
		// The multipart path is denied at CreateMultipartUpload.
		mp := newStore(t, m, "secure", "plain", s3.Config{Credentials: creds, PartSize: s3.MinPartSize})
		err = storage.WriteAll(ctx, mp, "x/big", randomBytes(t, int(s3.MinPartSize)+1))
		if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("unencrypted multipart write: err = %v, want AccessDenied", err)
		}
		assertNoUploads(t, root, "secure")
	})

	t.Run("multipart-encrypted", func(t *testing.T) {
		data := randomBytes(t, int(2*s3.MinPartSize)+12345) // 3 parts
		// Canary: MinIO checks the policy on every UploadPart with that
		// request's own headers (AWS does not, and rejects SSE headers on
		// parts), so without SSEOnParts the parts are denied. When this
		// starts passing, MinIO has changed and SSEOnParts can go.
		// (MinIO answers 403 before reading a part's body, which the client
		// may see as a reset connection and retry: keep the budget small.)
		noParts := newStore(t, m, "secure", "mp", s3.Config{SSE: s3.SSEAES256, Credentials: creds, PartSize: s3.MinPartSize,
			MaxAttempts: 2, MaxBackoff: 50 * time.Millisecond})
		if err := storage.WriteAll(ctx, noParts, "canary", data); err == nil || !strings.Contains(err.Error(), "UploadPart") {
			t.Errorf("multipart under the deny policy without SSEOnParts: err = %v; MinIO changed?", err)
		}
		assertNoUploads(t, root, "secure")

		st := newStore(t, m, "secure", "mp", s3.Config{SSE: s3.SSEAES256, SSEOnParts: true, Credentials: creds, PartSize: s3.MinPartSize, Concurrency: 2})
		if err := storage.WriteAll(ctx, st, "big.parquet", data); err != nil {
			t.Fatalf("multipart encrypted write: %v", err)
		}
		out := head(t, root, "secure", "mp/big.parquet")
		if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Errorf("ServerSideEncryption = %q, want AES256", out.ServerSideEncryption)
		}
		if etag := aws.ToString(out.ETag); !strings.HasSuffix(strings.Trim(etag, `"`), "-3") {
			t.Errorf("ETag %s: want a 3-part multipart ETag", etag)
		}
		got, err := storage.ReadAll(ctx, st, "big.parquet")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes (err %v), want the %d written", len(got), err, len(data))
		}
		// A range across the first part boundary.
		r, err := st.OpenRange(ctx, "big.parquet", s3.MinPartSize-10, 20)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(part, data[s3.MinPartSize-10:s3.MinPartSize+10]) {
			t.Fatal("ranged read across a part boundary differs")
		}
		assertNoUploads(t, root, "secure")
	})
}

func TestSSEKMS(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "kms")
	root := m.Client(nil)
	ctx := context.Background()
	st := newStore(t, m, "kms", "", s3.Config{SSE: s3.SSEKMS, SSEKMSKeyID: testservers.MinIOKMSKeyID, PartSize: s3.MinPartSize})
	small := []byte("small kms object")
	big := randomBytes(t, int(s3.MinPartSize)+1)
	for key, data := range map[string][]byte{"small": small, "big": big} {
		if err := storage.WriteAll(ctx, st, key, data); err != nil {
			t.Fatalf("SSE-KMS write of %s: %v", key, err)
		}
		out := head(t, root, "kms", key)
		if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
			t.Errorf("%s: ServerSideEncryption = %q, want aws:kms", key, out.ServerSideEncryption)
		}
		if id := aws.ToString(out.SSEKMSKeyId); !strings.Contains(id, testservers.MinIOKMSKeyID) {
			t.Errorf("%s: SSEKMSKeyId = %q, want it to name %s", key, id, testservers.MinIOKMSKeyID)
		}
		got, err := storage.ReadAll(ctx, st, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: read back %d bytes (err %v)", key, len(got), err)
		}
	}
	// An unknown key id is refused, and the error names the object.
	bad := newStore(t, m, "kms", "", s3.Config{SSE: s3.SSEKMS, SSEKMSKeyID: "no-such-key"})
	if err := storage.WriteAll(ctx, bad, "nope", []byte("x")); err == nil || !strings.Contains(err.Error(), "s3://kms/nope") {
		t.Fatalf("write with an unknown KMS key: err = %v", err)
	}
}

// TestKilledWritesLeaveNothing kills multipart writes mid-way, by Abort and
// by cancelling the write's context: no object and no incomplete multipart
// upload may remain, and an object previously under the key is untouched.
func TestKilledWritesLeaveNothing(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "kill")
	root := m.Client(nil)
	st := newStore(t, m, "kill", "out", s3.Config{SSE: s3.SSEAES256, PartSize: s3.MinPartSize, Concurrency: 2})
	chunk := randomBytes(t, 1<<20)
	ctx := context.Background()
	if err := storage.WriteAll(ctx, st, "previous", []byte("old")); err != nil {
		t.Fatal(err)
	}

	for _, how := range []string{"abort", "cancel"} {
		t.Run(how, func(t *testing.T) {
			for _, key := range []string{"part-0", "previous"} {
				wctx, cancel := context.WithCancel(ctx)
				w, err := st.Create(wctx, key)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 12; i++ { // 12 MiB: two parts uploaded or in flight
					if _, err := w.Write(chunk); err != nil {
						t.Fatalf("write %d: %v", i, err)
					}
				}
				waitUpload(t, root, "kill", st.ObjectKey(key))
				switch how {
				case "abort":
					if err := w.Abort(); err != nil {
						t.Fatalf("abort: %v", err)
					}
				case "cancel":
					cancel()
					if err := w.Close(); err == nil {
						t.Fatal("Close after cancel returned nil")
					} else if !strings.Contains(err.Error(), st.URL(key)) {
						t.Fatalf("error does not name the object: %v", err)
					}
				}
				cancel()
				assertNoUploads(t, root, "kill")
			}
			got, err := storage.ReadAll(ctx, st, "previous")
			if err != nil || string(got) != "old" {
				t.Fatalf("killed write disturbed the existing object: %q, %v", got, err)
			}
			if _, err := st.Stat(ctx, "part-0"); !st.IsNotFound(err) {
				t.Fatalf("killed write left an object: stat err = %v", err)
			}
		})
	}
}

func TestEnvironmentEndpointAndPathStyle(t *testing.T) {
	m := testservers.StartMinIO(t)
	m.CreateBucket(t, "envbucket")
	t.Setenv("AWS_ENDPOINT_URL_S3", m.Endpoint)
	t.Setenv(s3.EnvPathStyle, "true")
	t.Setenv("AWS_ACCESS_KEY_ID", m.RootUser)
	t.Setenv("AWS_SECRET_ACCESS_KEY", m.RootPassword)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	// No Config at all: endpoint, addressing and credentials come from the
	// environment through the SDK's default chain.
	st, err := s3.New(context.Background(), "envbucket", "x", s3.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Run(t, st)
}

func TestRegionDiscovery(t *testing.T) {
	m := testservers.StartMinIO(t, "MINIO_SITE_REGION=eu-west-3")
	ctx := context.Background()
	if _, err := m.Client(nil).CreateBucket(ctx, &awss3.CreateBucketInput{
		Bucket:                    aws.String("regional"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-3"},
	}, func(o *awss3.Options) { o.Region = "eu-west-3" }); err != nil {
		t.Fatal(err)
	}
	// No Config.Region: signing with us-east-1 would be refused, so the
	// contract passes only if the region was discovered.
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	storetest.Run(t, newStore(t, m, "regional", "r", s3.Config{}))
	// A wrong explicit region is taken as given and fails, naming the object.
	wrong := newStore(t, m, "regional", "r", s3.Config{Region: "us-east-1", MaxAttempts: 1})
	if _, err := wrong.Stat(ctx, "k"); err == nil || wrong.IsNotFound(err) {
		t.Fatalf("stat with the wrong region: err = %v", err)
	}
}
