package enrichment

import (
	"fmt"
	"net/netip"
	"strings"
)

// anon_ip.
//
// R108 (schema 1-0-0, anonOctets 1-4) anonymized by position, without
// parsing the address: it split user_ipaddress on "." (Java String.split,
// trailing empty parts dropped) and replaced part i (from 0) by "x" when
// i ≥ 4 - anonOctets, joining with "." again. "216.160.83.56" with 2 octets
// is "216.160.x.x"; an IPv6 address has one part, so it stayed as it was,
// except with anonOctets 4, which turned it into "x".
//
// Schema 1-0-1 (after R108) added anonSegments (1-8) for IPv6. For a 1-0-1
// config furrow follows the Snowplow release that introduced it: a valid
// IPv6 address is written out in full (eight groups, InetAddress
// getHostAddress form) and its last anonSegments groups become "x"
// (anonSegments defaults to anonOctets); IPv4 and IPv4-mapped addresses
// ("::ffff:1.2.3.4") are anonymized as above, with an uppercase "::FFFF:"
// prefix kept aside; a string that is no valid address is anonymized as
// IPv4 when it contains "." or is empty, as IPv6 (split on ":") when it
// contains ":", and kept otherwise. For IPv4 the two versions agree.

type anonIP struct {
	octets   int
	segments int  // IPv6 groups to hide (1-0-1)
	ipv6     bool // 1-0-1 behaviour
}

func newAnonIP(cfg *AnonIPConfig, env *Env) (AnonIP, error) {
	if cfg.AnonOctets < 1 || cfg.AnonOctets > 4 {
		return nil, fmt.Errorf("anonOctets: [%d] is not one of 1, 2, 3, 4", cfg.AnonOctets)
	}
	a := &anonIP{octets: cfg.AnonOctets}
	v := env.Schema.Version
	if v.Model > 1 || v.Revision > 0 || v.Addition > 0 {
		a.ipv6 = true
		a.segments = cfg.AnonOctets
		if cfg.AnonSegments != nil {
			a.segments = *cfg.AnonSegments
		}
	} else if cfg.AnonSegments != nil {
		return nil, fmt.Errorf("anonSegments: not part of schema %s (it came with anon_ip 1-0-1)", env.Schema)
	}
	if a.ipv6 && (a.segments < 1 || a.segments > 8) {
		return nil, fmt.Errorf("anonSegments: [%d] is not one of 1, 2, 3, 4, 5, 6, 7, 8", a.segments)
	}
	return a, nil
}

// AnonymizeIP returns ip with its trailing octets (segments) hidden.
func (a *anonIP) AnonymizeIP(ip string) string {
	if !a.ipv6 {
		return anonymizeIPv4(ip, a.octets)
	}
	if addr, ok := guavaInetAddress(ip); ok {
		if addr.Is6() && !addr.Is4In6() {
			return anonymizeIPv6(javaHostAddress(addr), a.segments)
		}
		return anonymizeMappedIPv4(ip, a.octets)
	}
	switch {
	case ip == "" || strings.Contains(ip, "."):
		return anonymizeMappedIPv4(ip, a.octets)
	case strings.Contains(ip, ":"):
		return anonymizeIPv6(ip, a.segments)
	}
	return ip
}

// anonymizeIPv4 replaces the parts 4-octets… of ip split on "." (Java's
// split: trailing empty parts dropped) by "x".
func anonymizeIPv4(ip string, octets int) string {
	keep := 4 - octets
	end := len(ip)
	for end > 0 && ip[end-1] == '.' {
		end--
	}
	if end == 0 {
		if ip == "" && keep == 0 {
			return "x" // "".split gives one empty part
		}
		return "" // "" itself, or only dots: no parts at all
	}
	s := ip[:end]
	parts := strings.Count(s, ".") + 1
	if parts <= keep {
		return s
	}
	cut := 0 // where part number keep starts
	for i := 0; i < keep; i++ {
		cut += strings.IndexByte(s[cut:], '.') + 1
	}
	var b strings.Builder
	b.Grow(cut + 2*(parts-keep))
	b.WriteString(s[:cut])
	for i := keep; i < parts; i++ {
		if i > keep {
			b.WriteByte('.')
		}
		b.WriteByte('x')
	}
	return b.String()
}

// anonymizeMappedIPv4 is anonymizeIPv4 keeping an "::FFFF:" prefix (1-0-1).
func anonymizeMappedIPv4(ip string, octets int) string {
	const prefix = "::FFFF:"
	if strings.HasPrefix(ip, prefix) {
		return prefix + anonymizeIPv4(strings.ReplaceAll(ip, prefix, ""), octets)
	}
	return anonymizeIPv4(ip, octets)
}

// anonymizeIPv6 keeps the first 8-segments groups of ip split on ":" and
// pads with "x" to eight groups.
func anonymizeIPv6(ip string, segments int) string {
	parts := javaSplit(ip, ':')
	keep := min(len(parts), 8-segments)
	var b strings.Builder
	b.Grow(len(ip) + 16)
	n := 0
	for ; n < keep; n++ {
		if n > 0 {
			b.WriteByte(':')
		}
		b.WriteString(parts[n])
	}
	for ; n < 8; n++ {
		if n > 0 {
			b.WriteByte(':')
		}
		b.WriteByte('x')
	}
	return b.String()
}

// guavaInetAddress is Guava's InetAddresses.forString (31.x) as the 1-0-1
// anonymization used it: an IP literal without brackets; after an IPv6
// address a "%scope" is ignored (not after a dotted quad).
func guavaInetAddress(s string) (netip.Addr, bool) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		head := s[:i]
		if !strings.Contains(head, ":") || strings.Contains(head, ".") {
			return netip.Addr{}, false
		}
		s = head
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}
