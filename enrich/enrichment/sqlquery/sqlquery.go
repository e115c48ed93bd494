// Package sqlquery owns the database side of the SQL query enrichment:
// connecting to PostgreSQL (jackc/pgx) or MySQL (go-sql-driver/mysql)
// through database/sql as R108 connected through JDBC, counting and
// rewriting the statement's "?" placeholders, mapping each column value to
// the JSON value R108 produced from the JDBC object's class, naming
// properties (AS_IS, CAMEL_CASE, …) and wording database failures as the
// JDBC exceptions R108 printed.
package sqlquery

import (
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
)

// Dialect is the database kind.
type Dialect uint8

// The supported databases.
const (
	PostgreSQL Dialect = iota
	MySQL
)

// Conn are the connection settings of the enrichment config.
type Conn struct {
	Host     string
	Port     int
	SSL      bool // R108: ssl=true with a non-validating factory (PostgreSQL), useSsl without verification (MySQL)
	User     string
	Password string
	Database string
}

// Open returns a connection pool (no connection is made yet, as R108
// connected on first use).
func Open(d Dialect, c Conn) (*sql.DB, error) {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	switch d {
	case PostgreSQL:
		u := url.URL{Scheme: "postgres", User: url.UserPassword(c.User, c.Password), Host: addr, Path: "/" + c.Database}
		q := url.Values{}
		if c.SSL {
			q.Set("sslmode", "require") // encrypted, certificate not verified
		} else {
			q.Set("sslmode", "disable")
		}
		q.Set("connect_timeout", "30")
		u.RawQuery = q.Encode()
		return sql.Open("pgx", u.String())
	case MySQL:
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = c.User, c.Password, "tcp", addr, c.Database
		cfg.Timeout = 30 * time.Second
		if c.SSL {
			cfg.TLS = &tls.Config{InsecureSkipVerify: true} // R108: verifyServerCertificate=false
		}
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(conn), nil
	}
	return nil, fmt.Errorf("sqlquery: unknown dialect %d", d)
}

