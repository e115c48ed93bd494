package transport

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Names of the files of an EMR PEM bundle, as EMR security configurations
// expect them (in a zip or, for furrow, also a folder).
const (
	PrivateKeyFile          = "privateKey.pem"
	CertificateChainFile    = "certificateChain.pem"
	TrustedCertificatesFile = "trustedCertificates.pem"
)

// maxBundleFile bounds each PEM file read from a folder or zip.
const maxBundleFile = 1 << 20

// GossipKeySize is the size of the memberlist SecretKey: 32 bytes selects
// AES-256-GCM.
const GossipKeySize = 32

// Bundle is the TLS material of one node, loaded from an EMR PEM bundle.
// It is immutable after loading and safe for concurrent use.
type Bundle struct {
	// Source names where the bundle came from (a path), for messages.
	Source string
	// Certificate is the node's key pair with its chain, as presented to
	// peers.
	Certificate tls.Certificate
	// Leaf is the node certificate (first of certificateChain.pem).
	Leaf *x509.Certificate
	// Trusted is the pool peers are verified against.
	Trusted *x509.CertPool
	// TrustedCerts lists the certificates in Trusted, in file order.
	TrustedCerts []*x509.Certificate
	// TrustedFromChain is true when trustedCertificates.pem was absent and
	// the root of certificateChain.pem is the trust anchor.
	TrustedFromChain bool

	gossipKey [GossipKeySize]byte
}

// LoadBundle reads an EMR PEM bundle from path: a zip file (the object an
// EMR security configuration points at, downloaded) or a folder. The files
// may sit at the root of the zip or inside one folder of it.
//
// privateKey.pem (RSA or ECDSA; PKCS#1, PKCS#8 or SEC1; unencrypted) and
// certificateChain.pem (the node certificate first, then intermediates) are
// required. trustedCertificates.pem is optional: without it the last
// certificate of the chain must be a self-signed root, which becomes the
// trust anchor. The bundle is checked now rather than at the first
// handshake: the key must match the certificate, the certificate must be
// valid at the current time, usable for TLS client and server
// authentication, and must verify against the trusted certificates. Each
// error names the file and the problem.
func LoadBundle(p string) (*Bundle, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("loading TLS bundle: %w", err)
	}
	var files map[string][]byte
	if fi.IsDir() {
		files, err = readBundleDir(p)
	} else {
		files, err = readBundleZipFile(p)
	}
	if err != nil {
		return nil, err
	}
	return parseBundle(p, files, time.Now())
}

// ReadBundleZip reads an EMR PEM bundle zip of the given size from r (for
// a bundle fetched from object storage without a local file); name is used
// in messages. It checks the bundle like LoadBundle.
func ReadBundleZip(r io.ReaderAt, size int64, name string) (*Bundle, error) {
	files, err := readBundleZip(r, size, name)
	if err != nil {
		return nil, err
	}
	return parseBundle(name, files, time.Now())
}

// ParseBundle checks and assembles a bundle from the three files' contents
// (trusted may be nil), valid at time now; source names it in messages.
func ParseBundle(source string, privateKey, certificateChain, trusted []byte, now time.Time) (*Bundle, error) {
	files := map[string][]byte{PrivateKeyFile: privateKey, CertificateChainFile: certificateChain}
	if trusted != nil {
		files[TrustedCertificatesFile] = trusted
	}
	return parseBundle(source, files, now)
}

func readBundleDir(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range []string{PrivateKeyFile, CertificateChainFile, TrustedCertificatesFile} {
		p := filepath.Join(dir, name)
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading TLS bundle: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxBundleFile+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading TLS bundle %s: %w", p, err)
		}
		if len(data) > maxBundleFile {
			return nil, fmt.Errorf("TLS bundle %s: larger than %d bytes", p, maxBundleFile)
		}
		files[name] = data
	}
	return files, nil
}

func readBundleZipFile(p string) (map[string][]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading TLS bundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading TLS bundle %s: %w", p, err)
	}
	return readBundleZip(f, fi.Size(), p)
}

