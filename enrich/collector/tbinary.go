package collector

import (
	"encoding/binary"
	"strconv"
)

// tbReader decodes TBinaryProtocol from a byte slice the way libthrift
// 0.9.3's TBinaryProtocol over a TMemoryInputTransport (TDeserializer)
// does, including its exception messages, which Snowplow put in bad rows.
// Errors are *tbError; once one is returned the reader is unusable.
type tbReader struct {
	b   []byte
	pos int
}

// Thrift type codes.
const (
	ttStop   = 0
	ttBool   = 2
	ttByte   = 3
	ttDouble = 4
	ttI16    = 6
	ttI32    = 8
	ttI64    = 10
	ttString = 11
	ttStruct = 12
	ttMap    = 13
	ttSet    = 14
	ttList   = 15
)

// maxSkipDepth bounds nesting while skipping unknown fields. libthrift
// 0.9.3 had no bound (deep input overflowed the JVM stack); here it is an
// error instead.
const maxSkipDepth = 1000

type tbError struct{ msg string }

func (e *tbError) Error() string { return e.msg }

// short is TTransport.readAll's exception for a read past the end.
func (t *tbReader) short(want int) error {
	got := len(t.b) - t.pos
	t.pos = len(t.b)
	return &tbError{"Cannot read. Remote side has closed. Tried to read " + strconv.Itoa(want) +
		" bytes, but only got " + strconv.Itoa(got) +
		" bytes. (This is often indicative of an internal error on the server side. Please check your server logs.)"}
}

func (t *tbReader) take(n int) ([]byte, error) {
	if len(t.b)-t.pos < n {
		return nil, t.short(n)
	}
	v := t.b[t.pos : t.pos+n]
	t.pos += n
	return v, nil
}

func (t *tbReader) readByte() (byte, error) {
	v, err := t.take(1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (t *tbReader) readI16() (int16, error) {
	v, err := t.take(2)
	if err != nil {
		return 0, err
	}
	return int16(binary.BigEndian.Uint16(v)), nil
}

func (t *tbReader) readI32() (int32, error) {
	v, err := t.take(4)
	if err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(v)), nil
}

func (t *tbReader) readI64() (int64, error) {
	v, err := t.take(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func negativeLength(n int32) error {
	return &tbError{"Negative length: " + strconv.Itoa(int(n))}
}

// readBinary reads a string or binary field's bytes (aliasing the input).
func (t *tbReader) readBinary() ([]byte, error) {
	n, err := t.readI32()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, negativeLength(n)
	}
	return t.take(int(n))
}

// readFieldBegin returns the field type and id; id is not read for STOP.
func (t *tbReader) readFieldBegin() (typ byte, id int16, err error) {
	if typ, err = t.readByte(); err != nil || typ == ttStop {
		return typ, 0, err
	}
	id, err = t.readI16()
	return typ, id, err
}

func (t *tbReader) readListBegin() (elem byte, size int32, err error) {
	if elem, err = t.readByte(); err != nil {
		return 0, 0, err
	}
	if size, err = t.readI32(); err != nil {
		return 0, 0, err
	}
	if size < 0 {
		return 0, 0, negativeLength(size)
	}
	return elem, size, nil
}

// skip is TProtocolUtil.skip: it consumes a value of type typ. Unknown
// type codes consume nothing, as in libthrift 0.9.
func (t *tbReader) skip(typ byte, depth int) error {
	if depth > maxSkipDepth {
		return &tbError{"Maximum skip depth exceeded"}
	}
	var err error
	switch typ {
	case ttBool, ttByte:
		_, err = t.take(1)
	case ttI16:
		_, err = t.take(2)
	case ttI32:
		_, err = t.take(4)
	case ttI64, ttDouble:
		_, err = t.take(8)
	case ttString:
		_, err = t.readBinary()
	case ttStruct:
		for {
			ft, _, e := t.readFieldBegin()
			if e != nil {
				return e
			}
			if ft == ttStop {
				return nil
			}
			if e := t.skip(ft, depth+1); e != nil {
				return e
			}
		}
	case ttMap:
		var kt, vt byte
		var n int32
		if kt, err = t.readByte(); err != nil {
			return err
		}
		if vt, err = t.readByte(); err != nil {
			return err
		}
		if n, err = t.readI32(); err != nil {
			return err
		}
		if n < 0 {
			return negativeLength(n)
		}
		for i := int32(0); i < n; i++ {
			if err := t.skip(kt, depth+1); err != nil {
				return err
			}
			if err := t.skip(vt, depth+1); err != nil {
				return err
			}
			if !knownType(kt) && !knownType(vt) {
				// Entries of unknown types consume nothing: the remaining
				// iterations would not either.
				return nil
			}
		}
	case ttSet, ttList:
		et, n, e := t.readListBegin()
		if e != nil {
			return e
		}
		for i := int32(0); i < n; i++ {
			if err := t.skip(et, depth+1); err != nil {
				return err
			}
			if !knownType(et) {
				return nil
			}
		}
	}
	return err
}

func knownType(typ byte) bool {
	switch typ {
	case ttBool, ttByte, ttI16, ttI32, ttI64, ttDouble, ttString, ttStruct, ttMap, ttSet, ttList:
		return true
	}
	return false
}
