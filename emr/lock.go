package emr

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	awshttp "github.com/aws/smithy-go/transport/http"

	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/local"
	"github.com/furrowdata/furrow/storage/location"
	"github.com/furrowdata/furrow/storage/s3"
)

// ErrLocked means the run lock exists: another run is in progress, or a
// failed run left it for an operator to resume (--ignore-lock-on-start).
var ErrLocked = errors.New("emr: run lock is held")

// ErrLockLost means the lock object changed under a run that held it
// (another run took it over with --ignore-lock-on-start).
var ErrLockLost = errors.New("emr: run lock was taken over")

// LockState is the lock object's content: who holds it and how far the
// run got, so that a resumed run continues the same run.
type LockState struct {
	// RunID is the run's timestamp, YYYY-MM-DD-hh-mm-ss (UTC).
	RunID string `json:"run_id"`
	// Owner is host:pid of the holder; Token identifies one acquisition.
	Owner string `json:"owner"`
	Token string `json:"token"`
	// Started is when the run began; Updated when the state last changed.
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
	// Done lists the steps completed, in order.
	Done []string `json:"done,omitempty"`
	// Failed names the step that failed, and Error why.
	Failed string `json:"failed_step,omitempty"`
	Error  string `json:"error,omitempty"`
}

// String describes the holder for messages.
func (s *LockState) String() string {
	if s == nil {
		return "no state"
	}
	msg := fmt.Sprintf("run %s by %s since %s", s.RunID, s.Owner, s.Started.Format(time.RFC3339))
	if s.Failed != "" {
		msg += fmt.Sprintf("; step %s failed: %s", s.Failed, s.Error)
	}
	return msg
}

// Lock is a held run lock. Its methods are not safe for concurrent use.
type Lock struct {
	url   string
	store storage.Store
	key   string
	etag  string // S3: the ETag of our last write, for If-Match
	state LockState
	sse   sseHeaders
}

// openLock opens the store of the lock object's folder.
func openLock(ctx context.Context, url string, opts location.Options) (storage.Store, string, error) {
	if l, err := storage.ParseLocation(url); err != nil {
		return nil, "", fmt.Errorf("run lock: %w", err)
	} else if l.Scheme != "s3" && l.Scheme != "file" {
		return nil, "", fmt.Errorf("run lock %s: a conditional create needs s3:// or a local path", url)
	}
	st, key, err := location.OpenObject(ctx, url, opts)
	if err != nil {
		return nil, "", fmt.Errorf("run lock %s: %w", url, err)
	}
	switch st.(type) {
	case *s3.Store, *local.Store:
		return st, key, nil
	}
	st.Close()
	return nil, "", fmt.Errorf("run lock %s: a conditional create needs s3:// or a local path", url)
}

// ReadLock returns the state of the lock at url, or nil if there is no lock.
func ReadLock(ctx context.Context, url string, opts location.Options) (*LockState, error) {
	st, key, err := openLock(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	s, _, err := readLock(ctx, st, key)
	return s, err
}

func readLock(ctx context.Context, st storage.Store, key string) (*LockState, string, error) {
	var b []byte
	var etag string
	if s3s, ok := st.(*s3.Store); ok {
		out, err := s3s.Client().GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(s3s.Bucket()), Key: aws.String(s3s.ObjectKey(key))})
		if err != nil {
			if isS3NotFound(err) {
				return nil, "", nil
			}
			return nil, "", fmt.Errorf("reading run lock %s: %w", st.URL(key), err)
		}
		defer out.Body.Close()
		if b, err = io.ReadAll(io.LimitReader(out.Body, 1<<20)); err != nil {
			return nil, "", fmt.Errorf("reading run lock %s: %w", st.URL(key), err)
		}
		etag = aws.ToString(out.ETag)
	} else {
		var err error
		b, err = storage.ReadAll(ctx, st, key)
		if err != nil {
			if st.IsNotFound(err) {
				return nil, "", nil
			}
			return nil, "", fmt.Errorf("reading run lock %s: %w", st.URL(key), err)
		}
	}
	var s LockState
	if len(bytes.TrimSpace(b)) == 0 {
		return &s, etag, nil // being created; still a lock
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, "", fmt.Errorf("run lock %s holds something other than furrow's lock state (%v): delete it if no run is in progress", st.URL(key), err)
	}
	return &s, etag, nil
}

// AcquireLock creates the lock at url holding state, failing with ErrLocked
// (and the holder's state in the message) if it exists. The create is
// conditional: If-None-Match: * on S3, an exclusive link locally, so of two
// runs starting at once exactly one gets the lock.
func AcquireLock(ctx context.Context, url string, opts location.Options, state LockState) (*Lock, error) {
	return acquire(ctx, url, opts, state, false)
}

// TakeOverLock writes the lock at url unconditionally (--ignore-lock-on-start).
func TakeOverLock(ctx context.Context, url string, opts location.Options, state LockState) (*Lock, error) {
	return acquire(ctx, url, opts, state, true)
}

