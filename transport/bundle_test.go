package transport_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/furrowdata/furrow/transport"
	"github.com/furrowdata/furrow/transport/transporttest"
)

func TestLoadBundleLayouts(t *testing.T) {
	ca := transporttest.NewCA(t, "CA", transporttest.ECDSAP256)
	f := ca.Issue(t, transporttest.CertOptions{}).Bundle()
	for name, path := range map[string]string{
		"folder":            transporttest.WriteDir(t, f),
		"zip root":          transporttest.WriteZip(t, f, ""),
		"zip in one folder": transporttest.WriteZip(t, f, "my-certs"),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := transport.LoadBundle(path)
			if err != nil {
				t.Fatal(err)
			}
			if b.Source != path || b.TrustedFromChain || len(b.TrustedCerts) != 1 || !b.TrustedCerts[0].Equal(ca.Cert) {
				t.Errorf("bundle: source %q, from chain %v, trusted %d", b.Source, b.TrustedFromChain, len(b.TrustedCerts))
			}
			if len(b.GossipKey()) != transport.GossipKeySize {
				t.Errorf("gossip key of %d bytes", len(b.GossipKey()))
			}
		})
	}
	t.Run("zip read from memory", func(t *testing.T) {
		data, err := os.ReadFile(transporttest.WriteZip(t, f, ""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := transport.ReadBundleZip(bytes.NewReader(data), int64(len(data)), "s3://bucket/my-certs.zip"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoadBundleKeyFormats(t *testing.T) {
	ca := transporttest.NewCA(t, "CA", transporttest.ECDSAP256)
	for _, tc := range []struct {
		name   string
		key    transporttest.KeyType
		format transporttest.KeyFormat
	}{
		{"RSA PKCS#1", transporttest.RSA2048, transporttest.PKCS1},
		{"RSA PKCS#8", transporttest.RSA2048, transporttest.PKCS8},
		{"ECDSA P-256 SEC1", transporttest.ECDSAP256, transporttest.SEC1},
		{"ECDSA P-256 SEC1 after EC PARAMETERS", transporttest.ECDSAP256, transporttest.SEC1WithParams},
		{"ECDSA P-384 PKCS#8", transporttest.ECDSAP384, transporttest.PKCS8},
		{"ECDSA P-384 SEC1", transporttest.ECDSAP384, transporttest.SEC1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := ca.Issue(t, transporttest.CertOptions{Key: tc.key, Format: tc.format})
			b, err := transport.LoadBundle(transporttest.WriteDir(t, l.Bundle()))
			if err != nil {
				t.Fatal(err)
			}
			// The gossip key depends on the key, not on its encoding.
			again := l.Bundle()
			again.PrivateKey = transporttest.KeyPEM(t, l.Key, transporttest.PKCS8)
			b2, err := transport.LoadBundle(transporttest.WriteDir(t, again))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.GossipKey(), b2.GossipKey()) {
				t.Error("the same key in two PEM formats derived different gossip keys")
			}
		})
	}
}

func TestLoadBundleTrustFallback(t *testing.T) {
	root := transporttest.NewCA(t, "root", transporttest.ECDSAP256)
	inter := root.Intermediate(t, "intermediate", transporttest.ECDSAP256)
	l := inter.Issue(t, transporttest.CertOptions{})

	t.Run("chain ending at its root", func(t *testing.T) {
		f := transporttest.Files{PrivateKey: l.KeyPEM, CertificateChain: append(append([]byte{}, l.ChainPEM...), root.PEM...)}
		b, err := transport.LoadBundle(transporttest.WriteDir(t, f))
		if err != nil {
			t.Fatal(err)
		}
		if !b.TrustedFromChain || len(b.TrustedCerts) != 1 || !b.TrustedCerts[0].Equal(root.Cert) {
			t.Errorf("trusted from chain %v, %d trusted", b.TrustedFromChain, len(b.TrustedCerts))
		}
	})
	t.Run("intermediate chain with trusted root", func(t *testing.T) {
		if _, err := transport.LoadBundle(transporttest.WriteDir(t, l.Bundle())); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("self-signed EMR example", func(t *testing.T) {
		s := transporttest.SelfSigned(t, transporttest.CertOptions{Key: transporttest.RSA2048, Format: transporttest.PKCS1})
		b, err := transport.LoadBundle(transporttest.WriteZip(t, transporttest.Files{PrivateKey: s.KeyPEM, CertificateChain: s.ChainPEM}, ""))
		if err != nil {
			t.Fatal(err)
		}
		if !b.TrustedFromChain || b.Leaf.Subject.CommonName != "*.ec2.internal" {
			t.Errorf("trusted from chain %v, CN %q", b.TrustedFromChain, b.Leaf.Subject.CommonName)
		}
	})
}

func TestLoadBundleErrors(t *testing.T) {
	ca := transporttest.NewCA(t, "CA", transporttest.ECDSAP256)
	other := transporttest.NewCA(t, "other CA", transporttest.ECDSAP256)
	good := ca.Issue(t, transporttest.CertOptions{})
	now := time.Now()
	with := func(mod func(*transporttest.Files)) transporttest.Files {
		f := good.Bundle()
		mod(&f)
		return f
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	inter := ca.Intermediate(t, "intermediate", transporttest.ECDSAP256)
	interLeaf := inter.Issue(t, transporttest.CertOptions{})

	for _, tc := range []struct {
		name  string
		files transporttest.Files
		want  []string // substrings of the error
	}{
		{"missing private key", with(func(f *transporttest.Files) { f.PrivateKey = nil }),
			[]string{"privateKey.pem is missing"}},
		{"missing chain", with(func(f *transporttest.Files) { f.CertificateChain = nil }),
			[]string{"certificateChain.pem is missing"}},
		{"key does not match certificate", with(func(f *transporttest.Files) {
			f.PrivateKey = transporttest.KeyPEM(t, transporttest.NewKey(t, transporttest.ECDSAP256), transporttest.PKCS8)
		}), []string{"certificateChain.pem", "does not match the key in privateKey.pem"}},
		{"expired certificate", ca.Issue(t, transporttest.CertOptions{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}).Bundle(),
			[]string{"certificateChain.pem", "expired at"}},
		{"certificate not yet valid", ca.Issue(t, transporttest.CertOptions{NotBefore: now.Add(time.Hour), NotAfter: now.Add(48 * time.Hour)}).Bundle(),
			[]string{"certificateChain.pem", "not valid before"}},
		{"Ed25519 key", ca.Issue(t, transporttest.CertOptions{Key: transporttest.Ed25519}).Bundle(),
			[]string{"privateKey.pem", "unsupported key type Ed25519"}},
		{"RSA key under 2048 bits", with(func(f *transporttest.Files) {
			f.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa1024)})
		}), []string{"privateKey.pem", "1024 bits"}},
		{"encrypted legacy PEM key", with(func(f *transporttest.Files) {
			f.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
				Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte("x")})
		}), []string{"privateKey.pem", "encrypted"}},
		{"encrypted PKCS#8 key", with(func(f *transporttest.Files) {
			f.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("x")})
		}), []string{"privateKey.pem", "encrypted"}},
		{"key file without PEM", with(func(f *transporttest.Files) { f.PrivateKey = []byte("not a key") }),
			[]string{"privateKey.pem", "no PEM private key block"}},
		{"certificate in the key file", with(func(f *transporttest.Files) { f.PrivateKey = good.CertPEM }),
			[]string{"privateKey.pem", "CERTIFICATE block where the private key belongs"}},
		{"two keys", with(func(f *transporttest.Files) {
			f.PrivateKey = append(append([]byte{}, f.PrivateKey...), f.PrivateKey...)
		}),
			[]string{"privateKey.pem", "more than one private key"}},
		{"chain without PEM", with(func(f *transporttest.Files) { f.CertificateChain = []byte("garbage") }),
			[]string{"certificateChain.pem", "no PEM CERTIFICATE block"}},
		{"key in the chain file", with(func(f *transporttest.Files) { f.CertificateChain = f.PrivateKey }),
			[]string{"certificateChain.pem", `PEM block 1 is "PRIVATE KEY"`}},
		{"corrupt certificate", with(func(f *transporttest.Files) {
			f.CertificateChain = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}})
		}), []string{"certificateChain.pem", "certificate 1"}},
		{"trusted file without PEM", with(func(f *transporttest.Files) { f.TrustedCertificates = []byte{} }),
			[]string{"trustedCertificates.pem", "no PEM CERTIFICATE block"}},
		{"certificate from an untrusted CA", with(func(f *transporttest.Files) { f.TrustedCertificates = other.PEM }),
			[]string{"certificateChain.pem", "does not verify against the trusted certificates", "unknown authority"}},
		{"no trusted file and no root in the chain", transporttest.Files{PrivateKey: interLeaf.KeyPEM, CertificateChain: interLeaf.ChainPEM},
			[]string{"trustedCertificates.pem is missing", `"CN=intermediate,O=furrow tests"`, "not a self-signed root"}},
		{"server-only extended key usage", ca.Issue(t, transporttest.CertOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}).Bundle(),
			[]string{"certificateChain.pem", "needs both"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for layout, path := range map[string]string{
				"folder": transporttest.WriteDir(t, tc.files),
				"zip":    transporttest.WriteZip(t, tc.files, ""),
			} {
				_, err := transport.LoadBundle(path)
				if err == nil {
					t.Fatalf("%s: LoadBundle accepted it", layout)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q does not contain %q", layout, err, w)
					}
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("%s: error %q does not name the bundle %s", layout, err, path)
				}
			}
		})
	}

	t.Run("no such path", func(t *testing.T) {
		_, err := transport.LoadBundle(filepath.Join(t.TempDir(), "nope.zip"))
		if err == nil || !strings.Contains(err.Error(), "nope.zip") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("neither folder nor zip", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "certs.tar")
		os.WriteFile(p, []byte("not a zip"), 0o600)
		_, err := transport.LoadBundle(p)
		if err == nil || !strings.Contains(err.Error(), "not a folder or a zip file") {
			t.Errorf("error %v", err)
		}
	})
}

// FuzzParseBundle: arbitrary bytes in the three files give an error or a
// usable bundle, never a panic.
func FuzzParseBundle(f *testing.F) {
	ca := transporttest.NewCA(f, "CA", transporttest.ECDSAP256)
	for _, o := range []transporttest.CertOptions{
		{}, {Key: transporttest.RSA2048, Format: transporttest.PKCS1}, {Format: transporttest.SEC1WithParams},
	} {
		b := ca.Issue(f, o).Bundle()
		f.Add(b.PrivateKey, b.CertificateChain, b.TrustedCertificates)
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"), []byte{}, []byte(nil))
	now := time.Now()
	f.Fuzz(func(t *testing.T, key, chain, trusted []byte) {
		b, err := transport.ParseBundle("fuzz", key, chain, trusted, now)
		if err != nil {
			return
		}
		if b.Leaf == nil || b.Trusted == nil || len(b.GossipKey()) != transport.GossipKeySize {
			t.Fatalf("accepted bundle is incomplete: %+v", b)
		}
	})
}
