package hdfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path"
	"sort"
	"strings"
	"time"

	hdfs "github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/furrowdata/furrow/storage"
)

// DefaultPort is the namenode RPC port assumed for a host without one.
const DefaultPort = "8020"

// DefaultDialTimeout bounds each connection attempt to a namenode or datanode.
const DefaultDialTimeout = 10 * time.Second

// tmpPrefix marks in-progress writes; List never reports them.
const tmpPrefix = ".furrow-tmp-"

// Config configures a Store. The zero value is usable.
type Config struct {
	// User is the HDFS user to act as. Empty: HADOOP_USER_NAME, else the OS user.
	User string
	// ConfDir is a folder with core-site.xml/hdfs-site.xml. Empty:
	// HADOOP_CONF_DIR, else HADOOP_HOME/conf, else none.
	ConfDir string
	// DialTimeout bounds each connection attempt (default DefaultDialTimeout).
	DialTimeout time.Duration
	// Logger receives the store's few log lines. Nil discards them.
	Logger *slog.Logger
}

// Validate reports invalid fields, naming their keys.
func (c Config) Validate() error {
	if c.DialTimeout < 0 {
		return fmt.Errorf("hdfs.dial_timeout: %v is negative", c.DialTimeout)
	}
	if c.ConfDir != "" {
		if fi, err := os.Stat(c.ConfDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("hdfs.conf_dir: %q is not a folder", c.ConfDir)
		}
	}
	return nil
}

// Store is a storage.Store rooted at a folder of an HDFS file system.
type Store struct {
	client   *hdfs.Client
	namenode string // as given in the location, for URLs
	root     string // absolute, cleaned, no trailing "/" (except "/")
	logger   *slog.Logger
}

// New connects to the namenode of hdfs://namenode/root and returns a Store
// rooted at root. namenode may be "" (fs.defaultFS from the Hadoop
// configuration), host, host:port or an HA nameservice.
func New(ctx context.Context, namenode, root string, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{namenode: namenode, root: cleanRoot(root), logger: cfg.Logger}
	conf, err := loadConf(cfg.ConfDir)
	if err != nil {
		return nil, fmt.Errorf("hdfs store %s: reading the Hadoop configuration: %w", s.URL(""), err)
	}
	opts := hdfs.ClientOptionsFromConf(conf)
	if opts.KerberosClient != nil {
		return nil, fmt.Errorf("hdfs store %s: the Hadoop configuration asks for Kerberos (hadoop.security.authentication=kerberos): not implemented", s.URL(""))
	}
	if opts.Addresses, err = namenodes(namenode, conf); err != nil {
		return nil, fmt.Errorf("hdfs store %s: %w", s.URL(""), err)
	}
	if opts.User, err = hdfsUser(cfg.User); err != nil {
		return nil, fmt.Errorf("hdfs store %s: %w", s.URL(""), err)
	}
	d := &net.Dialer{Timeout: cfg.DialTimeout}
	opts.NamenodeDialFunc = d.DialContext
	opts.DatanodeDialFunc = d.DialContext
	client, err := hdfs.NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("hdfs store %s: connecting to namenode %s: %w", s.URL(""), strings.Join(opts.Addresses, ","), err)
	}
	s.client = client
	// The RPC handshake is one-way: ask something so that a wrong address or
	// a refusing namenode fails here, with the location in the message.
	if _, err := client.Stat(s.root); err != nil && !errors.Is(err, fs.ErrNotExist) {
		client.Close()
		return nil, fmt.Errorf("hdfs store %s: namenode %s: %w", s.URL(""), strings.Join(opts.Addresses, ","), err)
	}
	return s, nil
}

func loadConf(dir string) (hadoopconf.HadoopConf, error) {
	if dir != "" {
		return hadoopconf.Load(dir)
	}
	return hadoopconf.LoadFromEnvironment()
}

// namenodes resolves the namenode addresses for a location's host.
func namenodes(host string, conf hadoopconf.HadoopConf) ([]string, error) {
	if host == "" {
		nns := conf.Namenodes()
		if len(nns) == 0 {
			return nil, errors.New("no namenode in the location and none in the Hadoop configuration (set HADOOP_CONF_DIR or write hdfs://namenode:port/path)")
		}
		return nns, nil
	}
	if _, _, err := net.SplitHostPort(host); err == nil {
		return []string{host}, nil
	}
	// An HA nameservice: hdfs://ns1/path with dfs.ha.namenodes.ns1 = nn1,nn2.
	if ids := conf["dfs.ha.namenodes."+host]; ids != "" {
		var addrs []string
		for _, id := range strings.Split(ids, ",") {
			id = strings.TrimSpace(id)
			addr := conf["dfs.namenode.rpc-address."+host+"."+id]
			if addr == "" {
				return nil, fmt.Errorf("nameservice %s: dfs.namenode.rpc-address.%s.%s is not set", host, host, id)
			}
			addrs = append(addrs, addr)
		}
		return addrs, nil
	}
	return []string{net.JoinHostPort(host, DefaultPort)}, nil
}

func hdfsUser(configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	if u := os.Getenv("HADOOP_USER_NAME"); u != "" {
		return u, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("finding the HDFS user (set HADOOP_USER_NAME): %w", err)
	}
	return u.Username, nil
}

