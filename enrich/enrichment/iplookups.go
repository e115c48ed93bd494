package enrichment

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	maxminddb "github.com/oschwald/maxminddb-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"

	"github.com/furrowdata/furrow/event"
)

// ip_lookups, as R108 ran it: IpLookupsEnrichment over
// scala-maxmind-iplookups 0.4 and MaxMind's GeoIP2 Java reader.
//
//   - The address is parsed as InetAddress.getByName did (javaInetAddress):
//     IPv4 and IPv6 literals, IPv4-mapped IPv6 read as IPv4. A value that is
//     no IP literal (the JVM tried DNS) finds nothing.
//   - geo (GeoIP2/GeoLite2 City): geo_country = country.iso_code,
//     geo_region / geo_region_name = iso_code / English name of the most
//     specific (last) subdivision, geo_city = English city name, geo_zipcode
//     = postal.code, geo_timezone = location.time_zone, geo_latitude /
//     geo_longitude = location.latitude / longitude as a Java float printed
//     by Float.toString ("47.2513"; "0.0" when the record has no location).
//   - isp (GeoIP2 ISP): ip_isp = isp, ip_organization = organization.
//   - domain (GeoIP2 Domain): ip_domain = domain.
//   - connectionType (GeoIP2 Connection-Type): ip_netspeed =
//     connection_type when it is one of the values GeoIP2 Java's enum knew
//     (Dialup, Cable/DSL, Corporate, Cellular); others failed there and
//     leave the field empty.
//   - asn (2-0-1) has no enriched field in R108: it is not read.
//
// Each database is looked up on its own; an address a database does not
// hold (or an invalid address) leaves that database's fields empty and is
// not an error, as in R108, which ignored every lookup failure. Results are
// cached per address string in a bounded LRU of 20000 entries, the size R108
// gave scala-maxmind-iplookups; decoded database records are cached by
// their offset (bounded too), so a new address in a known network costs a
// tree walk only. The databases must have the type their key
// names (DatabaseType containing City, ISP, Domain, Connection-Type) and
// pass the reader's Verify at start-up.

// ipLookupsCacheSize is the LRU size R108 configured (lruCache = 20000).
const ipLookupsCacheSize = 20000

// ipLookupFields are the fields an ipLookupResult can set, by bit.
var ipLookupFields = [...]event.Field{
	event.GeoCountry, event.GeoRegion, event.GeoCity, event.GeoZipcode, event.GeoLatitude,
	event.GeoLongitude, event.GeoRegionName, event.GeoTimezone,
	event.IPISP, event.IPOrganization, event.IPDomain, event.IPNetspeed,
}

const (
	ipGeoFields    = 0xff      // bits 0-7
	ipISPFields    = 0x3 << 8  // ip_isp, ip_organization
	ipDomainField  = 0x1 << 10 // ip_domain
	ipNetspeedFlag = 0x1 << 11 // ip_netspeed
)

// ipLookupResult is what the databases said about one address: the values
// of the fields whose bit is in set.
type ipLookupResult struct {
	vals [len(ipLookupFields)]string
	set  uint16
}

func (r *ipLookupResult) apply(e *event.Event) {
	if r.set == 0 {
		return
	}
	for i, f := range ipLookupFields {
		if r.set&(1<<i) != 0 {
			e.Fields[f] = r.vals[i]
		}
	}
}

type ipLookups struct {
	geo      *mmdbSource[cityFields]
	isp      *mmdbSource[ispRecord]
	domain   *mmdbSource[string]
	connType *mmdbSource[string]
	cache    *keyedLRU[string, ipLookupResult]
}

