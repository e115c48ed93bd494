package transport

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
	"time"
)

func TestNameMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.ec2.internal", "*.ec2.internal", true},           // the shared EMR certificate
		{"*.ec2.internal", "ip-10-0-0-1.ec2.internal", true}, // a per-host certificate
		{"*.EC2.internal.", "IP-10-0-0-1.ec2.internal", true},
		{"*.ec2.internal", "a.b.ec2.internal", false},
		{"*.ec2.internal", "ec2.internal", false},
		{"*.ec2.internal", "*.eu-west-1.compute.internal", false},
		{"*.ec2.internal", "ip-10-0-0-1.ec2.internal.evil.com", false},
		{"*.ec2.internal", "*.*.ec2.internal", false},
		{"ip-10-0-0-1.ec2.internal", "*.ec2.internal", true}, // a wildcard certificate covers the expected host
		{"ip-10-0-0-1.ec2.internal", "ip-10-0-0-2.ec2.internal", false},
		{"node.example", "node.example", true},
		{"", "node.example", false},
		{"node.example", "", false},
	} {
		if got := nameMatches(tc.pattern, tc.name); got != tc.want {
			t.Errorf("nameMatches(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestCertNamesAndPeerRule(t *testing.T) {
	cnOnly := &x509.Certificate{Subject: pkix.Name{CommonName: "*.ec2.internal"}}
	withSAN := &x509.Certificate{Subject: pkix.Name{CommonName: "ignored.example"}, DNSNames: []string{"*.corp.example"}}
	ipOnly := &x509.Certificate{Subject: pkix.Name{CommonName: "furrow-node"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	if got := certNames(cnOnly); len(got) != 1 || got[0] != "*.ec2.internal" {
		t.Errorf("certNames(CN only) = %v", got)
	}
	if got := certNames(withSAN); len(got) != 1 || got[0] != "*.corp.example" {
		t.Errorf("certNames(SAN) = %v", got)
	}
	if got := certNames(ipOnly); len(got) != 0 {
		t.Errorf("certNames(IP SAN only) = %v: the CN must not count when SANs exist", got)
	}

	r := newPeerRule(&Bundle{Leaf: ipOnly}, Options{})
	if !r.ip || len(r.names) != 0 {
		t.Errorf("rule from an IP-only certificate: %+v", r)
	}
	if err := r.check(ipOnly, net.IPv4(127, 0, 0, 1)); err != nil {
		t.Error(err)
	}
	if err := r.check(ipOnly, net.IPv4(10, 0, 0, 1)); err == nil {
		t.Error("IP rule accepted a certificate for another address")
	}
	if err := r.check(ipOnly, nil); err == nil {
		t.Error("IP rule accepted a peer of unknown address")
	}
	r = newPeerRule(&Bundle{Leaf: cnOnly}, Options{})
	if r.ip || len(r.names) != 1 {
		t.Errorf("rule from the EMR certificate: %+v", r)
	}
	if err := r.check(ipOnly, net.IPv4(127, 0, 0, 1)); err == nil {
		t.Error("name rule accepted an IP-only certificate")
	}
}

func TestEventQueueBounded(t *testing.T) {
	var q eventQueue
	q.init(3)
	for i := range 7 {
		q.push(Event{Kind: EventJoin, Member: Member{Name: string(rune('a' + i))}, Time: time.Now()})
	}
	events, resync := q.take()
	if !resync {
		t.Error("overflow not reported")
	}
	if len(events) > 3 {
		t.Errorf("%d events queued, bound is 3", len(events))
	}
	if events[len(events)-1].Member.Name != "g" {
		t.Errorf("latest event lost: %+v", events)
	}
	if _, resync := q.take(); resync {
		t.Error("resync reported twice")
	}
}
