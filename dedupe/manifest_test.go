package dedupe

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/furrowdata/furrow/event"
)

// These tests pin how the Deduper uses a Manifest (with an in-memory one);
// the DynamoDB manifest itself is tested against dynalite in dedupe/dynamo.

func TestCrossBatchDropsEventsOfEarlierBatches(t *testing.T) {
	m := newMemManifest()
	prev, cur := "2024-03-01 10:00:00.000", "2024-03-02 10:00:00.000"
	cfg := Config{Manifest: m, ETLTime: mustTime(cur)}
	// Batch 1.
	run(t, Config{Manifest: m, ETLTime: mustTime(prev)}, [][]byte{
		ev{id: idA, fp: fp1, etl: prev}.line(),
		ev{id: idB, fp: fp1, etl: prev}.line(),
	})
	// Batch 2: idA/fp1 was seen by batch 1 (dropped), idA/fp2 is new and now
	// alone, so it is NOT a synthetic duplicate; idB/fp1 twice (natural) and
	// seen before; idC new.
	got, st := run(t, cfg, [][]byte{
		ev{id: idA, fp: fp1, etl: cur}.line(),
		ev{id: idA, fp: fp2, etl: cur}.line(),
		ev{id: idB, fp: fp1, etl: cur}.line(),
		ev{id: idB, fp: fp1, etl: cur, ip: "x"}.line(),
		ev{id: idC, fp: fp1, etl: cur}.line(),
	})
	if st.Lines != 5 || st.Emitted != 2 || st.CrossBatchDuplicates != 2 || st.NaturalDuplicates != 1 || st.SyntheticDuplicates != 0 {
		t.Fatalf("stats %+v", st)
	}
	if field(got[0].line, event.EventID) != idA || field(got[0].line, event.EventFingerprint) != fp2 || got[0].dup != nil {
		t.Fatalf("first output %.90q", got[0].line)
	}
	if field(got[1].line, event.EventID) != idC {
		t.Fatalf("second output %.90q", got[1].line)
	}
	// A re-run of batch 2 (same etl_tstamp: an interrupted run) keeps the
	// same events.
	again, st2 := run(t, cfg, [][]byte{
		ev{id: idC, fp: fp1, etl: cur}.line(),
		ev{id: idA, fp: fp2, etl: cur}.line(),
		ev{id: idA, fp: fp1, etl: cur}.line(),
	})
	if !bytes.Equal(serialize(again), serialize(got)) || st2.CrossBatchDuplicates != 1 {
		t.Fatalf("re-run differs: %+v", st2)
	}
}

func TestCrossBatchNullFingerprintAndETL(t *testing.T) {
	m := newMemManifest()
	etl := mustTime("2024-03-05 00:00:00.000")
	cfg := Config{Manifest: m, ETLTime: etl}
	lines := [][]byte{ev{id: idA}.line(), ev{id: idB, fp: fp1, etl: "-"}.line()}
	run(t, cfg, lines)
	if _, ok := m.items[[2]string{idA, ""}]; ok || len(m.items) != 1 {
		t.Fatalf("manifest items %v: a null fingerprint must not be stored", m.items)
	}
	if got := m.items[[2]string{idB, fp1}]; got != etl.Unix() {
		t.Fatalf("null etl_tstamp stored as %d, want Config.ETLTime %d", got, etl.Unix())
	}
	// Next batch: the fingerprint-less event is kept again (RDB's random
	// fingerprint never matched); idB with another etl time is dropped.
	got, st := run(t, Config{Manifest: m, ETLTime: etl.Add(3600e9)}, lines)
	if len(got) != 1 || st.CrossBatchDuplicates != 1 || field(got[0].line, event.EventID) != idA {
		t.Fatalf("got %d, stats %+v", len(got), st)
	}
}

func TestCrossBatchBatchesChecks(t *testing.T) {
	m := newMemManifest()
	lines := randomLines(rand.New(rand.NewPCG(11, 12)), 2000)
	want, _ := run(t, Config{Manifest: newMemManifest(), ETLTime: mustTime("2024-01-01 00:00:00.000"), ManifestBatch: 1 << 20}, lines)
	got, _ := run(t, Config{Manifest: m, ETLTime: mustTime("2024-01-01 00:00:00.000"), ManifestBatch: 7}, lines)
	if !bytes.Equal(serialize(got), serialize(want)) {
		t.Fatal("output depends on the manifest batch size")
	}
	if m.calls < 50 {
		t.Fatalf("%d Check calls, want batches of 7", m.calls)
	}
	// Same with spill.
	got, st := run(t, Config{Manifest: newMemManifest(), ETLTime: mustTime("2024-01-01 00:00:00.000"), ManifestBatch: 7,
		MemoryBudget: 64 << 10, SpillDir: t.TempDir()}, lines)
	if st.SpilledRuns == 0 || !bytes.Equal(serialize(got), serialize(want)) {
		t.Fatalf("spilled output differs (runs %d)", st.SpilledRuns)
	}
}

func TestCrossBatchErrorAbortsWithoutEmitting(t *testing.T) {
	m := newMemManifest()
	m.err = errors.New("ProvisionedThroughputExceededException after 10 attempts")
	d, _ := New(Config{Manifest: m, ETLTime: mustTime("2024-01-01 00:00:00.000")})
	_ = d.Add(ev{id: idA, fp: fp1}.line())
	emitted := 0
	_, err := d.Finish(context.Background(), func([]byte, *Synthetic) error { emitted++; return nil })
	if !errors.Is(err, m.err) || emitted != 0 {
		t.Fatalf("err %v, emitted %d", err, emitted)
	}
}
