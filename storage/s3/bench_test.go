package s3_test

import (
	"context"
	"io"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/local"
	"github.com/furrowdata/furrow/storage/s3"
)

// BenchmarkThroughput measures streaming write (Create, 1 MiB Writes, Close)
// and whole-object read (OpenRange + io.Copy) of a 64 MiB random object,
// against a local MinIO with the default part size and concurrency
// (multipart, SSE-S3 as furrow writes on EMR) and against storage/local on
// the same data, so one run reports both in MB/s:
//
//	go test ./storage/s3 -run '^$' -bench Throughput -benchtime 5x -count 3
func BenchmarkThroughput(b *testing.B) {
	const size = 64 << 20
	m := testservers.StartMinIO(b)
	m.CreateBucket(b, "bench")
	s3store := newStore(b, m, "bench", "tp", s3.Config{SSE: s3.SSEAES256})
	plain := newStore(b, m, "bench", "plain", s3.Config{})
	loc, err := local.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := randomBytes(b, size)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		st   storage.Store
	}{{"s3-sse", s3store}, {"s3", plain}, {"local", loc}} {
		b.Run(c.name+"/write", func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w, err := c.st.Create(ctx, "obj")
				if err != nil {
					b.Fatal(err)
				}
				for off := 0; off < size; off += 1 << 20 {
					if _, err := w.Write(data[off : off+1<<20]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
		if err := storage.WriteAll(ctx, c.st, "obj", data); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/read", func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			buf := make([]byte, 1<<20)
			for i := 0; i < b.N; i++ {
				r, err := c.st.OpenRange(ctx, "obj", 0, -1)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
				r.Close()
				if err != nil || n != size {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
