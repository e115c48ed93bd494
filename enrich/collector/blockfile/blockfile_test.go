package blockfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"google.golang.org/protobuf/encoding/protowire"
)

func write(t testing.TB, records [][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b, "com.example.Record")
	for _, r := range records {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readAll(r io.Reader) ([][]byte, error) {
	br := NewReader(r)
	var out [][]byte
	for {
		rec, err := br.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, append([]byte(nil), rec...))
	}
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 99, 100, 101, 250} {
		var recs [][]byte
		for i := range n {
			recs = append(recs, []byte(fmt.Sprintf("record %d %s", i, bytes.Repeat([]byte{byte(i)}, i))))
		}
		if n > 2 {
			recs[1] = []byte{} // empty records are returned, not skipped
		}
		got, err := readAll(iotest.OneByteReader(bytes.NewReader(write(t, recs))))
		if err != nil {
			t.Fatalf("%d records: %v", n, err)
		}
		if len(got) != len(recs) {
			t.Fatalf("%d records read, want %d", len(got), len(recs))
		}
		for i := range recs {
			if !bytes.Equal(got[i], recs[i]) {
				t.Fatalf("record %d = %q, want %q", i, got[i], recs[i])
			}
		}
	}
}

// A block built by hand as elephant-bird's SerializedBlock.newInstance
// would (version, class name, blobs), plus an unknown field, reads back.
func TestHandBuiltBlock(t *testing.T) {
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.VarintType)
	msg = protowire.AppendVarint(msg, 1)
	msg = protowire.AppendTag(msg, 2, protowire.BytesType)
	msg = protowire.AppendString(msg, "com.snowplowanalytics.snowplow.CollectorPayload.thrift.model1.CollectorPayload")
	msg = protowire.AppendTag(msg, 3, protowire.BytesType)
	msg = protowire.AppendBytes(msg, []byte("first"))
	msg = protowire.AppendTag(msg, 9, protowire.Fixed32Type)
	msg = protowire.AppendFixed32(msg, 7)
	msg = protowire.AppendTag(msg, 3, protowire.BytesType)
	msg = protowire.AppendBytes(msg, []byte("second"))
	file := append([]byte(Marker), binary.LittleEndian.AppendUint32(nil, uint32(len(msg)))...)
	file = append(file, msg...)
	got, err := readAll(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0]) != "first" || string(got[1]) != "second" {
		t.Fatalf("got %q", got)
	}
}

func TestCorruptFiles(t *testing.T) {
	good := write(t, [][]byte{[]byte("a"), []byte("bb")})
	for _, tc := range []struct {
		name  string
		input []byte
		text  string
	}{
		{"garbage before the marker", append([]byte("x"), good...), "offset 0: no block marker"},
		{"garbage after a block", append(append([]byte(nil), good...), "trailing"...), "no block marker"},
		{"truncated marker", good[:10], "truncated block header"},
		{"truncated size", good[:len(Marker)+2], "truncated block header"},
		{"truncated block", good[:len(good)-1], "block of"},
		{"negative size", append([]byte(Marker), 0xff, 0xff, 0xff, 0xff), "out of range"},
		{"malformed protobuf", append([]byte(Marker), 2, 0, 0, 0, 0x1a, 0x05), "SerializedBlock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(bytes.NewReader(tc.input))
			if !errors.Is(err, ErrFormat) || !bytes.Contains([]byte(err.Error()), []byte(tc.text)) {
				t.Fatalf("error %v, want ErrFormat containing %q", err, tc.text)
			}
		})
	}
}

// FuzzReader: arbitrary bytes never panic; every record of a well-formed
// file comes back, in order.
func FuzzReader(f *testing.F) {
	f.Add(write(f, [][]byte{[]byte("abc"), {}}), []byte("x"), []byte("yz"))
	f.Add([]byte(Marker), []byte{}, []byte{0})
	f.Fuzz(func(t *testing.T, raw, r1, r2 []byte) {
		_, _ = readAll(bytes.NewReader(raw))
		recs := [][]byte{r1, r2, r1}
		got, err := readAll(bytes.NewReader(write(t, recs)))
		if err != nil || len(got) != len(recs) {
			t.Fatalf("round trip: %d records, %v", len(got), err)
		}
		for i := range recs {
			if !bytes.Equal(got[i], recs[i]) {
				t.Fatalf("record %d differs", i)
			}
		}
	})
}