func newIPLookups(cfg *IPLookupsConfig, env *Env) (IPLookups, error) {
	l := &ipLookups{cache: newKeyedLRU[string, ipLookupResult](ipLookupsCacheSize)}
	var errs []error
	open := func(key string, db *Database, kind string) *maxminddb.Reader {
		if db == nil {
			return nil
		}
		r, err := openMaxMind(env, key, kind)
		if err != nil {
			errs = append(errs, err)
		}
		return r
	}
	if r := open("geo", cfg.Geo, "City"); r != nil {
		l.geo = &mmdbSource[cityFields]{r: r, records: newKeyedLRU[uintptr, cityFields](mmdbRecordCacheSize)}
	}
	if r := open("isp", cfg.ISP, "ISP"); r != nil {
		l.isp = &mmdbSource[ispRecord]{r: r, records: newKeyedLRU[uintptr, ispRecord](mmdbRecordCacheSize)}
	}
	if r := open("domain", cfg.Domain, "Domain"); r != nil {
		l.domain = &mmdbSource[string]{r: r, records: newKeyedLRU[uintptr, string](mmdbRecordCacheSize)}
	}
	if r := open("connectionType", cfg.ConnectionType, "Connection-Type"); r != nil {
		l.connType = &mmdbSource[string]{r: r, records: newKeyedLRU[uintptr, string](mmdbRecordCacheSize)}
	}
	if len(errs) > 0 {
		_ = l.Close()
		return nil, errors.Join(errs...)
	}
	if cfg.ASN != nil && env.Logger != nil {
		env.Logger.Warn("asn: R108 wrote no enriched field from an ASN database; it is not read")
	}
	return l, nil
}

// openMaxMind opens and verifies the database of one config key.
func openMaxMind(env *Env, key, kind string) (*maxminddb.Reader, error) {
	p, ok := env.Asset(key)
	if !ok {
		return nil, fmt.Errorf("%s: the database file was not provided", key)
	}
	r, err := maxminddb.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: opening %s: %w", key, p, err)
	}
	if t := r.Metadata.DatabaseType; !strings.Contains(t, kind) {
		r.Close()
		return nil, fmt.Errorf("%s: %s is a %q database, not a %s database", key, p, t, kind)
	}
	if err := r.Verify(); err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: %s is corrupt: %w", key, p, err)
	}
	return r, nil
}

// Close releases the databases.
func (l *ipLookups) Close() error {
	var errs []error
	if l.geo != nil {
		errs = append(errs, l.geo.r.Close())
	}
	if l.isp != nil {
		errs = append(errs, l.isp.r.Close())
	}
	if l.domain != nil {
		errs = append(errs, l.domain.r.Close())
	}
	if l.connType != nil {
		errs = append(errs, l.connType.r.Close())
	}
	return errors.Join(errs...)
}

// LookupIP fills the geo_* and ip_* fields of e from ip. Only a database
// that cannot be read (impossible after Verify) gives an error.
func (l *ipLookups) LookupIP(ip string, e *event.Event) error {
	r, ok := l.cache.get(ip)
	if !ok {
		var err error
		if r, err = l.lookup(ip); err != nil {
			return err
		}
		l.cache.put(ip, r)
	}
	r.apply(e)
	return nil
}

func (l *ipLookups) lookup(ip string) (ipLookupResult, error) {
	var out ipLookupResult
	addr, ok := javaInetAddress(ip)
	if !ok {
		return out, nil
	}
	addr = addr.WithZone("")
	if l.geo != nil {
		c, found, err := lookupRecord(l.geo, addr, decodeCity)
		if err != nil {
			return out, ipLookupError("geo", ip, err)
		}
		if found {
			copy(out.vals[:8], c[:])
			out.set |= ipGeoFields
		}
	}
	if l.isp != nil {
		r, found, err := lookupRecord(l.isp, addr, decodeISP)
		if err != nil {
			return out, ipLookupError("isp", ip, err)
		}
		if found {
			out.vals[8], out.vals[9] = r.isp, r.organization
			out.set |= ipISPFields
		}
	}
	if l.domain != nil {
		d, found, err := lookupRecord(l.domain, addr, decodeDomain)
		if err != nil {
			return out, ipLookupError("domain", ip, err)
		}
		if found {
			out.vals[10] = d
			out.set |= ipDomainField
		}
	}
	if l.connType != nil {
		ct, found, err := lookupRecord(l.connType, addr, decodeConnectionType)
		if err != nil {
			return out, ipLookupError("connectionType", ip, err)
		}
		if found && ct != "" {
			out.vals[11] = ct
			out.set |= ipNetspeedFlag
		}
	}
	return out, nil
}

// mmdbSource is one open database and a bounded cache of its decoded
// records by data-section offset: many networks share one record, so a
// record is decoded once however many addresses lead to it.
type mmdbSource[V any] struct {
	r       *maxminddb.Reader
	records *keyedLRU[uintptr, V]
}

