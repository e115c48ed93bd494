package shred

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/iglu"
)

// Registry is what the shredder needs from Iglu. *iglu.Resolver implements
// it.
type Registry interface {
	// Lookup returns the schema for key; a schema no repository has gives an
	// error wrapping iglu.ErrSchemaNotFound.
	Lookup(ctx context.Context, key event.SchemaKey) (*iglu.Schema, error)
}

// ModelLister is implemented by registries that can list every version of
// one schema model (all vendor/name/format/M-*-* keys); *iglu.Resolver does.
// Without it, a model's column layout is the superset of the versions a
// writer has seen so far, and a new version seen mid-partition starts a new
// part file.
type ModelLister interface {
	ListModel(ctx context.Context, vendor, name, format string, model int) ([]event.SchemaKey, error)
}

var _ ModelLister = (*iglu.Resolver)(nil)
var _ Registry = (*iglu.Resolver)(nil)

// Plan is the column layout of one schema model: the superset of several
// versions' types (see Merge). Plans are immutable.
type Plan struct {
	Model event.ModelKey
	// Versions are the versions merged into Root, ascending.
	Versions []event.SchemaVer
	// Root is the type of the entities' data (normally a TypeStruct).
	Root *Field
}

// Covers reports whether v is one of the plan's versions.
func (p *Plan) Covers(v event.SchemaVer) bool {
	return slices.Contains(p.Versions, v)
}

// planCache resolves and keeps per-version types, the registry's version
// lists and merged plans. Safe for concurrent use. A plan depends only on the
// registry's content and the versions asked for, never on which partition
// asked first, so concurrent partitions write identical file schemas.
type planCache struct {
	reg    Registry
	logger *slog.Logger

	mu     sync.Mutex
	fields map[event.SchemaKey]*Field
	listed map[event.ModelKey][]event.SchemaVer
	plans  map[string]*Plan
}

func newPlanCache(reg Registry, logger *slog.Logger) *planCache {
	return &planCache{
		reg:    reg,
		logger: logger,
		fields: make(map[event.SchemaKey]*Field),
		listed: make(map[event.ModelKey][]event.SchemaVer),
		plans:  make(map[string]*Plan),
	}
}

// field returns the type of one schema version; sch, when not nil, is that
// schema already resolved.
func (c *planCache) field(ctx context.Context, key event.SchemaKey, sch *iglu.Schema) (*Field, error) {
	c.mu.Lock()
	f := c.fields[key]
	c.mu.Unlock()
	if f != nil {
		return f, nil
	}
	var raw []byte
	if sch != nil {
		raw = sch.Raw
	} else if s, err := c.reg.Lookup(ctx, key); err == nil {
		raw = s.Raw
	} else if key == DuplicateSchema && errors.Is(err, iglu.ErrSchemaNotFound) && !errors.Is(err, iglu.ErrRepositoryFailure) {
		raw = []byte(duplicateSchemaJSON) // the context furrow adds itself must always be writable
	} else {
		return nil, err
	}
	f, err := FieldsFromSchema(raw)
	if err != nil {
		return nil, fmt.Errorf("mapping %s to columns: %w", key, err)
	}
	c.mu.Lock()
	if g := c.fields[key]; g != nil {
		f = g
	} else {
		c.fields[key] = f
	}
	c.mu.Unlock()
	return f, nil
}

// listedVersions returns the versions the registry lists for model (none
// when it cannot list), fetched once per process.
func (c *planCache) listedVersions(ctx context.Context, model event.ModelKey) ([]event.SchemaVer, error) {
	c.mu.Lock()
	vs, ok := c.listed[model]
	c.mu.Unlock()
	if ok {
		return vs, nil
	}
	vs = []event.SchemaVer{}
	if l, isLister := c.reg.(ModelLister); isLister {
		keys, err := l.ListModel(ctx, model.Vendor, model.Name, model.Format, model.Model)
		if err != nil && (!errors.Is(err, iglu.ErrSchemaNotFound) || errors.Is(err, iglu.ErrRepositoryFailure)) {
			return nil, fmt.Errorf("listing the versions of %s: %w", model, err)
		}
		for _, k := range keys {
			if k.Model() == model {
				vs = append(vs, k.Version)
			}
		}
	}
	c.mu.Lock()
	c.listed[model] = vs
	c.mu.Unlock()
	return vs, nil
}

// duplicateSchemaJSON is iglu:com.snowplowanalytics.snowplow/duplicate/jsonschema/1-0-0.
const duplicateSchemaJSON = `{"type":"object","properties":{"originalEventId":{"type":"string","format":"uuid"}},"required":["originalEventId"],"additionalProperties":false}`

func sortVersions(vs []event.SchemaVer) []event.SchemaVer {
	slices.SortFunc(vs, func(a, b event.SchemaVer) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	return slices.Compact(vs)
}

// plan returns the plan merging every listed version of model plus extra.
func (c *planCache) plan(ctx context.Context, model event.ModelKey, extra ...event.SchemaVer) (*Plan, error) {
	listed, err := c.listedVersions(ctx, model)
	if err != nil {
		return nil, err
	}
	versions := sortVersions(append(slices.Clone(listed), extra...))
	id := model.String()
	for _, v := range versions {
		id += "," + v.String()
	}
	c.mu.Lock()
	p := c.plans[id]
	c.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p = &Plan{Model: model}
	for _, v := range versions {
		k := event.SchemaKey{Vendor: model.Vendor, Name: model.Name, Format: model.Format, Version: v}
		f, err := c.field(ctx, k, nil)
		if err != nil {
			if !slices.Contains(extra, v) && errors.Is(err, iglu.ErrSchemaNotFound) && !errors.Is(err, iglu.ErrRepositoryFailure) {
				c.logger.Warn("listed schema version cannot be resolved; leaving it out of the model's columns", "schema", k.String(), "err", err)
				continue
			}
			return nil, fmt.Errorf("resolving %s for its column layout: %w", k, err)
		}
		if p.Root == nil {
			p.Root = f
		} else {
			p.Root = Merge(p.Root, f)
		}
		p.Versions = append(p.Versions, v)
	}
	if p.Root == nil {
		return nil, fmt.Errorf("model %s has no resolvable version", model)
	}
	c.mu.Lock()
	if q := c.plans[id]; q != nil {
		p = q
	} else {
		c.plans[id] = p
	}
	c.mu.Unlock()
	return p, nil
}
