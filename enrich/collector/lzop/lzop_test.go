package lzop

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"testing/iotest"
)

// The fixtures in testdata were made by Debian's lzop 1.04 from a generated
// CloudFront-like log of 1200 lines (329630 bytes, two 256 KiB blocks):
//
//	lzop -c -9 cloudfront.txt > cloudfront-lzo9.lzo          (LZO1X-999, adler32)
//	lzop -c -1 --crc32 cloudfront.txt > cloudfront-lzo1-crc32.lzo (LZO1X-1, crc32)
const (
	fixtureSize   = 329630
	fixtureSHA256 = "114f642a387d938b8a92fd88cfaf0ec369e15d7b20afc60a0286838ab5d1e145"
)

func TestReadDebianLzopFixtures(t *testing.T) {
	for _, name := range []string{"testdata/cloudfront-lzo9.lzo", "testdata/cloudfront-lzo1-crc32.lzo"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// One byte at a time exercises every boundary of the reader.
			data, err := io.ReadAll(NewReader(iotest.OneByteReader(f)))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if len(data) != fixtureSize || hex.EncodeToString(sum[:]) != fixtureSHA256 {
				t.Fatalf("decompressed %d bytes, sha256 %x; want %d bytes, %s", len(data), sum, fixtureSize, fixtureSHA256)
			}
			if !bytes.HasPrefix(data, []byte("2024-03-01\t00:00:00\tFRA56-C1\t")) {
				t.Fatalf("unexpected content %q", data[:40])
			}
		})
	}
}

func lzopBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("lzop")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("lzop not installed (apt-get install -y lzop)")
		}
		t.Skip("lzop not installed (apt-get install -y lzop); skipping the live interoperability test")
	}
	return p
}

func testData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		if r.IntN(3) == 0 {
			b[i] = byte(r.IntN(256))
		} else {
			b[i] = "GET /i?e=pv&aid=x\t\n"[r.IntN(19)]
		}
	}
	return b
}

// Debian's lzop compresses, this package decompresses, and the other way
// round for the stored blocks this package writes.
func TestInteropWithLzopTool(t *testing.T) {
	bin := lzopBinary(t)
	for _, tc := range []struct {
		name string
		args []string
		n    int
	}{
		{"empty", []string{"-1"}, 0},
		{"small", []string{"-1"}, 100},
		{"level9-3blocks", []string{"-9"}, 700 << 10},
		{"crc32", []string{"-3", "--crc32"}, 300 << 10},
		{"no-name", []string{"-1", "-n"}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := testData(uint64(tc.n)+1, tc.n)
			cmd := exec.Command(bin, append([]string{"-c"}, tc.args...)...)
			cmd.Stdin = bytes.NewReader(want)
			compressed, err := cmd.Output()
			if err != nil {
				t.Fatalf("lzop: %v", err)
			}
			got, err := io.ReadAll(NewReader(bytes.NewReader(compressed)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("decompressed %d bytes differ from the %d compressed", len(got), len(want))
			}

			var stored bytes.Buffer
			w := NewWriter(&stored)
			if _, err := w.Write(want); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			cmd = exec.Command(bin, "-dc")
			cmd.Stdin = bytes.NewReader(stored.Bytes())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("lzop -d of our stored stream: %v", err)
			}
			if !bytes.Equal(out, want) {
				t.Fatal("lzop -d of our stored stream gives other bytes")
			}
		})
	}
}

func writeStored(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, DefaultWriteBlockSize - 1, DefaultWriteBlockSize, DefaultWriteBlockSize + 1, 3*DefaultWriteBlockSize + 17} {
		want := testData(uint64(n), n)
		got, err := io.ReadAll(NewReader(iotest.HalfReader(bytes.NewReader(writeStored(t, want)))))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: round trip differs", n)
		}
	}
}

