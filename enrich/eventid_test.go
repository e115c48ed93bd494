package enrich

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestRecordEventID(t *testing.T) {
	a, b := RecordEventID("in/file.gz@0:1", 0), RecordEventID("in/file.gz@0:1", 1)
	if a == b || a != RecordEventID("in/file.gz@0:1", 0) {
		t.Fatalf("ids not stable or not distinct: %s %s", a, b)
	}
	// The derivation is part of furrow's output contract: never change it.
	if want := "3cba5a83-a4a5-5242-8e1a-71e3c26a2d53"; a != want {
		t.Fatalf("RecordEventID = %s", a)
	}
	if a[14] != '5' {
		t.Fatalf("%s is not a version-5 UUID", a)
	}
}

// TestRecordEventIDIsUUIDv5 checks RecordEventID against google/uuid's
// NewSHA1 (short and long seeds).
func TestRecordEventIDIsUUIDv5(t *testing.T) {
	for _, seed := range []string{"", "in/file.gz@0:1", strings.Repeat("s3://bucket/some/long/prefix/", 8) + "x.gz@1234:5678"} {
		for _, n := range []int{0, 1, 17, 123456} {
			want := uuid.NewSHA1(eventIDNamespace, []byte(seed+"#"+strconv.Itoa(n))).String()
			if got := RecordEventID(seed, n); got != want {
				t.Errorf("RecordEventID(%q, %d) = %s, want %s", seed, n, got, want)
			}
		}
	}
}
