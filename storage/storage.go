package storage

import (
	"context"
	"errors"
	"io"
	"path"
	"strings"
	"time"
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key     string    // slash-separated, relative to the store's root
	Size    int64     // bytes
	ModTime time.Time // last modification, if the backend knows it
}

// Store is one storage backend rooted at a location. All methods may be
// called concurrently.
type Store interface {
	// List calls fn for every object whose key starts with prefix, in
	// lexical key order, recursing into sub-folders. Folder markers
	// (zero-byte keys ending in "/") are not reported. An error from fn stops
	// the listing and is returned.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Stat returns the object's info; a missing object gives an error for
	// which IsNotFound is true.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// OpenRange reads length bytes of key from offset off; length < 0 reads to
	// the end. The caller closes the reader.
	OpenRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)
	// Create starts writing key. The object becomes visible, replacing any
	// previous one, only when the returned Writer's Close returns nil.
	Create(ctx context.Context, key string) (Writer, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// IsNotFound reports whether err means that an object does not exist.
	IsNotFound(err error) bool
	// URL returns the full location of key, e.g. "s3://bucket/prefix/key",
	// for messages and reports.
	URL(key string) string
	// Close releases the store's resources.
	Close() error
}

// Writer streams one object into a Store. It is not safe for concurrent use.
type Writer interface {
	io.Writer
	// Close completes the object and makes it visible. If Close returns an
	// error nothing is visible.
	Close() error
	// Abort discards everything written; nothing becomes visible. Abort after
	// Close, or twice, is a no-op.
	Abort() error
}

// ErrNotFound is the sentinel that backends wrap for missing objects.
var ErrNotFound = errors.New("storage: object not found")

// Open reads the whole object key.
func Open(ctx context.Context, s Store, key string) (io.ReadCloser, error) {
	return s.OpenRange(ctx, key, 0, -1)
}

// ReadAll reads the whole object key into memory. Use it only for small
// objects (configs, manifests).
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	r, err := Open(ctx, s, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// WriteAll writes data to key atomically.
func WriteAll(ctx context.Context, s Store, key string, data []byte) error {
	w, err := s.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort()
		return err
	}
	return w.Close()
}

// IsHidden reports whether a key names a file that input listing skips:
// job markers and side files that Hadoop-style tools write next to data
// (_SUCCESS, _temporary/, _logs/, _committed_*/_started_* markers, S3
// "_$folder$" placeholders, furrow's own _run_report.json) and dot-files
// such as .crc checksums, anywhere below the listed root.
//
// Unlike Hadoop's hiddenFileFilter it does not skip every name starting with
// "_": the Clojure collector's rotated Tomcat logs are named
// "_var_log_tomcat8_rotated_…", and skipping them would silently lose data.
func IsHidden(key string) bool {
	for _, part := range strings.Split(key, "/") {
		switch {
		case part == "":
		case strings.HasPrefix(part, "."),
			part == "_SUCCESS", part == "_temporary", part == "_logs", part == "_run_report.json",
			strings.HasPrefix(part, "_committed_"), strings.HasPrefix(part, "_started_"),
			strings.HasSuffix(part, "_$folder$"):
			return true
		}
	}
	return false
}

// Join joins key parts with "/", cleaning the result; it never returns a
// leading "/".
func Join(parts ...string) string {
	return strings.TrimPrefix(path.Join(parts...), "/")
}