// Placeholders counts the "?" placeholders of a statement outside string
// literals, quoted identifiers and comments (what the JDBC driver's
// getParameterMetaData().getParameterCount() reported) and returns the
// statement to run: for PostgreSQL each "?" becomes $1, $2, ….
func Placeholders(stmt string, d Dialect) (string, int, error) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(stmt); i++ {
		c := stmt[i]
		switch {
		case c == '\'' || c == '"' || (c == '`' && d == MySQL):
			j := i + 1
			for ; j < len(stmt); j++ {
				if stmt[j] == '\\' && d == MySQL && c != '`' {
					j++
					continue
				}
				if stmt[j] == c {
					if j+1 < len(stmt) && stmt[j+1] == c { // doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(stmt) {
				return "", 0, fmt.Errorf("unterminated %c quote in the SQL statement", c)
			}
			b.WriteString(stmt[i : j+1])
			i = j
		case c == '-' && strings.HasPrefix(stmt[i:], "--"), c == '#' && d == MySQL:
			j := strings.IndexByte(stmt[i:], '\n')
			if j < 0 {
				j = len(stmt) - i
			}
			b.WriteString(stmt[i : i+j])
			i += j - 1
		case c == '/' && strings.HasPrefix(stmt[i:], "/*"):
			j := strings.Index(stmt[i+2:], "*/")
			if j < 0 {
				return "", 0, errors.New("unterminated /* comment in the SQL statement")
			}
			b.WriteString(stmt[i : i+j+4])
			i += j + 3
		case c == '$' && d == PostgreSQL && dollarTag.MatchString(stmt[i:]):
			tag := dollarTag.FindString(stmt[i:])
			j := strings.Index(stmt[i+len(tag):], tag)
			if j < 0 {
				return "", 0, errors.New("unterminated dollar-quoted string in the SQL statement")
			}
			end := i + len(tag) + j + len(tag)
			b.WriteString(stmt[i:end])
			i = end - 1
		case c == '?':
			n++
			if d == PostgreSQL {
				b.WriteString("$" + strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), n, nil
}

var dollarTag = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)?\$`)

// PropertyName transforms a column label as R108's JsonOutput did.
func PropertyName(mode, label string) string {
	switch mode {
	case "CAMEL_CASE":
		return camel(label)
	case "PASCAL_CASE":
		s := camel(label)
		if s == "" {
			return s
		}
		r := []rune(s)
		r[0] = unicode.ToUpper(r[0])
		return string(r)
	case "SNAKE_CASE":
		var b strings.Builder
		for _, r := range label {
			if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
				b.WriteByte('_')
				b.WriteRune(unicode.ToLower(r))
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	case "LOWER_CASE":
		return strings.ToLower(label)
	case "UPPER_CASE":
		return strings.ToUpper(label)
	}
	return label // AS_IS
}

// camel replaces "_x" (x a lowercase letter or digit) by X.
func camel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+1 < len(s) && (s[i+1] >= 'a' && s[i+1] <= 'z' || s[i+1] >= '0' && s[i+1] <= '9') {
			b.WriteByte(byte(unicode.ToUpper(rune(s[i+1]))))
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ValidPropertyMode reports whether mode is one of R108's propertyNames.
func ValidPropertyMode(mode string) bool {
	switch mode {
	case "AS_IS", "CAMEL_CASE", "PASCAL_CASE", "SNAKE_CASE", "LOWER_CASE", "UPPER_CASE":
		return true
	}
	return false
}

// javaClass is the class of the object the JDBC driver returned for a
// column type (ResultSetMetaData.getColumnClassName).
type javaClass uint8

const (
	classOther     javaClass = iota // parsed from its toString (JsonOutput.parseObject)
	classInteger                    // java.lang.Integer, java.lang.Long
	classFloat                      // java.lang.Float
	classDouble                     // java.lang.Double
	classBoolean                    // java.lang.Boolean
	classString                     // java.lang.String
	classDate                       // java.sql.Date
	classTimestamp                  // java.sql.Timestamp (toString, then parseObject)
)

func classOf(d Dialect, dbType string) javaClass {
	t := strings.ToUpper(dbType)
	if d == PostgreSQL {
		switch t {
		case "INT2", "INT4", "INT8", "OID":
			return classInteger
		case "FLOAT4":
			return classFloat
		case "FLOAT8":
			return classDouble
		case "BOOL", "BIT":
			return classBoolean
		case "VARCHAR", "TEXT", "BPCHAR", "NAME", "CHAR", "CITEXT":
			return classString
		case "DATE":
			return classDate
		case "TIMESTAMP", "TIMESTAMPTZ":
			return classTimestamp
		}
		return classOther
	}
	switch t {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "UNSIGNED TINYINT", "UNSIGNED SMALLINT",
		"UNSIGNED MEDIUMINT", "UNSIGNED INT", "BIGINT":
		return classInteger
	case "FLOAT":
		return classFloat
	case "DOUBLE", "REAL":
		return classDouble
	case "BIT", "BOOL", "BOOLEAN":
		return classBoolean
	case "CHAR", "VARCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET", "JSON":
		return classString
	case "DATE", "YEAR":
		return classDate
	case "DATETIME", "TIMESTAMP":
		return classTimestamp
	}
	return classOther // DECIMAL, UNSIGNED BIGINT, TIME, binary types, …
}

// Value maps one scanned column value to the JSON value R108 built from
// the JDBC object (JsonOutput.getValue).
func Value(d Dialect, dbType string, v any) *jsonpath.Value {
	if v == nil {
		return &jsonpath.Value{Kind: jsonpath.Null}
	}
	text := func() string {
		switch x := v.(type) {
		case []byte:
			return string(x)
		case string:
			return x
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano)
		}
		return fmt.Sprint(v)
	}
	switch classOf(d, dbType) {
	case classInteger:
		switch x := v.(type) {
		case int64:
			return jsonpath.NewInt(strconv.FormatInt(x, 10))
		case uint64:
			return jsonpath.NewInt(strconv.FormatUint(x, 10))
		}
		if s := text(); isInteger(s) {
			return jsonpath.NewInt(s)
		}
	case classFloat:
		if f, ok := asFloat(v, 32); ok {
			return &jsonpath.Value{Kind: jsonpath.Float, Float: float64(float32(f))}
		}
	case classDouble:
		if f, ok := asFloat(v, 64); ok {
			return &jsonpath.Value{Kind: jsonpath.Float, Float: f}
		}
	case classBoolean:
		switch x := v.(type) {
		case bool:
			return &jsonpath.Value{Kind: jsonpath.Bool, Bool: x}
		case int64:
			return &jsonpath.Value{Kind: jsonpath.Bool, Bool: x != 0}
		case []byte:
			if len(x) == 1 && x[0] <= 1 { // MySQL BIT(1)
				return &jsonpath.Value{Kind: jsonpath.Bool, Bool: x[0] == 1}
			}
		}
		switch text() {
		case "1", "t", "true":
			return &jsonpath.Value{Kind: jsonpath.Bool, Bool: true}
		case "0", "f", "false":
			return &jsonpath.Value{Kind: jsonpath.Bool}
		}
	case classString:
		return jsonpath.NewString(text())
	case classDate:
		// new DateTime(java.sql.Date).toString in a UTC JVM.
		if t, ok := asTime(v, "2006-01-02"); ok {
			return jsonpath.NewString(t.UTC().Format("2006-01-02") + "T00:00:00.000Z")
		}
		if s := text(); len(s) == 4 && isInteger(s) { // MySQL YEAR
			return jsonpath.NewString(s + "-01-01T00:00:00.000Z")
		}
	case classTimestamp:
		if t, ok := asTime(v, "2006-01-02 15:04:05.999999999"); ok {
			return ParseObject(javaTimestamp(t))
		}
	}
	return ParseObject(text())
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func asFloat(v any, bits int) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case []byte:
		f, err := strconv.ParseFloat(string(x), bits)
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, bits)
		return f, err == nil
	}
	return 0, false
}

func asTime(v any, layout string) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case []byte:
		t, err := time.Parse(layout, string(x))
		return t, err == nil
	case string:
		t, err := time.Parse(layout, x)
		return t, err == nil
	}
	return time.Time{}, false
}

// javaTimestamp is java.sql.Timestamp.toString in a UTC JVM:
// "yyyy-mm-dd hh:mm:ss.f…" with the nanoseconds' trailing zeros dropped
// (".0" when there are none).
func javaTimestamp(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02 15:04:05")
	ns := fmt.Sprintf("%09d", t.Nanosecond())
	ns = strings.TrimRight(ns, "0")
	if ns == "" {
		ns = "0"
	}
	return s + "." + ns
}

// ParseObject is R108's JsonOutput.parseObject: the text as JSON when
// Jackson could read a value from its start (a number or literal must be
// followed by whitespace or the end, as Jackson required between root
// values; anything may follow a string, object or array, which Jackson then
// ignored), else the text as a JSON string.
func ParseObject(s string) *jsonpath.Value {
	v, end, err := jsonpath.ParsePrefix(s)
	if err != nil {
		return jsonpath.NewString(s)
	}
	if end == len(s) {
		return v
	}
	next := rune(s[end])
	switch v.Kind {
	case jsonpath.Int, jsonpath.Float:
		if next != ' ' && next != '\t' && next != '\n' && next != '\r' {
			return jsonpath.NewString(s)
		}
	case jsonpath.Bool, jsonpath.Null:
		if unicode.IsLetter(next) || unicode.IsDigit(next) || next == '_' || next == '$' {
			return jsonpath.NewString(s)
		}
	}
	return v
}

// JavaError words a database failure as the JDBC exception R108 printed
// (Throwable.toString).
func JavaError(d Dialect, host string, port int, err error) string {
	var pgErr *pgconn.PgError
	var myErr *mysql.MySQLError
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.As(err, &pgErr):
		return "org.postgresql.util.PSQLException: " + pgErr.Severity + ": " + pgErr.Message
	case errors.As(err, &myErr):
		return fmt.Sprintf("java.sql.SQLException: %s", myErr.Message)
	case errors.As(err, &op) && op.Op == "dial", strings.Contains(err.Error(), "connect: connection refused"):
		if d == PostgreSQL {
			return fmt.Sprintf("org.postgresql.util.PSQLException: Connection to %s:%d refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.", host, port)
		}
		return "com.mysql.jdbc.exceptions.jdbc4.CommunicationsException: Communications link failure: " + err.Error()
	case errors.As(err, &ne) && ne.Timeout():
		return "java.sql.SQLTimeoutException: " + err.Error()
	}
	if d == PostgreSQL {
		return "org.postgresql.util.PSQLException: " + err.Error()
	}
	return "java.sql.SQLException: " + err.Error()
}