func readBundleZip(r io.ReaderAt, size int64, name string) (map[string][]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("TLS bundle %s: not a folder or a zip file: %w", name, err)
	}
	files := map[string][]byte{}
	where := map[string]string{}
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		base := path.Base(zf.Name)
		if base != PrivateKeyFile && base != CertificateChainFile && base != TrustedCertificatesFile {
			continue
		}
		// macOS' zip adds __MACOSX/._name resource forks; they are not PEM.
		if strings.HasPrefix(zf.Name, "__MACOSX/") {
			continue
		}
		if prev, ok := where[base]; ok {
			return nil, fmt.Errorf("TLS bundle %s: %s appears twice (%s and %s)", name, base, prev, zf.Name)
		}
		where[base] = zf.Name
		if zf.UncompressedSize64 > maxBundleFile {
			return nil, fmt.Errorf("TLS bundle %s: %s is larger than %d bytes", name, zf.Name, maxBundleFile)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("TLS bundle %s: opening %s: %w", name, zf.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxBundleFile+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("TLS bundle %s: reading %s: %w", name, zf.Name, err)
		}
		if len(data) > maxBundleFile {
			return nil, fmt.Errorf("TLS bundle %s: %s is larger than %d bytes", name, zf.Name, maxBundleFile)
		}
		files[base] = data
	}
	// All present files must come from the same folder of the archive.
	first := ""
	for _, base := range []string{PrivateKeyFile, CertificateChainFile, TrustedCertificatesFile} {
		n, ok := where[base]
		if !ok {
			continue
		}
		if first == "" {
			first = n
		} else if path.Dir(n) != path.Dir(first) {
			return nil, fmt.Errorf("TLS bundle %s: %s and %s are in different folders", name, first, n)
		}
	}
	return files, nil
}

func parseBundle(source string, files map[string][]byte, now time.Time) (*Bundle, error) {
	keyPEM, ok := files[PrivateKeyFile]
	if !ok {
		return nil, fmt.Errorf("TLS bundle %s: %s is missing", source, PrivateKeyFile)
	}
	chainPEM, ok := files[CertificateChainFile]
	if !ok {
		return nil, fmt.Errorf("TLS bundle %s: %s is missing", source, CertificateChainFile)
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS bundle %s: %s: %w", source, PrivateKeyFile, err)
	}
	chain, chainDER, err := parseCertificates(chainPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS bundle %s: %s: %w", source, CertificateChainFile, err)
	}
	leaf := chain[0]
	if err := checkLeaf(leaf, key, now); err != nil {
		return nil, fmt.Errorf("TLS bundle %s: %s: %w", source, CertificateChainFile, err)
	}

	b := &Bundle{Source: source, Leaf: leaf, Trusted: x509.NewCertPool()}
	if trustedPEM, ok := files[TrustedCertificatesFile]; ok {
		trusted, _, err := parseCertificates(trustedPEM)
		if err != nil {
			return nil, fmt.Errorf("TLS bundle %s: %s: %w", source, TrustedCertificatesFile, err)
		}
		b.TrustedCerts = trusted
	} else {
		root := chain[len(chain)-1]
		if !isSelfSigned(root) {
			return nil, fmt.Errorf("TLS bundle %s: %s is missing and the last certificate of %s (%q) is not a self-signed root to fall back to",
				source, TrustedCertificatesFile, CertificateChainFile, root.Subject.String())
		}
		b.TrustedCerts = []*x509.Certificate{root}
		b.TrustedFromChain = true
	}
	for _, c := range b.TrustedCerts {
		b.Trusted.AddCert(c)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := leaf.Verify(x509.VerifyOptions{
			Roots:         b.Trusted,
			Intermediates: inter,
			CurrentTime:   now,
			KeyUsages:     []x509.ExtKeyUsage{usage},
		}); err != nil {
			return nil, fmt.Errorf("TLS bundle %s: the certificate of %s does not verify against the trusted certificates (peers holding this bundle would refuse each other): %w",
				source, CertificateChainFile, err)
		}
	}
	b.Certificate = tls.Certificate{Certificate: chainDER, PrivateKey: key, Leaf: leaf}

	// The gossip key: HKDF-SHA256 over the canonical PKCS#8 encoding of the
	// private key, so the same key in any PEM format gives the same secret.
	ikm, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("TLS bundle %s: %s: encoding key: %w", source, PrivateKeyFile, err)
	}
	gk, err := hkdf.Key(sha256.New, ikm, []byte(gossipKeySalt), gossipKeyInfo, GossipKeySize)
	if err != nil {
		return nil, fmt.Errorf("TLS bundle %s: deriving gossip key: %w", source, err)
	}
	copy(b.gossipKey[:], gk)
	return b, nil
}

