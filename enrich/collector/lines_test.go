package collector_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/furrowdata/furrow/enrich/collector"
)

type rec struct {
	data string
	line int64
}

func readLines(t testing.TB, rr collector.RecordReader) []rec {
	t.Helper()
	var out []rec
	for {
		r, err := rr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("after %d records: %v", len(out), err)
		}
		out = append(out, rec{string(r.Data), r.Line})
	}
}

// splitHadoop is an independent reference of LineRecordReader's framing.
func splitHadoop(s string) []string {
	s = strings.TrimPrefix(s, "\ufeff")
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

func TestLineFraming(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"lf", "a\nb\n", []string{"a", "b"}},
		{"crlf without final terminator", "a\r\nb", []string{"a", "b"}},
		{"cr", "a\rb\r", []string{"a", "b"}},
		{"cr then crlf", "a\r\r\nb", []string{"a", "", "b"}},
		{"lf cr is two terminators", "a\n\rb", []string{"a", "", "b"}},
		{"empty lines", "\n\n", []string{"", ""}},
		{"empty input", "", nil},
		{"byte order mark at the start", "\ufeffa\n", []string{"a"}},
		{"byte order mark later stays", "a\n\ufeffb", []string{"a", "\ufeffb"}},
		{"crlf then empty line", "a\n\r\n", []string{"a", ""}},
		{"invalid utf-8 kept as bytes", "\xff\xfe\n", []string{"\xff\xfe"}},
	} {
		for rname, wrap := range map[string]func(io.Reader) io.Reader{
			"whole": func(r io.Reader) io.Reader { return r },
			"1byte": iotest.OneByteReader,
			"half":  iotest.HalfReader,
		} {
			t.Run(tc.name+"/"+rname, func(t *testing.T) {
				got := readLines(t, collector.NewLineReader(wrap(strings.NewReader(tc.in))))
				if len(got) != len(tc.want) {
					t.Fatalf("got %v, want %q", got, tc.want)
				}
				for i, r := range got {
					if r.data != tc.want[i] || r.line != int64(i+1) {
						t.Fatalf("record %d = %q (line %d), want %q (line %d)", i, r.data, r.line, tc.want[i], i+1)
					}
				}
			})
		}
	}
}

func TestLineFramingRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 500 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString([]string{"a", "bc", "\r", "\n", "\r\n", "é", " "}[r.IntN(7)])
		}
		in := b.String()
		got := readLines(t, collector.NewLineReader(iotest.OneByteReader(strings.NewReader(in))))
		want := splitHadoop(in)
		if len(got) != len(want) {
			t.Fatalf("%q: got %v, want %q", in, got, want)
		}
		for i := range want {
			if got[i].data != want[i] {
				t.Fatalf("%q: record %d = %q, want %q", in, i, got[i].data, want[i])
			}
		}
	}
}

func TestTenMegabyteLine(t *testing.T) {
	long := strings.Repeat("e=pv&", 2<<20) // 10 MiB
	in := "first\n" + long + "\r\nlast"
	got := readLines(t, collector.NewLineReader(iotest.HalfReader(strings.NewReader(in))))
	if len(got) != 3 || got[0].data != "first" || got[1].data != long || got[2].data != "last" || got[2].line != 3 {
		t.Fatalf("got %d records", len(got))
	}
}

// patternReader produces n bytes of 'x' then the tail, without holding them.
type patternReader struct {
	n    int64
	tail *strings.Reader
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n > 0 {
		k := min(int64(len(b)), p.n)
		for i := range k {
			b[i] = 'x'
		}
		p.n -= k
		return int(k), nil
	}
	return p.tail.Read(b)
}

func TestLineLongerThanMaxRecordSize(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	rr := collector.NewLineReader(io.MultiReader(strings.NewReader("ok\n"),
		&patternReader{n: collector.MaxRecordSize + 10, tail: strings.NewReader("\r\nafter\n")}))
	r, err := rr.Next()
	if err != nil || string(r.Data) != "ok" {
		t.Fatalf("first line: %q %v", r.Data, err)
	}
	_, err = rr.Next()
	if !errors.Is(err, collector.ErrRecordTooLong) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("over-long line: %v", err)
	}
	r, err = rr.Next()
	if err != nil || string(r.Data) != "after" || r.Line != 3 {
		t.Fatalf("line after the long one: %q line %d, %v", r.Data, r.Line, err)
	}
	if _, err := rr.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestLineReadErrorNamesTheLine(t *testing.T) {
	boom := errors.New("boom")
	rr := collector.NewLineReader(io.MultiReader(strings.NewReader("a\nb\npartial"), iotest.ErrReader(boom)))
	for range 2 {
		if _, err := rr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := rr.Next()
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error %v", err)
	}
}

// Splits read every line exactly once, whatever the cut points.
func TestLineSplitsCoverTheFile(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for range 300 {
		var b strings.Builder
		for range r.IntN(60) {
			b.WriteString([]string{"ab", "c", "\r", "\n", "\r\n", "\ufeff"}[r.IntN(6)])
		}
		in := b.String()
		want := splitHadoop(in)
		cuts := []int64{0}
		for c := int64(0); c < int64(len(in)); {
			c += 1 + int64(r.IntN(8))
			cuts = append(cuts, min(c, int64(len(in))))
		}
		var got []string
		for i := 0; i+1 < len(cuts); i++ {
			start, end := cuts[i], cuts[i+1]
			for _, rec := range readLines(t, collector.NewLineSplitReader(strings.NewReader(in[start:]), start, end)) {
				got = append(got, rec.data)
			}
		}
		if len(in) == 0 {
			continue
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Fatalf("%q cut at %v:\n got %q\nwant %q", in, cuts, got, want)
		}
	}
}

// FuzzLineReader: the records are the lines of the input, with Hadoop's
// terminators, none lost, none invented.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\r\nb\rc\n\n"))
	f.Add([]byte("\ufeffx"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got := readLines(t, collector.NewLineReader(iotest.HalfReader(bytes.NewReader(in))))
		want := splitHadoop(string(in))
		if len(got) != len(want) {
			t.Fatalf("%d records, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].data != want[i] || got[i].line != int64(i+1) {
				t.Fatalf("record %d = %q line %d, want %q", i, got[i].data, got[i].line, want[i])
			}
		}
	})
}
