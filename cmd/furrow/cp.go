package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/furrowdata/furrow/emr"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
)

// runCp is `furrow cp [-r] SRC DST`: copies an object (or, with -r, every
// object below a folder) between any two locations — s3://, hdfs://,
// file:// or paths — without the AWS CLI; the bootstrap action downloads
// the TLS bundle with it. A DST ending in "/" (or an existing local folder)
// receives SRC under its own name. S3 endpoints and credentials come from
// the environment (AWS_ENDPOINT_URL_S3, FURROW_S3_PATH_STYLE, the default
// credential chain); between two S3 locations the copy is server-side.
func runCp(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cp", flag.ContinueOnError)
	recursive := fs.Bool("r", false, "copy every object below SRC to DST (folders)")
	quiet := fs.Bool("q", false, "print nothing on success")
	var opts location.Options
	fs.Var(sseFlag{&opts.S3.SSE}, "sse", "S3 server-side encryption of writes: AES256 or aws:kms (default none)")
	fs.StringVar(&opts.S3.SSEKMSKeyID, "sse-kms-key-id", "", "KMS key for --sse aws:kms")
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: furrow cp [-r] [-q] [--sse AES256|aws:kms] SRC DST\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usageError{errors.New("want exactly SRC and DST")}
	}
	if err := opts.Validate(); err != nil {
		return usageError{err}
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	var n, files int64
	var err error
	if *recursive {
		n, files, err = copyTree(ctx, src, dst, opts)
	} else {
		n, err = copyOne(ctx, src, dst, opts)
		files = 1
	}
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(os.Stderr, "copied %d object(s), %d bytes: %s → %s\n", files, n, src, dst)
	}
	return nil
}

// isFolderDest reports whether dst names a folder to copy into.
func isFolderDest(dst string) bool {
	if strings.HasSuffix(dst, "/") {
		return true
	}
	if l, err := storage.ParseLocation(dst); err == nil && l.Scheme == "file" {
		if fi, err := os.Stat(l.Path); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

func copyOne(ctx context.Context, src, dst string, opts location.Options) (int64, error) {
	ss, sk, err := location.OpenObject(ctx, src, opts)
	if err != nil {
		return 0, err
	}
	defer ss.Close()
	if isFolderDest(dst) {
		l, err := storage.ParseLocation(dst)
		if err != nil {
			return 0, err
		}
		if l.Scheme == "file" {
			dst = filepath.Join(l.Path, path.Base(sk))
		} else {
			dst = strings.TrimRight(dst, "/") + "/" + path.Base(sk)
		}
	}
	ds, dk, err := location.OpenObject(ctx, dst, opts)
	if err != nil {
		return 0, err
	}
	defer ds.Close()
	return emr.CopyObject(ctx, ss, sk, ds, dk, opts.S3)
}

func copyTree(ctx context.Context, src, dst string, opts location.Options) (int64, int64, error) {
	ss, err := location.Open(ctx, src, opts)
	if err != nil {
		return 0, 0, err
	}
	defer ss.Close()
	ds, err := location.Open(ctx, dst, opts)
	if err != nil {
		return 0, 0, err
	}
	defer ds.Close()
	var keys []string
	if err := ss.List(ctx, "", func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		return 0, 0, fmt.Errorf("listing %s: %w", src, err)
	}
	var bytes atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, k := range keys {
		g.Go(func() error {
			n, err := emr.CopyObject(gctx, ss, k, ds, k, opts.S3)
			bytes.Add(n)
			return err
		})
	}
	return bytes.Load(), int64(len(keys)), g.Wait()
}
