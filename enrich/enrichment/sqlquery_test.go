package enrichment

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/internal/testservers"
)

// sqlTestDB is one private PostgreSQL cluster shared by this file's tests,
// holding this package's own sample table.
type sqlTestDB struct {
	pg *testservers.Postgres
}

// places is this package's own seed (not the conformance fixture's).
const placesSeed = `{"table":"places","columns":[
	{"name":"city","type":"VARCHAR(32)","constraints":"NOT NULL"},
	{"name":"country_code","type":"CHAR(2)","constraints":"NOT NULL"},
	{"name":"speed","type":"NUMERIC(4,1)","constraints":"NOT NULL"},
	{"name":"pk","type":"INTEGER","constraints":"NOT NULL PRIMARY KEY"},
	{"name":"ratio","type":"REAL","constraints":""},
	{"name":"score","type":"DOUBLE PRECISION","constraints":""},
	{"name":"big_id","type":"BIGINT","constraints":""},
	{"name":"active","type":"BOOLEAN","constraints":""},
	{"name":"founded","type":"DATE","constraints":""},
	{"name":"seen_at","type":"TIMESTAMP","constraints":""},
	{"name":"meta","type":"JSONB","constraints":""}],
	"rows":[
	{"city":"Lyon","country_code":"FR","speed":12.5,"pk":1,"ratio":0.1,"score":2.5,"big_id":9007199254740993,"active":"true","founded":"1900-02-03","seen_at":"2016-01-08 10:00:34.25","meta":"{\"b\": [1, 2.0], \"a\": null}"},
	{"city":"Lyon","country_code":"FR","speed":30.0,"pk":2,"ratio":1.5,"score":1e-7,"big_id":1,"active":"false","founded":null,"seen_at":"2016-01-08 10:00:34","meta":null},
	{"city":"Oslo","country_code":"NO","speed":30.0,"pk":3,"ratio":null,"score":null,"big_id":null,"active":null,"founded":null,"seen_at":null,"meta":"{}"}]}`

// TestSQLQuery runs the SQL query enrichment against a real PostgreSQL
// cluster started for it (skipped when PostgreSQL is not installed, failed
// when CI=true).
func TestSQLQuery(t *testing.T) {
	pg := testservers.StartPostgres(t)
	if err := pg.SQLEnrichmentFixture(context.Background(), json.RawMessage(placesSeed), "geo", "s3cret'pw", "geodb"); err != nil {
		t.Fatal(err)
	}
	d := &sqlTestDB{pg: pg}
	t.Run("outputs", func(t *testing.T) { testSQLQueryOutputs(t, d) })
	t.Run("column types", func(t *testing.T) { testSQLQueryColumnTypes(t, d) })
	t.Run("inputs and cache", func(t *testing.T) { testSQLQueryInputsAndCache(t, d) })
	t.Run("failures", func(t *testing.T) { testSQLQueryFailures(t, d) })
}

func (d *sqlTestDB) params(sql, output, extra string) string {
	return `{"inputs":[{"placeholder":1,"pojo":{"field":"geo_city"}},
		{"placeholder":2,"json":{"field":"contexts","schemaCriterion":"iglu:com.snowplowanalytics.snowplow/geolocation_context/jsonschema/*-*-*","jsonPath":"$.speed"}}],
		"database":{"postgresql":{"host":"` + d.pg.Host + `","port":` + itoaTest(d.pg.Port) + `,"sslMode":false,"username":"geo","password":"s3cret'pw","database":"geodb"}},
		"query":{"sql":"` + sql + `"},"output":` + output + `,"cache":{"size":100,"ttl":0}` + extra + `}`
}

