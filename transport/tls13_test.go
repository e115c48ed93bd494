package transport_test

import (
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/transport/transporttest"
)

// tls13Suite handshakes TLS 1.3 between a Go server and a Go client that
// both ask (via CipherSuites) for AES-256 only, and returns the suite Go
// negotiated anyway.
func tls13Suite(t *testing.T) uint16 {
	t.Helper()
	ca := transporttest.NewCA(t, "CA", transporttest.ECDSAP256)
	l := ca.Issue(t, transporttest.CertOptions{})
	aes256 := []uint16{tls.TLS_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{l.TLSCertificate(t)},
		MinVersion:   tls.VersionTLS13,
		CipherSuites: aes256,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS13,
		CipherSuites:       aes256,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().CipherSuite
}

// TestTLS13CannotBePinnedToAES256 is the evidence behind pinning TLS 1.2:
// Go ignores CipherSuites for TLS 1.3 and offers no supported setting that
// makes a Go client and server agree on TLS_AES_256_GCM_SHA384, not even the
// FIPS 140-3 mode (GODEBUG=fips140=on), which still prefers AES-128-GCM.
// If a future Go changes this, this test fails and the pin can be revisited.
func TestTLS13CannotBePinnedToAES256(t *testing.T) {
	if os.Getenv("FURROW_TLS13_PROBE") == "1" {
		fmt.Printf("suite=%s\n", tls.CipherSuiteName(tls13Suite(t)))
		return
	}
	if got := tls13Suite(t); got == tls.TLS_AES_256_GCM_SHA384 {
		t.Errorf("TLS 1.3 negotiated %s: Go now honours the suite choice; revisit the TLS 1.2 pin", tls.CipherSuiteName(got))
	} else {
		t.Logf("default mode: TLS 1.3 negotiated %s despite CipherSuites asking for AES-256 only", tls.CipherSuiteName(got))
	}

	t.Run("GODEBUG=fips140=on", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTLS13CannotBePinnedToAES256$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FURROW_TLS13_PROBE=1", "GODEBUG=fips140=on")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Skipf("the FIPS 140-3 mode does not run here (%v): %s", err, out)
		}
		i := strings.Index(string(out), "suite=")
		if i < 0 {
			t.Fatalf("probe printed no suite: %s", out)
		}
		suite := strings.Fields(string(out)[i+len("suite="):])[0]
		if suite == "TLS_AES_256_GCM_SHA384" {
			t.Errorf("fips140=on negotiated %s: revisit the TLS 1.2 pin", suite)
		}
		t.Logf("fips140=on: TLS 1.3 negotiated %s", suite)
	})
}
