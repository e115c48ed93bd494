// Package collectortest writes collector input files for tests and the
// conformance harness: Thrift records serialised with TBinaryProtocol (by
// the apache/thrift library, independently of the hand-written reader in
// package collector) and elephant-bird block files, optionally inside an
// lzop container, as the peer's LzoThriftBlockOutputFormat produced them.
package collectortest

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/furrowdata/furrow/enrich/collector/blockfile"
	"github.com/furrowdata/furrow/enrich/collector/lzop"
)

// CollectorPayloadSchema is the self-describing schema of CollectorPayload
// records.
const CollectorPayloadSchema = "iglu:com.snowplowanalytics.snowplow/CollectorPayload/thrift/1-0-0"

// CollectorPayloadClass is the Java class the peer's block files named.
const CollectorPayloadClass = "com.snowplowanalytics.snowplow.CollectorPayload.thrift.model1.CollectorPayload"

// CollectorPayload is a Thrift CollectorPayload (schema 1-0-0). String
// fields are written only when non-empty (a Java null is not written);
// Timestamp (milliseconds since the epoch) is always written; Headers when
// non-nil.
type CollectorPayload struct {
	Schema        string // usually CollectorPayloadSchema
	IPAddress     string
	Timestamp     int64
	Encoding      string
	Collector     string
	UserAgent     string
	RefererURI    string
	Path          string
	Querystring   string
	Body          string
	Headers       []string
	ContentType   string
	Hostname      string
	NetworkUserID string
}

// SnowplowRawEvent is the older Thrift SnowplowRawEvent. Data is the
// TrackerPayload's data (the querystring); the payload struct is written
// only when HasPayload is set.
type SnowplowRawEvent struct {
	Timestamp     int64
	Collector     string
	Encoding      string
	IPAddress     string
	HasPayload    bool
	Protocol      int32 // PayloadProtocol: 1 = Http
	Format        int32 // PayloadFormat: 1 = HttpGet
	Data          string
	Hostname      string
	UserAgent     string
	RefererURI    string
	Headers       []string
	NetworkUserID string
}

type writer struct {
	ctx context.Context
	p   *thrift.TBinaryProtocol
	buf *thrift.TMemoryBuffer
	err error
}

func newWriter() *writer {
	buf := thrift.NewTMemoryBuffer()
	return &writer{ctx: context.Background(), buf: buf, p: thrift.NewTBinaryProtocolConf(buf, &thrift.TConfiguration{})}
}

func (w *writer) str(id int16, v string) {
	if w.err != nil || v == "" {
		return
	}
	if w.err = w.p.WriteFieldBegin(w.ctx, "", thrift.STRING, id); w.err == nil {
		w.err = w.p.WriteString(w.ctx, v)
	}
}

func (w *writer) i64(id int16, v int64) {
	if w.err != nil {
		return
	}
	if w.err = w.p.WriteFieldBegin(w.ctx, "", thrift.I64, id); w.err == nil {
		w.err = w.p.WriteI64(w.ctx, v)
	}
}

func (w *writer) i32(id int16, v int32) {
	if w.err != nil {
		return
	}
	if w.err = w.p.WriteFieldBegin(w.ctx, "", thrift.I32, id); w.err == nil {
		w.err = w.p.WriteI32(w.ctx, v)
	}
}

func (w *writer) strList(id int16, v []string) {
	if w.err != nil || v == nil {
		return
	}
	if w.err = w.p.WriteFieldBegin(w.ctx, "", thrift.LIST, id); w.err != nil {
		return
	}
	if w.err = w.p.WriteListBegin(w.ctx, thrift.STRING, len(v)); w.err != nil {
		return
	}
	for _, s := range v {
		if w.err = w.p.WriteString(w.ctx, s); w.err != nil {
			return
		}
	}
}

func (w *writer) stop() {
	if w.err == nil {
		w.err = w.p.WriteFieldStop(w.ctx)
	}
}

func (w *writer) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, fmt.Errorf("serialising thrift record: %w", w.err)
	}
	return append([]byte(nil), w.buf.Bytes()...), nil
}

// SerializeCollectorPayload serialises p with TBinaryProtocol, fields in
// id order as libthrift's generated Java code wrote them.
func SerializeCollectorPayload(p CollectorPayload) ([]byte, error) {
	w := newWriter()
	w.str(100, p.IPAddress)
	w.i64(200, p.Timestamp)
	w.str(210, p.Encoding)
	w.str(220, p.Collector)
	w.str(300, p.UserAgent)
	w.str(310, p.RefererURI)
	w.str(320, p.Path)
	w.str(330, p.Querystring)
	w.str(340, p.Body)
	w.strList(350, p.Headers)
	w.str(360, p.ContentType)
	w.str(400, p.Hostname)
	w.str(410, p.NetworkUserID)
	w.str(31337, p.Schema)
	w.stop()
	return w.bytes()
}

// SerializeSnowplowRawEvent serialises e with TBinaryProtocol.
func SerializeSnowplowRawEvent(e SnowplowRawEvent) ([]byte, error) {
	w := newWriter()
	w.i64(1, e.Timestamp)
	w.str(20, e.Collector)
	w.str(30, e.Encoding)
	w.str(40, e.IPAddress)
	if e.HasPayload && w.err == nil {
		if w.err = w.p.WriteFieldBegin(w.ctx, "", thrift.STRUCT, 41); w.err == nil {
			w.i32(1, e.Protocol)
			w.i32(2, e.Format)
			w.str(3, e.Data)
			w.stop()
		}
	}
	w.str(45, e.Hostname)
	w.str(50, e.UserAgent)
	w.str(60, e.RefererURI)
	w.strList(70, e.Headers)
	w.str(80, e.NetworkUserID)
	w.stop()
	return w.bytes()
}

// WriteThriftBlockFile writes records as an elephant-bird block file (100
// records per block), inside an lzop container of stored blocks when lzo
// is true: the input the thrift format reads.
func WriteThriftBlockFile(w io.Writer, records [][]byte, lzo bool) error {
	var lz *lzop.Writer
	target := w
	if lzo {
		lz = lzop.NewWriter(w)
		target = lz
	}
	bw := blockfile.NewWriter(target, CollectorPayloadClass)
	for _, r := range records {
		if err := bw.Write(r); err != nil {
			return fmt.Errorf("writing block file: %w", err)
		}
	}
	if err := bw.Close(); err != nil {
		return fmt.Errorf("writing block file: %w", err)
	}
	if lz != nil {
		if err := lz.Close(); err != nil {
			return fmt.Errorf("writing lzop container: %w", err)
		}
	}
	return nil
}
