package dedupe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
)

const (
	idA = "1799a90f-f570-4414-b91a-b0db8f39cc2e"
	idB = "2718ac0f-f510-4314-a98a-cfdb8f39abe4"
	idC = "e271698a-3e86-4b2f-bb1b-f9f7aa5666c1"
	fp1 = "bed9a39a0917874d2ff072033a6413d9"
	fp2 = "e79bef64f3185e9d7c10d5dfdf27b9a3"
)

func TestUniqueEventsPassUnchanged(t *testing.T) {
	lines := [][]byte{ev{id: idC, fp: fp1}.line(), ev{id: idA, fp: fp1}.line(), ev{id: idB, fp: fp2}.line()}
	got, st := run(t, Config{}, lines)
	if len(got) != 3 || st.NaturalDuplicates != 0 || st.SyntheticDuplicates != 0 {
		t.Fatalf("got %d lines, stats %+v", len(got), st)
	}
	// Sorted by event_id.
	for i, want := range [][]byte{lines[1], lines[2], lines[0]} {
		if got[i].line != string(want) || got[i].dup != nil {
			t.Errorf("line %d = %.60q (dup %v), want %.60q", i, got[i].line, got[i].dup, want)
		}
	}
}

func TestNaturalDuplicatesKeepSmallestLine(t *testing.T) {
	a := ev{id: idA, fp: fp1, collector: "2016-11-27 07:16:08.000"}.line()
	b := ev{id: idA, fp: fp1, collector: "2016-11-27 07:16:07.000"}.line() // smallest
	c := ev{id: idA, fp: fp1, collector: "2016-11-27 07:16:09.000"}.line()
	for _, order := range [][][]byte{{a, b, c}, {c, b, a}, {b, c, a}} {
		got, st := run(t, Config{}, order)
		if len(got) != 1 || got[0].line != string(b) || got[0].dup != nil {
			t.Fatalf("kept %+v, want the smallest line unchanged", got)
		}
		if st.NaturalDuplicates != 2 || st.Lines != 3 || st.Emitted != 1 {
			t.Fatalf("stats %+v", st)
		}
	}
}

func TestNaturalDuplicatesPreferEarliestETL(t *testing.T) {
	late := ev{id: idA, fp: fp1, etl: "2024-03-02 00:00:00.000", collector: "2016-01-01 00:00:00.000"}.line()
	early := ev{id: idA, fp: fp1, etl: "2024-03-01 00:00:00.000", collector: "2016-12-01 00:00:00.000"}.line()
	got, _ := run(t, Config{}, [][]byte{late, early})
	if len(got) != 1 || got[0].line != string(early) {
		t.Fatalf("kept %.80q, want the earliest etl_tstamp", got[0].line)
	}
}

func TestSyntheticDuplicatesGetDerivedIDs(t *testing.T) {
	a := ev{id: idA, fp: fp1}.line()
	b := ev{id: idA, fp: fp2, ip: "10.0.0.2"}.line()
	got, st := run(t, Config{}, [][]byte{b, a})
	if len(got) != 2 || st.SyntheticDuplicates != 2 || st.NaturalDuplicates != 0 {
		t.Fatalf("got %d, stats %+v", len(got), st)
	}
	seen := map[string]bool{}
	for _, o := range got {
		if o.dup == nil || o.dup.OriginalEventID != idA {
			t.Fatalf("missing Synthetic: %+v", o.dup)
		}
		id := field(o.line, event.EventID)
		fp := field(o.line, event.EventFingerprint)
		if id == idA || id != o.dup.NewEventID || id != SyntheticEventID(idA, fp) {
			t.Fatalf("new id %s (dup %+v), want SyntheticEventID(%s, %s)", id, o.dup, idA, fp)
		}
		seen[id] = true
		// Everything but the id is unchanged.
		orig := a
		if fp == fp2 {
			orig = b
		}
		back, err := RewriteEventID(nil, []byte(o.line), idA)
		if err != nil || !bytes.Equal(back, orig) {
			t.Fatalf("line changed beyond event_id: %v", err)
		}
	}
	if len(seen) != 2 {
		t.Fatal("synthetic duplicates share an id")
	}
}

