package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// OpenRange implements storage.Store with a ranged GetObject. A response
// body that breaks mid-way (connection reset, truncated response) is resumed
// at the next byte with a new ranged GET that must match the first one's
// ETag, up to Config.MaxAttempts times in a row; an object replaced while it
// is read is an error, never a mix of two versions. An offset at or past the
// end reads nothing.
func (s *Store) OpenRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := s.checkKey(key); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("reading %s: negative offset %d", s.URL(key), off)
	}
	if length == 0 {
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	r := &reader{s: s, ctx: ctx, key: key, off: off, end: -1}
	if length > 0 {
		r.end = off + length
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

type reader struct {
	s    *Store
	ctx  context.Context
	key  string
	body io.ReadCloser // nil after EOF or Close
	etag string
	off  int64 // next byte to deliver
	end  int64 // exclusive end, -1 for "to the end of the object"
	eof  bool
}

// open issues the GET for [off, end) and sets body; an offset past the end
// of the object yields EOF.
func (r *reader) open() error {
	in := &s3.GetObjectInput{Bucket: aws.String(r.s.bucket), Key: aws.String(r.s.prefix + r.key)}
	if r.off > 0 || r.end >= 0 {
		rng := "bytes=" + strconv.FormatInt(r.off, 10) + "-"
		if r.end >= 0 {
			rng += strconv.FormatInt(r.end-1, 10)
		}
		in.Range = aws.String(rng)
	}
	if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	out, err := r.s.client.GetObject(r.ctx, in)
	if err != nil {
		if errorCode(err) == "InvalidRange" || httpStatus(err) == 416 {
			r.eof = true
			return nil
		}
		if errorCode(err) == "PreconditionFailed" || httpStatus(err) == 412 {
			return fmt.Errorf("reading %s: the object changed while it was read (ETag %s): %w", r.s.URL(r.key), r.etag, err)
		}
		return r.s.wrap("reading", r.key, err)
	}
	r.body = out.Body
	if r.etag == "" {
		r.etag = aws.ToString(out.ETag)
	}
	return nil
}

// Read implements io.Reader, resuming broken bodies.
func (r *reader) Read(p []byte) (int, error) {
	failures := 0
	for {
		if r.eof || (r.end >= 0 && r.off >= r.end) {
			return 0, io.EOF
		}
		if r.body == nil {
			return 0, fmt.Errorf("reading %s: reader is closed", r.s.URL(r.key))
		}
		if r.end >= 0 && int64(len(p)) > r.end-r.off {
			p = p[:r.end-r.off]
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		r.s.bytesRead.Add(int64(n))
		if err == nil || errors.Is(err, io.EOF) {
			if errors.Is(err, io.EOF) {
				r.eof = true
				r.body.Close()
				if n > 0 {
					return n, nil
				}
			}
			return n, err
		}
		// The body broke. Resume unless the caller gave up, the budget is
		// spent, or the SDK found the complete body corrupt (its checksum
		// error comes at the end of the body, where resuming reads nothing).
		_ = r.body.Close()
		failures++
		if r.ctx.Err() != nil || failures >= r.s.cfg.MaxAttempts || strings.Contains(err.Error(), "checksum did not match") {
			r.body = nil
			return n, fmt.Errorf("reading %s at byte %d: %w", r.s.URL(r.key), r.off, err)
		}
		r.s.cfg.Logger.Debug("s3: resuming a broken read", "url", r.s.URL(r.key), "offset", r.off, "error", err)
		if err := sleepCtx(r.ctx, backoff(failures, r.s.cfg.MaxBackoff)); err != nil {
			r.body = nil
			return n, fmt.Errorf("reading %s at byte %d: %w", r.s.URL(r.key), r.off, err)
		}
		if err := r.open(); err != nil {
			r.body = nil
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

// Close implements io.Closer.
func (r *reader) Close() error {
	if r.body != nil {
		err := r.body.Close()
		r.body = nil
		if !r.eof {
			return err
		}
	}
	r.eof = true
	return nil
}

// backoff is a jittered exponential delay for the attempt-th retry.
func backoff(attempt int, limit time.Duration) time.Duration {
	d := 50 * time.Millisecond << min(attempt, 10)
	if d > limit {
		d = limit
	}
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
