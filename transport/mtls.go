package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"
)

// cipherSuites are the only suites furrow negotiates: TLS 1.2, ECDHE key
// exchange (forward secrecy), AES-256-GCM, SHA-384. One per certificate key
// type. See the package documentation for why TLS 1.3 is not enabled.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
}

// CipherSuites returns the TLS 1.2 cipher suites furrow allows, in
// preference order.
func CipherSuites() []uint16 { return slices.Clone(cipherSuites) }

// TLSVersion is the only protocol version furrow negotiates.
const TLSVersion = tls.VersionTLS12

// ErrPeerName is wrapped by the error of a handshake whose peer holds a
// certificate from a trusted CA but for a name (or address) this node does
// not accept.
var ErrPeerName = errors.New("transport: peer certificate not issued for an accepted name")

// Options are the peer rules of a node's mutual TLS. The zero value is the
// EMR rule: the peer must be certified for the name the bundle's own
// certificate carries.
type Options struct {
	// PeerNames lists host names or wildcard patterns ("*.ec2.internal")
	// one of which the peer's certificate must carry (as a DNS SAN, or as
	// its common name when it has no SAN at all, like the certificate the
	// EMR documentation makes with openssl). A certificate carrying the
	// pattern itself matches, so nodes sharing one wildcard certificate
	// accept each other.
	//
	// Empty means the names of the bundle's own certificate: on EMR that is
	// the wildcard the security configuration requires, "*.ec2.internal" in
	// us-east-1 and "*.<region>.compute.internal" elsewhere (EMRPeerName).
	// Set it for other networks (your own domain).
	PeerNames []string `yaml:"peer_names" json:"peer_names"`
	// PeerIP also accepts a peer whose certificate carries an IP SAN equal to
	// the peer's IP address (the dialed address for a server, the
	// connection's source for a client). It is forced on when neither
	// PeerNames nor the bundle's certificate carry a name: tests on
	// 127.0.0.1 use certificates with IP SANs only.
	PeerIP bool `yaml:"peer_ip" json:"peer_ip"`
	// HandshakeTimeout bounds a TLS handshake (and, on a listener, the
	// first read after it). Default 10s.
	HandshakeTimeout time.Duration `yaml:"handshake_timeout" json:"handshake_timeout"`
	// MaxPendingHandshakes bounds the accepted connections of a Listener
	// that are handshaking or waiting for Accept. Default 64.
	MaxPendingHandshakes int `yaml:"max_pending_handshakes" json:"max_pending_handshakes"`
	// OnReject, if set, is called (from the handshaking goroutine) with
	// every connection a Listener refuses and the reason. Refusals are also
	// logged.
	OnReject func(remote net.Addr, err error) `yaml:"-" json:"-"`
}

// Default values of Options.
const (
	DefaultHandshakeTimeout     = 10 * time.Second
	DefaultMaxPendingHandshakes = 64
)

func (o Options) withDefaults() Options {
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.MaxPendingHandshakes == 0 {
		o.MaxPendingHandshakes = DefaultMaxPendingHandshakes
	}
	return o
}

// Validate reports every invalid option, naming its key.
func (o Options) Validate() error {
	var errs []error
	for i, p := range o.PeerNames {
		if err := checkNamePattern(p); err != nil {
			errs = append(errs, fmt.Errorf("peer_names[%d]: %q: %w", i, p, err))
		}
	}
	if o.HandshakeTimeout < 0 {
		errs = append(errs, fmt.Errorf("handshake_timeout: %v: must not be negative", o.HandshakeTimeout))
	}
	if o.MaxPendingHandshakes < 0 {
		errs = append(errs, fmt.Errorf("max_pending_handshakes: %d: must not be negative", o.MaxPendingHandshakes))
	}
	return errors.Join(errs...)
}

// EMRPeerName is the name pattern EMR requires of the in-transit
// encryption certificate in region: "*.ec2.internal" in us-east-1,
// "*.<region>.compute.internal" elsewhere.
func EMRPeerName(region string) string {
	if region == "us-east-1" {
		return "*.ec2.internal"
	}
	return "*." + region + ".compute.internal"
}

func checkNamePattern(p string) error {
	p = strings.TrimSuffix(p, ".")
	host := strings.TrimPrefix(p, "*.")
	if host == "" {
		return errors.New("empty name")
	}
	if strings.Contains(host, "*") {
		return errors.New("a wildcard is allowed only as the whole first label (*.example.com)")
	}
	if net.ParseIP(host) != nil {
		return errors.New("an IP address is not a name; use peer_ip")
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("not a host name")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("character %q is not allowed in a host name", r)
			}
		}
	}
	return nil
}

