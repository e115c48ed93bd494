package emr

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/pipeline"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
	"github.com/furrowdata/furrow/transport"
)

// Finding levels.
const (
	LevelOK   = "ok"
	LevelFail = "FAIL"
	LevelNote = "note"
)

// Finding is one line of `furrow validate`.
type Finding struct {
	Level   string // LevelOK, LevelFail or LevelNote
	Area    string // config, resolver, enrichments, storage, lock, tls, release
	Subject string // the key or location checked
	Message string
}

// CheckOptions tune Check.
type CheckOptions struct {
	// NoProbe skips writing and deleting a probe object in each location
	// (then only listing is checked).
	NoProbe bool
	// TLSBundle checks this bundle (zip or folder) instead of
	// furrow.cluster.tls_bundle.
	TLSBundle string
	// Timeout bounds each check (default 30s).
	Timeout time.Duration
	// Logger receives the loaders' warnings (default: discarded).
	Logger *slog.Logger
	// Now is the time certificates are checked at (default time.Now).
	Now func() time.Time
}

// CheckFile loads furrow.yml from loc and checks it (see Check); a config
// that does not parse is one failing finding per problem.
func CheckFile(ctx context.Context, loc string, opts CheckOptions) []Finding {
	cfg, err := Load(ctx, loc, location.Options{})
	if err != nil {
		var out []Finding
		for _, line := range strings.Split(err.Error(), "\n") {
			if strings.TrimSpace(line) == "" || strings.HasSuffix(line, ":") {
				continue
			}
			out = append(out, Finding{LevelFail, "config", loc, strings.TrimSpace(line)})
		}
		return out
	}
	return Check(ctx, cfg, opts)
}

// Check checks a configuration the way a run would use it: the config's
// keys, the Iglu resolver, the enrichments (their assets included), access
// to every location (list, and write + delete of a probe object carrying
// the configured server-side encryption), the run lock, the TLS material
// and the release objects. Every problem is a finding; nothing stops at
// the first.
func Check(ctx context.Context, cfg *Config, opts CheckOptions) []Finding {
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &checker{cfg: cfg, opts: opts, sopts: cfg.StorageOptions()}
	c.sopts.Logger = opts.Logger
	c.config()
	resolver := c.resolver(ctx)
	c.enrichments(ctx, resolver)
	c.locations(ctx)
	c.lock(ctx)
	c.tls(ctx)
	c.release(ctx)
	return c.out
}

type checker struct {
	cfg   *Config
	opts  CheckOptions
	sopts location.Options
	out   []Finding
}

func (c *checker) add(level, area, subject, format string, args ...any) {
	c.out = append(c.out, Finding{level, area, subject, fmt.Sprintf(format, args...)})
}

func (c *checker) config() {
	src := orDefault(c.cfg.Source, "furrow.yml")
	if err := c.cfg.Validate(); err != nil {
		for _, e := range splitJoined(err) {
			key, msg, ok := strings.Cut(e.Error(), ": ")
			if !ok || strings.Contains(key, " ") {
				key, msg = src, e.Error()
			}
			c.add(LevelFail, "config", key, "%s", msg)
		}
	} else {
		c.add(LevelOK, "config", src, "keys valid; collector format %s, shred format %s, writes %s",
			c.cfg.Collectors.Format, c.cfg.Shred.Format, describeSSE(c.cfg))
	}
	for _, n := range c.cfg.Notes() {
		key, msg, _ := strings.Cut(n, ": ")
		c.add(LevelNote, "config", key, "%s", msg)
	}
}

func describeSSE(cfg *Config) string {
	switch cfg.SSE() {
	case "":
		return "unencrypted (no SSE header)"
	case "aws:kms":
		return "with SSE-KMS " + orDefault(cfg.AWS.S3.SSEKMSKeyID, "(aws/s3 key)")
	default:
		return "with SSE-S3 (AES256)"
	}
}

