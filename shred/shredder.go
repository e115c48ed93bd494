package shred

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
	"github.com/furrowdata/furrow/shred/internal/jsonx"
)

// Config configures a Shredder.
type Config struct {
	// FailureTstamp is stamped on bad rows; furrow passes the run's etl
	// timestamp so that re-runs write identical bad rows. Required.
	FailureTstamp time.Time
	// Typed makes the Shredder also check that the atomic fields and every
	// entity fit their Parquet columns (see AtomicFields and Field); events
	// that do not become bad rows. Set it for the Parquet and wide-row
	// formats; the legacy layout, like RDB Shredder 0.13, needs no typing.
	Typed bool
	// Logger receives warnings (nil = slog.Default()).
	Logger *slog.Logger
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.FailureTstamp.IsZero() {
		return errors.New("shred config: FailureTstamp is required")
	}
	return nil
}

// EntityKind says where in the event an entity came from.
type EntityKind uint8

// Entity kinds.
const (
	UnstructEvent  EntityKind = iota // the unstruct_event field
	Context                          // one of the contexts
	DerivedContext                   // one of the derived_contexts, or the duplicate context
)

// String names the kind as shredding_complete does.
func (k EntityKind) String() string {
	if k == UnstructEvent {
		return "SELF_DESCRIBING_EVENT"
	}
	return "CONTEXT"
}

// Entity is one self-describing JSON of an event, validated against its
// schema.
type Entity struct {
	Key  event.SchemaKey
	Kind EntityKind

	data        jsonx.Value
	schemaFirst bool // "schema" came before "data" in the source document
}

// AppendData appends the entity's data as compact JSON (Jackson rendering,
// members in source order) to dst.
func (e *Entity) AppendData(dst []byte) []byte { return jsonx.Append(dst, &e.data) }

// Shredded is one good event ready for the writers: its atomic fields, its
// entities (the unstruct event, the contexts, the derived contexts, then the
// duplicate context of a synthetic duplicate) and its parsed collector
// timestamp. Writers may keep it until they are closed: do not modify it.
type Shredded struct {
	Event           *event.Event
	Entities        []Entity
	CollectorTstamp time.Time
}

// Error is a per-event failure: the event becomes a bad row carrying
// Messages, in RDB Shredder 0.13's wording where it had one.
type Error struct {
	Messages []string
}

// Error joins the messages.
func (e *Error) Error() string { return "shred: " + strings.Join(e.Messages, "; ") }

// AsError returns err's *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// DuplicateSchema is the context RDB Shredder attached to synthetic
// duplicates: {"originalEventId": <the event_id they shared>}.
var DuplicateSchema = event.SchemaKey{Vendor: "com.snowplowanalytics.snowplow", Name: "duplicate", Format: "jsonschema", Version: event.SchemaVer{Model: 1}}

// Shredder turns enriched events into Shredded events or bad rows. It is
// safe for concurrent use; share one per process so that schemas are
// resolved and mapped once.
type Shredder struct {
	reg     Registry
	cfg     Config
	plans   *planCache
	logger  *slog.Logger
	parsers sync.Pool // *jsonx.Parser, scratch memory reused across events
}