// certNames are the names a certificate is issued for: its DNS SANs, or,
// for a certificate without any SAN, its common name if that looks like a
// host name (the legacy form EMR's documented openssl command produces).
func certNames(c *x509.Certificate) []string {
	if len(c.DNSNames) > 0 {
		return c.DNSNames
	}
	if len(c.IPAddresses) == 0 && len(c.URIs) == 0 && len(c.EmailAddresses) == 0 &&
		checkNamePattern(c.Subject.CommonName) == nil {
		return []string{c.Subject.CommonName}
	}
	return nil
}

// nameMatches reports whether a certificate name satisfies an expected
// name or pattern. Comparison is case-insensitive; a wildcard covers exactly
// one leftmost label; a certificate carrying the pattern itself matches it.
func nameMatches(pattern, name string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if pattern == "" || name == "" {
		return false
	}
	if pattern == name {
		return true
	}
	oneLabel := func(host, wildcard string) bool {
		suffix := wildcard[1:] // ".example.com"
		if !strings.HasSuffix(host, suffix) {
			return false
		}
		label := host[:len(host)-len(suffix)]
		return label != "" && !strings.ContainsAny(label, ".*")
	}
	if strings.HasPrefix(pattern, "*.") {
		return oneLabel(name, pattern)
	}
	if strings.HasPrefix(name, "*.") {
		return oneLabel(pattern, name)
	}
	return false
}

// peerRule is the resolved name check of one node.
type peerRule struct {
	names []string
	ip    bool
}

func newPeerRule(b *Bundle, o Options) peerRule {
	r := peerRule{names: slices.Clone(o.PeerNames), ip: o.PeerIP}
	if len(r.names) == 0 {
		r.names = slices.Clone(certNames(b.Leaf))
	}
	if len(r.names) == 0 {
		r.ip = true
	}
	return r
}

// check verifies the peer's leaf certificate against the rule; ip is the
// peer's address (nil when unknown).
func (r peerRule) check(leaf *x509.Certificate, ip net.IP) error {
	names := certNames(leaf)
	for _, p := range r.names {
		for _, n := range names {
			if nameMatches(p, n) {
				return nil
			}
		}
	}
	if r.ip && ip != nil {
		for _, a := range leaf.IPAddresses {
			if a.Equal(ip) {
				return nil
			}
		}
	}
	var want []string
	if len(r.names) > 0 {
		want = append(want, "a name matching "+strings.Join(r.names, " or "))
	}
	if r.ip {
		if ip != nil {
			want = append(want, "the IP SAN "+ip.String())
		} else {
			want = append(want, "the IP SAN of the peer (unknown address)")
		}
	}
	return fmt.Errorf("%w: certificate %q (names %v, IPs %v) lacks %s",
		ErrPeerName, leaf.Subject.String(), names, leaf.IPAddresses, strings.Join(want, ", or "))
}

// baseConfig is the part shared by server and client configs.
func (b *Bundle) baseConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   TLSVersion,
		MaxVersion:   TLSVersion,
		CipherSuites: CipherSuites(),
		Certificates: []tls.Certificate{b.Certificate},
		// Bulk shuffle streams, not web pages: full 16 KiB records from the
		// first byte (fewer records, fewer seals).
		DynamicRecordSizingDisabled: true,
	}
}

// ServerConfig is a TLS server config for this bundle: TLS 1.2 with the two
// AES-256-GCM suites only, the bundle's certificate, client certificates
// required and verified against the trusted certificates, and the peer name
// rule of opts checked on every connection (against the client's source IP
// for the IP rule). Invalid opts give an error.
func (b *Bundle) ServerConfig(opts Options) (*tls.Config, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("transport options: %w", err)
	}
	return b.serverConfig(newPeerRule(b, opts)), nil
}

func (b *Bundle) serverConfig(rule peerRule) *tls.Config {
	base := b.baseConfig()
	base.ClientAuth = tls.RequireAndVerifyClientCert
	base.ClientCAs = b.Trusted
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.GetConfigForClient = nil
		var ip net.IP
		if hello.Conn != nil {
			ip = addrIP(hello.Conn.RemoteAddr())
		}
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("transport: client presented no certificate")
			}
			return rule.check(cs.PeerCertificates[0], ip)
		}
		return c, nil
	}
	return base
}

// ClientConfig is a TLS client config for this bundle dialing serverName (a
// host or host:port; an IP address there is what the IP rule checks): TLS
// 1.2 with the two AES-256-GCM suites only, the bundle's certificate
// presented, the server's chain verified against the trusted certificates
// and its name against the rule of opts. It has no session cache: MTLS
// keeps one per node.
//
// Standard host-name verification is replaced (InsecureSkipVerify with a
// VerifyConnection that verifies the chain itself) because cluster peers are
// dialed by IP address while EMR certificates name a wildcard domain.
func (b *Bundle) ClientConfig(serverName string, opts Options) (*tls.Config, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("transport options: %w", err)
	}
	host := serverName
	if h, _, err := net.SplitHostPort(serverName); err == nil {
		host = h
	}
	return b.clientConfig(newPeerRule(b, opts), host, net.ParseIP(host)), nil
}