// HKDF parameters of the gossip key. Changing either changes every
// cluster's key: nodes of different furrow versions would no longer gossip.
const (
	gossipKeySalt = "furrow/transport gossip key v1"
	gossipKeyInfo = "memberlist SecretKey AES-256-GCM"
)

// GossipKey is the 32-byte memberlist SecretKey (AES-256-GCM) derived from
// the bundle's private key with HKDF-SHA256. Every node of an EMR cluster
// holds the same bundle, so every node derives the same key and no extra
// secret is distributed; a node with another private key derives another
// key and cannot join. HKDF is one-way: the gossip key reveals nothing about
// the private key. The caller gets a copy.
func (b *Bundle) GossipKey() []byte {
	k := b.gossipKey
	return k[:]
}

func checkLeaf(leaf *x509.Certificate, key crypto.Signer, now time.Time) error {
	if !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return fmt.Errorf("certificate %q does not match the key in %s (its public key differs)", leaf.Subject.String(), PrivateKeyFile)
	}
	if now.Before(leaf.NotBefore) {
		return fmt.Errorf("certificate %q is not valid before %s", leaf.Subject.String(), leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("certificate %q expired at %s", leaf.Subject.String(), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if len(leaf.ExtKeyUsage) > 0 || len(leaf.UnknownExtKeyUsage) > 0 {
		has := func(u x509.ExtKeyUsage) bool {
			return slices.Contains(leaf.ExtKeyUsage, u) || slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny)
		}
		if !has(x509.ExtKeyUsageServerAuth) || !has(x509.ExtKeyUsageClientAuth) {
			return fmt.Errorf("certificate %q has an extended key usage without both serverAuth and clientAuth; every node is a TLS server and client, so it needs both (or no extended key usage)", leaf.Subject.String())
		}
	}
	return nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// parseCertificates decodes every CERTIFICATE block of a PEM file, in order.
func parseCertificates(data []byte) ([]*x509.Certificate, [][]byte, error) {
	var (
		certs []*x509.Certificate
		ders  [][]byte
	)
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, nil, fmt.Errorf("PEM block %d is %q, want CERTIFICATE", n, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("certificate %d: %w", n, err)
		}
		certs = append(certs, c)
		ders = append(ders, block.Bytes)
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("no PEM CERTIFICATE block found")
	}
	return certs, ders, nil
}

// parsePrivateKey decodes the one private key of a PEM file: PKCS#1 ("RSA
// PRIVATE KEY"), PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY", possibly
// after an "EC PARAMETERS" block). Only RSA and ECDSA keys are accepted:
// they are the key types of the two pinned cipher suites.
func parsePrivateKey(data []byte) (crypto.Signer, error) {
	rest := data
	var key crypto.Signer
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Headers["Proc-Type"] != "" || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, errors.New("the private key is encrypted; EMR bundles hold an unencrypted key")
		}
		var (
			k   any
			err error
		)
		switch block.Type {
		case "EC PARAMETERS":
			continue
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "CERTIFICATE":
			return nil, errors.New("found a CERTIFICATE block where the private key belongs")
		default:
			return nil, fmt.Errorf("unsupported PEM block %q (want RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
		}
		if key != nil {
			return nil, errors.New("more than one private key")
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			if k.N.BitLen() < 2048 {
				return nil, fmt.Errorf("RSA key of %d bits; at least 2048 are required", k.N.BitLen())
			}
			key = k
		case *ecdsa.PrivateKey:
			switch k.Curve {
			case elliptic.P256(), elliptic.P384(), elliptic.P521():
			default:
				return nil, fmt.Errorf("unsupported ECDSA curve %s (want P-256, P-384 or P-521)", k.Curve.Params().Name)
			}
			key = k
		default:
			return nil, fmt.Errorf("unsupported key type %s (want RSA or ECDSA: the only key types of the pinned TLS 1.2 cipher suites)", keyTypeName(k))
		}
	}
	if key == nil {
		return nil, errors.New("no PEM private key block found")
	}
	return key, nil
}

func keyTypeName(k any) string {
	s := fmt.Sprintf("%T", k)
	switch {
	case strings.Contains(s, "ed25519"):
		return "Ed25519"
	case strings.Contains(s, "ecdh"):
		return "X25519/ECDH"
	}
	return s
}
