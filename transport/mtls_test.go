package transport_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/transport"
	"github.com/furrowdata/furrow/transport/transporttest"
)

// node loads a bundle written as a folder, with Options o.
func node(t *testing.T, f transporttest.Files, o transport.Options) *transport.MTLS {
	t.Helper()
	b, err := transport.LoadBundle(transporttest.WriteDir(t, f))
	if err != nil {
		t.Fatalf("loading bundle: %v", err)
	}
	m, err := transport.NewMTLS(b, o, nil)
	if err != nil {
		t.Fatalf("NewMTLS: %v", err)
	}
	return m
}

// server is a Listener on 127.0.0.1:0 whose accepted connections and
// refusals the test can observe.
type server struct {
	addr     string
	accepted chan net.Conn
	rejects  chan error
}

func listen(t *testing.T, f transporttest.Files, o transport.Options) *server {
	t.Helper()
	s := &server{accepted: make(chan net.Conn, 16), rejects: make(chan error, 16)}
	o.OnReject = func(_ net.Addr, err error) { s.rejects <- err }
	o.HandshakeTimeout = 5 * time.Second
	m := node(t, f, o)
	ln, err := m.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted <- c
			t.Cleanup(func() { c.Close() })
			// Echo so clients can check the channel works.
			go io.Copy(c, c)
		}
	}()
	return s
}

// rejection waits for the server's refusal of one connection.
func (s *server) rejection(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.rejects:
		return err
	case c := <-s.accepted:
		t.Fatalf("server accepted a connection from %s that it should refuse", c.RemoteAddr())
	case <-time.After(10 * time.Second):
		t.Fatal("no refusal reported by the server within 10s")
	}
	return nil
}