func TestMixedNaturalAndSynthetic(t *testing.T) {
	// The EventDeduplicationSpec shape: lines 1 and 3 are natural
	// duplicates, line 2 a synthetic duplicate of their survivor.
	l1 := ev{id: idA, fp: fp1, collector: "2016-11-27 07:16:07.000"}.line()
	l2 := ev{id: idA, fp: fp2, ip: "185.124.154.x"}.line()
	l3 := ev{id: idA, fp: fp1, collector: "2016-11-27 07:16:08.000"}.line()
	u := ev{id: idB, fp: fp1}.line()
	got, st := run(t, Config{}, [][]byte{l3, u, l2, l1})
	if st.Lines != 4 || st.Emitted != 3 || st.NaturalDuplicates != 1 || st.SyntheticDuplicates != 2 {
		t.Fatalf("stats %+v", st)
	}
	var synth int
	for _, o := range got {
		if o.dup == nil {
			if o.line != string(u) {
				t.Fatalf("unexpected unchanged line %.80q", o.line)
			}
			continue
		}
		synth++
		if field(o.line, event.EventFingerprint) == fp1 && field(o.line, event.CollectorTstamp) != "2016-11-27 07:16:07.000" {
			t.Fatal("the natural survivor is not line 1")
		}
	}
	if synth != 2 {
		t.Fatalf("%d synthetic duplicates, want 2", synth)
	}
}

func TestNoFingerprintFollowsRDBShredder(t *testing.T) {
	// RDB Shredder grouped null fingerprints under a random UUID: they are
	// never natural duplicates, so identical copies are all kept — and,
	// sharing an event_id, become synthetic duplicates with distinct ids.
	a := ev{id: idA}.line()
	got, st := run(t, Config{}, [][]byte{a, a, a})
	if len(got) != 3 || st.NaturalDuplicates != 0 || st.SyntheticDuplicates != 3 {
		t.Fatalf("got %d, stats %+v", len(got), st)
	}
	ids := map[string]bool{}
	for _, o := range got {
		ids[field(o.line, event.EventID)] = true
	}
	if len(ids) != 3 || ids[idA] {
		t.Fatalf("ids %v", ids)
	}
	// Alone, an event without fingerprint passes unchanged.
	got, _ = run(t, Config{}, [][]byte{a})
	if len(got) != 1 || got[0].dup != nil || got[0].line != string(a) {
		t.Fatal("single fingerprint-less event changed")
	}
	// Same with the older layouts that have no fingerprint column at all.
	old := []byte(strings.Join(strings.Split(string(a), "\t")[:event.MinTSVFields], "\t"))
	got, st = run(t, Config{}, [][]byte{old, old})
	if len(got) != 2 || st.SyntheticDuplicates != 2 {
		t.Fatalf("older layout: got %d, stats %+v", len(got), st)
	}
}

func TestFingerprintAt130Fields(t *testing.T) {
	// A 130-field line (no true_tstamp column) still has its fingerprint.
	full := strings.Split(string(ev{id: idA, fp: fp1}.line()), "\t")
	l := []byte(strings.Join(full[:130], "\t"))
	got, st := run(t, Config{}, [][]byte{l, l})
	if len(got) != 1 || st.NaturalDuplicates != 1 {
		t.Fatalf("got %d, stats %+v", len(got), st)
	}
}

func TestUppercaseEventIDGroupsWithLowercase(t *testing.T) {
	lo := ev{id: idA, fp: fp1}.line()
	up := ev{id: strings.ToUpper(idA), fp: fp2}.line()
	got, st := run(t, Config{}, [][]byte{lo, up})
	if st.SyntheticDuplicates != 2 || got[0].dup.OriginalEventID != idA {
		t.Fatalf("stats %+v", st)
	}
}

