package lzop

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"io"

	lzo "github.com/anchore/go-lzo"
)

// Magic is the 9-byte signature every lzop stream starts with.
const Magic = "\x89LZO\x00\r\n\x1a\n"

// MaxBlockSize is the largest uncompressed block size lzop writes (and this
// reader accepts): 64 MiB. It bounds the memory a Reader holds.
const MaxBlockSize = 64 << 20

// Header flags (lzop's F_*), as far as this package looks at them.
const (
	flagAdler32D    = 0x0001
	flagAdler32C    = 0x0002
	flagExtraField  = 0x0040
	flagCRC32D      = 0x0100
	flagCRC32C      = 0x0200
	flagFilter      = 0x0800
	flagHeaderCRC32 = 0x1000
)

// version this package writes and the newest version_needed_to_extract it
// reads (lzop 1.04).
const (
	writeVersion = 0x1040
	maxNeeded    = 0x1040
)

// ErrFormat is wrapped by every error about malformed or unsupported lzop
// data; the wrapping error names the byte offset in the compressed stream.
var ErrFormat = errors.New("lzop: invalid data")

// Reader decompresses an lzop stream. It is not safe for concurrent use.
type Reader struct {
	r      *bufio.Reader
	off    int64 // bytes consumed from r
	state  int
	flags  uint32
	method byte
	out    []byte // decompressed block
	pos    int    // read position in out
	src    []byte // compressed scratch
	err    error
}

const (
	stateHeader = iota // expecting the magic and a header
	stateBlocks        // inside a member, expecting a block
	stateEnd           // after an end-of-stream marker
)

// NewReader returns a Reader decompressing r. The header is read by the
// first call to Read.
func NewReader(r io.Reader) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Reader{r: br}
}

// Read implements io.Reader. It returns io.EOF after the end-of-stream
// marker of the last member; a stream that ends before its marker is an
// error wrapping io.ErrUnexpectedEOF.
func (z *Reader) Read(p []byte) (int, error) {
	for z.pos >= len(z.out) {
		if z.err != nil {
			return 0, z.err
		}
		z.err = z.next()
	}
	n := copy(p, z.out[z.pos:])
	z.pos += n
	return n, nil
}

// next advances to the next non-empty block (reading headers and markers on
// the way) or returns the terminal error.
func (z *Reader) next() error {
	for {
		switch z.state {
		case stateHeader:
			if err := z.readHeader(); err != nil {
				return err
			}
			z.state = stateBlocks
		case stateBlocks:
			done, err := z.readBlock()
			if err != nil {
				return err
			}
			if done {
				z.state = stateEnd
				continue
			}
			return nil
		case stateEnd:
			// Another member may follow (concatenated .lzo files); anything
			// else after the end-of-stream marker is an error.
			b, err := z.r.Peek(1)
			if len(b) == 0 {
				if err == io.EOF {
					return io.EOF
				}
				return fmt.Errorf("lzop: reading at offset %d: %w", z.off, err)
			}
			z.state = stateHeader
		}
	}
}

func (z *Reader) formatErr(off int64, format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", ErrFormat, off, fmt.Sprintf(format, args...))
}

// readFull reads exactly len(b) bytes, counting the offset.
func (z *Reader) readFull(b []byte) error {
	n, err := io.ReadFull(z.r, b)
	z.off += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("lzop: truncated stream at offset %d: %w", z.off, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return fmt.Errorf("lzop: reading at offset %d: %w", z.off, err)
	}
	return nil
}

