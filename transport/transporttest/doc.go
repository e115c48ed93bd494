// Package transporttest makes TLS material for tests of furrow's network
// code: a certificate authority made with crypto/x509, node certificates with
// IP SANs, DNS names or an EMR-style wildcard common name, keys of every
// supported type and PEM encoding, and writers for the EMR PEM bundle as a
// folder or a zip (privateKey.pem, certificateChain.pem,
// trustedCertificates.pem), and Namespaces, network namespaces on a veth
// bridge for tests that need real addresses.
//
// Everything is generated in memory per test; nothing is read from disk and
// nothing is shared between tests. Functions take a testing.TB and fail the
// test on an error, like net/http/httptest.
package transporttest
