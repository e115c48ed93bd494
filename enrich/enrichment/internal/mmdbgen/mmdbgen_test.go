package mmdbgen

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
	maxminddb "github.com/oschwald/maxminddb-golang/v2"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the committed databases under testdata/maxmind")

// committedDir is testdata/maxmind at the repository root.
func committedDir(t *testing.T) string {
	return filepath.Join(testservers.RepoRoot(t), "testdata", "maxmind")
}

// TestGolden checks that the committed databases are what this package
// builds (run with -rewrite to regenerate them).
func TestGolden(t *testing.T) {
	dbs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	dir := committedDir(t)
	if *rewrite {
		if err := WriteAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, db := range dbs {
		got, err := os.ReadFile(filepath.Join(dir, db.File))
		if err != nil {
			t.Fatalf("%v (regenerate with -rewrite)", err)
		}
		if !bytes.Equal(got, db.Data) {
			t.Errorf("%s differs from what mmdbgen builds (regenerate with -rewrite)", db.File)
		}
	}
}

// TestReproducible builds twice and compares.
func TestReproducible(t *testing.T) {
	a, err := All()
	if err != nil {
		t.Fatal(err)
	}
	b, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s: two builds differ", a[i].File)
		}
	}
}

// TestCoversBenchAddresses checks that every address of bench/gen is in
// the City database and that each database verifies and has its type.
func TestCoversBenchAddresses(t *testing.T) {
	dbs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{CityFile: "GeoIP2-City", ISPFile: "GeoIP2-ISP", DomainFile: "GeoIP2-Domain", ConnectionTypeFile: "GeoIP2-Connection-Type"}
	for _, db := range dbs {
		r, err := maxminddb.OpenBytes(db.Data)
		if err != nil {
			t.Fatalf("%s: %v", db.File, err)
		}
		if err := r.Verify(); err != nil {
			t.Errorf("%s: verify: %v", db.File, err)
		}
		if r.Metadata.DatabaseType != types[db.File] {
			t.Errorf("%s: type %q, want %q", db.File, r.Metadata.DatabaseType, types[db.File])
		}
		if db.File != CityFile {
			continue
		}
		for _, ip := range []string{"81.2.69.142", "81.2.69.160", "216.160.83.56", "89.160.20.112", "89.160.20.128",
			"175.16.199.10", "2.125.160.216", "67.43.156.12", "202.196.224.5"} {
			var rec struct {
				Country struct {
					ISOCode string `maxminddb:"iso_code"`
				} `maxminddb:"country"`
			}
			res := r.Lookup(netip.MustParseAddr(ip))
			if err := res.Decode(&rec); err != nil || !res.Found() || rec.Country.ISOCode == "" {
				t.Errorf("%s: %s not covered (found %v, err %v)", db.File, ip, res.Found(), err)
			}
		}
	}
}
