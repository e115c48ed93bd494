package enrichment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/enrich/enrichment/lookup"
	"github.com/furrowdata/furrow/enrich/enrichment/lru"
	"github.com/furrowdata/furrow/enrich/enrichment/sqlquery"
	"github.com/furrowdata/furrow/event"
)

// sql_query_enrichment_config (R108: sqlquery.SqlQueryEnrichment; the
// database side is in package sqlquery).
//
// Each input fills one placeholder of the prepared statement: a "pojo"
// input with the enriched field typed as R108's POJO typed it (String,
// Integer, Float, Byte), a "json" input with the first entity of contexts,
// derived_contexts or unstruct_event whose schema URI starts with the
// criterion's prefix, queried with its JSONPath (a string, boolean, integer
// — 32 or 64 bits — or double; null, objects, arrays and no match leave the
// placeholder empty). When the filled placeholders are not exactly 1..n for
// the statement's n "?" the query is skipped and no context added, as R108.
//
// Rows become JSON objects: each column under its label transformed by
// output.json.propertyNames, valued as R108 valued the JDBC object
// (integers, floats widened to doubles, booleans, strings, dates as
// ISO-8601 UTC, other types parsed from their text as JSON when they read as
// JSON). output.expectedRows (EXACTLY_ONE, AT_MOST_ONE, AT_LEAST_ONE,
// AT_LEAST_ZERO) is enforced with R108's messages; output.json.describes
// ALL_ROWS makes one context (an array of rows for AT_LEAST_*, the row for
// the *_ONE modes), EVERY_ROW one context per row.
//
// Results (failures included, as R108) are cached by placeholder values in
// an LRU of cache.size entries for cache.ttl seconds (0: until evicted).
// Queries time out after 30 s. A database failure fails the event with the
// JDBC-style message, unless ignoreOnError (1-0-1) is true.

const (
	sqlQueryTimeout = 30 * time.Second
	sqlMaxRows      = 100000 // bound on the rows one query may return
)

type sqlInput struct {
	placeholder int
	apiInput
}

// sqlResult is one cached query result: contexts or the failure message.
type sqlResult struct {
	ctxs []json.RawMessage
	err  string
}

type sqlEnrichment struct {
	inputs        []sqlInput
	dialect       sqlquery.Dialect
	conn          sqlquery.Conn
	db            *sql.DB
	stmt          string
	count         int
	expectedRows  string
	everyRow      bool
	propNames     string
	schema        string
	ignoreOnError bool
	cache         *lru.Cache[string, sqlResult]
	group         singleflight.Group
}