// mmdbRecordCacheSize bounds each database's decoded-record cache.
const mmdbRecordCacheSize = 20000

func lookupRecord[V any](src *mmdbSource[V], addr netip.Addr, decode func(maxminddb.Result) (V, error)) (V, bool, error) {
	var zero V
	res := src.r.Lookup(addr)
	if err := res.Err(); err != nil {
		return zero, false, err
	}
	if !res.Found() {
		return zero, false, nil
	}
	off := res.Offset()
	if v, ok := src.records.get(off); ok {
		return v, true, nil
	}
	v, err := decode(res)
	if err != nil {
		return zero, false, err
	}
	src.records.put(off, v)
	return v, true, nil
}

// cityFields are the eight geo fields of a City record, ready to copy.
type cityFields [8]string

func decodeCity(res maxminddb.Result) (cityFields, error) {
	var c cityRecord
	if err := res.Decode(&c); err != nil {
		return cityFields{}, err
	}
	return cityFields{c.country, c.region, c.city, c.postal,
		javaFloatString(float32(c.latitude)), javaFloatString(float32(c.longitude)), c.regionName, c.timezone}, nil
}

func decodeISP(res maxminddb.Result) (ispRecord, error) {
	var r ispRecord
	err := res.Decode(&r)
	return r, err
}

func decodeDomain(res maxminddb.Result) (string, error) {
	r := stringRecord{key: "domain"}
	err := res.Decode(&r)
	return r.value, err
}

// decodeConnectionType returns the connection type when GeoIP2 Java's
// ConnectionType enum of R108's day knew it, else "".
func decodeConnectionType(res maxminddb.Result) (string, error) {
	r := stringRecord{key: "connection_type"}
	if err := res.Decode(&r); err != nil {
		return "", err
	}
	switch r.value {
	case "Dialup", "Cable/DSL", "Corporate", "Cellular":
		return r.value, nil
	}
	return "", nil
}

func ipLookupError(key, ip string, err error) error {
	return fmt.Errorf("ip_lookups: reading the %s database for IP address [%s]: %w", key, ip, err)
}

// cityRecord is the part of a GeoIP2 City record ip_lookups reads.
type cityRecord struct {
	country, region, regionName, city, postal, timezone string
	latitude, longitude                                 float64
}