func TestMalformedLines(t *testing.T) {
	good := ev{id: idA, fp: fp1}.line()
	fields := strings.Split(string(good), "\t")
	cases := map[string]struct {
		line string
		want string
	}{
		"too few fields":  {strings.Join(fields[:50], "\t"), "50 tab-separated fields"},
		"too many fields": {string(good) + "\textra", "132 tab-separated fields"},
		"empty":           {"", "1 tab-separated fields"},
		"bad uuid":        {strings.Replace(string(good), idA, "not-a-uuid", 1), "event_id [not-a-uuid] is not a UUID"},
		"empty uuid":      {strings.Replace(string(good), idA, "", 1), "event_id [] is not a UUID"},
		"uuid bad hex":    {strings.Replace(string(good), idA, "1799a90f-f570-4414-b91a-b0db8f39cc2g", 1), "is not a UUID"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d, _ := New(Config{})
			err := d.Add([]byte(c.line))
			if !errors.Is(err, ErrMalformedLine) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrMalformedLine containing %q", err, c.want)
			}
			if err := d.Add(good); err != nil {
				t.Fatal(err)
			}
			st, err := d.Finish(context.Background(), func([]byte, *Synthetic) error { return nil })
			if err != nil || st.Rejected != 1 || st.Lines != 1 || st.Emitted != 1 {
				t.Fatalf("stats %+v, err %v", st, err)
			}
		})
	}
	// etl_tstamp is only checked when a manifest needs it.
	bad := []byte(strings.Replace(string(good), "2024-03-01 10:00:00.000", "yesterday", 1))
	d, _ := New(Config{})
	if err := d.Add(bad); err != nil {
		t.Fatalf("without manifest: %v", err)
	}
	d, _ = New(Config{Manifest: newMemManifest(), ETLTime: mustTime("2024-03-01 10:00:00.000")})
	if err := d.Add(bad); !errors.Is(err, ErrMalformedLine) || !strings.Contains(err.Error(), "etl_tstamp") {
		t.Fatalf("with manifest: %v", err)
	}
}

func TestTrailingCarriageReturnDropped(t *testing.T) {
	l := ev{id: idA, fp: fp1}.line()
	got, st := run(t, Config{}, [][]byte{append(append([]byte{}, l...), '\r'), l})
	if len(got) != 1 || got[0].line != string(l) || st.NaturalDuplicates != 1 {
		t.Fatalf("got %+v %+v", got, st)
	}
}

func TestOrderIndependence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lines := randomLines(rng, 3000)
	want, wst := run(t, Config{}, lines)
	if wst.NaturalDuplicates == 0 || wst.SyntheticDuplicates == 0 {
		t.Fatalf("test data has no duplicates: %+v", wst)
	}
	for i := 0; i < 5; i++ {
		rng.Shuffle(len(lines), func(a, b int) { lines[a], lines[b] = lines[b], lines[a] })
		got, st := run(t, Config{}, lines)
		if !bytes.Equal(serialize(got), serialize(want)) {
			t.Fatalf("shuffle %d: output differs", i)
		}
		if st != wst {
			t.Fatalf("shuffle %d: stats %+v, want %+v", i, st, wst)
		}
	}
}

func TestSpillEqualsInMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lines := randomLines(rng, 12000)
	want, wst := run(t, Config{}, lines)
	if wst.SpilledRuns != 0 {
		t.Fatalf("default budget spilled: %+v", wst)
	}
	for _, c := range []struct {
		name   string
		budget int64
		fanIn  int
	}{
		{"tiny budget, fan-in 3", 64 << 10, 3},
		{"tiny budget", 256 << 10, 0},
		{"medium budget", 4 << 20, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			rng.Shuffle(len(lines), func(a, b int) { lines[a], lines[b] = lines[b], lines[a] })
			got, st := run(t, Config{MemoryBudget: c.budget, SpillDir: dir, MaxMergeFanIn: c.fanIn}, lines)
			if st.SpilledRuns < 2 {
				t.Fatalf("did not spill: %+v", st)
			}
			if !bytes.Equal(serialize(got), serialize(want)) {
				t.Fatal("spilled output differs from in-memory output")
			}
			st.SpilledRuns, st.SpilledBytes, st.PeakMemory = 0, 0, wst.PeakMemory
			if st != wst {
				t.Fatalf("stats %+v, want %+v", st, wst)
			}
			assertEmptyDir(t, dir)
		})
	}
}

func TestMemoryStaysWithinBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	lines := randomLines(rng, 5000)
	const budget = 512 << 10
	_, st := run(t, Config{MemoryBudget: budget, SpillDir: t.TempDir()}, lines)
	if st.PeakMemory > budget {
		t.Fatalf("peak %d > budget %d", st.PeakMemory, budget)
	}
	if st.SpilledRuns == 0 {
		t.Fatal("no spill")
	}
}

func TestHugeLineLargerThanBudget(t *testing.T) {
	big := ev{id: idA, fp: fp1, ip: strings.Repeat("y", 200<<10)}.line()
	small := ev{id: idB, fp: fp1}.line()
	dir := t.TempDir()
	got, st := run(t, Config{MemoryBudget: 64 << 10, SpillDir: dir}, [][]byte{small, big, small, big})
	if len(got) != 2 || got[0].line != string(big) || got[1].line != string(small) || st.NaturalDuplicates != 2 {
		t.Fatalf("got %d lines, stats %+v", len(got), st)
	}
	assertEmptyDir(t, dir)
}

func TestSpillCleanupOnErrorAndCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	lines := randomLines(rng, 3000)
	boom := errors.New("sink full")
	for _, c := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		emit func(n *int) error
		want error
	}{
		{"emit error", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			func(n *int) error {
				if *n++; *n == 10 {
					return boom
				}
				return nil
			}, boom},
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, func(*int) error { return nil }, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			d, err := New(Config{MemoryBudget: 128 << 10, SpillDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				if err := d.Add(l); err != nil {
					t.Fatal(err)
				}
			}
			if d.Stats().SpilledRuns == 0 {
				t.Fatal("no spill")
			}
			ctx, cancel := c.ctx()
			defer cancel()
			n := 0
			_, err = d.Finish(ctx, func([]byte, *Synthetic) error { return c.emit(&n) })
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			assertEmptyDir(t, dir)
			if err := d.Add(lines[0]); !errors.Is(err, ErrFinished) {
				t.Fatalf("Add after Finish: %v", err)
			}
		})
	}
}

func TestCloseRemovesSpillFiles(t *testing.T) {
	dir := t.TempDir()
	d, _ := New(Config{MemoryBudget: 64 << 10, SpillDir: dir})
	for _, l := range randomLines(rand.New(rand.NewPCG(9, 9)), 1000) {
		if err := d.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	if d.Stats().SpilledRuns == 0 {
		t.Fatal("no spill")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	assertEmptyDir(t, dir)
	if err := d.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := d.Finish(context.Background(), nil); !errors.Is(err, ErrFinished) {
		t.Fatalf("Finish after Close: %v", err)
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Fatalf("spill folder not cleaned: %v", ents)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{MemoryBudget: -1, MaxMergeFanIn: 1, ManifestBatch: -3, Manifest: newMemManifest(), SpillDir: "/nonexistent/x"}.Validate()
	for _, want := range []string{"MemoryBudget", "MaxMergeFanIn", "ManifestBatch", "ETLTime", "SpillDir"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem naming %s", err, want)
		}
	}
	if _, err := New(Config{}); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestRadixSortMatchesComparisonSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, skew := range []bool{false, true} {
		d, _ := New(Config{})
		for _, l := range randomLines(rng, 40000) {
			if skew { // many ids sharing their top 16 bits
				copy(l[bytes.Index(l, []byte("\tpage_view\t"))+11:], "0000")
			}
			if err := d.Add(l); err != nil {
				t.Fatal(err)
			}
		}
		want := slices.Clone(d.keys)
		slices.SortFunc(want, func(a, b sortKey) int { return d.cmpKeys(&a, &b) })
		d.sortKeys()
		for i := range want {
			if d.cmpKeys(&want[i], &d.keys[i]) != 0 {
				t.Fatalf("skew %v: key %d differs", skew, i)
			}
		}
	}
}

// variedLines makes n lines where natural duplicates differ in etl_tstamp
// (or have none), length and event_id case, some lines have the 130-field
// layout and some no fingerprint.
func variedLines(seed uint64, n int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	ids := make([]string, n/4+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48))
	}
	var lines [][]byte
	for len(lines) < n {
		id := ids[rng.IntN(len(ids))]
		if rng.IntN(20) == 0 {
			id = strings.ToUpper(id)
		}
		e := ev{id: id, fp: fmt.Sprintf("%032x", rng.IntN(3)), ip: fmt.Sprintf("10.0.%d.%d", rng.IntN(4), rng.IntN(3))}
		switch rng.IntN(10) {
		case 0:
			e.fp = ""
		case 1:
			e.etl = "2024-03-01 11:00:00.000"
		case 2:
			e.etl = "-"
		case 3:
			e.etl = "2024-03-01 09:00:00.000"
		}
		e.ip += strings.Repeat("x", rng.IntN(3)*rng.IntN(300))
		l := e.line()
		if rng.IntN(10) == 0 {
			l = l[:bytes.LastIndexByte(l, '\t')] // 130 fields
		}
		lines = append(lines, l)
		if rng.IntN(4) == 0 {
			lines = append(lines, bytes.Clone(l))
		}
	}
	return lines
}

