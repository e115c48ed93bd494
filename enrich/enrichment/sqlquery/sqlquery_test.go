package sqlquery

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
)

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		sql  string
		d    Dialect
		want string
		n    int
	}{
		{"SELECT a FROM t WHERE b = ? and c = ?", PostgreSQL, "SELECT a FROM t WHERE b = $1 and c = $2", 2},
		{"SELECT '?', \"a?\", 'it''s ?' FROM t WHERE x = ?", PostgreSQL, "SELECT '?', \"a?\", 'it''s ?' FROM t WHERE x = $1", 1},
		{"SELECT 1 -- why?\n, ? /* ? */", PostgreSQL, "SELECT 1 -- why?\n, $1 /* ? */", 1},
		{"SELECT $$ ? $$, $tag$ ?' $tag$, ?", PostgreSQL, "SELECT $$ ? $$, $tag$ ?' $tag$, $1", 1},
		{"SELECT `a?`, 'b\\'?', ? # ?", MySQL, "SELECT `a?`, 'b\\'?', ? # ?", 1},
		{"SELECT 1", MySQL, "SELECT 1", 0},
	}
	for _, c := range cases {
		got, n, err := Placeholders(c.sql, c.d)
		if err != nil || got != c.want || n != c.n {
			t.Errorf("Placeholders(%q) = %q, %d, %v; want %q, %d", c.sql, got, n, err, c.want, c.n)
		}
	}
	for _, bad := range []string{"SELECT 'x", "SELECT \"x", "SELECT /* x", "SELECT $a$ x"} {
		if _, _, err := Placeholders(bad, PostgreSQL); err == nil {
			t.Errorf("Placeholders(%q) accepted an unterminated construct", bad)
		}
	}
}

func TestPropertyName(t *testing.T) {
	cases := []struct{ mode, in, want string }{
		{"AS_IS", "Some_Column", "Some_Column"},
		{"CAMEL_CASE", "some_column_2x", "someColumn2x"},
		{"CAMEL_CASE", "some__Column_", "some__Column_"},
		{"PASCAL_CASE", "some_column", "SomeColumn"},
		{"SNAKE_CASE", "SomeColumn2", "_some_column_2"},
		{"LOWER_CASE", "SomeColumn", "somecolumn"},
		{"UPPER_CASE", "SomeColumn", "SOMECOLUMN"},
	}
	for _, c := range cases {
		if got := PropertyName(c.mode, c.in); got != c.want {
			t.Errorf("PropertyName(%s, %s) = %s, want %s", c.mode, c.in, got, c.want)
		}
	}
}

func TestParseObject(t *testing.T) {
	cases := map[string]string{
		"25.0":                  "25.0",
		"4":                     "4",
		"1E+3":                  "1000.0",
		"12 books":              "12",
		"2016-01-08 10:00:34.0": `"2016-01-08 10:00:34.0"`,
		"10:00:34":              `"10:00:34"`,
		"{1,2}":                 `"{1,2}"`,
		`{"a": [1, 2.50]} tail`: `{"a":[1,2.5]}`,
		"true story":            "true",
		"trueish":               `"trueish"`,
		"null":                  "null",
		"a0eebc99-9c0b":         `"a0eebc99-9c0b"`,
		"5b1d":                  `"5b1d"`,
		"":                      `""`,
	}
	for in, want := range cases {
		if got := jsonpath.Render(ParseObject(in)); got != want {
			t.Errorf("ParseObject(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestValueMySQL(t *testing.T) {
	ts := time.Date(2016, 1, 8, 10, 0, 34, 0, time.UTC)
	cases := []struct {
		typ  string
		v    any
		want string
	}{
		{"INT", int64(3), "3"},
		{"INT", []byte("3"), "3"},
		{"UNSIGNED BIGINT", []byte("18446744073709551615"), "18446744073709551615"},
		{"FLOAT", float32(0.1), "0.10000000149011612"},
		{"DOUBLE", []byte("0.1"), "0.1"},
		{"DECIMAL", []byte("25.0"), "25.0"},
		{"BIT", []byte{1}, "true"},
		{"VARCHAR", []byte("x"), `"x"`},
		{"JSON", []byte(`{"a":1}`), `"{\"a\":1}"`}, // Connector/J 5.1 returned JSON as a String
		{"DATE", []byte("2016-01-08"), `"2016-01-08T00:00:00.000Z"`},
		{"YEAR", []byte("2016"), `"2016-01-01T00:00:00.000Z"`},
		{"DATETIME", []byte("2016-01-08 10:00:34"), `"2016-01-08 10:00:34.0"`},
		{"TIMESTAMP", ts.Add(120 * time.Millisecond), `"2016-01-08 10:00:34.12"`},
		{"TIME", []byte("10:00:34"), `"10:00:34"`},
		{"INT", nil, "null"},
	}
	for _, c := range cases {
		if got := jsonpath.Render(Value(MySQL, c.typ, c.v)); got != c.want {
			t.Errorf("Value(MySQL, %s, %#v) = %s, want %s", c.typ, c.v, got, c.want)
		}
	}
}

func TestJavaError(t *testing.T) {
	pg := &pgconn.PgError{Severity: "ERROR", Message: `relation "x" does not exist`}
	if got := JavaError(PostgreSQL, "h", 1, pg); got != `org.postgresql.util.PSQLException: ERROR: relation "x" does not exist` {
		t.Errorf("got %s", got)
	}
	if got := JavaError(MySQL, "h", 1, errors.New("boom")); got != "java.sql.SQLException: boom" {
		t.Errorf("got %s", got)
	}
}

// FuzzPlaceholders: go test -fuzz FuzzPlaceholders ./enrich/enrichment/sqlquery
func FuzzPlaceholders(f *testing.F) {
	for _, s := range []string{"SELECT ? FROM t WHERE a = '?' -- ?\n AND b = ?", "$$?$$ ? /* ? */", "`?` ? '\\'?'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, n, err := Placeholders(s, PostgreSQL)
		if err != nil {
			return
		}
		if n < 0 || n > strings.Count(s, "?") {
			t.Fatalf("%d placeholders counted in %q", n, s)
		}
		for i := 1; i <= n; i++ {
			if !strings.Contains(out, "$"+strconv.Itoa(i)) {
				t.Fatalf("placeholder $%d missing from %q", i, out)
			}
		}
		if strings.Count(out, "?") != strings.Count(s, "?")-n {
			t.Fatalf("rewriting %q changed other question marks: %q", s, out)
		}
		if _, _, err := Placeholders(s, MySQL); err != nil && !strings.Contains(err.Error(), "unterminated") {
			t.Fatalf("MySQL: unexpected error %v", err)
		}
	})
}