func acquire(ctx context.Context, url string, opts location.Options, state LockState, force bool) (*Lock, error) {
	st, key, err := openLock(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if state.Token == "" {
		state.Token = newToken()
	}
	if state.Owner == "" {
		host, _ := os.Hostname()
		state.Owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	state.Updated = time.Now().UTC()
	l := &Lock{url: url, store: st, key: key, state: state, sse: sseOf(opts.S3)}
	cond := condNone
	if !force {
		cond = condAbsent
	}
	if err := l.write(ctx, cond); err != nil {
		st.Close()
		if errors.Is(err, ErrLocked) {
			holder, _, rerr := readLock(ctx, st, key)
			if rerr == nil && holder != nil {
				return nil, fmt.Errorf("%w: %s (%s)", ErrLocked, url, holder)
			}
			return nil, fmt.Errorf("%w: %s", ErrLocked, url)
		}
		return nil, err
	}
	return l, nil
}

// State returns the state the lock holds.
func (l *Lock) State() LockState { return l.state }

// URL is the lock object's location.
func (l *Lock) URL() string { return l.url }

// Update replaces the lock's state. On S3 the write is conditional on the
// object being the one this run wrote (If-Match), so a run whose lock was
// taken over gets ErrLockLost instead of overwriting the new holder's state.
func (l *Lock) Update(ctx context.Context, state LockState) error {
	state.Token, state.Owner, state.Started = l.state.Token, l.state.Owner, l.state.Started
	state.Updated = time.Now().UTC()
	prev := l.state
	l.state = state
	if err := l.write(ctx, condOurs); err != nil {
		l.state = prev
		return err
	}
	return nil
}

// Release deletes the lock if it is still this run's, and closes it.
func (l *Lock) Release(ctx context.Context) error {
	defer l.store.Close()
	cur, _, err := readLock(ctx, l.store, l.key)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("%w: %s disappeared", ErrLockLost, l.url)
	}
	if cur.Token != l.state.Token {
		return fmt.Errorf("%w: %s is now held by %s", ErrLockLost, l.url, cur)
	}
	if err := l.store.Delete(ctx, l.key); err != nil {
		return fmt.Errorf("releasing run lock %s: %w", l.url, err)
	}
	return nil
}

// Close releases the lock's resources without deleting it (a failed run
// keeps its lock).
func (l *Lock) Close() error { return l.store.Close() }

type condition int

const (
	condNone   condition = iota // overwrite
	condAbsent                  // create only
	condOurs                    // replace only our own version
)

func (l *Lock) write(ctx context.Context, cond condition) error {
	body, err := json.MarshalIndent(l.state, "", "  ")
	if err != nil {
		return err
	}
	body = append(body, '\n')
	switch st := l.store.(type) {
	case *s3.Store:
		return l.writeS3(ctx, st, body, cond)
	case *local.Store:
		return l.writeLocal(st, body, cond)
	}
	return fmt.Errorf("run lock %s: unsupported store", l.url)
}

func (l *Lock) writeS3(ctx context.Context, st *s3.Store, body []byte, cond condition) error {
	in := &awss3.PutObjectInput{
		Bucket:      aws.String(st.Bucket()),
		Key:         aws.String(st.ObjectKey(l.key)),
		Body:        bytes.NewReader(body),
		ContentType: aws.String("application/json"),
	}
	switch cond {
	case condAbsent:
		in.IfNoneMatch = aws.String("*")
	case condOurs:
		if l.etag != "" {
			in.IfMatch = aws.String(l.etag)
		}
	}
	in.ServerSideEncryption, in.SSEKMSKeyId = l.sse.mode, l.sse.kmsKey
	out, err := st.Client().PutObject(ctx, in)
	if err != nil {
		if code := httpStatus(err); code == http.StatusPreconditionFailed || code == http.StatusConflict {
			if cond == condOurs {
				return fmt.Errorf("%w: %s changed since this run wrote it", ErrLockLost, l.url)
			}
			return ErrLocked
		}
		return fmt.Errorf("writing run lock %s: %w", l.url, err)
	}
	l.etag = aws.ToString(out.ETag)
	return nil
}

func (l *Lock) writeLocal(st *local.Store, body []byte, cond condition) error {
	p := filepath.Join(st.Root(), filepath.FromSlash(l.key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing run lock %s: %w", l.url, err)
	}
	if cond == condOurs {
		cur, _, err := readLock(context.Background(), st, l.key)
		if err != nil {
			return err
		}
		if cur == nil || cur.Token != l.state.Token {
			return fmt.Errorf("%w: %s changed since this run wrote it", ErrLockLost, l.url)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".lock-*")
	if err != nil {
		return fmt.Errorf("writing run lock %s: %w", l.url, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return fmt.Errorf("writing run lock %s: %w", l.url, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing run lock %s: %w", l.url, err)
	}
	if cond == condAbsent {
		// link(2) fails if the name exists: an atomic create with content.
		if err := os.Link(tmp.Name(), p); err != nil {
			if errors.Is(err, os.ErrExist) {
				return ErrLocked
			}
			return fmt.Errorf("writing run lock %s: %w", l.url, err)
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("writing run lock %s: %w", l.url, err)
	}
	return nil
}

// sseHeaders are the server-side encryption fields of a write request.
type sseHeaders struct {
	mode   s3types.ServerSideEncryption
	kmsKey *string
}

// sseOf maps the S3 settings of a run to request fields, as storage/s3
// does for its own writes.
func sseOf(c s3.Config) sseHeaders {
	switch {
	case strings.EqualFold(string(c.SSE), string(s3.SSEAES256)):
		return sseHeaders{mode: s3types.ServerSideEncryptionAes256}
	case strings.EqualFold(string(c.SSE), string(s3.SSEKMS)):
		h := sseHeaders{mode: s3types.ServerSideEncryptionAwsKms}
		if c.SSEKMSKeyID != "" {
			h.kmsKey = aws.String(c.SSEKMSKeyID)
		}
		return h
	}
	return sseHeaders{}
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func isS3NotFound(err error) bool {
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	return httpStatus(err) == http.StatusNotFound
}
