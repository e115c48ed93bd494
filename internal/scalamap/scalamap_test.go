package scalamap

import (
	"slices"
	"testing"
)

func TestStringHash(t *testing.T) {
	// Values of java.lang.String.hashCode.
	for s, want := range map[string]uint32{
		"": 0, "e": 101, "vid": 116753, "hello": 99162322, "gclid": 98179115, "msclkid": 1340757975,
		"Χαρ": 928791, "😀": 1772899, "a😀b": 57849694, "a\U0001F600": 1866116, "\uFFFDx": 2031643,
		"\xffx": 2031643, // an invalid byte counts as U+FFFD
	} {
		if got := StringHash(s); got != want {
			t.Errorf("StringHash(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestOrder checks the iteration order R108's parameter map had:
// BadTrackerCfLinesSpec's messages come e, vid, ue_px.
func TestOrder(t *testing.T) {
	keys := []string{"ue_px", "vid", "e", "page", "tid", "uid", "p", "aid", "fp", "tz", "cd", "lang", "refr", "f_pdf", "res", "cookie"}
	SortStable(keys, func(k string) string { return k })
	pos := map[string]int{}
	for i, k := range keys {
		pos[k] = i
	}
	if !(pos["e"] < pos["vid"] && pos["vid"] < pos["ue_px"]) {
		t.Errorf("order %v: want e before vid before ue_px", keys)
	}
	if Order("k1") != TriePos(StringHash("k1")) {
		t.Errorf("Order is not TriePos of StringHash")
	}
}

func TestSortStable(t *testing.T) {
	id := func(k string) string { return k }
	four := []string{"k4", "k3", "k2", "k1"}
	SortStable(four, id)
	if !slices.Equal(four, []string{"k4", "k3", "k2", "k1"}) {
		t.Errorf("four entries keep insertion order: %v", four)
	}
	// Scala 2.11: Map("k1"->_, ..., "k5"->_).keys == List(k2, k5, k1, k4, k3).
	five := []string{"k1", "k2", "k3", "k4", "k5"}
	SortStable(five, id)
	if !slices.Equal(five, []string{"k2", "k5", "k1", "k4", "k3"}) {
		t.Errorf("five entries: %v", five)
	}
}
