package dedupe

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"

	"github.com/furrowdata/furrow/event"
)

// ErrMalformedLine is wrapped by every error Add (and the line helpers)
// return for a line that cannot be deduplicated: wrong field count, an
// event_id that is not a UUID, an unparseable etl_tstamp when a manifest is
// configured. The caller turns such a line into a bad row (with the error
// text as the reason); the Deduper's state is unchanged by the call.
var ErrMalformedLine = errors.New("dedupe: malformed enriched line")

// lineInfo is what dedupe needs from an enriched TSV line: the event_id as
// 16 bytes and where the etl_tstamp and event_fingerprint fields are.
type lineInfo struct {
	hi, lo         uint64 // event_id, big-endian halves
	etlOff, etlLen uint32 // etl_tstamp field (may be empty)
	fpOff, fpLen   uint32 // event_fingerprint field (empty = null)
}

// scanLine locates the fields dedupe needs. It applies event.ParseTSV's
// field-count rule (MinTSVFields to NumFields fields; older layouts have no
// fingerprint) without decoding the other 128 fields, which keeps Add cheap:
// one vectorised tab count, then word-at-a-time scans of the first seven
// fields and of the last two.
func scanLine(line []byte) (lineInfo, error) {
	var li lineInfo
	n := bytes.Count(line, tab) + 1
	if n < event.MinTSVFields || n > event.NumFields {
		return li, fmt.Errorf("%w: %d tab-separated fields, want %d (or at least %d for older layouts)",
			ErrMalformedLine, n, event.NumFields, event.MinTSVFields)
	}
	// tabs[k] is the position of the k-th tab (1-based); n ≥ 108 so the
	// first seven exist.
	var tabs [8]int
	firstTabs(line, &tabs)
	li.etlOff, li.etlLen = uint32(tabs[2]+1), uint32(tabs[3]-tabs[2]-1)
	idStart, idEnd := tabs[6]+1, tabs[7]
	hi, lo, ok := parseUUID(line[idStart:idEnd])
	if !ok {
		return li, fmt.Errorf("%w: event_id [%s] is not a UUID", ErrMalformedLine, clip(line[idStart:idEnd]))
	}
	li.hi, li.lo = hi, lo
	// event_fingerprint from the back: the last field of a 130-field line,
	// the second to last of a 131-field line.
	switch n {
	case event.NumFields:
		last, prev := lastTabs(line)
		li.fpOff, li.fpLen = uint32(prev+1), uint32(last-prev-1)
	case event.NumFields - 1:
		last, _ := lastTabs(line)
		li.fpOff, li.fpLen = uint32(last+1), uint32(len(line)-last-1)
	}
	return li, nil
}

const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
	swarLow7 = 0x7f7f7f7f7f7f7f7f
)

// tabMask has the high bit of every byte of w that is a tab (exact).
func tabMask(w uint64) uint64 {
	t := w ^ ('\t' * swarOnes)
	return ^((t&swarLow7 + swarLow7) | t) & swarHigh
}

// firstTabs stores the positions of the first seven tabs of line in
// tabs[1..7]; line has at least seven.
func firstTabs(line []byte, tabs *[8]int) {
	k := 1
	i := 0
	for ; i+8 <= len(line); i += 8 {
		m := tabMask(binary.LittleEndian.Uint64(line[i:]))
		for m != 0 {
			tabs[k] = i + bits.TrailingZeros64(m)>>3
			if k++; k == 8 {
				return
			}
			m &= m - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == '\t' {
			tabs[k] = i
			if k++; k == 8 {
				return
			}
		}
	}
}

// lastTabs returns the positions of the last and second-to-last tabs of
// line, which has at least two.
func lastTabs(line []byte) (last, prev int) {
	last, prev = -1, -1
	i := len(line)
	for ; i >= 8; i -= 8 {
		m := tabMask(binary.LittleEndian.Uint64(line[i-8:]))
		for m != 0 {
			p := i - 8 + (63-bits.LeadingZeros64(m))>>3
			if last < 0 {
				last = p
			} else {
				return last, p
			}
			m &^= 1 << (63 - bits.LeadingZeros64(m))
		}
	}
	for i--; i >= 0; i-- {
		if line[i] == '\t' {
			if last < 0 {
				last = i
			} else {
				return last, i
			}
		}
	}
	return last, prev
}

var tab = []byte{'\t'}

// clip shortens a field quoted in an error message.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "…"...)
	}
	return b
}

// parseUUID parses the canonical 8-4-4-4-12 hex form (either case). It runs
// for every line Add sees: a table look-up per digit, two independent
// accumulators, one validity check at the end.
func parseUUID(s []byte) (hi, lo uint64, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return 0, 0, false
	}
	s = s[:36:36]
	var bad byte
	for _, c := range s[0:8] {
		v := hexDigits[c]
		bad |= v
		hi = hi<<4 | uint64(v)
	}
	for _, c := range s[28:36] {
		v := hexDigits[c]
		bad |= v
		lo = lo<<4 | uint64(v)
	}
	var mid uint64
	for _, c := range s[9:13] {
		v := hexDigits[c]
		bad |= v
		hi = hi<<4 | uint64(v)
	}
	for _, c := range s[14:18] {
		v := hexDigits[c]
		bad |= v
		hi = hi<<4 | uint64(v)
	}
	for _, c := range s[19:23] {
		v := hexDigits[c]
		bad |= v
		mid = mid<<4 | uint64(v)
	}
	for _, c := range s[24:28] {
		v := hexDigits[c]
		bad |= v
		mid = mid<<4 | uint64(v)
	}
	lo |= mid << 32
	return hi, lo, bad&0x80 == 0
}

