package storage

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Location is a parsed user-given location.
type Location struct {
	// Scheme is "file", "s3" or "hdfs".
	Scheme string
	// Host is the S3 bucket or the HDFS namenode host:port ("" for file and
	// for hdfs:/// paths that take the namenode from HADOOP_CONF_DIR).
	Host string
	// Path is the path inside the bucket or file system: for file an
	// absolute OS path, for s3 a key prefix without a leading "/", for hdfs an
	// absolute path.
	Path string
}

// ParseLocation parses s3://bucket/prefix, s3a:// and s3n:// (as EMR users
// write them), hdfs://namenode:port/path, file:///path and plain paths
// (relative paths are made absolute).
func ParseLocation(raw string) (Location, error) {
	if raw == "" {
		return Location{}, fmt.Errorf("empty location")
	}
	if !strings.Contains(raw, "://") {
		abs, err := filepath.Abs(raw)
		if err != nil {
			return Location{}, fmt.Errorf("location %q: %w", raw, err)
		}
		return Location{Scheme: "file", Path: abs}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("location %q: %w", raw, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("location %q: file:// URLs take no host (write file:///path)", raw)
		}
		if u.Path == "" {
			return Location{}, fmt.Errorf("location %q: no path", raw)
		}
		return Location{Scheme: "file", Path: filepath.Clean(u.Path)}, nil
	case "s3", "s3a", "s3n":
		if u.Host == "" {
			return Location{}, fmt.Errorf("location %q: no bucket", raw)
		}
		return Location{Scheme: "s3", Host: u.Host, Path: strings.Trim(u.Path, "/")}, nil
	case "hdfs":
		p := u.Path
		if p == "" {
			p = "/"
		}
		return Location{Scheme: "hdfs", Host: u.Host, Path: p}, nil
	default:
		return Location{}, fmt.Errorf("location %q: unsupported scheme %q (want s3://, hdfs://, file:// or a path)", raw, u.Scheme)
	}
}

// String renders the location as a URL (file locations as file:///path).
func (l Location) String() string {
	switch l.Scheme {
	case "file":
		return "file://" + filepath.ToSlash(l.Path)
	case "s3":
		if l.Path == "" {
			return "s3://" + l.Host
		}
		return "s3://" + l.Host + "/" + l.Path
	default:
		return l.Scheme + "://" + l.Host + l.Path
	}
}

// Child returns the location of key below l.
func (l Location) Child(key string) Location {
	c := l
	switch l.Scheme {
	case "file":
		c.Path = filepath.Join(l.Path, filepath.FromSlash(key))
	case "s3":
		c.Path = Join(l.Path, key)
	default:
		c.Path = "/" + Join(l.Path, key)
	}
	return c
}