func (z *Reader) readHeader() error {
	start := z.off
	var m [len(Magic)]byte
	if err := z.readFull(m[:]); err != nil {
		return err
	}
	if string(m[:]) != Magic {
		if start == 0 {
			return z.formatErr(start, "not an lzop stream (bad magic)")
		}
		return z.formatErr(start, "trailing data after end-of-stream marker")
	}
	// The header checksum covers everything from the version to the name.
	var hdr [2 + 2 + 2 + 1 + 1 + 4 + 4 + 4 + 4 + 4 + 1 + 255]byte
	h := hdr[:0]
	read := func(n int) ([]byte, error) {
		b := h[len(h) : len(h)+n]
		if err := z.readFull(b); err != nil {
			return nil, err
		}
		h = h[:len(h)+n]
		return b, nil
	}
	b, err := read(4)
	if err != nil {
		return err
	}
	version := binary.BigEndian.Uint16(b)
	if version < 0x0900 {
		return z.formatErr(start, "unsupported lzop version %#x", version)
	}
	if version >= 0x0940 {
		if b, err = read(2); err != nil {
			return err
		}
		if needed := binary.BigEndian.Uint16(b); needed > maxNeeded || needed < 0x0900 {
			return z.formatErr(start, "unsupported version needed to extract %#x", needed)
		}
	}
	if b, err = read(1); err != nil {
		return err
	}
	method := b[0]
	if version >= 0x0940 {
		if _, err = read(1); err != nil { // level
			return err
		}
	}
	if b, err = read(4); err != nil {
		return err
	}
	flags := binary.BigEndian.Uint32(b)
	if flags&flagFilter != 0 {
		return z.formatErr(start, "filters are not supported")
	}
	n := 8 // mode, mtime_low
	if version >= 0x0940 {
		n += 4 // mtime_high
	}
	if _, err = read(n); err != nil {
		return err
	}
	if b, err = read(1); err != nil {
		return err
	}
	if _, err = read(int(b[0])); err != nil { // file name
		return err
	}
	var sum [4]byte
	if err := z.readFull(sum[:]); err != nil {
		return err
	}
	want := binary.BigEndian.Uint32(sum[:])
	if got := checksum(flags&flagHeaderCRC32 != 0, h); got != want {
		return z.formatErr(start, "header checksum mismatch (%#08x, want %#08x)", got, want)
	}
	if flags&flagExtraField != 0 {
		var lb [4]byte
		if err := z.readFull(lb[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(lb[:])
		if n > MaxBlockSize {
			return z.formatErr(start, "extra field of %d bytes", n)
		}
		extra := make([]byte, 4+n)
		copy(extra, lb[:])
		if err := z.readFull(extra[4:]); err != nil {
			return err
		}
		if err := z.readFull(sum[:]); err != nil {
			return err
		}
		if got := checksum(flags&flagHeaderCRC32 != 0, extra); got != binary.BigEndian.Uint32(sum[:]) {
			return z.formatErr(start, "extra field checksum mismatch")
		}
	}
	switch method {
	case 1, 2, 3: // M_LZO1X_1, M_LZO1X_1_15, M_LZO1X_999: all LZO1X
	default:
		return z.formatErr(start, "unsupported compression method %d", method)
	}
	z.flags, z.method = flags, method
	return nil
}

func checksum(crc bool, b []byte) uint32 {
	if crc {
		return crc32.ChecksumIEEE(b)
	}
	return adler32.Checksum(b)
}

// readBlock reads one block into z.out. done reports the end-of-stream
// marker.
func (z *Reader) readBlock() (done bool, err error) {
	start := z.off
	var b [4]byte
	if err := z.readFull(b[:]); err != nil {
		return false, fmt.Errorf("lzop: missing end-of-stream marker: %w", err)
	}
	dstLen := binary.BigEndian.Uint32(b[:])
	if dstLen == 0 {
		return true, nil
	}
	if dstLen > MaxBlockSize {
		return false, z.formatErr(start, "block of %d bytes exceeds %d", dstLen, MaxBlockSize)
	}
	if err := z.readFull(b[:]); err != nil {
		return false, err
	}
	srcLen := binary.BigEndian.Uint32(b[:])
	if srcLen == 0 || srcLen > dstLen {
		return false, z.formatErr(start, "corrupt block sizes (compressed %d, uncompressed %d)", srcLen, dstLen)
	}
	var dAdler, dCRC, cAdler, cCRC uint32
	readSum := func() (uint32, error) {
		if err := z.readFull(b[:]); err != nil {
			return 0, err
		}
		return binary.BigEndian.Uint32(b[:]), nil
	}
	if z.flags&flagAdler32D != 0 {
		if dAdler, err = readSum(); err != nil {
			return false, err
		}
	}
	if z.flags&flagCRC32D != 0 {
		if dCRC, err = readSum(); err != nil {
			return false, err
		}
	}
	compressed := srcLen < dstLen
	if compressed && z.flags&flagAdler32C != 0 {
		if cAdler, err = readSum(); err != nil {
			return false, err
		}
	}
	if compressed && z.flags&flagCRC32C != 0 {
		if cCRC, err = readSum(); err != nil {
			return false, err
		}
	}
	if cap(z.src) < int(srcLen) {
		z.src = make([]byte, srcLen)
	}
	src := z.src[:srcLen]
	if err := z.readFull(src); err != nil {
		return false, err
	}
	if compressed {
		if z.flags&flagAdler32C != 0 && adler32.Checksum(src) != cAdler {
			return false, z.formatErr(start, "compressed data adler32 mismatch")
		}
		if z.flags&flagCRC32C != 0 && crc32.ChecksumIEEE(src) != cCRC {
			return false, z.formatErr(start, "compressed data crc32 mismatch")
		}
		if cap(z.out) < int(dstLen) {
			z.out = make([]byte, dstLen)
		}
		z.out = z.out[:dstLen]
		n, err := decompress(src, z.out)
		if err != nil {
			return false, z.formatErr(start, "lzo1x: %v", err)
		}
		if n != int(dstLen) {
			return false, z.formatErr(start, "block decompressed to %d bytes, header says %d", n, dstLen)
		}
	} else {
		// Stored block: hand out the bytes read. Swap the buffers so that
		// the next compressed block does not overwrite what is being read.
		z.src, z.out = z.out, src
	}
	if z.flags&flagAdler32D != 0 && adler32.Checksum(z.out) != dAdler {
		return false, z.formatErr(start, "uncompressed data adler32 mismatch")
	}
	if z.flags&flagCRC32D != 0 && crc32.ChecksumIEEE(z.out) != dCRC {
		return false, z.formatErr(start, "uncompressed data crc32 mismatch")
	}
	z.pos = 0
	return false, nil
}

// decompress runs LZO1X decompression, turning a panic of the decoder on
// hostile input into an error.
func decompress(src, dst []byte) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("decoder failure: %v", p)
		}
	}()
	return lzo.Decompress(src, dst)
}