func newSQLQuery(cfg *SQLQueryConfig, env *Env) (SQLQuery, error) {
	s := &sqlEnrichment{ignoreOnError: cfg.IgnoreOnError != nil && *cfg.IgnoreOnError}
	for i, in := range cfg.Inputs {
		where := fmt.Sprintf("parameters.inputs[%d]", i)
		ai, err := compileEventInput(in.EventInput, where)
		if err != nil {
			return nil, err
		}
		if in.Placeholder < 1 {
			return nil, fmt.Errorf("%s.placeholder: %d is not a placeholder position (1, 2, …)", where, in.Placeholder)
		}
		s.inputs = append(s.inputs, sqlInput{in.Placeholder, ai})
	}
	var c *SQLConnection
	switch {
	case cfg.Database.PostgreSQL != nil:
		s.dialect, c = sqlquery.PostgreSQL, cfg.Database.PostgreSQL
	case cfg.Database.MySQL != nil:
		s.dialect, c = sqlquery.MySQL, cfg.Database.MySQL
	default:
		return nil, errors.New("parameters.database: neither postgresql nor mysql")
	}
	if c.Host == "" || c.Port < 1 || c.Port > 65535 || c.Database == "" {
		return nil, fmt.Errorf("parameters.database: host %q, port %d and database %q must all be set", c.Host, c.Port, c.Database)
	}
	s.conn = sqlquery.Conn{Host: c.Host, Port: c.Port, SSL: c.SSLMode, User: c.Username, Password: c.Password, Database: c.Database}
	stmt, n, err := sqlquery.Placeholders(cfg.Query.SQL, s.dialect)
	if err != nil {
		return nil, fmt.Errorf("parameters.query.sql: %v", err)
	}
	if strings.TrimSpace(stmt) == "" {
		return nil, errors.New("parameters.query.sql: empty")
	}
	s.stmt, s.count = stmt, n
	switch cfg.Output.ExpectedRows {
	case "EXACTLY_ONE", "AT_MOST_ONE", "AT_LEAST_ONE", "AT_LEAST_ZERO":
		s.expectedRows = cfg.Output.ExpectedRows
	default:
		return nil, fmt.Errorf("parameters.output.expectedRows: SQL Query Enrichment: [%s] is unknown value for expectedRows property", cfg.Output.ExpectedRows)
	}
	switch cfg.Output.JSON.Describes {
	case "ALL_ROWS":
	case "EVERY_ROW":
		s.everyRow = true
	default:
		return nil, fmt.Errorf("parameters.output.json.describes: Describe [%s] is not allowed", cfg.Output.JSON.Describes)
	}
	if !sqlquery.ValidPropertyMode(cfg.Output.JSON.PropertyNames) {
		return nil, fmt.Errorf("parameters.output.json.propertyNames: PropertyName [%s] is not allowed", cfg.Output.JSON.PropertyNames)
	}
	s.propNames = cfg.Output.JSON.PropertyNames
	if _, err := event.ParseSchemaKey(cfg.Output.JSON.Schema); err != nil {
		return nil, fmt.Errorf("parameters.output.json.schema: %v", err)
	}
	s.schema = cfg.Output.JSON.Schema
	if cfg.Cache.Size < 1 {
		return nil, fmt.Errorf("parameters.cache.size: %d is not positive", cfg.Cache.Size)
	}
	if cfg.Cache.TTL < 0 {
		return nil, fmt.Errorf("parameters.cache.ttl: %d is negative", cfg.Cache.TTL)
	}
	s.cache = lru.New[string, sqlResult](cfg.Cache.Size, time.Duration(cfg.Cache.TTL)*time.Second, nil)
	db, err := sqlquery.Open(s.dialect, s.conn)
	if err != nil {
		return nil, fmt.Errorf("parameters.database: %v", err)
	}
	n = max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.db = db
	// R108 connected on first use; a database that is down at start-up
	// fails events, not the job. Say so early.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil && env.Logger != nil {
		env.Logger.Warn("SQL query enrichment: database not reachable at start-up; events will fail until it is",
			"host", c.Host, "port", c.Port, "database", c.Database, "error", sqlquery.JavaError(s.dialect, c.Host, c.Port, err))
	}
	return s, nil
}

// Close closes the connection pool.
func (s *sqlEnrichment) Close() error { return s.db.Close() }

// placeholderValue is one typed statement argument.
type placeholderValue struct {
	v   any
	key string // type and value, for the cache key
}

// pojoValue types a POJO field as R108's Input.getFieldType did.
func (s *sqlEnrichment) pojoValue(f event.Field, v string) (placeholderValue, bool) {
	switch lookup.PojoType(f) {
	case lookup.JavaInteger:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return placeholderValue{}, false
		}
		return placeholderValue{int32(n), "i" + v}, true
	case lookup.JavaFloat:
		x, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return placeholderValue{}, false
		}
		return placeholderValue{float32(x), "f" + v}, true
	case lookup.JavaByte:
		n, err := strconv.ParseInt(v, 10, 8)
		if err != nil {
			return placeholderValue{}, false
		}
		if s.dialect == sqlquery.PostgreSQL {
			return placeholderValue{int16(n), "b" + v}, true // setByte sent a smallint
		}
		return placeholderValue{int8(n), "b" + v}, true
	}
	return placeholderValue{v, "s" + v}, true
}

// jsonValue is R108's Input.extractFromJson.
func jsonValue(v *jsonpath.Value) (placeholderValue, bool) {
	switch v.Kind {
	case jsonpath.String:
		return placeholderValue{v.Str, "s" + v.Str}, true
	case jsonpath.Bool:
		return placeholderValue{v.Bool, "z" + strconv.FormatBool(v.Bool)}, true
	case jsonpath.Int:
		if n, err := strconv.ParseInt(v.Num, 10, 32); err == nil {
			return placeholderValue{int32(n), "i" + v.Num}, true
		}
		if n, err := strconv.ParseInt(v.Num, 10, 64); err == nil {
			return placeholderValue{n, "l" + v.Num}, true
		}
		f, _ := strconv.ParseFloat(v.Num, 64)
		return placeholderValue{f, "d" + jsonpath.JavaDouble(f)}, true
	case jsonpath.Float:
		if math.IsInf(v.Float, 0) {
			return placeholderValue{}, false
		}
		return placeholderValue{v.Float, "d" + jsonpath.JavaDouble(v.Float)}, true
	}
	return placeholderValue{}, false // null, object, array
}