func TestHandshakeBetweenBundleHolders(t *testing.T) {
	for _, tc := range []struct {
		name  string
		key   transporttest.KeyType
		suite uint16
	}{
		{"ecdsa-p256", transporttest.ECDSAP256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{"ecdsa-p384", transporttest.ECDSAP384, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{"rsa-2048", transporttest.RSA2048, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca := transporttest.NewCA(t, "cluster CA", tc.key)
			// Two nodes with their own certificates from one CA.
			srv := listen(t, ca.Issue(t, transporttest.CertOptions{Key: tc.key}).Bundle(), transport.Options{})
			cli := node(t, ca.Issue(t, transporttest.CertOptions{Key: tc.key}).Bundle(), transport.Options{})

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := cli.Dial(ctx, srv.addr)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			var sc net.Conn
			select {
			case sc = <-srv.accepted:
			case err := <-srv.rejects:
				t.Fatalf("server refused: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("server accepted nothing within 10s")
			}
			for side, conn := range map[string]net.Conn{"client": c, "server": sc} {
				cs, ok := transport.ConnectionState(conn)
				if !ok {
					t.Fatalf("%s: not a TLS connection: %T", side, conn)
				}
				if cs.Version != tls.VersionTLS12 {
					t.Errorf("%s: version %s, want TLS 1.2", side, tls.VersionName(cs.Version))
				}
				if cs.CipherSuite != tc.suite {
					t.Errorf("%s: suite %s, want %s", side, tls.CipherSuiteName(cs.CipherSuite), tls.CipherSuiteName(tc.suite))
				}
				if len(cs.PeerCertificates) == 0 {
					t.Errorf("%s: no peer certificate", side)
				}
			}
			msg := []byte("furrow shuffle frame")
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != string(msg) {
				t.Fatalf("echo: %q, %v", got, err)
			}
		})
	}
}

// TestHandshakeResumesSessions checks that a second dial to the same peer
// resumes the TLS session (no full handshake) and is still verified.
func TestHandshakeResumesSessions(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster CA", transporttest.ECDSAP256)
	srv := listen(t, ca.Issue(t, transporttest.CertOptions{}).Bundle(), transport.Options{})
	cli := node(t, ca.Issue(t, transporttest.CertOptions{}).Bundle(), transport.Options{})
	ctx := context.Background()
	for i, wantResumed := range []bool{false, true} {
		c, err := cli.Dial(ctx, srv.addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		// A TLS 1.2 client learns of the ticket during the handshake; read
		// the echo so both sides are done.
		if _, err := c.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		cs, _ := transport.ConnectionState(c)
		if cs.DidResume != wantResumed {
			t.Errorf("dial %d: DidResume = %v, want %v", i, cs.DidResume, wantResumed)
		}
		if cs.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 || cs.Version != tls.VersionTLS12 {
			t.Errorf("dial %d: %s %s", i, tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
		}
		c.Close()
		<-srv.accepted
	}
}

// TestRefusedClients: each client setup the server must refuse, with the
// reason the server reports and what the client sees.
func TestRefusedClients(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster CA", transporttest.ECDSAP256)
	other := transporttest.NewCA(t, "another CA", transporttest.ECDSAP256)
	good := ca.Issue(t, transporttest.CertOptions{})
	srv := listen(t, ca.Issue(t, transporttest.CertOptions{}).Bundle(), transport.Options{})
	now := time.Now()

	tlsClient := func(cfg *tls.Config) func() error {
		return func() error {
			cfg.InsecureSkipVerify = true // the server's refusal is under test
			d := &net.Dialer{Timeout: 5 * time.Second}
			c, err := tls.DialWithDialer(d, "tcp", srv.addr, cfg)
			if err != nil {
				return err
			}
			defer c.Close()
			// TLS 1.2: a client may finish before the server's verdict;
			// reading surfaces the alert.
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(make([]byte, 1))
			return err
		}
	}
	cert := func(l *transporttest.Leaf) []tls.Certificate { return []tls.Certificate{l.TLSCertificate(t)} }
	sendAnyway := func(l *transporttest.Leaf) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		c := l.TLSCertificate(t)
		return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
	}

	for _, tc := range []struct {
		name       string
		client     func() error
		wantServer string // substring of the server's refusal
		wantClient string // substring of the client's error
	}{
		{
			name:       "no client certificate",
			client:     tlsClient(&tls.Config{MaxVersion: tls.VersionTLS12}),
			wantServer: "client didn't provide a certificate",
			wantClient: "remote error: tls: handshake failure",
		},
		{
			name: "certificate from another CA",
			// GetClientCertificate: a Go client would not even send a
			// certificate the server's CA list does not name; a hostile one would.
			client:     tlsClient(&tls.Config{GetClientCertificate: sendAnyway(other.Issue(t, transporttest.CertOptions{}))}),
			wantServer: "certificate signed by unknown authority",
			wantClient: "remote error: tls: unknown certificate authority",
		},
		{
			name: "expired certificate",
			client: tlsClient(&tls.Config{Certificates: cert(ca.Issue(t, transporttest.CertOptions{
				NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}))}),
			wantServer: "certificate has expired or is not yet valid",
			wantClient: "remote error: tls: expired certificate",
		},
		{
			name: "certificate for another address",
			client: tlsClient(&tls.Config{Certificates: cert(ca.Issue(t, transporttest.CertOptions{
				IPs: []net.IP{net.IPv4(10, 1, 2, 3)}}))}),
			wantServer: "not issued for an accepted name",
			wantClient: "remote error: tls: bad certificate",
		},
		{
			name: "plaintext TCP",
			client: func() error {
				c, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
				if err != nil {
					return err
				}
				defer c.Close()
				if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
					return err
				}
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, err := c.Read(make([]byte, 512))
				if err == nil {
					return errors.New("plaintext client read " + string(rune('0'+n)) + " bytes")
				}
				return err
			},
			wantServer: "first record does not look like a TLS handshake",
			wantClient: "", // EOF or reset, never data
		},
		{
			name: "TLS 1.1 client",
			client: tlsClient(&tls.Config{Certificates: cert(good),
				MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}),
			wantServer: "client offered only unsupported versions",
			wantClient: "remote error: tls: protocol version not supported",
		},
		{
			name: "TLS 1.3 only client",
			client: tlsClient(&tls.Config{Certificates: cert(good),
				MinVersion: tls.VersionTLS13}),
			wantServer: "client offered only unsupported versions",
			wantClient: "remote error: tls: protocol version not supported",
		},
		{
			name: "client offering only AES-128 suites",
			client: tlsClient(&tls.Config{Certificates: cert(good), MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{
					tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
					tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
				}}),
			wantServer: "no cipher suite supported by both client and server",
			wantClient: "remote error: tls: handshake failure",
		},
		{
			name: "client offering only ChaCha20",
			client: tlsClient(&tls.Config{Certificates: cert(good), MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}),
			wantServer: "no cipher suite supported by both client and server",
			wantClient: "remote error: tls: handshake failure",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cerr := tc.client()
			if cerr == nil {
				t.Fatal("client connected; want a refusal")
			}
			if !strings.Contains(cerr.Error(), tc.wantClient) {
				t.Errorf("client error %q, want it to contain %q", cerr, tc.wantClient)
			}
			serr := srv.rejection(t)
			if !strings.Contains(serr.Error(), tc.wantServer) {
				t.Errorf("server refusal %q, want it to contain %q", serr, tc.wantServer)
			}
		})
	}
	// A good client still gets in after all that, and its data flows.
	c, err := tls.Dial("tcp", srv.addr, &tls.Config{Certificates: cert(good), InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("good client: %v", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatalf("good client echo: %v", err)
	}
}

// TestRefusedServers: Dial refuses servers it must not trust.
func TestRefusedServers(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster CA", transporttest.ECDSAP256)
	other := transporttest.NewCA(t, "another CA", transporttest.ECDSAP256)
	cli := node(t, ca.Issue(t, transporttest.CertOptions{}).Bundle(), transport.Options{})
	now := time.Now()

	rawServer := func(t *testing.T, l *transporttest.Leaf) string {
		cfg := &tls.Config{Certificates: []tls.Certificate{l.TLSCertificate(t)}, ClientAuth: tls.RequireAnyClientCert}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { c.(*tls.Conn).Handshake(); c.Close() }()
			}
		}()
		return ln.Addr().String()
	}
	for _, tc := range []struct {
		name string
		leaf *transporttest.Leaf
		want string
		is   error
	}{
		{"server from another CA", other.Issue(t, transporttest.CertOptions{}), "certificate signed by unknown authority", nil},
		{"expired server certificate", ca.Issue(t, transporttest.CertOptions{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}), "certificate has expired", nil},
		{"server certified for another address", ca.Issue(t, transporttest.CertOptions{IPs: []net.IP{net.IPv4(10, 1, 2, 3)}}), "lacks the IP SAN 127.0.0.1", transport.ErrPeerName},
		{"server certified for a name only", ca.Issue(t, transporttest.CertOptions{DNSNames: []string{"node.example.com"}}), "lacks the IP SAN 127.0.0.1", transport.ErrPeerName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawServer(t, tc.leaf)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := cli.Dial(ctx, addr)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded; want a refusal")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dial error %q, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Dial error %v does not wrap %v", err, tc.is)
			}
			var ve *tls.CertificateVerificationError
			if tc.is == nil && !errors.As(err, &ve) {
				t.Errorf("Dial error %v is not a *tls.CertificateVerificationError", err)
			}
		})
	}
}

