package enrich

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowdata/furrow/enrich/adapter"
	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
)

// PayloadFormat is what the Processor needs of a collector format
// (collector.Format satisfies it): one record to payloads, and the text a
// bad row carries for the record. A Parse error becomes one bad row with
// collector.ErrorMessages(err).
type PayloadFormat interface {
	// Parse turns one record into payloads; none and no error means the
	// record is discarded (a header, a non-tracker request).
	Parse(record []byte) ([]collector.Payload, error)
	// BadLine is the record as a bad row's "line".
	BadLine(record []byte) string
}

// Adapters turns a payload into raw events (*adapter.Registry satisfies
// it). A failure returns the messages of one bad row for the payload.
type Adapters interface {
	ToRawEvents(ctx context.Context, p *collector.Payload) ([]adapter.RawEvent, []string)
}

// ProcessorConfig configures a Processor.
type ProcessorConfig struct {
	Format   PayloadFormat
	Adapters Adapters
	Enricher *Enricher
	// ETLTimestamp stamps bad rows (failure_tstamp), so that re-runs write
	// identical bad rows. Zero = the Enricher's ETLTimestamp.
	ETLTimestamp time.Time
	Logger       *slog.Logger // nil = slog.Default()
}

// Validate reports every missing dependency.
func (c ProcessorConfig) Validate() error {
	var errs []error
	if c.Format == nil {
		errs = append(errs, errors.New("enrich processor config: Format is required"))
	}
	if c.Adapters == nil {
		errs = append(errs, errors.New("enrich processor config: Adapters is required"))
	}
	if c.Enricher == nil {
		errs = append(errs, errors.New("enrich processor config: Enricher is required"))
	}
	return errors.Join(errs...)
}

// Processor is the per-record step of the enrich stage. It is safe for
// concurrent use.
type Processor struct {
	cfg     ProcessorConfig
	failure time.Time
	log     *slog.Logger
	scratch collector.ScratchParser // Format, when it parses into a Scratch
}

// NewProcessor builds a Processor.
func NewProcessor(cfg ProcessorConfig) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg, failure: cfg.ETLTimestamp, log: cfg.Logger}
	p.scratch, _ = cfg.Format.(collector.ScratchParser)
	if p.failure.IsZero() {
		p.failure = cfg.Enricher.cfg.ETLTimestamp
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	return p, nil
}

// Result collects what records became. The caller resets it between uses;
// Process only appends.
type Result struct {
	Events    []*event.Event
	Bad       []event.BadRow
	Discarded int
	// Recycle lets Reset keep the events of Events for later Process calls
	// to fill again, saving an allocation per event: set it only when the
	// caller is done with every event (e.g. has encoded it) when it calls
	// Reset, and keeps no pointer to one afterwards.
	Recycle bool
	free    []*event.Event
	// scratch is memory reused from record to record (parsed payloads,
	// enrichment working state); nothing of it outlives a record.
	scratch *scratch
}

// scratch is the reusable working memory of one Result.
type scratch struct {
	payloads   collector.Scratch
	page, refr uriParser
	refrURI    enrichment.URI
	query      enrichment.Query
	prepared   []json.RawMessage
	params     []enrichment.Param
	// uaDerived memoizes derived_contexts made of one ua-parser context,
	// by the address and length of the context's bytes: UAParserContext
	// returns bytes it never modifies (shared with its cache), and the key
	// keeps them from being freed and reused.
	uaDerived map[bytesKey]string
	// The last collector_tstamp formatted, by its millisecond (the events
	// of a payload, and of a busy second, share it).
	lastCT    int64
	lastCTStr string
	// useragents memoizes the URL-decoded useragent (UTF-8 payloads).
	useragents map[string]string
	// uaContexts memoizes the ua-parser context of an agent.
	uaContexts map[string]json.RawMessage
}

// maxUseragents bounds scratch.useragents (it starts over when full).
const maxUseragents = 256

// decodeUseragent is decodeString(enc, "useragent", ua), memoized: a busy
// input repeats a few hundred agents.
func (sc *scratch) decodeUseragent(enc, ua string) (string, string) {
	if enc == "UTF-8" {
		if d, ok := sc.useragents[ua]; ok {
			return d, ""
		}
	}
	d, m := decodeString(enc, "useragent", ua)
	if m == "" && enc == "UTF-8" {
		if sc.useragents == nil || len(sc.useragents) >= maxUseragents {
			sc.useragents = make(map[string]string)
		}
		sc.useragents[strings.Clone(ua)] = d
	}
	return d, m
}