// hexDigits maps an ASCII hex digit (either case) to its value, any other
// byte to 0xff.
const hexDigits = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\xff\xff\xff\xff\xff\xff\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// appendUUID appends the canonical lowercase form of hi/lo.
func appendUUID(dst []byte, hi, lo uint64) []byte {
	const digits = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*uint(i)) & 0xf
		} else {
			nib = lo >> (60 - 4*uint(i-16)) & 0xf
		}
		b[j] = digits[nib]
		j++
	}
	return append(dst, b[:]...)
}

// fieldBounds returns the [start,end) of field f in a TSV line, or ok=false
// when the line has fewer fields.
func fieldBounds(line []byte, f event.Field) (start, end int, ok bool) {
	for i := 0; i < int(f); i++ {
		j := bytes.IndexByte(line[start:], '\t')
		if j < 0 {
			return 0, 0, false
		}
		start += j + 1
	}
	end = bytes.IndexByte(line[start:], '\t')
	if end < 0 {
		end = len(line)
	} else {
		end += start
	}
	return start, end, true
}

// ReplaceField appends line to dst with field f replaced by value. value must
// not contain tabs or newlines (it is not sanitized). It returns an error
// wrapping ErrMalformedLine when the line has no field f.
func ReplaceField(dst, line []byte, f event.Field, value []byte) ([]byte, error) {
	if bytes.IndexByte(value, '\t') >= 0 || bytes.IndexByte(value, '\n') >= 0 {
		return dst, fmt.Errorf("dedupe: value for %s contains a tab or newline", f)
	}
	start, end, ok := fieldBounds(line, f)
	if !ok {
		return dst, fmt.Errorf("%w: no field %s", ErrMalformedLine, f)
	}
	dst = append(dst, line[:start]...)
	dst = append(dst, value...)
	return append(dst, line[end:]...), nil
}

// RewriteEventID appends line to dst with its event_id replaced by newID.
func RewriteEventID(dst, line []byte, newID string) ([]byte, error) {
	return ReplaceField(dst, line, event.EventID, []byte(newID))
}

// DuplicateSchema is the schema of the context RDB Shredder attached to every
// synthetic duplicate.
const DuplicateSchema = "iglu:com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0"

// contextsSchema is the envelope schema of contexts / derived_contexts.
const contextsSchema = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1"

// DuplicateContext returns the self-describing duplicate context for a
// synthetic duplicate whose original event_id was originalEventID:
// {"schema":"iglu:com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0","data":{"originalEventId":"…"}}.
func DuplicateContext(originalEventID string) []byte {
	b, _ := json.Marshal(struct {
		Schema string `json:"schema"`
		Data   struct {
			OriginalEventID string `json:"originalEventId"`
		} `json:"data"`
	}{Schema: DuplicateSchema, Data: struct {
		OriginalEventID string `json:"originalEventId"`
	}{originalEventID}})
	return b
}

// AppendWithDuplicateContext appends line to dst with the duplicate context
// for originalEventID PREPENDED to its derived_contexts, exactly where RDB
// Shredder 0.13 put it (newContext :: derived_contexts), so the shredded
// duplicate entity comes after the unstruct event and before the other
// derived contexts. An empty derived_contexts field gets a new
// contexts/jsonschema/1-0-1 envelope. A derived_contexts value that is not a
// contexts envelope is an error wrapping ErrMalformedLine.
//
// The Deduper does not call this itself: it hands the shredder a Synthetic
// alongside the rewritten line, and the shredder either calls this helper or
// adds the entity to its own entity list (same order).
func AppendWithDuplicateContext(dst, line []byte, originalEventID string) ([]byte, error) {
	start, end, ok := fieldBounds(line, event.DerivedContexts)
	if !ok {
		// Older layouts (108..122 fields) have no derived_contexts column.
		return dst, fmt.Errorf("%w: no %s field to hold the duplicate context", ErrMalformedLine, event.DerivedContexts)
	}
	env := struct {
		Schema string            `json:"schema"`
		Data   []json.RawMessage `json:"data"`
	}{Schema: contextsSchema}
	if start < end {
		if err := json.Unmarshal(line[start:end], &env); err != nil {
			return dst, fmt.Errorf("%w: derived_contexts: %v", ErrMalformedLine, err)
		}
		if env.Schema == "" {
			return dst, fmt.Errorf("%w: derived_contexts has no schema", ErrMalformedLine)
		}
	}
	env.Data = append([]json.RawMessage{DuplicateContext(originalEventID)}, env.Data...)
	// An Encoder without HTML escaping keeps the other contexts' bytes as
	// they were (json.Marshal would rewrite "<" as "\u003c").
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return dst, fmt.Errorf("%w: derived_contexts: %v", ErrMalformedLine, err)
	}
	dst = append(dst, line[:start]...)
	dst = append(dst, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
	return append(dst, line[end:]...), nil
}
