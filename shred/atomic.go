package shred

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/furrowdata/furrow/event"
)

// AtomicFields are the 128 columns of the atomic row: every enriched-event
// field except contexts, unstruct_event and derived_contexts, in TSV order.
var AtomicFields = func() []event.Field {
	out := make([]event.Field, 0, event.NumFields-3)
	for _, f := range event.Fields() {
		if f.Kind() != event.KindJSON {
			out = append(out, f)
		}
	}
	return out
}()

// Atomic column types in the Parquet layouts, by event field kind:
//
//	string    → UTF-8 string (maxLength in the field metadata)
//	int       → INT32
//	double    → DOUBLE
//	decimal   → DECIMAL(18,2), rounded half away from zero (Redshift's
//	            atomic.events type for the monetary fields); se_value, a
//	            double precision column in atomic.events, → DOUBLE
//	bool      → BOOLEAN ("1"/"0")
//	timestamp → TIMESTAMP(MILLIS, UTC)
const (
	atomicDecimalPrecision = 18
	atomicDecimalScale     = 2
)

var timestampMillisUTC = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}

// atomicKind is the storage class of one atomic column.
type atomicKind uint8

const (
	atomicString atomicKind = iota
	atomicInt32
	atomicFloat64
	atomicDecimal
	atomicBool
	atomicTimestamp
)

func atomicKindOf(f event.Field) atomicKind {
	switch f.Kind() {
	case event.KindInt:
		return atomicInt32
	case event.KindDouble:
		return atomicFloat64
	case event.KindDecimal:
		if f == event.SeValue {
			return atomicFloat64
		}
		return atomicDecimal
	case event.KindBool:
		return atomicBool
	case event.KindTimestamp:
		return atomicTimestamp
	}
	return atomicString
}

// uniqueAtomicColumns are atomic columns whose values are (nearly) unique
// per event; they are written without dictionary encoding.
var uniqueAtomicColumns = []string{
	"event_id", "event_fingerprint", "domain_sessionid", "network_userid", "domain_userid",
	"collector_tstamp", "dvce_created_tstamp", "dvce_sent_tstamp", "derived_tstamp", "true_tstamp",
	"refr_dvce_tstamp", "txn_id", "user_fingerprint",
}

// atomicArrowFields returns the Arrow fields of the atomic columns. The
// event_id and collector_tstamp columns are non-nullable.
func atomicArrowFields() []arrow.Field {
	out := make([]arrow.Field, len(AtomicFields))
	for i, f := range AtomicFields {
		af := arrow.Field{Name: f.Name(), Nullable: f != event.EventID && f != event.CollectorTstamp}
		switch atomicKindOf(f) {
		case atomicInt32:
			af.Type = arrow.PrimitiveTypes.Int32
		case atomicFloat64:
			af.Type = arrow.PrimitiveTypes.Float64
		case atomicDecimal:
			af.Type = &arrow.Decimal128Type{Precision: atomicDecimalPrecision, Scale: atomicDecimalScale}
		case atomicBool:
			af.Type = arrow.FixedWidthTypes.Boolean
		case atomicTimestamp:
			af.Type = timestampMillisUTC
		default:
			af.Type = arrow.BinaryTypes.String
			if n := f.MaxLen(); n > 0 {
				af.Metadata = arrow.NewMetadata([]string{"maxLength"}, []string{strconv.Itoa(n)})
			}
		}
		out[i] = af
	}
	return out
}

// checkAtomic reports the atomic fields of ev that a typed column cannot hold,
// one message per field.
func checkAtomic(ev *event.Event) []string {
	var msgs []string
	for _, f := range AtomicFields {
		v := ev.Fields[f]
		if v == "" {
			continue
		}
		var err error
		switch atomicKindOf(f) {
		case atomicInt32:
			_, err = strconv.ParseInt(v, 10, 32)
		case atomicFloat64:
			_, err = strconv.ParseFloat(v, 64)
		case atomicDecimal:
			_, err = parseDecimal(v, atomicDecimalPrecision, atomicDecimalScale)
		case atomicBool:
			if v != "0" && v != "1" {
				err = fmt.Errorf("not 0 or 1")
			}
		case atomicTimestamp:
			_, err = event.ParseTimestamp(v)
		}
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("Field [%s]: [%s] cannot be stored as %s", f.Name(), v, atomicTypeDesc(f)))
		}
	}
	return msgs
}

