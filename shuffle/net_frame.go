package shuffle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"unicode/utf8"
)

// Wire constants of the network shuffle protocol (see net_doc.go).
const (
	// protocolVersion is the version sent in HELLO; a peer speaking another
	// version is refused.
	protocolVersion = 1
	// frameHeaderLen is magic (2) | type (1) | flags (1) | stream (4) |
	// payload length (4) | CRC-32C (4).
	frameHeaderLen = 16
	// handshakeMaxPayload bounds frames read before the handshake completed,
	// so a stranger cannot make the server allocate.
	handshakeMaxPayload = 64
	// controlMaxPayload bounds every frame but DATA.
	controlMaxPayload = 1 << 20
	// messageMax bounds RESET and ERROR messages.
	messageMax = 4 << 10
	// jobIDMax bounds the job id carried by OPEN.
	jobIDMax = 1024
	// commitEntryLen is partition (4) | blocks (4) | records (8).
	commitEntryLen = 16
)

var frameMagic = [2]byte{'f', 's'}

// frameType is the type byte of a frame.
type frameType uint8

const (
	frameHello     frameType = 1 + iota // c→s, stream 0: version, keep-alive
	frameHelloAck                       // s→c, stream 0: version, window, limits
	frameOpen                           // c→s: job, task, attempt, partitions
	frameData                           // c→s: partition, encoded block
	frameCommit                         // c→s: per-partition block and record counts
	frameAbort                          // c→s: drop the attempt
	frameCredit                         // s→c, stream 0: bytes of DATA payload stored
	frameCommitted                      // s→c: the attempt is stored and sealed
	frameReset                          // s→c: the stream is refused or dropped, message
	framePing                           // c→s, stream 0: 8 opaque bytes
	framePong                           // s→c, stream 0: the ping's bytes
	frameError                          // either way, stream 0: fatal, message; then close
	frameTypeEnd
)

func (t frameType) String() string {
	switch t {
	case frameHello:
		return "HELLO"
	case frameHelloAck:
		return "HELLO_ACK"
	case frameOpen:
		return "OPEN"
	case frameData:
		return "DATA"
	case frameCommit:
		return "COMMIT"
	case frameAbort:
		return "ABORT"
	case frameCredit:
		return "CREDIT"
	case frameCommitted:
		return "COMMITTED"
	case frameReset:
		return "RESET"
	case framePing:
		return "PING"
	case framePong:
		return "PONG"
	case frameError:
		return "ERROR"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// ErrCorruptFrame is wrapped by every failure to decode a frame or its
// payload: bad magic, reserved bits set, unknown type, oversized length,
// checksum mismatch, malformed payload.
var ErrCorruptFrame = errors.New("shuffle: corrupt frame")

// ErrProtocol is wrapped when a well-formed frame breaks the protocol: wrong
// version, a frame out of sequence, credit or stream limits exceeded.
var ErrProtocol = errors.New("shuffle: protocol violation")

// beginFrame appends a frame header whose length and checksum endFrame fills.
func beginFrame(dst []byte, t frameType, stream uint32) []byte {
	var h [frameHeaderLen]byte
	h[0], h[1] = frameMagic[0], frameMagic[1]
	h[2] = byte(t)
	binary.LittleEndian.PutUint32(h[4:], stream)
	return append(dst, h[:]...)
}

// endFrame completes the frame that starts at buf[start:] and runs to the end
// of buf: payload length and CRC-32C of the header's first 12 bytes followed
// by the payload.
func endFrame(buf []byte, start int) []byte {
	f := buf[start:]
	binary.LittleEndian.PutUint32(f[8:], uint32(len(f)-frameHeaderLen))
	binary.LittleEndian.PutUint32(f[12:], frameChecksum(f[:12], f[frameHeaderLen:]))
	return buf
}

func frameChecksum(head, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, payload)
}

// appendFrame appends a complete frame.
func appendFrame(dst []byte, t frameType, stream uint32, payload []byte) []byte {
	start := len(dst)
	dst = beginFrame(dst, t, stream)
	dst = append(dst, payload...)
	return endFrame(dst, start)
}

// frame is one decoded frame.
type frame struct {
	typ     frameType
	stream  uint32
	payload []byte
}

// frameReader decodes frames from r. DATA payloads are freshly allocated and
// owned by the caller; other payloads alias a buffer reused by the next call.
type frameReader struct {
	r       io.Reader
	maxData int // largest DATA payload accepted
	maxCtl  int // largest payload of other frames
	hdr     [frameHeaderLen]byte
	ctl     []byte
}

// next reads one frame. io.EOF is returned only at a clean frame boundary;
// a frame cut short yields io.ErrUnexpectedEOF.
func (fr *frameReader) next() (frame, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return frame{}, err
	}
	h := fr.hdr[:]
	if h[0] != frameMagic[0] || h[1] != frameMagic[1] {
		return frame{}, fmt.Errorf("%w: bad magic %#02x%02x", ErrCorruptFrame, h[0], h[1])
	}
	t := frameType(h[2])
	if t == 0 || t >= frameTypeEnd {
		return frame{}, fmt.Errorf("%w: unknown frame type %d", ErrCorruptFrame, h[2])
	}
	if h[3] != 0 {
		return frame{}, fmt.Errorf("%w: reserved flags %#02x set", ErrCorruptFrame, h[3])
	}
	stream := binary.LittleEndian.Uint32(h[4:])
	n := binary.LittleEndian.Uint32(h[8:])
	limit := fr.maxCtl
	if t == frameData {
		limit = fr.maxData
	}
	if uint64(n) > uint64(limit) {
		return frame{}, fmt.Errorf("%w: %s payload of %d bytes exceeds %d", ErrCorruptFrame, t, n, limit)
	}
	var payload []byte
	if t == frameData {
		payload = make([]byte, n)
	} else {
		if cap(fr.ctl) < int(n) {
			fr.ctl = make([]byte, n)
		}
		payload = fr.ctl[:n]
	}
	if _, err := io.ReadFull(fr.r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, err
	}
	if got, want := frameChecksum(h[:12], payload), binary.LittleEndian.Uint32(h[12:]); got != want {
		return frame{}, fmt.Errorf("%w: %s frame of stream %d: checksum %08x, header says %08x", ErrCorruptFrame, t, stream, got, want)
	}
	return frame{typ: t, stream: stream, payload: payload}, nil
}

