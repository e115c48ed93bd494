package shuffle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/klauspost/compress/s2"
)

// blockHeaderLen is the fixed header of an encoded block:
// magic (2) | record count (4) | raw length (4) | CRC-32C of the payload (4).
const blockHeaderLen = 14

var blockMagic = [2]byte{'f', 'b'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptBlock is wrapped by every block decoding failure.
var ErrCorruptBlock = errors.New("shuffle: corrupt block")

// appendRecord appends one length-prefixed record to a raw block buffer.
func appendRecord(raw, rec []byte) []byte {
	raw = binary.AppendUvarint(raw, uint64(len(rec)))
	return append(raw, rec...)
}

// EncodeBlock compresses a raw buffer of n length-prefixed records into dst
// and returns the encoded block.
func EncodeBlock(dst, raw []byte, n int) []byte {
	start := len(dst)
	// Grow without zeroing: s2.Encode writes the whole destination it uses.
	dst = slices.Grow(dst, blockHeaderLen+s2.MaxEncodedLen(len(raw)))
	dst = dst[:start+blockHeaderLen+s2.MaxEncodedLen(len(raw))]
	enc := s2.Encode(dst[start+blockHeaderLen:], raw)
	dst = dst[:start+blockHeaderLen+len(enc)]
	h := dst[start:]
	h[0], h[1] = blockMagic[0], blockMagic[1]
	binary.LittleEndian.PutUint32(h[2:], uint32(n))
	binary.LittleEndian.PutUint32(h[6:], uint32(len(raw)))
	binary.LittleEndian.PutUint32(h[10:], crc32.Checksum(enc, castagnoli))
	return dst
}

// BlockLen returns the record count of an encoded block without decoding it.
func BlockLen(block []byte) (int, error) {
	if len(block) < blockHeaderLen || block[0] != blockMagic[0] || block[1] != blockMagic[1] {
		return 0, fmt.Errorf("%w: bad header", ErrCorruptBlock)
	}
	return int(binary.LittleEndian.Uint32(block[2:])), nil
}

// DecodeBlock verifies and decompresses an encoded block into scratch (grown
// as needed) and calls fn for each record. The record slices alias scratch
// and are valid only during the call. It returns the grown scratch.
func DecodeBlock(block, scratch []byte, fn func(rec []byte) error) ([]byte, error) {
	if len(block) < blockHeaderLen || block[0] != blockMagic[0] || block[1] != blockMagic[1] {
		return scratch, fmt.Errorf("%w: bad header", ErrCorruptBlock)
	}
	n := int(binary.LittleEndian.Uint32(block[2:]))
	rawLen := int(binary.LittleEndian.Uint32(block[6:]))
	sum := binary.LittleEndian.Uint32(block[10:])
	payload := block[blockHeaderLen:]
	if crc32.Checksum(payload, castagnoli) != sum {
		return scratch, fmt.Errorf("%w: checksum mismatch", ErrCorruptBlock)
	}
	if dl, err := s2.DecodedLen(payload); err != nil || dl != rawLen {
		return scratch, fmt.Errorf("%w: length mismatch", ErrCorruptBlock)
	}
	if cap(scratch) < rawLen {
		scratch = make([]byte, rawLen)
	}
	raw, err := s2.Decode(scratch[:rawLen], payload)
	if err != nil {
		return scratch, fmt.Errorf("%w: %v", ErrCorruptBlock, err)
	}
	for i := 0; i < n; i++ {
		l, k := binary.Uvarint(raw)
		if k <= 0 || uint64(len(raw)-k) < l {
			return scratch, fmt.Errorf("%w: record %d of %d truncated", ErrCorruptBlock, i+1, n)
		}
		if err := fn(raw[k : k+int(l)]); err != nil {
			return scratch, err
		}
		raw = raw[k+int(l):]
	}
	if len(raw) != 0 {
		return scratch, fmt.Errorf("%w: %d trailing bytes", ErrCorruptBlock, len(raw))
	}
	return scratch, nil
}
