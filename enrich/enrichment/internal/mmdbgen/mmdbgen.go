// Package mmdbgen builds furrow's own small MaxMind test databases with
// maxmind/mmdbwriter: GeoIP2-City, GeoIP2-ISP, GeoIP2-Domain and
// GeoIP2-Connection-Type shaped files covering the addresses the benchmark
// generator (bench/gen) uses, plus a few networks that exercise the edges
// of the ip_lookups enrichment (a country-only record, a record without
// location, an IPv6 network, an unknown connection type). The data is
// invented for furrow (plausible cities, not MaxMind's); the output is
// byte-for-byte reproducible (fixed build epoch, sorted map keys).
//
// The generated files are committed under testdata/maxmind/ at the
// repository root. Regenerate them with
//
//	go run ./enrich/enrichment/internal/mmdbgen/cmd/mmdbgen testdata/maxmind
//
// or `go test ./enrich/enrichment/internal/mmdbgen -run TestGolden -rewrite`;
// TestGolden fails when the committed files differ from what this package
// builds.
package mmdbgen

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// The file names of the generated databases.
const (
	CityFile           = "GeoIP2-City.mmdb"
	ISPFile            = "GeoIP2-ISP.mmdb"
	DomainFile         = "GeoIP2-Domain.mmdb"
	ConnectionTypeFile = "GeoIP2-Connection-Type.mmdb"
)

// buildEpoch is the fixed build time written into every database.
var buildEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// Database is one generated database: its file name and its bytes.
type Database struct {
	File string
	Data []byte
}

// All builds the four databases, in the order City, ISP, Domain,
// Connection-Type.
func All() ([]Database, error) {
	builders := []struct {
		file string
		fn   func() ([]byte, error)
	}{
		{CityFile, City}, {ISPFile, ISP}, {DomainFile, Domain}, {ConnectionTypeFile, ConnectionType},
	}
	out := make([]Database, 0, len(builders))
	for _, b := range builders {
		data, err := b.fn()
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", b.file, err)
		}
		out = append(out, Database{File: b.file, Data: data})
	}
	return out, nil
}