// helloMsg is the payload of HELLO: version (2) | flags (2) | keep-alive
// interval in milliseconds (4).
type helloMsg struct {
	version     uint16
	keepAliveMs uint32
}

func (m helloMsg) append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, m.version)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	return binary.LittleEndian.AppendUint32(dst, m.keepAliveMs)
}

func parseHello(b []byte) (helloMsg, error) {
	// Only the version is read before the length check, so that a newer
	// peer with a longer HELLO still gets a clear version error.
	if len(b) < 2 {
		return helloMsg{}, fmt.Errorf("%w: HELLO of %d bytes", ErrCorruptFrame, len(b))
	}
	m := helloMsg{version: binary.LittleEndian.Uint16(b)}
	if m.version != protocolVersion {
		return m, nil
	}
	if len(b) != 8 {
		return m, fmt.Errorf("%w: HELLO of %d bytes, want 8", ErrCorruptFrame, len(b))
	}
	m.keepAliveMs = binary.LittleEndian.Uint32(b[4:])
	return m, nil
}

// helloAckMsg is the payload of HELLO_ACK: version (2) | flags (2) |
// window (4) | max DATA payload (4) | max live streams (4).
type helloAckMsg struct {
	version    uint16
	window     uint32
	maxFrame   uint32
	maxStreams uint32
}

func (m helloAckMsg) append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, m.version)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, m.window)
	dst = binary.LittleEndian.AppendUint32(dst, m.maxFrame)
	return binary.LittleEndian.AppendUint32(dst, m.maxStreams)
}

func parseHelloAck(b []byte) (helloAckMsg, error) {
	if len(b) < 2 {
		return helloAckMsg{}, fmt.Errorf("%w: HELLO_ACK of %d bytes", ErrCorruptFrame, len(b))
	}
	m := helloAckMsg{version: binary.LittleEndian.Uint16(b)}
	if m.version != protocolVersion {
		return m, nil
	}
	if len(b) != 16 {
		return m, fmt.Errorf("%w: HELLO_ACK of %d bytes, want 16", ErrCorruptFrame, len(b))
	}
	m.window = binary.LittleEndian.Uint32(b[4:])
	m.maxFrame = binary.LittleEndian.Uint32(b[8:])
	m.maxStreams = binary.LittleEndian.Uint32(b[12:])
	if m.window == 0 || m.maxFrame == 0 || m.maxStreams == 0 {
		return m, fmt.Errorf("%w: HELLO_ACK with a zero limit (window %d, max frame %d, max streams %d)",
			ErrCorruptFrame, m.window, m.maxFrame, m.maxStreams)
	}
	return m, nil
}

// openMsg is the payload of OPEN: task (4) | attempt (4) | partitions (4) |
// job id length (2) | job id.
type openMsg struct {
	task, attempt, partitions uint32
	job                       string
}