func itoaTest(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func newSQLForTest(t *testing.T, params string) *sqlEnrichment {
	t.Helper()
	var c SQLQueryConfig
	if err := strictDecode([]byte(params), &c); err != nil {
		t.Fatalf("decoding %s: %v", params, err)
	}
	impl, err := newSQLQuery(&c, &Env{})
	if err != nil {
		t.Fatal(err)
	}
	s := impl.(*sqlEnrichment)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func sqlLookupInput(t *testing.T, city, speed string) *LookupInput {
	var e event.Event
	e.Fields[event.GeoCity] = city
	in := &LookupInput{Event: &e}
	if speed != "" {
		in.Contexts = []event.SelfDescribing{
			sd(t, "iglu:com.snowplowanalytics.snowplow/mobile_context/jsonschema/1-0-0", `{"speed":99}`),
			sd(t, "iglu:com.snowplowanalytics.snowplow/geolocation_context/jsonschema/1-1-0", `{"latitude":7,"speed":`+speed+`}`)}
	}
	return in
}

const selectPlaces = "SELECT city, country_code, pk FROM places WHERE city = ? and speed = ? ORDER BY pk"

func testSQLQueryOutputs(t *testing.T, d *sqlTestDB) {
	ctx := context.Background()
	cases := []struct {
		name, output, city, speed, want, err string
	}{
		{"all rows, at least one, camel case", `{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:com.acme/place/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"CAMEL_CASE"}}`,
			"Lyon", "12.5", `{"schema":"iglu:com.acme/place/jsonschema/1-0-0","data":[{"city":"Lyon","countryCode":"FR","pk":1}]}`, ""},
		{"all rows, at least one, none found", `{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:com.acme/place/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`,
			"Lyon", "99", "", "SQL Query Enrichment: at least one row was expected. 0 given instead"},
		{"all rows, at least zero, none found", `{"expectedRows":"AT_LEAST_ZERO","json":{"schema":"iglu:com.acme/place/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`,
			"Lyon", "99", `{"schema":"iglu:com.acme/place/jsonschema/1-0-0","data":[]}`, ""},
		{"all rows, exactly one: the row itself", `{"expectedRows":"EXACTLY_ONE","json":{"schema":"iglu:com.acme/place/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"PASCAL_CASE"}}`,
			"Oslo", "30", `{"schema":"iglu:com.acme/place/jsonschema/1-0-0","data":{"City":"Oslo","CountryCode":"NO","Pk":3}}`, ""},
		{"exactly one, none found", `{"expectedRows":"EXACTLY_ONE","json":{"schema":"iglu:com.acme/place/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`,
			"Oslo", "1", "", "SQL Query Enrichment: exactly one row was expected"},
		{"at most one, none found", `{"expectedRows":"AT_MOST_ONE","json":{"schema":"iglu:com.acme/place/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`,
			"Oslo", "1", "", ""},
		{"every row", `{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:com.acme/place/jsonschema/1-0-0","describes":"EVERY_ROW","propertyNames":"UPPER_CASE"}}`,
			"Lyon", "12.5", `{"schema":"iglu:com.acme/place/jsonschema/1-0-0","data":{"CITY":"Lyon","COUNTRY_CODE":"FR","PK":1}}`, ""},
	}
	for _, c := range cases {
		s := newSQLForTest(t, d.params(selectPlaces, c.output, ""))
		out, err := s.SQLContexts(ctx, sqlLookupInput(t, c.city, c.speed))
		got := contextsString(out)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: got %s, %v; want error %q", c.name, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %s, %v\nwant %s", c.name, got, err, c.want)
		}
	}
	// Several rows, one context per row, in order.
	s := newSQLForTest(t, d.params("SELECT pk FROM places WHERE city = ? and speed >= ? ORDER BY pk", `{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:com.acme/p/jsonschema/1-0-0","describes":"EVERY_ROW","propertyNames":"AS_IS"}}`, ""))
	out, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "1"))
	if got := contextsString(out); err != nil || got != `{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":{"pk":1}},{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":{"pk":2}}` {
		t.Errorf("every row: %s, %v", got, err)
	}
	// AT_MOST_ONE with two rows fails.
	s = newSQLForTest(t, d.params("SELECT pk FROM places WHERE city = ? and speed >= ?", `{"expectedRows":"AT_MOST_ONE","json":{"schema":"iglu:com.acme/p/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`, ""))
	if _, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "1")); err == nil || err.Error() != "SQL Query Enrichment: at most one row was expected" {
		t.Errorf("at most one: %v", err)
	}
}

