package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/furrowdata/furrow/storage"
)

// errAborted ends the upload stream of an aborted writer.
var errAborted = errors.New("s3: write aborted")

// Create implements storage.Store. Bytes stream through a pipe into the
// multipart uploader: Write blocks while Concurrency parts are in flight
// and all part buffers are full. The object becomes visible only when Close
// returns nil. Abort, a failed Close or the cancellation of ctx abort the
// upload (AbortMultipartUpload with a context of its own), so neither an
// object nor orphaned parts remain.
func (s *Store) Create(ctx context.Context, key string) (storage.Writer, error) {
	if err := s.checkKey(key); err != nil {
		return nil, err
	}
	if strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("creating %s: key names a folder", s.URL(key))
	}
	pr, pw := io.Pipe()
	w := &writer{s: s, key: key, pr: pr, pw: pw, done: make(chan struct{})}
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
		Body:   pr,
	}
	switch s.cfg.SSE {
	case SSEAES256:
		in.ServerSideEncryption = types.ServerSideEncryptionAes256
	case SSEKMS:
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		if s.cfg.SSEKMSKeyID != "" {
			in.SSEKMSKeyId = aws.String(s.cfg.SSEKMSKeyID)
		}
	}
	go w.run(ctx, in)
	w.stop = context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	return w, nil
}

type writer struct {
	s    *Store
	key  string
	pr   *io.PipeReader
	pw   *io.PipeWriter
	stop func() bool
	done chan struct{} // closed when run returns; err and abortErr are set before
	err  error         // the upload's failure
	// abortErr is set when aborting a failed multipart upload failed too.
	abortErr error
	// finished is set by the first Close or Abort.
	finished bool
}

// run uploads everything written to the pipe and aborts a failed multipart
// upload.
func (w *writer) run(ctx context.Context, in *s3.PutObjectInput) {
	defer close(w.done)
	//lint:ignore SA1019 see Store.uploader.
	_, err := w.s.uploader.Upload(ctx, in)
	if err != nil {
		var mu manager.MultiUploadFailure
		if errors.As(err, &mu) && mu.UploadID() != "" {
			w.abortErr = w.s.abortUpload(ctx, w.key, mu.UploadID())
		}
		w.err = err
		w.pr.CloseWithError(err) // unblock a Write waiting on the pipe
		return
	}
	w.pr.CloseWithError(io.ErrClosedPipe)
}

// abortUpload aborts a multipart upload with a context that survives the
// write's cancellation. An upload that is already gone is not an error.
func (s *Store) abortUpload(ctx context.Context, key, uploadID string) error {
	actx, cancel := detached(ctx)
	defer cancel()
	_, err := s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(s.bucket),
		Key:      aws.String(s.prefix + key),
		UploadId: aws.String(uploadID),
	})
	if err != nil && errorCode(err) != "NoSuchUpload" {
		s.cfg.Logger.Error("s3: aborting a multipart upload failed; its parts remain until a lifecycle rule removes them",
			"url", s.URL(key), "upload_id", uploadID, "error", err)
		return fmt.Errorf("aborting multipart upload %s of %s: %w", uploadID, s.URL(key), err)
	}
	return nil
}

// Write implements io.Writer.
func (w *writer) Write(b []byte) (int, error) {
	if w.finished {
		return 0, fmt.Errorf("writing %s: writer is closed", w.s.URL(w.key))
	}
	n, err := w.pw.Write(b)
	w.s.bytesWritten.Add(int64(n))
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", w.s.URL(w.key), err)
	}
	return n, nil
}

// Close implements storage.Writer: it completes the upload and waits for it.
func (w *writer) Close() error {
	if w.finished {
		return nil
	}
	w.finished = true
	_ = w.pw.Close()
	<-w.done
	w.stop()
	if w.err != nil {
		return fmt.Errorf("writing %s: %w", w.s.URL(w.key), errors.Join(w.err, w.abortErr))
	}
	return nil
}

// Abort implements storage.Writer.
func (w *writer) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	w.pw.CloseWithError(errAborted)
	<-w.done
	w.stop()
	// Only an abort that could not be carried out is worth reporting.
	return w.abortErr
}
