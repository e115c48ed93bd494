package enrichment

import (
	"net/netip"
	"strconv"
	"strings"
)

// This file holds the IP address handling shared by ip_lookups,
// iab_spiders_and_robots_enrichment and anon_ip: how the JVM libraries R108
// used turned the user_ipaddress string into an address.

// javaInetAddress parses s as java.net.InetAddress.getByName (JDK 8) did
// for IP literals: an IPv4 literal in one to four decimal parts as
// IPAddressUtil.textToNumericFormatV4 accepted it ("127.1" is 127.0.0.1,
// leading zeros are decimal), an IPv6 literal (optionally in brackets, with
// a numeric zone), IPv4-mapped IPv6 addresses turned into IPv4. ok is false
// where the JVM would have fallen back to a DNS lookup or thrown
// UnknownHostException: furrow never resolves host names, so such a value
// is an unknown host.
func javaInetAddress(s string) (addr netip.Addr, ok bool) {
	if s == "" {
		return netip.Addr{}, false // the JVM returned the loopback address; the enricher never passes ""
	}
	ipv6Expected := false
	if s[0] == '[' {
		if len(s) <= 2 || s[len(s)-1] != ']' {
			return netip.Addr{}, false
		}
		s = s[1 : len(s)-1]
		ipv6Expected = true
	}
	c := s[0]
	if !isHexDigit(c) && c != ':' {
		return netip.Addr{}, false // a host name
	}
	if a, ok := javaIPv4(s); ok {
		if ipv6Expected {
			return netip.Addr{}, false
		}
		return a, true
	}
	if !strings.Contains(s, ":") {
		return netip.Addr{}, false // not a literal: the JVM would have asked DNS
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		// A numeric scope is kept; an interface name needed that interface
		// to exist on the machine, which furrow does not assume.
		if _, err := strconv.ParseUint(s[i+1:], 10, 31); err != nil {
			return netip.Addr{}, false
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return netip.Addr{}, false
	}
	if a.Is4In6() {
		return a.Unmap(), true // IPAddressUtil.convertFromIPv4MappedAddress
	}
	return a, true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// javaIPv4 is IPAddressUtil.textToNumericFormatV4 of JDK 8: "a", "a.b",
// "a.b.c" or "a.b.c.d" in decimal, the last part filling the remaining
// bytes, at most 15 characters.
func javaIPv4(s string) (netip.Addr, bool) {
	if len(s) == 0 || len(s) > 15 {
		return netip.Addr{}, false
	}
	var res [4]byte
	var v int64
	n := 0
	newOctet := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if newOctet || v > 0xff || n == 3 {
				return netip.Addr{}, false
			}
			res[n] = byte(v)
			n++
			v = 0
			newOctet = true
			continue
		}
		if c < '0' || c > '9' {
			return netip.Addr{}, false
		}
		v = v*10 + int64(c-'0')
		newOctet = false
	}
	if newOctet || v >= int64(1)<<((4-n)*8) {
		return netip.Addr{}, false
	}
	for i := n; i < 4; i++ {
		res[i] = byte(v >> ((3 - i) * 8))
	}
	return netip.AddrFrom4(res), true
}

// javaHostAddress is InetAddress.getHostAddress: dotted decimal for IPv4;
// for IPv6 the eight groups in lowercase hexadecimal without leading zeros
// and without "::" compression, then "%zone" when scoped.
func javaHostAddress(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	b := a.As16()
	out := make([]byte, 0, 40)
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			out = append(out, ':')
		}
		out = strconv.AppendUint(out, uint64(b[i])<<8|uint64(b[i+1]), 16)
	}
	if z := a.Zone(); z != "" {
		out = append(out, '%')
		out = append(out, z...)
	}
	return string(out)
}

// javaSplit is String.split with a literal one-character separator and no
// limit: trailing empty strings are removed ("" gives [""]).
func javaSplit(s string, sep byte) []string {
	parts := strings.Split(s, string(sep))
	if len(parts) == 1 {
		return parts // no separator: the string itself, even when empty
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaTrim is String.trim: it removes leading and trailing characters up to
// U+0020 (spaces and control characters).
func javaTrim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}