func testSQLQueryColumnTypes(t *testing.T, d *sqlTestDB) {
	s := newSQLForTest(t, d.params("SELECT * FROM places WHERE city = ? and speed = ? ORDER BY pk",
		`{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:com.acme/p/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"CAMEL_CASE"}}`, ""))
	out, err := s.SQLContexts(context.Background(), sqlLookupInput(t, "Lyon", "12.5"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":[{"city":"Lyon","countryCode":"FR","speed":12.5,"pk":1,"ratio":0.10000000149011612,"score":2.5,"bigId":9007199254740993,` +
		`"active":true,"founded":"1900-02-03T00:00:00.000Z","seenAt":"2016-01-08 10:00:34.25","meta":{"a":null,"b":[1,2.0]}}]}`
	if got := contextsString(out); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	out, err = s.SQLContexts(context.Background(), sqlLookupInput(t, "Oslo", "30"))
	want = `{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":[{"city":"Oslo","countryCode":"NO","speed":30.0,"pk":3,"ratio":null,"score":null,"bigId":null,"active":null,"founded":null,"seenAt":null,"meta":{}}]}`
	if got := contextsString(out); err != nil || got != want {
		t.Errorf("nulls:\n got %s, %v\nwant %s", got, err, want)
	}
}

func testSQLQueryInputsAndCache(t *testing.T, d *sqlTestDB) {
	ctx := context.Background()
	out := `{"expectedRows":"AT_LEAST_ZERO","json":{"schema":"iglu:com.acme/p/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`
	s := newSQLForTest(t, d.params(selectPlaces, out, ""))
	// A missing input: no query, no context, no error.
	if got, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "")); got != nil || err != nil {
		t.Errorf("missing JSON input: %v, %v", got, err)
	}
	if got, err := s.SQLContexts(ctx, sqlLookupInput(t, "", "12.5")); got != nil || err != nil {
		t.Errorf("missing POJO input: %v, %v", got, err)
	}
	// A JSON null or object leaves the placeholder empty too.
	if got, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "null")); got != nil || err != nil {
		t.Errorf("null input: %v, %v", got, err)
	}
	first, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30"))
	if err != nil || !strings.Contains(contextsString(first), `"pk":2`) {
		t.Fatalf("first query: %s, %v", contextsString(first), err)
	}
	// The table changes; the cached result is served (ttl 0 = until evicted).
	if err := d.pg.Exec(ctx, "geodb", "UPDATE places SET city = 'Lyon2' WHERE pk = 2"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.pg.Exec(ctx, "geodb", "UPDATE places SET city = 'Lyon' WHERE pk = 2") })
	again, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30"))
	if err != nil || contextsString(again) != contextsString(first) {
		t.Errorf("cached query: %s, %v", contextsString(again), err)
	}
	fresh := newSQLForTest(t, d.params(selectPlaces, out, ""))
	if got, err := fresh.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30")); err != nil || contextsString(got) != `{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":[]}` {
		t.Errorf("uncached query after the update: %s, %v", contextsString(got), err)
	}
	// A POJO Float input (geo_latitude) against a REAL column.
	s = newSQLForTest(t, `{"inputs":[{"placeholder":1,"pojo":{"field":"geo_latitude"}}],
		"database":{"postgresql":{"host":"`+d.pg.Host+`","port":`+itoaTest(d.pg.Port)+`,"sslMode":false,"username":"geo","password":"s3cret'pw","database":"geodb"}},
		"query":{"sql":"SELECT pk FROM places WHERE ratio = ? -- a comment with a ? in it"},"output":`+out+`,"cache":{"size":1,"ttl":60}}`)
	var e event.Event
	e.Fields[event.GeoLatitude] = "1.5"
	if got, err := s.SQLContexts(ctx, &LookupInput{Event: &e}); err != nil || contextsString(got) != `{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":[{"pk":2}]}` {
		t.Errorf("float input: %s, %v", contextsString(got), err)
	}
}

