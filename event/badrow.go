package event

import (
	"bytes"
	"encoding/json"
	"time"
)

// BadRow is a line that could not be turned into a good event: the original
// line, what was wrong with it, and when. It is written as one JSON object per
// line: {"line":…,"errors":[{"level":"error","message":…}],"failure_tstamp":…},
// the layout of Snowplow R108 bad rows.
type BadRow struct {
	Line          string    `json:"line"`
	Errors        []Message `json:"errors"`
	FailureTstamp string    `json:"failure_tstamp"`
}

// Message is one processing message of a bad row.
type Message struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}

// NewBadRow builds a bad row with one error message per error string.
// failure is the time stamped on the row; furrow passes the run's etl
// timestamp so that re-runs write identical bad rows.
func NewBadRow(line string, failure time.Time, errs ...string) BadRow {
	msgs := make([]Message, len(errs))
	for i, e := range errs {
		msgs[i] = Message{Level: "error", Message: e}
	}
	return BadRow{Line: line, Errors: msgs, FailureTstamp: failure.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// AppendJSON appends the bad row as one compact JSON line (no newline) to dst.
func (b BadRow) AppendJSON(dst []byte) []byte {
	if b.Errors == nil {
		b.Errors = []Message{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep '&', '<', '>' of query strings readable, as Snowplow did
	if err := enc.Encode(b); err != nil {
		// Strings always marshal; a failure here is a broken invariant.
		panic("event: marshalling bad row: " + err.Error())
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
