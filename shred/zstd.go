package shred

import (
	"sync"
	_ "unsafe" // go:linkname

	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// arrow-go v15's zstd codec builds a new zstd.Encoder (megabytes of tables,
// plus goroutines) for every compressed page (zstdCodec.EncodeLevel), which
// made encoder set-up the largest cost of writing Parquet. The codec table is
// not exported, so furrow links to it and replaces the zstd entry with one
// that keeps one encoder per level (zstd.Encoder.EncodeAll is safe for
// concurrent use). Output bytes are those of the same encoder settings.
//
//go:linkname arrowCodecs github.com/apache/arrow/go/v15/parquet/compress.codecs
var arrowCodecs map[compress.Compression]compress.Codec

func init() {
	prev, ok := arrowCodecs[compress.Codecs.Zstd]
	if !ok {
		panic("shred: arrow's zstd codec is not registered")
	}
	arrowCodecs[compress.Codecs.Zstd] = &cachedZstd{Codec: prev}
}

// cachedZstd is arrow's zstd codec with encoders reused across pages.
type cachedZstd struct {
	compress.Codec // decoding, streams and CompressBound stay arrow's

	mu   sync.Mutex
	encs map[zstd.EncoderLevel]*zstd.Encoder
}

func (c *cachedZstd) encoder(level int) *zstd.Encoder {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.encs[l]; e != nil {
		return e
	}
	e, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(l))
	if err != nil {
		panic("shred: zstd encoder with static options: " + err.Error())
	}
	if c.encs == nil {
		c.encs = make(map[zstd.EncoderLevel]*zstd.Encoder)
	}
	c.encs[l] = e
	return e
}

// Encode compresses src at the default level.
func (c *cachedZstd) Encode(dst, src []byte) []byte {
	return c.encoder(compress.DefaultCompressionLevel).EncodeAll(src, dst[:0])
}

// EncodeLevel compresses src at level with a cached encoder.
func (c *cachedZstd) EncodeLevel(dst, src []byte, level int) []byte {
	return c.encoder(level).EncodeAll(src, dst[:0])
}