// SQLContexts returns the contexts built from the query's rows.
func (s *sqlEnrichment) SQLContexts(ctx context.Context, in *LookupInput) ([]json.RawMessage, error) {
	// Input.buildPlaceholderMap: the POJO inputs, then the JSON inputs; a
	// later value for a placeholder replaces an earlier one.
	vals := map[int]placeholderValue{}
	for i := range s.inputs {
		si := &s.inputs[i]
		if !si.pojo {
			continue
		}
		if v := in.Event.Fields[si.field]; v != "" {
			if pv, ok := s.pojoValue(si.field, v); ok {
				vals[si.placeholder] = pv
			}
		}
	}
	ents := &lookupEntities{in: in}
	for i := range s.inputs {
		si := &s.inputs[i]
		if si.pojo {
			continue
		}
		if v, ok := si.value(in.Event, ents); ok {
			if pv, ok := jsonValue(v); ok {
				vals[si.placeholder] = pv
			}
		}
	}
	// isConsistent and allPlaceholdersFilled: exactly 1..count.
	if len(vals) != s.count {
		return nil, nil
	}
	args := make([]any, s.count)
	var key strings.Builder
	for i := 1; i <= s.count; i++ {
		pv, ok := vals[i]
		if !ok {
			return nil, nil
		}
		args[i-1] = pv.v
		key.WriteString(strconv.Itoa(len(pv.key)))
		key.WriteByte(':')
		key.WriteString(pv.key)
	}
	k := key.String()
	res, ok := s.cache.Get(k)
	if !ok {
		v, _, _ := s.group.Do(k, func() (any, error) {
			if r, ok := s.cache.Get(k); ok {
				return r, nil
			}
			r := s.query(ctx, args)
			s.cache.Put(k, r)
			return r, nil
		})
		res = v.(sqlResult)
	}
	if res.err != "" {
		if s.ignoreOnError {
			return nil, nil
		}
		return nil, r108Error(res.err)
	}
	return res.ctxs, nil
}

// query runs the statement and builds the contexts (SqlQueryEnrichment.query
// and Output.convert).
func (s *sqlEnrichment) query(ctx context.Context, args []any) sqlResult {
	ctx, cancel := context.WithTimeout(ctx, sqlQueryTimeout)
	defer cancel()
	fail := func(err error) sqlResult {
		return sqlResult{err: sqlquery.JavaError(s.dialect, s.conn.Host, s.conn.Port, err)}
	}
	rows, err := s.db.QueryContext(ctx, s.stmt, args...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return fail(err)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = sqlquery.PropertyName(s.propNames, c.Name())
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var objs [][]byte
	for rows.Next() {
		if len(objs) == sqlMaxRows {
			return sqlResult{err: fmt.Sprintf("SQL Query Enrichment: more than %d rows returned", sqlMaxRows)}
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fail(err)
		}
		b := []byte{'{'}
		for i, c := range cols {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonpath.AppendString(b, names[i])
			b = append(b, ':')
			b = jsonpath.AppendRender(b, sqlquery.Value(s.dialect, c.DatabaseTypeName(), vals[i]))
		}
		objs = append(objs, append(b, '}'))
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	// Output.envelope: ExpectedRowsMode.collect, then describe.
	switch s.expectedRows {
	case "EXACTLY_ONE":
		if len(objs) != 1 {
			return sqlResult{err: "SQL Query Enrichment: exactly one row was expected"}
		}
	case "AT_MOST_ONE":
		if len(objs) > 1 {
			return sqlResult{err: "SQL Query Enrichment: at most one row was expected"}
		}
	case "AT_LEAST_ONE":
		if len(objs) == 0 {
			return sqlResult{err: "SQL Query Enrichment: at least one row was expected. 0 given instead"}
		}
	}
	describe := func(data []byte) json.RawMessage {
		b := []byte(`{"schema":`)
		b = jsonpath.AppendString(b, s.schema)
		b = append(b, `,"data":`...)
		b = append(b, data...)
		return append(b, '}')
	}
	var out []json.RawMessage
	switch {
	case s.everyRow:
		for _, o := range objs {
			out = append(out, describe(o))
		}
	case s.expectedRows == "AT_LEAST_ONE" || s.expectedRows == "AT_LEAST_ZERO":
		arr := []byte{'['}
		for i, o := range objs {
			if i > 0 {
				arr = append(arr, ',')
			}
			arr = append(arr, o...)
		}
		out = append(out, describe(append(arr, ']')))
	case len(objs) == 1:
		out = append(out, describe(objs[0]))
	}
	return sqlResult{ctxs: out}
}
