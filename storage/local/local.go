// Package local implements storage.Store over a folder of the local file
// system. Writes go to a hidden temporary file in the target folder and are
// renamed into place on Close, so an object is visible only once complete.
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/furrowdata/furrow/storage"
)

// tmpPrefix marks in-progress writes; List never reports them.
const tmpPrefix = ".furrow-tmp-"

// Store is a storage.Store rooted at a local folder.
type Store struct {
	root string
}

// New returns a Store rooted at dir (made absolute). The folder need not
// exist yet: Create makes folders as needed.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %q: %w", dir, err)
	}
	return &Store{root: abs}, nil
}

// Root returns the store's absolute root folder.
func (s *Store) Root() string { return s.root }

func (s *Store) path(key string) (string, error) {
	clean := filepath.FromSlash(strings.TrimPrefix(key, "/"))
	p := filepath.Join(s.root, clean)
	if p != s.root && !strings.HasPrefix(p, s.root+string(filepath.Separator)) {
		return "", fmt.Errorf("key %q escapes the store root %s", key, s.root)
	}
	return p, nil
}

// List implements storage.Store.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	// Walk the deepest existing folder that the prefix names, then filter.
	start := s.root
	if dir := prefix[:strings.LastIndex(prefix, "/")+1]; dir != "" {
		p, err := s.path(dir)
		if err != nil {
			return err
		}
		start = p
	}
	var infos []storage.ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while listing
			}
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		infos = append(infos, storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing %s: %w", s.URL(prefix), err)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	for _, info := range infos {
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// Stat implements storage.Store.
func (s *Store) Stat(_ context.Context, key string) (storage.ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return storage.ObjectInfo{}, s.wrap("stat", key, err)
	}
	if fi.IsDir() {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w (it is a folder)", s.URL(key), storage.ErrNotFound)
	}
	return storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

func (s *Store) wrap(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", op, s.URL(key), storage.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, s.URL(key), err)
}

// OpenRange implements storage.Store.
func (s *Store) OpenRange(_ context.Context, key string, off, length int64) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, s.wrap("opening", key, err)
	}
	if off == 0 && length < 0 {
		return f, nil
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, s.wrap("seeking", key, err)
	}
	if length < 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}, nil
}

// Create implements storage.Store.
func (s *Store) Create(_ context.Context, key string) (storage.Writer, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(key, "/") || key == "" {
		return nil, fmt.Errorf("creating %s: key names a folder", s.URL(key))
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, s.wrap("creating folder for", key, err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(p), tmpPrefix+filepath.Base(p)+"-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, s.wrap("creating", key, err)
	}
	return &writer{s: s, key: key, final: p, tmp: tmp, f: f}, nil
}

type writer struct {
	s          *Store
	key        string
	final, tmp string
	f          *os.File
	done       bool
}

func (w *writer) Write(b []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("writing %s: writer is closed", w.s.URL(w.key))
	}
	n, err := w.f.Write(b)
	if err != nil {
		return n, w.s.wrap("writing", w.key, err)
	}
	return n, nil
}

func (w *writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	if err := w.f.Close(); err != nil {
		os.Remove(w.tmp)
		return w.s.wrap("closing", w.key, err)
	}
	if err := os.Rename(w.tmp, w.final); err != nil {
		os.Remove(w.tmp)
		return w.s.wrap("committing", w.key, err)
	}
	return nil
}

func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return w.s.wrap("aborting", w.key, err)
	}
	return nil
}

// Delete implements storage.Store.
func (s *Store) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.wrap("deleting", key, err)
	}
	return nil
}

// IsNotFound implements storage.Store.
func (s *Store) IsNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// URL implements storage.Store.
func (s *Store) URL(key string) string {
	return "file://" + filepath.ToSlash(filepath.Join(s.root, filepath.FromSlash(key)))
}

// Close implements storage.Store.
func (s *Store) Close() error { return nil }
