package dedupe

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzAdd feeds arbitrary lines (the input split on '\n'): Add either keeps
// a line or refuses it with ErrMalformedLine (the bad-row path), never
// panics, and Finish accounts for every kept line; the kept lines in reverse
// order give the same output, in memory and spilling.
//
//	go test -fuzz FuzzAdd ./dedupe/
func FuzzAdd(f *testing.F) {
	good := ev{id: idA, fp: fp1}.line()
	f.Add(good)
	f.Add(bytes.Join([][]byte{good, good, ev{id: idA, fp: fp2}.line(), ev{id: idA}.line()}, []byte{'\n'}))
	f.Add(bytes.Join([][]byte{ev{id: idA, fp: fp1, etl: "2024-03-01 11:00:00.000"}.line(), ev{id: strings.ToUpper(idA), fp: fp1, ip: "x"}.line(), good, ev{id: idA, fp: fp1, etl: "-"}.line()}, []byte{'\n'}))
	f.Add([]byte(strings.Repeat("\t", 130)))
	f.Add([]byte(strings.Repeat("\t", 6) + idA + strings.Repeat("\t", 124)))
	f.Add([]byte(strings.Repeat("\t", 6) + strings.ToUpper(idA) + strings.Repeat("\t", 101)))
	f.Add(bytes.Replace(good, []byte(idA), []byte("1799a90f-f570-4414-b91a-b0db8f39cc2\xff"), 1))
	f.Add([]byte("\r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := New(Config{MemoryBudget: 64 << 10, SpillDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		var accepted int64
		var kept [][]byte
		for _, l := range bytes.Split(in, []byte{'\n'}) {
			if err := d.Add(l); err != nil {
				if !errors.Is(err, ErrMalformedLine) {
					t.Fatalf("Add error does not wrap ErrMalformedLine: %v", err)
				}
				continue
			}
			accepted++
			kept = append(kept, l)
		}
		var emitted int64
		st, err := d.Finish(context.Background(), func(line []byte, dup *Synthetic) error {
			if _, err := scanLine(line); err != nil {
				t.Fatalf("emitted an unreadable line: %v", err)
			}
			if dup != nil {
				if _, err := AppendWithDuplicateContext(nil, line, dup.OriginalEventID); err != nil && !errors.Is(err, ErrMalformedLine) {
					t.Fatal(err)
				}
			}
			emitted++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.Lines != accepted || st.Emitted != emitted || st.Lines != st.Emitted+st.NaturalDuplicates {
			t.Fatalf("accepted %d emitted %d, stats %+v", accepted, emitted, st)
		}
		// The output depends only on the multiset of lines: the accepted
		// lines in reverse order, in memory or spilling, give the same bytes.
		slices.Reverse(kept)
		a, ast := run(t, Config{}, kept)
		b, bst := run(t, Config{MemoryBudget: 16 << 10, SpillDir: t.TempDir(), MaxMergeFanIn: 2}, kept)
		if !bytes.Equal(serialize(a), serialize(b)) || ast.NaturalDuplicates != st.NaturalDuplicates || bst.NaturalDuplicates != st.NaturalDuplicates {
			t.Fatalf("output depends on line order or on spilling: natural duplicates %d, %d reversed, %d spilled", st.NaturalDuplicates, ast.NaturalDuplicates, bst.NaturalDuplicates)
		}
	})
}