func (m openMsg) append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, m.task)
	dst = binary.LittleEndian.AppendUint32(dst, m.attempt)
	dst = binary.LittleEndian.AppendUint32(dst, m.partitions)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(m.job)))
	return append(dst, m.job...)
}

func parseOpen(b []byte) (openMsg, error) {
	if len(b) < 14 {
		return openMsg{}, fmt.Errorf("%w: OPEN of %d bytes", ErrCorruptFrame, len(b))
	}
	m := openMsg{
		task:       binary.LittleEndian.Uint32(b),
		attempt:    binary.LittleEndian.Uint32(b[4:]),
		partitions: binary.LittleEndian.Uint32(b[8:]),
	}
	n := int(binary.LittleEndian.Uint16(b[12:]))
	if len(b) != 14+n {
		return openMsg{}, fmt.Errorf("%w: OPEN job id of %d bytes in a %d-byte payload", ErrCorruptFrame, n, len(b))
	}
	switch {
	case n == 0 || n > jobIDMax:
		return openMsg{}, fmt.Errorf("%w: OPEN job id of %d bytes, want 1..%d", ErrCorruptFrame, n, jobIDMax)
	case m.task > maxTaskID || m.attempt > maxTaskID:
		return openMsg{}, fmt.Errorf("%w: OPEN task %d attempt %d out of range", ErrCorruptFrame, m.task, m.attempt)
	case m.partitions == 0 || m.partitions > maxTaskID:
		return openMsg{}, fmt.Errorf("%w: OPEN with %d partitions", ErrCorruptFrame, m.partitions)
	}
	m.job = string(b[14:])
	return m, nil
}

// maxTaskID bounds task numbers, attempt numbers and partition counts so
// they fit an int on every platform.
const maxTaskID = 1<<31 - 1

// commitEntry is one partition's totals in COMMIT.
type commitEntry struct {
	partition uint32
	blocks    uint32
	records   uint64
}

func appendCommit(dst []byte, entries []commitEntry) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(entries)))
	for _, e := range entries {
		dst = binary.LittleEndian.AppendUint32(dst, e.partition)
		dst = binary.LittleEndian.AppendUint32(dst, e.blocks)
		dst = binary.LittleEndian.AppendUint64(dst, e.records)
	}
	return dst
}

// parseCommit decodes COMMIT: count (4) | count × entry, partitions strictly
// ascending.
func parseCommit(b []byte) ([]commitEntry, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: COMMIT of %d bytes", ErrCorruptFrame, len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if uint64(len(b)-4) != uint64(n)*commitEntryLen {
		return nil, fmt.Errorf("%w: COMMIT of %d entries in a %d-byte payload", ErrCorruptFrame, n, len(b))
	}
	out := make([]commitEntry, n)
	for i := range out {
		e := b[4+i*commitEntryLen:]
		out[i] = commitEntry{
			partition: binary.LittleEndian.Uint32(e),
			blocks:    binary.LittleEndian.Uint32(e[4:]),
			records:   binary.LittleEndian.Uint64(e[8:]),
		}
		if i > 0 && out[i].partition <= out[i-1].partition {
			return nil, fmt.Errorf("%w: COMMIT partitions not ascending (%d after %d)", ErrCorruptFrame, out[i].partition, out[i-1].partition)
		}
	}
	return out, nil
}

// parseData splits a DATA payload: partition (4) | encoded block.
func parseData(b []byte) (uint32, []byte, error) {
	if len(b) < 4+blockHeaderLen {
		return 0, nil, fmt.Errorf("%w: DATA of %d bytes", ErrCorruptFrame, len(b))
	}
	return binary.LittleEndian.Uint32(b), b[4:], nil
}

func parseCredit(b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%w: CREDIT of %d bytes, want 4", ErrCorruptFrame, len(b))
	}
	n := binary.LittleEndian.Uint32(b)
	if n == 0 {
		return 0, fmt.Errorf("%w: CREDIT of 0 bytes", ErrCorruptFrame)
	}
	return n, nil
}

// messageFrame builds a RESET or ERROR frame; msg is cut to messageMax bytes
// at a rune boundary.
func messageFrame(t frameType, stream uint32, msg string) []byte {
	msg = strings.ToValidUTF8(msg, "?")
	if len(msg) > messageMax {
		msg = msg[:messageMax]
		for len(msg) > 0 && !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return appendFrame(nil, t, stream, []byte(msg))
}

// parseMessage decodes a RESET or ERROR payload.
func parseMessage(b []byte) (string, error) {
	if len(b) > messageMax || !utf8.Valid(b) {
		return "", fmt.Errorf("%w: message of %d bytes is not short UTF-8", ErrCorruptFrame, len(b))
	}
	return string(b), nil
}