// New returns a Shredder resolving schemas through reg.
func New(reg Registry, cfg Config) (*Shredder, error) {
	if reg == nil {
		return nil, errors.New("shred: a Registry is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Shredder{reg: reg, cfg: cfg, plans: newPlanCache(reg, logger), logger: logger}, nil
}

// Plan returns the column layout of model merging every version the registry
// lists plus extra. Writers call it; it depends only on the registry and the
// versions, so every partition gets the same layout.
func (s *Shredder) Plan(ctx context.Context, model event.ModelKey, extra ...event.SchemaVer) (*Plan, error) {
	return s.plans.plan(ctx, model, extra...)
}

// BadRow turns a per-event error into the bad row of line. Errors that are
// not *Error give one message with their text.
func (s *Shredder) BadRow(line string, err error) event.BadRow {
	if e, ok := AsError(err); ok {
		return event.NewBadRow(line, s.cfg.FailureTstamp, e.Messages...)
	}
	return event.NewBadRow(line, s.cfg.FailureTstamp, err.Error())
}

// ParseLine reads one enriched TSV line into ev as RDB Shredder 0.13's
// EnrichedEventLoader did: 108 to 131 tab-separated fields (older layouts;
// missing trailing fields are null). Other lines give an *Error. ev's fields
// share memory with line.
func ParseLine(line string, ev *event.Event) error {
	line = strings.TrimSuffix(line, "\r")
	n := event.CountTSVFields(line)
	if n < event.MinTSVFields {
		return &Error{Messages: []string{fmt.Sprintf("Line does not match Snowplow enriched event (expected %d+ fields; found %d)", event.MinTSVFields, n)}}
	}
	if n > event.NumFields {
		return &Error{Messages: []string{fmt.Sprintf("Line does not match Snowplow enriched event (expected %d to %d fields; found %d)", event.MinTSVFields, event.NumFields, n)}}
	}
	if err := event.ParseTSV(line, ev); err != nil {
		return &Error{Messages: []string{err.Error()}}
	}
	return nil
}

// isUUID reports whether s is a UUID in the canonical lower-case form that
// java.util.UUID.toString() prints (what 0.13 demanded of event_id).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func nullText(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// checkCore validates event_id, collector_tstamp and etl_tstamp as 0.13 did.
func checkCore(ev *event.Event) ([]string, time.Time) {
	var msgs []string
	if id := ev.Fields[event.EventID]; !isUUID(id) {
		msgs = append(msgs, fmt.Sprintf("Field [event_id]: [%s] is not a valid UUID", nullText(id)))
	}
	ct, ok := parseRedshiftTstamp(ev.Fields[event.CollectorTstamp])
	if !ok {
		msgs = append(msgs, fmt.Sprintf("Field [collector_tstamp]: [%s] is not in the expected Redshift/Postgres timestamp format", nullText(ev.Fields[event.CollectorTstamp])))
	}
	if _, ok := parseRedshiftTstamp(ev.Fields[event.ETLTstamp]); !ok {
		msgs = append(msgs, fmt.Sprintf("Field [etl_tstamp]: [%s] is not in the expected Redshift/Postgres timestamp format", nullText(ev.Fields[event.ETLTstamp])))
	}
	return msgs, ct
}

// parseRedshiftTstamp accepts Joda's "yyyy-MM-dd HH:mm:ss.SSS" (1 to 3
// fraction digits).
func parseRedshiftTstamp(s string) (time.Time, bool) {
	if len(s) < 21 || s[19] != '.' {
		return time.Time{}, false
	}
	t, err := event.ParseTimestamp(s)
	return t, err == nil
}

// Shred validates ev and splits it into its atomic row and entities.
// originalEventID is non-empty for a synthetic duplicate whose event_id the
// dedupe stage replaced: the event then gets the duplicate context
// {"originalEventId": originalEventID}, as RDB Shredder 0.13 did.
//
// A per-event failure (malformed event_id or timestamps, invalid JSON,
// missing schema, validation failure, a value its column cannot hold) is an
// *Error: turn it into a bad row with BadRow. Any other error (cancelled
// context, a registry that is unreachable) is not the event's fault: fail the
// task so that it is retried.
//
// The returned Shredded shares memory with ev.
func (s *Shredder) Shred(ctx context.Context, ev *event.Event, originalEventID string) (*Shredded, error) {
	return s.shred(ctx, ev, originalEventID, false)
}

// ShredValidated is Shred for an event whose entities and atomic fields this
// Shredder (or one with the same configuration and registry) already
// accepted with Shred — the reduce stage of a job whose map stage validated
// every line before the shuffle. It splits the event exactly as Shred does
// and checks event_id and the timestamps again (dedupe may have replaced
// event_id), but skips what cannot fail again on the same content: schema
// lookups, Iglu validation of every entity and the column checks of the
// typed formats. Its result equals Shred's for such an event. Errors are as
// for Shred (an *Error for a malformed event_id or timestamp, invalid JSON
// or a malformed self-describing entity).
func (s *Shredder) ShredValidated(ctx context.Context, ev *event.Event, originalEventID string) (*Shredded, error) {
	return s.shred(ctx, ev, originalEventID, true)
}

// shred is Shred; validated skips the checks ShredValidated skips.
func (s *Shredder) shred(ctx context.Context, ev *event.Event, originalEventID string, validated bool) (*Shredded, error) {
	msgs, ct := checkCore(ev)
	if len(msgs) > 0 {
		return nil, &Error{Messages: msgs}
	}
	out := &Shredded{Event: ev, CollectorTstamp: ct}
	for _, src := range [...]struct {
		field event.Field
		label string
		kind  EntityKind
	}{
		{event.UnstructEvent, "ue_properties", UnstructEvent},
		{event.Contexts, "context", Context},
		{event.DerivedContexts, "derived_contexts", DerivedContext},
	} {
		raw := ev.Fields[src.field]
		if raw == "" {
			continue
		}
		var err error
		if msgs, err = s.extract(ctx, raw, src.label, src.kind, out, msgs, validated); err != nil {
			return nil, err
		}
	}
	if s.cfg.Typed && !validated {
		msgs = append(msgs, checkAtomic(ev)...)
	}
	if len(msgs) > 0 {
		return nil, &Error{Messages: msgs}
	}
	if originalEventID != "" {
		out.Entities = append(out.Entities, Entity{
			Key:         DuplicateSchema,
			Kind:        DerivedContext,
			schemaFirst: true,
			data: jsonx.Value{Kind: jsonx.Object, Keys: []string{"originalEventId"},
				Elems: []jsonx.Value{{Kind: jsonx.String, Str: originalEventID}}},
		})
	}
	return out, nil
}

// ShredLine is ParseLine followed by Shred for one enriched TSV line (a new
// Event per line, which the writers may keep). A per-event failure gives bad
// (and nil err); err is a task failure as for Shred.
func (s *Shredder) ShredLine(ctx context.Context, line, originalEventID string) (sh *Shredded, bad *event.BadRow, err error) {
	ev := new(event.Event)
	if err := ParseLine(line, ev); err != nil {
		b := s.BadRow(line, err)
		return nil, &b, nil
	}
	sh, err = s.Shred(ctx, ev, originalEventID)
	if err != nil {
		if _, ok := AsError(err); ok {
			b := s.BadRow(line, err)
			return nil, &b, nil
		}
		return nil, nil, err
	}
	return sh, nil, nil
}

// wrapper criteria: contexts and unstruct_event, model 1 revision 0.
var (
	contextsCriterion = event.SchemaKey{Vendor: "com.snowplowanalytics.snowplow", Name: "contexts", Format: "jsonschema", Version: event.SchemaVer{Model: 1}}
	unstructCriterion = event.SchemaKey{Vendor: "com.snowplowanalytics.snowplow", Name: "unstruct_event", Format: "jsonschema", Version: event.SchemaVer{Model: 1}}
)

// extract parses one JSON field, checks its wrapper and validates each entity,
// appending entities to out and failures to msgs.
// With validated, the wrapper and entities are not checked against their
// schemas (see ShredValidated).
func (s *Shredder) extract(ctx context.Context, raw, label string, kind EntityKind, out *Shredded, msgs []string, validated bool) ([]string, error) {
	ps, _ := s.parsers.Get().(*jsonx.Parser)
	if ps == nil {
		ps = new(jsonx.Parser)
	}
	doc, err := ps.Parse(raw)
	s.parsers.Put(ps)
	if err != nil {
		var se *jsonx.SyntaxError
		text := err.Error()
		if errors.As(err, &se) {
			text = se.Jackson()
		}
		return append(msgs, fmt.Sprintf("Field [%s]: invalid JSON [%s] with parsing error: %s", label, raw, text)), nil
	}
	criterion := contextsCriterion
	if kind == UnstructEvent {
		criterion = unstructCriterion
	}
	key, data, _, problem := selfDescribing(&doc)
	if problem != "" {
		return append(msgs, fmt.Sprintf("Field [%s]: %s", label, problem)), nil
	}
	if key.Vendor != criterion.Vendor || key.Name != criterion.Name || key.Format != criterion.Format ||
		key.Version.Model != 1 || key.Version.Revision != 0 {
		return append(msgs, fmt.Sprintf("Field [%s]: verifying schema as %s/%s/%s/1-0-* failed: found %s", label, criterion.Vendor, criterion.Name, criterion.Format, key)), nil
	}
	if validated {
		// checkWrapper accepted this wrapper before.
	} else if problem, err := s.checkWrapper(ctx, key, data); err != nil {
		return msgs, err
	} else if problem != "" {
		return append(msgs, fmt.Sprintf("Field [%s]: %s", label, problem)), nil
	}
	items := []jsonx.Value{*data}
	if kind != UnstructEvent {
		items = data.Elems
	}
	if out.Entities == nil {
		// room for this field's entities and a few more (the next field's,
		// the duplicate context) without regrowing
		out.Entities = make([]Entity, 0, len(items)+3)
	}
	for i := range items {
		ent, problem := entityOf(&items[i], kind)
		if problem != "" {
			msgs = append(msgs, fmt.Sprintf("Field [%s]: %s", label, problem))
			continue
		}
		if !validated {
			m, err := s.validate(ctx, &ent)
			if err != nil {
				return msgs, err
			}
			if m != "" {
				msgs = append(msgs, m)
				continue
			}
		}
		out.Entities = append(out.Entities, ent)
	}
	return msgs, nil
}

// selfDescribing splits a self-describing document into its key and data.
func selfDescribing(v *jsonx.Value) (key event.SchemaKey, data *jsonx.Value, schemaFirst bool, problem string) {
	if v.Kind != jsonx.Object {
		return key, nil, false, fmt.Sprintf("self-describing JSON must be an object, found a JSON %s", v.Kind)
	}
	var schema *jsonx.Value
	for i, k := range v.Keys {
		switch k {
		case "schema":
			schema = &v.Elems[i]
			if data == nil {
				schemaFirst = true
			}
		case "data":
			data = &v.Elems[i]
		default:
			return key, nil, false, fmt.Sprintf("self-describing JSON has an unexpected member %q (only schema and data are allowed)", k)
		}
	}
	switch {
	case schema == nil:
		return key, nil, false, "self-describing JSON has no schema member"
	case data == nil:
		return key, nil, false, "self-describing JSON has no data member"
	case schema.Kind != jsonx.String:
		return key, nil, false, fmt.Sprintf("self-describing JSON's schema must be a string, found a JSON %s", schema.Kind)
	}
	k, err := event.ParseSchemaKey(schema.Str)
	if err != nil {
		return key, nil, false, err.Error()
	}
	return k, data, schemaFirst, ""
}

// checkWrapper checks the contexts / unstruct_event wrapper's data. The two
// known versions of each are checked in code (they only constrain the
// self-describing shape of their items); others through the registry.
func (s *Shredder) checkWrapper(ctx context.Context, key event.SchemaKey, data *jsonx.Value) (string, error) {
	switch {
	case key.Name == "contexts" && (key.Version.Addition == 0 || key.Version.Addition == 1):
		if data.Kind != jsonx.Array {
			return fmt.Sprintf("%s: data must be an array, found a JSON %s", key, data.Kind), nil
		}
		if key.Version.Addition == 0 && len(data.Elems) == 0 {
			return fmt.Sprintf("%s: data must have at least 1 item", key), nil
		}
		return "", nil
	case key.Name == "unstruct_event" && key.Version.Addition == 0:
		return "", nil // the entity check below covers the shape
	}
	sch, err := s.reg.Lookup(ctx, key)
	if err != nil {
		return s.lookupProblem(key, err)
	}
	if err := validateTree(sch, data); err != nil {
		return err.Error(), nil
	}
	return "", nil
}

// validateTree validates a parsed value against sch: on its source text by
// iglu's fast path when that decides "valid" (no decoding at all), else
// through the full validator on the tree (same verdict and message as
// before: the fast path never decides "invalid").
func validateTree(sch *iglu.Schema, v *jsonx.Value) error {
	if v.Raw != "" && sch.QuickValid(v.Raw) {
		return nil
	}
	return sch.ValidateValue(toAny(v))
}

// entityOf reads one self-describing entity.
func entityOf(v *jsonx.Value, kind EntityKind) (Entity, string) {
	key, data, schemaFirst, problem := selfDescribing(v)
	if problem != "" {
		return Entity{}, problem
	}
	return Entity{Key: key, Kind: kind, data: *data, schemaFirst: schemaFirst}, ""
}

// lookupProblem classifies a failed schema lookup: a message for the bad row,
// or an error that should fail the task (transient registry failures,
// cancellation).
func (s *Shredder) lookupProblem(key event.SchemaKey, err error) (string, error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "", err
	}
	var re *iglu.ResolutionError
	if errors.As(err, &re) {
		for _, f := range re.Failures {
			if f.Transient {
				return "", fmt.Errorf("resolving %s: %w", key, err)
			}
		}
		if len(re.Failures) == 0 {
			return re.SnowplowMessage(), nil
		}
		return err.Error(), nil
	}
	if errors.Is(err, iglu.ErrSchemaNotFound) {
		return fmt.Sprintf("Could not find schema with key %s in any repository, tried:", key), nil
	}
	return "", fmt.Errorf("resolving %s: %w", key, err)
}

// validate resolves ent's schema and validates its data (and, when typed,
// that its values fit their columns). It returns a bad-row message or "".
func (s *Shredder) validate(ctx context.Context, ent *Entity) (string, error) {
	sch, err := s.reg.Lookup(ctx, ent.Key)
	if err != nil {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return s.lookupProblem(ent.Key, err)
	}
	if err := validateTree(sch, &ent.data); err != nil {
		return err.Error(), nil
	}
	if !s.cfg.Typed {
		return "", nil
	}
	f, err := s.plans.field(ctx, ent.Key, sch)
	if err != nil {
		return fmt.Sprintf("%s: %v", ent.Key, err), nil
	}
	if err := checkValue(f, &ent.data, ""); err != nil {
		return fmt.Sprintf("%s: value cannot be stored in its column: %v", ent.Key, err), nil
	}
	return "", nil
}

// toAny converts a tree to the values encoding/json decodes with UseNumber,
// for iglu validation.
func toAny(v *jsonx.Value) any {
	switch v.Kind {
	case jsonx.Bool:
		return v.True
	case jsonx.Number:
		return json.Number(v.Str)
	case jsonx.String:
		return v.Str
	case jsonx.Array:
		out := make([]any, len(v.Elems))
		for i := range v.Elems {
			out[i] = toAny(&v.Elems[i])
		}
		return out
	case jsonx.Object:
		out := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			out[k] = toAny(&v.Elems[i])
		}
		return out
	}
	return nil
}