func testSQLQueryFailures(t *testing.T, d *sqlTestDB) {
	ctx := context.Background()
	out := `{"expectedRows":"AT_LEAST_ZERO","json":{"schema":"iglu:com.acme/p/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`
	s := newSQLForTest(t, d.params("SELECT nope FROM places WHERE city = ? and speed = ?", out, ""))
	if _, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30")); err == nil || err.Error() != `org.postgresql.util.PSQLException: ERROR: column "nope" does not exist` {
		t.Errorf("bad column: %v", err)
	}
	s = newSQLForTest(t, d.params("SELECT nope FROM places WHERE city = ? and speed = ?", out, `,"ignoreOnError":true`))
	if got, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30")); got != nil || err != nil {
		t.Errorf("ignoreOnError: %v, %v", got, err)
	}
	bad := strings.Replace(d.params(selectPlaces, out, ""), `"password":"s3cret'pw"`, `"password":"wrong"`, 1)
	s = newSQLForTest(t, bad)
	if _, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30")); err == nil || !strings.Contains(err.Error(), `password authentication failed for user "geo"`) {
		t.Errorf("wrong password: %v", err)
	}
	down := strings.Replace(d.params(selectPlaces, out, ""), `"port":`+itoaTest(d.pg.Port), `"port":1`, 1)
	s = newSQLForTest(t, down)
	if _, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30")); err == nil || !strings.HasPrefix(err.Error(), "org.postgresql.util.PSQLException: Connection to 127.0.0.1:1 refused.") {
		t.Errorf("database down: %v", err)
	}
}

func TestSQLQueryConfigErrors(t *testing.T) {
	db := `"database":{"postgresql":{"host":"127.0.0.1","port":1,"sslMode":false,"username":"u","password":"p","database":"d"}}`
	out := `"output":{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:a/b/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}}`
	cases := []struct{ params, want string }{
		{`{"inputs":[{"placeholder":0,"pojo":{"field":"app_id"}}],` + db + `,"query":{"sql":"SELECT 1"},` + out + `,"cache":{"size":1,"ttl":0}}`, "parameters.inputs[0].placeholder"},
		{`{"inputs":[{"placeholder":1,"pojo":{"field":"nope"}}],` + db + `,"query":{"sql":"SELECT 1"},` + out + `,"cache":{"size":1,"ttl":0}}`, "parameters.inputs[0].pojo.field"},
		{`{"inputs":[],` + db + `,"query":{"sql":"SELECT 'x"},` + out + `,"cache":{"size":1,"ttl":0}}`, "parameters.query.sql: unterminated ' quote"},
		{`{"inputs":[],` + db + `,"query":{"sql":"SELECT 1"},"output":{"expectedRows":"MANY","json":{"schema":"iglu:a/b/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"AS_IS"}},"cache":{"size":1,"ttl":0}}`, "[MANY] is unknown value for expectedRows"},
		{`{"inputs":[],` + db + `,"query":{"sql":"SELECT 1"},"output":{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:a/b/jsonschema/1-0-0","describes":"SOME_ROWS","propertyNames":"AS_IS"}},"cache":{"size":1,"ttl":0}}`, "Describe [SOME_ROWS] is not allowed"},
		{`{"inputs":[],` + db + `,"query":{"sql":"SELECT 1"},"output":{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:a/b/jsonschema/1-0-0","describes":"ALL_ROWS","propertyNames":"KEBAB"}},"cache":{"size":1,"ttl":0}}`, "PropertyName [KEBAB] is not allowed"},
		{`{"inputs":[],` + db + `,"query":{"sql":"SELECT 1"},"output":{"expectedRows":"AT_LEAST_ONE","json":{"schema":"a/b","describes":"ALL_ROWS","propertyNames":"AS_IS"}},"cache":{"size":1,"ttl":0}}`, "parameters.output.json.schema"},
		{`{"inputs":[],` + db + `,"query":{"sql":"SELECT 1"},` + out + `,"cache":{"size":0,"ttl":0}}`, "parameters.cache.size"},
	}
	for _, c := range cases {
		var cfg SQLQueryConfig
		if err := strictDecode([]byte(c.params), &cfg); err != nil {
			t.Fatalf("%s: %v", c.params, err)
		}
		impl, err := newSQLQuery(&cfg, &Env{})
		if err == nil {
			_ = impl.(*sqlEnrichment).Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v, want an error containing %q", c.params, err, c.want)
		}
	}
}