// DefaultWriteBlockSize is the block size a Writer uses: 256 KiB, lzop's
// default.
const DefaultWriteBlockSize = 256 << 10

// Writer writes an lzop stream whose blocks are all stored uncompressed
// (with adler32 checksums), which lzop, hadoop-lzo and Reader all read.
// It exists to produce test inputs; furrow never writes LZO output.
type Writer struct {
	w       io.Writer
	buf     []byte
	started bool
	closed  bool
	err     error
}

// NewWriter returns a Writer writing to w. Close must be called to write
// the end-of-stream marker; it does not close w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, DefaultWriteBlockSize)}
}

// Write buffers p, writing full blocks as they fill.
func (z *Writer) Write(p []byte) (int, error) {
	if z.closed {
		return 0, errors.New("lzop: write after close")
	}
	n := 0
	for len(p) > 0 && z.err == nil {
		k := copy(z.buf[len(z.buf):cap(z.buf)], p)
		z.buf = z.buf[:len(z.buf)+k]
		p = p[k:]
		n += k
		if len(z.buf) == cap(z.buf) {
			z.flush()
		}
	}
	return n, z.err
}

func (z *Writer) header() {
	if z.started || z.err != nil {
		return
	}
	z.started = true
	h := make([]byte, 0, 64)
	h = binary.BigEndian.AppendUint16(h, writeVersion)
	h = binary.BigEndian.AppendUint16(h, 0x2080) // LZO library version
	h = binary.BigEndian.AppendUint16(h, 0x0940) // version needed to extract
	h = append(h, 1, 5)                          // method LZO1X_1, level 5
	h = binary.BigEndian.AppendUint32(h, flagAdler32D|0x03000000)
	h = binary.BigEndian.AppendUint32(h, 0o100644) // mode
	h = binary.BigEndian.AppendUint32(h, 0)        // mtime low
	h = binary.BigEndian.AppendUint32(h, 0)        // mtime high
	h = append(h, 0)                               // no file name
	out := append([]byte(Magic), h...)
	out = binary.BigEndian.AppendUint32(out, adler32.Checksum(h))
	_, z.err = z.w.Write(out)
}

func (z *Writer) flush() {
	z.header()
	if z.err != nil || len(z.buf) == 0 {
		return
	}
	var hdr [12]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(len(z.buf)))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(z.buf)))
	binary.BigEndian.PutUint32(hdr[8:], adler32.Checksum(z.buf))
	if _, z.err = z.w.Write(hdr[:]); z.err == nil {
		_, z.err = z.w.Write(z.buf)
	}
	z.buf = z.buf[:0]
}

// Close flushes the last block and writes the end-of-stream marker.
func (z *Writer) Close() error {
	if z.closed {
		return z.err
	}
	z.closed = true
	z.flush()
	if z.err == nil {
		_, z.err = z.w.Write([]byte{0, 0, 0, 0})
	}
	return z.err
}