func atomicTypeDesc(f event.Field) string {
	switch atomicKindOf(f) {
	case atomicInt32:
		return "a 32-bit integer"
	case atomicFloat64:
		return "a double"
	case atomicDecimal:
		return "DECIMAL(18,2)"
	case atomicBool:
		return "a boolean (0 or 1)"
	case atomicTimestamp:
		return "a timestamp (yyyy-MM-dd HH:mm:ss.SSS)"
	}
	return "a string"
}

// legacyMaxLengths are RDB Shredder 0.13's PostgresConstraints: the legacy
// atomic-events row truncates these fields to this many UTF-16 code units
// (fields not listed have no limit). They differ from the enriched-event
// limits in places (geo_region 2).
var legacyMaxLengths = func() [event.NumFields]int {
	var out [event.NumFields]int
	for name, n := range map[string]int{
		"app_id":             255,
		"platform":           255,
		"event":              128,
		"event_id":           36,
		"name_tracker":       128,
		"v_tracker":          100,
		"v_collector":        100,
		"v_etl":              100,
		"user_id":            255,
		"user_ipaddress":     128,
		"user_fingerprint":   128,
		"domain_userid":      128,
		"network_userid":     128,
		"geo_country":        2,
		"geo_region":         2,
		"geo_city":           75,
		"geo_zipcode":        15,
		"geo_region_name":    100,
		"ip_isp":             100,
		"ip_organization":    128,
		"ip_domain":          128,
		"ip_netspeed":        100,
		"page_url":           4096,
		"page_title":         2000,
		"page_referrer":      4096,
		"page_urlscheme":     16,
		"page_urlhost":       255,
		"page_urlpath":       3000,
		"page_urlquery":      6000,
		"page_urlfragment":   3000,
		"refr_urlscheme":     16,
		"refr_urlhost":       255,
		"refr_urlpath":       6000,
		"refr_urlquery":      6000,
		"refr_urlfragment":   3000,
		"refr_medium":        25,
		"refr_source":        50,
		"refr_term":          255,
		"mkt_medium":         255,
		"mkt_source":         255,
		"mkt_term":           255,
		"mkt_content":        500,
		"mkt_campaign":       255,
		"se_category":        1000,
		"se_action":          1000,
		"se_label":           4096,
		"se_property":        1000,
		"tr_orderid":         255,
		"tr_affiliation":     255,
		"tr_city":            255,
		"tr_state":           255,
		"tr_country":         255,
		"ti_orderid":         255,
		"ti_sku":             255,
		"ti_name":            255,
		"ti_category":        255,
		"useragent":          1000,
		"br_name":            50,
		"br_family":          50,
		"br_version":         50,
		"br_type":            50,
		"br_renderengine":    50,
		"br_lang":            255,
		"br_colordepth":      12,
		"os_name":            50,
		"os_family":          50,
		"os_manufacturer":    50,
		"os_timezone":        255,
		"dvce_type":          50,
		"doc_charset":        128,
		"tr_currency":        3,
		"ti_currency":        3,
		"base_currency":      3,
		"geo_timezone":       64,
		"mkt_clickid":        128,
		"mkt_network":        64,
		"etl_tags":           500,
		"refr_domain_userid": 128,
		"domain_sessionid":   128,
		"event_vendor":       1000,
		"event_name":         1000,
		"event_format":       128,
		"event_version":      128,
		"event_fingerprint":  128,
	} {
		f, ok := event.FieldByName(name)
		if !ok {
			panic("shred: unknown enriched-event field " + name)
		}
		out[f] = n
	}
	return out
}()
