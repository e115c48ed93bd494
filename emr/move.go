package emr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/s3"
)

// maxServerSideCopy is S3's limit for one CopyObject.
const maxServerSideCopy = 5 << 30

// CopyObject copies srcKey of src to dstKey of dst and returns the bytes
// copied. Between two S3 stores it is a server-side CopyObject (objects up
// to 5 GiB; the data never leaves S3) carrying the SSE headers of s3cfg;
// otherwise the object is streamed through this process and becomes
// visible at the destination only when complete.
func CopyObject(ctx context.Context, src storage.Store, srcKey string, dst storage.Store, dstKey string, s3cfg s3.Config) (int64, error) {
	return copyObject(ctx, src, srcKey, dst, dstKey, sseOf(s3cfg))
}

func copyObject(ctx context.Context, src storage.Store, srcKey string, dst storage.Store, dstKey string, sse sseHeaders) (int64, error) {
	ss, ok1 := src.(*s3.Store)
	ds, ok2 := dst.(*s3.Store)
	if ok1 && ok2 {
		info, err := src.Stat(ctx, srcKey)
		if err != nil {
			return 0, fmt.Errorf("copying %s: %w", src.URL(srcKey), err)
		}
		if info.Size <= maxServerSideCopy {
			in := &awss3.CopyObjectInput{
				Bucket:               aws.String(ds.Bucket()),
				Key:                  aws.String(ds.ObjectKey(dstKey)),
				CopySource:           aws.String(copySource(ss.Bucket(), ss.ObjectKey(srcKey))),
				ServerSideEncryption: sse.mode,
				SSEKMSKeyId:          sse.kmsKey,
			}
			if _, err := ds.Client().CopyObject(ctx, in); err != nil {
				return 0, fmt.Errorf("copying %s to %s: %w", src.URL(srcKey), dst.URL(dstKey), err)
			}
			return info.Size, nil
		}
	}
	r, err := storage.Open(ctx, src, srcKey)
	if err != nil {
		return 0, fmt.Errorf("copying %s: %w", src.URL(srcKey), err)
	}
	defer r.Close()
	w, err := dst.Create(ctx, dstKey)
	if err != nil {
		return 0, fmt.Errorf("copying to %s: %w", dst.URL(dstKey), err)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		_ = w.Abort()
		return n, fmt.Errorf("copying %s to %s: %w", src.URL(srcKey), dst.URL(dstKey), err)
	}
	if err := w.Close(); err != nil {
		return n, fmt.Errorf("copying %s to %s: %w", src.URL(srcKey), dst.URL(dstKey), err)
	}
	return n, nil
}

// copySource is CopyObject's x-amz-copy-source: bucket/key, each segment
// URL-encoded.
func copySource(bucket, key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return bucket + "/" + strings.Join(parts, "/")
}

// moveStats count one move.
type moveStats struct {
	files, bytes, resumed atomic.Int64
}

// isMarker reports whether key names a commit marker that must arrive last
// at a destination: readers trust a run folder only once it is there.
func isMarker(key string) bool {
	switch path.Base(key) {
	case "_SUCCESS", "shredding_complete.json":
		return true
	}
	return false
}

// move moves every object below srcPrefix of src (filtered by keep, when
// not nil) to dstPrefix+<the key below srcPrefix> of dst: copy, then
// delete the source, one file at a time, concurrency files at once; commit
// markers go last. A destination object that already exists with the
// source's size is taken as copied by an interrupted earlier move, so a
// move resumes where it stopped.
func move(ctx context.Context, src storage.Store, srcPrefix string, dst storage.Store, dstPrefix string,
	keep func(rel string) bool, concurrency int, sse sseHeaders, st *moveStats) error {
	var data, markers []storage.ObjectInfo
	err := src.List(ctx, srcPrefix, func(o storage.ObjectInfo) error {
		rel := strings.TrimPrefix(o.Key, srcPrefix)
		if keep != nil && !keep(rel) {
			return nil
		}
		if isMarker(rel) {
			markers = append(markers, o)
		} else {
			data = append(data, o)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing %s: %w", src.URL(srcPrefix), err)
	}
	one := func(ctx context.Context, o storage.ObjectInfo) error {
		dstKey := dstPrefix + strings.TrimPrefix(o.Key, srcPrefix)
		if d, err := dst.Stat(ctx, dstKey); err == nil && d.Size == o.Size {
			st.resumed.Add(1)
		} else if err != nil && !dst.IsNotFound(err) {
			return fmt.Errorf("checking %s: %w", dst.URL(dstKey), err)
		} else {
			n, err := copyObject(ctx, src, o.Key, dst, dstKey, sse)
			if err != nil {
				return err
			}
			st.bytes.Add(n)
		}
		if err := src.Delete(ctx, o.Key); err != nil {
			return fmt.Errorf("deleting %s after copying it to %s: %w", src.URL(o.Key), dst.URL(dstKey), err)
		}
		st.files.Add(1)
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, concurrency))
	for _, o := range data {
		g.Go(func() error { return one(gctx, o) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, o := range markers {
		if err := one(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// deleteAll deletes every object below prefix of s.
func deleteAll(ctx context.Context, s storage.Store, prefix string, concurrency int) (int, error) {
	var keys []string
	if err := s.List(ctx, prefix, func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("listing %s: %w", s.URL(prefix), err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, concurrency))
	for _, k := range keys {
		g.Go(func() error {
			if err := s.Delete(gctx, k); err != nil {
				return fmt.Errorf("deleting %s: %w", s.URL(k), err)
			}
			return nil
		})
	}
	return len(keys), g.Wait()
}

// errStop ends a listing early.
var errStop = errors.New("stop")

// isEmpty reports whether s holds no object below prefix for which keep
// (nil: any) is true.
func isEmpty(ctx context.Context, s storage.Store, prefix string, keep func(rel string) bool) (bool, error) {
	empty := true
	err := s.List(ctx, prefix, func(o storage.ObjectInfo) error {
		if keep == nil || keep(strings.TrimPrefix(o.Key, prefix)) {
			empty = false
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return false, fmt.Errorf("listing %s: %w", s.URL(prefix), err)
	}
	return empty, nil
}
