package enrich

import "testing"

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
