package collectortest

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/furrowdata/furrow/enrich/collector/blockfile"
	"github.com/furrowdata/furrow/enrich/collector/lzop"
)

func TestWriteThriftBlockFileRoundTrip(t *testing.T) {
	recs := [][]byte{[]byte("one"), {}, bytes.Repeat([]byte{7}, 300<<10)}
	for _, lzo := range []bool{false, true} {
		var file bytes.Buffer
		if err := WriteThriftBlockFile(&file, recs, lzo); err != nil {
			t.Fatal(err)
		}
		var r io.Reader = &file
		if lzo {
			if !bytes.HasPrefix(file.Bytes(), []byte(lzop.Magic)) {
				t.Fatal("no lzop container")
			}
			if bin, err := exec.LookPath("lzop"); err == nil {
				cmd := exec.Command(bin, "-t")
				cmd.Stdin = bytes.NewReader(file.Bytes())
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("lzop -t rejects the container: %v %s", err, out)
				}
			} else if os.Getenv("CI") == "true" {
				t.Fatal("lzop not installed")
			}
			r = lzop.NewReader(&file)
		}
		br := blockfile.NewReader(r)
		for i, want := range recs {
			got, err := br.Next()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("lzo=%v record %d: %d bytes, %v", lzo, i, len(got), err)
			}
		}
		if _, err := br.Next(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	}
}

// The serialised record reads back with the thrift library's own reader.
func TestSerializeCollectorPayloadReadsBack(t *testing.T) {
	b, err := SerializeCollectorPayload(CollectorPayload{Schema: CollectorPayloadSchema, Timestamp: 42, Path: "/i", Headers: []string{"a: b"}})
	if err != nil {
		t.Fatal(err)
	}
	buf := thrift.NewTMemoryBuffer()
	buf.Write(b)
	p := thrift.NewTBinaryProtocolConf(buf, &thrift.TConfiguration{})
	ctx := context.Background()
	seen := map[int16]bool{}
	for {
		_, typ, id, err := p.ReadFieldBegin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ == thrift.STOP {
			break
		}
		seen[id] = true
		if err := thrift.SkipDefaultDepth(ctx, p, typ); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int16{200, 320, 350, 31337} {
		if !seen[id] {
			t.Fatalf("field %d not written: %v", id, seen)
		}
	}
	if seen[100] {
		t.Fatal("empty ipAddress written")
	}
}