// UnmarshalMaxMindDB decodes a City record, reading only what is needed.
func (c *cityRecord) UnmarshalMaxMindDB(d *mmdbdata.Decoder) error {
	return mmdbEachKey(d, func(key []byte) error {
		switch string(key) {
		case "country":
			return mmdbEachKey(d, func(k []byte) error {
				if string(k) == "iso_code" {
					return mmdbString(d, &c.country)
				}
				return nil
			})
		case "city":
			return mmdbNamed(d, nil, &c.city)
		case "postal":
			return mmdbEachKey(d, func(k []byte) error {
				if string(k) == "code" {
					return mmdbString(d, &c.postal)
				}
				return nil
			})
		case "location":
			return mmdbEachKey(d, func(k []byte) error {
				switch string(k) {
				case "latitude":
					return mmdbFloat(d, &c.latitude)
				case "longitude":
					return mmdbFloat(d, &c.longitude)
				case "time_zone":
					return mmdbString(d, &c.timezone)
				}
				return nil
			})
		case "subdivisions":
			// getMostSpecificSubdivision: the last one.
			it, n, err := d.ReadSlice()
			if err != nil {
				return err
			}
			var i uint
			for err := range it {
				if err != nil {
					return err
				}
				i++
				if i == n {
					c.region, c.regionName = "", ""
					if err := mmdbNamed(d, &c.region, &c.regionName); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// mmdbNamed reads a GeoIP2 named record: its iso_code (when isoCode is not
// nil) and its English name (AbstractNamedRecord.getName with the default
// locale list ["en"]).
func mmdbNamed(d *mmdbdata.Decoder, isoCode, name *string) error {
	return mmdbEachKey(d, func(k []byte) error {
		switch string(k) {
		case "iso_code":
			if isoCode != nil {
				return mmdbString(d, isoCode)
			}
		case "names":
			return mmdbEachKey(d, func(lang []byte) error {
				if string(lang) == "en" {
					return mmdbString(d, name)
				}
				return nil
			})
		}
		return nil
	})
}

// ispRecord is a GeoIP2 ISP record.
type ispRecord struct{ isp, organization string }

// UnmarshalMaxMindDB decodes an ISP record.
func (r *ispRecord) UnmarshalMaxMindDB(d *mmdbdata.Decoder) error {
	return mmdbEachKey(d, func(k []byte) error {
		switch string(k) {
		case "isp":
			return mmdbString(d, &r.isp)
		case "organization":
			return mmdbString(d, &r.organization)
		}
		return nil
	})
}

// stringRecord reads one top-level string of a record (Domain, Connection-Type).
type stringRecord struct{ key, value string }

// UnmarshalMaxMindDB decodes the record's key.
func (r *stringRecord) UnmarshalMaxMindDB(d *mmdbdata.Decoder) error {
	return mmdbEachKey(d, func(k []byte) error {
		if string(k) == r.key {
			return mmdbString(d, &r.value)
		}
		return nil
	})
}

// mmdbEachKey calls f for each key of the map at d, with d positioned at
// the key's value; values f does not read are skipped. A value that is not
// a map is skipped (Jackson left such a property at its default).
func mmdbEachKey(d *mmdbdata.Decoder, f func(key []byte) error) error {
	if k, err := d.PeekKind(); err != nil {
		return err
	} else if k != mmdbdata.KindMap {
		return d.SkipValue()
	}
	it, _, err := d.ReadMap()
	if err != nil {
		return err
	}
	for key, err := range it {
		if err != nil {
			return err
		}
		if err := f(key); err != nil {
			return err
		}
	}
	return nil
}

// mmdbString reads a string; another kind of value is skipped.
func mmdbString(d *mmdbdata.Decoder, dst *string) error {
	if k, err := d.PeekKind(); err != nil {
		return err
	} else if k != mmdbdata.KindString {
		return d.SkipValue()
	}
	s, err := d.ReadString()
	if err != nil {
		return err
	}
	*dst = s
	return nil
}

// mmdbFloat reads a number of any numeric kind as a float64; another kind
// of value is skipped.
func mmdbFloat(d *mmdbdata.Decoder, dst *float64) error {
	k, err := d.PeekKind()
	if err != nil {
		return err
	}
	switch k {
	case mmdbdata.KindFloat64:
		*dst, err = d.ReadFloat64()
	case mmdbdata.KindFloat32:
		var f float32
		f, err = d.ReadFloat32()
		*dst = float64(f)
	case mmdbdata.KindUint16:
		var u uint16
		u, err = d.ReadUint16()
		*dst = float64(u)
	case mmdbdata.KindUint32:
		var u uint32
		u, err = d.ReadUint32()
		*dst = float64(u)
	case mmdbdata.KindInt32:
		var i int32
		i, err = d.ReadInt32()
		*dst = float64(i)
	case mmdbdata.KindUint64:
		var u uint64
		u, err = d.ReadUint64()
		*dst = float64(u)
	default:
		return d.SkipValue()
	}
	return err
}

// javaFloatString is java.lang.Float.toString: the shortest decimal that
// reads back as f, in plain notation with at least one fractional digit for
// 1e-3 ≤ |f| < 1e7 ("47.2513", "0.0"), otherwise as d.dddE±n ("1.0E-4").
func javaFloatString(f float32) string {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	var buf [32]byte
	if a := math.Abs(v); a >= 1e-3 && a < 1e7 {
		b := strconv.AppendFloat(buf[:0], v, 'f', -1, 32)
		if !strings.ContainsRune(string(b), '.') {
			b = append(b, ".0"...)
		}
		return string(b)
	}
	b := strconv.AppendFloat(buf[:0], v, 'e', -1, 32) // d.ddde±xx
	mant, exp, _ := strings.Cut(string(b), "e")
	out := make([]byte, 0, 24)
	out = append(out, mant...)
	if !strings.Contains(mant, ".") {
		out = append(out, ".0"...)
	}
	out = append(out, 'E')
	if exp[0] == '-' {
		out = append(out, '-')
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return string(append(out, exp...))
}
