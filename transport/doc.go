// Package transport owns furrow's node-to-node security and membership:
// mutual TLS from the EMR PEM bundle, the dial and listen wrappers the
// shuffle uses, and cluster membership and failure detection with
// hashicorp/memberlist carried over that same mutual TLS.
//
//	bundle, err := transport.LoadBundle("/etc/furrow/my-certs.zip")
//	m, err := transport.NewMTLS(bundle, transport.Options{}, logger)
//	ln, err := m.Listen(":7447")             // shuffle server: verified *tls.Conn from Accept
//	conn, err := m.Dial(ctx, "10.0.1.7:7447") // shuffle client
//	cfg := transport.DefaultConfig()
//	cfg.Meta = transport.NodeMeta{Role: transport.RoleWorker, ShuffleAddr: "10.0.1.5:7447", Cores: 16, MemoryBudget: 48 << 30}
//	cl, err := transport.NewCluster(cfg, m, logger)
//	_, err = cl.Join(ctx, []string{"ip-10-0-1-4.ec2.internal:7946"})
//	for e := range cl.Events() { ... }      // join / update / leave / fail / resync
//
// # Design
//
// TLS material. An EMR security configuration for in-transit encryption
// points at a zip holding privateKey.pem, certificateChain.pem and
// (optionally) trustedCertificates.pem; every node of the cluster gets the
// same files. LoadBundle reads the zip or a folder and checks everything it
// can before the first handshake (key matches certificate, validity
// period, key usage, chain verifies against the trusted certificates), so a
// bad bundle is an error at start naming the file, not a refused peer
// later. Without trustedCertificates.pem the self-signed root that ends the
// chain is the trust anchor (the EMR documentation's openssl example is a
// single self-signed certificate).
//
// Mutual TLS. Both sides present the bundle's certificate and verify the
// peer's chain against the trusted certificates: the server with
// RequireAndVerifyClientCert and ClientCAs (memberlist's and dskit's TCP
// transports do not require client certificates; furrow does), the client
// with its own chain verification. Then the peer name rule: EMR requires the
// certificate to be issued for "*.ec2.internal" (us-east-1) or
// "*.<region>.compute.internal", and nodes dial each other by IP, so
// standard host-name verification cannot apply. Instead the peer must be
// certified for a name matching the names of this node's own certificate
// (the shared wildcard, or hosts under it); Options.PeerNames overrides
// them for other networks, and Options.PeerIP accepts a certificate whose IP
// SAN is the peer's address (forced on when no name is available, e.g.
// tests on 127.0.0.1). A certificate from the right CA for the wrong name
// fails with ErrPeerName.
//
// AES-256 only: TLS 1.2 with exactly ECDHE-ECDSA-AES256-GCM-SHA384 and
// ECDHE-RSA-AES256-GCM-SHA384 (forward secrecy, AEAD, 256-bit keys; one suite
// per certificate key type, hence RSA and ECDSA keys only). TLS 1.3 would be
// preferable, but Go's crypto/tls ignores Config.CipherSuites for TLS 1.3
// (golang/go#29349) and, in Go 1.26, offers no supported knob to force
// TLS_AES_256_GCM_SHA384: no GODEBUG setting selects TLS 1.3 suites, and the
// FIPS 140-3 mode (GODEBUG=fips140=on) only narrows them to AES-128-GCM and
// AES-256-GCM and still prefers AES-128-GCM. The only way would be to
// linkname crypto/tls internals, which is not supported. A Go
// server and client that both ask for AES-256 negotiate TLS_AES_128_GCM_SHA256
// under TLS 1.3; TestTLS13CannotBePinnedToAES256 demonstrates it (in both
// modes) and fails if a future Go changes this, which is when to revisit the
// pin. A TLS 1.0/1.1/1.3-only client, or one offering only AES-128 or
// ChaCha20 suites, is refused.
//
// Listener. Handshakes run concurrently off the accept loop, bounded in
// number and time, so a slow or hostile client cannot block Accept;
// refusals are reported through Options.OnReject and the log, never
// returned as connections. There is no plaintext port. MTLS keeps a client
// session cache: a reconnection to a peer resumes its TLS session (still
// verified) instead of a full handshake.
//
// Gossip. memberlist runs over a custom NodeAwareTransport on one TCP port
// of mutual TLS (no UDP). Its packets (probes, acks, gossip) travel over a
// pooled connection per peer and direction, length-prefixed; the pool
// dials on first use and keeps the connection, so there is one handshake
// per peer, not per packet. Send failures are reported to memberlist as the
// *net.OpError it recognises, so an unreachable peer is suspected at once;
// after a failed dial the peer is not redialed for PacketDialTimeout,
// doubling per failure up to 8×, so a dead host does not stall the probe
// loop. A pooled connection the peer closed (it restarted) is noticed by a
// reader goroutine and a packet that meets it is retried once on a fresh
// connection rather than lost in a reset socket. Streams (join, push/pull, TCP
// probes) are one TLS connection each, as memberlist closes them.
//
// Gossip is additionally encrypted by memberlist with a 32-byte SecretKey
// (AES-256-GCM), required both ways. The key is HKDF-SHA256 over the
// bundle's private key (PKCS#8 encoding, fixed salt and info): every node
// of an EMR cluster has the same bundle, so they all derive the same key
// and no extra secret is distributed; HKDF is one-way, so the key reveals
// nothing of the private key. A node whose bundle differs cannot join: with
// another CA the TLS handshake fails; with the same CA but another key its
// gossip cannot be decrypted.
//
// Membership. A member's metadata (JSON, at most 512 bytes) carries its
// role, shuffle address, cores, memory budget and a per-process instance
// id. Events reaches the scheduler in order through a bounded queue: the
// delegate memberlist calls must not block, so a consumer that falls
// EventBuffer behind gets one EventResync instead of the dropped events
// and reconciles with Members. memberlist v0.7.0 hands NotifyLeave a node
// whose State is stale, so Leave first gossips Leaving in the metadata;
// that is how others tell EventLeave from EventFail. Shutdown stops
// memberlist, then the transport (waiting at most 5s for its goroutines),
// then the event dispatcher: the reverse of start.
package transport
