package location

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"

	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/hdfs"
	"github.com/furrowdata/furrow/storage/local"
	"github.com/furrowdata/furrow/storage/s3"
)

// Options configure the backends Open may choose. The zero value is usable:
// S3 through the default credential chain without encryption, HDFS through
// HADOOP_CONF_DIR, local folders as they are.
type Options struct {
	// S3 configures s3:// locations (see s3.Config for defaults).
	S3 s3.Config
	// HDFS configures hdfs:// locations (see hdfs.Config).
	HDFS hdfs.Config
	// Logger is given to backends whose own Logger is nil. Nil discards.
	Logger *slog.Logger
}

// Validate reports every invalid setting of every backend, naming its key.
func (o Options) Validate() error {
	return errors.Join(o.S3.Validate(), o.HDFS.Validate())
}

// Open returns a Store rooted at raw: s3://, s3a://, s3n://, hdfs://,
// file:// or a plain path (relative paths are made absolute). The caller
// closes the Store. S3 and HDFS stores check their settings and resolve the
// bucket region or connect to the namenode here, so a wrong location fails
// early with the location in the message.
func Open(ctx context.Context, raw string, opts Options) (storage.Store, error) {
	loc, err := storage.ParseLocation(raw)
	if err != nil {
		return nil, err
	}
	return open(ctx, loc, opts)
}

func open(ctx context.Context, loc storage.Location, opts Options) (storage.Store, error) {
	switch loc.Scheme {
	case "file":
		return local.New(loc.Path)
	case "s3":
		cfg := opts.S3
		if cfg.Logger == nil {
			cfg.Logger = opts.Logger
		}
		st, err := s3.New(ctx, loc.Host, loc.Path, cfg)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", loc, err)
		}
		return st, nil
	case "hdfs":
		cfg := opts.HDFS
		if cfg.Logger == nil {
			cfg.Logger = opts.Logger
		}
		st, err := hdfs.New(ctx, loc.Host, loc.Path, cfg)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", loc, err)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("opening %s: unsupported scheme %q", loc, loc.Scheme)
	}
}

// OpenObject opens the Store of the folder that holds the single object raw
// names (a config file, an enrichment asset) and returns it with the
// object's key. The caller closes the Store.
func OpenObject(ctx context.Context, raw string, opts Options) (storage.Store, string, error) {
	loc, err := storage.ParseLocation(raw)
	if err != nil {
		return nil, "", err
	}
	var key string
	switch loc.Scheme {
	case "file":
		loc.Path, key = filepath.Dir(loc.Path), filepath.Base(loc.Path)
	case "s3":
		if loc.Path == "" {
			return nil, "", fmt.Errorf("location %q names a bucket, not an object", raw)
		}
		dir := path.Dir(loc.Path)
		if dir == "." {
			dir = ""
		}
		loc.Path, key = dir, path.Base(loc.Path)
	default:
		if loc.Path == "/" || loc.Path == "" {
			return nil, "", fmt.Errorf("location %q names a folder, not an object", raw)
		}
		loc.Path, key = path.Dir(loc.Path), path.Base(loc.Path)
	}
	st, err := open(ctx, loc, opts)
	if err != nil {
		return nil, "", err
	}
	return st, key, nil
}

// ReadFile reads the whole object raw names, for small files such as
// configs, resolver configs and enrichment assets.
func ReadFile(ctx context.Context, raw string, opts Options) ([]byte, error) {
	st, key, err := OpenObject(ctx, raw, opts)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	b, err := storage.ReadAll(ctx, st, key)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", raw, err)
	}
	return b, nil
}