func (c *checker) resolver(ctx context.Context) *iglu.Resolver {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	key := "enrich.resolver"
	doc, err := pipeline.LoadArg(ctx, key, c.cfg.Enrich.Resolver, c.sopts)
	if err != nil {
		c.add(LevelFail, "resolver", key, "%v", err)
		return nil
	}
	cfg := iglu.DefaultConfig()
	if doc != nil {
		if cfg, err = iglu.ParseConfig(doc); err != nil {
			c.add(LevelFail, "resolver", key, "%v", err)
			return nil
		}
	}
	r, err := iglu.NewResolver(cfg, iglu.Options{Logger: c.opts.Logger})
	if err != nil {
		c.add(LevelFail, "resolver", key, "%v", err)
		return nil
	}
	if doc == nil {
		c.add(LevelOK, "resolver", key, "not set: the embedded registry only")
	} else {
		names := make([]string, 0, len(cfg.Repositories))
		for _, rep := range cfg.Repositories {
			names = append(names, rep.Name)
		}
		c.add(LevelOK, "resolver", c.cfg.Enrich.Resolver, "%d repositories: %s", len(names), strings.Join(names, ", "))
	}
	return r
}

func (c *checker) enrichments(ctx context.Context, resolver *iglu.Resolver) {
	e := c.cfg.Enrich.Enrichments
	key := "enrich.enrichments"
	if e == "" {
		c.add(LevelOK, "enrichments", key, "not set: no enrichments")
		return
	}
	if resolver == nil {
		c.add(LevelFail, "enrichments", key, "not checked: the resolver did not load")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 4*c.opts.Timeout)
	defer cancel()
	cache, err := os.MkdirTemp("", "furrow-validate-assets-")
	if err != nil {
		c.add(LevelFail, "enrichments", key, "%v", err)
		return
	}
	defer os.RemoveAll(cache)
	opts := enrichment.Options{
		Resolver: resolver,
		Logger:   c.opts.Logger,
		Assets: enrichment.AssetOptions{
			CacheDir: cache,
			Fetchers: map[string]enrichment.FetchFunc{"s3": c.fetch, "hdfs": c.fetch},
		},
	}
	var reg *enrichment.Registry
	if fi, serr := os.Stat(e); serr == nil && fi.IsDir() {
		reg, err = enrichment.LoadDir(ctx, e, opts)
	} else {
		var doc []byte
		if strings.HasSuffix(e, "/") && strings.Contains(e, "://") && !strings.HasPrefix(e, "file://") {
			var s string
			s, err = BundleFromFolder(ctx, e, c.sopts)
			doc = []byte(s)
		} else {
			doc, err = pipeline.LoadArg(ctx, key, e, c.sopts)
		}
		if err == nil {
			reg, err = enrichment.LoadBundle(ctx, doc, opts)
		}
	}
	if err != nil {
		c.add(LevelFail, "enrichments", e, "%v", err)
		return
	}
	defer reg.Close()
	enabled := reg.Enabled()
	msg := fmt.Sprintf("%d enabled: %s", len(enabled), strings.Join(enabled, ", "))
	if len(enabled) == 0 {
		msg = "none enabled"
	}
	c.add(LevelOK, "enrichments", e, "%s (assets fetched)", msg)
	if p := reg.Pending(); len(p) > 0 {
		c.add(LevelNote, "enrichments", e, "configured but not implemented by furrow (ignored): %s", strings.Join(p, ", "))
	}
}

// fetch serves s3:// and hdfs:// enrichment assets.
func (c *checker) fetch(ctx context.Context, u *url.URL, w io.Writer) error {
	s, key, err := location.OpenObject(ctx, u.String(), c.sopts)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := storage.Open(ctx, s, key)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(w, r)
	return err
}

// locations checks every configured location once.
func (c *checker) locations(ctx context.Context) {
	b := &c.cfg.AWS.S3.Buckets
	type loc struct{ key, url string }
	var locs []loc
	for i, in := range b.Raw.In {
		locs = append(locs, loc{fmt.Sprintf("aws.s3.buckets.raw.in[%d]", i), in})
	}
	locs = append(locs,
		loc{"aws.s3.buckets.raw.processing", b.Raw.Processing},
		loc{"aws.s3.buckets.raw.archive", b.Raw.Archive},
		loc{"aws.s3.buckets.enriched.good", b.Enriched.Good},
		loc{"aws.s3.buckets.enriched.bad", b.Enriched.Bad},
		loc{"aws.s3.buckets.enriched.archive", b.Enriched.Archive},
		loc{"aws.s3.buckets.shredded.good", b.Shredded.Good},
		loc{"aws.s3.buckets.shredded.bad", b.Shredded.Bad},
		loc{"aws.s3.buckets.shredded.archive", b.Shredded.Archive},
	)
	var seen []string
	for _, l := range locs {
		if l.url == "" || slices.Contains(seen, l.url) {
			continue
		}
		seen = append(seen, l.url)
		if _, err := storage.ParseLocation(l.url); err != nil {
			continue // a config finding already
		}
		c.probe(ctx, "storage", l.key, l.url)
	}
}

