// Package blockfile reads and writes elephant-bird's binary block format,
// the layout of the Thrift files Snowplow's S3 loader and the peer's
// LzoThriftBlockOutputFormat wrote: repeated
//
//	16-byte sync marker | block size, 4 bytes little-endian | SerializedBlock
//
// where SerializedBlock is the protobuf message {1: int32 version,
// 2: string proto_class_name, 3: repeated bytes proto_blobs}; each blob is
// one record (for Snowplow, one Thrift object serialised with
// TBinaryProtocol). The stream is usually inside an lzop container; this
// package sees the decompressed bytes.
//
// The reader is stricter than elephant-bird's, which skipped forward to the
// next sync marker over any unreadable bytes: here bytes that are not a
// marker where a marker must be, a truncated block or a malformed
// SerializedBlock are errors naming the byte offset, so that nothing is
// lost silently. Empty blobs are returned (elephant-bird skipped them); the
// caller decides what an empty record means.
package blockfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// Marker is elephant-bird's Protobufs.KNOWN_GOOD_POSITION_MARKER, written
// before every block.
const Marker = "\x29\xd8\xd5\x06\x58\xcd\x4c\x29\xb2\xbc\x57\x99\x21\x71\xbd\xff"

// MaxBlockSize bounds the size of one serialised block this package reads:
// 64 MiB. A larger size is reported as an error rather than allocated.
const MaxBlockSize = 64 << 20

// ErrFormat is wrapped by every error about malformed block data; the
// wrapping error names the byte offset.
var ErrFormat = errors.New("blockfile: invalid data")

// Reader returns the records of a block file one by one. It is not safe for
// concurrent use.
type Reader struct {
	r     *bufio.Reader
	off   int64
	block []byte
	blobs [][]byte
	next  int
	err   error
}

// NewReader returns a Reader over r (decompressed block-file bytes).
func NewReader(r io.Reader) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Reader{r: br}
}

// Next returns the next record. The slice is valid only until the next call
// to Next. At the end of the stream it returns io.EOF.
func (b *Reader) Next() ([]byte, error) {
	for b.next >= len(b.blobs) {
		if b.err != nil {
			return nil, b.err
		}
		b.err = b.readBlock()
	}
	rec := b.blobs[b.next]
	b.next++
	return rec, nil
}

// Offset is the number of decompressed bytes consumed so far.
func (b *Reader) Offset() int64 { return b.off }

func (b *Reader) readBlock() error {
	start := b.off
	var head [len(Marker) + 4]byte
	n, err := io.ReadFull(b.r, head[:])
	b.off += int64(n)
	switch {
	case err == io.EOF:
		return io.EOF
	case err == io.ErrUnexpectedEOF:
		if string(head[:min(n, len(Marker))]) != Marker[:min(n, len(Marker))] {
			return fmt.Errorf("%w: offset %d: no block marker (%d trailing bytes)", ErrFormat, start, n)
		}
		return fmt.Errorf("%w: offset %d: truncated block header: %w", ErrFormat, start, io.ErrUnexpectedEOF)
	case err != nil:
		return fmt.Errorf("blockfile: reading at offset %d: %w", start, err)
	}
	if string(head[:len(Marker)]) != Marker {
		return fmt.Errorf("%w: offset %d: no block marker", ErrFormat, start)
	}
	size := int32(binary.LittleEndian.Uint32(head[len(Marker):]))
	if size < 0 || size > MaxBlockSize {
		return fmt.Errorf("%w: offset %d: block size %d out of range [0,%d]", ErrFormat, start, size, MaxBlockSize)
	}
	if cap(b.block) < int(size) {
		b.block = make([]byte, size)
	}
	b.block = b.block[:size]
	n, err = io.ReadFull(b.r, b.block)
	b.off += int64(n)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: offset %d: block of %d bytes: %w", ErrFormat, start, size, err)
	}
	blobs, err := parseSerializedBlock(b.block, b.blobs[:0])
	if err != nil {
		return fmt.Errorf("%w: offset %d: SerializedBlock: %v", ErrFormat, start, err)
	}
	b.blobs, b.next = blobs, 0
	return nil
}

// parseSerializedBlock appends the proto_blobs of a SerializedBlock to
// blobs. Other fields, known or unknown, are checked for well-formedness and
// skipped, as protobuf-java does.
func parseSerializedBlock(msg []byte, blobs [][]byte) ([][]byte, error) {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return blobs, protowire.ParseError(n)
		}
		msg = msg[n:]
		if num == 3 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return blobs, protowire.ParseError(n)
			}
			blobs = append(blobs, v)
			msg = msg[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, msg)
		if n < 0 {
			return blobs, protowire.ParseError(n)
		}
		msg = msg[n:]
	}
	return blobs, nil
}

// DefaultRecordsPerBlock is how many records a Writer puts in one block,
// elephant-bird's default.
const DefaultRecordsPerBlock = 100

// Writer writes records as a block file. It is not safe for concurrent use.
type Writer struct {
	w         io.Writer
	className string
	pending   [][]byte
	err       error
}

// NewWriter returns a Writer that labels its blocks with className (the
// SerializedBlock proto_class_name, e.g. the Thrift class of the records).
// Close must be called to write the last block; it does not close w.
func NewWriter(w io.Writer, className string) *Writer {
	return &Writer{w: w, className: className}
}

// Write adds one record. The record is copied.
func (b *Writer) Write(record []byte) error {
	if b.err != nil {
		return b.err
	}
	b.pending = append(b.pending, append([]byte(nil), record...))
	if len(b.pending) >= DefaultRecordsPerBlock {
		b.flush()
	}
	return b.err
}

func (b *Writer) flush() {
	if b.err != nil || len(b.pending) == 0 {
		return
	}
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.VarintType)
	msg = protowire.AppendVarint(msg, 1)
	msg = protowire.AppendTag(msg, 2, protowire.BytesType)
	msg = protowire.AppendString(msg, b.className)
	for _, p := range b.pending {
		msg = protowire.AppendTag(msg, 3, protowire.BytesType)
		msg = protowire.AppendBytes(msg, p)
	}
	out := make([]byte, 0, len(Marker)+4+len(msg))
	out = append(out, Marker...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(msg)))
	out = append(out, msg...)
	_, b.err = b.w.Write(out)
	b.pending = b.pending[:0]
}

// Close writes the pending records as a last block.
func (b *Writer) Close() error {
	b.flush()
	return b.err
}
