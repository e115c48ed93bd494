package transporttest

import (
	"archive/zip"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// KeyType selects the algorithm of a generated key.
type KeyType int

const (
	// ECDSAP256 is an ECDSA key on NIST P-256 (the default: fast to make).
	ECDSAP256 KeyType = iota
	// ECDSAP384 is an ECDSA key on NIST P-384.
	ECDSAP384
	// RSA2048 is a 2048-bit RSA key.
	RSA2048
	// Ed25519 is an Ed25519 key (furrow refuses it; here to test that).
	Ed25519
)

// KeyFormat selects the PEM encoding of a private key.
type KeyFormat int

const (
	// PKCS8 is "PRIVATE KEY" (any key type; the default).
	PKCS8 KeyFormat = iota
	// PKCS1 is "RSA PRIVATE KEY" (RSA only).
	PKCS1
	// SEC1 is "EC PRIVATE KEY" (ECDSA only).
	SEC1
	// SEC1WithParams is "EC PARAMETERS" followed by "EC PRIVATE KEY", as
	// `openssl ecparam -genkey` writes it.
	SEC1WithParams
)

// CA is a certificate authority made for one test.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// PEM is Cert as a "CERTIFICATE" block.
	PEM []byte
	// parent is nil for a root and the issuing CA for an intermediate.
	parent *CA
}

// NewCA makes a self-signed root CA of the given key type, valid from an hour
// ago for a day.
func NewCA(t testing.TB, name string, kt KeyType) *CA {
	t.Helper()
	key := NewKey(t, kt)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"furrow tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("creating CA %q: %v", name, err)
	}
	return newCA(t, der, key, nil)
}

// Intermediate makes a CA signed by ca.
func (ca *CA) Intermediate(t testing.TB, name string, kt KeyType) *CA {
	t.Helper()
	key := NewKey(t, kt)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"furrow tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatalf("creating intermediate CA %q: %v", name, err)
	}
	return newCA(t, der, key, ca)
}

func newCA(t testing.TB, der []byte, key crypto.Signer, parent *CA) *CA {
	t.Helper()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing generated CA: %v", err)
	}
	return &CA{Cert: cert, Key: key, PEM: pemBlock("CERTIFICATE", der), parent: parent}
}

// CertOptions describes a node certificate. The zero value is an ECDSA P-256
// certificate for 127.0.0.1, valid from an hour ago for a day, usable as
// both TLS server and client.
type CertOptions struct {
	// CommonName defaults to "furrow-node". Set it to "*.ec2.internal" (and
	// leave DNSNames and IPs empty) for the certificate the EMR documentation
	// makes with `openssl req -x509 -subj .../CN=*.ec2.internal`.
	CommonName string
	DNSNames   []string
	// IPs are the IP SANs; nil with no DNSNames and no CommonName override
	// means 127.0.0.1. Set NoIP to leave them out.
	IPs  []net.IP
	NoIP bool
	// NotBefore and NotAfter default to an hour ago and a day from now.
	NotBefore, NotAfter time.Time
	Key                 KeyType
	Format              KeyFormat
	// ExtKeyUsage defaults to server and client authentication. Set
	// NoExtKeyUsage for a certificate without the extension (any usage).
	ExtKeyUsage   []x509.ExtKeyUsage
	NoExtKeyUsage bool
}

// Leaf is a node certificate with its key.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertPEM is the leaf alone; ChainPEM is the leaf followed by every
	// intermediate up to, not including, the root.
	CertPEM, ChainPEM []byte
	// KeyPEM is the key in the requested format.
	KeyPEM []byte
	// Root is the root CA the chain ends at.
	Root *CA
}

// Issue makes a node certificate signed by ca.
func (ca *CA) Issue(t testing.TB, o CertOptions) *Leaf {
	t.Helper()
	key := NewKey(t, o.Key)
	now := time.Now()
	if o.CommonName == "" {
		o.CommonName = "furrow-node"
		if o.IPs == nil && len(o.DNSNames) == 0 && !o.NoIP {
			o.IPs = []net.IP{net.IPv4(127, 0, 0, 1)}
		}
	}
	if o.NoIP {
		o.IPs = nil
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.Add(24 * time.Hour)
	}
	if o.ExtKeyUsage == nil && !o.NoExtKeyUsage {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	ku := x509.KeyUsageDigitalSignature
	if _, ok := key.(*rsa.PrivateKey); ok {
		ku |= x509.KeyUsageKeyEncipherment
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: []string{"furrow tests"}},
		DNSNames:              o.DNSNames,
		IPAddresses:           o.IPs,
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		KeyUsage:              ku,
		ExtKeyUsage:           o.ExtKeyUsage,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatalf("issuing certificate %q: %v", o.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing issued certificate: %v", err)
	}
	l := &Leaf{Cert: cert, Key: key, CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: KeyPEM(t, key, o.Format)}
	l.ChainPEM = append([]byte{}, l.CertPEM...)
	root := ca
	for root.parent != nil {
		l.ChainPEM = append(l.ChainPEM, root.PEM...)
		root = root.parent
	}
	l.Root = root
	return l
}

// SelfSigned makes a self-signed certificate that is its own trust anchor,
// as in the EMR documentation's openssl example (CN only, no SAN, no EKU
// unless set, CA:TRUE as openssl's v3_ca section makes it).
func SelfSigned(t testing.TB, o CertOptions) *Leaf {
	t.Helper()
	key := NewKey(t, o.Key)
	now := time.Now()
	if o.CommonName == "" {
		o.CommonName = "*.ec2.internal"
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: []string{"furrow tests"}},
		DNSNames:              o.DNSNames,
		IPAddresses:           o.IPs,
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           o.ExtKeyUsage,
		BasicConstraintsValid: true,
		IsCA:                  true, // openssl req -x509 applies v3_ca: CA:TRUE
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("creating self-signed certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing self-signed certificate: %v", err)
	}
	p := pemBlock("CERTIFICATE", der)
	ca := &CA{Cert: cert, Key: key, PEM: p}
	return &Leaf{Cert: cert, Key: key, CertPEM: p, ChainPEM: p, KeyPEM: KeyPEM(t, key, o.Format), Root: ca}
}