// probe lists loc and, unless NoProbe, writes, reads back and deletes a
// hidden probe object (a dot-file: never taken as input).
func (c *checker) probe(ctx context.Context, area, key, loc string) bool {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	s, err := location.Open(ctx, loc, c.sopts)
	if err != nil {
		c.add(LevelFail, area, key, "%v", err)
		return false
	}
	defer s.Close()
	n := 0
	err = s.List(ctx, "", func(storage.ObjectInfo) error {
		n++
		if n >= 1000 {
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop {
		c.add(LevelFail, area, key, "listing %s: %v", loc, err)
		return false
	}
	count := fmt.Sprint(n)
	if n >= 1000 {
		count = "1000+"
	}
	if c.opts.NoProbe {
		c.add(LevelOK, area, key, "%s: listed (%s objects); write not probed", loc, count)
		return true
	}
	probe := ".furrow-validate-" + newToken()
	want := []byte("furrow validate probe\n")
	if err := storage.WriteAll(ctx, s, probe, want); err != nil {
		c.add(LevelFail, area, key, "%s: listed, but writing %s %s failed: %v", loc, s.URL(probe), describeSSE(c.cfg), err)
		return false
	}
	got, rerr := storage.ReadAll(ctx, s, probe)
	derr := s.Delete(ctx, probe)
	switch {
	case rerr != nil:
		c.add(LevelFail, area, key, "%s: wrote %s but reading it back failed: %v", loc, s.URL(probe), rerr)
	case !bytes.Equal(got, want):
		c.add(LevelFail, area, key, "%s: %s read back differs from what was written", loc, s.URL(probe))
	case derr != nil:
		c.add(LevelFail, area, key, "%s: could not delete the probe %s (moves delete their sources): %v", loc, s.URL(probe), derr)
	default:
		c.add(LevelOK, area, key, "%s: list (%s objects), write %s, read, delete", loc, count, describeSSE(c.cfg))
		return true
	}
	return false
}

func (c *checker) lock(ctx context.Context) {
	url := c.cfg.LockLocation()
	if _, err := storage.ParseLocation(url); err != nil || c.cfg.AWS.S3.Buckets.Raw.Processing == "" && c.cfg.Furrow.Lock == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	st, err := ReadLock(ctx, url, c.sopts)
	switch {
	case err != nil:
		c.add(LevelFail, "lock", "furrow.lock", "%v", err)
	case st != nil:
		c.add(LevelNote, "lock", url, "held: %s (a run is in progress, or resume it with --ignore-lock-on-start)", st)
	default:
		c.add(LevelOK, "lock", url, "free")
	}
}

// tls checks the bundle the nodes use and the bundle the bootstrap action
// downloads.
func (c *checker) tls(ctx context.Context) {
	cl := &c.cfg.Furrow.Cluster
	p := c.opts.TLSBundle
	explicit := p != ""
	if p == "" {
		p = cl.TLSBundle
	}
	if _, err := os.Stat(p); err == nil {
		b, err := transport.LoadBundle(p)
		if err != nil {
			c.add(LevelFail, "tls", p, "%v", err)
		} else {
			c.bundleOK(p, b)
		}
	} else if explicit || (cl.Enabled && cl.TLSBundleSource == "") {
		c.add(LevelFail, "tls", "furrow.cluster.tls_bundle", "%s: %v", p, err)
	} else if cl.Enabled {
		c.add(LevelNote, "tls", "furrow.cluster.tls_bundle", "%s is not on this machine (the bootstrap action installs it on the nodes)", p)
	}
	if src := cl.TLSBundleSource; src != "" {
		ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
		data, err := location.ReadFile(ctx, src, c.sopts)
		if err != nil {
			c.add(LevelFail, "tls", "furrow.cluster.tls_bundle_source", "%v", err)
			return
		}
		b, err := transport.ReadBundleZip(bytes.NewReader(data), int64(len(data)), src)
		if err != nil {
			c.add(LevelFail, "tls", "furrow.cluster.tls_bundle_source", "%v", err)
			return
		}
		c.bundleOK(src, b)
	}
}

// CheckBundle checks one EMR PEM bundle (zip or folder) as the nodes load
// it: key and certificate match, validity, key usage, chain.
func CheckBundle(path string, opts CheckOptions) []Finding {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &checker{cfg: &Config{}, opts: opts}
	b, err := transport.LoadBundle(path)
	if err != nil {
		c.add(LevelFail, "tls", path, "%v", err)
		return c.out
	}
	c.bundleOK(path, b)
	return c.out
}

func (c *checker) bundleOK(src string, b *transport.Bundle) {
	names := append([]string{}, b.Leaf.DNSNames...)
	if len(names) == 0 && b.Leaf.Subject.CommonName != "" {
		names = append(names, b.Leaf.Subject.CommonName)
	}
	left := b.Leaf.NotAfter.Sub(c.opts.Now())
	c.add(LevelOK, "tls", src, "certificate for %s, %s key, expires %s (in %d days), %d trusted certificate(s)",
		strings.Join(names, ", "), keyKind(b), b.Leaf.NotAfter.Format("2006-01-02"), int(left.Hours()/24), len(b.TrustedCerts))
	if left < 30*24*time.Hour {
		c.add(LevelNote, "tls", src, "the certificate expires in less than 30 days")
	}
	region := c.cfg.AWS.EMR.Region
	if region == "" {
		region = c.cfg.AWS.S3.Region
	}
	if region != "" {
		want := "*." + region + ".compute.internal"
		if region == "us-east-1" {
			want = "*.ec2.internal"
		}
		if !slices.ContainsFunc(names, func(n string) bool { return n == want || strings.HasSuffix(n, want[1:]) }) {
			c.add(LevelNote, "tls", src, "EMR in %s expects the certificate for %s (the in-transit encryption rule); found %s", region, want, strings.Join(names, ", "))
		}
	}
}

func keyKind(b *transport.Bundle) string {
	switch fmt.Sprintf("%T", b.Certificate.PrivateKey) {
	case "*rsa.PrivateKey":
		return "RSA"
	case "*ecdsa.PrivateKey":
		return "ECDSA"
	}
	return "a"
}

func (c *checker) release(ctx context.Context) {
	r := &c.cfg.Furrow.Release
	for _, o := range []struct{ key, url string }{
		{"furrow.release.binary", r.Binary},
		{"furrow.release.install_script", r.InstallScript},
	} {
		if !strings.HasPrefix(o.url, "s3://") {
			continue
		}
		c.stat(ctx, o.key, o.url)
	}
	if r.SHA256 == "" && strings.HasPrefix(r.Binary, "s3://") {
		c.stat(ctx, "furrow.release.sha256", r.Binary+".sha256")
	}
}

func (c *checker) stat(ctx context.Context, key, loc string) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	s, k, err := location.OpenObject(ctx, loc, c.sopts)
	if err != nil {
		c.add(LevelFail, "release", key, "%v", err)
		return
	}
	defer s.Close()
	info, err := s.Stat(ctx, k)
	if err != nil {
		c.add(LevelFail, "release", key, "%s: %v", loc, err)
		return
	}
	c.add(LevelOK, "release", key, "%s: %s", path.Base(loc), pipeline.HumanBytes(info.Size))
}

// Failed reports whether any finding failed.
func Failed(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Level == LevelFail })
}

// WriteFindings prints findings one per line, grouped by area, as one screen.
func WriteFindings(w io.Writer, fs []Finding) error {
	var b strings.Builder
	fails := 0
	for _, f := range fs {
		if f.Level == LevelFail {
			fails++
		}
		fmt.Fprintf(&b, "%-4s  %-11s %s: %s\n", f.Level, f.Area, f.Subject, f.Message)
	}
	if fails == 0 {
		b.WriteString("furrow validate: everything checked is usable\n")
	} else {
		fmt.Fprintf(&b, "furrow validate: %d problem(s)\n", fails)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