// TestEMRWildcardCertificate: nodes sharing the EMR-documented self-signed
// certificate (CN=*.ec2.internal, no SAN) accept each other over 127.0.0.1
// under the default rule; a certificate for another region's pattern from
// the same trust anchor is refused; PeerNames overrides the rule.
func TestEMRWildcardCertificate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		serverCN   string
		clientCN   string
		opts       transport.Options
		wantRefuse bool
	}{
		{name: "same bundle on every node", serverCN: "*.ec2.internal", clientCN: "*.ec2.internal"},
		{name: "other region's pattern", serverCN: "*.ec2.internal", clientCN: "*.eu-west-1.compute.internal", wantRefuse: true},
		{name: "override for another network", serverCN: "*.corp.example", clientCN: "*.corp.example",
			opts: transport.Options{PeerNames: []string{"*.corp.example"}}},
		{name: "override refuses the EMR name", serverCN: "*.ec2.internal", clientCN: "*.ec2.internal",
			opts: transport.Options{PeerNames: []string{"*.corp.example"}}, wantRefuse: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One self-signed trust anchor signs nothing else here, so give
			// both nodes a CA-issued certificate with the CN only, like EMR's.
			ca := transporttest.NewCA(t, "EMR CA", transporttest.RSA2048)
			sLeaf := ca.Issue(t, transporttest.CertOptions{CommonName: tc.serverCN, NoIP: true, Key: transporttest.RSA2048})
			cLeaf := ca.Issue(t, transporttest.CertOptions{CommonName: tc.clientCN, NoIP: true, Key: transporttest.RSA2048})
			srv := listen(t, sLeaf.Bundle(), tc.opts)
			cli := node(t, cLeaf.Bundle(), tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := cli.Dial(ctx, srv.addr)
			if tc.wantRefuse {
				if err == nil {
					c.Close()
					t.Fatal("Dial succeeded; want a refusal")
				}
				if !errors.Is(err, transport.ErrPeerName) {
					t.Errorf("Dial error %v does not wrap ErrPeerName", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			c.Close()
			select {
			case <-srv.accepted:
			case err := <-srv.rejects:
				t.Fatalf("server refused: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("server accepted nothing within 10s")
			}
		})
	}

	t.Run("self-signed EMR example bundle", func(t *testing.T) {
		// openssl req -x509 ... -subj '/CN=*.ec2.internal', trusted = chain.
		l := transporttest.SelfSigned(t, transporttest.CertOptions{Key: transporttest.RSA2048, Format: transporttest.PKCS1})
		f := transporttest.Files{PrivateKey: l.KeyPEM, CertificateChain: l.ChainPEM} // trusted falls back to the chain
		srv := listen(t, f, transport.Options{})
		cli := node(t, f, transport.Options{})
		c, err := cli.Dial(context.Background(), srv.addr)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		cs, _ := transport.ConnectionState(c)
		if cs.CipherSuite != tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 {
			t.Errorf("suite %s", tls.CipherSuiteName(cs.CipherSuite))
		}
		c.Close()
	})
}

func TestEMRPeerName(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "*.ec2.internal",
		"eu-west-1": "*.eu-west-1.compute.internal",
		"us-west-2": "*.us-west-2.compute.internal",
	} {
		if got := transport.EMRPeerName(region); got != want {
			t.Errorf("EMRPeerName(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	err := transport.Options{
		PeerNames:        []string{"*.ec2.internal", "a.*.example", "10.0.0.1", "", "bad name.example"},
		HandshakeTimeout: -time.Second,
	}.Validate()
	if err == nil {
		t.Fatal("Validate accepted bad options")
	}
	for _, want := range []string{"peer_names[1]", "peer_names[2]", "peer_names[3]", "peer_names[4]", "handshake_timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "peer_names[0]") {
		t.Errorf("Validate refused the EMR pattern: %v", err)
	}
}

// TestExportedConfigs checks the exported configs interoperate with a
// plain crypto/tls pair (for code that manages its own sockets).
func TestExportedConfigs(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster CA", transporttest.ECDSAP256)
	load := func(l *transporttest.Leaf) *transport.Bundle {
		b, err := transport.LoadBundle(transporttest.WriteZip(t, l.Bundle(), ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sb, cb := load(ca.Issue(t, transporttest.CertOptions{})), load(ca.Issue(t, transporttest.CertOptions{}))
	scfg, err := sb.ServerConfig(transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	ccfg, err := cb.ClientConfig(ln.Addr().String(), transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ccfg.MinVersion != tls.VersionTLS12 || ccfg.MaxVersion != tls.VersionTLS12 || len(ccfg.CipherSuites) != 2 {
		t.Errorf("client config: versions %x-%x suites %v", ccfg.MinVersion, ccfg.MaxVersion, ccfg.CipherSuites)
	}
	if scfg.ClientAuth != tls.RequireAndVerifyClientCert || scfg.ClientCAs == nil {
		t.Errorf("server config: ClientAuth %v, ClientCAs %v", scfg.ClientAuth, scfg.ClientCAs)
	}
	c, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if cs := c.ConnectionState(); cs.Version != tls.VersionTLS12 || cs.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("negotiated %s %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
}

// TestListenerNotBlockedBySilentClients: clients that connect and never
// handshake do not delay others, and Close aborts them at once.
func TestListenerNotBlockedBySilentClients(t *testing.T) {
	ca := transporttest.NewCA(t, "cluster CA", transporttest.ECDSAP256)
	srv := node(t, ca.Issue(t, transporttest.CertOptions{}).Bundle(), transport.Options{HandshakeTimeout: time.Minute})
	cli := node(t, ca.Issue(t, transporttest.CertOptions{}).Bundle(), transport.Options{})
	ln, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	accepted := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := cli.Dial(ctx, ln.Addr().String())
	if err != nil {
		t.Fatalf("Dial behind 5 silent clients: %v", err)
	}
	c.Close()
	if err := <-accepted; err != nil {
		t.Fatalf("Accept: %v", err)
	}
	start := time.Now()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with handshakes pending (timeout 1m)", d)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
}