// TestNaturalDedupeMatchesReference checks the keep rule against a direct
// implementation: per (event_id, fingerprint), the line with the earliest
// etl_tstamp, then the smallest bytes. Feeding only the reference's
// survivors must give the same output with no natural duplicates, in memory
// and spilling.
func TestNaturalDedupeMatchesReference(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		lines := variedLines(seed, 4000)
		best := map[[2]string][]byte{}
		var survivors [][]byte
		for _, l := range lines {
			li, err := scanLine(l)
			if err != nil {
				t.Fatal(err)
			}
			if li.fpLen == 0 {
				survivors = append(survivors, l)
				continue
			}
			k := [2]string{string(appendUUID(nil, li.hi, li.lo)), string(l[li.fpOff : li.fpOff+li.fpLen])}
			old, ok := best[k]
			if !ok {
				best[k] = l
				continue
			}
			lo, _ := scanLine(old)
			etl, oldETL := l[li.etlOff:li.etlOff+li.etlLen], old[lo.etlOff:lo.etlOff+lo.etlLen]
			if c := bytes.Compare(etl, oldETL); c < 0 || c == 0 && bytes.Compare(l, old) < 0 {
				best[k] = l
			}
		}
		for _, l := range best {
			survivors = append(survivors, l)
		}
		want, wst := run(t, Config{}, survivors)
		if wst.NaturalDuplicates != 0 {
			t.Fatalf("seed %d: reference survivors have %d natural duplicates", seed, wst.NaturalDuplicates)
		}
		for _, cfg := range []Config{{}, {MemoryBudget: 64 << 10, SpillDir: t.TempDir(), MaxMergeFanIn: 3}} {
			got, st := run(t, cfg, lines)
			if !bytes.Equal(serialize(got), serialize(want)) {
				t.Fatalf("seed %d, budget %d: output differs from the reference", seed, cfg.MemoryBudget)
			}
			if st.NaturalDuplicates != int64(len(lines)-len(survivors)) {
				t.Fatalf("seed %d: %d natural duplicates, want %d", seed, st.NaturalDuplicates, len(lines)-len(survivors))
			}
		}
	}
}

// TestCorruptSpillRunIsAnError flips a byte inside a spilled run: Finish
// must fail (the block checksum), not emit altered lines.
func TestCorruptSpillRunIsAnError(t *testing.T) {
	dir := t.TempDir()
	d, err := New(Config{MemoryBudget: 64 << 10, SpillDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range randomLines(rand.New(rand.NewPCG(21, 22)), 2000) {
		if err := d.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.runs) < 2 {
		t.Fatalf("no spill: %+v", d.Stats())
	}
	path := d.runs[0].path
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x55
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = d.Finish(context.Background(), func([]byte, *Synthetic) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "spill run") {
		t.Fatalf("Finish on a corrupt run: %v", err)
	}
	assertEmptyDir(t, dir)
}