func TestConcatenatedMembers(t *testing.T) {
	a, b := testData(1, 5000), testData(2, 7000)
	stream := append(writeStored(t, a), writeStored(t, b)...)
	got, err := io.ReadAll(NewReader(bytes.NewReader(stream)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(a, b...)) {
		t.Fatal("concatenated members not read in turn")
	}
}

func TestCorruptStreams(t *testing.T) {
	good := writeStored(t, testData(3, 1000))
	fixture, err := os.ReadFile("testdata/cloudfront-lzo9.lzo")
	if err != nil {
		t.Fatal(err)
	}
	headerLen := len(Magic) + 2 + 2 + 2 + 1 + 1 + 4 + 4 + 4 + 4 + 1 + 4
	mutate := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	for _, tc := range []struct {
		name  string
		input []byte
		want  error
		text  string
	}{
		{"bad magic", mutate(good, func(b []byte) []byte { b[1] = 'X'; return b }), ErrFormat, "bad magic"},
		{"header checksum", mutate(good, func(b []byte) []byte { b[len(Magic)+12] ^= 1; return b }), ErrFormat, "header checksum"},
		{"data checksum", mutate(good, func(b []byte) []byte { b[headerLen+12+5] ^= 0xff; return b }), ErrFormat, "adler32 mismatch"},
		{"truncated in block", good[:headerLen+12+100], io.ErrUnexpectedEOF, "truncated"},
		{"missing end marker", good[:len(good)-4], io.ErrUnexpectedEOF, "end-of-stream"},
		{"trailing garbage", append(append([]byte(nil), good...), "garbage!!"...), ErrFormat, "trailing data"},
		{"compressed data corrupted", mutate(fixture, func(b []byte) []byte { b[len(b)/2] ^= 0x55; return b }), ErrFormat, ""},
		{"block larger than 64 MiB", mutate(good, func(b []byte) []byte { b[headerLen] = 0x7f; return b }), ErrFormat, "exceeds"},
		{"compressed larger than uncompressed", mutate(good, func(b []byte) []byte { b[headerLen+4] = 0x7f; return b }), ErrFormat, "corrupt block sizes"},
		{"empty input", nil, io.ErrUnexpectedEOF, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.ReadAll(NewReader(bytes.NewReader(tc.input)))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.want) || !bytes.Contains([]byte(err.Error()), []byte(tc.text)) {
				t.Fatalf("error %q, want %v containing %q", err, tc.want, tc.text)
			}
		})
	}
}

func TestWriteAfterClose(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after close accepted")
	}
	// An empty stream is valid: header and end marker.
	got, err := io.ReadAll(NewReader(&b))
	if err != nil || len(got) != 0 {
		t.Fatalf("empty stream: %q, %v", got, err)
	}
}

// FuzzReader: arbitrary input never panics, and a stream this package
// wrote always reads back to what was written.
func FuzzReader(f *testing.F) {
	fixture, err := os.ReadFile("testdata/cloudfront-lzo1-crc32.lzo")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture[:4096], []byte(nil))
	f.Add([]byte(nil), []byte("hello"))
	f.Add([]byte(Magic), []byte{})
	f.Fuzz(func(t *testing.T, raw, plain []byte) {
		_, _ = io.Copy(io.Discard, NewReader(bytes.NewReader(raw)))
		var b bytes.Buffer
		w := NewWriter(&b)
		if _, err := w.Write(plain); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(NewReader(&b))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("round trip of %d bytes: %v", len(plain), err)
		}
	})
}

// BenchmarkReader measures decompression of the Debian lzop fixture.
//
//	go test ./enrich/collector/lzop -run '^$' -bench Reader -benchmem
func BenchmarkReader(b *testing.B) {
	fixture, err := os.ReadFile("testdata/cloudfront-lzo9.lzo")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fixtureSize)
	b.ReportAllocs()
	for b.Loop() {
		n, err := io.Copy(io.Discard, NewReader(bytes.NewReader(fixture)))
		if err != nil || n != fixtureSize {
			b.Fatal(n, err)
		}
	}
}

// FuzzBlocks fuzzes the block part of a stream behind a real header (from
// the crc32 fixture, whose checksum covers only the uncompressed data), so
// that mutated LZO1X data reaches the decompressor.
func FuzzBlocks(f *testing.F) {
	fixture, err := os.ReadFile("testdata/cloudfront-lzo1-crc32.lzo")
	if err != nil {
		f.Fatal(err)
	}
	hdrLen := len(Magic) + 24 + 1 + int(fixture[len(Magic)+24]) + 4
	header := fixture[:hdrLen]
	f.Add(fixture[hdrLen : hdrLen+2048])
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		in := append(append([]byte(nil), header...), body...)
		_, err := io.Copy(io.Discard, NewReader(bytes.NewReader(in)))
		if err != nil && err.Error() == "" {
			t.Fatal("error without text")
		}
	})
}