// WriteAll builds the four databases into dir (created if missing).
func WriteAll(dir string) error {
	dbs, err := All()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, db := range dbs {
		if err := os.WriteFile(filepath.Join(dir, db.File), db.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// record is one network and its data.
type record struct {
	network string
	data    mmdbtype.Map
}

func build(dbType, description string, langs []string, recs []record) ([]byte, error) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": description},
		Languages:               langs,
		IncludeReservedNetworks: true,
		BuildEpoch:              buildEpoch,
		RecordSize:              28,
	})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		_, n, err := net.ParseCIDR(r.network)
		if err != nil {
			return nil, fmt.Errorf("network %s: %w", r.network, err)
		}
		if err := tree.Insert(n, r.data); err != nil {
			return nil, fmt.Errorf("inserting %s: %w", r.network, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// names is a GeoIP2 names map.
func names(kv ...string) mmdbtype.Map {
	m := mmdbtype.Map{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[mmdbtype.String(kv[i])] = mmdbtype.String(kv[i+1])
	}
	return m
}

func named(geonameID uint32, isoCode string, nm mmdbtype.Map) mmdbtype.Map {
	m := mmdbtype.Map{"geoname_id": mmdbtype.Uint32(geonameID), "names": nm}
	if isoCode != "" {
		m["iso_code"] = mmdbtype.String(isoCode)
	}
	return m
}

// City facts used by the records below.
type place struct {
	continentCode, continent string
	countryISO, country      string
	subdivisions             [][2]string // iso code, English name (most specific last)
	city, postal, timezone   string
	lat, lon                 float64
	accuracy                 uint16
	noLocation               bool
}

func (p place) record() mmdbtype.Map {
	m := mmdbtype.Map{
		"continent": mmdbtype.Map{
			"code": mmdbtype.String(p.continentCode), "geoname_id": mmdbtype.Uint32(6255148),
			"names": names("en", p.continent),
		},
		"country":            named(1000+uint32(len(p.country)), p.countryISO, names("en", p.country, "de", p.country)),
		"registered_country": named(1000+uint32(len(p.country)), p.countryISO, names("en", p.country)),
	}
	if !p.noLocation {
		loc := mmdbtype.Map{
			"accuracy_radius": mmdbtype.Uint16(p.accuracy),
			"latitude":        mmdbtype.Float64(p.lat),
			"longitude":       mmdbtype.Float64(p.lon),
		}
		if p.timezone != "" {
			loc["time_zone"] = mmdbtype.String(p.timezone)
		}
		m["location"] = loc
	}
	if p.city != "" {
		m["city"] = named(2000+uint32(len(p.city)), "", names("en", p.city, "fr", p.city+" (fr)"))
	}
	if p.postal != "" {
		m["postal"] = mmdbtype.Map{"code": mmdbtype.String(p.postal)}
	}
	if len(p.subdivisions) > 0 {
		subs := mmdbtype.Slice{}
		for i, s := range p.subdivisions {
			subs = append(subs, named(3000+uint32(i), s[0], names("en", s[1])))
		}
		m["subdivisions"] = subs
	}
	return m
}

// City builds the GeoIP2-City shaped database.
func City() ([]byte, error) {
	gb := func(city, postal string, lat, lon float64, subs ...[2]string) place {
		return place{continentCode: "EU", continent: "Europe", countryISO: "GB", country: "United Kingdom",
			subdivisions: subs, city: city, postal: postal, timezone: "Europe/London", lat: lat, lon: lon, accuracy: 20}
	}
	se := func(city string, lat, lon float64, sub [2]string) place {
		return place{continentCode: "EU", continent: "Europe", countryISO: "SE", country: "Sweden",
			subdivisions: [][2]string{sub}, city: city, timezone: "Europe/Stockholm", lat: lat, lon: lon, accuracy: 50}
	}
	recs := []record{
		{"81.2.69.142/31", gb("London", "EC2V", 51.5136, -0.0889, [2]string{"ENG", "England"}).record()},
		{"81.2.69.160/27", gb("Cambridge", "CB2", 52.2053, 0.1218, [2]string{"ENG", "England"}, [2]string{"CAM", "Cambridgeshire"}).record()},
		{"2.125.160.216/29", gb("Oxford", "OX1", 51.752, -1.2577, [2]string{"ENG", "England"}, [2]string{"OXF", "Oxfordshire"}).record()},
		{"89.160.20.112/28", se("Stockholm", 59.3293, 18.0686, [2]string{"AB", "Stockholm County"}).record()},
		{"89.160.20.128/25", se("Göteborg", 57.7089, 11.9746, [2]string{"O", "Västra Götaland County"}).record()},
		{"216.160.83.56/29", place{continentCode: "NA", continent: "North America", countryISO: "US", country: "United States",
			subdivisions: [][2]string{{"WA", "Washington"}}, city: "Seattle", postal: "98101",
			timezone: "America/Los_Angeles", lat: 47.6062, lon: -122.3321, accuracy: 10}.record()},
		{"175.16.199.0/24", place{continentCode: "AS", continent: "Asia", countryISO: "CN", country: "China",
			subdivisions: [][2]string{{"JL", "Jilin"}}, city: "Changchun", timezone: "Asia/Shanghai",
			lat: 43.8171, lon: 125.3235, accuracy: 100}.record()},
		// Country level only: no city, subdivision or postal code.
		{"67.43.156.0/24", place{continentCode: "AS", continent: "Asia", countryISO: "BT", country: "Bhutan",
			timezone: "Asia/Thimphu", lat: 27.5, lon: 90.5, accuracy: 500}.record()},
		{"202.196.224.0/20", place{continentCode: "AS", continent: "Asia", countryISO: "PH", country: "Philippines",
			subdivisions: [][2]string{{"00", "Metro Manila"}}, city: "Manila", postal: "1000", timezone: "Asia/Manila",
			lat: 14.5995, lon: 120.9842, accuracy: 50}.record()},
		// No location at all (ip_lookups then prints 0.0 as R108 did).
		{"198.51.100.0/24", place{continentCode: "EU", continent: "Europe", countryISO: "DE", country: "Germany",
			noLocation: true}.record()},
		// An IPv6 network.
		{"2001:db8:1::/48", place{continentCode: "EU", continent: "Europe", countryISO: "DE", country: "Germany",
			subdivisions: [][2]string{{"BE", "Land Berlin"}}, city: "Berlin", postal: "10115", timezone: "Europe/Berlin",
			lat: 52.52, lon: 13.405, accuracy: 20}.record()},
	}
	return build("GeoIP2-City", "furrow GeoIP2 City test database (invented data)", []string{"de", "en", "fr"}, recs)
}

// ISP builds the GeoIP2-ISP shaped database.
func ISP() ([]byte, error) {
	isp := func(asn uint32, isp, org string) mmdbtype.Map {
		m := mmdbtype.Map{"isp": mmdbtype.String(isp)}
		if org != "" {
			m["organization"] = mmdbtype.String(org)
		}
		if asn != 0 {
			m["autonomous_system_number"] = mmdbtype.Uint32(asn)
			m["autonomous_system_organization"] = mmdbtype.String(isp)
		}
		return m
	}
	recs := []record{
		{"81.2.69.0/24", isp(20712, "Andrews & Arnold", "Andrews & Arnold Ltd")},
		{"216.160.83.0/24", isp(209, "CenturyLink", "Acme Outdoor Seattle")},
		{"89.160.0.0/17", isp(29518, "Bredband2", "")},
		{"175.16.0.0/16", isp(4837, "China Unicom Jilin", "China Unicom")},
		{"2.125.160.0/20", isp(0, "BT Broadband", "British Telecommunications")},
		{"2001:db8:1::/48", isp(3320, "Deutsche Telekom", "Telekom Berlin")},
	}
	return build("GeoIP2-ISP", "furrow GeoIP2 ISP test database (invented data)", []string{"en"}, recs)
}

// Domain builds the GeoIP2-Domain shaped database.
func Domain() ([]byte, error) {
	d := func(s string) mmdbtype.Map { return mmdbtype.Map{"domain": mmdbtype.String(s)} }
	recs := []record{
		{"81.2.69.128/25", d("aa.net.uk")},
		{"216.160.83.0/24", d("centurylink.net")},
		{"89.160.20.0/24", d("bredband2.se")},
		{"67.43.156.0/24", d("drukpa.bt")},
		{"2001:db8:1::/48", d("telekom.de")},
	}
	return build("GeoIP2-Domain", "furrow GeoIP2 Domain test database (invented data)", []string{"en"}, recs)
}

// ConnectionType builds the GeoIP2-Connection-Type shaped database. It
// holds the four types GeoIP2 Java knew in R108's day and one it did not.
func ConnectionType() ([]byte, error) {
	c := func(s string) mmdbtype.Map { return mmdbtype.Map{"connection_type": mmdbtype.String(s)} }
	recs := []record{
		{"81.2.69.142/31", c("Corporate")},
		{"81.2.69.160/27", c("Cable/DSL")},
		{"216.160.83.56/29", c("Cable/DSL")},
		{"89.160.20.112/28", c("Cellular")},
		{"175.16.199.0/24", c("Dialup")},
		{"202.196.224.0/20", c("Satellite")},
		{"2001:db8:1::/48", c("Cable/DSL")},
	}
	return build("GeoIP2-Connection-Type", "furrow GeoIP2 Connection-Type test database (invented data)", []string{"en"}, recs)
}
