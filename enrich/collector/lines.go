package collector

import (
	"bytes"
	"fmt"
	"io"
)

// lineReader frames a stream into lines exactly as Hadoop's LineRecordReader
// (TextInputFormat, what Spark's textFile used) did: a line ends at LF, CR
// or CRLF, the terminator is not part of the line, empty lines are records,
// a last line without terminator is a record, and a UTF-8 byte order mark
// at the very start of the file is skipped (Hadoop 2.8+, as on EMR 5).
type lineReader struct {
	r     io.Reader
	buf   []byte
	start int // unread data is buf[start:end]
	end   int
	scan  int // buf[start:scan] is known to hold no terminator
	eof   bool
	rerr  error

	line int64 // lines returned (or skipped as too long) so far
	pos  int64 // stream offset of buf[start], i.e. of the next line

	// Split support: lines starting after limit are not read, and the
	// first (partial) line is skipped. limit < 0: read to the end.
	limit     int64
	skipFirst bool
	bom       bool // check for a byte order mark before the first line
	skipping  bool // discarding the rest of an over-long line
}

const initialLineBuffer = 64 << 10

// NewLineReader frames r into lines with Hadoop's LineRecordReader rules;
// it is the NewReader of every line format.
func NewLineReader(r io.Reader) RecordReader {
	return &lineReader{r: r, limit: -1, bom: true}
}

// NewLineSplitReader reads one byte-range split [start, end) of an
// uncompressed line file as Hadoop did: r must be positioned at byte start
// and continue to the end of the file; unless start is 0 the first line
// (which belongs to the previous split) is skipped, and every line that
// starts at or before end is read, even where it runs past end. Adjacent
// splits therefore read every line exactly once. Line numbers count from
// the split's first line.
func NewLineSplitReader(r io.Reader, start, end int64) RecordReader {
	return &lineReader{r: r, limit: end, pos: start, skipFirst: start > 0, bom: start == 0}
}

func (l *lineReader) Next() (Record, error) {
	if l.skipFirst {
		// The first (partial) line of a split belongs to the previous one.
		l.skipFirst = false
		if _, _, err := l.readLine(); err != nil && err != io.EOF {
			return Record{}, err
		}
	}
	if l.limit >= 0 && l.pos > l.limit {
		return Record{}, io.EOF // the next line starts in the next split
	}
	startPos := l.pos
	if l.bom {
		l.bom = false
		if err := l.fillAtLeast(3); err != nil {
			return Record{}, err
		}
		if l.end-l.start >= 3 && bytes.Equal(l.buf[l.start:l.start+3], []byte{0xef, 0xbb, 0xbf}) {
			l.start += 3
			l.pos += 3
			l.scan = l.start
		}
	}
	data, ok, err := l.readLine()
	if err != nil {
		return Record{}, err
	}
	l.line++
	if !ok {
		return Record{}, fmt.Errorf("line %d (offset %d): %w: longer than %d bytes", l.line, startPos, ErrRecordTooLong, MaxRecordSize)
	}
	return Record{Data: data, Line: l.line}, nil
}

// readLine returns the next line. ok is false for a line over
// MaxRecordSize, whose bytes are being skipped (the next call continues
// skipping to its end). It returns io.EOF when no line is left.
func (l *lineReader) readLine() (data []byte, ok bool, err error) {
	if l.skipping {
		if err := l.skipLongLine(); err != nil {
			return nil, false, err
		}
	}
	for {
		window := l.buf[l.scan:l.end]
		i := bytes.IndexByte(window, '\n')
		var j int
		if i >= 0 {
			j = bytes.IndexByte(window[:i], '\r')
		} else {
			j = bytes.IndexByte(window, '\r')
		}
		if j >= 0 {
			i = j
		}
		if i >= 0 {
			t := l.scan + i // terminator index
			termLen := 1
			if l.buf[t] == '\r' {
				if t+1 == l.end && !l.eof {
					// Need one more byte to know whether this is CRLF.
					l.scan = t
					if err := l.fill(); err != nil {
						return nil, false, err
					}
					continue
				}
				if t+1 < l.end && l.buf[t+1] == '\n' {
					termLen = 2
				}
			}
			data = l.buf[l.start:t]
			n := t + termLen - l.start
			l.start += n
			l.scan = l.start
			l.pos += int64(n)
			return data, len(data) <= MaxRecordSize, nil
		}
		l.scan = l.end
		if l.eof {
			if l.start == l.end {
				return nil, false, io.EOF
			}
			data = l.buf[l.start:l.end]
			l.pos += int64(l.end - l.start)
			l.start, l.scan = l.end, l.end
			return data, len(data) <= MaxRecordSize, nil
		}
		if l.end-l.start > MaxRecordSize {
			// Over-long: drop what is buffered and skip to the terminator.
			l.pos += int64(l.end - l.start)
			l.start, l.scan = l.end, l.end
			l.skipping = true
			return nil, false, nil
		}
		if err := l.fill(); err != nil {
			return nil, false, err
		}
	}
}

// skipLongLine discards bytes up to and including the next terminator.
func (l *lineReader) skipLongLine() error {
	for {
		window := l.buf[l.start:l.end]
		i := bytes.IndexByte(window, '\n')
		var j int
		if i >= 0 {
			j = bytes.IndexByte(window[:i], '\r')
		} else {
			j = bytes.IndexByte(window, '\r')
		}
		if j >= 0 {
			i = j
		}
		if i >= 0 {
			t := l.start + i
			if l.buf[t] == '\r' && t+1 == l.end && !l.eof {
				l.pos += int64(t - l.start)
				l.start, l.scan = t, t
				if err := l.fill(); err != nil {
					return err
				}
				continue
			}
			n := t + 1 - l.start
			if l.buf[t] == '\r' && t+1 < l.end && l.buf[t+1] == '\n' {
				n++
			}
			l.start += n
			l.scan = l.start
			l.pos += int64(n)
			l.skipping = false
			return nil
		}
		l.pos += int64(l.end - l.start)
		l.start, l.scan = l.end, l.end
		if l.eof {
			l.skipping = false
			return nil
		}
		if err := l.fill(); err != nil {
			return err
		}
	}
}

// fill reads more data, keeping buf[start:end]; it sets eof at the end of
// the stream. Only a read error is returned.
func (l *lineReader) fill() error {
	if l.rerr != nil {
		return l.rerr
	}
	if l.start > 0 {
		n := copy(l.buf, l.buf[l.start:l.end])
		l.scan -= l.start
		l.end = n
		l.start = 0
	}
	if l.end == len(l.buf) {
		size := 2 * len(l.buf)
		if size == 0 {
			size = initialLineBuffer
		}
		if size > MaxRecordSize+initialLineBuffer {
			size = MaxRecordSize + initialLineBuffer
		}
		nb := make([]byte, size)
		copy(nb, l.buf[:l.end])
		l.buf = nb
	}
	for tries := 0; ; tries++ {
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err == io.EOF {
			l.eof = true
			return nil
		}
		if err != nil {
			l.rerr = fmt.Errorf("reading line %d (offset %d): %w", l.line+1, l.pos, err)
			return l.rerr
		}
		if n > 0 {
			return nil
		}
		if tries > 100 {
			l.rerr = fmt.Errorf("reading line %d (offset %d): %w", l.line+1, l.pos, io.ErrNoProgress)
			return l.rerr
		}
	}
}

func (l *lineReader) fillAtLeast(n int) error {
	for l.end-l.start < n && !l.eof {
		if err := l.fill(); err != nil {
			return err
		}
	}
	return nil
}