// uaParserContext is impl.UAParserContext(ua), memoized per Result (the
// enrichment's own cache is shared by every worker, behind locks): the
// context depends on the agent alone.
func (sc *scratch) uaParserContext(impl enrichment.UAParser, ua string) (json.RawMessage, error) {
	if c, ok := sc.uaContexts[ua]; ok {
		return c, nil
	}
	c, err := impl.UAParserContext(ua)
	if err == nil {
		if sc.uaContexts == nil || len(sc.uaContexts) >= maxUseragents {
			sc.uaContexts = make(map[string]json.RawMessage)
		}
		sc.uaContexts[strings.Clone(ua)] = c // not the record's whole text
	}
	return c, err
}

// collectorTstamp is formatCollectorTstamp, remembering the last result.
func (sc *scratch) collectorTstamp(t time.Time) (string, string) {
	if t.IsZero() {
		return formatCollectorTstamp(t)
	}
	ms := t.UnixMilli()
	if sc.lastCTStr != "" && ms == sc.lastCT {
		return sc.lastCTStr, ""
	}
	s, m := formatCollectorTstamp(t)
	if m == "" {
		sc.lastCT, sc.lastCTStr = ms, s
	}
	return s, m
}

type bytesKey struct {
	p *byte
	n int
}

// maxUADerived bounds scratch.uaDerived (it starts over when full).
const maxUADerived = 512

// derivedUA is formatDerivedContexts([]json.RawMessage{c}) for a
// ua-parser context c, memoized.
func (sc *scratch) derivedUA(c json.RawMessage) (string, string) {
	k := bytesKey{&c[0], len(c)}
	if s, ok := sc.uaDerived[k]; ok {
		return s, ""
	}
	s, m := formatDerivedContexts([]json.RawMessage{c})
	if m != "" {
		return s, m
	}
	if sc.uaDerived == nil || len(sc.uaDerived) >= maxUADerived {
		sc.uaDerived = make(map[bytesKey]string)
	}
	sc.uaDerived[k] = s
	return s, ""
}

func (r *Result) scratchSpace() *scratch {
	if r.scratch == nil {
		r.scratch = new(scratch)
	}
	return r.scratch
}

// Reset empties r, keeping its capacity (and, with Recycle, its events).
func (r *Result) Reset() {
	if r.Recycle {
		r.free = append(r.free, r.Events...)
	}
	clear(r.Events)
	r.Events = r.Events[:0]
	r.Bad = r.Bad[:0]
	r.Discarded = 0
}

// newEvent returns an empty event, a recycled one when there is one.
func (r *Result) newEvent() *event.Event {
	if n := len(r.free); n > 0 {
		e := r.free[n-1]
		r.free[n-1] = nil
		r.free = r.free[:n-1]
		*e = event.Event{}
		return e
	}
	return new(event.Event)
}

// discard takes back an event that did not become a good event.
func (r *Result) discard(e *event.Event) {
	if r.Recycle {
		r.free = append(r.free, e)
	}
}

// Process takes one record through format, adapters and enricher,
// appending to res as Spark Enrich R108 would have written it: a record the
// format rejects is one bad row; a record without payloads is discarded; a
// payload an adapter rejects is one bad row; every raw event is a good
// event or one bad row of its own (the record's line with that event's
// messages). Every record is therefore exactly discarded, or yields at
// least one good event or bad row. An unexpected failure (a panic) makes
// the record one bad row, "Unexpected error processing events: …", as
// R108's EtlPipeline did; what the record had produced before is dropped.
func (p *Processor) Process(ctx context.Context, data []byte, res *Result) {
	p.ProcessRecord(ctx, data, "", res)
}

// ProcessRecord is Process for a record whose position in the input is
// known: seed names it (e.g. "<file>@<byte offset>"), and every event of the
// record that has no tracker eid gets the event_id RecordEventID(seed, n)
// instead of a random one, so that re-runs of the same input write the same
// ids. seed "" keeps R108's random ids.
func (p *Processor) ProcessRecord(ctx context.Context, data []byte, seed string, res *Result) {
	p.process(ctx, data, idSource{seed: seed}, res)
}

