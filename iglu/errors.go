package iglu

import (
	"errors"
	"strings"

	"github.com/furrowdata/furrow/event"
)

// ErrSchemaNotFound is wrapped by lookups that no repository could answer.
var ErrSchemaNotFound = errors.New("iglu: schema not found")

// ErrRepositoryFailure is wrapped, besides ErrSchemaNotFound, by failed
// lookups where at least one repository failed for another reason than not
// having the schema (unreachable, HTTP error, invalid schema, self block
// mismatch). A lookup that wraps ErrSchemaNotFound but not this one was a
// clean "no registry has it".
var ErrRepositoryFailure = errors.New("iglu: repository failure")

// RepositoryError is one repository's failure during a lookup.
type RepositoryError struct {
	// Repository is "Name [descriptor]", e.g. "Iglu Central [HTTP]".
	Repository string
	Err        error
	// Transient is true for errors worth retrying (network, HTTP 5xx/429).
	Transient bool

	repo *repo
}

// ResolutionError is the error of a lookup that found no usable schema.
// errors.Is(err, ErrSchemaNotFound) always holds; errors.Is(err,
// ErrRepositoryFailure) holds when Failures is not empty.
type ResolutionError struct {
	Key event.SchemaKey
	// Tried lists every repository searched, as "Name [descriptor]", in the
	// order Snowplow's error listed them (the reverse of the lookup order).
	Tried []string
	// Failures are the repositories that failed other than by not having
	// the schema, in lookup order.
	Failures []RepositoryError
}

// SnowplowMessage returns the message Snowplow's resolver gave for this
// failure ("Could not find schema with key iglu:… in any repository,
// tried:"); Tried is its "repositories" list.
func (e *ResolutionError) SnowplowMessage() string {
	return "Could not find schema with key " + e.Key.String() + " in any repository, tried:"
}

// Error renders one line: the key, the repositories tried and each failure.
func (e *ResolutionError) Error() string {
	var b strings.Builder
	b.WriteString("iglu: could not find schema with key ")
	b.WriteString(e.Key.String())
	b.WriteString(" in any repository, tried: ")
	b.WriteString(strings.Join(e.Tried, ", "))
	for _, f := range e.Failures {
		b.WriteString("; ")
		b.WriteString(f.Repository)
		b.WriteString(": ")
		b.WriteString(f.Err.Error())
	}
	return oneLine(b.String())
}

// Unwrap exposes ErrSchemaNotFound and, when a repository failed,
// ErrRepositoryFailure and the failures' own errors.
func (e *ResolutionError) Unwrap() []error {
	errs := []error{ErrSchemaNotFound}
	if len(e.Failures) > 0 {
		errs = append(errs, ErrRepositoryFailure)
		for _, f := range e.Failures {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

// transientRepos returns the repositories whose failure may be retried.
func (e *ResolutionError) transientRepos() []*repo {
	var out []*repo
	for _, f := range e.Failures {
		if f.Transient {
			out = append(out, f.repo)
		}
	}
	return out
}