// TestSQLQueryMySQL runs the enrichment against a real MariaDB server
// started for it (skipped when none is installed, failed when CI=true).
func TestSQLQueryMySQL(t *testing.T) {
	m := testservers.StartMySQL(t)
	ctx := context.Background()
	if err := m.Exec(ctx,
		"CREATE DATABASE geodb",
		"CREATE USER 'geo'@'127.0.0.1' IDENTIFIED BY 'pw'",
		"GRANT SELECT ON geodb.* TO 'geo'@'127.0.0.1'",
		"CREATE TABLE geodb.places (city VARCHAR(32) NOT NULL, speed DECIMAL(4,1) NOT NULL, pk INT PRIMARY KEY, ratio FLOAT, score DOUBLE, "+
			"big_id BIGINT UNSIGNED, flag BIT(1), founded DATE, seen_at DATETIME(2), opened TIME, note TEXT)",
		"INSERT INTO geodb.places VALUES ('Lyon', 12.5, 1, 0.1, 2.5, 18446744073709551615, b'1', '1900-02-03', '2016-01-08 10:00:34.25', '10:00:34', 'x ? y'), "+
			"('Lyon', 30.0, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
	); err != nil {
		t.Fatal(err)
	}
	params := `{"inputs":[{"placeholder":1,"pojo":{"field":"geo_city"}},
		{"placeholder":2,"json":{"field":"contexts","schemaCriterion":"iglu:com.snowplowanalytics.snowplow/geolocation_context/jsonschema/1-*-*","jsonPath":"$.speed"}}],
		"database":{"mysql":{"host":"127.0.0.1","port":` + itoaTest(m.Port) + `,"sslMode":false,"username":"geo","password":"pw","database":"geodb"}},
		"query":{"sql":"SELECT * FROM places WHERE city = ? AND speed = ? AND (note IS NULL OR note <> '?')"},
		"output":{"expectedRows":"AT_LEAST_ONE","json":{"schema":"iglu:com.acme/p/jsonschema/1-0-0","describes":"EVERY_ROW","propertyNames":"SNAKE_CASE"}},
		"cache":{"size":10,"ttl":60}}`
	s := newSQLForTest(t, params)
	out, err := s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "12.5"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":{"city":"Lyon","speed":12.5,"pk":1,"ratio":0.10000000149011612,"score":2.5,` +
		`"big_id":18446744073709551615,"flag":true,"founded":"1900-02-03T00:00:00.000Z","seen_at":"2016-01-08 10:00:34.25","opened":"10:00:34","note":"x ? y"}}`
	if got := contextsString(out); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	out, err = s.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30"))
	want = `{"schema":"iglu:com.acme/p/jsonschema/1-0-0","data":{"city":"Lyon","speed":30.0,"pk":2,"ratio":null,"score":null,"big_id":null,"flag":null,"founded":null,"seen_at":null,"opened":null,"note":null}}`
	if got := contextsString(out); err != nil || got != want {
		t.Errorf("nulls:\n got %s, %v\nwant %s", got, err, want)
	}
	bad := newSQLForTest(t, strings.Replace(params, "FROM places", "FROM nowhere", 1))
	if _, err := bad.SQLContexts(ctx, sqlLookupInput(t, "Lyon", "30")); err == nil || !strings.HasPrefix(err.Error(), "java.sql.SQLException: Table 'geodb.nowhere' doesn't exist") {
		t.Errorf("missing table: %v", err)
	}
}
