package collector

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/furrowdata/furrow/enrich/collector/lzop"
)

// Codec names returned by Decompress.
const (
	CodecNone = "none"
	CodecGzip = "gzip"
	CodecZstd = "zstd"
	CodecLzop = "lzop"
)

// maxZstdWindow bounds the memory of a zstd stream: 128 MiB, the largest
// window the zstd tool decompresses without --memory.
const maxZstdWindow = 128 << 20

// Decompress sniffs the magic bytes of r and returns a reader of the
// decompressed stream with the codec's name: gzip (1f 8b; concatenated
// members are read in turn, as Hadoop's GzipCodec did), zstd (28 b5 2f fd,
// or a skippable frame), lzop (Hadoop LZO, 89 'LZO' …) or none (the stream
// as is). The extension of the file does not matter. A corrupt header is an
// error here; corrupt data is an error from Read. The returned reader
// releases its resources at the end of the stream or on an error; a caller
// abandoning a stream early may call Close if it implements io.Closer.
func Decompress(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(lzop.Magic))
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", fmt.Errorf("sniffing compression: %w", err)
	}
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("opening gzip stream: %w", err)
		}
		return zr, CodecGzip, nil
	case len(head) >= 4 && (string(head[:4]) == "\x28\xb5\x2f\xfd" ||
		(head[0]&0xf0 == 0x50 && string(head[1:4]) == "\x2a\x4d\x18")):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, "", fmt.Errorf("opening zstd stream: %w", err)
		}
		return &zstdStream{d: zr}, CodecZstd, nil
	case len(head) == len(lzop.Magic) && string(head) == lzop.Magic:
		return lzop.NewReader(br), CodecLzop, nil
	}
	return br, CodecNone, nil
}

// zstdStream closes its decoder at the end of the stream or on error.
type zstdStream struct {
	d   *zstd.Decoder
	err error
}

func (z *zstdStream) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.d.Read(p)
	if err != nil {
		z.d.Close()
		if err != io.EOF {
			err = fmt.Errorf("zstd: %w", err)
		}
		z.err = err
	}
	return n, err
}

// Close releases the decoder; reading after Close returns an error.
func (z *zstdStream) Close() error {
	if z.err == nil {
		z.d.Close()
		z.err = errors.New("zstd: read after close")
	}
	return nil
}
