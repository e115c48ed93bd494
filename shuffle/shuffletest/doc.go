// Package shuffletest holds helpers for testing and benchmarking the network
// shuffle over real sockets: a test certificate authority issuing the mutual
// TLS 1.2 (ECDHE-ECDSA-AES-256-GCM-SHA384) material furrow pins, a
// fault-injecting TCP relay (kill, freeze, corrupt a byte), and a generator
// of enriched-TSV records shaped like furrow's map output. It does not
// import package shuffle, so shuffle's own tests can use it.
package shuffletest