func cleanRoot(root string) string {
	return path.Clean("/" + root)
}

// path maps a key to an absolute HDFS path below the root.
func (s *Store) path(key string) (string, error) {
	p := path.Join(s.root, key)
	if key == "" || (p != s.root && !strings.HasPrefix(p, strings.TrimSuffix(s.root, "/")+"/")) {
		return "", fmt.Errorf("key %q escapes the store root %s", key, s.URL(""))
	}
	return p, nil
}

// rel maps an absolute HDFS path below the root back to a key.
func (s *Store) rel(p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, s.root), "/")
}

// List implements storage.Store. It reads folder by folder (one paged
// ReadDir each) below the deepest folder the prefix names.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	start := s.root
	if dir := prefix[:strings.LastIndex(prefix, "/")+1]; dir != "" {
		p, err := s.path(dir)
		if err != nil {
			return err
		}
		start = p
	}
	var infos []storage.ObjectInfo
	var walk func(dir string) error
	walk = func(dir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := s.client.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, e := range entries {
			p := path.Join(dir, e.Name())
			if e.IsDir() {
				if key := s.rel(p) + "/"; strings.HasPrefix(key, prefix) || strings.HasPrefix(prefix, key) {
					if err := walk(p); err != nil {
						return err
					}
				}
				continue
			}
			if strings.HasPrefix(e.Name(), tmpPrefix) || !e.Mode().IsRegular() {
				continue
			}
			if key := s.rel(p); strings.HasPrefix(key, prefix) {
				infos = append(infos, storage.ObjectInfo{Key: key, Size: e.Size(), ModTime: e.ModTime()})
			}
		}
		return nil
	}
	if err := walk(start); err != nil {
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
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, err
	}
	fi, err := s.client.Stat(p)
	if err != nil {
		return storage.ObjectInfo{}, s.wrap("stat", key, err)
	}
	if fi.IsDir() {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w (it is a folder)", s.URL(key), storage.ErrNotFound)
	}
	return storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// OpenRange implements storage.Store.
func (s *Store) OpenRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("reading %s: negative offset %d", s.URL(key), off)
	}
	f, err := s.client.Open(p)
	if err != nil {
		return nil, s.wrap("opening", key, err)
	}
	if f.Stat().IsDir() {
		f.Close()
		return nil, fmt.Errorf("opening %s: %w (it is a folder)", s.URL(key), storage.ErrNotFound)
	}
	if off >= f.Stat().Size() {
		f.Close()
		return io.NopCloser(strings.NewReader("")), nil
	}
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, s.wrap("seeking", key, err)
		}
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
func (s *Store) Create(ctx context.Context, key string) (storage.Writer, error) {
	final, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("creating %s: key names a folder", s.URL(key))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir := path.Dir(final)
	if err := s.client.MkdirAll(dir, 0o755); err != nil {
		return nil, s.wrap("creating folder for", key, err)
	}
	tmp := tmpName(final)
	f, err := s.client.Create(tmp)
	if err != nil {
		return nil, s.wrap("creating", key, err)
	}
	return &writer{s: s, key: key, final: final, tmp: tmp, f: f}, nil
}

// tmpName is the hidden temporary path a write to final goes to.
func tmpName(final string) string {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	return path.Join(path.Dir(final), tmpPrefix+path.Base(final)+"-"+hex.EncodeToString(rnd[:]))
}

type writer struct {
	s          *Store
	key        string
	final, tmp string
	f          *hdfs.FileWriter
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

// closeFile closes the HDFS file, retrying while the namenode reports the
// last block as still replicating (as the library recommends).
func (w *writer) closeFile() error {
	var err error
	for i := 0; i < 8; i++ {
		if err = w.f.Close(); err == nil || !hdfs.IsErrReplicating(err) {
			return err
		}
		time.Sleep(time.Duration(100<<i) * time.Millisecond)
	}
	return err
}

// Close implements storage.Writer: close the temporary file, rename it over
// the target.
func (w *writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	if err := w.closeFile(); err != nil {
		_ = w.s.client.Remove(w.tmp)
		return w.s.wrap("closing", w.key, err)
	}
	if err := w.s.client.Rename(w.tmp, w.final); err != nil {
		_ = w.s.client.Remove(w.tmp)
		return w.s.wrap("committing", w.key, err)
	}
	return nil
}

// Abort implements storage.Writer.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	_ = w.f.Close()
	if err := w.s.client.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return w.s.wrap("aborting", w.key, err)
	}
	return nil
}

// Delete implements storage.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.client.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.wrap("deleting", key, err)
	}
	return nil
}

func (s *Store) wrap(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", op, s.URL(key), storage.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, s.URL(key), err)
}

// IsNotFound implements storage.Store.
func (s *Store) IsNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// URL implements storage.Store: hdfs://namenode/root/key.
func (s *Store) URL(key string) string {
	p := s.root
	if key != "" {
		p = strings.TrimSuffix(s.root, "/") + "/" + key
	}
	return "hdfs://" + s.namenode + p
}

// Close implements storage.Store.
func (s *Store) Close() error {
	if s.client == nil {
		return nil
	}
	return s.client.Close()
}

var _ storage.Store = (*Store)(nil)