// TLSCertificate is the leaf and its chain as a tls.Certificate, for raw
// crypto/tls clients and servers in tests.
func (l *Leaf) TLSCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(l.ChainPEM, KeyPEM(t, l.Key, PKCS8))
	if err != nil {
		t.Fatalf("building tls.Certificate: %v", err)
	}
	return c
}

// Pool is a certificate pool holding the given CAs.
func Pool(cas ...*CA) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AddCert(ca.Cert)
	}
	return p
}

// Files is the content of an EMR PEM bundle. A nil field is left out of
// the folder or zip.
type Files struct {
	PrivateKey          []byte
	CertificateChain    []byte
	TrustedCertificates []byte
}

// Bundle is the leaf's EMR bundle: its key, its chain, and the root of its
// chain plus extra trusted CAs as trustedCertificates.pem.
func (l *Leaf) Bundle(extraTrusted ...*CA) Files {
	trusted := append([]byte{}, l.Root.PEM...)
	for _, ca := range extraTrusted {
		trusted = append(trusted, ca.PEM...)
	}
	return Files{PrivateKey: l.KeyPEM, CertificateChain: l.ChainPEM, TrustedCertificates: trusted}
}

// File names inside an EMR PEM bundle.
const (
	PrivateKeyFile          = "privateKey.pem"
	CertificateChainFile    = "certificateChain.pem"
	TrustedCertificatesFile = "trustedCertificates.pem"
)

// WriteDir writes the bundle as files in a new folder under t.TempDir and
// returns the folder.
func WriteDir(t testing.TB, f Files) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range f.entries() {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatalf("writing %s: %v", name, err)
		}
	}
	return dir
}

// WriteZip writes the bundle as a zip under t.TempDir, with the files at
// the root of the archive (as `zip -r -X my-certs.zip *.pem` makes it) or,
// if prefix is not empty, inside that folder, and returns the zip's path.
func WriteZip(t testing.TB, f Files, prefix string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "my-certs.zip")
	out, err := os.Create(path)
	if err != nil {
		t.Fatalf("creating %s: %v", path, err)
	}
	zw := zip.NewWriter(out)
	for name, data := range f.entries() {
		if prefix != "" {
			name = prefix + "/" + name
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatalf("adding %s to zip: %v", name, err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatalf("writing %s to zip: %v", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("closing zip: %v", err)
	}
	if err := out.Close(); err != nil {
		t.Fatalf("closing %s: %v", path, err)
	}
	return path
}

func (f Files) entries() map[string][]byte {
	m := map[string][]byte{}
	if f.PrivateKey != nil {
		m[PrivateKeyFile] = f.PrivateKey
	}
	if f.CertificateChain != nil {
		m[CertificateChainFile] = f.CertificateChain
	}
	if f.TrustedCertificates != nil {
		m[TrustedCertificatesFile] = f.TrustedCertificates
	}
	return m
}

// NodeBundleDir is the common case: a new root CA, one ECDSA node
// certificate for 127.0.0.1 signed by it, written as a bundle folder. It
// returns the folder and the CA (to issue more certificates from it).
func NodeBundleDir(t testing.TB) (string, *CA) {
	t.Helper()
	ca := NewCA(t, "furrow test CA", ECDSAP256)
	return WriteDir(t, ca.Issue(t, CertOptions{}).Bundle()), ca
}

// NewKey makes a private key of the given type.
func NewKey(t testing.TB, kt KeyType) crypto.Signer {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch kt {
	case ECDSAP256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case Ed25519:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key type %d", kt)
	}
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	return k
}

// KeyPEM encodes key in the given format; it fails the test for a format
// the key type does not have (PKCS1 for ECDSA, SEC1 for RSA).
func KeyPEM(t testing.TB, key crypto.Signer, f KeyFormat) []byte {
	t.Helper()
	switch f {
	case PKCS8:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatalf("encoding PKCS#8 key: %v", err)
		}
		return pemBlock("PRIVATE KEY", der)
	case PKCS1:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			t.Fatalf("PKCS#1 needs an RSA key, have %T", key)
		}
		return pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
	case SEC1, SEC1WithParams:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			t.Fatalf("SEC1 needs an ECDSA key, have %T", key)
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatalf("encoding SEC1 key: %v", err)
		}
		out := pemBlock("EC PRIVATE KEY", der)
		if f == SEC1WithParams {
			// The named-curve OID of P-256 or P-384 as openssl writes it.
			oid := map[string][]byte{
				"P-256": {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07},
				"P-384": {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22},
			}[k.Curve.Params().Name]
			out = append(pemBlock("EC PARAMETERS", oid), out...)
		}
		return out
	}
	t.Fatalf("unknown key format %d", f)
	return nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		t.Fatalf("making serial number: %v", err)
	}
	return n
}