// ProcessRecordAt is ProcessRecord with the seed origin + ":" + line (e.g.
// "<file>@<byte offset>:<line>"), built only for an event that needs it.
func (p *Processor) ProcessRecordAt(ctx context.Context, data []byte, origin string, line int64, res *Result) {
	p.process(ctx, data, idSource{seed: origin, line: line, hasLine: true}, res)
}

func (p *Processor) process(ctx context.Context, data []byte, ids idSource, res *Result) {
	nEvents, nBad := len(res.Events), len(res.Bad)
	defer func() {
		if r := recover(); r != nil {
			clear(res.Events[nEvents:])
			res.Events, res.Bad = res.Events[:nEvents], res.Bad[:nBad]
			p.log.Error("unexpected failure processing a record", "panic", r, "stack", string(debug.Stack()))
			res.Bad = append(res.Bad, event.NewBadRow(p.badLine(data), p.failure,
				fmt.Sprintf("Unexpected error processing events: %v", r)))
		}
	}()
	sc := res.scratchSpace()
	var payloads []collector.Payload
	var err error
	if p.scratch != nil {
		payloads, err = p.scratch.ParseScratch(data, &sc.payloads)
	} else {
		payloads, err = p.cfg.Format.Parse(data)
	}
	if err != nil {
		res.Bad = append(res.Bad, event.NewBadRow(p.badLine(data), p.failure, collector.ErrorMessages(err)...))
		return
	}
	if len(payloads) == 0 {
		res.Discarded++
		return
	}
	n := 0 // events of this record so far
	var line string
	lineOf := func() string {
		if line == "" {
			line = p.badLine(data)
		}
		return line
	}
	for i := range payloads {
		raws, msgs := p.cfg.Adapters.ToRawEvents(ctx, &payloads[i])
		if len(msgs) > 0 {
			res.Bad = append(res.Bad, event.NewBadRow(lineOf(), p.failure, msgs...))
			continue
		}
		if len(raws) == 0 {
			// R108's adapters returned a non-empty list or a failure.
			res.Bad = append(res.Bad, event.NewBadRow(lineOf(), p.failure, "Payload yielded no events"))
			continue
		}
		for j := range raws {
			if ids.seed != "" {
				ids.n = n
				n++
			}
			ev := res.newEvent()
			if msgs := p.cfg.Enricher.enrichInto(ctx, &raws[j], &ids, ev, sc); msgs != nil {
				res.discard(ev)
				res.Bad = append(res.Bad, event.NewBadRow(lineOf(), p.failure, msgs...))
				continue
			}
			res.Events = append(res.Events, ev)
		}
	}
}

func (p *Processor) badLine(data []byte) string { return p.cfg.Format.BadLine(data) }

// eventIDNamespace is the UUIDv5 namespace of position-derived event ids.
var eventIDNamespace = uuid.MustParse("6f0b5d8e-2c3a-5b8e-9d41-7e1f2a9c0b33")

// idSource is where the event_id of an event without a valid tracker eid
// comes from, computed only for such an event: id when set, else
// RecordEventID(seed[":"+line], n) when seed is set, else a random UUID.
type idSource struct {
	id      string
	seed    string
	line    int64
	hasLine bool
	n       int
}

// RecordEventID derives the event_id of the n-th event (0-based) of the
// record named by seed: UUIDv5(eventIDNamespace, seed + "#" + n), computed
// as uuid.NewSHA1 does, with one allocation (the result).
func RecordEventID(seed string, n int) string {
	return recordEventID(seed, 0, false, n)
}

// recordEventID is RecordEventID(seed[":"+line], n).
func recordEventID(seed string, line int64, hasLine bool, n int) string {
	var buf [160]byte
	b := append(buf[:0], eventIDNamespace[:]...)
	b = append(b, seed...)
	if hasLine {
		b = append(b, ':')
		b = strconv.AppendInt(b, line, 10)
	}
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(n), 10)
	sum := sha1.Sum(b)
	var u [16]byte
	copy(u[:], sum[:])
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(&u)
}
