package shuffle

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func sampleFrames() [][]byte {
	block := EncodeBlock(nil, appendRecord(appendRecord(nil, []byte("a\tb")), []byte("c")), 2)
	return [][]byte{
		appendFrame(nil, frameHello, 0, helloMsg{version: protocolVersion, keepAliveMs: 10000}.append(nil)),
		appendFrame(nil, frameHelloAck, 0, helloAckMsg{version: protocolVersion, window: 1 << 20, maxFrame: 1 << 20, maxStreams: 64}.append(nil)),
		appendFrame(nil, frameOpen, 7, openMsg{task: 3, attempt: 1, partitions: 16, job: "run=2024-03-01"}.append(nil)),
		appendFrame(nil, frameData, 7, append([]byte{5, 0, 0, 0}, block...)),
		appendFrame(nil, frameCommit, 7, appendCommit(nil, []commitEntry{{0, 0, 0}, {5, 1, 2}})),
		appendFrame(nil, frameAbort, 7, openMsg{task: 3, attempt: 1, partitions: 16, job: "run=2024-03-01"}.append(nil)),
		appendFrame(nil, frameCredit, 0, []byte{0, 16, 0, 0}),
		appendFrame(nil, frameCommitted, 7, nil),
		messageFrame(frameReset, 7, "refused"),
		appendFrame(nil, framePing, 0, []byte("12345678")),
		appendFrame(nil, framePong, 0, []byte("12345678")),
		messageFrame(frameError, 0, "bye"),
	}
}

// checkPayload decodes a frame's payload by type.
func checkPayload(f frame) error {
	var err error
	switch f.typ {
	case frameHello:
		_, err = parseHello(f.payload)
	case frameHelloAck:
		_, err = parseHelloAck(f.payload)
	case frameOpen, frameAbort:
		_, err = parseOpen(f.payload)
	case frameData:
		_, _, err = parseData(f.payload)
	case frameCommit:
		_, err = parseCommit(f.payload)
	case frameCredit:
		_, err = parseCredit(f.payload)
	case frameReset, frameError:
		_, err = parseMessage(f.payload)
	}
	return err
}

func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	for _, f := range sampleFrames() {
		stream = append(stream, f...)
	}
	fr := frameReader{r: bytes.NewReader(stream), maxData: 1 << 20, maxCtl: 1 << 20}
	for i, want := range sampleFrames() {
		f, err := fr.next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if err := checkPayload(f); err != nil {
			t.Fatalf("frame %d (%s): %v", i, f.typ, err)
		}
		if got := appendFrame(nil, f.typ, f.stream, f.payload); !bytes.Equal(got, want) {
			t.Fatalf("frame %d (%s) re-encodes differently", i, f.typ)
		}
	}
	if _, err := fr.next(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
	m, _ := parseOpen(openMsg{task: 3, attempt: 1, partitions: 16, job: "j"}.append(nil))
	if m.task != 3 || m.attempt != 1 || m.partitions != 16 || m.job != "j" {
		t.Fatalf("OPEN round trip: %+v", m)
	}
	c, _ := parseCommit(appendCommit(nil, []commitEntry{{1, 2, 3}, {4, 5, 1 << 40}}))
	if len(c) != 2 || c[1] != (commitEntry{4, 5, 1 << 40}) {
		t.Fatalf("COMMIT round trip: %+v", c)
	}
}

// TestFrameCorruption: flipping any bit of any frame is detected by the
// frame decoder (or, for a cut length, reported as a truncated stream).
func TestFrameCorruption(t *testing.T) {
	for _, f := range sampleFrames() {
		for i := range f {
			for bit := 0; bit < 8; bit++ {
				bad := bytes.Clone(f)
				bad[i] ^= 1 << bit
				fr := frameReader{r: bytes.NewReader(bad), maxData: 1 << 20, maxCtl: 1 << 20}
				_, err := fr.next()
				if err == nil {
					t.Fatalf("%s frame: flipping bit %d of byte %d went unnoticed", frameType(f[2]), bit, i)
				}
				if !errors.Is(err, ErrCorruptFrame) && err != io.ErrUnexpectedEOF {
					t.Fatalf("%s frame byte %d: %v, want ErrCorruptFrame", frameType(f[2]), i, err)
				}
			}
		}
	}
	// Truncation.
	f := sampleFrames()[3]
	for n := 1; n < len(f); n++ {
		fr := frameReader{r: bytes.NewReader(f[:n]), maxData: 1 << 20, maxCtl: 1 << 20}
		if _, err := fr.next(); err != io.ErrUnexpectedEOF {
			t.Fatalf("frame cut at %d: %v", n, err)
		}
	}
	// Oversized lengths are refused before any allocation.
	fr := frameReader{r: bytes.NewReader(f), maxData: 8, maxCtl: 8}
	if _, err := fr.next(); !errors.Is(err, ErrCorruptFrame) {
		t.Fatalf("oversized DATA: %v", err)
	}
}

// FuzzFrameReader feeds arbitrary bytes to the frame decoder and the payload
// parsers: no panic, no frame over the limits, and every frame accepted
// re-encodes to the same bytes.
//
//	go test ./shuffle -run '^$' -fuzz FuzzFrameReader -fuzztime 60s
func FuzzFrameReader(f *testing.F) {
	var all []byte
	for _, fr := range sampleFrames() {
		f.Add(fr)
		all = append(all, fr...)
	}
	f.Add(all)
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0xa5})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := frameReader{r: bytes.NewReader(b), maxData: 1 << 16, maxCtl: 4096}
		off := 0
		for {
			f, err := fr.next()
			if err != nil {
				return
			}
			n := frameHeaderLen + len(f.payload)
			if (f.typ == frameData && len(f.payload) > 1<<16) || (f.typ != frameData && len(f.payload) > 4096) {
				t.Fatalf("%s payload of %d bytes passed the limits", f.typ, len(f.payload))
			}
			if got := appendFrame(nil, f.typ, f.stream, f.payload); !bytes.Equal(got, b[off:off+n]) {
				t.Fatalf("accepted %s frame re-encodes differently", f.typ)
			}
			off += n
			_ = checkPayload(f)
		}
	})
}