func (b *Bundle) clientConfig(rule peerRule, host string, ip net.IP) *tls.Config {
	c := b.baseConfig()
	if net.ParseIP(host) == nil {
		c.ServerName = host
	}
	c.InsecureSkipVerify = true // replaced by VerifyConnection below
	trusted := b.Trusted
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("transport: server presented no certificate")
		}
		inter := x509.NewCertPool()
		for _, ic := range cs.PeerCertificates[1:] {
			inter.AddCert(ic)
		}
		leaf := cs.PeerCertificates[0]
		if _, err := leaf.Verify(x509.VerifyOptions{
			Roots:         trusted,
			Intermediates: inter,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}); err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		return rule.check(leaf, ip)
	}
	return c
}

func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	}
	if a == nil {
		return nil
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return nil
	}
	return net.ParseIP(h)
}

// MTLS is one node's mutual TLS: its bundle, its peer rule, a client
// session cache (reconnections to a peer resume the TLS session instead of
// a full handshake) and the dial and listen wrappers the shuffle and the
// gossip use. Safe for concurrent use.
type MTLS struct {
	bundle   *Bundle
	opts     Options
	rule     peerRule
	server   *tls.Config
	sessions tls.ClientSessionCache
	logger   *slog.Logger
}

// NewMTLS checks opts and prepares the node's TLS configs. logger may be
// nil (nothing is logged).
func NewMTLS(b *Bundle, opts Options, logger *slog.Logger) (*MTLS, error) {
	if b == nil {
		return nil, errors.New("transport: nil bundle")
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("transport options: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	rule := newPeerRule(b, opts)
	return &MTLS{
		bundle:   b,
		opts:     opts,
		rule:     rule,
		server:   b.serverConfig(rule),
		sessions: tls.NewLRUClientSessionCache(256),
		logger:   logger,
	}, nil
}

// Bundle is the node's TLS material.
func (m *MTLS) Bundle() *Bundle { return m.bundle }

// Options are the options in force, defaults applied.
func (m *MTLS) Options() Options { return m.opts }

// ServerConfig is the node's server config (see Bundle.ServerConfig). The
// same value is used by every listener; do not modify it.
func (m *MTLS) ServerConfig() *tls.Config { return m.server }

// ClientConfig is a client config for serverName sharing the node's
// session cache (see Bundle.ClientConfig).
func (m *MTLS) ClientConfig(serverName string) *tls.Config {
	host := serverName
	if h, _, err := net.SplitHostPort(serverName); err == nil {
		host = h
	}
	c := m.bundle.clientConfig(m.rule, host, net.ParseIP(host))
	c.ClientSessionCache = m.sessions
	return c
}

// Dial connects to addr (host:port) over TCP and completes the mutual-TLS
// handshake before returning; the IP rule checks the address actually
// connected to. The connection is a *tls.Conn: ConnectionState reports the
// negotiated version and suite. ctx bounds the dial; the handshake is also
// bounded by HandshakeTimeout. A refused handshake returns an error
// wrapping the TLS error (a tls.AlertError when the server refused us, a
// *tls.CertificateVerificationError or ErrPeerName when we refused it).
func (m *MTLS) Dial(ctx context.Context, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dialing %q: %w", addr, err)
	}
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", addr, err)
	}
	c := m.bundle.clientConfig(m.rule, host, addrIP(raw.RemoteAddr()))
	c.ClientSessionCache = m.sessions
	tc := tls.Client(raw, c)
	hctx, cancel := context.WithTimeout(ctx, m.opts.HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
	}
	return tc, nil
}

// ConnectionState reports the TLS state of a connection returned by Dial,
// Listen's Accept or the gossip streams; ok is false for any other
// connection.
func ConnectionState(c net.Conn) (cs tls.ConnectionState, ok bool) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return tls.ConnectionState{}, false
	}
	return tc.ConnectionState(), true
}

// SuiteName names a cipher suite id (for logs and reports).
func SuiteName(id uint16) string { return tls.CipherSuiteName(id) }

// rejected reports a refused inbound connection.
func (m *MTLS) rejected(remote net.Addr, err error) {
	if m.opts.OnReject != nil {
		m.opts.OnReject(remote, err)
	}
	level := slog.LevelWarn
	if errors.Is(err, io.EOF) {
		// A TCP health check or a port scan: connect and close.
		level = slog.LevelDebug
	}
	m.logger.Log(context.Background(), level, "refused TLS peer", "remote", remote.String(), "err", err)
}
